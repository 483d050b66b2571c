"""Tensor: the same autograd as `Value`, on NumPy arrays.

A Tensor holds an array (`data`) and, after `backward()`, an array of the same shape
(`grad`). Every operation has the shape of the scalar engine's: compute the result, and
give it a backward rule `rule(out)` that adds each operand's share of `out.grad`. Only
tensors that need a gradient (`requires_grad=True`, or computed from one) are recorded
in the graph; the rest are constants and cost nothing in `backward()`.

Broadcasting: when NumPy stretches an operand to match a bigger one, every copy of an
entry contributes to the result, so its gradient is the *sum* over the copies
(`_unbroadcast`).

The rules every operation follows (PyTorch's, except where PyTorch gives no number):

- Forward: an entry whose inputs are finite numbers but which has no real answer is
  refused, with an error that names the first such entry: log of a number <= 0, division
  by zero, a negative base to a fractional power, exp or pow overflowing. Only those
  entries count, never their neighbours: `Tensor([-2., 4.]) ** Tensor([2., 0.5])` is
  `[4., 2.]`. NaN and inf that arrive as input propagate as in PyTorch (log(nan) is nan,
  relu(nan) is nan, inf / 0 is inf).
- Backward never raises where the forward value exists: it follows IEEE arithmetic as
  PyTorch does (the slope of `x ** 0.5` at 0 is inf), without NumPy's warnings.
- Dtypes: bool and integer data stay bool and integer (masks, indices, class labels),
  float32 stays float32. Operands combine as in PyTorch: the higher kind wins (bool <
  integer < float), and within a kind a tensor with dimensions outranks a 0-d tensor,
  which outranks a plain number (a float32 tensor times 2.0 is float32). Only floating
  tensors take gradients, and a gradient has the dtype of its tensor.
- Axes as in PyTorch: an int, a tuple or a list, negative ones counting from the end.
- Every tensor's gradient is its own writable array, shared with no other tensor.
"""
from __future__ import annotations

import numbers
from functools import partial, wraps
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from grad.engine import topological_order

ArrayLike = Union["Tensor", np.ndarray, float, int, Sequence]
Rule = Callable[["Tensor"], None]
Axis = Union[int, Sequence[int], None]


class AxisError(IndexError, ValueError):
    """An axis outside the tensor's dimensions (an IndexError, as in PyTorch)."""


