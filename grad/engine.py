"""A scalar autograd engine: every number remembers how it was computed.

Every operation has the same shape: it computes the result `out` from its operands and
gives `out` a backward rule, a small function `rule(out)` that adds
(local derivative x out.grad) to each operand's grad. `backward()` then visits the graph
from the output back to the inputs and applies each node's rule once, after every node
that uses it has been processed: the chain rule, one node at a time.

The rules take `out` as an argument instead of capturing it in a closure (micrograd's
style): a closure that refers to its own node makes a reference cycle, and a training step
builds thousands of them, which Python's garbage collector must then hunt down. Without
cycles a graph is freed the moment it is no longer used. `node._backward()` still works
as in micrograd, and so does assigning a closure to `out._backward`.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence, Union

Number = Union[int, float]


def _to_float(data: object) -> float:
    """Check that `data` is a real number and return it as a float."""
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(f"Value: {data!r} is too large to be stored as a float") from None
    shown = repr(data)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    raise TypeError(f"Value needs a real number (int or float), got {type(data).__name__}: {shown}")


def _lift(x: Value | Number) -> Value:
    """Wrap a plain number in a Value (a constant leaf); leave Values alone."""
    return x if isinstance(x, Value) else Value(x)


def _pow(base: float, exponent: float) -> float:
    """base ** exponent for real numbers, refusing the cases that are not real or not finite."""
    if base < 0 and not exponent.is_integer():
        raise ValueError(f"pow: {base} ** {exponent} is not a real number "
                         "(a negative base needs a whole-number exponent)")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"pow: 0.0 ** {exponent} divides by zero")
    try:
        return base ** exponent
    except OverflowError:
        raise OverflowError(f"pow: {base} ** {exponent} is too large for a float") from None


def _pow_slope(base: float, exponent: float) -> float:
    """d/dx x**k at x = base: k * base**(k-1) (0 for k = 0, even at base 0)."""
    return 0.0 if exponent == 0 else exponent * _pow(base, exponent - 1)


class Value:
    """A scalar that records the operations that produced it, so gradients can flow back.

    >>> a, b = Value(2.0, label='a'), Value(-3.0, label='b')
    >>> c = a * b + 10
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
    """

    __slots__ = ("data", "grad", "_prev", "_op", "label", "_rule")

    def __init__(self, data: Number, _children: tuple = (), _op: str = "", label: str = "",
                 _rule: Rule | None = None):
        self.data = data if type(data) is float else _to_float(data)
        self.grad = 0.0
        self._prev = tuple(_children)  # operands, in order; a leaf has none
        self._op = _op
        self.label = label
        self._rule = _rule or _leaf_rule

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's chain-rule step as a function of no arguments, as in micrograd."""
        return lambda: self._rule(self)

    @_backward.setter
    def _backward(self, step: Callable[[], None]) -> None:
        self._rule = lambda out: step()

    # ---- arithmetic: out = f(self, other), then rule(out) pushes out.grad back ----------
    def __add__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return Value(self.data + other.data, (self, other), "+", _rule=_add_rule)

    def __sub__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return Value(self.data - other.data, (self, other), "-", _rule=_sub_rule)

    def __mul__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return Value(self.data * other.data, (self, other), "*", _rule=_mul_rule)

    def __truediv__(self, other: Value | Number) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ZeroDivisionError(f"division by zero: {self.data} / {other.data}")
        return Value(self.data / other.data, (self, other), "/", _rule=_div_rule)

    def __floordiv__(self, other: Value | Number) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ZeroDivisionError(f"floor division by zero: {self.data} // {other.data}")
        # floor(a/b) is flat between its jumps: its derivative is 0, as in PyTorch
        return Value(self.data // other.data, (self, other), "//", _rule=_leaf_rule)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # the exponent is an operand with a gradient of its own
            data = _pow(self.data, other.data)
            if self.data < 0:
                raise ValueError(f"pow: {self.data} ** Value({other.data}) has no real derivative "
                                 "with respect to the exponent (log of a negative base)")
            return Value(data, (self, other), "**", _rule=_pow_rule)
        k = _to_float(other)  # a number exponent is part of the op, like micrograd's '**2'
        return Value(_pow(self.data, k), (self,), f"**{other}",
                     _rule=lambda out: _pow_number_rule(out, k))

    def __neg__(self) -> Value:
        return Value(-self.data, (self,), "neg", _rule=_neg_rule)

    # Reflected forms: `2 * a` calls a.__rmul__(2). The number becomes the left operand.
    def __radd__(self, other: Number) -> Value:
        return _lift(other) + self

    def __rsub__(self, other: Number) -> Value:
        return _lift(other) - self

    def __rmul__(self, other: Number) -> Value:
        return _lift(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _lift(other) / self

    def __rfloordiv__(self, other: Number) -> Value:
        return _lift(other) // self

    def __rpow__(self, other: Number) -> Value:
        return _lift(other) ** self

    # ---- functions -----------------------------------------------------------------------
    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data}) overflows: the result is above the largest "
                                "float (about 1.8e308)") from None
        return Value(e, (self,), "exp", _rule=_exp_rule)

    def log(self) -> Value:
        if not self.data > 0:
            raise ValueError(f"log({self.data}): the logarithm needs a positive number")
        return Value(math.log(self.data), (self,), "log", _rule=_log_rule)

    def tanh(self) -> Value:
        return Value(math.tanh(self.data), (self,), "tanh", _rule=_tanh_rule)

    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # the same number, written so that exp cannot overflow for very negative x
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value(s, (self,), "sigmoid", _rule=_sigmoid_rule)

    def relu(self) -> Value:
        return Value(self.data if self.data > 0 else 0.0, (self,), "ReLU", _rule=_relu_rule)

    # ---- backpropagation -----------------------------------------------------------------
    def backward(self) -> None:
        """Set every node's .grad to d(self)/d(node), by the chain rule, output to inputs.

        Intermediate nodes get a fresh gradient on every call; leaves (inputs and
        parameters) accumulate, so calling it twice adds the leaves' gradients once more,
        as PyTorch does. Use `zero_grad()` or set `p.grad = 0.0` to start again.
        """
        topo = topological_order(self)
        for node in topo:
            if node._prev:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(topo):
            node._rule(node)


