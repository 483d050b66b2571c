"""A notebook's code cells run in order in one namespace, as its kernel runs them, for the
exercise tests: the lesson alone, or the whole notebook with each exercise's stub replaced by
its solution (as a learner who pastes `ex.<name>.solution()` would).

A cell tagged `raises-exception` (nbval's tag) must raise; `%` and `!` lines are left out.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import textwrap
import types
from pathlib import Path
from typing import Iterator, Optional

import matplotlib
import nbformat

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHECK = re.compile(r"^ex\.(\w+)\.check\((.*)\)\s*$", re.M)


def code_cells(notebook: str) -> list[tuple[str, bool, bool]]:
    """(source, whether it must raise, whether it comes after the '## Exercises' heading)
    for each code cell of notebooks/<notebook>.ipynb."""
    nb = nbformat.read(ROOT / "notebooks" / f"{Path(notebook).stem}.ipynb", as_version=4)
    cells, exercises = [], False
    for c in nb.cells:
        if c.cell_type == "markdown" and "## Exercises" in c.source.splitlines():
            exercises = True
        elif c.cell_type == "code":
            source = "\n".join(line for line in c.source.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            cells.append((source, "raises-exception" in c.metadata.get("tags", []), exercises))
    return cells


def run(source: str, ns: dict, label: str = "<cell>") -> str:
    """Run one cell's code in `ns`; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, label, "exec"), ns)
    return out.getvalue()


def _run_cell(source: str, raises: bool, ns: dict, label: str) -> str:
    if not raises:
        return run(source, ns, label)
    try:
        run(source, ns, label)
    except Exception:
        return ""
    raise AssertionError(f"{label} is tagged raises-exception but raised nothing")


@contextlib.contextmanager
def in_notebooks_folder() -> Iterator[None]:
    """Where a notebook's kernel runs, with plt.show closing figures instead of showing them."""
    here, show = os.getcwd(), plt.show
    os.chdir(ROOT / "notebooks")
    plt.show = lambda *a, **k: plt.close("all")
    try:
        yield
    finally:
        plt.show = show
        plt.close("all")
        os.chdir(here)


def with_solution(source: str, module: types.ModuleType, answer: Optional[str] = None) -> tuple[str, str]:
    """An exercise cell with its stub replaced by the solution (or by `answer`):
    (the new source, the exercise's name)."""
    found = CHECK.search(source)
    assert found, f"no ex.<name>.check(...) line in:\n{source}"
    name = found.group(1)
    exercise = getattr(module, name)
    argument = found.group(2).strip()
    assert not argument.isidentifier() or argument == exercise.answer_name, (name, argument)
    keep = [line for line in source.splitlines() if line.startswith("from grad.exercises")]
    checks = [m.group(0) for m in CHECK.finditer(source)]
    code = textwrap.dedent(answer if answer is not None else exercise.code()).strip("\n")
    return "\n".join(keep + [code] + checks) + "\n", name


def run_lesson(notebook: str) -> dict:
    """The namespace after the cells before the exercises (warm-ups run as committed)."""
    ns: dict = {"__name__": "__main__", "display": lambda *a, **k: None}
    with in_notebooks_folder():
        for i, (source, raises, exercise) in enumerate(code_cells(notebook)):
            if not exercise:
                _run_cell(source, raises, ns, f"{notebook} code cell {i}")
    return ns


def run_with_solutions(notebook: str, module: types.ModuleType, answers: Optional[dict] = None,
                       lesson: Optional[dict] = None) -> tuple[dict, dict]:
    """Every code cell in order, each exercise cell with its solution (or answers[name]):
    (the namespace at the end, each exercise's printed verdict). A solution must not rebind
    a name the notebook defined before it, other than its answer, so the cells after it
    still run with the learner's own code. Given `lesson` (from run_lesson), the cells
    before the exercises are not run again: a copy of it is the starting namespace."""
    answers = answers or {}
    ns: dict = dict(lesson) if lesson is not None else {"__name__": "__main__",
                                                         "display": lambda *a, **k: None}
    verdicts: dict = {}
    with in_notebooks_folder():
        for i, (source, raises, exercise) in enumerate(code_cells(notebook)):
            label = f"{notebook} code cell {i}"
            if lesson is not None and not exercise:
                continue
            if not CHECK.search(source):
                _run_cell(source, raises, ns, label)
                continue
            source, name = with_solution(source, module, answers.get(name_of(source)))
            before = {k: v for k, v in ns.items() if not k.startswith("_") and k != "ex"}
            verdicts[name] = run(source, ns, label)
            if name in answers:
                continue
            answer_name = getattr(module, name).answer_name
            rebound = sorted(k for k, v in before.items() if k != answer_name and ns.get(k) is not v)
            assert not rebound, f"{notebook}: the solution of {name} rebinds {rebound}"
    return ns, verdicts


def name_of(source: str) -> str:
    """The exercise an exercise cell checks."""
    return CHECK.search(source).group(1)


def solved(notebook: str, module: types.ModuleType, lesson: Optional[dict] = None) -> dict:
    """run_with_solutions, checking that every exercise's solution says ✅ in the notebook:
    the namespace at the end."""
    ns, verdicts = run_with_solutions(notebook, module, lesson=lesson)
    assert verdicts, f"{notebook} has no exercise cell"
    for name, out in verdicts.items():
        assert out.startswith("✅"), f"{notebook} {name} in the notebook's context:\n{out}"
    return ns