class DtypeError(TypeError, RuntimeError):
    """Data of a dtype the operation cannot take (a RuntimeError in PyTorch)."""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit together (a RuntimeError in PyTorch)."""


_grad_enabled = True  # False inside `with no_grad():` (one switch for the whole process)


class no_grad:
    """`with no_grad():` (or `@no_grad()` on a function): operations record no graph, so
    their results have requires_grad=False and keep no operands alive, as in PyTorch.
    For sampling and evaluation, where no backward() follows. Nests; not per thread."""

    def __enter__(self) -> None:
        global _grad_enabled
        self._before, _grad_enabled = _grad_enabled, False

    def __exit__(self, *exc) -> None:
        global _grad_enabled
        _grad_enabled = self._before

    def __call__(self, f: Callable) -> Callable:
        @wraps(f)
        def without_grad(*args, **kwargs):
            with no_grad():
                return f(*args, **kwargs)
        return without_grad


def is_grad_enabled() -> bool:
    """False inside `no_grad()`: operations then record no graph."""
    return _grad_enabled


_RANK = {"b": 0, "i": 1, "u": 1, "f": 2}  # bool < integer < float


def _shown(x: Any) -> str:
    text = repr(x)
    return text if len(text) < 60 else text[:57] + "..."


def _to_array(data: Any, copy: bool = True) -> np.ndarray:
    """Check `data` and make it an array of bools, integers or floats. Python ints become
    int64 and Python floats float64 (as in PyTorch with float64 as the default)."""
    if isinstance(data, Tensor):
        raise TypeError("Tensor(t) with a Tensor t: use t itself, or t.detach() for the same "
                        "numbers without history")
    try:
        array = np.array(data) if copy else np.asarray(data)
    except (ValueError, TypeError) as e:  # ragged nested lists, for example
        raise TypeError(f"Tensor needs numbers in a regular (rectangular) shape: {e}") from None
    if array.dtype.kind not in _RANK:
        raise TypeError(f"Tensor needs real numbers, got {array.dtype} data: {_shown(data)}")
    if array.dtype.kind in "iu" and not isinstance(data, (np.ndarray, np.generic)):
        array = array.astype(np.int64)  # NumPy's default int is 32-bit on some systems
    return array


class Tensor:
    """An n-dimensional array that records how it was computed.

    >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([[2., 4.],
           [6., 8.]])

    `Tensor(data)` copies `data` (as `torch.tensor` does); `dtype` converts it.
    Comparisons (`<`, `<=`, `>`, `>=`) give boolean masks; `==` keeps Python's meaning
    (the same object), so tensors stay usable in sets and graphs.
    """

    __slots__ = ("data", "grad", "_requires_grad", "_prev", "_op", "_rule", "label", "_pickling")
    __array_priority__ = 1000  # `ndarray + Tensor` calls Tensor.__radd__

    def __init__(self, data: ArrayLike, requires_grad: bool = False, label: str = "",
                 dtype: Any = None):
        array = _to_array(data)
        if dtype is not None:
            if np.dtype(dtype).kind not in _RANK:
                raise TypeError(f"dtype must be a bool, integer or floating dtype, got {dtype!r}")
            array = array.astype(dtype)
        _fill(self, array)
        self.requires_grad = requires_grad
        self.label = label

    @staticmethod
    def _wrap(array: np.ndarray) -> Tensor:
        """A constant around `array` itself (no copy, no checks)."""
        return _fill(Tensor.__new__(Tensor), array)

    @staticmethod
    def _result(data: np.ndarray, operands: tuple, op: str, rule: Rule) -> Tensor:
        """A new tensor computed from `operands`; recorded only if one of them needs grad
        (and the result is floating: integer and boolean results have no gradient)."""
        out = Tensor._wrap(np.asarray(data))
        out._op = op
        if out.data.dtype.kind == "f" and _grad_enabled:
            for t in operands:
                if t._requires_grad:
                    out._requires_grad, out._prev, out._rule = True, operands, rule
                    break
        return out

    # ---- basics ------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise DtypeError(f"only Tensors of floating point dtype can require gradients; this "
                             f"one is {self.dtype}: create it from floats (Tensor([1.0, 2.0])) or "
                             f"pass dtype=np.float64")
        self._requires_grad = bool(value)

    def requires_grad_(self, value: bool = True) -> Tensor:
        """Set requires_grad in place and return the tensor (as in PyTorch)."""
        self.requires_grad = value
        return self

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
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.data)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with {self.data.size} values is "
                               f"ambiguous: test one entry (t[0]), or t.data.any() / t.data.all()")
        return bool(self.data.reshape(()))

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        dtype = "" if self.dtype in (np.float64, np.int64, np.bool_) else f", dtype={self.dtype}"
        grad = ", requires_grad=True" if self._requires_grad else ""
        return f"Tensor({body}{dtype}{grad})"

    def __format__(self, spec: str) -> str:
        return format(self.item(), spec) if self.ndim == 0 else object.__format__(self, spec)

    def item(self) -> Union[float, int, bool]:
        """The one entry as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """The same numbers (the same array, as in PyTorch), without history."""
        return Tensor._wrap(self.data)

    def to(self, dtype: Any) -> Tensor:
        """A copy in another dtype; gradients flow back through floating conversions."""
        dtype = np.dtype(dtype)
        if dtype.kind not in _RANK:
            raise TypeError(f"dtype must be a bool, integer or floating dtype, got {dtype!r}")
        if dtype == self.dtype:
            return self
        return Tensor._result(self.data.astype(dtype), (self,), f"to({dtype})", _cast_rule)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def float(self) -> Tensor:
        """float32, as PyTorch's `.float()`."""
        return self.to(np.float32)

    def long(self) -> Tensor:
        return self.to(np.int64)

    # ---- backpropagation ---------------------------------------------------------------
    def backward(self, gradient: Optional[ArrayLike] = None) -> None:
        """Fill .grad of every tensor this one depends on that requires a gradient.

        A scalar output seeds its own gradient with 1; any other output needs a
        `gradient` of its shape (copied, never kept). As with Value, leaves accumulate
        across calls and intermediate tensors are recomputed.
        """
        if not self._requires_grad:
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
        with np.errstate(all="ignore"):  # inf and nan slopes are intended (IEEE, as in PyTorch)
            _accumulate(self, seed)
            for node in reversed(topo):
                if node._prev and node.grad is not None:
                    node._rule(node)

    # ---- arithmetic with broadcasting --------------------------------------------------
    def __add__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "+", np.add, _add_rule)

    def __radd__(self, other: ArrayLike) -> Tensor:
        return _binary(other, self, "+", np.add, _add_rule)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return _binary(_no_bool(self, "-"), _no_bool(other, "-"), "-", np.subtract, _sub_rule)

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return _binary(_no_bool(other, "-"), _no_bool(self, "-"), "-", np.subtract, _sub_rule)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "*", np.multiply, _mul_rule)

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return _binary(other, self, "*", np.multiply, _mul_rule)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "/", _divide, _div_rule, floating=True)

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return _binary(other, self, "/", _divide, _div_rule, floating=True)

    def __pow__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "**", _power, _pow_rule)

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return _binary(other, self, "**", _power, _pow_rule)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return _matmul(self, _operand(other, scalars=False))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return _matmul(_operand(other, scalars=False), self)

    def __neg__(self) -> Tensor:
        return Tensor._result(-_no_bool(self, "-").data, (self,), "neg", _neg_rule)

    # comparisons give boolean masks (no gradient)
    def __lt__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "<", np.less, None)

    def __le__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, "<=", np.less_equal, None)

    def __gt__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, ">", np.greater, None)

    def __ge__(self, other: ArrayLike) -> Tensor:
        return _binary(self, other, ">=", np.greater_equal, None)

    def __invert__(self) -> Tensor:
        """~mask: logical not of a boolean tensor (bitwise not of an integer one)."""
        if self.dtype.kind == "f":
            raise DtypeError("~ needs a boolean (or integer) tensor, this one is floating")
        return Tensor._wrap(~self.data)

    # ---- elementwise functions ---------------------------------------------------------
    def exp(self) -> Tensor:
        x = _floating(self.data)
        with np.errstate(over="ignore"):
            e = np.exp(x)
        _refuse((np.isinf(e) & np.isfinite(x), OverflowError, lambda i: (
            f"exp overflows: exp({x[i]}){_at(i)} is above the largest {x.dtype} "
            f"({np.finfo(x.dtype).max:.3g})")))
        return Tensor._result(e, (self,), "exp", _exp_rule)

    def log(self) -> Tensor:
        x = _floating(self.data)
        _refuse(((x <= 0) & np.isfinite(x), ValueError, lambda i: (
            f"log needs positive numbers, got {x[i]}{_at(i)}")))
        with np.errstate(invalid="ignore"):  # log(-inf) is nan, as in PyTorch
            return Tensor._result(np.log(x), (self,), "log", _log_rule)

    def tanh(self) -> Tensor:
        return Tensor._result(np.tanh(_floating(self.data)), (self,), "tanh", _tanh_rule)

    def sigmoid(self) -> Tensor:
        return Tensor._result(_sigmoid(_floating(self.data)), (self,), "sigmoid", _sigmoid_rule)

    def relu(self) -> Tensor:
        if self.dtype == np.bool_:
            raise DtypeError("relu of a boolean tensor: convert it first, t.double().relu()")
        return Tensor._result(np.maximum(self.data, self.data.dtype.type(0)), (self,), "ReLU",
                              _relu_rule)

    def masked_fill(self, mask: Tensor, value: Union[numbers.Number, Tensor]) -> Tensor:
        """A copy with `value` wherever the boolean `mask` is True, as PyTorch's: the mask
        broadcasts against the tensor, `value` is a number or a 0-d Tensor converted to this
        tensor's dtype. Filled entries pass no gradient back (a 0-d `value` Tensor gets
        their sum). `x.masked_fill(~causal, -np.inf)` before a softmax hides the future."""
        m = mask.data if isinstance(mask, Tensor) else mask
        if not isinstance(m, np.ndarray):
            raise TypeError(f"masked_fill(mask, value): mask must be a boolean Tensor, got "
                            f"{type(mask).__name__}: wrap it, Tensor(mask)")
        if m.dtype != np.bool_:
            raise DtypeError(f"masked_fill only takes boolean masks, got a {m.dtype} mask: "
                             f"compare to make one (mask == 1 is written mask > 0.5, or t.data != 0)")
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"masked_fill takes a 0-dimensional value tensor, got one "
                                   f"with shape {value.shape}: write value.item() or t.where")
            fill = value.data
        elif isinstance(value, (numbers.Real, np.bool_)):
            fill = value
        else:
            raise TypeError(f"masked_fill: value must be a number or a 0-d Tensor, got {_shown(value)}")
        if not _fits(fill, self.dtype):
            raise RuntimeError(f"masked_fill: the value {fill} does not fit a {self.dtype} tensor")
        try:
            np.broadcast_shapes(self.shape, m.shape)
        except ValueError:
            raise ShapeError(f"masked_fill: a mask of shape {m.shape} does not broadcast against "
                             f"a tensor of shape {self.shape}") from None
        data = np.where(m, np.asarray(fill).astype(self.dtype), self.data)
        operands = (self, value) if isinstance(value, Tensor) else (self,)
        return Tensor._result(data, operands, "masked_fill", partial(_masked_fill_rule, mask=m))

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`, shifted by the max so nothing overflows."""
        axes = _one_axis(axis, self.ndim)
        x = _need_float(self, "softmax")
        with np.errstate(invalid="ignore"):  # a row of -inf (or with +inf) gives nan, as in PyTorch
            e = np.exp(x - x.max(axis=axes, keepdims=True, initial=-np.inf))  # initial: empty axes
            s = e / e.sum(axis=axes, keepdims=True)
        return Tensor._result(s, (self,), "softmax", partial(_softmax_rule, axes=axes))

    def log_softmax(self, axis: int = -1) -> Tensor:
        """x - log(sum(exp(x))) along `axis`, computed with the log-sum-exp trick."""
        axes = _one_axis(axis, self.ndim)
        x = _need_float(self, "log_softmax")
        # log(0) only for an empty axis, whose result is empty; a row of -inf gives nan, as in PyTorch
        with np.errstate(divide="ignore", invalid="ignore"):
            shifted = x - x.max(axis=axes, keepdims=True, initial=-np.inf)
            data = shifted - np.log(np.exp(shifted).sum(axis=axes, keepdims=True))
        return Tensor._result(data, (self,), "log_softmax", partial(_log_softmax_rule, axes=axes))

    # ---- reductions --------------------------------------------------------------------
    def sum(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The sum over `axis` (all axes by default; booleans and integers sum to int64)."""
        axes = _axes(axis, self.ndim)
        dtype = np.int64 if self.dtype.kind in "biu" else None
        return Tensor._result(self.data.sum(axis=axes, keepdims=keepdims, dtype=dtype), (self,),
                              "sum", partial(_sum_rule, axes=axes, keepdims=keepdims))

    def mean(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The mean over `axis`; over no entries at all it is nan, as in PyTorch."""
        axes = _axes(axis, self.ndim)
        x = _need_float(self, "mean")
        n = _count(self.shape, axes)
        with np.errstate(invalid="ignore"):
            data = x.sum(axis=axes, keepdims=keepdims) / n
        return Tensor._result(data, (self,), "mean",
                              partial(_sum_rule, axes=axes, keepdims=keepdims, scale=1 / max(n, 1)))

    def max(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The largest entries along `axis`. Entries that tie for the maximum share its
        gradient equally, as in PyTorch's `max()` over everything and `amax(dim)`."""
        return self._extreme(np.max, "max", axis, keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> Tensor:
        """The smallest entries along `axis`; ties share the gradient, as in `max`."""
        return self._extreme(np.min, "min", axis, keepdims)

    def _extreme(self, reduce, name: str, axis: Axis, keepdims: bool) -> Tensor:
        axes = _axes(axis, self.ndim)
        if axes is None and self.size == 0:
            raise RuntimeError(f"{name}() of an empty tensor (shape {self.shape}) has no answer; "
                               f"give an axis whose length is not 0")
        for a in axes or ():
            if self.shape[a] == 0:
                raise IndexError(f"{name} along axis {a}, which has length 0 (shape {self.shape}): "
                                 f"there is no entry to pick")
        return Tensor._result(reduce(self.data, axis=axes, keepdims=keepdims), (self,), name,
                              partial(_extreme_rule, axes=axes, keepdims=keepdims))

    # ---- shape -------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor:
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        try:
            data = self.data.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"cannot reshape a tensor of shape {self.shape} "
                             f"({self.size} entries) into shape {tuple(shape)}") from None
        return Tensor._result(data, (self,), "reshape", _reshape_rule)

    def permute(self, *dims) -> Tensor:
        """The axes in a new order: `x.permute(2, 0, 1)` (or a tuple) makes axis 2 first."""
        dims = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        if len(dims) != self.ndim:
            raise RuntimeError(f"permute{dims} orders {len(dims)} axes, but the tensor has "
                               f"{self.ndim} (shape {self.shape}): list each axis once")
        order = tuple(_axis(d, self.ndim) for d in dims)
        if len(set(order)) != len(order):
            raise RuntimeError(f"permute{dims} lists an axis twice: list each axis once")
        return self._reordered(order, "permute")

    def transpose(self, *dims) -> Tensor:
        """Swap two axes, as PyTorch's `transpose(dim0, dim1)` (negative axes count from the end)."""
        if len(dims) != 2:
            hint = f"permute{dims}" if len(dims) == self.ndim > 2 else "permute(...)"
            raise TypeError(f"transpose(dim0, dim1) swaps two axes (as in PyTorch), got "
                            f"transpose{dims}; to put every axis in a new order use {hint}, "
                            f"to reverse them all .T")
        i, j = (_axis(d, self.ndim) for d in dims)
        order = list(range(self.ndim))
        if order:
            order[i], order[j] = order[j], order[i]
        return self._reordered(tuple(order), "transpose")

    @property
    def T(self) -> Tensor:
        """Every axis reversed (for a matrix, its transpose)."""
        return self._reordered(tuple(reversed(range(self.ndim))), "T")

    @property
    def mT(self) -> Tensor:
        """The last two axes swapped: a batch of matrices, each transposed."""
        if self.ndim == 1:
            raise RuntimeError("mT needs a matrix or a batch of matrices, got a 1-D tensor")
        return self.transpose(-2, -1) if self.ndim else self._reordered((), "mT")

    def _reordered(self, order: tuple, op: str) -> Tensor:
        return Tensor._result(self.data.transpose(order), (self,), op,
                              partial(_permute_rule, order=order))

    def __getitem__(self, index) -> Tensor:
        key = _index_key(index)
        return Tensor._result(self.data[key], (self,), "index", partial(_index_rule, key=key))

    # ---- pickling and copying ----------------------------------------------------------
    def __reduce__(self):
        fields = (self.data, self.grad, self._requires_grad, self._prev, self._op, self._rule,
                  self.label)
        session, self._pickling = self._pickling, None
        if not self._prev or (session is not None and not session.done):
            return _restore, fields
        # Pickle (and deepcopy) would reach the operands through `_prev`: one level of
        # recursion per level of the graph, too deep for a long chain. So the history goes
        # first, as a flat list in topological order; each entry's operands are then
        # already pickled and are only referred to. The session, pickled after the list,
        # marks the end (a tensor of a failed pickle only loses this shortcut).
        session = _PickleSession()
        history = topological_order(self)[:-1]
        for node in history:
            node._pickling = session
        return _restore_after, (history, session, fields)

    def __copy__(self) -> Tensor:
        return _restore(self.data, self.grad, self._requires_grad, self._prev, self._op,
                        self._rule, self.label)


# ---- construction, pickling ------------------------------------------------------------------
def _fill(t: Tensor, array: np.ndarray) -> Tensor:
    t.data, t.grad, t._requires_grad, t._prev, t._op, t._rule = array, None, False, (), "", None
    t.label, t._pickling = "", None
    return t


def _restore(data, grad, requires_grad, prev, op, rule, label) -> Tensor:
    t = _fill(Tensor.__new__(Tensor), data)
    t.grad, t._requires_grad, t._prev, t._op, t._rule, t.label = grad, requires_grad, prev, op, rule, label
    return t


def _restore_after(history, session, fields) -> Tensor:
    return _restore(*fields)


def _nothing() -> None:
    return None


class _PickleSession:
    __slots__ = ("done",)

    def __init__(self):
        self.done = False

    def __reduce__(self):
        self.done = True
        return _nothing, ()


# ---- operands, dtypes, axes --------------------------------------------------------------------
def _operand(x: Any, scalars: bool = True) -> Union[Tensor, numbers.Number]:
    """A Tensor as it is; a plain number kept as a number (it takes the other operand's
    dtype); anything else (an array, a list) as a constant Tensor."""
    if isinstance(x, Tensor):
        return x
    if scalars and isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, np.ndarray):
        return x
    return Tensor._wrap(_to_array(x, copy=False))


def _lift(x: ArrayLike) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor._wrap(_to_array(x, copy=False))


def _number_dtype(x: Any) -> np.dtype:
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(x, numbers.Real):
        return np.dtype(np.float64)
    raise TypeError(f"Tensors combine with real numbers, got {_shown(x)}")


def _promote(a: Optional[np.dtype], b: np.dtype) -> np.dtype:
    """Two dtypes combined as PyTorch combines them: the higher kind wins, the same kind widens."""
    if a is None or _RANK[b.kind] > _RANK[a.kind]:
        return b
    return a if _RANK[a.kind] > _RANK[b.kind] else np.promote_types(a, b)


def _result_dtype(*operands) -> np.dtype:
    """The dtype of an elementwise result, by PyTorch's rule: tensors with dimensions
    decide, then 0-d tensors, then plain numbers; a later one counts only if its kind
    (bool < integer < float) is higher."""
    groups: list = [None, None, None]
    for x in operands:
        slot = (0 if x.ndim else 1) if isinstance(x, Tensor) else 2
        groups[slot] = _promote(groups[slot], x.dtype if isinstance(x, Tensor) else _number_dtype(x))
    result = None
    for dtype in groups:
        if dtype is not None and (result is None or _RANK[dtype.kind] > _RANK[result.kind]):
            result = dtype
    return result


def _binary(x: Any, y: Any, op: str, forward: Callable, rule: Optional[Rule],
            floating: bool = False) -> Tensor:
    """`forward` on the arrays of x and y in their common dtype (floating if asked);
    plain numbers become constants of that dtype."""
    x, y = _operand(x), _operand(y)
    dtype = _result_dtype(x, y)
    if floating and dtype.kind != "f":
        dtype = np.dtype(np.float64)
    x, y = (t if isinstance(t, Tensor) else Tensor._wrap(np.asarray(t, dtype)) for t in (x, y))
    a, b = x.data.astype(dtype, copy=False), y.data.astype(dtype, copy=False)
    _broadcast_shape(a.shape, b.shape, op)
    return Tensor._result(forward(a, b), (x, y), op, rule)


def _broadcast_shape(sa: tuple, sb: tuple, op: str) -> tuple:
    try:
        return np.broadcast_shapes(sa, sb)
    except ValueError:
        raise ValueError(f"{op}: shapes {sa} and {sb} do not broadcast: compared from the right, "
                         f"each pair of sizes must be equal or one of them 1") from None


def _matmul(x: Tensor, y: Tensor) -> Tensor:
    a, b = x.data, y.data
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul needs tensors with at least one dimension (use * for scalars)")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not fit: the last "
                         f"dimension of the first must equal the "
                         f"{'second-to-last' if b.ndim > 1 else 'only'} dimension of the second")
    try:  # batch dimensions (all but the last two) broadcast, as in torch.matmul
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not fit: their batch "
                         f"dimensions {a.shape[:-2]} and {b.shape[:-2]} do not broadcast "
                         f"(compared from the right, each pair equal or one of them 1)") from None
    _same_dtype("matmul", first=x, second=y)
    return Tensor._result(a @ b, (x, y), "@", _matmul_rule)


def _same_dtype(op: str, hint: Optional[Callable[[], str]] = None, **tensors: Optional[Tensor]) -> None:
    """Refuse operands of different dtypes, as PyTorch does for matrix products. `hint`
    makes the end of the message (called only when there is one to write)."""
    named = [(name, t) for name, t in tensors.items() if t is not None]
    (first, t0), *rest = named
    for name, t in rest:
        if t.dtype != t0.dtype:
            hint = hint() if hint is not None else None
            raise DtypeError(f"{op}: the {first} is {t0.dtype} but the {name} is {t.dtype}; give "
                             f"them one dtype: {first}.to(np.{t.dtype})"
                             f"{f' or {name}.to(np.{t0.dtype})' if hint is None else hint}")


def _no_bool(x: Any, op: str) -> Any:
    """Refuse a bool (tensor or True/False) where PyTorch does: subtraction, negation."""
    if isinstance(x, (bool, np.bool_)) or (isinstance(x, Tensor) and x.dtype == np.bool_):
        raise DtypeError(f"`{op}` with booleans is not supported (as in PyTorch): for the "
                         f"complement of a mask write ~mask, for numbers convert first, mask.long()")
    return x


def _fits(value: Any, dtype: np.dtype) -> bool:
    """Whether a number converts to `dtype` without overflowing (as PyTorch checks a fill)."""
    if dtype.kind == "b":
        return True
    if dtype.kind == "f":
        return not np.isfinite(value) or abs(float(value)) <= float(np.finfo(dtype).max)
    return bool(np.isfinite(value)) and np.iinfo(dtype).min <= value <= np.iinfo(dtype).max


def _floating(x: np.ndarray) -> np.ndarray:
    """Booleans and integers as float64 (as PyTorch's exp, log, tanh, ... do)."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _need_float(t: Tensor, op: str) -> np.ndarray:
    if t.dtype.kind != "f":
        raise DtypeError(f"{op} needs a floating tensor, this one is {t.dtype}: convert it "
                         f"first, t.double().{op}(...)")
    return t.data


def _axis(a: Any, ndim: int) -> int:
    """One axis, as PyTorch takes it: -ndim <= a < ndim (a 0-d tensor takes 0 and -1)."""
    if isinstance(a, bool) or not isinstance(a, numbers.Integral):
        raise TypeError(f"an axis must be an int, got {_shown(a)}")
    n = max(ndim, 1)
    if not -n <= a < n:
        raise AxisError(f"axis {a} is out of range for a tensor with {ndim} dimensions "
                        f"(expected {-n} to {n - 1})")
    return int(a) % n


def _axes(axis: Axis, ndim: int) -> Optional[tuple]:
    """The axes to reduce, non-negative, or None for all of them (also for () and [], as in
    PyTorch). On a 0-d tensor axis 0 or -1 reduces nothing: the result is the tensor."""
    if axis is None:
        return None
    dims = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not dims:
        return None
    axes = tuple(_axis(a, ndim) for a in dims)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"axis {axis} names an axis twice: list each axis once")
    return axes if ndim else ()


def _one_axis(axis: int, ndim: int) -> tuple:
    a = _axis(axis, ndim)
    return (a,) if ndim else ()


def _count(shape: tuple, axes: Optional[tuple]) -> int:
    """How many entries each result of a reduction over `axes` covers."""
    return int(np.prod([shape[a] for a in axes] if axes is not None else shape))


def _refuse(*rules: tuple) -> None:
    """Each rule is (bad, error, message): raise for the first entry, in reading order, that
    any rule marks bad, with that rule's `error` and `message(index)`."""
    first = None
    for bad, error, message in rules:
        bad = np.asarray(bad)
        if bad.any():
            flat = int(np.argmax(bad))
            if first is None or flat < first[0]:
                first = (flat, bad.shape, error, message)
    if first is not None:
        flat, shape, error, message = first
        raise error(message(np.unravel_index(flat, shape)))


def _at(i: tuple) -> str:
    """' at entry [1, 0]' for index (1, 0) of an array; nothing for a 0-d one."""
    return f" at entry {[int(n) for n in i]}" if len(i) else ""


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    shape = _broadcast_shape(a.shape, b.shape, "/")
    a, b = np.broadcast_to(a, shape), np.broadcast_to(b, shape)
    bad = (b == 0) & np.isfinite(a)
    n = int(bad.sum())
    _refuse((bad, ZeroDivisionError, lambda i: (
        f"division by zero: {a[i]} / 0{_at(i)}"
        + (f" ({n} entries have a zero divisor)" if n > 1 else ""))))
    with np.errstate(invalid="ignore", divide="ignore"):  # inf / inf is nan, inf / 0 inf
        return a / b


def _power(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    shape = _broadcast_shape(a.shape, k.shape, "**")
    a, k = np.broadcast_to(a, shape), np.broadcast_to(k, shape)
    if a.dtype.kind in "biu" and k.dtype.kind in "biu" and (k < 0).any():
        raise RuntimeError("integers to negative integer powers are not allowed: "
                           "make the base a float first, e.g. x.float() ** -1")
    finite = np.isfinite(a) & np.isfinite(k)
    with np.errstate(invalid="ignore"):
        fractional = finite & (a < 0) & (k != np.round(k))
    zero_negative = finite & (a == 0) & (k < 0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        data = a ** k
    _refuse((fractional, ValueError, lambda i: (
                f"pow: a negative base to a fractional power is not a real number: "
                f"({a[i]}) ** {k[i]}{_at(i)}")),
            (zero_negative, ZeroDivisionError, lambda i: (
                f"pow: zero to a negative power divides by zero: 0 ** {k[i]}{_at(i)}")),
            (np.isinf(data) & finite & ~zero_negative, OverflowError, lambda i: (
                f"pow: the result is too large for a {data.dtype}: {a[i]} ** {k[i]}{_at(i)}")))
    return data


def _index_key(index: Any) -> Any:
    """`index` as NumPy takes it, checked as PyTorch checks it: a Tensor, list or array in
    it holds integer positions (repeats allowed) or is a boolean mask."""
    if isinstance(index, tuple):
        return tuple(_index_part(p) for p in index)
    return _index_part(index)


def _index_part(part: Any) -> Any:
    if isinstance(part, Tensor):
        part = part.data
    elif isinstance(part, list):
        part = np.asarray(part)
        if part.size == 0:  # no entries, so no dtype: positions, as NumPy reads []
            part = part.astype(np.intp)
    if isinstance(part, np.ndarray):
        if part.dtype == np.uint8:
            raise IndexError("a uint8 index is ambiguous (PyTorch reads it as a mask, NumPy as "
                             "positions): use a bool mask or int64 positions")
        if part.dtype.kind not in "biu":
            raise IndexError(f"tensors used as indices must be integer (positions) or bool "
                             f"(a mask), got {part.dtype}: convert whole-number positions with "
                             f"idx.long()")
    elif isinstance(part, (float, np.floating)):
        raise IndexError(f"an index must be an integer, a slice, ..., None, or an integer or "
                         f"bool tensor; got the float {part}")
    return part


def _sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _accumulate(t: Tensor, g: np.ndarray, own: bool = False) -> None:
    """Add `g` to t.grad. The first gradient is copied, so a gradient is never shared with
    another tensor (rules pass the same array to several operands) and is always writable;
    `own=True` says that g is a new array the rule made for t alone, kept without a copy."""
    if t._requires_grad:
        if t.grad is None:
            t.grad = g if own and g.dtype == t.data.dtype else np.array(g, dtype=t.data.dtype)
        else:
            t.grad = np.asarray(t.grad + g).astype(t.data.dtype, copy=False)


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


def _expand_reduced(g: np.ndarray, axes: Optional[tuple], keepdims: bool) -> np.ndarray:
    """Put back the reduced axes (as size 1) so `g` broadcasts against the input."""
    return g if axes is None or keepdims else np.expand_dims(g, axes)


# ---- backward rules ------------------------------------------------------------------------
# Module-level functions (with functools.partial for their settings), so graphs pickle.
def _add_rule(out: Tensor) -> None:
    a, b = out._prev
    _accumulate(a, _unbroadcast(out.grad, a.data.shape))
    _accumulate(b, _unbroadcast(out.grad, b.data.shape))


def _sub_rule(out: Tensor) -> None:
    a, b = out._prev
    _accumulate(a, _unbroadcast(out.grad, a.data.shape))
    if b._requires_grad:
        _accumulate(b, _unbroadcast(-out.grad, b.data.shape))


def _mul_rule(out: Tensor) -> None:
    a, b = out._prev
    if a._requires_grad:
        _accumulate(a, _unbroadcast(out.grad * b.data, a.data.shape))
    if b._requires_grad:
        _accumulate(b, _unbroadcast(out.grad * a.data, b.data.shape))


def _div_rule(out: Tensor) -> None:
    a, b = out._prev
    if a._requires_grad:
        _accumulate(a, _unbroadcast(out.grad / b.data, a.data.shape))
    if b._requires_grad:
        _accumulate(b, _unbroadcast(-out.grad * out.data / b.data, b.data.shape))


def _pow_rule(out: Tensor) -> None:
    a, b = out._prev
    k = b.data
    if a._requires_grad:  # k * a**(k-1), and 0 where k == 0 (as PyTorch)
        slope = np.where(k == 0, 0.0, k * a.data ** np.where(k == 0, 1.0, k - 1.0))
        _accumulate(a, _unbroadcast(out.grad * slope, a.data.shape))
    if b._requires_grad:  # a**k log a; 0 where a == 0 and k >= 0 (as PyTorch), nan for a < 0
        slope = np.where((a.data == 0) & (k >= 0), 0.0, out.data * np.log(a.data))
        _accumulate(b, _unbroadcast(out.grad * slope, b.data.shape))


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
    if a._requires_grad:
        ga = g2 @ np.swapaxes(B2, -1, -2)
        if A.ndim == 1:
            ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        _accumulate(a, _unbroadcast(ga, A.shape))
    if b._requires_grad:
        gb = np.swapaxes(A2, -1, -2) @ g2
        if B.ndim == 1:
            gb = gb[..., 0]
        _accumulate(b, _unbroadcast(gb, B.shape))


def _neg_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], -out.grad)


def _cast_rule(out: Tensor) -> None:
    _accumulate(out._prev[0], out.grad)  # _accumulate converts to the operand's dtype


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
    # zero where the output is <= 0; a NaN passes its gradient through, as in PyTorch
    _accumulate(out._prev[0], np.where(out.data <= 0, 0.0, out.grad), own=True)


def _masked_fill_rule(out: Tensor, mask: np.ndarray) -> None:
    a, *value = out._prev
    if a._requires_grad:
        _accumulate(a, _unbroadcast(np.where(mask, 0.0, out.grad), a.data.shape))
    if value and value[0]._requires_grad:
        _accumulate(value[0], np.where(mask, out.grad, 0.0).sum())


def _softmax_rule(out: Tensor, axes: tuple) -> None:
    s, g = out.data, out.grad
    _accumulate(out._prev[0], s * (g - (g * s).sum(axis=axes, keepdims=True)))


def _log_softmax_rule(out: Tensor, axes: tuple) -> None:
    g = out.grad
    _accumulate(out._prev[0], g - np.exp(out.data) * g.sum(axis=axes, keepdims=True))


def _sum_rule(out: Tensor, axes: Optional[tuple], keepdims: bool, scale: float = 1.0) -> None:
    a, = out._prev
    g = _expand_reduced(out.grad, axes, keepdims)
    if scale != 1.0:
        g = g * scale
    _accumulate(a, np.broadcast_to(g, a.data.shape))


def _extreme_rule(out: Tensor, axes: Optional[tuple], keepdims: bool) -> None:
    a, = out._prev
    m = _expand_reduced(out.data, axes, keepdims)
    g = _expand_reduced(out.grad, axes, keepdims)
    winners = a.data == m
    if axes is None:  # as torch's max(): a NaN maximum sends its gradient to the NaNs
        winners |= np.isnan(a.data) & np.isnan(m)
    # (as torch's amax(dim): a NaN maximum makes that slice's gradient NaN)
    _accumulate(a, winners * (g / winners.sum(axis=axes, keepdims=True)))


def _reshape_rule(out: Tensor) -> None:
    a, = out._prev
    _accumulate(a, out.grad.reshape(a.data.shape))


def _permute_rule(out: Tensor, order: tuple) -> None:
    _accumulate(out._prev[0], out.grad.transpose(np.argsort(order)))


def _index_rule(out: Tensor, key: Any) -> None:
    a, = out._prev
    g = np.zeros(a.data.shape, dtype=out.grad.dtype)
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(p, np.ndarray) and p.dtype.kind in "iu" for p in parts):
        np.add.at(g, key, out.grad)  # add.at: an entry picked twice gets both gradients
    else:
        g[key] = out.grad
    _accumulate(a, g)
