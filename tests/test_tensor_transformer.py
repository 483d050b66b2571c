"""What a tiny GPT needs from the Tensor engine: masked_fill, batched matmul, embedding,
layer norm, GELU, attention, cross-entropy over sequences, state_dict and no_grad.
Gradients against central differences (float64); values against their definitions."""
import math
import pickle

import numpy as np
import pytest

from grad.optim import Adam
from grad.tensor import (DtypeError, ShapeError, Tensor, is_grad_enabled, manual_seed, nn,
                         no_grad)
from grad.tensor import functional as F
from grad.tensor.check import gradcheck

rng = np.random.default_rng(5)


def T(*shape, requires_grad=True):
    return Tensor(rng.normal(size=shape), requires_grad=requires_grad)


def causal(T_):
    return Tensor(np.tril(np.ones((T_, T_), dtype=bool)))


# ---- masked_fill ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, mask_shape", [((2, 3), (2, 3)), ((2, 4, 4), (4, 4)), ((3,), (2, 3)),
                                               ((2, 1, 3), (4, 1)), ((), ())])
def test_masked_fill_values_and_gradients(shape, mask_shape):
    x = T(*shape)
    m = rng.random(mask_shape) < 0.5
    out = x.masked_fill(Tensor(m), -7.0)
    assert out.shape == np.broadcast_shapes(shape, mask_shape)
    np.testing.assert_array_equal(out.data, np.where(m, -7.0, x.data))
    assert gradcheck(lambda t: t.masked_fill(Tensor(m), 3.0), x)
    if out.shape == x.shape:
        x.grad = None
        x.masked_fill(Tensor(m), 0.0).backward(np.ones(out.shape))
        np.testing.assert_array_equal(x.grad, np.broadcast_to(~m, x.shape))  # 0 where filled


def test_masked_fill_gradients_are_zero_where_filled():
    x = T(4, 4)
    out = x.masked_fill(~causal(4), -np.inf).softmax(-1)
    assert np.all(out.data[np.triu_indices(4, 1)] == 0)
    (out * Tensor(rng.normal(size=(4, 4)))).sum().backward()
    assert np.all(x.grad[np.triu_indices(4, 1)] == 0)
    assert gradcheck(lambda t: t.masked_fill(~causal(4), -np.inf).softmax(-1), x)


def test_masked_fill_with_a_0d_value_tensor_gets_its_gradient():
    x, v = T(3, 4), Tensor(2.0, requires_grad=True)
    m = Tensor(rng.random((3, 4)) < 0.5)
    assert gradcheck(lambda a, b: a.masked_fill(m, b), x, v)
    x.grad = v.grad = None
    x.masked_fill(m, v).sum().backward()
    assert v.grad == m.data.sum()


def test_masked_fill_keeps_the_tensors_dtype():
    m = Tensor(np.array([True, False, True]))
    out = Tensor([1, 2, 3]).masked_fill(m, 1.7)
    assert out.dtype == np.int64 and out.data.tolist() == [1, 2, 1]  # truncated, as in PyTorch
    assert Tensor(np.ones(3, np.float32)).masked_fill(m, 0.5).dtype == np.float32


def test_masked_fill_refuses_what_pytorch_refuses():
    x = T(2, 3)
    with pytest.raises(DtypeError, match="boolean masks"):
        x.masked_fill(Tensor(np.ones((2, 3))), 0.0)
    with pytest.raises(RuntimeError, match="boolean masks"):  # uint8 and int masks too
        x.masked_fill(Tensor(np.ones((2, 3), np.uint8)), 0.0)
    with pytest.raises(TypeError, match="boolean Tensor"):
        x.masked_fill([[True, False, True]] * 2, 0.0)
    with pytest.raises(RuntimeError, match="0-dimensional"):
        x.masked_fill(Tensor(np.ones(3, bool)), Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="number or a 0-d"):
        x.masked_fill(Tensor(np.ones(3, bool)), "a")
    with pytest.raises(ShapeError, match="does not broadcast"):
        x.masked_fill(Tensor(np.ones(2, bool)), 0.0)
    with pytest.raises(RuntimeError, match="does not fit"):
        Tensor([1, 2, 3]).masked_fill(Tensor(np.ones(3, bool)), -np.inf)
    with pytest.raises(RuntimeError, match="does not fit"):
        Tensor(np.ones(3, np.float32)).masked_fill(Tensor(np.ones(3, bool)), 1e300)


