"""Tensor layers: shapes as in PyTorch, gradients against central differences."""
import math

import numpy as np
import pytest

from grad.optim import SGD, Adam
from grad.tensor import Tensor, manual_seed, nn
from grad.tensor import functional as F
from grad.tensor.check import gradcheck

rng = np.random.default_rng(1)


def T(*shape, requires_grad=True):
    return Tensor(rng.normal(size=shape), requires_grad=requires_grad)


def naive_conv2d(x, w, b, stride, padding):
    sh, sw = stride
    ph, pw = padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, c, h, wd = xp.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


@pytest.mark.parametrize("stride, padding, kernel", [(1, 0, 3), (1, 1, 3), (2, 1, 3), ((2, 1), (0, 2), (2, 3)),
                                                     (3, 0, 2), (1, 2, 1)])
def test_conv2d_matches_the_definition_and_gradcheck(stride, padding, kernel):
    conv = nn.Conv2d(2, 3, kernel, stride=stride, padding=padding)
    x = T(2, 2, 6, 7)
    out = conv(x)
    expected = naive_conv2d(x.data, conv.weight.data, conv.bias.data, conv.stride, conv.padding)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding), x, conv.weight, conv.bias)


def test_conv2d_without_bias_and_shapes_like_pytorch():
    conv = nn.Conv2d(3, 8, kernel_size=5, bias=False)
    assert conv.weight.shape == (8, 3, 5, 5) and conv.bias is None
    assert conv(T(4, 3, 12, 12)).shape == (4, 8, 8, 8)
    assert len(conv.parameters()) == 1
    x, w = T(1, 1, 4, 4), T(2, 1, 2, 2)
    assert gradcheck(lambda x, w: F.conv2d(x, w, stride=2), x, w)


@pytest.mark.parametrize("kernel, stride", [(2, None), (3, 1), (2, 1), (3, 2)])
def test_max_pool(kernel, stride):
    x = T(2, 2, 7, 6)
    out = F.max_pool2d(x, kernel, stride)
    s = stride or kernel
    oh, ow = (7 - kernel) // s + 1, (6 - kernel) // s + 1
    assert out.shape == (2, 2, oh, ow)
    assert out.data[1, 1, 0, 0] == x.data[1, 1, :kernel, :kernel].max()
    assert gradcheck(lambda x: F.max_pool2d(x, kernel, stride), x)


def test_max_pool_gives_ties_to_the_first_maximum_like_pytorch():
    x = Tensor(np.array([[[[1.0, 5.0], [5.0, 2.0]]]]), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    np.testing.assert_allclose(x.grad[0, 0], [[0, 1], [0, 0]])


@pytest.mark.parametrize("window, winner", [([[1.0, np.nan], [np.nan, 0.0]], (1, 0)),
                                            ([[np.nan, 3.0], [2.0, 1.0]], (0, 0)),
                                            ([[-np.inf, -np.inf], [-np.inf, -np.inf]], (0, 0))])
def test_max_pool_gives_a_nan_window_to_its_last_nan_like_pytorch(window, winner):
    x = Tensor(np.array(window)[None, None], requires_grad=True)
    out = F.max_pool2d(x, 2)
    assert np.isnan(out.item()) == np.isnan(window).any()
    out.sum().backward()
    expected = np.zeros((2, 2))
    expected[winner] = 1.0
    np.testing.assert_array_equal(x.grad[0, 0], expected)


def test_max_pool_overlapping_windows_add_up_and_a_1x1_kernel_copies():
    x = Tensor(np.zeros((1, 1, 4, 4)), requires_grad=True)
    x.data[0, 0, 1, 1] = 9.0                      # the maximum of four windows (2x2, stride 1)
    F.max_pool2d(x, 2, 1).sum().backward()
    assert x.grad[0, 0, 1, 1] == 4.0 and x.grad.sum() == 9.0   # 9 windows, 5 with tied zeros
    y = F.max_pool2d(x, 1)
    np.testing.assert_array_equal(y.data, x.data)
    assert not np.shares_memory(y.data, x.data)


def test_linear_shapes_init_and_gradients():
    manual_seed(0)
    layer = nn.Linear(20, 5)
    assert layer.weight.shape == (5, 20) and layer.bias.shape == (5,)
    bound = 1 / math.sqrt(20)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert layer.weight.data.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)
    x = T(4, 20)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T + layer.bias.data)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), T(3, 4), T(2, 4), T(2))
    assert gradcheck(lambda x, w: F.linear(x, w), T(2, 3, 4), T(5, 4))
    with pytest.raises(ValueError, match="does not fit"):
        layer(T(4, 3))


