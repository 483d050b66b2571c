"""grad.tensor vs PyTorch CPU: one epoch of a small CNN on the 8x8 digits (grad.data).

Both engines: the same architecture (conv 1->16, ReLU, max-pool, conv 16->32, ReLU,
max-pool, linear 128->10), the same initial weights, the same shuffled minibatches of 32,
Adam (lr 0.01), float64, one thread. The losses must agree; the script prints the time
per epoch of each and the ratio.

    python benchmarks/bench_cnn.py [--epochs N] [--json FILE]
"""
from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from grad.data import load_digits  # noqa: E402
from grad.optim import Adam  # noqa: E402
from grad.tensor import Tensor, manual_seed, nn  # noqa: E402
from grad.tensor import functional as F  # noqa: E402


def digits():
    data = load_digits()  # notebook 12's digits and its fixed 80/20 split
    X = (data.images / 16.0)[:, None, :, :]  # N 1 8 8, in [0, 1]
    return X[data.train], X[data.test], data.target[data.train], data.target[data.test]


def make_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),    # 16 x 4 x 4
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 32 x 2 x 2
        nn.Flatten(), nn.Linear(32 * 2 * 2, 10))


def torch_copy(model: nn.Sequential):
    import torch
    layers = []
    for layer in model:
        if isinstance(layer, nn.Conv2d):
            t = torch.nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                padding=layer.padding, dtype=torch.float64)
        elif isinstance(layer, nn.Linear):
            t = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
        else:
            t = {nn.ReLU: torch.nn.ReLU, nn.MaxPool2d: lambda: torch.nn.MaxPool2d(2),
                 nn.Flatten: torch.nn.Flatten}[type(layer)]()
        if hasattr(layer, "weight"):
            with torch.no_grad():
                t.weight.copy_(torch.from_numpy(layer.weight.data))
                t.bias.copy_(torch.from_numpy(layer.bias.data))
        layers.append(t)
    return torch.nn.Sequential(*layers)


def batches(n: int, size: int, epoch: int):
    order = np.random.default_rng(epoch).permutation(n)
    return [order[i:i + size] for i in range(0, n, size)]


def epoch_grad(model, opt, X, y, epoch):
    losses = []
    for idx in batches(len(X), 32, epoch):
        loss = F.cross_entropy(model(Tensor(X[idx])), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def epoch_torch(model, opt, X, y, epoch):
    import torch
    losses = []
    for idx in batches(len(X), 32, epoch):
        loss = torch.nn.functional.cross_entropy(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def accuracy_grad(model, X, y) -> float:
    model.eval()
    pred = model(Tensor(X)).data.argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def main(epochs: int = 3) -> dict:
    import torch
    torch.set_num_threads(1)
    X_train, X_test, y_train, y_test = digits()
    manual_seed(0)
    ours = make_cnn()
    theirs = torch_copy(ours)
    opt_ours = Adam(ours.parameters(), lr=0.01)
    opt_theirs = torch.optim.Adam(theirs.parameters(), lr=0.01)
    Xt, yt = torch.from_numpy(X_train), torch.from_numpy(y_train)
    t_ours, t_theirs = [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        l_ours = epoch_grad(ours, opt_ours, X_train, y_train, epoch)
        t_ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        l_theirs = epoch_torch(theirs, opt_theirs, Xt, yt, epoch)
        t_theirs.append(time.perf_counter() - start)
        np.testing.assert_allclose(l_ours, l_theirs, rtol=1e-6, atol=1e-9)
        print(f"epoch {epoch}: mean loss {np.mean(l_ours):.4f}  grad {t_ours[-1] * 1e3:6.1f} ms  "
              f"PyTorch {t_theirs[-1] * 1e3:6.1f} ms")
    ours_ms, theirs_ms = statistics.median(t_ours) * 1e3, statistics.median(t_theirs) * 1e3
    ratios = [a / b for a, b in zip(t_ours, t_theirs)]
    print(f"test accuracy after {epochs} epochs: {accuracy_grad(ours, X_test, y_test):.1%}")
    print(f"Python {platform.python_version()}, PyTorch {torch.__version__}, one thread each, float64")
    print(f"per epoch ({len(X_train)} images, batches of 32): grad.tensor {ours_ms:.1f} ms, "
          f"PyTorch {theirs_ms:.1f} ms: grad.tensor takes {statistics.median(ratios):.2f}x PyTorch's time "
          f"(median of {epochs} epochs taking turns, range {min(ratios):.2f}-{max(ratios):.2f}x)")
    return {"python": platform.python_version(), "torch_version": torch.__version__,
            "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
            "grad_ms": ours_ms, "torch_ms": theirs_ms, "epochs": epochs}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    res = main(args.epochs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f)
