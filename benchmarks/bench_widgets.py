"""How fast the course's widgets answer: build time, and the redraw after every slider move.

Each widget is built as its notebook builds it (and with its defaults where the two
differ), then every control is moved across its whole range: every position of a short
control, 41 evenly spaced positions (both ends included) of a long one, in a shuffled
but fixed order, so that first visits and revisits of cached states are both measured.
Each move is timed from setting the control's value to the end of the redraw it causes
(the new PNG or SVG is ready). The whole measurement is repeated (`--repeat`), each time
with freshly built widgets; the table gives the median over the repeats and, in
brackets, the lowest and highest value seen, because other programs on the machine make
single numbers noisy.

    .venv/bin/python benchmarks/bench_widgets.py            # 3 repeats
    .venv/bin/python benchmarks/bench_widgets.py --quick    # 1 repeat, 11 positions per control
    .venv/bin/python benchmarks/bench_widgets.py --only TangentExplorer

The targets: every widget builds in at most 1 s, and its moves take at most 200 ms at
the 95th percentile, on a quiet 2-core machine. Wall-clock times are what a learner
waits; on a busy machine they grow with the load (the load average is printed), so the
table also gives each move's CPU time (this process and the programs it ran), which
other programs disturb much less.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
import warnings
from typing import Callable

try:
    import resource  # CPU time of child processes; not on Windows
except ImportError:
    resource = None

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import grad  # noqa: E402
from grad.widgets import (AttentionExplorer, BackpropStepper, HiddenUnitsExplorer,  # noqa: E402
                          LearningRateExplorer, OptimizerExplorer, RegularizationExplorer,
                          SamplingExplorer, TangentExplorer)
from grad.widgets.base import control_positions  # noqa: E402
from grad.widgets.learning_rate import regression_data  # noqa: E402
from grad.widgets.regularization import moons_split, train_with_l2  # noqa: E402


def controls_of(w) -> dict[str, widgets.Widget]:
    """The controls a learner moves, by name."""
    if isinstance(w, TangentExplorer):
        return {"x": w.x_slider, "h": w.h_slider, "method": w.method}
    if isinstance(w, BackpropStepper):
        return {"step": w.slider}
    if isinstance(w, HiddenUnitsExplorer):
        return {"units": w.slider, "show units": w.show_units}
    if isinstance(w, LearningRateExplorer):
        return {"lr": w.lr_slider, "steps": w.steps_slider}
    if isinstance(w, OptimizerExplorer):
        return {"surface": w.surface, "optimizer": w.optimizer, "lr": w.lr, "steps": w.steps,
                "momentum": w.momentum, "beta1": w.beta1, "beta2": w.beta2,
                "reference": w.reference}
    if isinstance(w, RegularizationExplorer):
        return {"alpha": w.slider}
    if isinstance(w, AttentionExplorer):
        return {"layer": w.layer, "head": w.head, "query": w.query}
    if isinstance(w, SamplingExplorer):
        return {"temperature": w.temperature, "top-k": w.top_k}
    raise TypeError(type(w).__name__)


def cpu_seconds() -> float:
    """CPU time of this process and of the programs it ran (Graphviz's dot) so far."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN) if resource else None
    return time.process_time() + (children.ru_utime + children.ru_stime if children else 0.0)


def sweep(w, most: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Move every control of `w` across its range; the milliseconds of each move (wall
    clock, and CPU time, which other programs on the machine disturb less)."""
    times, cpu = [], []
    for name, control in controls_of(w).items():
        values = control_positions(control, most)
        rng.shuffle(values)
        start_value = control.value
        for value in values + [start_value]:
            if value == control.value:
                continue
            t0, c0 = time.perf_counter(), cpu_seconds()
            control.value = value
            times.append(1000 * (time.perf_counter() - t0))
            cpu.append(1000 * (cpu_seconds() - c0))
    return times, cpu


def notebook_04_neuron():
    """Notebook 04's neuron o = tanh(x1*w1 + x2*w2 + b), with grad.Value."""
    V = grad.Value
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1w1"  # noqa: E702
    x2w2 = x2 * w2; x2w2.label = "x2w2"  # noqa: E702
    s = x1w1 + x2w2; s.label = "x1w1x2w2"  # noqa: E702
    n = s + b; n.label = "n"  # noqa: E702
    o = n.tanh(); o.label = "o"  # noqa: E702
    return o


def notebook_10_runs() -> dict:
    """The two runs notebook 10 trains before it builds its explorer (alpha 0 and 3e-3)."""
    data = moons_split()
    trained = {}
    for alpha in (0.0, 3e-3):
        run = train_with_l2(data, alpha)
        trained[alpha] = (run.model, {"train_loss": run.train_loss, "test_loss": run.test_loss,
                                      "train_acc": run.train_acc, "test_acc": run.test_acc})
    return trained


# notebook 15's tiny GPT: a context of 32 characters, width 48, 4 heads, 2 layers, float32
GPT_SIZES = {"context": 32, "width": 48, "heads": 4, "layers": 2}


def notebook_15_text() -> tuple[list[str], list[int], list[str]]:
    """The characters of notebook 15's corpus (its vocabulary), a prompt's ids, and the first
    32 characters as the context whose attention is drawn."""
    from grad.data import load_text
    text = load_text()
    vocab = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(vocab)}
    return vocab, [stoi[ch] for ch in "It is a truth universally acknowledged"], list(text[:32])


def random_gpt_next_logits(vocab_size: int) -> Callable[[list[int]], object]:
    """next_logits for a tiny GPT of grad.tensor with random weights (the same model as in
    bench_gpt.py, notebook 15's sizes): one forward of the last 32 ids, without gradients.
    Random weights give a nearly flat distribution, the worst case for the sampling
    explorer's cache (samples at nearby settings share few contexts)."""
    import numpy as np
    import grad.tensor
    from benchmarks.bench_gpt import GPT
    grad.tensor.manual_seed(0)
    size = GPT_SIZES
    model = GPT(vocab_size, size["context"], size["width"], size["heads"], size["layers"],
                dtype=np.float32)

    def next_logits(ids: list[int]):
        idx = np.array(ids[-size["context"]:])[None]
        with grad.tensor.no_grad():
            x = model.tok(idx) + model.pos(np.arange(idx.shape[1]))
            for block in model.blocks:
                x = block(x)
            return model.head(model.ln_f(x)).data[0, -1]
    return next_logits


def random_attention(layers: int, heads: int, T: int, seed: int = 0):
    """Causal attention weights of random scores: each row a softmax over positions <= its query."""
    import numpy as np
    rng = np.random.default_rng(seed)
    scores = 2.0 * rng.normal(size=(layers, heads, T, T))
    scores = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, scores)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


