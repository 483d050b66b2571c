"""The Tensor engine's semantics against PyTorch 2.13 in float64 (`make test-torch`).

Property tests: hypothesis draws shapes (0-d and empty ones included), axes in every form
and sign, indices with repeats, masks, dtypes and special values; each example runs
through grad.tensor and through torch, and the values, the gradients and the kind of
error must agree. Derandomized: every run draws the same examples. Where PyTorch returns
nan or inf for finite inputs that have no real answer (log(0), 1/0, (-8)**(1/3), exp(800)),
grad.tensor refuses the entry by name instead; everywhere else it must match.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grad.tensor import Tensor
from grad.tensor import functional as F
from grad.tensor import nn

torch.set_default_dtype(torch.float64)
same_examples = settings(derandomize=True, deadline=None)

TIES = st.sampled_from([-1.0, 0.0, 0.5, 2.0])          # few values: ties are common
SPECIAL = st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 3.0, np.nan, np.inf, -np.inf])
TORCH_DTYPES = {np.dtype(np.bool_): torch.bool, np.dtype(np.int32): torch.int32,
                np.dtype(np.int64): torch.int64, np.dtype(np.float32): torch.float32,
                np.dtype(np.float64): torch.float64}
NUMPY_DTYPES = {v: k for k, v in TORCH_DTYPES.items()}


def shapes(min_dims=0, max_dims=4, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3)


def arrays(shape, elements=TIES):
    return hnp.arrays(np.float64, shape, elements=elements)


def assert_same(ours: np.ndarray, theirs: torch.Tensor, what: str = "value", rtol=1e-12) -> None:
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)}, torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-12, equal_nan=True, err_msg=what)


def check(f_ours, f_theirs, *arrays_, seed: int = 0) -> None:
    """f on our Tensors and on torch's: the same values and gradients, or the same kind of
    error (ours may be a subclass: AxisError is an IndexError and a ValueError)."""
    xs = [Tensor(a, requires_grad=True) for a in arrays_]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays_]
    try:
        expected = f_theirs(*ts)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, we must raise its kind
        with pytest.raises(type(error)):
            f_ours(*xs)
        return
    out = f_ours(*xs)
    assert_same(out.data, expected)
    g = np.random.default_rng(seed).normal(size=out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        theirs = t.grad if t.grad is not None else torch.zeros(t.shape)
        assert_same(x.grad if x.grad is not None else np.zeros(x.shape), theirs, f"gradient {i}")


# ---- transpose, permute, T, mT -------------------------------------------------------------------
@same_examples
@given(st.data())
def test_transpose_with_any_axes(data):
    shape = data.draw(shapes())
    n = max(len(shape), 1)
    i, j = data.draw(st.integers(-n - 1, n)), data.draw(st.integers(-n - 1, n))  # some out of range
    x = data.draw(arrays(shape))
    check(lambda t: t.transpose(i, j), lambda t: t.transpose(i, j), x)


@same_examples
@given(st.data())
def test_permute_with_any_mix_of_negative_axes(data):
    shape = data.draw(shapes(min_dims=1))
    n = len(shape)
    order = data.draw(st.permutations(range(n)))
    dims = [d - n if data.draw(st.booleans()) else d for d in order]
    if data.draw(st.integers(0, 5)) == 0:       # sometimes a wrong list: repeated or short
        dims = dims[:-1] + [dims[0]] if n > 1 else dims + [0]
    x = data.draw(arrays(shape))
    check(lambda t: t.permute(*dims), lambda t: t.permute(*dims), x)
    check(lambda t: t.permute(tuple(dims)), lambda t: t.permute(tuple(dims)), x)


@pytest.mark.filterwarnings("ignore:Tensor.mT is deprecated on 0-D")
@same_examples
@given(st.data())
def test_T_and_mT(data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape))
    check(lambda t: t.T, lambda t: t.permute(tuple(reversed(range(t.ndim)))), x)  # .T, without its warning
    check(lambda t: t.mT, lambda t: t.mT, x)


# ---- reductions over every axis form --------------------------------------------------------------
def axis_forms(n: int):
    one = st.integers(-n - 1, n)                  # n + 1 and -n - 1 are out of range
    return st.one_of(st.none(), one, st.lists(one, max_size=n + 1), st.lists(one, max_size=n + 1).map(tuple))


def torch_reduction(name: str, axis, keepdims: bool):
    def f(t):
        if name in ("sum", "mean"):
            return getattr(torch, name)(t, dim=axis, keepdim=keepdims)
        if axis is None:                          # torch's max()/min(): everything, no keepdim
            out = getattr(t, name)()
            return out.reshape([1] * t.ndim) if keepdims else out
        return getattr(torch, "a" + name)(t, dim=axis, keepdim=keepdims)
    return f


@same_examples
@given(st.data(), st.sampled_from(["sum", "mean", "max", "min"]), st.booleans())
def test_reductions_match_torch_on_every_axis_form_and_shape(data, name, keepdims):
    shape = data.draw(shapes())
    axis = data.draw(axis_forms(max(len(shape), 1)))
    x = data.draw(arrays(shape))
    dims = [axis] if isinstance(axis, int) else axis or []
    if name in ("max", "min") and len(set(d % max(len(shape), 1) for d in dims)) < len(dims) and 0 in shape:
        # an axis named twice on an empty tensor: torch's amax reports the empty axis first
        with pytest.raises((IndexError, RuntimeError)):
            getattr(Tensor(x), name)(axis=axis, keepdims=keepdims)
        return
    check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), torch_reduction(name, axis, keepdims), x)


@pytest.mark.parametrize("name", ["max", "min"])
def test_ties_and_nan_in_max_and_min_as_torch(name):
    for x in ([[1.0, 2.0, 2.0], [2.0, 2.0, 0.0]], [[np.nan, 1.0, np.nan], [0.0, 0.0, 1.0]]):
        x = np.array(x) * (1 if name == "max" else -1)
        check(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x)
        for axis in (0, 1, (0, 1)):
            check(lambda t: getattr(t, name)(axis=axis), lambda t: getattr(torch, "a" + name)(t, dim=axis), x)


# ---- indexing --------------------------------------------------------------------------------------
@same_examples
@given(st.data())
def test_boolean_masks(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    k = data.draw(st.integers(1, len(shape)))
    mask = data.draw(hnp.arrays(np.bool_, shape[:k]))
    x = data.draw(arrays(shape))
    as_ = data.draw(st.sampled_from(["Tensor", "ndarray", "list"]))
    ours = {"Tensor": Tensor(mask), "ndarray": mask, "list": mask.tolist()}[as_]
    # a list with no entries has lost its dtype: we read it as positions, as NumPy does
    empty_list = as_ == "list" and mask.size == 0
    theirs = torch.tensor(mask.tolist(), dtype=torch.long) if empty_list else torch.tensor(mask)
    check(lambda t: t[ours], lambda t: t[theirs], x)


@same_examples
@given(st.data())
def test_integer_indices_with_repeats(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=1))
    s0 = shape[0]
    positions = st.lists(st.integers(-s0, s0 - 1), max_size=6)
    idx = data.draw(positions)
    x = data.draw(arrays(shape))
    as_ = data.draw(st.sampled_from(["Tensor", "ndarray", "list"]))
    wrap = {"Tensor": lambda i: Tensor(np.array(i, dtype=np.int64)), "ndarray": lambda i: np.array(i, dtype=np.int64),
            "list": list}[as_]
    long = lambda i: torch.tensor(i, dtype=torch.long)  # noqa: E731
    check(lambda t: t[wrap(idx)], lambda t: t[long(idx)], x)
    if len(shape) > 1:
        s1 = shape[1]
        other = data.draw(st.lists(st.integers(-s1, s1 - 1), min_size=len(idx), max_size=len(idx)))
        check(lambda t: t[wrap(idx), wrap(other)], lambda t: t[long(idx), long(other)], x)
        check(lambda t: t[:, wrap(other)], lambda t: t[:, long(other)], x)
        check(lambda t: t[..., 0][wrap(idx)], lambda t: t[..., 0][long(idx)], x)
    check(lambda t: t[wrap([s0])], lambda t: t[long([s0])], x)   # out of range: IndexError in both


def test_floating_index_tensors_are_refused_as_in_torch():
    x = np.arange(6.0).reshape(2, 3)
    check(lambda t: t[Tensor([1.0, 0.0])], lambda t: t[torch.tensor([1.0, 0.0])], x)
    check(lambda t: t[0, Tensor([1.0])], lambda t: t[0, torch.tensor([1.0])], x)


# ---- per-entry domains ----------------------------------------------------------------------------
def broadcastable_pair(data, elements_a, elements_b):
    shape = data.draw(shapes(max_dims=3, min_side=1))
    other = shape[data.draw(st.integers(0, len(shape))):]
    other = tuple(1 if data.draw(st.booleans()) else n for n in other)
    return data.draw(arrays(shape, elements_a)), data.draw(arrays(other, elements_b))


def check_domain(f, inputs: list, errors: tuple) -> None:
    """Where torch gives nan or inf for finite inputs, we refuse the first such entry by name;
    elsewhere (NaN or inf inputs included) we give torch's values and gradients."""
    with torch.no_grad():
        theirs = f(*[torch.tensor(a) for a in inputs]).numpy()
    finite = np.ones(theirs.shape, bool)
    for a in inputs:
        finite &= np.isfinite(np.broadcast_to(a, theirs.shape))
    no_answer = finite & ~np.isfinite(theirs)
    if no_answer.any():
        first = tuple(np.argwhere(no_answer)[0])
        where = f"at entry {[int(i) for i in first]}" if first else ""
        with pytest.raises(errors) as info:
            f(*[Tensor(a) for a in inputs])
        assert where in str(info.value)
    else:
        check(f, f, *inputs)


