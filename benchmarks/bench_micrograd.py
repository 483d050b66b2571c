"""grad vs micrograd 0.1.0 on micrograd's own demo, side by side in one process.

The workload is the demo notebook's training step, unchanged: 100 points of two moons
(noise 0.1), MLP(2, [16, 16, 1]), mean hinge loss relu(1 - y*score) plus 1e-4 * sum(p*p),
learning rate 1.0 - 0.9*k/100, full batch. Both models start from the same weights
(both draw them from `random` in the same order) and must produce the same loss and the
same 337 gradients, to 1e-12, at every step.

How it is timed. The engines take turns for several rounds (who goes first alternates).
In each round, each engine starts from a clean heap (`gc.collect()`, untimed), runs one
untimed warm-up step, then the timed steps. Garbage collection during the timed steps
is included: it is a large part of micrograd's time, because every op's closure refers
to its own output, and those reference cycles pile up until Python's cycle collector
runs. Right after a collection there are none yet, so the first step after it is
cheaper than the steps of a training loop: that is why it is not timed. grad's graphs,
having no cycles, leave the collector little to do, but the objects a step allocates
still set off a full collection of the whole heap every several steps (tens of ms);
with four timed steps a turn, a turn's median is a typical step, not that one. The
result is the median time per step of each engine, their ratio, and the range of the
ratio over the rounds (the spread). Wall-clock times are what a learner waits; the CPU-time ratio
is printed too, because other programs on a busy machine disturb it less.

    python benchmarks/bench_micrograd.py [--rounds R] [--steps S] [--json FILE]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import random
import statistics
import sys
import time

import micrograd.engine
import micrograd.nn
from sklearn.datasets import make_moons

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import grad  # noqa: E402
import grad.nn  # noqa: E402

TOLERANCE = 1e-12  # largest difference allowed in the loss and in every gradient


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


def run_turn(step, first: int, count: int) -> tuple[list[float], list[float], list[tuple]]:
    """One engine's turn: a clean heap, an untimed warm-up step `first`, then `count`
    timed steps. Returns their wall-clock and CPU times and every step's results."""
    gc.collect()
    results = [step(first)]
    wall, cpu = [], []
    for k in range(first + 1, first + 1 + count):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        results.append(step(k))
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return wall, cpu, results


def largest_difference(theirs: list[tuple], ours: list[tuple]) -> float:
    """The largest difference between the two engines' losses and gradients, relative
    to the number's size where it is above 1."""
    worst = 0.0
    for (loss_a, grads_a), (loss_b, grads_b) in zip(theirs, ours):
        for a, b in zip([loss_a, *grads_a], [loss_b, *grads_b]):
            worst = max(worst, abs(a - b) / max(1.0, abs(a)))
    return worst


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def main(rounds: int = 5, steps: int = 4) -> dict:
    engines = {"micrograd": make_workload(micrograd.engine.Value, micrograd.nn.MLP),
               "grad": make_workload(grad.Value, grad.nn.MLP)}
    wall = {name: [] for name in engines}
    cpu = {name: [] for name in engines}
    ratios, cpu_ratios, worst = [], [], 0.0
    print(f"Python {platform.python_version()}: grad.Value vs micrograd 0.1.0, "
          f"{rounds} rounds of 1 warm-up + {steps} timed steps per engine")
    for r in range(rounds):
        first = r * (steps + 1)
        order = list(engines) if r % 2 == 0 else list(engines)[::-1]
        turn = {name: run_turn(engines[name], first, steps) for name in order}
        diff = largest_difference(turn["micrograd"][2], turn["grad"][2])
        worst = max(worst, diff)
        if not diff <= TOLERANCE:
            raise SystemExit(f"steps {first}-{first + steps}: the engines disagree "
                             f"(largest difference {diff:.3g})")
        for name in engines:
            wall[name] += turn[name][0]
            cpu[name] += turn[name][1]
        mg, ours = statistics.median(turn["micrograd"][0]), statistics.median(turn["grad"][0])
        ratios.append(mg / ours)
        cpu_ratios.append(statistics.median(turn["micrograd"][1]) / statistics.median(turn["grad"][1]))
        print(f"  round {r + 1} ({' first, '.join(order)} second): micrograd {mg * 1e3:6.0f} ms/step, "
              f"grad {ours * 1e3:5.1f} ms/step, {ratios[-1]:4.0f}x (CPU time {cpu_ratios[-1]:.0f}x)")
    mg, ours = statistics.median(wall["micrograd"]), statistics.median(wall["grad"])
    result = {
        "python": platform.python_version(),
        "micrograd_ms": mg * 1e3, "grad_ms": ours * 1e3,
        "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios),
        "cpu_ratio": statistics.median(cpu_ratios),
        "cpu_ratio_min": min(cpu_ratios), "cpu_ratio_max": max(cpu_ratios),
        "largest_difference": worst, "rounds": rounds, "steps": steps,
        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    print(f"micrograd 0.1.0: {mg * 1e3:.0f} ms/step, grad: {ours * 1e3:.1f} ms/step "
          f"(medians of {len(wall['grad'])} steps each, garbage collection included)")
    print(f"largest difference in the loss and the gradients: {worst:.1e}")
    print(f"grad is {result['ratio']:.0f}x faster than micrograd per training step "
          f"(median of {rounds} rounds, range {spread(ratios)}x; "
          f"CPU time {result['cpu_ratio']:.0f}x, range {spread(cpu_ratios)}x)")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="turns per engine (default 5)")
    parser.add_argument("--steps", type=int, default=4,
                        help="timed steps per turn, after one warm-up step (default 4)")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if args.rounds < 1 or args.steps < 1:
        parser.error("--rounds and --steps must be at least 1")
    res = main(args.rounds, args.steps)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f)