# ---- batched matmul ------------------------------------------------------------------------------
@pytest.mark.parametrize("sa, sb", [((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 3)), ((2, 2, 3, 4), (2, 2, 4, 3)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 2, 4, 5)), ((2, 3, 4), (4,)),
                                    ((4,), (2, 4, 3))])
def test_batched_matmul_with_broadcast_batch_dimensions(sa, sb):
    a, b = T(*sa), T(*sb)
    out = a @ b
    np.testing.assert_allclose(out.data, np.matmul(a.data, b.data))
    assert gradcheck(lambda x, y: x @ y, a, b)
    assert a.grad.shape == sa and b.grad.shape == sb


def test_matmul_refuses_batch_dimensions_that_do_not_broadcast():
    with pytest.raises(ShapeError, match=r"batch dimensions \(2,\) and \(3,\) do not broadcast") as e:
        T(2, 3, 4) @ T(3, 4, 5)
    assert isinstance(e.value, ValueError) and isinstance(e.value, RuntimeError)
    with pytest.raises(ValueError, match="last dimension of the first must equal"):
        T(2, 3, 4) @ T(2, 3, 5)


# ---- no_grad -------------------------------------------------------------------------------------
def test_no_grad_records_no_graph_and_restores_the_mode():
    x = T(3, 4)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = (x * 2).relu().sum()
        z = F.layer_norm(x, 4)
        with no_grad():
            pass
        assert not is_grad_enabled()  # nesting restores the outer mode
    assert is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad and t._prev == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    assert (x * 2).requires_grad


def test_no_grad_as_a_decorator_and_through_an_exception():
    x = T(2)

    @no_grad()
    def sample(t):
        return t * 3

    assert not sample(x).requires_grad and sample.__name__ == "sample"
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert is_grad_enabled() and (x * 3).requires_grad


def test_backward_of_a_graph_made_before_no_grad_still_works_inside_it():
    x = T(3)
    y = (x * x).sum()
    with no_grad():
        y.backward()
        leaf = Tensor([1.0], requires_grad=True)  # a leaf still takes requires_grad, as in PyTorch
    np.testing.assert_allclose(x.grad, 2 * x.data)
    assert leaf.requires_grad


def test_sampling_under_no_grad_gives_the_same_numbers():
    manual_seed(0)
    model = nn.Sequential(nn.Embedding(5, 4), nn.LayerNorm(4), nn.GELU(), nn.Linear(4, 5))
    idx = np.array([[0, 3, 4]])
    with no_grad():
        quiet = model(idx)
    np.testing.assert_array_equal(quiet.data, model(idx).data)
    assert not quiet.requires_grad


# ---- embedding -----------------------------------------------------------------------------------
def test_embedding_picks_rows_and_sums_gradients_of_repeats():
    w = T(6, 3)
    idx = np.array([[1, 2, 1], [5, 0, 1]])
    out = F.embedding(Tensor(idx), w)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out.data, w.data[idx])
    assert gradcheck(lambda t: F.embedding(idx, t), w)
    w.grad = None
    F.embedding(idx, w).sum().backward()
    np.testing.assert_array_equal(w.grad[:, 0], [1, 3, 1, 0, 0, 1])  # row 1 picked three times
    assert F.embedding(Tensor(3), w).shape == (3,)
    assert F.embedding(np.array([1, 2], np.int32), w).shape == (2, 3)
    w.grad = None
    F.embedding(np.zeros((2, 0), np.int64), w).backward(np.zeros((2, 0, 3)))  # no picks at all
    np.testing.assert_array_equal(w.grad, 0)


def test_embedding_refuses_bad_indices_and_weights():
    w = T(4, 2)
    with pytest.raises(IndexError, match="index 4 is out of range for a table of 4 rows"):
        F.embedding(Tensor([0, 4]), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(Tensor([-1]), w)
    with pytest.raises(DtypeError, match="indices must be integers") as e:
        F.embedding(Tensor([1.0]), w)
    assert isinstance(e.value, RuntimeError)
    with pytest.raises(DtypeError, match="bool"):
        F.embedding(Tensor([True]), w)
    with pytest.raises(ShapeError, match="2-D"):
        F.embedding(Tensor([1]), T(4))
    with pytest.raises(TypeError, match="must be a Tensor"):
        F.embedding(Tensor([1]), np.ones((4, 2)))


def test_embedding_layer():
    manual_seed(0)
    emb = nn.Embedding(400, 50)
    assert emb.weight.shape == (400, 50) and emb.weight.requires_grad and emb.parameters() == [emb.weight]
    assert abs(emb.weight.data.mean()) < 0.02 and abs(emb.weight.data.std() - 1) < 0.02  # N(0, 1)
    assert nn.Embedding(3, 2, dtype=np.float32)(np.array([0, 2])).dtype == np.float32
    assert repr(emb) == "Embedding(400, 50)"
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError):
            nn.Embedding(bad, 3)