@same_examples
@given(st.data())
def test_pow_entry_by_entry(data):
    # no -inf base: torch itself gives inf for (-inf) ** t(0.5) and nan for (-inf) ** 0.5
    base, k = broadcastable_pair(data, SPECIAL.filter(lambda v: v != -np.inf), SPECIAL)
    check_domain(lambda a, b: a ** b, [base, k], (ValueError, ZeroDivisionError, OverflowError))


@same_examples
@given(st.data(), st.sampled_from([2.0, 3.0, 0.5, -1.0, -2.0, 1 / 3]))
def test_pow_with_a_number(data, k):
    base = data.draw(arrays(data.draw(shapes(max_dims=2)), SPECIAL.filter(np.isfinite)))
    check_domain(lambda a: a ** k, [base], (ValueError, ZeroDivisionError))


@same_examples
@given(st.data())
def test_division_entry_by_entry(data):
    a, b = broadcastable_pair(data, SPECIAL, SPECIAL)
    check_domain(lambda x, y: x / y, [a, b], (ZeroDivisionError,))


@same_examples
@given(st.data())
def test_log_and_exp_entry_by_entry(data):
    x = data.draw(arrays(data.draw(shapes(max_dims=2)), st.one_of(SPECIAL, st.sampled_from([700.0, 710.0, -800.0]))))
    check_domain(lambda t: t.log(), [x], (ValueError,))
    check_domain(lambda t: t.exp(), [x], (OverflowError,))
    check(lambda t: t.relu() + t.tanh() + t.sigmoid(), lambda t: t.relu() + t.tanh() + t.sigmoid(), x)


