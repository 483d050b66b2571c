"""conv2d and max_pool2d against PyTorch: values and gradients on many shapes, strides and
paddings, with ties, NaN and infinities in the pooling windows, in float64 and float32."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grad.tensor import Tensor
from grad.tensor import functional as F

TIES = st.sampled_from([-1.0, 0.0, 0.5, 2.0])          # few values: ties are common
SPECIAL = st.sampled_from([-1.0, 0.0, 2.0, np.nan, np.inf, -np.inf])


def run_both(f_ours, f_theirs, arrays, grad_out_seed=0, dtype=np.float64):
    xs = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, expected = f_ours(*xs), f_theirs(*ts)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=rtol, atol=rtol, equal_nan=True)
    assert out.dtype == dtype
    g = np.random.default_rng(grad_out_seed).normal(size=out.shape).astype(dtype)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for x, t in zip(xs, ts):
        assert x.grad.dtype == dtype and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=rtol, atol=rtol, equal_nan=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n, c, o, h, w, k, stride, padding", [
    (2, 1, 3, 8, 8, 3, 1, 1), (3, 4, 5, 6, 7, (3, 2), (2, 1), (0, 2)), (1, 2, 2, 5, 5, 5, 1, 0),
    (2, 3, 4, 9, 6, (2, 3), 3, 1), (0, 2, 3, 4, 4, 3, 1, 1), (1, 1, 1, 1, 1, 1, 1, 0)])
def test_conv2d_values_and_gradients_as_torch(dtype, n, c, o, h, w, k, stride, padding):
    rng = np.random.default_rng(1)
    kh, kw = (k, k) if isinstance(k, int) else k
    x, wt, b = rng.normal(size=(n, c, h, w)), rng.normal(size=(o, c, kh, kw)), rng.normal(size=o)
    run_both(lambda x, wt, b: F.conv2d(x, wt, b, stride, padding),
             lambda x, wt, b: torch.nn.functional.conv2d(x, wt, b, stride, padding), [x, wt, b], dtype=dtype)
    run_both(lambda x, wt: F.conv2d(x, wt, None, stride, padding),
             lambda x, wt: torch.nn.functional.conv2d(x, wt, None, stride, padding), [x, wt], dtype=dtype)


def test_conv2d_of_a_non_contiguous_input_as_torch():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 6, 3, 2)).transpose(3, 2, 0, 1)          # (2, 3, 5, 6), strided
    wt, b = rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    xt = Tensor(x)
    xt.data = x                                                      # keep the strided layout
    ours = F.conv2d(xt, Tensor(wt), Tensor(b), padding=1)
    theirs = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(wt), torch.tensor(b), padding=1)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12, atol=1e-12)


@given(data=st.data(), kernel=st.sampled_from([1, 2, 3, (2, 3)]), stride=st.sampled_from([None, 1, 2, (1, 2)]),
       elements=st.sampled_from([TIES, SPECIAL]))
def test_max_pool2d_as_torch_with_ties_nan_and_infinities(data, kernel, stride, elements):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    h = data.draw(st.integers(kh, kh + 4))
    w = data.draw(st.integers(kw, kw + 4))
    x = data.draw(hnp.arrays(np.float64, (2, 2, h, w), elements=elements))
    run_both(lambda x: F.max_pool2d(x, kernel, stride), lambda x: torch.nn.functional.max_pool2d(x, kernel, stride), [x])


@pytest.mark.parametrize("window, winner", [
    ([[1.0, 5.0], [5.0, 2.0]], (0, 1)),                   # a tie: the first maximum
    ([[0.0, 0.0], [0.0, 0.0]], (0, 0)),                   # all equal (ReLU's zeros): the first
    ([[1.0, np.nan], [np.nan, 0.0]], (1, 0)),             # NaNs: the last NaN, as in PyTorch
    ([[np.nan, 3.0], [2.0, 1.0]], (0, 0)),                # a NaN before larger numbers still wins
    ([[-np.inf, -np.inf], [-np.inf, -np.inf]], (0, 0)),   # all -inf: the first
    ([[1.0, np.inf], [np.inf, np.nan]], (1, 1)),
])
def test_max_pool2d_sends_the_gradient_where_torch_does(window, winner):
    x = np.array(window)[None, None]
    ours = Tensor(x, requires_grad=True)
    F.max_pool2d(ours, 2).sum().backward()
    theirs = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(theirs, 2).sum().backward()
    expected = np.zeros((2, 2))
    expected[winner] = 1.0
    np.testing.assert_array_equal(theirs.grad.numpy()[0, 0], expected)
    np.testing.assert_array_equal(ours.grad[0, 0], expected)


def test_overlapping_pool_windows_add_the_gradients_of_a_shared_maximum_as_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = 9.0                                    # the maximum of four 2x2 windows (stride 1)
    run_both(lambda x: F.max_pool2d(x, 2, 1), lambda x: torch.nn.functional.max_pool2d(x, 2, 1), [x])
    ours = Tensor(x, requires_grad=True)
    F.max_pool2d(ours, 2, 1).sum().backward()
    assert ours.grad[0, 0, 1, 1] == 4.0


def test_max_pool2d_with_a_1x1_kernel_is_a_copy_not_a_view():
    x = Tensor(np.arange(8.0).reshape(1, 2, 2, 2), requires_grad=True)
    out = F.max_pool2d(x, 1)
    np.testing.assert_array_equal(out.data, x.data)
    assert not np.shares_memory(out.data, x.data)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(x.shape))


@pytest.mark.parametrize("dtype", [np.bool_, np.int64])
def test_max_pool_takes_and_refuses_the_dtypes_torch_does(dtype):
    x = np.arange(16).reshape(1, 1, 4, 4).astype(dtype)
    try:
        theirs = torch.nn.functional.max_pool2d(torch.from_numpy(x), 2).numpy()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            F.max_pool2d(Tensor(x), 2)
    else:
        np.testing.assert_array_equal(F.max_pool2d(Tensor(x), 2).data, theirs)
