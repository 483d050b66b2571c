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
    """The weights of an `MLP`, as arrays; call it on an (n, nin) array of inputs.

    Dropout layers are skipped (as in evaluation mode). `backward(d_out)` after a call
    fills every parameter's `.grad` with d loss / d parameter, given d loss / d output.
    """

    def __init__(self, model: MLP):
        self.layers: list[tuple[ArrayParameter, ArrayParameter, str]] = []
        for layer in model.layers:
            if not isinstance(layer, Layer):
                continue
            W = np.array([[w.data for w in n.w] for n in layer.neurons], dtype=float)
            b = np.array([n.b.data for n in layer.neurons], dtype=float)
            self.layers.append((ArrayParameter(W), ArrayParameter(b), layer.neurons[0].activation))
        self._cache: list = []

    def parameters(self) -> list[ArrayParameter]:
        return [p for W, b, _ in self.layers for p in (W, b)]

    def __call__(self, X: np.ndarray) -> np.ndarray:
        h = np.asarray(X, dtype=float)
        self._cache = []
        for W, b, act in self.layers:
            z = h @ W.data.T + b.data
            out = _activate(act, z)
            self._cache.append((h, z, out))
            h = out
        return h

    def backward(self, d_out: np.ndarray) -> None:
        """The chain rule, layer by layer from the output: fills each parameter's grad."""
        d = np.asarray(d_out, dtype=float)
        for (W, b, act), (h, z, out) in zip(reversed(self.layers), reversed(self._cache)):
            dz = d * _slope(act, z, out)
            W.grad = dz.T @ h
            b.grad = dz.sum(axis=0)
            d = dz @ W.data

    def copy_to(self, model: MLP) -> MLP:
        """Write these weights into `model`'s Values (an MLP of the same shape); returns it."""
        layers = [layer for layer in model.layers if isinstance(layer, Layer)]
        for (W, b, _), layer in zip(self.layers, layers):
            for row, bias, neuron in zip(W.data, b.data, layer.neurons):
                for value, w in zip(row, neuron.w):
                    w.data = float(value)
                neuron.b.data = float(bias)
        return model