# ---- dtypes ---------------------------------------------------------------------------------------------
OPERAND = st.one_of(
    st.tuples(st.just("tensor"), st.sampled_from(list(TORCH_DTYPES)), st.sampled_from([(), (3,)])),
    st.tuples(st.just("number"), st.sampled_from([True, 2, 1.5]), st.just(None)))


def make(operand, framework):
    kind, what, shape = operand
    if kind == "number":
        return what
    values = np.array([1, 0, 2][:int(np.prod(shape))]).reshape(shape).astype(what)
    return Tensor(values) if framework == "ours" else torch.tensor(values, dtype=TORCH_DTYPES[what])


@same_examples
@given(OPERAND, OPERAND, st.sampled_from(["+", "*", "/", "<", "-"]))
def test_elementwise_dtypes_follow_torch(x, y, op):
    if x[0] == y[0] == "number":
        return
    f = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
         "<": lambda a, b: a < b, "-": lambda a, b: a - b}[op]
    try:
        expected = f(make(x, "torch"), make(y, "torch"))
    except RuntimeError:                          # bool - bool, for example
        with pytest.raises((RuntimeError, TypeError)):
            f(make(x, "ours"), make(y, "ours"))
        return
    if op == "/" and not torch.isfinite(expected).all():   # a zero divisor: refused by name
        with pytest.raises(ZeroDivisionError):
            f(make(x, "ours"), make(y, "ours"))
        return
    out = f(make(x, "ours"), make(y, "ours"))
    assert out.dtype == NUMPY_DTYPES[expected.dtype], (x, y, op)
    np.testing.assert_allclose(out.data.astype(float), expected.double().numpy())


