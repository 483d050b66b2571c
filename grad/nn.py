"""Neurons, layers and multi-layer perceptrons built from `Value`s."""
from __future__ import annotations

import numbers
import random
from typing import Iterable, Sequence, Union

from grad.engine import Value, weighted_sum

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
Inputs = Union[Sequence[Union[Value, float]], Value, float]


def _as_inputs(x: Inputs, n: int) -> list[Value]:
    """Turn an input vector (or a single number when n == 1) into a list of n Values."""
    if isinstance(x, Value) or not isinstance(x, Iterable):
        x = [x]  # a single input
    try:
        xs = [v if isinstance(v, Value) else Value(v) for v in x]
    except TypeError as e:
        raise TypeError(f"inputs must be a sequence of numbers or Values: {e}") from None
    if len(xs) != n:
        raise ValueError(f"expected {n} input{'s' if n != 1 else ''}, got {len(xs)}")
    return xs


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a whole number, got {type(n).__name__}: {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return int(n)


class Module:
    """Anything with parameters: knows how to list them and how to reset their gradients."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w · x + b): `nin` weights drawn from U(-1, 1) with `random`, bias 0.

    `nonlin=False` makes it linear (micrograd's flag); `activation` picks the
    non-linearity: 'relu' (default), 'tanh', 'sigmoid' or 'linear'.
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu"):
        nin = _check_size(nin, "nin")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation if nonlin else "linear"

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def __call__(self, x: Inputs) -> Value:
        if not isinstance(x, list):
            x = _as_inputs(x, len(self.w))
        act = weighted_sum(self.w, x, self.b)  # checks the length and converts numbers
        return act if self.activation == "linear" else getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        name = "ReLU" if self.activation == "relu" else self.activation.capitalize()
        return f"{name}Neuron({len(self.w)})"


class Layer(Module):
    """`nout` neurons that all read the same `nin` inputs. Returns a list of outputs,
    or a single Value when the layer has one neuron."""

    def __init__(self, nin: int, nout: int, **kwargs):
        nin, nout = _check_size(nin, "nin"), _check_size(nout, "nout")
        self.nin = nin
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        xs = _as_inputs(x, self.nin)  # convert once, shared by every neuron
        out = [n(xs) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {len(self.neurons)}, {self.neurons[0].activation})"


class MLP(Module):
    """A multi-layer perceptron: `MLP(2, [16, 16, 1])` maps 2 inputs to 1 output.

    Hidden layers use `activation` (ReLU by default, as in micrograd; 'tanh' for the
    lecture's network); the last layer uses `output_activation` (linear by default).
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear"):
        nin = _check_size(nin, "nin")
        if isinstance(nouts, numbers.Integral) or not isinstance(nouts, Iterable):
            raise TypeError(f"nouts must be a list of layer sizes, e.g. [16, 16, 1], got {nouts!r}")
        nouts = [_check_size(n, "each layer size") for n in nouts]
        if not nouts:
            raise ValueError("nouts must name at least one layer, e.g. [1]")
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             activation=output_activation if i == last else activation)
                       for i in range(len(nouts))]

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        sizes = " -> ".join(str(n) for n in [self.layers[0].nin] + [len(l.neurons) for l in self.layers])
        lines = [f"MLP({sizes}, {len(self.parameters())} parameters)"]
        lines += [f"  {layer!r}" for layer in self.layers]
        return "\n".join(lines)
