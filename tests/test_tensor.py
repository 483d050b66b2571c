"""The Tensor engine: every op's gradient against central differences, and bad input."""
import contextlib
import warnings

import numpy as np
import pytest

from grad.tensor import Tensor
from grad.tensor.check import gradcheck

rng = np.random.default_rng(0)


def T(*shape, low=-2.0, high=2.0, label=""):
    return Tensor(rng.uniform(low, high, size=shape), requires_grad=True, label=label)


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 3, 4), (3, 1)),
                 ((4,), (2, 3, 4)), ((), (3, 2)), ((5, 1, 2), (1, 3, 1))]


@pytest.mark.parametrize("sa, sb", BINARY_SHAPES)
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_broadcasting_binary_ops(op, sa, sb):
    a = T(*sa)
    b = T(*sb, low=0.5, high=2.0) if op == "/" else T(*sb)
    f = {"+": lambda x, y: x + y, "-": lambda x, y: x - y,
         "*": lambda x, y: x * y, "/": lambda x, y: x / y}[op]
    out = f(a, b)
    assert out.shape == np.broadcast_shapes(sa, sb)
    np.testing.assert_allclose(out.data, f(a.data, b.data))
    assert gradcheck(f, a, b)
    assert a.grad.shape == sa and b.grad.shape == sb


def test_ops_with_numbers_and_arrays_on_either_side():
    a = T(2, 3)
    arr = rng.normal(size=(2, 3))
    for f in (lambda x: 2 + x, lambda x: x - 1.5, lambda x: 3 - x, lambda x: 2 * x,
              lambda x: x / 4, lambda x: 1 / (x * x + 1), lambda x: arr + x, lambda x: arr * x,
              lambda x: x * arr, lambda x: -x):
        assert gradcheck(f, a)
        assert isinstance(f(a), Tensor)


@pytest.mark.parametrize("sa, sb", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)),
                                    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5))])
def test_matmul_shapes_and_gradients(sa, sb):
    a, b = T(*sa), T(*sb)
    out = a @ b
    np.testing.assert_allclose(out.data, a.data @ b.data)
    assert gradcheck(lambda x, y: x @ y, a, b)


def test_powers():
    a = T(3, 2, low=0.5, high=2.0)
    assert gradcheck(lambda x: x ** 3, a)
    assert gradcheck(lambda x: x ** 0.5, a)
    assert gradcheck(lambda x: x ** -2, a)
    e = T(3, 2)
    assert gradcheck(lambda x, y: x ** y, a, e)
    assert gradcheck(lambda y: 2.0 ** y, e)
    b = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    assert gradcheck(lambda x: x ** 2, b)  # negative base, whole-number power: fine


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "relu", "log"])
def test_elementwise_functions(name):
    a = T(3, 4, low=0.2, high=2.0) if name == "log" else T(3, 4)
    if name == "relu":
        a.data[np.abs(a.data) < 0.05] = 0.5  # keep away from the kink
    assert gradcheck(lambda x: getattr(x, name)(), a)
    ref = {"exp": np.exp, "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
           "relu": lambda x: np.maximum(x, 0), "log": np.log}[name]
    np.testing.assert_allclose(getattr(a, name)().data, ref(a.data))


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_and_log_softmax(axis):
    a = T(3, 4)
    s = a.softmax(axis)
    np.testing.assert_allclose(s.data.sum(axis=axis), 1.0)
    np.testing.assert_allclose(a.log_softmax(axis).data, np.log(s.data))
    assert gradcheck(lambda x: x.softmax(axis), a)
    assert gradcheck(lambda x: x.log_softmax(axis), a)
    big = Tensor([[1000.0, 0.0, -1000.0]])
    assert np.isfinite(big.softmax().data).all() and np.isfinite(big.log_softmax().data).all()


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False),
                                            (-1, False), ((1, 2), True)])
def test_reductions(axis, keepdims):
    a = T(2, 3, 4)
    for name in ("sum", "mean", "max"):
        out = getattr(a, name)(axis=axis, keepdims=keepdims)
        np.testing.assert_allclose(out.data, getattr(a.data, name)(axis=axis, keepdims=keepdims))
        assert gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), a)


