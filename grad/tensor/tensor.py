"""Tensor: the same autograd as `Value`, on NumPy arrays.

A Tensor holds an array (`data`) and, after `backward()`, an array of the same shape
(`grad`). Every operation has the shape of the scalar engine's: compute the result, and
give it a backward rule `rule(out)` that adds each operand's share of `out.grad`. Only
tensors that need a gradient (`requires_grad=True`, or computed from one) are recorded
in the graph; the rest are constants and cost nothing in `backward()`.

Broadcasting: when NumPy stretches an operand to match a bigger one, every copy of an
entry contributes to the result, so its gradient is the *sum* over the copies
(`_unbroadcast`).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from grad.engine import topological_order

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
Rule = Callable[["Tensor"], None]


def _to_array(data: Any) -> np.ndarray:
    """Check `data` and turn it into a float array (float64 unless already floating)."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor(t) with a Tensor t: use t itself, or t.detach() for a copy without history")
    try:
        array = np.asarray(data)
    except (ValueError, TypeError) as e:  # ragged nested lists, for example
        raise TypeError(f"Tensor needs numbers in a regular (rectangular) shape: {e}") from None
    if array.dtype.kind in "biu":
        return array.astype(np.float64)
    if array.dtype.kind == "f":
        return array
    shown = repr(data)
    shown = shown if len(shown) < 60 else shown[:57] + "..."
    raise TypeError(f"Tensor needs real numbers, got {array.dtype} data: {shown}")