@pytest.mark.parametrize("cls, shape", [(nn.BatchNorm1d, (8, 3)), (nn.BatchNorm1d, (6, 3, 4)),
                                        (nn.BatchNorm2d, (4, 3, 5, 5))])
def test_batch_norm_training_and_eval(cls, shape):
    bn = cls(3)
    x = Tensor(rng.normal(2.0, 3.0, size=shape), requires_grad=True)
    out = bn(x)
    axes = (0,) + tuple(range(2, len(shape)))
    np.testing.assert_allclose(out.data.mean(axis=axes), 0.0, atol=1e-12)
    np.testing.assert_allclose(out.data.var(axis=axes), 1.0, rtol=1e-3)
    n = x.data.size // 3
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.data.mean(axis=axes))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.data.var(axis=axes) * n / (n - 1))
    bn.weight.data[:] = [1.0, 2.0, 0.5]
    bn.bias.data[:] = [0.0, -1.0, 1.0]
    fresh = cls(3)
    fresh.weight, fresh.bias = bn.weight, bn.bias
    assert gradcheck(lambda x, g, b: F.batch_norm(x, fresh.running_mean.copy(), fresh.running_var.copy(),
                                                  g, b, True), x, bn.weight, bn.bias)
    bn.eval()
    expected = (x.data - bn.running_mean.reshape((1, -1) + (1,) * (len(shape) - 2))) / np.sqrt(
        bn.running_var.reshape((1, -1) + (1,) * (len(shape) - 2)) + 1e-5)
    scale = bn.weight.data.reshape((1, -1) + (1,) * (len(shape) - 2))
    shift = bn.bias.data.reshape((1, -1) + (1,) * (len(shape) - 2))
    np.testing.assert_allclose(bn(x).data, expected * scale + shift)
    rm = bn.running_mean.copy()
    assert gradcheck(lambda x: bn(x), x)
    np.testing.assert_allclose(bn.running_mean, rm)  # eval mode leaves the statistics alone
    with pytest.raises(ValueError, match="expects"):
        bn(T(2, 3, 4, 5, 6))


def test_dropout_layer():
    drop = nn.Dropout(0.25)
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    np.random.seed(0)
    out = drop(x)
    kept = out.data[out.data != 0]
    np.testing.assert_allclose(kept, 1 / 0.75)
    assert kept.size / out.size == pytest.approx(0.75, abs=0.02)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, out.data)  # the same mask scales the gradient
    np.random.seed(0)
    np.testing.assert_array_equal(drop(x).data, out.data)
    assert drop.eval()(x) is x
    with pytest.raises(ValueError):
        nn.Dropout(1.5)


def test_cross_entropy():
    z = T(5, 4)
    y = np.array([0, 3, 1, 1, 2])
    loss = F.cross_entropy(z, y)
    ref = -np.mean([z.data[i, y[i]] - np.log(np.exp(z.data[i]).sum()) for i in range(5)])
    assert loss.item() == pytest.approx(ref)
    assert gradcheck(lambda z: F.cross_entropy(z, y), z)
    assert gradcheck(lambda z: F.cross_entropy(z, y, reduction="none"), z)
    assert gradcheck(lambda z: F.cross_entropy(z, 2), T(4))
    big = Tensor([[1000.0, 0.0, -1000.0]])
    assert F.cross_entropy(big, [1]).item() == pytest.approx(1000.0)
    for labels, error in [([0, 1, 4, 0, 0], IndexError), ([0, 1], ValueError), ([0.5] * 5, TypeError),
                          ([-1, 0, 0, 0, 0], IndexError)]:  # out of range: IndexError, as in PyTorch
        with pytest.raises(error):
            F.cross_entropy(z, labels)