Rule = Callable[[Value], None]

# ---- backward rules: add (local derivative x out.grad) to each operand's grad -------------
def _leaf_rule(out: Value) -> None:
    pass  # nothing to pass on: a leaf has no operands (or, for //, a zero derivative)


def _add_rule(out: Value) -> None:
    a, b = out._prev
    a.grad += out.grad
    b.grad += out.grad


def _sub_rule(out: Value) -> None:
    a, b = out._prev
    a.grad += out.grad
    b.grad -= out.grad


def _mul_rule(out: Value) -> None:
    a, b = out._prev
    a.grad += b.data * out.grad
    b.grad += a.data * out.grad


def _div_rule(out: Value) -> None:
    a, b = out._prev
    a.grad += out.grad / b.data
    b.grad -= out.data / b.data * out.grad  # d(a/b)/db = -a/b**2


def _pow_rule(out: Value) -> None:
    a, b = out._prev
    a.grad += _pow_slope(a.data, b.data) * out.grad
    b.grad += (out.data * math.log(a.data) if a.data > 0 else 0.0) * out.grad  # d(a**b)/db


def _pow_number_rule(out: Value, k: float) -> None:
    (a,) = out._prev
    a.grad += _pow_slope(a.data, k) * out.grad


def _neg_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad -= out.grad


def _exp_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad += out.data * out.grad  # d(e**a)/da = e**a


def _log_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad += out.grad / a.data


def _tanh_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad += (1.0 - out.data ** 2) * out.grad


def _sigmoid_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad += out.data * (1.0 - out.data) * out.grad


def _relu_rule(out: Value) -> None:
    (a,) = out._prev
    a.grad += (out.data > 0) * out.grad


def _weighted_sum_rule(out: Value) -> None:
    operands = out._prev  # (w0, ..., w[n-1], x0, ..., x[n-1], b)
    n = len(operands) // 2
    g = out.grad
    for w, x in zip(operands[:n], operands[n:-1]):
        w.grad += x.data * g
        x.grad += w.data * g
    operands[-1].grad += g


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each listed after all of its operands (root last).

    A depth-first search with an explicit stack, so a graph of a million nodes needs no
    recursion. The order is the one the recursive version gives: operands left to right.
    """
    topo: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            topo.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for child in reversed(tuple(node._prev)):  # tuple(): _prev may be a set
                if child not in visited:
                    stack.append((child, False))
    return topo


def weighted_sum(weights: Sequence[Value], inputs: Sequence[Value | Number],
                 bias: Value) -> Value:
    """bias + w0*x0 + w1*x1 + ... as a single node: a neuron's pre-activation.

    The same numbers as chaining `*` and `+` (summed in the same order), with one node
    instead of 2n: a smaller graph is what makes training fast. `weights` and `bias`
    are Values (parameters); `inputs` may also be plain numbers.
    """
    xs = [x if isinstance(x, Value) else Value(x) for x in inputs]
    if len(xs) != len(weights):
        raise ValueError(f"expected {len(weights)} inputs (one per weight), got {len(xs)}")
    data = bias.data
    for w, x in zip(weights, xs):
        data += w.data * x.data
    return Value(data, (*weights, *xs, bias), "w·x+b", _rule=_weighted_sum_rule)
