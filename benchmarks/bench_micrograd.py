"""grad vs micrograd 0.1.0 on micrograd's own demo, side by side in one process.

The workload is the demo notebook's training step, unchanged: 100 points of two moons
(noise 0.1), MLP(2, [16, 16, 1]), mean hinge loss relu(1 - y*score) plus 1e-4 * sum(p*p),
learning rate 1.0 - 0.9*k/100, full batch. Both models start from the same weights
(both draw them from `random` in the same order) and must produce the same losses and
gradients at every step.

The engines alternate in blocks of consecutive steps, as a learner runs them, so each
pays its own garbage-collection costs (a large part of micrograd's time: every op's
closure refers to its own output, and those cycles pile up until a full collection);
the heap is cleaned between blocks, untimed, so neither pays for the other's garbage.

    python benchmarks/bench_micrograd.py [--rounds R] [--block K]
"""
from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time

import micrograd.engine
import micrograd.nn
from sklearn.datasets import make_moons

import grad
import grad.nn


def make_workload(Value, MLP, seed: int = 1337):
    """The demo's model and one full-batch training step, written once for either engine."""
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1
    random.seed(seed)
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum((p * p for p in model.parameters()))
        return data_loss + reg_loss

    def step(k: int) -> tuple[float, list[float]]:
        total_loss = loss()
        model.zero_grad()
        total_loss.backward()
        grads = [p.grad for p in model.parameters()]
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        return total_loss.data, grads

    return step


def run_block(step, first: int, count: int) -> tuple[list[float], list[tuple]]:
    """`count` consecutive steps starting at step `first`: their times and results."""
    gc.collect()
    times, results = [], []
    for k in range(first, first + count):
        start = time.perf_counter()
        results.append(step(k))
        times.append(time.perf_counter() - start)
    return times, results


def main(rounds: int = 3, block: int = 3) -> float:
    theirs = make_workload(micrograd.engine.Value, micrograd.nn.MLP)
    ours = make_workload(grad.Value, grad.nn.MLP)
    t_theirs, t_ours, worst = [], [], 0.0
    for r in range(rounds):
        first = r * block
        dt_theirs, res_theirs = run_block(theirs, first, block)
        dt_ours, res_ours = run_block(ours, first, block)
        t_theirs += dt_theirs
        t_ours += dt_ours
        for k, (a, b) in enumerate(zip(res_theirs, res_ours), start=first):
            (loss_theirs, g_theirs), (loss_ours, g_ours) = a, b
            diff = max(abs(x - y) / max(1.0, abs(x)) for x, y in zip(g_theirs, g_ours))
            worst = max(worst, diff)
            if not math.isclose(loss_theirs, loss_ours, rel_tol=1e-9) or diff > 1e-9:
                raise SystemExit(f"step {k}: results differ: loss {loss_theirs!r} vs {loss_ours!r}, "
                                 f"largest gradient difference {diff:.3g}")
        print(f"steps {first}-{first + block - 1}: loss {res_ours[-1][0]:.6f}   "
              f"micrograd {statistics.mean(dt_theirs)*1e3:7.1f} ms/step   "
              f"grad {statistics.mean(dt_ours)*1e3:5.1f} ms/step")
    mt, gt = statistics.mean(t_theirs), statistics.mean(t_ours)
    ratio = mt / gt
    print(f"\nmicrograd 0.1.0: {mt*1e3:.0f} ms/step   grad: {gt*1e3:.1f} ms/step   "
          f"(mean of {len(t_ours)} steps each, garbage collection included)")
    print(f"medians: micrograd {statistics.median(t_theirs)*1e3:.0f} ms, "
          f"grad {statistics.median(t_ours)*1e3:.1f} ms")
    print(f"largest relative gradient difference: {worst:.1e}")
    print(f"grad is {ratio:.0f}x faster than micrograd per training step")
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="alternations (default 3)")
    parser.add_argument("--block", type=int, default=3, help="consecutive steps per block (default 3)")
    args = parser.parse_args()
    main(args.rounds, args.block)