def test_max_shares_the_gradient_among_ties_like_pytorch():
    a = Tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]], requires_grad=True)
    a.max().backward()
    np.testing.assert_allclose(a.grad, [[0, 0.5, 0.5], [0, 0, 0]])
    a.grad = None
    a.max(axis=1).sum().backward()
    np.testing.assert_allclose(a.grad, [[0, 0.5, 0.5], [0.5, 0, 0.5]])


def test_shape_ops_and_indexing():
    a = T(2, 3, 4)
    assert gradcheck(lambda x: x.reshape(4, 6) * np.arange(24.0).reshape(4, 6), a)
    assert gradcheck(lambda x: x.reshape((6, -1)), a)
    assert gradcheck(lambda x: x.permute(2, 0, 1), a)
    assert gradcheck(lambda x: x.transpose(2, 0), a) and a.transpose(2, 0).shape == (4, 3, 2)
    assert a.T.shape == (4, 3, 2) and gradcheck(lambda x: x.T, a)
    assert gradcheck(lambda x: x[0, 1:, ::2], a)
    assert gradcheck(lambda x: x[..., [0, 0, 3]], a)  # a repeated index gets both gradients
    idx = np.array([1, 0, 1])
    assert gradcheck(lambda x: x[idx], a)
    assert a[Tensor([1, 0])].shape == (2, 3, 4)
    with pytest.raises(IndexError, match="integer"):
        a[Tensor([1.0, 0.0])]  # floating positions are refused, as in PyTorch


def test_backward_semantics():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    z = (y * 3).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, [6.0, 12.0])
    z.backward()  # leaves accumulate, intermediates are recomputed
    np.testing.assert_allclose(x.grad, [12.0, 24.0])
    np.testing.assert_allclose(y.grad, [3.0, 3.0])
    y.backward(np.array([1.0, 0.5]))
    np.testing.assert_allclose(x.grad, [14.0, 26.0])
    c = Tensor([1.0, 2.0])
    assert (c * 2).requires_grad is False and (c * x).requires_grad is True
    assert (c * 2)._prev == ()  # constants are not recorded


def test_a_long_chain_backpropagates_without_recursion():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = -y
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1.0)


def test_dtypes_as_given_and_attributes():
    t = Tensor([[1, 2], [3, 4]])  # whole numbers stay integers, as in PyTorch
    assert t.dtype == np.int64 and t.shape == (2, 2) and t.ndim == 2 and t.size == 4 and len(t) == 2
    assert Tensor([[1.0, 2]]).dtype == np.float64 and Tensor([True]).dtype == np.bool_
    assert t.grad is None and not t.requires_grad
    assert Tensor(np.float32([1.0])).dtype == np.float32
    assert Tensor(3).item() == 3 and isinstance(Tensor(3).item(), int)
    assert Tensor([2.5]).item() == 2.5
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("data", ["abc", [1, "a"], [[1, 2], [3]], None, [1 + 2j], {"a": 1}])
def test_non_numeric_data_is_a_type_error(data):
    with pytest.raises(TypeError):
        Tensor(data)


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4, 3))), ValueError, None),
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), ValueError, r"\(2, 3\) and \(2, 3\)"),
    (lambda: Tensor([1.0, 2.0]) / Tensor([1.0, 0.0]), ZeroDivisionError, r"2.0 / 0 at entry \[1\]"),
    (lambda: Tensor([1.0, -1.0]).log(), ValueError, "positive"),
    (lambda: Tensor([-8.0]) ** (1 / 3), ValueError, "not a real number"),
    (lambda: Tensor([1000.0]).exp(), OverflowError, "exp overflows"),
    (lambda: Tensor([0.0]) ** -1, ZeroDivisionError, "zero"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ValueError, r"shape \(2, 3\)"),
    (lambda: Tensor(np.ones((2, 3))).sum(axis=2), ValueError, "axis 2"),
    (lambda: Tensor(np.ones((2, 3)), requires_grad=True).backward(), RuntimeError, "scalar output"),
    (lambda: Tensor([1.0]).backward(), RuntimeError, "does not require grad"),
    (lambda: (Tensor([1.0, 2.0], requires_grad=True) * 2).backward(np.ones(3)), ValueError, "does not match"),
    (lambda: Tensor(np.ones(3)).item(), ValueError, "one element"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_broadcast_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))) + Tensor(np.ones((4, 3)))
    assert "(2,3)" in str(info.value).replace(" ", "") and "(4,3)" in str(info.value).replace(" ", "")


