"""grad.tensor vs PyTorch CPU: one training step of a tiny GPT.

Both engines: the same model (token and position embeddings, `--layers` pre-norm blocks of
causal multi-head self-attention and a GELU MLP with residual connections, a final layer
norm and a linear head onto the vocabulary), the same initial weights (copied with
state_dict / load_state_dict), the same batches of characters' indices, AdamW (lr 1e-3),
one thread each, in one dtype. A step is forward, cross-entropy, backward and the
optimizer's update. The losses must agree (1e-9 in float64, 1e-6 in float32);
the script prints the median time per step of each, measured in interleaved rounds, and
the ratio.

    python benchmarks/bench_gpt.py [--dtype float32|float64] [--steps N] [--rounds N]
"""
from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from grad.optim import AdamW  # noqa: E402
from grad.tensor import Tensor, manual_seed, nn  # noqa: E402
from grad.tensor import functional as F  # noqa: E402


class Block(nn.Module):
    def __init__(self, width: int, heads: int, dtype):
        self.heads = heads
        self.ln1 = nn.LayerNorm(width, dtype=dtype)
        self.qkv = nn.Linear(width, 3 * width, dtype=dtype)
        self.proj = nn.Linear(width, width, dtype=dtype)
        self.ln2 = nn.LayerNorm(width, dtype=dtype)
        self.fc = nn.Linear(width, 4 * width, dtype=dtype)
        self.act = nn.GELU()
        self.out = nn.Linear(4 * width, width, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.shape
        qkv = self.qkv(self.ln1(x)).reshape(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)  # B H T D
        x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.out(self.act(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab: int, context: int, width: int, heads: int, layers: int, dtype=np.float64):
        self.tok = nn.Embedding(vocab, width, dtype=dtype)
        self.pos = nn.Embedding(context, width, dtype=dtype)
        self.blocks = [Block(width, heads, dtype) for _ in range(layers)]
        self.ln_f = nn.LayerNorm(width, dtype=dtype)
        self.head = nn.Linear(width, vocab, dtype=dtype)

    def forward(self, idx: np.ndarray, targets: np.ndarray) -> Tensor:
        B, T = idx.shape
        x = self.tok(idx) + self.pos(np.arange(T))
        for block in self.blocks:
            x = block(x)
        logits = self.head(self.ln_f(x))
        return F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1))


def torch_gpt(vocab: int, context: int, width: int, heads: int, layers: int, dtype):
    """The same model in PyTorch, with the same parameter names."""
    import torch
    from torch import nn as tnn
    from torch.nn import functional as TF

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.qkv = tnn.LayerNorm(width), tnn.Linear(width, 3 * width)
            self.proj, self.ln2 = tnn.Linear(width, width), tnn.LayerNorm(width)
            self.fc, self.act = tnn.Linear(width, 4 * width), tnn.GELU()
            self.out = tnn.Linear(4 * width, width)

        def forward(self, x):
            B, T, C = x.shape
            qkv = self.qkv(self.ln1(x)).reshape(B, T, 3, heads, C // heads).permute(2, 0, 3, 1, 4)
            y = TF.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], is_causal=True)
            x = x + self.proj(y.transpose(1, 2).reshape(B, T, C))
            return x + self.out(self.act(self.fc(self.ln2(x))))

    class TGPT(tnn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = tnn.Embedding(vocab, width), tnn.Embedding(context, width)
            self.blocks = tnn.ModuleList(TBlock() for _ in range(layers))
            self.ln_f, self.head = tnn.LayerNorm(width), tnn.Linear(width, vocab)

        def forward(self, idx, targets):
            B, T = idx.shape
            x = self.tok(idx) + self.pos(torch.arange(T))
            for block in self.blocks:
                x = block(x)
            return TF.cross_entropy(self.head(self.ln_f(x)).reshape(B * T, -1), targets.reshape(-1))

    return TGPT().to(dtype)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, default=5, help="steps per round")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds")
    parser.add_argument("--vocab", type=int, default=65)
    parser.add_argument("--context", type=int, default=32)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(1)
    dtype = np.dtype(args.dtype)
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype.type]
    sizes = (args.vocab, args.context, args.width, args.heads, args.layers)

    manual_seed(0)
    ours = GPT(*sizes, dtype=dtype)
    theirs = torch_gpt(*sizes, tdtype)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    opt_ours = AdamW(ours.parameters(), lr=1e-3)
    opt_theirs = torch.optim.AdamW(theirs.parameters(), lr=1e-3)

    rng = np.random.default_rng(0)
    n_batches = args.steps * args.rounds
    batches = [rng.integers(0, args.vocab, size=(args.batch, args.context + 1)) for _ in range(n_batches)]

    def step_ours(batch):
        loss = ours(batch[:, :-1], batch[:, 1:])
        opt_ours.zero_grad()
        loss.backward()
        opt_ours.step()
        return loss.item()

    def step_theirs(batch):
        b = torch.from_numpy(batch)
        loss = theirs(b[:, :-1], b[:, 1:])
        opt_theirs.zero_grad()
        loss.backward()
        opt_theirs.step()
        return loss.item()

    times: dict = {"grad.tensor": [], "PyTorch": []}
    losses: dict = {"grad.tensor": [], "PyTorch": []}
    for r in range(args.rounds):
        chunk = batches[r * args.steps:(r + 1) * args.steps]
        for name, step in (("grad.tensor", step_ours), ("PyTorch", step_theirs)):
            start = time.perf_counter()
            losses[name].extend(step(b) for b in chunk)
            times[name].append((time.perf_counter() - start) / args.steps)

    ours_l, theirs_l = np.array(losses["grad.tensor"]), np.array(losses["PyTorch"])
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == np.float64 else dict(rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours_l, theirs_l, **tol, err_msg="the two engines' losses differ")
    t_ours, t_theirs = statistics.median(times["grad.tensor"]), statistics.median(times["PyTorch"])
    print(f"tiny GPT (vocab {args.vocab}, context {args.context}, width {args.width}, {args.heads} heads, "
          f"{args.layers} layers, batch {args.batch}), {args.dtype}, one thread, "
          f"Python {platform.python_version()}, NumPy {np.__version__}, torch {torch.__version__}")
    print(f"losses agree over {n_batches} steps: first {ours_l[0]:.6f}, last {ours_l[-1]:.6f} "
          f"(largest difference {np.abs(ours_l - theirs_l).max():.1e})")
    print(f"one training step: grad.tensor {t_ours * 1e3:.2f} ms, PyTorch {t_theirs * 1e3:.2f} ms "
          f"(median of {args.rounds} interleaved rounds of {args.steps} steps)")
    print(f"ratio grad.tensor / PyTorch: {t_ours / t_theirs:.2f}x")


if __name__ == "__main__":
    main()