# ---- layer norm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((2, 3, 4), 4), ((2, 3, 4), (3, 4)), ((5, 6), [6]), ((4,), (4,))])
def test_layer_norm_matches_its_definition_and_gradcheck(shape, normalized):
    x = T(*shape)
    dims = (normalized,) if isinstance(normalized, int) else tuple(normalized)
    w, b = T(*dims), T(*dims)
    axes = tuple(range(len(shape) - len(dims), len(shape)))
    mean = x.data.mean(axis=axes, keepdims=True)
    var = ((x.data - mean) ** 2).mean(axis=axes, keepdims=True)  # biased, as PyTorch
    expected = (x.data - mean) / np.sqrt(var + 1e-5) * w.data + b.data
    np.testing.assert_allclose(F.layer_norm(x, normalized, w, b).data, expected, rtol=1e-12)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, normalized, w, b), x, w, b)
    assert gradcheck(lambda x: F.layer_norm(x, normalized, eps=0.1), x)


def test_layer_norm_refuses_bad_arguments():
    x = T(2, 3, 4)
    with pytest.raises(ShapeError, match=r"needs an input of shape \(\*, 3\), got \(2, 3, 4\)") as e:
        F.layer_norm(x, 3)
    assert isinstance(e.value, RuntimeError)
    with pytest.raises(ShapeError):
        F.layer_norm(x, (5, 2, 3, 4))
    with pytest.raises(ShapeError, match=r"weight must have shape \(4,\)"):
        F.layer_norm(x, 4, T(3))
    with pytest.raises(TypeError, match="normalized_shape"):
        F.layer_norm(x, 4.0)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(x, ())
    with pytest.raises(DtypeError, match="floating"):
        F.layer_norm(Tensor([[1, 2]]), 2)
    with pytest.raises(DtypeError, match="LayerNorm"):
        F.layer_norm(x.float(), 4, T(4), T(4))
    with pytest.raises(TypeError, match="eps"):
        F.layer_norm(x, 4, eps="small")


