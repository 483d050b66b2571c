"""grad.tensor vs micrograd 0.1.0 and PyTorch CPU on micrograd's demo model.

The workload: two moons (100 points, noise 0.1), a 2-16-16-1 ReLU network, mean hinge
loss relu(1 - y*score) plus 1e-4 * sum of squared parameters, plain SGD with learning rate
1.0 - 0.9*k/100, full batch. The three engines start from the same weights (micrograd's,
drawn with the same seed) and must report the same losses. PyTorch runs in float64 on one
thread, and so does NumPy (the environment variables below are set before it loads).

    python benchmarks/bench_tensor.py [--steps N] [--json FILE]
"""
from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import micrograd.engine  # noqa: E402
import micrograd.nn  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

from grad.tensor import Tensor, nn  # noqa: E402

X, Y = make_moons(n_samples=100, noise=0.1, random_state=1)
Y = Y * 2.0 - 1


def run_block(step, first: int, count: int) -> tuple[list[float], list]:
    """`count` consecutive steps starting at step `first` (from a clean heap): their
    times and results."""
    gc.collect()
    times, results = [], []
    for k in range(first, first + count):
        start = time.perf_counter()
        results.append(step(k))
        times.append(time.perf_counter() - start)
    return times, results


def micrograd_model(seed: int = 1337):
    random.seed(seed)
    return micrograd.nn.MLP(2, [16, 16, 1])


def layer_arrays(model) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias (out,)) for each layer of a micrograd MLP."""
    return [(np.array([[w.data for w in n.w] for n in layer.neurons]),
             np.array([float(n.b.data) for n in layer.neurons])) for layer in model.layers]


def micrograd_step(model):
    def step(k):
        inputs = [list(map(micrograd.engine.Value, row)) for row in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
        total = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= lr * p.grad
        return total.data
    return step


def grad_step(arrays):
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    for layer, (w, b) in zip(model.layers[::2], arrays):
        layer.weight.data, layer.bias.data = w.copy(), b.copy()
    params = model.parameters()
    x, y = Tensor(X), Tensor(Y[:, None])

    def step(k):
        scores = model(x)
        loss = (1 - y * scores).relu().mean()
        reg = sum((p * p).sum() for p in params)
        total = loss + 1e-4 * reg
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        for p in params:
            p.data -= lr * p.grad
        return total.item()
    return step


def torch_step(arrays):
    import torch
    torch.set_num_threads(1)
    layers = []
    for w, b in arrays:
        lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    params = list(model.parameters())
    x, y = torch.from_numpy(X), torch.from_numpy(Y[:, None])

    def step(k):
        scores = model(x)
        loss = (1 - y * scores).relu().mean()
        reg = sum((p * p).sum() for p in params)
        total = loss + 1e-4 * reg
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / 100
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total.item()
    return step


def main(steps: int = 100, micrograd_steps: int = 4) -> dict:
    arrays = layer_arrays(micrograd_model())
    ours, theirs_torch = grad_step(arrays), torch_step(arrays)
    t_mg, loss_mg = run_block(micrograd_step(micrograd_model()), 0, micrograd_steps)
    # alternate grad and PyTorch in blocks of 10 steps over the whole run
    t_ours, t_torch, l_ours, l_torch, block_ratios = [], [], [], [], []
    for first in range(0, steps, 10):
        a, la = run_block(ours, first, min(10, steps - first))
        b, lb = run_block(theirs_torch, first, min(10, steps - first))
        t_ours += a; l_ours += la; t_torch += b; l_torch += lb
        block_ratios.append(statistics.median(a) / statistics.median(b))
    np.testing.assert_allclose(l_ours[:micrograd_steps], loss_mg, rtol=1e-9)
    np.testing.assert_allclose(l_ours, l_torch, rtol=1e-9)
    mg, us, pt = statistics.mean(t_mg), statistics.median(t_ours), statistics.median(t_torch)
    torch_version = __import__("torch").__version__
    print(f"Python {platform.python_version()}, PyTorch {torch_version}, one thread each, float64")
    print(f"losses agree (micrograd: first {micrograd_steps} steps, PyTorch: all {steps}); "
          f"final loss {l_ours[-1]:.6f}")
    print(f"micrograd 0.1.0:    {mg * 1e3:9.1f} ms/step  (mean of {micrograd_steps})")
    print(f"PyTorch {torch_version}:  {pt * 1e3:9.3f} ms/step  (median of {steps})")
    print(f"grad.tensor:        {us * 1e3:9.3f} ms/step  (median of {steps})")
    print(f"grad.tensor is {mg / us:.0f}x faster than micrograd and takes {us / pt:.2f}x PyTorch's "
          f"time (blocks of 10 steps, taking turns: {min(block_ratios):.2f}-{max(block_ratios):.2f}x)")
    return {"python": platform.python_version(), "torch_version": torch_version,
            "micrograd": mg / us, "torch": us / pt,
            "torch_min": min(block_ratios), "torch_max": max(block_ratios),
            "grad_ms": us * 1e3, "torch_ms": pt * 1e3}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    res = main(args.steps)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f)
