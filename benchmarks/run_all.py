"""All the course's benchmarks in one run, then one summary table (what `make bench` prints).

    python benchmarks/run_all.py            # engines, the micrograd ratio on every Python,
                                            #   widgets, notebooks (make bench)
    python benchmarks/run_all.py --quick    # the engines on this Python only, fewer repeats
                                            #   (make bench-quick)
    python benchmarks/run_all.py --pythons  # the micrograd ratio on every Python only
                                            #   (make bench-pythons)

Each benchmark runs in a process of its own (a fresh heap), prints its own details, and
reports its figures back for the summary. "Every Python" means this one and the oldest
and newest the course supports (3.9 and 3.13) where they are found, each in its own
environment (.venv-3.9, .venv-3.13), set up as `make test-pythons` sets them up. PyTorch
figures appear where PyTorch is installed.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT / "scripts"))

import course  # noqa: E402  (find_python, SUPPORTED: the same Pythons as make test-pythons)


def run(python: str, script: str, *args: str) -> dict | None:
    """Run one benchmark script with `python`; return the figures it reported."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        print(f"\n$ {Path(python).relative_to(ROOT) if python.startswith(str(ROOT)) else python} "
              f"benchmarks/{script} {' '.join(args)}", flush=True)
        code = subprocess.call([python, str(HERE / script), *args, "--json", str(out)], cwd=ROOT)
        if code != 0 or not out.exists():
            print(f"[bench] benchmarks/{script} failed (exit code {code})")
            return None
        return json.loads(out.read_text())


