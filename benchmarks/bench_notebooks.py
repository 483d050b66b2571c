"""How long each notebook takes to run top to bottom in a fresh kernel, kernel start included.

Every notebooks/*.ipynb is executed as a learner's "Restart Kernel and Run All" would:
a new kernel is started, every cell runs in order, the kernel is shut down, and the
whole is timed. The notebooks are copied to a temporary folder first and executed
there, so nothing is ever written into notebooks/. Cells tagged `raises-exception`
may raise (they demonstrate an error); any other error stops the benchmark.

The run is repeated (`--repeat`), going through all the notebooks each time, so the
repeats interleave; the table gives each notebook's median and, in brackets, the lowest
and highest time seen, and the total of the medians. The targets: notebooks 00-12 at
most 12 s each and 75 s together, on a quiet 2-core machine (13 and later have their
own budget). Times grow with the machine's load, which is printed.

    .venv/bin/python benchmarks/bench_notebooks.py              # 3 repeats
    .venv/bin/python benchmarks/bench_notebooks.py --repeat 1 --only 04 --only 08
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
BUDGET_EACH, BUDGET_TOTAL, BUDGETED = 12.0, 75.0, 13  # notebooks 00-12


def run_notebook(path: Path, timeout: int) -> float:
    """Execute one notebook in a fresh kernel (in its own folder); return the seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # starts the kernel, runs every cell, shuts the kernel down
    return time.perf_counter() - start


def number(path: Path) -> int | None:
    head = path.name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs through all notebooks (default 3)")
    parser.add_argument("--only", action="append", help="only notebooks whose name starts with this")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    if args.only:
        names = [n for n in names if any(n.startswith(o) for o in args.only)]
    if not names or args.repeat < 1:
        parser.error("no notebook to run" if not names else "--repeat must be at least 1")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"Python {platform.python_version()}: {len(names)} notebooks, {args.repeat} repeat(s), "
          f"each in a fresh kernel (kernel start included)"
          + (f"; load average {load:.1f} on {os.cpu_count()} cores" if load is not None else ""))
    times: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory(prefix="grad-bench-notebooks-") as tmp:
        copy = Path(tmp) / "notebooks"
        shutil.copytree(NOTEBOOKS, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for r in range(args.repeat):
            for name in names:
                seconds = run_notebook(copy / name, args.timeout)
                times[name].append(seconds)
                print(f"  repeat {r + 1}: {name:<28} {seconds:6.1f} s", flush=True)
    medians = {n: statistics.median(t) for n, t in times.items()}
    print(f"\n| notebook | median s | (min-max) |\n|---|---|---|")
    for n in names:
        print(f"| {n:<28} | {medians[n]:6.1f} | ({min(times[n]):.1f}-{max(times[n]):.1f}) |")
    totals = [sum(times[n][r] for n in names) for r in range(args.repeat)]
    print(f"| total ({len(names)} notebooks) | {sum(medians.values()):6.1f} | "
          f"({min(totals):.1f}-{max(totals):.1f}) |")
    budgeted = [n for n in names if number(Path(n)) is not None and number(Path(n)) < BUDGETED]
    result = {"python": platform.python_version(), "repeat": args.repeat, "load": load,
              "medians": medians, "min": {n: min(t) for n, t in times.items()},
              "max": {n: max(t) for n, t in times.items()}, "total": sum(medians.values()),
              "total_min": min(totals), "total_max": max(totals)}
    if budgeted:
        over = [n for n in budgeted if medians[n] > BUDGET_EACH]
        sub_total = sum(medians[n] for n in budgeted)
        result["budgeted_total"] = sub_total
        result["over_budget"] = over
        print(f"notebooks 00-12: {sub_total:.1f} s together (target <= {BUDGET_TOTAL:.0f} s); "
              + (f"over {BUDGET_EACH:.0f} s: {', '.join(over)}" if over else
                 f"each at most {BUDGET_EACH:.0f} s"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f)
    return result


if __name__ == "__main__":
    main()
    sys.exit(0)