@pytest.mark.parametrize("dtype", list(TORCH_DTYPES))
def test_reductions_unary_ops_and_indexing_keep_dtypes_as_torch(dtype):
    values = np.array([[1, 0, 2], [2, 1, 0]]).astype(dtype)
    ours, theirs = Tensor(values), torch.tensor(values)
    cases = [(lambda t: t.sum(), lambda t: t.sum()), (lambda t: t.sum(axis=0), lambda t: t.sum(dim=0)),
             (lambda t: t.max(), lambda t: t.max()), (lambda t: t.min(axis=1), lambda t: t.amin(dim=1)),
             (lambda t: t[Tensor([1, 1])], lambda t: t[torch.tensor([1, 1])]), (lambda t: t.T, lambda t: t.T),
             (lambda t: t.exp(), lambda t: t.exp()), (lambda t: t.tanh(), lambda t: t.tanh()),
             (lambda t: t.reshape(-1), lambda t: t.reshape(-1)), (lambda t: t.relu(), torch.relu),
             (lambda t: t.mean(), lambda t: t.mean()), (lambda t: t.softmax(), lambda t: t.softmax(-1))]
    for f_ours, f_theirs in cases:
        try:
            expected = f_theirs(theirs)
        except (RuntimeError, NotImplementedError):  # mean, softmax of integers; relu of bools
            with pytest.raises(RuntimeError):
                f_ours(ours)
            continue
        out = f_ours(ours)
        assert out.dtype == NUMPY_DTYPES[expected.dtype]
        np.testing.assert_allclose(out.data.astype(float), expected.double().numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", list(TORCH_DTYPES))
def test_only_floating_tensors_require_grad(dtype):
    values = np.ones(2, dtype)
    try:
        torch.tensor(values, requires_grad=True)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            Tensor(values, requires_grad=True)
    else:
        assert Tensor(values, requires_grad=True).requires_grad


@pytest.mark.parametrize("x_dtype, w_dtype", [(np.float32, np.float64), (np.float64, np.float32),
                                              (np.int64, np.float64), (np.float32, np.float32)])
def test_linear_and_conv2d_dtypes_as_torch(x_dtype, w_dtype):
    rng = np.random.default_rng(0)
    for f_ours, f_theirs, xs, ws in [(F.linear, torch.nn.functional.linear, (2, 3), (4, 3)),
                                     (F.conv2d, torch.nn.functional.conv2d, (1, 2, 4, 4), (3, 2, 2, 2))]:
        x, w = (rng.normal(size=xs) * 3).astype(x_dtype), rng.normal(size=ws).astype(w_dtype)
        try:
            expected = f_theirs(torch.tensor(x), torch.tensor(w))
        except RuntimeError:
            with pytest.raises(RuntimeError, match="give them one dtype"):
                f_ours(Tensor(x), Tensor(w))
            continue
        out = f_ours(Tensor(x), Tensor(w))
        assert out.dtype == NUMPY_DTYPES[expected.dtype]
        np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-5, atol=1e-5)


def test_a_float32_model_matches_torch_in_float32():
    np.random.seed(0)
    ours = nn.Linear(3, 2, dtype=np.float32)
    theirs = torch.nn.Linear(3, 2, dtype=torch.float32)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    out = F.cross_entropy(ours(Tensor(x)), [0, 1, 1, 0, 1])
    expected = torch.nn.functional.cross_entropy(theirs(torch.tensor(x)), torch.tensor([0, 1, 1, 0, 1]))
    out.backward()
    expected.backward()
    assert out.dtype == np.float32 and ours.weight.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-5)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-4, atol=1e-6)


# ---- gradients belong to their tensor ----------------------------------------------------------------
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / (b * b + 1), "@": lambda a, b: a @ b.T,
          "max": lambda a, b: (a + b).max(axis=0) if isinstance(a, Tensor) else (a + b).amax(dim=0)}