def test_layer_norm_layer():
    ln = nn.LayerNorm(4)
    np.testing.assert_array_equal(ln.weight.data, np.ones(4))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(4))
    assert ln.parameters() == [ln.weight, ln.bias] and ln.normalized_shape == (4,)
    out = ln(T(3, 4))
    np.testing.assert_allclose(out.data.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(out.data.var(axis=-1), 1, rtol=1e-4)
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []
    assert nn.LayerNorm(4, bias=False).bias is None
    assert nn.LayerNorm((2, 4), dtype=np.float32)(Tensor(np.ones((3, 2, 4), np.float32))).dtype == np.float32
    assert "LayerNorm((4,)" in repr(ln)


# ---- GELU and softmax ----------------------------------------------------------------------------
def test_gelu_matches_its_definition_and_gradcheck():
    x = T(3, 5)
    exact = np.vectorize(lambda v: 0.5 * v * (1 + math.erf(v / math.sqrt(2))))(x.data)
    np.testing.assert_allclose(F.gelu(x).data, exact, rtol=1e-13, atol=1e-15)
    tanh = 0.5 * x.data * (1 + np.tanh(math.sqrt(2 / math.pi) * (x.data + 0.044715 * x.data ** 3)))
    np.testing.assert_allclose(F.gelu(x, approximate="tanh").data, tanh, rtol=1e-13)
    assert gradcheck(F.gelu, x)
    assert gradcheck(lambda t: F.gelu(t, approximate="tanh"), x)
    np.testing.assert_array_equal(nn.GELU()(x).data, F.gelu(x).data)
    assert F.gelu(Tensor(np.ones(2, np.float32))).dtype == np.float32


def test_gelu_refuses_bad_arguments():
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        F.gelu(T(2), approximate="erf")
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU("fast")
    with pytest.raises(DtypeError, match="floating"):
        F.gelu(Tensor([1, 2]))


@pytest.mark.parametrize("axis", [0, 1, 2, -2])
def test_softmax_over_any_axis(axis):
    x = T(2, 3, 4)
    s = F.softmax(x, axis)
    np.testing.assert_allclose(s.data.sum(axis=axis), 1.0)
    assert gradcheck(lambda t: F.softmax(t, axis), x)


# ---- attention -----------------------------------------------------------------------------------
def naive_attention(q, k, v, mask=None, is_causal=False, scale=None):
    """Attention written with the engine's own operations, one step at a time."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    L, S = q.shape[-2], k.shape[-2]
    if is_causal:
        scores = scores.masked_fill(Tensor(~np.tri(L, S, dtype=bool)), -np.inf)
    elif mask is not None and mask.dtype == np.bool_:
        scores = scores.masked_fill(~mask, -np.inf)
    elif mask is not None:
        scores = scores + mask
    return scores.softmax(-1) @ v


CASES = {
    "causal (B, H, T, D)": (lambda: (T(2, 3, 5, 4), T(2, 3, 5, 4), T(2, 3, 5, 4)), dict(is_causal=True)),
    "causal (B, T, D)": (lambda: (T(2, 5, 4), T(2, 5, 4), T(2, 5, 3)), dict(is_causal=True)),
    "causal L < S": (lambda: (T(2, 3, 4), T(2, 5, 4), T(2, 5, 2)), dict(is_causal=True)),
    "no mask, scale": (lambda: (T(2, 3, 4), T(2, 6, 4), T(2, 6, 2)), dict(scale=0.3)),
    "bool mask": (lambda: (T(2, 2, 4, 3), T(2, 2, 4, 3), T(2, 2, 4, 3)),
                  dict(mask=Tensor((rng.random((4, 4)) < 0.7) | np.tri(4, dtype=bool)))),
    "broadcast batch": (lambda: (T(2, 3, 4, 3), T(1, 3, 5, 3), T(2, 1, 5, 2)), dict()),
    "unbatched": (lambda: (T(4, 3), T(4, 3), T(4, 3)), dict(is_causal=True)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_attention_equals_the_step_by_step_version_and_gradcheck(name):
    make, kwargs = CASES[name]
    q, k, v = make()
    mask = kwargs.pop("mask", None) if "mask" in kwargs else None
    kwargs = dict(kwargs)
    ours = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    naive = naive_attention(q, k, v, mask=mask, **kwargs)
    np.testing.assert_allclose(ours.data, naive.data, rtol=1e-12, atol=1e-14)
    g = rng.normal(size=ours.shape)
    ours.backward(g)
    grads = [t.grad.copy() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None
    naive.backward(g)
    for mine, theirs in zip(grads, (q.grad, k.grad, v.grad)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-13)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, attn_mask=mask, **kwargs), q, k, v)


def test_attention_with_a_float_mask_passes_it_a_gradient():
    q, k, v, m = T(2, 3, 4), T(2, 5, 4), T(2, 5, 2), T(3, 5)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, attn_mask=m).data,
                               naive_attention(q, k, v, mask=m).data, rtol=1e-12)
    assert gradcheck(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, attn_mask=d), q, k, v, m)


def test_attention_row_with_nothing_to_attend_to_is_zero():
    q, k, v = T(3, 2), T(4, 2), T(4, 2)
    mask = np.ones((3, 4), bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=Tensor(mask))
    np.testing.assert_array_equal(out.data[1], 0)
    assert np.isfinite(out.data).all()
    out.sum().backward()
    np.testing.assert_array_equal(q.grad[1], 0)
    assert np.isfinite(k.grad).all() and np.isfinite(v.grad).all()


def test_attention_dropout():
    q, k, v = T(2, 4, 3), T(2, 4, 3), T(2, 4, 3)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).data, 0)

    def dropped(a, b, c):
        np.random.seed(3)  # the same mask on every call
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4, is_causal=True)

    assert not np.allclose(dropped(q, k, v).data, F.scaled_dot_product_attention(q, k, v, is_causal=True).data)
    np.testing.assert_array_equal(dropped(q, k, v).data, dropped(q, k, v).data)
    assert gradcheck(dropped, q, k, v)


def test_attention_refuses_bad_arguments():
    q = T(2, 3, 4)
    with pytest.raises(RuntimeError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=causal(3), is_causal=True)
    with pytest.raises(ShapeError, match="at least 2"):
        F.scaled_dot_product_attention(T(4), T(4), T(4))
    with pytest.raises(ShapeError, match="do not fit"):
        F.scaled_dot_product_attention(q, T(2, 3, 5), T(2, 3, 4))
    with pytest.raises(ShapeError, match="do not fit"):
        F.scaled_dot_product_attention(q, q, T(2, 4, 4))
    with pytest.raises(ShapeError, match="do not broadcast"):
        F.scaled_dot_product_attention(q, T(3, 3, 4), T(3, 3, 4))
    with pytest.raises(DtypeError):
        F.scaled_dot_product_attention(q, q, q.float())
    with pytest.raises(DtypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=Tensor(np.ones((3, 3), int)))
    with pytest.raises(ShapeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=Tensor(np.ones((4, 3), bool)))
    with pytest.raises(ValueError, match="dropout"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
    with pytest.raises(TypeError, match="scale"):
        F.scaled_dot_product_attention(q, q, q, scale="1")


# ---- cross-entropy over a sequence ---------------------------------------------------------------
def test_cross_entropy_over_sequences_in_pytorchs_layout():
    logits, y = T(2, 5, 3), rng.integers(0, 5, size=(2, 3))      # (B, V, T), labels (B, T)
    flat = F.cross_entropy(logits.transpose(1, 2).reshape(6, 5), y.reshape(-1))
    np.testing.assert_allclose(F.cross_entropy(logits, y).data, flat.data, rtol=1e-14)
    assert gradcheck(lambda z: F.cross_entropy(z, y), logits)


def test_cross_entropy_refuses_classes_last_and_says_how_to_reshape():
    logits, y = T(2, 3, 5), rng.integers(0, 5, size=(2, 3))      # (B, T, V): classes last
    with pytest.raises(ShapeError, match=r"logits.transpose\(1, 2\).*reshape\(-1, 5\)") as e:
        F.cross_entropy(logits, y)
    assert isinstance(e.value, RuntimeError)
    out = F.cross_entropy(logits.reshape(-1, 5), y.reshape(-1))
    assert gradcheck(lambda z: F.cross_entropy(z.reshape(-1, 5), y.reshape(-1)), logits) and out.ndim == 0


# ---- state_dict ----------------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        self.ln = nn.LayerNorm(4)
        self.mlp = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 4, bias=False))


class Model(nn.Module):
    def __init__(self):
        self.emb = nn.Embedding(5, 4)
        self.blocks = [Block(), Block()]
        self.norm = nn.BatchNorm1d(4)

    def forward(self, idx):
        x = self.emb(idx)
        for b in self.blocks:
            x = x + b.mlp(b.ln(x))
        return self.norm(x.reshape(-1, 4))


def test_state_dict_names_like_pytorch():
    assert list(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.LayerNorm(3)).state_dict()) == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(Model().state_dict()) == [
        "emb.weight",
        "blocks.0.ln.weight", "blocks.0.ln.bias", "blocks.0.mlp.0.weight", "blocks.0.mlp.0.bias",
        "blocks.0.mlp.2.weight",
        "blocks.1.ln.weight", "blocks.1.ln.bias", "blocks.1.mlp.0.weight", "blocks.1.mlp.0.bias",
        "blocks.1.mlp.2.weight",
        "norm.weight", "norm.bias", "norm.running_mean", "norm.running_var"]


def test_named_parameters_follow_the_state_dict_names():
    model = Model()
    named = list(model.named_parameters())
    assert [p for _, p in named] == model.parameters()
    assert [n for n, _ in named] == [n for n in model.state_dict() if "running" not in n]
    shared = nn.Sequential(model.emb, model.emb)
    assert [n for n, _ in shared.named_parameters()] == ["0.weight"]  # a shared Tensor once


def test_a_float32_transformer_stays_float32():
    manual_seed(0)
    f32 = np.float32
    emb, ln, fc = nn.Embedding(7, 8, dtype=f32), nn.LayerNorm(8, dtype=f32), nn.Linear(8, 24, dtype=f32)
    head = nn.Linear(8, 7, dtype=f32)
    x = ln(emb(np.array([[1, 2, 3, 4]])))
    q, k, v = (fc(x).reshape(1, 4, 3, 2, 4).permute(2, 0, 3, 1, 4)[i] for i in range(3))
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=0.1)
    h = F.gelu(y.transpose(1, 2).reshape(1, 4, 8)).masked_fill(Tensor(np.eye(8, dtype=bool)[:4]), 0.0)
    loss = F.cross_entropy(head(h).reshape(4, 7), np.array([2, 3, 4, 5]))
    assert all(t.dtype == f32 for t in (x, q, y, h, loss))
    loss.backward()
    for m in (emb, ln, fc, head):
        assert all(p.grad.dtype == f32 for p in m.parameters())


def test_state_dict_holds_copies_and_loading_restores_the_model():
    manual_seed(1)
    model, idx = Model(), np.array([[0, 1, 4], [2, 2, 3]])
    saved = model.state_dict()
    before = model(idx).data.copy()           # training mode: also moves the running statistics
    assert not np.array_equal(saved["norm.running_mean"], model.norm.running_mean)
    opt = Adam(model.parameters(), lr=0.1)
    model(idx).sum().backward()
    opt.step()
    assert not np.array_equal(model.emb.weight.data, saved["emb.weight"])
    weight = model.emb.weight
    assert model.load_state_dict(saved) == ([], [])
    assert model.emb.weight is weight          # loaded in place, so the optimizer still holds it
    np.testing.assert_array_equal(model(idx).data, before)
    saved["emb.weight"][:] = 0                 # the dict is a copy, not the model's arrays
    assert model.emb.weight.data.any()
    model.load_state_dict({k: Tensor(v) for k, v in model.state_dict().items()})  # Tensors work too


def test_state_dict_pickles():
    model = Model()
    state = pickle.loads(pickle.dumps(model.state_dict()))
    other = Model()
    other.load_state_dict(state)
    for (name, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_load_state_dict_errors_like_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3))
    state = model.state_dict()
    del state["1.bias"]
    state["2.weight"] = np.ones(3)
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Sequential:\n\t'
                                           r'Missing key\(s\) in state_dict: "1.bias".\n\t'
                                           r'Unexpected key\(s\) in state_dict: "2.weight".'):
        model.load_state_dict(state)
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["1.bias"] and result.unexpected_keys == ["2.weight"]
    before = model[0].weight.data.copy()
    bad = model.state_dict()
    bad["0.weight"] = np.zeros((2, 2))
    bad["0.bias"] = np.zeros(3)
    for strict in (True, False):               # a size mismatch is an error either way
        with pytest.raises(RuntimeError, match=r"size mismatch for 0.weight: copying an array of "
                                               r"shape \(2, 2\) .* current model is \(3, 2\)"):
            model.load_state_dict(bad, strict=strict)
    np.testing.assert_array_equal(model[0].weight.data, before)    # nothing copied
    assert model[0].bias.data.any()
    with pytest.raises(TypeError, match="dict"):
        model.load_state_dict([("0.weight", before)])
    bad = model.state_dict()
    bad["0.bias"] = "zeros"
    with pytest.raises(TypeError, match="0.bias must be an array of numbers"):
        model.load_state_dict(bad)


# ---- state_dict of Value models (grad.nn), by the same mechanism ------------------------------------
def test_value_models_save_and_load_their_numbers():
    import random

    import grad.nn as vnn
    random.seed(0)
    mlp = vnn.MLP(2, [3, 1], dropout=0.5)
    state = mlp.state_dict()
    assert list(state)[:4] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
                               "layers.0.neurons.1.w.0"]
    assert list(state)[-1] == "layers.2.neurons.0.b"              # layers.1 is the Dropout: no state
    assert list(state.values()) == [p.data for p in mlp.parameters()]
    mlp.eval()                                                      # no dropout
    before = mlp([0.5, -1.0]).data
    for p in mlp.parameters():
        p.data += 1.0
    weight = mlp.layers[0].neurons[0].w[0]
    assert mlp.load_state_dict(state) == ([], [])
    assert mlp.layers[0].neurons[0].w[0] is weight                 # in place
    assert mlp([0.5, -1.0]).data == before
    del state["layers.0.neurons.0.b"]
    with pytest.raises(RuntimeError, match=r'for MLP:\n\tMissing key\(s\) in state_dict: "layers.0.neurons.0.b"'):
        mlp.load_state_dict(state)
    state["layers.0.neurons.0.b"] = "zero"
    with pytest.raises(TypeError, match="layers.0.neurons.0.b must be a number"):
        mlp.load_state_dict(state)
    assert vnn.Neuron(3).state_dict().keys() == {"w.0", "w.1", "w.2", "b"}


def test_layer_norm_of_a_row_with_nan_or_inf_is_nan_quietly_as_in_torch():
    import warnings
    x = Tensor(np.array([[1.0, np.nan, 3.0], [np.inf, 0.0, 1.0], [1.0, 2.0, 4.0]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.layer_norm(x, (3,))
        out.sum().backward()
    assert np.isnan(out.data[:2]).all() and np.isfinite(out.data[2]).all()
