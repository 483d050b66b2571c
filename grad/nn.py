"""Neurons, layers and multi-layer perceptrons built from `Value`s."""
from __future__ import annotations

import math
import numbers
import random
import collections.abc
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence, Union

from grad.engine import Value, _weighted_sum, weighted_sum

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
Inputs = Union[Sequence[Union[Value, float]], Value, float]
Initializer = Callable[[int, int], float]  # (fan_in, fan_out) -> one random weight

# Weight initializers, drawing from Python's `random` (so `random.seed` reproduces them).
# fan_in: inputs per neuron; fan_out: neurons in the layer. Biases always start at 0.
INITIALIZERS: dict[str, Initializer] = {
    # micrograd's choice: U(-1, 1), whatever the layer's size
    "uniform": lambda fan_in, fan_out: random.uniform(-1, 1),
    "normal": lambda fan_in, fan_out: random.gauss(0.0, 1.0),
    # Glorot & Bengio (2010): keep the variance of activations and gradients steady
    "xavier_uniform": lambda fan_in, fan_out: random.uniform(-1, 1) * math.sqrt(6 / (fan_in + fan_out)),
    "xavier_normal": lambda fan_in, fan_out: random.gauss(0.0, math.sqrt(2 / (fan_in + fan_out))),
    # He et al. (2015): the same for ReLU, which zeroes half of its inputs
    "he_uniform": lambda fan_in, fan_out: random.uniform(-1, 1) * math.sqrt(6 / fan_in),
    "he_normal": lambda fan_in, fan_out: random.gauss(0.0, math.sqrt(2 / fan_in)),
}


def _initializer(init: Union[str, Initializer]) -> Initializer:
    if callable(init):
        return init
    if not isinstance(init, str) or init not in INITIALIZERS:
        raise ValueError(f"init must be one of {tuple(INITIALIZERS)} or a function "
                         f"(fan_in, fan_out) -> weight, got {init!r}")
    return INITIALIZERS[init]


def _as_inputs(x: Inputs, n: int) -> list[Value]:
    """Turn an input vector (or a single number when n == 1) into a list of n Values."""
    if isinstance(x, (collections.abc.Mapping, collections.abc.Set)):
        raise TypeError(f"inputs must be a list of numbers or Values (in order), got "
                        f"{type(x).__name__}")
    if isinstance(x, Value) or not isinstance(x, Iterable):
        x = [x]  # a single input
    try:
        xs = [v if isinstance(v, Value) else Value(v) for v in x]
    except TypeError as e:
        raise TypeError(f"inputs must be a sequence of numbers or Values: {e}") from None
    if len(xs) != n:
        raise ValueError(f"expected {n} input{'s' if n != 1 else ''}, got {len(xs)}")
    return xs


def _check_activation(name: object, what: str = "activation") -> str:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"{what} must be one of {ACTIVATIONS}, got {name!r}")
    return name