@same_examples
@given(st.data(), st.sampled_from(list(BINARY)))
def test_leaf_gradients_are_their_own_writable_arrays(data, op):
    shape = data.draw(shapes(min_dims=2, max_dims=2, min_side=1))
    a, b = data.draw(arrays(shape)), data.draw(arrays(shape))
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = BINARY[op](x, y)
    g = np.ones(out.shape)
    out.backward(g)
    check(BINARY[op], BINARY[op], a, b)  # and the same gradients as torch
    for grad in (x.grad, y.grad):
        assert grad.flags.writeable and not np.shares_memory(grad, g)
    assert not np.shares_memory(x.grad, y.grad)
    x.grad *= 0                           # clipping one in place leaves the other alone
    assert y.grad is not None and not np.shares_memory(x.grad, y.grad)


@pytest.mark.parametrize("f", [lambda t: t.sum(), lambda t: t.mean(), lambda t: t.max(),
                               lambda t: t.sum(axis=0, keepdims=True).sum(), lambda t: t[0].sum()])
def test_gradients_of_reductions_are_writable_as_torchs(f):
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    t = torch.ones(2, 3, requires_grad=True)
    f(x).backward()
    f(t).backward()
    x.grad += 1
    t.grad += 1
    np.testing.assert_allclose(x.grad, t.grad.numpy())


# ---- shapes PyTorch supports: unbatched convolution, cross-entropy shapes, bool() ----------------------
def test_unbatched_conv2d_and_max_pool2d_as_torch():
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(2, 5, 6)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    check(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
          lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride=2, padding=1), x, w, b)
    check(lambda x: F.max_pool2d(x, 2, 1), lambda x: torch.nn.functional.max_pool2d(x, 2, 1), x)


@pytest.mark.parametrize("logits_shape, labels_shape", [((4,), ()), ((3, 4), (3,)),
                                                        ((2, 4, 3), (2, 3)), ((2, 4, 3, 2), (2, 3, 2))])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_shapes_as_torch(logits_shape, labels_shape, reduction):
    rng = np.random.default_rng(3)
    z = rng.normal(size=logits_shape) * 3
    y = rng.integers(0, logits_shape[0] if len(logits_shape) == 1 else logits_shape[1], size=labels_shape)
    check(lambda z: F.cross_entropy(z, Tensor(y), reduction=reduction),
          lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction=reduction), z)


@pytest.mark.parametrize("ignore_index", [-100, 1, 5])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignore_index_as_torch(ignore_index, reduction):
    """Labels left out, a NaN logit on a row left out and on a row counted, everything left
    out, and out-of-range labels (IndexError in both)."""
    rng = np.random.default_rng(5)
    for shape, y in [((4, 3), [2, -100, 0, -100]), ((4, 3), [-100, 1, -100, 0]),
                     ((2, 3, 2), [[1, -100], [-100, 2]]), ((3, 3), [-100, -100, -100]),
                     ((3, 3), [5, 0, 1]), ((3, 3), [-1, 0, 1])]:
        z = rng.normal(size=shape)
        z[1, 0] = np.nan
        y = np.array(y)
        check(lambda z: F.cross_entropy(z, y, reduction=reduction, ignore_index=ignore_index),
              lambda z: torch.nn.functional.cross_entropy(z, torch.tensor(y), reduction=reduction,
                                                          ignore_index=ignore_index), z)


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (2,), (0,)])
@pytest.mark.parametrize("value", [0.0, 1.0, np.nan])
def test_bool_as_torch(shape, value):
    data = np.full(shape, value)
    try:
        expected = bool(torch.tensor(data))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            bool(Tensor(data))
    else:
        assert bool(Tensor(data)) == expected


def test_softmax_and_log_softmax_axes_as_torch():
    rng = np.random.default_rng(4)
    for shape in [(), (3,), (2, 3), (2, 0, 3)]:
        x = rng.normal(size=shape)
        for axis in range(-max(len(shape), 1) - 1, max(len(shape), 1) + 1):
            check(lambda t: t.softmax(axis), lambda t: t.softmax(axis), x)
            check(lambda t: t.log_softmax(axis), lambda t: t.log_softmax(axis), x)
