"""Train notebook 15's tiny GPT and the models with one part removed; save them for the notebook.

    python scripts/train_gpt_ablations.py [--only NAME ...] [--out grad/data]

Each run trains the notebook's model (the classes below are the notebook's cells, word for
word; tests/test_gpt_checkpoints.py checks that) on the training 90% of grad.data.load_text(),
the split of notebooks 13 and 14, with the same seeds and the same batches:

    full          STEPS_LONG steps (the learning rate drops tenfold for the last 500);
                  its state after STEPS_SHORT steps is also saved, as full_short
    no_position   STEPS_SHORT steps without the position embeddings
    no_residual   STEPS_SHORT steps without the residual connections
    no_norm       STEPS_SHORT steps without the layer norms
    one_head      STEPS_SHORT steps with one attention head of width 48 instead of 4 of 12

Files: gpt_<name>.npz (the state_dict, stored as float16 to keep the files small; loading
casts them back into the model's float32 parameters) and gpt_losses.npz (the training loss
of every step of every run). Everything is seeded and runs on one thread: the same files,
byte for byte, on every run on the same machine.
"""
from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import math  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import grad.tensor  # noqa: E402
from grad.data import load_text  # noqa: E402
from grad.optim import Adam, StepLR  # noqa: E402
from grad.tensor import nn  # noqa: E402
from grad.tensor import functional as F  # noqa: E402

# ---- the notebook's model (cells of notebooks/15_gpt.ipynb) -----------------------------------
class MultiHeadAttention(nn.Module):
    """n_heads causal self-attention heads side by side, then an output projection."""

    def __init__(self, C, n_heads, dtype=np.float32):
        assert C % n_heads == 0, "the heads share the C numbers: C must be a multiple of n_heads"
        self.n_heads, self.head_size = n_heads, C // n_heads
        self.query = nn.Linear(C, C, bias=False, dtype=dtype)
        self.key = nn.Linear(C, C, bias=False, dtype=dtype)
        self.value = nn.Linear(C, C, bias=False, dtype=dtype)
        self.proj = nn.Linear(C, C, dtype=dtype)

    def split(self, t):                        # (B, T, C) -> (B, H, T, C // H)
        B, T, C = t.shape
        return t.reshape(B, T, self.n_heads, self.head_size).transpose(1, 2)

    def weights(self, x):                      # the attention weights, (B, H, T, T)
        q, k = self.split(self.query(x)), self.split(self.key(x))
        T = x.shape[1]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_size)
        return scores.masked_fill(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf).softmax(axis=-1)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=True)     # (B, H, T, C // H)
        return self.proj(out.transpose(1, 2).reshape(B, T, C))           # concatenate, mix