def has_module(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


def other_pythons() -> list[str]:
    """Interpreters of the environments for the other supported Pythons, set up if needed."""
    found = []
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    for version in course.SUPPORTED:
        if version == this:
            continue
        venv = ROOT / f".venv-{version}"
        python = venv / "bin" / "python"
        if not (venv / ".grad-installed").exists():
            base = os.environ.get(f"PYTHON{version.replace('.', '')}") or course.find_python(version)
            if base is None:
                print(f"[bench] Python {version} was not found: no figures for it "
                      f"(set PYTHON{version.replace('.', '')}=/path/to/python{version})")
                continue
            env = dict(os.environ, PYTHON=base, VENV=venv.name)
            if subprocess.call([sys.executable, str(ROOT / "scripts" / "course.py"), "setup"],
                               cwd=ROOT, env=env) != 0:
                print(f"[bench] could not set up {venv.name}: no figures for Python {version}")
                continue
        found.append(str(python))
    return found


def widget_table(quick: bool) -> list[str]:
    """Run the widget benchmark; return its table (it prints its details as it goes)."""
    args = ["--quick"] if quick else []
    print(f"\n$ benchmarks/bench_widgets.py {' '.join(args)}", flush=True)
    proc = subprocess.run([sys.executable, str(HERE / "bench_widgets.py"), *args], cwd=ROOT,
                          capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"[bench] benchmarks/bench_widgets.py failed (exit code {proc.returncode})")
    return [line for line in proc.stdout.splitlines()
            if line.startswith(("|", "targets", "Python", "graphs laid out"))]


def text_lines(python: str, script: str, *args: str) -> list[str]:
    """Run a benchmark that prints its figures; return its last four lines for the summary."""
    print(f"\n$ benchmarks/{script} {' '.join(args)}", flush=True)
    proc = subprocess.run([python, str(HERE / script), *args], cwd=ROOT, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        return [f"benchmarks/{script} {' '.join(args)} failed (exit code {proc.returncode})"]
    return proc.stdout.strip().splitlines()[-4:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the engines on this Python only, fewer repeats")
    mode.add_argument("--pythons", action="store_true", help="the micrograd ratio on every Python only")
    parser.add_argument("--notebook-repeat", type=int, default=3, help="runs through the notebooks (default 3)")
    args = parser.parse_args()
    here = sys.executable
    mg_args = ["--rounds", "3"] if args.quick else []
    engines: dict[str, dict | None] = {}
    pythons = [here] if not args.pythons else []
    if args.pythons or not args.quick:
        pythons = [here] + other_pythons()
    micrograd = {p: run(p, "bench_micrograd.py", *mg_args) for p in pythons}
    with_torch = not args.pythons and has_module(here, "torch")
    if not args.pythons:
        if with_torch:
            engines["tensor"] = run(here, "bench_tensor.py", *(["--steps", "50"] if args.quick else []))
            engines["cnn"] = run(here, "bench_cnn.py", *(["--epochs", "3"] if args.quick else ["--epochs", "5"]))
            gpt = [text_lines(here, "bench_gpt.py", "--dtype", dtype, *(["--rounds", "3"] if args.quick else []))
                   for dtype in ("float32", "float64")]
        else:
            print("\n[bench] PyTorch is not installed here: no PyTorch columns "
                  "(pip install torch to add them)")
    widgets = widget_table(quick=False) if not (args.quick or args.pythons) else []
    notebooks = (run(here, "bench_notebooks.py", "--repeat", str(args.notebook_repeat))
                 if not (args.quick or args.pythons) else None)

    print("\n" + "=" * 78)
    print(f"Summary ({platform.system()} {platform.machine()}, {os.cpu_count()} cores"
          + (f", load average {os.getloadavg()[0]:.1f} now" if hasattr(os, "getloadavg") else "") + ")")
    print("\nScalar engine, micrograd's demo step (grad.Value vs micrograd 0.1.0; median of "
          "rounds, range in brackets):")
    print("| Python | micrograd ms/step | grad ms/step | grad is faster by | CPU-time ratio |")
    print("|---|---|---|---|---|")
    for p, r in micrograd.items():
        if r:
            print(f"| {r['python']} | {r['micrograd_ms']:.0f} | {r['grad_ms']:.1f} | "
                  f"{r['ratio']:.0f}x ({r['ratio_min']:.0f}-{r['ratio_max']:.0f}x) | "
                  f"{r['cpu_ratio']:.0f}x ({r['cpu_ratio_min']:.0f}-{r['cpu_ratio_max']:.0f}x) |")
        else:
            print(f"| {p} | failed | | | |")
    if with_torch:
        t, c = engines.get("tensor"), engines.get("cnn")
        print(f"\nTensor engine vs PyTorch CPU (one thread each, float64; time as a multiple of "
              f"PyTorch's, lower is faster), Python {platform.python_version()}:")
        print("| workload | grad.tensor | PyTorch | grad.tensor / PyTorch |")
        print("|---|---|---|---|")
        if t:
            print(f"| micrograd's demo step | {t['grad_ms']:.3f} ms | {t['torch_ms']:.3f} ms | "
                  f"{t['torch']:.2f}x ({t['torch_min']:.2f}-{t['torch_max']:.2f}x) |")
        if c:
            print(f"| 8x8-digits CNN, one epoch | {c['grad_ms']:.0f} ms | {c['torch_ms']:.0f} ms | "
                  f"{c['ratio']:.2f}x ({c['ratio_min']:.2f}-{c['ratio_max']:.2f}x) |")
        print(f"\nA tiny GPT's training step (benchmarks/bench_gpt.py), Python {platform.python_version()}:")
        for lines in gpt:
            print("\n".join(lines))
    if widgets:
        print("\nWidgets (build, and every move across each control's range):")
        print("\n".join(widgets))
    if notebooks:
        print(f"\nNotebooks, each in a fresh kernel, kernel start included (Python "
              f"{notebooks['python']}; median of {notebooks['repeat']}, range in brackets):")
        print("| notebook | seconds |")
        print("|---|---|")
        for name, s in notebooks["medians"].items():
            print(f"| {name} | {s:.1f} ({notebooks['min'][name]:.1f}-{notebooks['max'][name]:.1f}) |")
        print(f"| total | {notebooks['total']:.1f} ({notebooks['total_min']:.1f}-"
              f"{notebooks['total_max']:.1f}) |")
        if "budgeted_total" in notebooks:
            over = notebooks["over_budget"]
            print(f"notebooks 00-12 together: {notebooks['budgeted_total']:.1f} s (target <= 75 s); "
                  + (f"over 12 s: {', '.join(over)}" if over else "each at most 12 s"))
    failed = [k for k, v in {**{f'micrograd {p}': r for p, r in micrograd.items()}, **engines}.items() if v is None]
    if not (args.quick or args.pythons) and notebooks is None:
        failed.append("notebooks")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
