"""A `grad.nn.MLP`'s arithmetic on NumPy arrays, for widgets that train many small networks.

A widget that trains a dozen networks before it can draw cannot wait for the scalar
engine (a few hundred milliseconds per network). `ArrayMLP` reads an MLP's starting
weights, runs the same forward pass (each layer: activation(W @ h + b)) for every
point at once, and writes the same gradients by the chain rule; the tests check that
training with it gives the numbers `grad.Value` gives, to rounding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grad.nn import MLP, Layer


@dataclass(eq=False)
class ArrayParameter:
    """One weight matrix or bias vector: what `grad.optim`'s optimizers need (.data, .grad)."""
    data: np.ndarray
    grad: np.ndarray | None = None


def _activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def _slope(name: str, z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d out / d z, as the scalar engine's rules compute it."""
    if name == "relu":
        return (z > 0).astype(float)
    if name == "tanh":
        return 1.0 - out ** 2
    if name == "sigmoid":
        return out * (1.0 - out)
    return np.ones_like(z)


class ArrayMLP:
    """The weights of an `MLP`, as one flat array; call it on an (n, nin) array of inputs.

    All weights and biases live in `weights.data`, one flat vector (so an optimizer updates
    them in one step); each layer reads its matrix and bias as views of it. Dropout layers
    are skipped (as in evaluation mode). `backward(d_out)` after a call fills
    `weights.grad` with d loss / d weight, given d loss / d output.
    """

    def __init__(self, model: MLP):
        self.shapes: list[tuple[int, int, str]] = []   # (outputs, inputs, activation) per layer
        values = []
        for layer in model.layers:
            if not isinstance(layer, Layer):
                continue
            self.shapes.append((len(layer.neurons), len(layer.neurons[0].w),
                                layer.neurons[0].activation))
            for n in layer.neurons:       # row by row: each neuron's weights, then its bias
                values.extend(w.data for w in n.w)
                values.append(n.b.data)
        self.weights = ArrayParameter(np.array(values, dtype=float))
        self._cache: list = []

    def parameters(self) -> list[ArrayParameter]:
        return [self.weights]

    def _layers(self, flat: np.ndarray):
        """(W, b, activation) of each layer, as views of the flat vector `flat`."""
        start = 0
        for nout, nin, act in self.shapes:
            block = flat[start:start + nout * (nin + 1)].reshape(nout, nin + 1)
            start += nout * (nin + 1)
            yield block[:, :nin], block[:, nin], act

    def __call__(self, X: np.ndarray) -> np.ndarray:
        h = np.asarray(X, dtype=float)
        self._cache = []
        for W, b, act in self._layers(self.weights.data):
            z = h @ W.T + b
            out = _activate(act, z)
            self._cache.append((h, z, out))
            h = out
        return h

    def backward(self, d_out: np.ndarray) -> None:
        """The chain rule, layer by layer from the output: fills `weights.grad`."""
        grad = np.empty_like(self.weights.data)
        d = np.asarray(d_out, dtype=float)
        layers = list(zip(self._layers(self.weights.data), self._layers(grad), self._cache))
        for (W, _, act), (dW, db, _), (h, z, out) in reversed(layers):
            dz = d * _slope(act, z, out)
            dW[...] = dz.T @ h
            db[...] = dz.sum(axis=0)
            d = dz @ W
        self.weights.grad = grad

    def copy_to(self, model: MLP) -> MLP:
        """Write these weights into `model`'s Values (an MLP of the same shape); returns it."""
        values = iter(self.weights.data.tolist())
        for layer in model.layers:
            if not isinstance(layer, Layer):
                continue
            for n in layer.neurons:
                for w in n.w:
                    w.data = next(values)
                n.b.data = next(values)
        return model