class MLP(nn.Module):
    """The same small network at every position: widen 4 times, GELU, back to C."""

    def __init__(self, C, dtype=np.float32):
        self.fc = nn.Linear(C, 4 * C, dtype=dtype)
        self.out = nn.Linear(4 * C, C, dtype=dtype)

    def forward(self, x):
        return self.out(F.gelu(self.fc(x)))


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x)): positions talk, then each thinks."""

    def __init__(self, C, n_heads, residual=True, norm=True, dtype=np.float32):
        self.residual, self.norm = residual, norm
        self.ln1 = nn.LayerNorm(C, dtype=dtype)
        self.attn = MultiHeadAttention(C, n_heads, dtype=dtype)
        self.ln2 = nn.LayerNorm(C, dtype=dtype)
        self.mlp = MLP(C, dtype=dtype)

    def forward(self, x):
        a = self.attn(self.ln1(x) if self.norm else x)
        x = x + a if self.residual else a
        m = self.mlp(self.ln2(x) if self.norm else x)
        return x + m if self.residual else m


class GPT(nn.Module):
    """Token and position embeddings, a stack of blocks, a last layer norm, logits."""

    def __init__(self, vocab, block, C, n_heads, n_layers, position=True, residual=True,
                 norm=True, dtype=np.float32):
        self.block, self.position, self.norm = block, position, norm
        self.tok = nn.Embedding(vocab, C, dtype=dtype)
        self.pos = nn.Embedding(block, C, dtype=dtype)
        self.blocks = nn.Sequential(*[Block(C, n_heads, residual, norm, dtype) for _ in range(n_layers)])
        self.ln_f = nn.LayerNorm(C, dtype=dtype)
        self.head = nn.Linear(C, vocab, dtype=dtype)

    def forward(self, idx):                    # (B, T) indices -> (B, T, vocab) logits
        x = self.tok(idx)
        if self.position:
            x = x + self.pos(np.arange(idx.shape[1]))
        x = self.blocks(x)
        return self.head(self.ln_f(x) if self.norm else x)
# ---- end of the notebook's model ---------------------------------------------------------------

BLOCK, C, HEADS, LAYERS, BATCH, LR = 32, 48, 4, 2, 32, 5e-3
STEPS_SHORT, STEPS_LONG = 500, 3000
RUNS = {
    "full": {},
    "no_position": {"position": False},
    "no_residual": {"residual": False},
    "no_norm": {"norm": False},
    "one_head": {"n_heads": 1},
}


def corpus():
    """The characters of the novel as indices, split as in notebooks 13 and 14."""
    text = load_text()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = np.array([stoi[ch] for ch in text])
    cut = int(0.9 * len(data))
    return chars, data[:cut], data[cut:]


def get_batch(ids, rng, batch):
    """`batch` random windows of BLOCK characters, and the same windows shifted by one."""
    starts = rng.integers(0, len(ids) - BLOCK - 1, batch)
    windows = starts[:, None] + np.arange(BLOCK)
    return ids[windows], ids[windows + 1]


def make_model(vocab, **changes):
    grad.tensor.manual_seed(0)
    sizes = {"n_heads": HEADS, **changes}
    return GPT(vocab, BLOCK, C, n_layers=LAYERS, **sizes)


def train(model, train_ids, steps, on_step=None):
    """Adam (lr 5e-3, a tenth of it after step 2500) on seeded random batches of 32 windows."""
    opt = Adam(model.parameters(), lr=LR)
    schedule = StepLR(opt, step_size=2500, gamma=0.1)
    batch_rng = np.random.default_rng(0)
    losses = []
    for step in range(steps):
        X, Y = get_batch(train_ids, batch_rng, BATCH)
        loss = F.cross_entropy(model(X).reshape(-1, model.head.out_features), Y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(step + 1, model)
        if (step + 1) % 250 == 0:
            print(f"  step {step + 1}: mean training loss of the last 250 {np.mean(losses[-250:]):.4f}", flush=True)
    return np.array(losses, dtype=np.float32)


def save_npz(path: Path, arrays: dict) -> None:
    """np.savez, but with a fixed date in the zip entries, so that equal arrays give equal bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.save(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue())


def half(state: dict) -> dict:
    return {k: np.asarray(v, dtype=np.float16) for k, v in state.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(RUNS), help="train only these runs")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "grad" / "data"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chars, train_ids, _ = corpus()
    for name in args.only or RUNS:
        model = make_model(len(chars), **RUNS[name])
        if name == "full":
            def snapshot(step, model):
                if step == STEPS_SHORT:
                    save_npz(out / "gpt_full_short.npz", half(model.state_dict()))
            losses = train(model, train_ids, STEPS_LONG, snapshot)
        else:
            losses = train(model, train_ids, STEPS_SHORT)
        save_npz(out / f"gpt_{name}.npz", half(model.state_dict()))
        np.save(out / f"_losses_{name}.npy", losses)
        print(f"{name}: last training loss {losses[-1]:.4f}", flush=True)
    parts = {n: np.load(out / f"_losses_{n}.npy") for n in RUNS if (out / f"_losses_{n}.npy").exists()}
    if len(parts) == len(RUNS):
        save_npz(out / "gpt_losses.npz", parts)
        for n in RUNS:
            (out / f"_losses_{n}.npy").unlink()


if __name__ == "__main__":
    main()