def test_gradcheck_reports_the_bad_entry():
    from grad.tensor.tensor import Tensor as _T

    def broken_square(x):
        out = _T._result(x.data ** 2, (x,), "sq", lambda o: setattr(x, "grad", o.grad * x.data))
        return out
    a = T(2, 2, label="a")
    result = gradcheck(lambda x: broken_square(x).sum(), a)
    assert not result and "a[" in result.failures[0].name


# ---- the policy: per-entry domains, NaN propagation, IEEE backward --------------------------
@contextlib.contextmanager
def no_warnings():
    """A context in which any warning (NumPy's RuntimeWarnings among them) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.parametrize("f, expected", [
    (lambda: Tensor([-2.0, 4.0]) ** Tensor([2.0, 0.5]), [4.0, 2.0]),   # real entry by entry
    (lambda: Tensor([0.0, 4.0]) ** Tensor([2.0, -0.5]), [0.0, 0.5]),   # a zero base, a negative power elsewhere
    (lambda: Tensor([-8.0, 8.0]) ** Tensor([3.0, 1 / 3]), [-512.0, 2.0]),
    (lambda: Tensor([np.nan, 4.0]) ** 0.5, [np.nan, 2.0]),
    (lambda: Tensor([-2.0, 2.0]) ** Tensor([np.nan, np.inf]), [np.nan, np.inf]),
    (lambda: Tensor([np.nan, 2.0]).log(), [np.nan, np.log(2.0)]),
    (lambda: Tensor([np.inf, 1.0, -np.inf]).log(), [np.inf, 0.0, np.nan]),   # inf arrived: as PyTorch
    (lambda: Tensor([np.inf, -np.inf, 1.0]) / Tensor([0.0, 0.0, 2.0]), [np.inf, -np.inf, 0.5]),
    (lambda: Tensor([0.0, -np.inf]) ** Tensor([-np.inf, 3.0]), [np.inf, -np.inf]),
    (lambda: Tensor([np.inf, -np.inf, np.nan]).exp(), [np.inf, 0.0, np.nan]),
    (lambda: Tensor([np.nan, 1.0]) / Tensor([0.0, 2.0]), [np.nan, 0.5]),
    (lambda: Tensor([1.0, 2.0]) / Tensor([np.inf, 4.0]), [0.0, 0.5]),
    (lambda: Tensor([np.nan, -1.0, 2.0]).relu(), [np.nan, 0.0, 2.0]),
    (lambda: Tensor([np.nan]).sigmoid(), [np.nan]),
    (lambda: Tensor([np.nan]).tanh(), [np.nan]),
    (lambda: Tensor([1.0, np.nan]).max(), np.nan),
    (lambda: Tensor([1.0, np.nan]).softmax(), [np.nan, np.nan]),
])
def test_entries_with_an_answer_get_it_and_nan_propagates(f, expected):
    with no_warnings():
        out = f()
    np.testing.assert_array_equal(out.data, np.array(expected))


@pytest.mark.parametrize("f, error, message", [
    (lambda: Tensor([[1.0, -2.0], [3.0, 0.0]]).log(), ValueError, r"got -2.0 at entry \[0, 1\]"),
    (lambda: Tensor(0.0).log(), ValueError, "got 0.0$"),
    (lambda: Tensor([[1.0], [2.0]]) / Tensor([1.0, 0.0]), ZeroDivisionError, r"1.0 / 0 at entry \[0, 1\]"),
    (lambda: 1.0 / Tensor([2.0, 0.0, 0.0]), ZeroDivisionError, r"at entry \[1\] \(2 entries"),
    (lambda: Tensor([0.0]) / 0.0, ZeroDivisionError, "0.0 / 0"),
    (lambda: Tensor([4.0, -8.0]) ** (1 / 3), ValueError, r"\(-8.0\) \*\* 0.333.* at entry \[1\]"),
    (lambda: Tensor([np.nan, -1.0]) ** 0.5, ValueError, r"\(-1.0\) \*\* 0.5 at entry \[1\]"),
    (lambda: Tensor([1.0, 0.0]) ** Tensor([-1.0, -1.0]), ZeroDivisionError, r"0 \*\* -1.0 at entry \[1\]"),
    (lambda: Tensor([2.0, 10.0]) ** 400.0, OverflowError, r"10.0 \*\* 400.0 at entry \[1\]"),
    (lambda: Tensor([[1.0, 2.0], [800.0, 3.0]]).exp(), OverflowError, r"exp\(800.0\) at entry \[1, 0\]"),
    (lambda: Tensor(np.float32([1.0, 100.0])).exp(), OverflowError, "float32"),
])
def test_entries_without_a_real_answer_are_refused_by_name(f, error, message):
    with pytest.raises(error, match=message):
        f()


def test_backward_follows_ieee_without_raising_or_warning():
    with no_warnings():
        x = Tensor([0.0, 4.0], requires_grad=True)
        (x ** 0.5).sum().backward()
        np.testing.assert_array_equal(x.grad, [np.inf, 0.25])        # slope of sqrt at 0 is inf
        z = Tensor(np.zeros(3), requires_grad=True)
        ((z * z).sum() ** 0.5).backward()                             # the norm of a zero vector
        assert np.isnan(z.grad).all()                                 # inf * 0, as PyTorch's composite
        a, k = Tensor([-2.0, 0.0, 0.0], requires_grad=True), Tensor([2.0, 2.0, 0.0], requires_grad=True)
        (a ** k).sum().backward()
        np.testing.assert_array_equal(a.grad, [-4.0, 0.0, 0.0])
        assert np.isnan(k.grad[0]) and list(k.grad[1:]) == [0.0, 0.0]  # a**k log a: nan for a < 0
        r = Tensor([np.nan, -1.0, 1.0], requires_grad=True)
        r.relu().sum().backward()
        np.testing.assert_array_equal(r.grad, [1.0, 0.0, 1.0])       # NaN passes its gradient, as in PyTorch
        m = Tensor([[np.nan, 1.0], [2.0, 2.0]], requires_grad=True)
        m.max(axis=1).sum().backward()                                # amax(dim): a NaN row gets NaN
        assert np.isnan(m.grad[0]).all() and list(m.grad[1]) == [0.5, 0.5]
        m.grad = None
        m.max().backward()                                            # max(): the NaN gets it all
        np.testing.assert_array_equal(m.grad, [[1.0, 0.0], [0.0, 0.0]])


# ---- dtypes --------------------------------------------------------------------------------------
F32 = np.float32


@pytest.mark.parametrize("f", [lambda t: t + 1.0, lambda t: 1.0 + t, lambda t: t * 2, lambda t: 2 * t,
                               lambda t: t / 3, lambda t: 1 / t, lambda t: t - 1.5, lambda t: t ** 2,
                               lambda t: 2.0 ** t, lambda t: -t, lambda t: t.exp(), lambda t: t.log(),
                               lambda t: t.tanh(), lambda t: t.sigmoid(), lambda t: t.relu(),
                               lambda t: t.softmax(), lambda t: t.log_softmax(), lambda t: t.sum(),
                               lambda t: t.mean(axis=0), lambda t: t.max(), lambda t: t.min(axis=-1),
                               lambda t: t.T, lambda t: t[0], lambda t: t.reshape(-1), lambda t: t @ t.T,
                               lambda t: t + Tensor(1.0), lambda t: t * Tensor(np.float64(2.0))])
def test_float32_stays_float32_and_so_do_its_gradients(f):
    t = Tensor(np.array([[1.0, 2.0], [0.5, 3.0]], dtype=F32), requires_grad=True)
    out = f(t)
    assert out.dtype == F32
    out.backward(np.ones(out.shape))
    assert t.grad.dtype == F32


def test_dtype_promotion_follows_pytorch():
    f32, f64 = Tensor(np.ones(2, F32)), Tensor(np.ones(2))
    i32, i64, b = Tensor(np.ones(2, np.int32)), Tensor([1, 2]), Tensor([True, False])
    assert (f32 + f64).dtype == np.float64           # two tensors with dimensions: the wider
    assert (f32 + Tensor(1.0)).dtype == F32          # a 0-d tensor does not widen its kind
    assert (i32 + Tensor(1)).dtype == np.int32
    assert (i32 + Tensor(np.float32(1.5))).dtype == F32  # a higher kind wins whatever its rank
    assert (i64 + 1.5).dtype == np.float64 and (i64 * 2).dtype == np.int64
    assert (i64 / i64).dtype == np.float64 and (i64 / 2).data.tolist() == [0.5, 1.0]
    assert (b + b).dtype == np.bool_ and (b + 3).dtype == np.int64 and (b * 1.5).dtype == np.float64
    assert (i64 ** 2).dtype == np.int64 and (i64 ** 0.5).dtype == np.float64
    assert i64.exp().dtype == np.float64 and i64.relu().dtype == np.int64
    assert i64.sum().dtype == np.int64 and b.sum().item() == 1 and i64.max().item() == 2
    assert (f64 > 0.5).dtype == np.bool_ and (~(f64 > 0.5)).data.tolist() == [False, False]


def test_mixed_dtypes_give_each_leaf_a_gradient_of_its_own_dtype():
    a = Tensor(np.ones(2, F32), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    (a * b + a).sum().backward()
    assert a.grad.dtype == F32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_only_floating_tensors_take_gradients():
    from grad.tensor import DtypeError
    for data in ([1, 2], [True], np.arange(3, dtype=np.int32)):
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            Tensor(data, requires_grad=True)
        t = Tensor(data)
        with pytest.raises(DtypeError):
            t.requires_grad = True
    assert Tensor([1, 2], requires_grad=True, dtype=np.float64).requires_grad
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert not (x > 1).requires_grad and not x.long().requires_grad  # integer results have no gradient
    assert not x[Tensor([0, 1])].long().sum().requires_grad


def test_integer_and_mean_errors_say_what_to_write():
    from grad.tensor import DtypeError
    with pytest.raises(DtypeError, match=r"t.double\(\).mean"):
        Tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="softmax needs a floating tensor"):
        Tensor([1, 2]).softmax()
    assert Tensor([1, 2]).double().mean().item() == 1.5


def test_tensor_copies_its_data_and_detach_shares_it():
    array = np.array([1.0, 2.0])
    t = Tensor(array)
    array[0] = 99.0
    assert t.data[0] == 1.0
    d = t.detach()
    d.data[1] = 5.0
    assert t.data[1] == 5.0 and not d.requires_grad


def test_matmul_refuses_mismatched_dtypes_like_pytorch():
    with pytest.raises(RuntimeError, match=r"float32 but the second is float64.*to\(np\.float"):
        Tensor(np.ones((2, 2), F32)) @ Tensor(np.ones((2, 2)))
    with pytest.raises(TypeError):
        Tensor([[1, 2]]) @ Tensor(np.ones((2, 1)))


# ---- axes: transpose, permute, reductions -------------------------------------------------------
@pytest.mark.parametrize("i, j", [(i, j) for i in range(-3, 3) for j in range(-3, 3)])
def test_transpose_swaps_two_axes_with_any_mix_of_signs(i, j):
    a = T(2, 3, 4)
    out = a.transpose(i, j)
    np.testing.assert_array_equal(out.data, np.swapaxes(a.data, i, j))
    g = rng.normal(size=out.shape)
    a.grad = None
    out.backward(g)
    np.testing.assert_array_equal(a.grad, np.swapaxes(g, i, j))


def test_transposed_parameter_keeps_its_shape_through_a_step():
    w = Tensor(rng.normal(size=(1, 3)), requires_grad=True)
    (w.transpose(-1, 0) * Tensor([[1.0], [2.0], [3.0]])).sum().backward()
    assert w.grad.shape == (1, 3)
    np.testing.assert_array_equal(w.grad, [[1.0, 2.0, 3.0]])
    w.data = w.data - 0.1 * w.grad
    assert w.shape == (1, 3)


@pytest.mark.parametrize("dims", [(0, 1, 2), (2, 0, 1), (-1, 0, -2), (1, -1, 0), (-3, -1, -2)])
def test_permute_and_its_gradient(dims):
    a = T(2, 3, 4)
    for out in (a.permute(*dims), a.permute(dims), a.permute(list(dims))):
        np.testing.assert_array_equal(out.data, np.transpose(a.data, dims))
    assert gradcheck(lambda x: x.permute(*dims), a)


def test_axis_errors_match_pytorch_types():
    from grad.tensor import AxisError
    a = Tensor(np.ones((2, 3)))
    with pytest.raises(IndexError, match="axis 2 is out of range"):
        a.sum(axis=2)
    assert issubclass(AxisError, ValueError)  # so code written for the old ValueError still works
    for call in (lambda: a.permute(0, 2), lambda: a.transpose(0, -3), lambda: a.max(axis=(0, 5))):
        with pytest.raises(AxisError):
            call()
    for call, message in ((lambda: a.permute(0), "orders 1 axes"), (lambda: a.permute(1, 1), "twice"),
                          (lambda: a.sum(axis=(0, -2)), "twice")):
        with pytest.raises(RuntimeError, match=message):
            call()
    with pytest.raises(TypeError, match=r"permute\(2, 0, 1\)"):
        Tensor(np.ones((2, 3, 4))).transpose(2, 0, 1)   # NumPy's spelling is refused with the fix
    with pytest.raises(TypeError, match="an axis must be an int"):
        a.sum(axis=1.0)


def test_T_and_mT():
    a = T(2, 3, 4)
    np.testing.assert_array_equal(a.T.data, a.data.transpose(2, 1, 0))
    np.testing.assert_array_equal(a.mT.data, np.swapaxes(a.data, -1, -2))
    assert gradcheck(lambda x: x.mT, a) and gradcheck(lambda x: x.T, T(3, 2))
    with pytest.raises(RuntimeError, match="mT needs a matrix"):
        Tensor([1.0]).mT


AXIS_FORMS = [None, 0, 1, -1, -3, (0, 2), [0, 2], (-1, 0), [1], (), [], (0, 1, 2)]


@pytest.mark.parametrize("axis", AXIS_FORMS)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_take_every_axis_form(name, axis, keepdims):
    a = T(2, 3, 4)
    np_axis = None if axis is None or len(np.atleast_1d(axis)) == 0 else tuple(np.atleast_1d(axis))
    out = getattr(a, name)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, getattr(np, name)(a.data, axis=np_axis, keepdims=keepdims))
    assert gradcheck(lambda x: getattr(x, name)(axis=axis, keepdims=keepdims), a)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0,), [-1], ()])
def test_reductions_of_a_0d_tensor(name, axis):
    a = Tensor(2.5, requires_grad=True)
    out = getattr(a, name)(axis=axis, keepdims=True)
    assert out.shape == () and out.item() == 2.5
    out.backward()
    assert a.grad == 1.0
    with pytest.raises(IndexError):
        getattr(a, name)(axis=1)


def test_reductions_over_empty_axes():
    e = Tensor(np.ones((0, 3)), requires_grad=True)
    with no_warnings():
        m = e.mean(axis=0)
        assert m.shape == (3,) and np.isnan(m.data).all()      # nan, as in PyTorch
        assert np.isnan(e.mean().item())
        m.sum().backward()
    assert e.grad.shape == (0, 3)
    assert e.sum(axis=0).data.tolist() == [0.0, 0.0, 0.0] and e.max(axis=1).shape == (0,)
    for name in ("max", "min"):
        with pytest.raises(IndexError, match=f"{name} along axis 0, which has length 0"):
            getattr(e, name)(axis=0)
        with pytest.raises(RuntimeError, match="empty tensor"):
            getattr(e, name)()


def test_min_and_max_share_the_gradient_among_ties():
    a = Tensor([[1.0, 0.0, 0.0], [2.0, 0.0, 5.0]], requires_grad=True)
    a.min().backward()
    np.testing.assert_allclose(a.grad, [[0, 1 / 3, 1 / 3], [0, 1 / 3, 0]])
    a.grad = None
    a.min(axis=1).sum().backward()
    np.testing.assert_allclose(a.grad, [[0, 0.5, 0.5], [0, 1, 0]])


def test_bool_of_a_tensor():
    assert bool(Tensor(1.0)) and not bool(Tensor([0.0])) and bool(Tensor([[np.nan]]))
    for t in (Tensor([1.0, 2.0]), Tensor(np.ones(0))):
        with pytest.raises(RuntimeError, match="ambiguous"):
            bool(t)
    if Tensor(3.0) > 2:
        pass
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        list(Tensor(1.0))
    assert [r.shape for r in Tensor(np.ones((2, 3)))] == [(3,), (3,)]
    assert f"{Tensor(2.0):.2f}" == "2.00" and float(Tensor([1.5])) == 1.5 and int(Tensor(3)) == 3


# ---- indexing ------------------------------------------------------------------------------
def test_boolean_index_tensors_mask():
    t = Tensor([5.0, 6.0, 7.0], requires_grad=True)
    out = t[Tensor([True, False, True])]
    np.testing.assert_array_equal(out.data, [5.0, 7.0])
    out.sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 0.0, 1.0])
    m = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    np.testing.assert_array_equal(m[m > 2].data, [3.0, 4.0, 5.0])
    np.testing.assert_array_equal(m[[True, False]].data, [[0.0, 1.0, 2.0]])
    with pytest.raises(IndexError):
        m[Tensor([True, False, True])]     # the mask's shape must fit


@pytest.mark.parametrize("index", [Tensor([2, 0, 2, 2]), [2, 0, 2, 2], np.array([2, 0, 2, 2]),
                                   (slice(None), Tensor([1, 1])), (Tensor([1, 0]), Tensor([2, 2])),
                                   (Tensor(1), [0, 0]), (Ellipsis, np.array([[0, 1], [1, 1]]))])
def test_integer_indices_accumulate_repeated_gradients(index):
    a = T(3, 3)
    key = tuple(i.data if isinstance(i, Tensor) else i for i in index) if isinstance(index, tuple) else (
        index.data if isinstance(index, Tensor) else index)
    out = a[index]
    np.testing.assert_array_equal(out.data, a.data[key])
    g = rng.normal(size=out.shape)
    a.grad = None
    out.backward(g)
    expected = np.zeros((3, 3))
    np.add.at(expected, key, g)
    np.testing.assert_allclose(a.grad, expected)


@pytest.mark.parametrize("index", [Tensor([1.0, 0.0]), [1.0, 0.0], np.array([1.5]), 1.0,
                                   (0, Tensor([1.0])), Tensor(np.array([1, 0], np.uint8)), ["a"]])
def test_floating_and_ambiguous_indices_are_refused(index):
    with pytest.raises(IndexError):
        Tensor(np.ones((3, 3)))[index]


# ---- gradients belong to their tensor -----------------------------------------------------------
def test_no_two_leaves_share_a_gradient_and_none_aliases_the_seed():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    g = np.array([1.0, 1.0])
    (a + b).backward(g)
    assert not np.shares_memory(a.grad, b.grad) and not np.shares_memory(a.grad, g)
    a.grad *= 0.5          # clipping one gradient in place leaves the other alone
    g[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.reshape(2, 1)
    y.backward(np.ones((2, 1)))
    assert not np.shares_memory(x.grad, y.grad)


@pytest.mark.parametrize("f", [lambda x: x.sum(), lambda x: x.mean(), lambda x: (x * 2).sum(axis=0).sum(),
                               lambda x: (x + Tensor(1.0)).max(), lambda x: x[0].sum()])
def test_gradients_are_writable(f):
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    f(x).backward()
    x.grad[0, 0] = 7.0
    np.clip(x.grad, -1, 1, out=x.grad)
    assert x.grad.flags.writeable and x.grad[0, 0] == 1.0


def test_setting_grad_to_none_starts_afresh():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


# ---- pickling and deep-copying graphs ---------------------------------------------------------------
GRAPHS = {
    "pow": lambda x: (x ** 3 + x ** Tensor(2.0)).sum(),
    "softmax": lambda x: (x.softmax(axis=0) * x.log_softmax()).sum(),
    "reductions": lambda x: x.max(axis=1).sum() + x.min() + x.mean(axis=[0, 1], keepdims=True).sum(),
    "shapes": lambda x: (x.transpose(-1, 0).permute(1, 0) * x.T.T).reshape(-1)[Tensor([0, 0, 3])].sum(),
    "mask": lambda x: x[x > 0].sum() + x[:, 1].sum(),
}


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_graphs_pickle_and_deep_copy(name, how):
    import copy
    import pickle
    x = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    loss = GRAPHS[name](x)
    x2, loss2 = pickle.loads(pickle.dumps((x, loss))) if how == "pickle" else copy.deepcopy((x, loss))
    loss.backward()
    loss2.backward()
    assert loss2.item() == loss.item() and x2 is not x
    np.testing.assert_array_equal(x2.grad, x.grad)


def test_a_100000_deep_graph_pickles_and_deep_copies():
    import copy
    import pickle
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = -y
    copies = [pickle.loads(pickle.dumps((x, y))), copy.deepcopy((x, y))]
    y.sum().backward()
    for x2, y2 in copies:
        assert x2 is not x and x2.grad is None
        y2.sum().backward()
        np.testing.assert_array_equal(x2.grad, x.grad)


def test_deep_graphs_sharing_history_pickle_again_and_again():
    import copy
    import pickle
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for i in range(5_000):   # deeper than Python's recursion limit
        y = y * 0.999 if i % 2 else y + 1.0
    z = y
    for _ in range(5_000):
        z = -z
    x2, y2, z2 = pickle.loads(pickle.dumps((x, y, z)))   # z's history contains y's
    (y2.sum() + z2.sum()).backward()
    (y.sum() + z.sum()).backward()
    np.testing.assert_array_equal(x2.grad, x.grad)
    for again in (pickle.loads(pickle.dumps(z)), copy.deepcopy(y), copy.copy(z)):
        assert again.shape == (2,)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(y)).data, y.data)


def test_a_domain_error_names_the_first_entry_whatever_its_kind():
    # entry 0 divides by zero, entry 1 is a negative base to a fractional power
    with pytest.raises(ZeroDivisionError, match=r"at entry \[0\]"):
        Tensor([0.0, -2.0]) ** Tensor([-0.5, -0.5])
    with pytest.raises(ValueError, match=r"at entry \[0\]"):
        Tensor([-2.0, 0.0]) ** Tensor([-0.5, -0.5])
    with pytest.raises(OverflowError, match=r"at entry \[0\]"):
        Tensor([1e300, -2.0]) ** Tensor([2.0, 0.5])


def test_integer_tensors_to_negative_integer_powers_are_refused_as_in_torch():
    with pytest.raises(RuntimeError, match="x.float"):
        Tensor(np.array([2, 3])) ** -1
    assert (Tensor(np.array([2, 3])) ** 2).data.tolist() == [4, 9]


def test_an_empty_list_index_holds_positions_at_any_nesting():
    x = Tensor(np.zeros((2, 3)))
    assert x[[]].shape == (0, 3)
    assert x[[[]]].shape == (1, 0, 3)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_a_row_of_minus_infinity_gives_nan_quietly_as_in_torch(name):
    x = Tensor([[-np.inf, -np.inf], [0.0, 1.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = getattr(x, name)(-1)
        out.sum().backward()
    assert np.isnan(out.data[0]).all() and np.isfinite(out.data[1]).all()
    assert np.isnan(x.grad[0]).all() and np.isfinite(x.grad[1]).all()