def test_cross_entropy_leaves_out_labels_equal_to_ignore_index():
    z = T(5, 4)
    y = np.array([0, -100, 1, -100, 2])
    kept = [0, 2, 4]
    assert F.cross_entropy(z, y).item() == pytest.approx(F.cross_entropy(z.data[kept], y[kept]).item())
    assert F.cross_entropy(z, y, reduction="sum").item() == pytest.approx(
        F.cross_entropy(z.data[kept], y[kept], reduction="sum").item())
    none = F.cross_entropy(z, y, reduction="none").data
    assert none[1] == 0.0 and none[3] == 0.0 and none[0] > 0
    assert gradcheck(lambda z: F.cross_entropy(z, y), z)
    zz = Tensor(z.data.copy(), requires_grad=True)
    F.cross_entropy(zz, y).backward()
    assert not zz.grad[[1, 3]].any()            # the rows left out get no gradient
    assert F.cross_entropy(z, [2, 0, 1, 1, 2], ignore_index=2).item() == pytest.approx(
        F.cross_entropy(z.data[[1, 2, 3]], [0, 1, 1]).item())
    assert np.isnan(F.cross_entropy(z, [-100] * 5).item())   # nothing counted: nan, as in PyTorch
    with pytest.raises(IndexError, match="label -100 is out of range for 4 classes.*ignore_index=2"):
        F.cross_entropy(z, [-100, 0, 0, 0, 0], ignore_index=2)
    with pytest.raises(TypeError, match="ignore_index must be a whole number"):
        F.cross_entropy(z, y, ignore_index=None)


def test_sequential_flatten_and_modes():
    manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Dropout(0.5), nn.Linear(4 * 4 * 4, 10), nn.Tanh())
    x = T(3, 1, 8, 8, requires_grad=False)
    assert model(x).shape == (3, 10)
    assert len(model.parameters()) == 2 + 2 + 2 and len(model) == 8
    model.eval()
    assert not model[1].training and not model[5].training
    assert np.array_equal(model(x).data, model(x).data)
    model.train()
    assert model[5].training
    assert "Conv2d(1, 4" in repr(model) and isinstance(model[0], nn.Conv2d)
    with pytest.raises(TypeError):
        nn.Sequential(nn.ReLU(), "relu")


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_optimizers_train_tensor_parameters_unchanged(opt_cls):
    manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    X = rng.normal(size=(64, 2))
    y = (X[:, :1] * 2 - X[:, 1:] + 0.5)
    opt = opt_cls(model.parameters(), lr=0.05)
    first = None
    for _ in range(150):
        loss = ((model(Tensor(X)) - y) ** 2).mean()
        opt.zero_grad()
        assert all(p.grad is None for p in model.parameters())
        loss.backward()
        opt.step()
        first = first or loss.item()
    assert loss.item() < 0.05 * first


# ---- arguments checked as PyTorch checks them (and when the layer is made) ---------------------------
@pytest.mark.parametrize("make, error", [
    (lambda: nn.Conv2d(1, 1, 3, stride=0), ValueError), (lambda: nn.Conv2d(1, 1, 3, stride=(1, -1)), ValueError),
    (lambda: nn.Conv2d(1, 1, 3, padding=-1), ValueError), (lambda: nn.Conv2d(1, 1, 0), ValueError),
    (lambda: nn.Conv2d(1, 1, 3.5), TypeError), (lambda: nn.Conv2d(1, 1, (3, 3, 3)), TypeError),
    (lambda: nn.Conv2d(1, 1, True), TypeError), (lambda: nn.Conv2d(1, 1, 3, padding="same"), TypeError),
    (lambda: nn.Conv2d(0, 1, 3), ValueError), (lambda: nn.Conv2d(1, 1, 3, dtype=np.int64), TypeError),
    (lambda: nn.MaxPool2d("a"), TypeError), (lambda: nn.MaxPool2d(0), ValueError),
    (lambda: nn.MaxPool2d(2, stride=0), ValueError), (lambda: nn.MaxPool2d(2, stride=1.5), TypeError),
    (lambda: nn.Linear(3, 2, dtype="int32"), TypeError), (lambda: nn.Linear(0, 2), ValueError),
    (lambda: nn.BatchNorm1d(3, dtype=bool), TypeError), (lambda: nn.Flatten(1.0), TypeError),
])
def test_layer_arguments_are_checked_when_the_layer_is_made(make, error):
    with pytest.raises(error):
        make()


