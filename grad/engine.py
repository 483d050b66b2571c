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

Numbers without an answer (grad.tensor follows the same policy, entry by entry):

- Forward: an op refuses, naming itself and the number, an input for which it has no real
  answer: log of a number <= 0 (ValueError), division by zero and 0 to a negative power
  (ZeroDivisionError), a negative base (-inf too) to a fractional power (ValueError: the
  answer would be complex), exp or ** past the largest float (OverflowError). Everything
  else is IEEE 754 float arithmetic, as in PyTorch: + - * may round to inf, and a NaN or
  an infinity that comes in goes on the way PyTorch carries it (relu(nan) is nan,
  tanh(inf) is 1.0, exp(-inf) is 0.0); it never turns into a number.
- Backward: once the forward value exists, backward() never raises. Its arithmetic is
  IEEE's, as in PyTorch: the slope of x ** 0.5 at 0 is inf, and 0 * inf is nan.

Graphs can be pickled and deep-copied, however deep (see `Value.__reduce__`).
"""
from __future__ import annotations

import functools
import math
import numbers
import weakref
from itertools import repeat
from collections.abc import Iterable, Mapping, Set as AbstractSet
from typing import Callable, Sequence, Union

Number = Union[int, float]


def _short(x: object) -> str:
    """x as an error message shows it: at most a line (10**400 appears as 1e+400)."""
    if isinstance(x, numbers.Integral) and not isinstance(x, bool) and abs(x) >= 10 ** 16:
        e = int(math.log10(abs(x)))
        return f"{x / 10 ** e:.4g}e+{e}"
    shown = str(x) if isinstance(x, numbers.Number) else repr(x)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _to_float(data: object) -> float:
    """Check that `data` is a real number and return it as a float."""
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(f"Value: {_short(data)} is too large to be stored as a float "
                                "(the largest is about 1.8e308)") from None
    raise TypeError(f"Value needs a real number (int or float), got {type(data).__name__}: "
                    f"{_short(data)}")


def _lift(x: Value | Number) -> Value:
    """Wrap a plain number in a Value (a constant leaf); leave Values alone."""
    return x if isinstance(x, Value) else Value(x)


def _pow(base: float, exponent: float) -> float:
    """base ** exponent, refusing the cases that have no real, finite answer."""
    if base < 0 and math.isfinite(exponent) and not exponent.is_integer():
        raise ValueError(f"pow: {base} ** {exponent} is not a real number "
                         "(a negative base needs a whole-number exponent)")
    if base == 0 and exponent < 0:
        raise ZeroDivisionError(f"pow: 0.0 ** {exponent} divides by zero")
    try:
        return base ** exponent
    except OverflowError:
        raise OverflowError(f"pow: {base} ** {exponent} is too large for a float") from None


def _ieee_pow(base: float, exponent: float) -> float:
    """base ** exponent as IEEE 754 (and PyTorch) has it: inf where Python would raise
    (0 to a negative power, or a result past the largest float)."""
    try:
        return base ** exponent
    except (ZeroDivisionError, OverflowError):
        negative = math.copysign(1.0, base) < 0 and exponent % 2 == 1  # odd whole power
        return -math.inf if negative else math.inf


def _ieee_log(x: float) -> float:
    """log(x) as IEEE 754 has it: -inf at 0, nan below (where math.log raises)."""
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _pow_slope(base: float, exponent: float) -> float:
    """d/dx x**k at x = base: k * base**(k-1) (inf at base 0 for 0 < k < 1; 0 for k = 0)."""
    return 0.0 if exponent == 0 else exponent * _ieee_pow(base, exponent - 1)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # the same number, written so that exp cannot overflow for very negative x
    return e / (1.0 + e)


def _relu(x: float) -> float:
    # `< 0`, not `> 0`: a NaN fails every comparison, and must come out as NaN
    return 0.0 if x < 0 else x


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
        self._rule = _ClosureRule(step)

    # ---- arithmetic: out = f(self, other), then rule(out) pushes out.grad back ----------
    def __add__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return _node(self.data + other.data, (self, other), "+", _add_rule)

    def __sub__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return _node(self.data - other.data, (self, other), "-", _sub_rule)

    def __mul__(self, other: Value | Number) -> Value:
        other = _lift(other)
        return _node(self.data * other.data, (self, other), "*", _mul_rule)

    def __truediv__(self, other: Value | Number) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ZeroDivisionError(f"division by zero: {self.data} / {other.data}")
        return _node(self.data / other.data, (self, other), "/", _div_rule)

    def __floordiv__(self, other: Value | Number) -> Value:
        other = _lift(other)
        if other.data == 0:
            raise ZeroDivisionError(f"floor division by zero: {self.data} // {other.data}")
        # floor(a/b) is flat between its jumps: its derivative is 0, as PyTorch's floor has
        return _node(self.data // other.data, (self, other), "//", _leaf_rule)

    def __pow__(self, other: Value | Number) -> Value:
        if isinstance(other, Value):  # the exponent is an operand with a gradient of its own
            return _node(_pow(self.data, other.data), (self, other), "**", _pow_rule)
        k = _to_float(other)  # a number exponent is part of the op, like micrograd's '**2'
        return _node(_pow(self.data, k), (self,), f"**{_short(other)}",
                     functools.partial(_pow_number_rule, k))

    def __neg__(self) -> Value:
        return _node(-self.data, (self,), "neg", _neg_rule)

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
        return _node(e, (self,), "exp", _exp_rule)

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log({self.data}): the logarithm needs a positive number")
        return _node(math.log(self.data), (self,), "log", _log_rule)

    def tanh(self) -> Value:
        return _node(math.tanh(self.data), (self,), "tanh", _tanh_rule)

    def sigmoid(self) -> Value:
        return _node(_sigmoid(self.data), (self,), "sigmoid", _sigmoid_rule)

    def relu(self) -> Value:
        return _node(_relu(self.data), (self,), "ReLU", _relu_rule)

    # ---- backpropagation -----------------------------------------------------------------
    def backward(self) -> None:
        """Set every node's .grad to d(self)/d(node), by the chain rule, output to inputs.

        Intermediate nodes get a fresh gradient on every call; leaves (inputs and
        parameters) accumulate, so calling it twice adds the leaves' gradients once more,
        as PyTorch does. Use `zero_grad()` or set `p.grad = 0.0` to start again; a leaf
        whose grad is None (`zero_grad(set_to_none=True)`) starts again from 0.
        """
        topo = topological_order(self)
        for node in topo:
            if node._prev or node.grad is None:
                node.grad = 0.0
        self.grad += 1.0  # d(self)/d(self)
        for node in reversed(topo):
            node._rule(node)

    # ---- saving and copying --------------------------------------------------------------
    def __reduce__(self):
        """How pickle and copy.deepcopy take a node apart, for graphs of any depth.

        Saving a node saves its operands first, and theirs first, ...: done naively, a chain
        of 100,000 nodes nests 100,000 calls, past Python's recursion limit. So the first
        node of a graph that pickle meets lists, ahead of its own fields, every node below
        it, each after its operands (a topological order). Pickle saves that list item by
        item, and each node in it finds its operands already saved: nothing nests. While
        the pickler holds the list, the nodes on it save only their own fields.
        """
        fields = (self.data, self.grad, self._prev, self._op, self.label, self._rule)
        if not self._prev or _is_listed(self):
            return _rebuild, ((), *fields)
        earlier = _Earlier(_unlisted_below(self))
        nodes = [*earlier, self]
        listing = weakref.ref(earlier, functools.partial(_forget, nodes))
        for node in nodes:
            _listed[id(node)] = listing
        return _rebuild, (earlier, *fields)


Rule = Callable[[Value], None]


def _node(data: float, operands: tuple, op: str, rule: Rule) -> Value:
    """An operation's result: the same as Value(data, operands, op, _rule=rule), built
    without __init__'s conversions (the operands are a tuple already). Every op makes
    its result here, and a training step makes thousands of them."""
    out = object.__new__(Value)
    out.data = data if type(data) is float else _to_float(data)  # int data stays float
    out.grad = 0.0
    out._prev = operands
    out._op = op
    out.label = ""
    out._rule = rule
    return out


class _ClosureRule:
    """A backward step assigned as a closure (`out._backward = step`, the lecture's way)."""
    __slots__ = ("step",)

    def __init__(self, step: Callable[[], None]):
        self.step = step

    def __call__(self, out: Value) -> None:
        self.step()

    def __reduce__(self):
        raise TypeError("cannot copy or pickle a graph with a node whose backward step is a "
                        "closure assigned to _backward: the closure refers to the original "
                        "nodes, so a copy would send its gradients to them. Write the step as "
                        "a function of the output node, rule(out), and pass it as "
                        "Value(data, children, op, _rule=rule)")


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
    # d(a**b)/db = a**b * log(a): nan for a < 0, and 0 at a = 0 (PyTorch's convention)
    b.grad += (0.0 if a.data == 0 and b.data >= 0 else out.data * _ieee_log(a.data)) * out.grad


def _pow_number_rule(k: float, out: Value) -> None:
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
    if not out.data <= 0:  # where relu passed its input on (a NaN too, as in PyTorch)
        a.grad += out.grad


def _weighted_sum_rule(out: Value) -> None:
    _spread(out._prev, out.grad)


# A neuron node applies its activation itself; its rule first multiplies out.grad by the
# activation's slope (written with the output, as in the rules above), then spreads it.
def _relu_neuron_rule(out: Value) -> None:
    if not out.data <= 0:  # where relu passed w·x+b on (a NaN too, as in PyTorch)
        _spread(out._prev, out.grad)
    # elsewhere the slope is 0 and w·x+b was finite (see _weighted_sum): every operand
    # would receive exactly 0, so there is nothing to add


def _tanh_neuron_rule(out: Value) -> None:
    _spread(out._prev, (1.0 - out.data ** 2) * out.grad)


def _sigmoid_neuron_rule(out: Value) -> None:
    _spread(out._prev, out.data * (1.0 - out.data) * out.grad)


def _spread(operands: tuple, g: float) -> None:
    """The chain rule of w·x+b, given g = d(result)/d(w·x+b): each w_i gets x_i * g,
    each x_i gets w_i * g, and b gets g."""
    n = len(operands) // 2  # operands: (w0, ..., w[n-1], x0, ..., x[n-1], b)
    for w, x in zip(operands, operands[n:-1]):  # zip stops after the n weights
        w.grad += x.data * g
        x.grad += w.data * g
    operands[-1].grad += g


# A neuron's activation -> its node's op, the function applied to w·x+b, and the rule.
_NEURON_OPS: dict[str, tuple[str, Callable[[float], float] | None, Rule]] = {
    "linear": ("w·x+b", None, _weighted_sum_rule),
    "relu": ("ReLU(w·x+b)", _relu, _relu_neuron_rule),
    "tanh": ("tanh(w·x+b)", math.tanh, _tanh_neuron_rule),
    "sigmoid": ("sigmoid(w·x+b)", _sigmoid, _sigmoid_neuron_rule),
}


def topological_order(root: Value) -> list[Value]:
    """Every node `root` depends on, each listed after all of its operands (root last).

    A depth-first search without recursion, so a graph of a million nodes works: the
    stack holds the path from `root` down to the node being explored, each node with an
    iterator over its operands that remembers how far it got. A node joins the order
    once all of its operands have. The order is the one the recursive version gives:
    operands left to right.
    """
    topo: list[Value] = []
    visited: set[Value] = {root}
    stack = [(root, iter(root._prev))]  # _prev may also be a set (micrograd's Value)
    done, visit, all_done = topo.append, visited.add, visited.issuperset  # (faster names)
    while stack:
        node, operands = stack[-1]
        for child in operands:
            if child not in visited:
                visit(child)
                # Most nodes, leaves included, find all their operands done already: a
                # single set operation settles them, without a loop over the operands.
                if all_done(child._prev):
                    done(child)
                else:  # explore child first, come back to node afterwards
                    stack.append((child, iter(child._prev)))
                    break
        else:  # every operand of node is in the order
            stack.pop()
            done(node)
    return topo


def weighted_sum(weights: Sequence[Value | Number], inputs: Sequence[Value | Number],
                 bias: Value | Number, activation: str = "linear") -> Value:
    """bias + w0*x0 + w1*x1 + ... as a single node: a neuron's pre-activation, or with
    `activation` ('relu', 'tanh' or 'sigmoid') the neuron's output, act(w·x+b).

    The same numbers as chaining `*` and `+` (summed in the same order), then calling the
    activation's method: one node instead of 2n, plus one for the activation. A smaller
    graph is what makes training fast. Weights, inputs and bias are Values or plain numbers (which become
    constants).
    """
    ws, xs = _as_values(weights, "weights"), _as_values(inputs, "inputs")
    return _weighted_sum(ws, xs, _lift(bias), activation)


def _as_values(seq: object, what: str) -> Sequence[Value]:
    """`seq` as a sequence of Values: numbers become constants, other objects are refused.
    A dict, a set or a single number is refused too: a weighted sum needs an order."""
    if isinstance(seq, (list, tuple)) and all(map(isinstance, seq, repeat(Value))):
        return seq
    if (isinstance(seq, (Value, numbers.Number, str, bytes, Mapping, AbstractSet))
            or not isinstance(seq, Iterable) or getattr(seq, "ndim", 1) == 0):
        raise TypeError(f"weighted_sum: {what} must be a list of numbers or Values, got "
                        f"{type(seq).__name__}: {_short(seq)}")
    return [_lift(v) for v in seq]


def _weighted_sum(weights: Sequence[Value | Number], xs: Sequence[Value],
                  bias: Value | Number, activation: str = "linear") -> Value:
    """weighted_sum for inputs that are Values already (a layer checks its inputs once
    for all of its neurons)."""
    if len(xs) != len(weights):
        n = len(weights)
        raise ValueError(f"expected {n} input{'s' if n != 1 else ''} (one per weight), got {len(xs)}")
    try:
        data = bias.data
        for w, x in zip(weights, xs):
            data += w.data * x.data
    except (AttributeError, TypeError):  # a number among the weights or bias: lift, redo
        if isinstance(bias, Value) and all(map(isinstance, weights, repeat(Value))):
            raise  # nothing to lift: a Value's .data is not a number
        return _weighted_sum([_lift(w) for w in weights], xs, _lift(bias), activation)
    try:
        op, function, rule = _NEURON_OPS[activation]
    except (KeyError, TypeError):  # TypeError: a list, say, cannot be looked up
        raise ValueError(f"activation must be one of {tuple(_NEURON_OPS)}, "
                         f"got {activation!r}") from None
    if type(data) is not float:  # ints set by hand as .data: checked before the activation
        data = _to_float(data)
    if function is None:
        return _node(data, (*weights, *xs, bias), op, rule)
    if data == -math.inf and function is _relu:
        # the fused rule sends nothing back through relu's zero slope; where an operand
        # is infinite, 0 x inf must give NaN (as in PyTorch): keep w·x+b and ReLU apart
        return _node(data, (*weights, *xs, bias), "w·x+b", _weighted_sum_rule).relu()
    return _node(function(data), (*weights, *xs, bias), op, rule)


# ---- pickling and deep-copying support (see Value.__reduce__) ----------------------------
class _Earlier(list):
    """The nodes saved ahead of a node, each after its operands."""


_listed: dict[int, weakref.ref] = {}  # id(node) -> the _Earlier list that saves it


def _is_listed(node: Value) -> bool:
    """Whether a list that some pickler still holds saves `node` after its operands."""
    listing = _listed.get(id(node))
    return listing is not None and listing() is not None


def _forget(nodes: list[Value], listing: weakref.ref) -> None:
    """Called when the pickler lets go of a list: its nodes are no longer listed."""
    for node in nodes:
        if _listed.get(id(node)) is listing:
            del _listed[id(node)]


def _unlisted_below(root: Value) -> list[Value]:
    """The nodes below `root` that have operands and are not listed yet, each after its
    operands (the search stops at listed nodes: their own list covers what is below)."""
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, operands_done = stack.pop()
        if operands_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(tuple(node._prev))
                         if child._prev and child not in seen and not _is_listed(child))
    return order[:-1]  # all but root itself


def _rebuild(earlier: list, data: float, grad, prev: tuple, op: str, label: str,
             rule: Rule) -> Value:
    """One node back from pickle or deepcopy (`earlier` only made its operands come first)."""
    node = Value(data, prev, op, label, rule)
    node.grad = grad
    return node
