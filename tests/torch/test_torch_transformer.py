"""The GPT pieces of the Tensor engine against PyTorch 2.13 in float64 (`make test-torch`):
masked_fill, batched matmul, embedding, layer norm, GELU, scaled dot-product attention,
cross-entropy over sequences, state_dict names, and a whole tiny GPT's loss and gradients.
Values and gradients agree to 1e-12 (the GPT to 1e-9); errors are of the kind torch raises
(ours may be a subclass: ShapeError is a ValueError and a RuntimeError)."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from grad.tensor import Tensor, manual_seed, nn, no_grad
from grad.tensor import functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(7)


def assert_same(ours: np.ndarray, theirs: torch.Tensor, what: str = "value", tol=1e-12) -> None:
    theirs = theirs.detach().numpy()
    assert np.shape(ours) == theirs.shape, f"{what}: shape {np.shape(ours)}, torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=tol, atol=tol, equal_nan=True, err_msg=what)


def check(f_ours, f_theirs, *arrays, constants=()) -> None:
    """f on our Tensors and on torch's (floating arrays take gradients, the others are
    constants): the same values and gradients, or the same kind of error."""
    def ours(a):
        return Tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a

    def theirs(a):
        return torch.tensor(a, requires_grad=a.dtype.kind == "f") if isinstance(a, np.ndarray) else a

    xs, ts = [ours(a) for a in arrays], [theirs(a) for a in arrays]
    try:
        expected = f_theirs(*ts)
    except Exception as error:  # noqa: BLE001 - whatever torch raises, we must raise its kind
        # a kernel missing for a dtype is torch's NotImplementedError, a RuntimeError; ours
        # is a DtypeError, also a RuntimeError (and a TypeError)
        kind = RuntimeError if isinstance(error, NotImplementedError) else type(error)
        with pytest.raises(kind):
            f_ours(*xs)
        return
    out = f_ours(*xs)
    assert_same(out.data, expected)
    g = rng.normal(size=out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    for i, (x, t) in enumerate(zip(xs, ts)):
        if isinstance(x, Tensor) and x.requires_grad:
            theirs_grad = t.grad if t.grad is not None else torch.zeros(t.shape)
            assert_same(x.grad if x.grad is not None else np.zeros(x.shape), theirs_grad, f"gradient {i}")


def normal(*shape):
    return rng.normal(size=shape)


# ---- masked_fill, matmul -------------------------------------------------------------------------
@pytest.mark.parametrize("shape, mask_shape", [((2, 3), (2, 3)), ((2, 4, 4), (4, 4)), ((3,), (2, 3)),
                                               ((2, 1, 3), (4, 1)), ((), ()), ((2, 3), (2,)), ((2, 3), (3, 3))])
@pytest.mark.parametrize("value", [-np.inf, 0.0, 2.5, np.nan])
def test_masked_fill_as_torch(shape, mask_shape, value):
    m = rng.random(mask_shape) < 0.5
    check(lambda x, m: x.masked_fill(m, value), lambda x, m: x.masked_fill(m, value), normal(*shape), m)


@pytest.mark.parametrize("mask_dtype", [np.float64, np.uint8, np.int64, np.int32])
def test_masked_fill_refuses_non_bool_masks_as_torch(mask_dtype):
    m = np.ones(3, mask_dtype)
    check(lambda x, m: x.masked_fill(m, 1.0), lambda x, m: x.masked_fill(m, 1.0), normal(3), m)


def test_masked_fill_value_tensor_and_dtypes_as_torch():
    m = rng.random((2, 3)) < 0.5
    check(lambda x, v, m: x.masked_fill(m, v), lambda x, v, m: x.masked_fill(m, v), normal(2, 3), np.array(1.5), m)
    check(lambda x, v, m: x.masked_fill(m, v), lambda x, v, m: x.masked_fill(m, v), normal(2, 3), normal(3), m)
    for value in (1.7, -2.2, True):
        ours = Tensor([1, 2, 3]).masked_fill(Tensor(m[0]), value)
        theirs = torch.tensor([1, 2, 3]).masked_fill(torch.tensor(m[0]), value)
        assert ours.data.tolist() == theirs.tolist() and ours.dtype == np.int64
    for dtype, value in ((torch.int64, float("inf")), (torch.int32, 2 ** 40), (torch.float32, 1e300)):
        with pytest.raises(RuntimeError):
            torch.zeros(3, dtype=dtype).masked_fill(torch.tensor(m[0]), value)
        with pytest.raises(RuntimeError):
            Tensor(np.zeros(3, {torch.int64: np.int64, torch.int32: np.int32,
                                torch.float32: np.float32}[dtype])).masked_fill(Tensor(m[0]), value)


@pytest.mark.parametrize("sa, sb", [((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 3)), ((2, 2, 3, 4), (2, 2, 4, 3)),
                                    ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 2, 4, 5)), ((2, 3, 4), (4,)),
                                    ((4,), (2, 4, 3)), ((2, 3, 4), (3, 4, 5)), ((2, 3, 4), (2, 5, 3)),
                                    ((2, 2, 3, 4), (3, 4, 2))])
def test_batched_matmul_as_torch(sa, sb):
    check(lambda a, b: a @ b, lambda a, b: a @ b, normal(*sa), normal(*sb))


# ---- embedding -----------------------------------------------------------------------------------
@pytest.mark.parametrize("idx", [np.array([[1, 2, 1], [5, 0, 1]]), np.array(3), np.array([0, 0, 0, 0]),
                                 np.array([1, 2], np.int32), np.array([6]), np.array([-1]),
                                 np.array([1.0]), np.array([True, False])])
def test_embedding_as_torch(idx):
    check(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), normal(6, 3), idx)


def test_embedding_weight_must_be_2d_as_torch():
    check(lambda w, i: F.embedding(i, w), lambda w, i: TF.embedding(i, w), normal(6), np.array([1]))


# ---- layer norm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, normalized", [((2, 3, 4), (4,)), ((2, 3, 4), (3, 4)), ((5, 6), (6,)),
                                               ((4,), (4,)), ((2, 3, 4), (3,)), ((2, 3, 4), (5, 3, 4))])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_as_torch(shape, normalized, affine):
    x = normal(*shape) * 3 + 1
    if affine:
        w, b = normal(*normalized), normal(*normalized)
        check(lambda x, w, b: F.layer_norm(x, normalized, w, b), lambda x, w, b: TF.layer_norm(x, normalized, w, b),
              x, w, b)
    else:
        check(lambda x: F.layer_norm(x, normalized, eps=1e-3), lambda x: TF.layer_norm(x, normalized, eps=1e-3), x)


def test_layer_norm_bad_weight_and_dtype_as_torch():
    x = normal(2, 3, 4)
    check(lambda x, w: F.layer_norm(x, (4,), w), lambda x, w: TF.layer_norm(x, (4,), w), x, normal(3))
    check(lambda x, w: F.layer_norm(x, (4,), w), lambda x, w: TF.layer_norm(x, (4,), w), x,
          normal(4).astype(np.float32))
    check(lambda x: F.layer_norm(x, (2,)), lambda x: TF.layer_norm(x, (2,)), np.array([[1, 2]]))


def test_layer_norm_and_embedding_layers_start_as_torchs():
    ours, theirs = nn.LayerNorm(5), torch.nn.LayerNorm(5)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for k, v in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[k], v.numpy())
    emb = torch.nn.Embedding(3, 2)
    assert list(nn.Embedding(3, 2).state_dict()) == list(emb.state_dict())


# ---- GELU ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_as_torch(approximate):
    x = np.concatenate([np.linspace(-12, 12, 241), [0.0, -0.0, np.nan, np.inf, -np.inf]])
    check(lambda t: F.gelu(t, approximate=approximate), lambda t: TF.gelu(t, approximate=approximate), x)
    x32 = rng.normal(size=100).astype(np.float32)
    ours, theirs = F.gelu(Tensor(x32), approximate=approximate), TF.gelu(torch.tensor(x32), approximate=approximate)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_gelu_refusals_as_torch():
    check(lambda t: F.gelu(t), lambda t: TF.gelu(t), np.array([1, 2]))


# ---- attention -----------------------------------------------------------------------------------
ATTENTION = {
    "causal (B, H, T, D)": ((2, 3, 5, 4), (2, 3, 5, 4), (2, 3, 5, 4), dict(is_causal=True)),
    "causal (B, T, D)": ((2, 5, 4), (2, 5, 4), (2, 5, 3), dict(is_causal=True)),
    "causal L < S": ((2, 3, 4), (2, 5, 4), (2, 5, 2), dict(is_causal=True)),
    "causal L > S": ((2, 6, 4), (2, 4, 4), (2, 4, 2), dict(is_causal=True)),
    "no mask, scale": ((2, 3, 4), (2, 6, 4), (2, 6, 2), dict(scale=0.3)),
    "broadcast batch": ((2, 3, 4, 3), (1, 3, 5, 3), (2, 1, 5, 2), dict()),
    "unbatched": ((4, 3), (4, 3), (4, 3), dict(is_causal=True)),
    "E mismatch": ((2, 3, 4), (2, 3, 5), (2, 3, 4), dict()),
    "S mismatch": ((2, 3, 4), (2, 3, 4), (2, 4, 4), dict()),
    "1-D": ((4,), (4,), (4,), dict()),
}


@pytest.mark.parametrize("name", list(ATTENTION))
def test_attention_as_torch(name):
    sq, sk, sv, kwargs = ATTENTION[name]
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kwargs),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, **kwargs), normal(*sq), normal(*sk), normal(*sv))


@pytest.mark.parametrize("kind", ["bool", "bool with an empty row", "float", "float with -inf row", "causal and mask",
                                  "int", "wrong shape"])
def test_attention_masks_as_torch(kind):
    q, k, v = normal(2, 2, 4, 3), normal(2, 2, 5, 3), normal(2, 2, 5, 2)
    m = {"bool": rng.random((4, 5)) < 0.7, "bool with an empty row": np.array([[True] * 5, [False] * 5] * 2),
         "float": normal(2, 1, 4, 5), "float with -inf row": np.array([[0.0] * 5, [-np.inf] * 5] * 2),
         "causal and mask": np.ones((4, 5), bool), "int": np.ones((4, 5), np.int64),
         "wrong shape": np.ones((3, 5), bool)}[kind]
    causal = kind == "causal and mask"
    check(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal),
          lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal), q, k, v, m)


def test_attention_written_out_as_torch_would_teach_it():
    """The step-by-step version notebook 14 builds, in both engines, equals the fused op."""
    q, k, v = normal(2, 3, 6, 4), normal(2, 3, 6, 4), normal(2, 3, 6, 4)
    tril = np.tril(np.ones((6, 6), bool))

    def ours(q, k, v):
        w = (q @ k.transpose(-2, -1) * (1 / math.sqrt(4))).masked_fill(Tensor(~tril), -np.inf).softmax(-1)
        return w @ v

    def theirs(q, k, v):
        w = (q @ k.transpose(-2, -1) * (1 / math.sqrt(4))).masked_fill(torch.tensor(~tril), -math.inf)
        return w.softmax(-1) @ v

    check(ours, theirs, q, k, v)
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), theirs, q, k, v)


# ---- cross-entropy over sequences ----------------------------------------------------------------
def test_cross_entropy_over_sequences_as_torch():
    y = rng.integers(0, 7, size=(3, 5))
    check(lambda z, y: F.cross_entropy(z, y), lambda z, y: TF.cross_entropy(z, y), normal(3, 7, 5), y)   # (B, V, T)
    check(lambda z, y: F.cross_entropy(z.reshape(-1, 7), y.reshape(-1)),
          lambda z, y: TF.cross_entropy(z.reshape(-1, 7), y.reshape(-1)), normal(3, 5, 7), y)           # flattened
    check(lambda z, y: F.cross_entropy(z, y), lambda z, y: TF.cross_entropy(z, y), normal(3, 5, 7), y)   # refused


# ---- state_dict, no_grad -------------------------------------------------------------------------
def test_state_dict_names_and_loading_as_torch():
    ours = nn.Sequential(nn.Embedding(5, 4), nn.LayerNorm(4), nn.GELU(), nn.Linear(4, 3), nn.BatchNorm1d(3))
    theirs = torch.nn.Sequential(torch.nn.Embedding(5, 4), torch.nn.LayerNorm(4), torch.nn.GELU(),
                                 torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    torch_state = theirs.state_dict()
    del torch_state["4.num_batches_tracked"]  # a counter grad's BatchNorm does not keep
    assert list(ours.state_dict()) == list(torch_state)
    ours.load_state_dict(torch_state)       # torch's tensors load into ours ...
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()}, strict=False)
    idx = np.array([0, 4, 2, 2])            # ... and back
    ours.eval(), theirs.eval()
    assert_same(ours(idx).data, theirs(torch.tensor(idx)))


def test_load_state_dict_errors_as_torch():
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    for state in ({"weight": np.zeros((3, 2))}, {"weight": np.zeros((3, 2)), "bias": np.zeros(3), "x": np.ones(1)},
                  {"weight": np.zeros((2, 2)), "bias": np.zeros(3)}):
        with pytest.raises(RuntimeError, match="Error") as theirs_error:
            theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
        with pytest.raises(RuntimeError, match="Error") as ours_error:
            ours.load_state_dict(state)
        for word in ("Missing", "Unexpected", "size mismatch"):
            assert (word in str(ours_error.value)) == (word in str(theirs_error.value)), word


def test_no_grad_as_torch():
    x, t = Tensor(normal(3), requires_grad=True), torch.tensor(normal(3), requires_grad=True)
    with no_grad():
        ours = F.gelu(x * 2)
    with torch.no_grad():
        theirs = TF.gelu(t * 2)
    assert ours.requires_grad == theirs.requires_grad == False  # noqa: E712


# ---- a tiny GPT, whole -----------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self, width, heads):
        self.heads = heads
        self.ln1, self.qkv, self.proj = nn.LayerNorm(width), nn.Linear(width, 3 * width), nn.Linear(width, width)
        self.ln2, self.fc, self.out = nn.LayerNorm(width), nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x, fused):
        B, T, C = x.shape
        H = self.heads
        q, k, v = (self.qkv(self.ln1(x)).reshape(B, T, 3, H, C // H).permute(2, 0, 3, 1, 4)[i] for i in range(3))
        if fused:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # the same thing from the engine's basic operations
            scores = (q @ k.transpose(-2, -1)) * (1 / math.sqrt(C // H))
            y = scores.masked_fill(Tensor(~np.tri(T, dtype=bool)), -np.inf).softmax(-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab=11, context=8, width=16, heads=4, layers=2):
        self.tok, self.pos = nn.Embedding(vocab, width), nn.Embedding(context, width)
        self.blocks = [Block(width, heads) for _ in range(layers)]
        self.ln_f, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)

    def forward(self, idx, targets, fused=True):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(np.arange(T))
        for block in self.blocks:
            x = block(x, fused)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.transpose(1, 2), targets)   # PyTorch's layout: (B, V, T)


class TorchBlock(torch.nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.qkv = torch.nn.LayerNorm(width), torch.nn.Linear(width, 3 * width)
        self.proj, self.ln2 = torch.nn.Linear(width, width), torch.nn.LayerNorm(width)
        self.fc, self.out = torch.nn.Linear(width, 4 * width), torch.nn.Linear(4 * width, width)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).reshape(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        y = TF.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.out(TF.gelu(self.fc(self.ln2(x))))


class TorchGPT(torch.nn.Module):
    def __init__(self, vocab=11, context=8, width=16, heads=4, layers=2):
        super().__init__()
        self.tok, self.pos = torch.nn.Embedding(vocab, width), torch.nn.Embedding(context, width)
        self.blocks = torch.nn.ModuleList(TorchBlock(width, heads) for _ in range(layers))
        self.ln_f, self.head = torch.nn.LayerNorm(width), torch.nn.Linear(width, vocab)

    def forward(self, idx, targets):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return TF.cross_entropy(self.head(self.ln_f(x)).transpose(1, 2), targets)


@pytest.mark.parametrize("fused", [True, False])
def test_tiny_gpt_loss_and_every_gradient_as_torch(fused):
    manual_seed(3)
    ours, theirs = GPT(), TorchGPT()
    state = ours.state_dict()
    for a in state.values():                   # LayerNorm starts at 1 and 0: make it count
        a += 0.1 * rng.normal(size=a.shape)
    ours.load_state_dict(state)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    data = rng.integers(0, 11, size=(3, 9))
    loss = ours(data[:, :-1], data[:, 1:], fused=fused)
    expected = theirs(torch.tensor(data[:, :-1]), torch.tensor(data[:, 1:]))
    loss.backward()
    expected.backward()
    assert abs(loss.item() - expected.item()) < 1e-9
    ours_params = dict(ours.named_parameters())
    assert list(ours_params) == [name for name, _ in theirs.named_parameters()]
    for name, p in theirs.named_parameters():
        assert_same(ours_params[name].grad, p.grad, f"gradient of {name}", tol=1e-9)