def builders() -> dict[str, Callable[[], object]]:
    """Each widget as the notebooks build it; where that differs, the default too."""
    x, y = regression_data()   # notebook 07's x, y are these very points
    trained = notebook_10_runs()
    vocab, prompt, context = notebook_15_text()
    weights = random_attention(GPT_SIZES["layers"], GPT_SIZES["heads"], len(context))

    def decode(ids: list[int]) -> str:
        return "".join(vocab[i] for i in ids)

    next_logits = random_gpt_next_logits(len(vocab))   # built before, as notebook 15 trains it before
    return {
        "TangentExplorer": TangentExplorer,                                  # 01
        "BackpropStepper": lambda: BackpropStepper(notebook_04_neuron()),  # 04
        "HiddenUnitsExplorer": HiddenUnitsExplorer,                          # 06
        "LearningRateExplorer": lambda: LearningRateExplorer(x, y),          # 07
        "OptimizerExplorer": OptimizerExplorer,                              # 09
        "RegularizationExplorer": RegularizationExplorer,                    # defaults
        "RegularizationExplorer (nb 10)": lambda: RegularizationExplorer(trained=trained),  # 10
        "AttentionExplorer": lambda: AttentionExplorer(weights, context),   # 15
        # each new widget starts with an empty cache of logits
        "SamplingExplorer": lambda: SamplingExplorer(next_logits, prompt, decode, vocab, seed=0),
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear between the order statistics."""
    s = sorted(values)
    if not s:
        return math.nan
    k = (len(s) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="measure this many times (default 3)")
    parser.add_argument("--positions", type=int, default=41,
                        help="at most this many positions per control (default 41)")
    parser.add_argument("--quick", action="store_true", help="1 repeat, 11 positions per control")
    parser.add_argument("--only", action="append", help="only this widget (may be repeated)")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.positions = 1, 11
    table = builders()
    if args.only:
        unknown = [n for n in args.only if n not in table]
        if unknown:
            parser.error(f"unknown widget {unknown}; choose from {list(table)}")
        table = {n: table[n] for n in args.only}

    results: dict[str, dict[str, list[float]]] = {
        n: {"build": [], "p50": [], "p95": [], "max": [], "cpu95": []} for n in table}
    moves = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for r in range(args.repeat):
            for name, build in table.items():
                t0 = time.perf_counter()
                w = build()
                results[name]["build"].append(1000 * (time.perf_counter() - t0))
                times, cpu = sweep(w, args.positions, random.Random(r))
                moves[name] = len(times)
                results[name]["p50"].append(percentile(times, 50))
                results[name]["p95"].append(percentile(times, 95))
                results[name]["max"].append(max(times))
                results[name]["cpu95"].append(percentile(cpu, 95))
                w.close()

    def cell(values: list[float]) -> str:
        mid = statistics.median(values)
        if len(values) == 1:
            return f"{mid:.0f}"
        return f"{mid:.0f} [{min(values):.0f}-{max(values):.0f}]"

    load = " / ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average before the run {load}")
    try:
        from grad.viz import layout_engine
        print(f"graphs laid out by {layout_engine()}")
    except Exception:  # an older grad, or no layout program: BackpropStepper failed above anyway
        pass
    print(f"{args.repeat} repeat(s), at most {args.positions} positions per control; "
          "median [lowest-highest] over the repeats, milliseconds")
    head = (f"| {'widget':<31}| {'build':>16} | {'move p50':>14} | {'move p95':>14} | "
            f"{'slowest':>14} | {'p95 CPU time':>14} | moves |")
    print(head)
    print("|" + "|".join("-" * (len(part)) for part in head.split("|")[1:-1]) + "|")
    for name, res in results.items():
        print(f"| {name:<31}| {cell(res['build']):>16} | {cell(res['p50']):>14} | "
              f"{cell(res['p95']):>14} | {cell(res['max']):>14} | {cell(res['cpu95']):>14} | "
              f"{moves[name]:>5} |")
    over = [n for n, res in results.items()
            if statistics.median(res["build"]) > 1000 or statistics.median(res["p95"]) > 200]
    print("targets (build <= 1000 ms, move p95 <= 200 ms): "
          + ("all met" if not over else "not met by " + ", ".join(over)))
    if caught:
        print(f"{len(caught)} warning(s) while moving the controls, e.g.: {caught[0].message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