def _check_probability(p: object) -> float:
    """A dropout probability: a number in [0, 1] (a ValueError otherwise, as in PyTorch)."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"dropout probability must be a number between 0 and 1, "
                        f"got {type(p).__name__}: {p!r}")
    if not 0 <= p <= 1:  # NaN too
        raise ValueError(f"dropout probability must be between 0 and 1, got {p!r}")
    return float(p)


def _check_size(n: object, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a whole number, got {type(n).__name__}: {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return int(n)


class Module:
    """Anything with parameters: knows how to list them and how to reset their gradients.

    A module is in training mode until `eval()` is called; `train()` switches back.
    Only some modules (Dropout) behave differently in the two modes.
    """
    training = True

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Reset every parameter's gradient to 0.0, or to None with set_to_none=True.

        PyTorch's default is set_to_none=True; here it is False, because the course shows
        gradients as numbers. A None gradient works too: backward() starts it afresh, and
        an optimizer's step() skips the parameter until it has one.
        """
        for p in self.parameters():
            p.grad = None if set_to_none else 0.0

    def children(self) -> Iterator[Module]:
        """The modules this one is made of (found among its attributes)."""
        return (child for _, child in self.named_children())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each sub-module, in the order they were set: the attribute's
        name, or `name.i` for the i-th module in a list or tuple (PyTorch's ModuleList)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)):
                yield from ((f"{name}.{i}", v) for i, v in enumerate(value) if isinstance(v, Module))

    # ---- saving and loading ----------------------------------------------------------
    # One mechanism for both engines: _named_state lists what a model holds, by dotted
    # name; _saved, _converted and _write say how one entry is copied out and back in
    # (grad.tensor.nn.Module changes these four for Tensors and arrays).
    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, Value) for each Value held here (in a list: `name.i`), then in
        each sub-module."""
        for name, value in vars(self).items():
            if isinstance(value, Value):
                yield prefix + name, value
            elif isinstance(value, (list, tuple)):
                yield from ((f"{prefix}{name}.{i}", v) for i, v in enumerate(value) if isinstance(v, Value))
        for name, child in self.named_children():
            yield from child._named_state(f"{prefix}{name}.")

    def _saved(self, value: Value) -> float:
        return value.data

    def _converted(self, name: str, target: Value, value: Any) -> tuple[Any, str]:
        """`value` as `target` takes it, and what is wrong with it if it does not fit ('')."""
        if isinstance(value, Value):
            value = value.data
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"load_state_dict: {name} must be a number, got {value!r}")
        return float(value), ""

    def _write(self, target: Value, value: float) -> None:
        target.data = value

    def state_dict(self) -> dict[str, Any]:
        """A copy of everything the model holds, by dotted name as in PyTorch: a Tensor
        model's arrays ('0.weight', 'blocks.1.ln.bias', BatchNorm's 'running_mean'); a
        Value model's numbers (a Neuron's 'w.0', 'w.1', ..., 'b'; an MLP's
        'layers.0.neurons.0.w.0'). Later training leaves it as it was; `load_state_dict`
        puts it back."""
        return {name: self._saved(value) for name, value in self._named_state()}

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy the entries of `state_dict` (from `state_dict()`) into this model, in place.

        A RuntimeError lists every problem, as PyTorch's does: an entry that does not fit
        (a size mismatch), and with strict=True (the default) names the model has and the
        dict lacks (missing) or the dict has and the model lacks (unexpected). Nothing is
        copied unless all of it fits. Returns the missing and unexpected names."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a dict (from state_dict()), got "
                            f"{type(state_dict).__name__}")
        own = dict(self._named_state())
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        errors, writes = [], []
        for name, target in own.items():
            if name in state_dict:
                value, error = self._converted(name, target, state_dict[name])
                if error:
                    errors.append(error)
                writes.append((target, value))
        if strict and unexpected:
            errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}.")
        if strict and missing:
            errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}.")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        for target, value in writes:
            self._write(target, value)
        return IncompatibleKeys(missing, unexpected)

    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every sub-module; returns self."""
        self.training = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (dropout off); the same as train(False)."""
        return self.train(False)


def _quoted(names: list) -> str:
    return ", ".join(f'"{name}"' for name in names)


class IncompatibleKeys(NamedTuple):
    """What load_state_dict(..., strict=False) left alone: names only the model has
    (missing_keys) and names only the dict has (unexpected_keys)."""
    missing_keys: list
    unexpected_keys: list


class Neuron(Module):
    """act(w · x + b): `nin` weights drawn with `random` (U(-1, 1) by default), bias 0.
    One node computes it all (`grad.weighted_sum` with the activation).

    `nonlin=False` makes it linear (micrograd's flag); `activation` picks the
    non-linearity: 'relu' (default), 'tanh', 'sigmoid' or 'linear'. `init` picks the
    weights' distribution: a name from INITIALIZERS or a function (fan_in, fan_out) ->
    weight; `fan_out` is the size of the layer the neuron belongs to.
    """

    def __init__(self, nin: int, nonlin: bool = True, activation: str = "relu",
                 init: Union[str, Initializer] = "uniform", fan_out: int = 1):
        nin, fan_out = _check_size(nin, "nin"), _check_size(fan_out, "fan_out")
        activation = _check_activation(activation)
        draw = _initializer(init)
        self.w = [Value(draw(nin, fan_out)) for _ in range(nin)]
        self.b = Value(0.0)
        self.activation = activation if nonlin else "linear"

    @property
    def nonlin(self) -> bool:
        return self.activation != "linear"

    def __call__(self, x: Inputs) -> Value:
        if not isinstance(x, list):
            x = _as_inputs(x, len(self.w))
        return weighted_sum(self.w, x, self.b, self.activation)  # checks and converts x

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
        self.neurons = [Neuron(nin, fan_out=nout, **kwargs) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        xs = _as_inputs(x, self.nin)  # checked once, shared by every neuron
        out = [_weighted_sum(n.w, xs, n.b, n.activation) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer({self.nin} -> {len(self.neurons)}, {self.neurons[0].activation})"


class Dropout(Module):
    """During training, zero each input with probability p and scale the survivors by
    1/(1-p), so the expected value is unchanged; in eval mode, pass inputs through.

    Draws from `random`, so `random.seed` reproduces the masks.
    """

    def __init__(self, p: float = 0.5):
        self.p = _check_probability(p)

    def __call__(self, x: Union[Value, Sequence[Value]]) -> Union[Value, list[Value]]:
        if not self.training or self.p == 0:
            return x
        single = isinstance(x, Value)
        xs = [x] if single else list(x)
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        out = [v * (scale if random.random() >= self.p else 0.0) for v in xs]
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class MLP(Module):
    """A multi-layer perceptron: `MLP(2, [16, 16, 1])` maps 2 inputs to 1 output.

    Hidden layers use `activation` (ReLU by default, as in micrograd; 'tanh' for the
    lecture's network); the last layer uses `output_activation` (linear by default).
    `init` is one initializer for every layer, or a list with one per layer.
    `dropout` > 0 adds a Dropout after each hidden layer. Every argument is checked,
    whether or not a layer uses it.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu",
                 output_activation: str = "linear",
                 init: Union[str, Initializer, Sequence[Union[str, Initializer]]] = "uniform",
                 dropout: float = 0.0):
        nin = _check_size(nin, "nin")
        activation = _check_activation(activation)
        output_activation = _check_activation(output_activation, "output_activation")
        dropout = _check_probability(dropout)
        if isinstance(nouts, numbers.Integral) or not isinstance(nouts, Iterable):
            raise TypeError(f"nouts must be a list of layer sizes, e.g. [16, 16, 1], got {nouts!r}")
        nouts = [_check_size(n, "each layer size") for n in nouts]
        if not nouts:
            raise ValueError("nouts must name at least one layer, e.g. [1]")
        inits = list(init) if isinstance(init, (list, tuple)) else [init] * len(nouts)
        if len(inits) != len(nouts):
            raise ValueError(f"{len(inits)} initializers for {len(nouts)} layers")
        sizes = [nin] + nouts
        last = len(nouts) - 1
        self.layers: list[Module] = []
        for i in range(len(nouts)):
            self.layers.append(Layer(sizes[i], sizes[i + 1], init=inits[i],
                                     activation=output_activation if i == last else activation))
            if dropout and i != last:
                self.layers.append(Dropout(dropout))

    def __call__(self, x: Inputs) -> Union[Value, list[Value]]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        layers = [l for l in self.layers if isinstance(l, Layer)]
        sizes = " -> ".join(str(n) for n in [layers[0].nin] + [len(l.neurons) for l in layers])
        lines = [f"MLP({sizes}, {len(self.parameters())} parameters)"]
        lines += [f"  {layer!r}" for layer in self.layers]
        return "\n".join(lines)


def l2_penalty(params: Iterable[Value]) -> Value:
    """Sum of squared parameters: add `alpha * l2_penalty(model.parameters())` to a loss
    to pull weights towards zero (its gradient, 2 * alpha * w, is weight decay)."""
    return _sum(p * p for p in params)


def l1_penalty(params: Iterable[Value]) -> Value:
    """Sum of absolute values of the parameters: its constant pull (sign(w) per unit of
    strength) drives unneeded weights towards zero, where gradient steps keep them
    hovering, unlike L2, whose pull fades as a weight shrinks."""
    return _sum(p.relu() + (-p).relu() for p in params)  # |p| = relu(p) + relu(-p)


def _sum(terms: Iterable[Value]) -> Value:
    terms = list(terms)
    if not terms:
        raise ValueError("a penalty needs at least one parameter")
    return sum(terms[1:], terms[0])
