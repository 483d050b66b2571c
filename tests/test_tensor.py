"""The Tensor engine: every op's gradient against central differences, and bad input."""
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
    (lambda: Tensor([1.0, 2.0]) / Tensor([1.0, 0.0]), ZeroDivisionError, r"the entry at \[1\] divides 2.0 by 0"),
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