class Tensor:
    """An n-dimensional array that records how it was computed.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]])
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_rule", "label")
    __array_priority__ = 1000  # `ndarray + Tensor` calls Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = ""):
        self.data = _to_array(data)
        self.grad: Optional[np.ndarray] = None
        self.requires_grad = bool(requires_grad)
        self._prev: tuple = ()
        self._op = ""
        self._rule: Optional[Rule] = None
        self.label = label

    @staticmethod
    def _result(data: np.ndarray, operands: tuple, op: str, rule: Rule) -> Tensor:
        """A new tensor computed from `operands`; recorded only if one of them needs grad."""
        out = Tensor.__new__(Tensor)
        out.data, out.grad, out._op, out.label = data, None, op, ""
        for t in operands:
            if t.requires_grad:
                out.requires_grad, out._prev, out._rule = True, operands, rule
                return out
        out.requires_grad, out._prev, out._rule = False, (), None
        return out

    # ---- basics ------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{grad})"

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """The same numbers, without history (a constant)."""
        return Tensor(self.data)

    # ---- backpropagation ---------------------------------------------------------------
    def backward(self, gradient: Optional[ArrayLike] = None) -> None:
        """Fill .grad of every tensor this one depends on that requires a gradient.

        A scalar output seeds its own gradient with 1; any other output needs a
        `gradient` of its shape. As with Value, leaves accumulate across calls and
        intermediate tensors are recomputed.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad: nothing to "
                               "differentiate (create the inputs with requires_grad=True)")
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a scalar output; this one "
                                   f"has shape {self.shape} (pass backward(gradient) of that shape)")
            seed = np.ones_like(self.data)
        else:
            seed = _to_array(gradient.data if isinstance(gradient, Tensor) else gradient)
            if seed.shape != self.shape:
                raise ValueError(f"backward(gradient): gradient shape {seed.shape} does not match "
                                 f"the output's shape {self.shape}")
        topo = topological_order(self)
        for node in topo:
            if node._prev:
                node.grad = None
        _accumulate(self, seed)
        for node in reversed(topo):
            if node._prev and node.grad is not None:
                node._rule(node)

    # ---- arithmetic with broadcasting --------------------------------------------------
    def __add__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        return Tensor._result(self.data + other.data, (self, other), "+", _add_rule)

    def __sub__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        return Tensor._result(self.data - other.data, (self, other), "-", _sub_rule)

    def __mul__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        return Tensor._result(self.data * other.data, (self, other), "*", _mul_rule)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        if not other.data.all():
            raise ZeroDivisionError(f"division by zero: the divisor (shape {other.shape}) has "
                                    f"{other.size - np.count_nonzero(other.data)} zero entries")
        return Tensor._result(self.data / other.data, (self, other), "/", _div_rule)

    def __pow__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        base, k = self.data, other.data
        if (base < 0).any() and not (k == np.round(k)).all():
            raise ValueError("pow: a negative base to a fractional power is not a real number")
        if other.requires_grad and (base < 0).any():
            raise ValueError("pow: the derivative with respect to the exponent needs a positive "
                             "base (log of a negative number)")
        if (base == 0).any() and (k < 0).any():
            raise ZeroDivisionError("pow: zero to a negative power divides by zero")
        with np.errstate(over="ignore"):
            data = base ** k
        if np.isinf(data).any() and np.isfinite(base).all():
            raise OverflowError("pow: the result is too large for a float")
        return Tensor._result(data, (self, other), "**", _pow_rule)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        other = _lift(other)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul needs tensors with at least one dimension (use * for scalars)")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last "
                             f"dimension of the first must equal the "
                             f"{'second-to-last' if b.ndim > 1 else 'only'} dimension of the second")
        return Tensor._result(a @ b, (self, other), "@", _matmul_rule)

    def __neg__(self) -> Tensor:
        return Tensor._result(-self.data, (self,), "neg", _neg_rule)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _lift(other) + self

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _lift(other) - self

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _lift(other) * self

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _lift(other) / self

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return _lift(other) ** self

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _lift(other) @ self

    # ---- elementwise functions ---------------------------------------------------------
    def exp(self) -> Tensor:
        with np.errstate(over="ignore"):
            e = np.exp(self.data)
        if np.isinf(e).any() and np.isfinite(self.data).all():
            raise OverflowError(f"exp overflows: the largest input, {self.data.max()}, gives a "
                                "result above the largest float (about 1.8e308)")
        return Tensor._result(e, (self,), "exp", _exp_rule)

    def log(self) -> Tensor:
        if not (self.data > 0).all():
            raise ValueError(f"log needs positive numbers; the smallest input is {self.data.min()}")
        return Tensor._result(np.log(self.data), (self,), "log", _log_rule)

    def tanh(self) -> Tensor:
        return Tensor._result(np.tanh(self.data), (self,), "tanh", _tanh_rule)

    def sigmoid(self) -> Tensor:
        return Tensor._result(_sigmoid(self.data), (self,), "sigmoid", _sigmoid_rule)

    def relu(self) -> Tensor:
        return Tensor._result(np.maximum(self.data, 0.0), (self,), "ReLU", _relu_rule)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`, shifted by the max so nothing overflows."""
        _check_axis(axis, self.ndim)
        e = np.exp(self.data - self.data.max(axis=axis, keepdims=True))
        s = e / e.sum(axis=axis, keepdims=True)
        return Tensor._result(s, (self,), "softmax", lambda out: _softmax_rule(out, axis))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(exp(x))) along `axis`, computed with the log-sum-exp trick."""
        _check_axis(axis, self.ndim)
        shifted = self.data - self.data.max(axis=axis, keepdims=True)
        data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return Tensor._result(data, (self,), "log_softmax", lambda out: _log_softmax_rule(out, axis))

    # ---- reductions --------------------------------------------------------------------
    def sum(self, axis: Union[int, tuple, None] = None, keepdims: bool = False) -> Tensor:
        _check_axis(axis, self.ndim)
        return Tensor._result(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum",
                              lambda out: _sum_rule(out, axis, keepdims))

    def mean(self, axis: Union[int, tuple, None] = None, keepdims: bool = False) -> Tensor:
        _check_axis(axis, self.ndim)
        n = self.data.size // max(np.asarray(self.data.sum(axis=axis, keepdims=True)).size, 1)
        return Tensor._result(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean",
                              lambda out: _sum_rule(out, axis, keepdims, scale=1.0 / n))

    def max(self, axis: Union[int, tuple, None] = None, keepdims: bool = False) -> Tensor:
        """The largest entries along `axis`. Where several entries tie for the maximum,
        the gradient is shared equally among them (as PyTorch's amax and max() do)."""
        _check_axis(axis, self.ndim)
        if self.data.size == 0:
            raise ValueError("max of an empty tensor")
        return Tensor._result(self.data.max(axis=axis, keepdims=keepdims), (self,), "max",
                              lambda out: _max_rule(out, axis, keepdims))

    # ---- shape -------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} "
                             f"({self.size} entries) into shape {tuple(shape)}") from None
        return Tensor._result(data, (self,), "reshape", _reshape_rule)

    def transpose(self, *axes) -> Tensor:
        axes = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        axes = tuple(axes) or tuple(reversed(range(self.ndim)))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: {axes} is not an ordering of the {self.ndim} axes")
        return Tensor._result(self.data.transpose(axes), (self,), "transpose",
                              lambda out: _transpose_rule(out, axes))

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def __getitem__(self, index) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data.astype(np.intp) if index.data.dtype.kind == "f" else index.data
        return Tensor._result(self.data[index], (self,), "index", lambda out: _index_rule(out, index))


# ---- helpers -----------------------------------------------------------------------------
def _lift(x: ArrayLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_axis(axis, ndim: int) -> None:
    for a in (axis if isinstance(axis, tuple) else (axis,)):
        if a is not None and not -max(ndim, 1) <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _accumulate(t: Tensor, g: np.ndarray) -> None:
    """Add `g` to t.grad (never in place: gradient arrays may be shared)."""
    if t.requires_grad:
        t.grad = g if t.grad is None else t.grad + g


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `g` down to `shape`, undoing NumPy's broadcasting."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def _expand_reduced(g: np.ndarray, shape: tuple, axis, keepdims: bool) -> np.ndarray:
    """Put back the reduced axes (as size 1) so `g` broadcasts against the input."""
    if axis is not None and not keepdims:
        axes = axis if isinstance(axis, tuple) else (axis,)
        g = np.expand_dims(g, tuple(a % len(shape) for a in axes))
    return g


# ---- backward rules ------------------------------------------------------------------------
def _add_rule(out: Tensor) -> None:
    a, b = out._prev
    _accumulate(a, _unbroadcast(out.grad, a.data.shape))
    _accumulate(b, _unbroadcast(out.grad, b.data.shape))


def _sub_rule(out: Tensor) -> None:
    a, b = out._prev
    _accumulate(a, _unbroadcast(out.grad, a.data.shape))
    if b.requires_grad:
        _accumulate(b, _unbroadcast(-out.grad, b.data.shape))


def _mul_rule(out: Tensor) -> None:
    a, b = out._prev
    if a.requires_grad:
        _accumulate(a, _unbroadcast(out.grad * b.data, a.data.shape))
    if b.requires_grad:
        _accumulate(b, _unbroadcast(out.grad * a.data, b.data.shape))


def _div_rule(out: Tensor) -> None:
    a, b = out._prev
    if a.requires_grad:
        _accumulate(a, _unbroadcast(out.grad / b.data, a.data.shape))
    if b.requires_grad:
        _accumulate(b, _unbroadcast(-out.grad * out.data / b.data, b.data.shape))


def _pow_rule(out: Tensor) -> None:
    a, b = out._prev
    if a.requires_grad:
        k = b.data
        slope = np.where(k == 0, 0.0, k * a.data ** np.where(k == 0, 1.0, k - 1))
        _accumulate(a, _unbroadcast(out.grad * slope, a.data.shape))
    if b.requires_grad:
        log_a = np.log(np.where(a.data > 0, a.data, 1.0))  # d/dk a**k = a**k log a; 0 where a == 0
        _accumulate(b, _unbroadcast(out.grad * out.data * log_a, b.data.shape))


def _matmul_rule(out: Tensor) -> None:
    a, b = out._prev
    A, B, g = a.data, b.data, out.grad
    if A.ndim == 1 and B.ndim == 1:  # dot product
        _accumulate(a, g * B)
        _accumulate(b, g * A)
        return
    A2 = A[None, :] if A.ndim == 1 else A   # treat vectors as 1-row / 1-column matrices
    B2 = B[:, None] if B.ndim == 1 else B
    g2 = g
    if A.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if B.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    if a.requires_grad:
        ga = g2 @ np.swapaxes(B2, -1, -2)
        if A.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        _accumulate(a, _unbroadcast(ga, A.shape))
    if b.requires_grad:
        gb = np.swapaxes(A2, -1, -2) @ g2
        if B.ndim == 1:
            gb = gb[..., 0]
        _accumulate(b, _unbroadcast(gb, B.shape))


def _neg_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], -out.grad)


def _exp_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], out.grad * out.data)


def _log_rule(out: Tensor) -> None:
    a, = out._prev
    _accumulate(a, out.grad / a.data)


def _tanh_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], out.grad * (1.0 - out.data * out.data))


def _sigmoid_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], out.grad * out.data * (1.0 - out.data))


def _relu_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], out.grad * (out.data > 0))


def _softmax_rule(out: Tensor, axis: int) -> None:
    s, g = out.data, out.grad
    _accumulate(out._prev[0], s * (g - (g * s).sum(axis=axis, keepdims=True)))


def _log_softmax_rule(out: Tensor, axis: int) -> None:
    g = out.grad
    _accumulate(out._prev[0], g - np.exp(out.data) * g.sum(axis=axis, keepdims=True))


def _sum_rule(out: Tensor, axis, keepdims: bool, scale: float = 1.0) -> None:
    a, = out._prev
    g = _expand_reduced(out.grad, a.data.shape, axis, keepdims)
    if scale != 1.0:
        g = g * scale
    _accumulate(a, np.broadcast_to(g, a.data.shape))


def _max_rule(out: Tensor, axis, keepdims: bool) -> None:
    a, = out._prev
    m = _expand_reduced(out.data, a.data.shape, axis, keepdims)
    g = _expand_reduced(out.grad, a.data.shape, axis, keepdims)
    winners = a.data == m
    _accumulate(a, winners * (g / winners.sum(axis=axis, keepdims=True)))


def _reshape_rule(out: Tensor) -> None:
    a, = out._prev
    _accumulate(a, out.grad.reshape(a.data.shape))


def _transpose_rule(out: Tensor, axes: tuple) -> None:
    _accumulate(out._prev[0], out.grad.transpose(np.argsort(axes)))


def _index_rule(out: Tensor, index) -> None:
    a, = out._prev
    g = np.zeros_like(a.data)
    np.add.at(g, index, out.grad)  # add.at: an entry picked twice gets both gradients
    _accumulate(a, g)