def test_numpy_weights_are_refused_with_the_fix():
    x = T(2, 3, requires_grad=False)
    with pytest.raises(TypeError, match=r"weight must be a Tensor.*Tensor\(weight, requires_grad=True\)"):
        F.linear(x, np.ones((4, 3)))
    with pytest.raises(TypeError, match="bias must be a Tensor"):
        F.linear(x, T(4, 3), np.ones(4))
    with pytest.raises(TypeError, match="weight must be a Tensor"):
        F.conv2d(T(1, 1, 4, 4), np.ones((1, 1, 2, 2)))
    np.testing.assert_allclose(F.linear(x.data, T(4, 3)).shape, (2, 4))  # data may be an array


# ---- unbatched inputs and cross-entropy shapes, as in PyTorch --------------------------------------------
def test_unbatched_conv2d_and_max_pool2d():
    x, w, b = T(2, 6, 5), T(3, 2, 3, 3), T(3)
    out = F.conv2d(x, w, b, stride=2, padding=1)
    np.testing.assert_allclose(out.data, F.conv2d(x.data[None], w, b, stride=2, padding=1).data[0])
    assert out.shape == (3, 3, 3)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1), x, w, b)
    pooled = F.max_pool2d(x, 2, 1)
    assert pooled.shape == (2, 5, 4)
    np.testing.assert_array_equal(pooled.data, F.max_pool2d(Tensor(x.data[None]), 2, 1).data[0])
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1), x)
    assert nn.Conv2d(2, 4, 3)(x).shape == (4, 4, 3)
    with pytest.raises(ValueError, match=r"4-D input \(N, C, H, W\) or an unbatched 3-D one"):
        F.conv2d(T(6, 5), w)


@pytest.mark.parametrize("label", [2, np.int64(2), Tensor(2), np.array(2)])
def test_cross_entropy_of_one_example(label):
    z = T(4)
    loss = F.cross_entropy(z, label)
    assert loss.shape == () and loss.item() == pytest.approx(F.cross_entropy(Tensor(z.data[None]), [2]).item())
    assert F.cross_entropy(z, label, reduction="none").shape == ()
    assert gradcheck(lambda z: F.cross_entropy(z, label), z)
    with pytest.raises(ValueError, match=r"need labels of shape \(\)"):
        F.cross_entropy(z, [2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_over_positions(reduction):
    z = T(2, 3, 4, 5)                              # N, C, d1, d2
    y = rng.integers(0, 3, size=(2, 4, 5))
    loss = F.cross_entropy(z, Tensor(y), reduction=reduction)
    flat = F.cross_entropy(Tensor(np.moveaxis(z.data, 1, -1).reshape(-1, 3)), y.reshape(-1), reduction=reduction)
    np.testing.assert_allclose(loss.data, flat.data.reshape(loss.shape), rtol=1e-12)
    assert loss.shape == ((2, 4, 5) if reduction == "none" else ())
    assert gradcheck(lambda z: F.cross_entropy(z, y, reduction=reduction), z)
    with pytest.raises(ValueError, match=r"need labels of shape \(2, 4, 5\)"):
        F.cross_entropy(z, y[:, :, 0])


def test_cross_entropy_refuses_floating_labels_and_logits():
    from grad.tensor import DtypeError
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(T(2, 3), Tensor([0.0, 1.0]))
    with pytest.raises(DtypeError):
        F.cross_entropy(Tensor([[1, 2]]), [0])
    assert np.isnan(F.cross_entropy(Tensor(np.zeros((0, 3))), np.zeros(0, int)).item())


# ---- dtypes: a float32 model stays float32; other dtypes are refused, not converted ----------------------
def test_float32_layers_train_in_float32():
    manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, dtype=np.float32), nn.BatchNorm2d(2, dtype=np.float32),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2),
                          nn.Linear(2 * 2 * 2, 3, dtype=np.float32))
    x = Tensor(rng.normal(size=(4, 1, 4, 4)).astype(np.float32))
    out = model(x)
    assert out.dtype == np.float32
    loss = F.cross_entropy(out, [0, 1, 2, 0])
    assert loss.dtype == np.float32
    loss.backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    opt = SGD(model.parameters(), lr=0.1)
    opt.step()
    assert all(p.dtype == np.float32 for p in model.parameters())


@pytest.mark.parametrize("layer, x", [(lambda: nn.Linear(3, 2), np.ones((1, 3), np.float32)),
                                      (lambda: nn.Conv2d(1, 1, 2), np.ones((1, 1, 3, 3), np.float32)),
                                      (lambda: nn.BatchNorm1d(3), np.ones((2, 3), np.float32)),
                                      (lambda: nn.Linear(3, 2, dtype=np.float32), np.ones((1, 3))),
                                      (lambda: nn.Linear(2, 1), np.array([[1, 2]]))])
def test_a_layer_refuses_input_of_another_dtype(layer, x):
    with pytest.raises(RuntimeError, match=r"give them one dtype: input.to\(np.float"):
        layer()(Tensor(x))


def test_flatten_and_zero_grad():
    assert nn.Flatten()(T(0, 3, 2, 2)).shape == (0, 12)          # an empty batch, as in PyTorch
    assert nn.Flatten(-1)(T(2, 3, 4)).shape == (2, 3, 4) and nn.Flatten(0)(T(2, 3)).shape == (6,)
    layer = nn.Linear(2, 2)
    layer(T(1, 2)).sum().backward()
    layer.zero_grad(set_to_none=False)
    assert all(np.array_equal(p.grad, np.zeros(p.shape)) for p in layer.parameters())
    layer.zero_grad()
    assert all(p.grad is None for p in layer.parameters())


def test_models_and_their_losses_pickle_and_deep_copy():
    import copy
    import pickle
    manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8, 3))
    x = T(4, 1, 4, 4, requires_grad=False)
    loss = F.cross_entropy(model(x), [0, 1, 2, 0]) + F.linear(x.reshape(4, -1)[:, :4], model[5].weight[:, :4] * 0.5).sum()
    for how in (lambda o: pickle.loads(pickle.dumps(o)), copy.deepcopy):
        model2, loss2 = how((model, loss))
        model.zero_grad()
        model2.zero_grad()
        loss.backward()
        loss2.backward()
        for p, q in zip(model.parameters(), model2.parameters()):
            assert p is not q   # (a copied view is contiguous, so BLAS may round differently)
            np.testing.assert_allclose(p.grad, q.grad, rtol=1e-12, atol=1e-15)


def test_max_pool_refuses_a_bool_tensor_as_pytorch_does():
    import numpy as np
    from grad.tensor import Tensor
    from grad.tensor import functional as F
    with pytest.raises(NotImplementedError, match="bool tensor"):
        F.max_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=bool)), 2)
    assert F.max_pool2d(Tensor(np.arange(16).reshape(1, 1, 4, 4)), 2).data.tolist() == [[[[5, 7], [13, 15]]]]


def test_conv2d_refuses_a_bool_tensor_as_pytorch_does():
    # a matrix product of bools is OR/AND, so the window sums would be silently lost
    with pytest.raises(NotImplementedError, match="bool tensor"):
        F.conv2d(Tensor(np.ones((1, 1, 3, 3), dtype=bool)), Tensor(np.ones((1, 1, 2, 2), dtype=bool)))


def test_cross_entropy_with_no_classes_or_no_examples_and_huge_logits():
    import warnings
    with pytest.raises(IndexError):   # a label, but no class it could be (as PyTorch)
        F.cross_entropy(Tensor(np.zeros((2, 0))), [0, 0])
    assert np.isnan(F.cross_entropy(Tensor(np.zeros((0, 0))), np.zeros(0, int)).item())
    assert np.isnan(F.cross_entropy(Tensor(np.zeros((2, 3, 0))), np.zeros((2, 0), int)).item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no overflow warning from the shift by the largest logit
        assert F.cross_entropy(Tensor([[1e308, -1e308]]), [0]).item() == 0.0
        # no classes, every label left out: nothing counted (nan, 0, zeros), as in PyTorch
        empty = Tensor(np.zeros((2, 0)), requires_grad=True)
        assert np.isnan(F.cross_entropy(empty, [-100, -100]).item())
        assert F.cross_entropy(empty, [-100, -100], reduction="sum").item() == 0.0
        none = F.cross_entropy(empty, [-100, -100], reduction="none")
        assert none.data.tolist() == [0.0, 0.0]
        none.sum().backward()
        assert empty.grad.shape == (2, 0)
