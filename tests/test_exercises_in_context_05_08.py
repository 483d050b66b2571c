"""The solutions of notebooks 05-08, pasted into their notebooks: each exercise cell's stub is
replaced by its solution, the notebook's code cells run in order in one namespace, and every
check says ✅. A solution must not rebind a name the notebook defined before it (the
learner's Value, Neuron, Layer, ...), so the cells after it still run with the learner's
classes."""
import contextlib
import importlib
import io
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import nbformat
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ["05_more_ops", "06_neurons", "07_training", "08_classification"]
CHECK = re.compile(r"^ex\.(\w+)\.check\((\w+)\)\s*$", re.M)


def _cells(name: str) -> tuple[list, list]:
    """(the code cells before the exercises, the exercise code cells)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    start = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and c.source.lstrip().startswith("## Exercises"))
    before = [c.source for c in nb.cells[:start] if c.cell_type == "code"]
    exercises = [c.source for c in nb.cells[start:] if c.cell_type == "code"]
    return before, exercises


def _with_solution(cell: str, module) -> tuple[str, str]:
    """The exercise cell with its stub replaced by the solution: (code, exercise name)."""
    found = CHECK.search(cell)
    assert found, f"no ex.<name>.check(...) line in:\n{cell}"
    name = found.group(1)
    exercise = getattr(module, name)
    assert exercise.answer_name == found.group(2)
    imports = [line for line in cell.splitlines()
               if line.startswith("from grad.exercises import")]
    return "\n".join(imports + [exercise.code(), found.group(0)]), name


def _run(code: str, ns: dict) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<cell>", "exec"), ns)
    return out.getvalue()


def _identity(ns: dict) -> dict:
    return {k: id(v) for k, v in ns.items() if not k.startswith("__")}


@pytest.fixture(autouse=True)
def _in_root(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield
    plt.close("all")


def _notebook_with_solutions(name: str) -> dict:
    module = importlib.import_module(f"grad.exercises.{name.split('_', 1)[1]}")
    before, exercises = _cells(name)
    ns: dict = {"__name__": "__main__"}
    for cell in before:
        _run(cell, ns)
    assert exercises, name
    for cell in exercises:
        code, exercise = _with_solution(cell, module)
        answer = getattr(module, exercise).answer_name
        names = _identity(ns)
        out = _run(code, ns)
        assert out.startswith("✅"), f"{name} {exercise} in the notebook's context:\n{out}"
        rebound = sorted(k for k, i in names.items()
                         if k not in (answer, "ex") and id(ns.get(k)) != i)
        assert not rebound, f"{name}: the solution of {exercise} rebinds {rebound}"
    return ns


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_solution_passes_in_its_notebook_and_rebinds_nothing(name):
    _notebook_with_solutions(name)


def test_notebook_05_solutions_work_with_the_notebooks_own_value():
    ns = _notebook_with_solutions("05_more_ops")
    Value = ns["Value"]
    assert Value.__module__ == "__main__"          # the learner's class, not grad.Value
    for op, x0, slope in [(lambda x: ns["exp_op"](x), 0.5, 1.6487212707001282),
                          (lambda x: ns["pow_op"](x, 3), 1.5, 6.75),
                          (lambda x: ns["sigmoid_op"](x), 0.0, 0.25)]:
        x = Value(x0)
        out = op(x)
        assert type(out) is Value
        out.backward()
        assert abs(x.grad - slope) < 1e-12
    # the gradient check and the broken-operation finder take the learner's operations
    square = lambda v: v * v                          # noqa: E731
    assert ns["max_grad_error"](lambda a, b: ns["sigmoid_op"](a) * b, [0.3, -1.2]) < 1e-6
    assert ns["max_grad_error"](lambda a: ns["pow_forgets_k"](a, 3), [1.5]) > 1
    assert ns["broken_ops"]({"square": square, "exp": ns["exp_op"]}) == []
    # what the exercise's text promises
    assert ns["broken_ops"]({"tanh": Value.tanh, "exp": Value.exp}) == []
    assert ns["broken_ops"]({"bad": ns["exp_broken"], "exp": Value.exp}) == ["bad"]


def test_notebook_06_solutions_leave_the_learners_classes_alone():
    ns = _notebook_with_solutions("06_neurons")
    assert ns["Neuron"].__module__ == "__main__" and ns["Layer"].__module__ == "__main__"
    assert ns["MLP"].__module__ == "__main__"
    assert "act" in ns["Neuron"].__init__.__code__.co_varnames   # the notebook's own Neuron


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_the_unanswered_cells_get_a_verdict_without_help(name):
    """As committed, each exercise cell holds its stub: a ❌ verdict, no hint, no solution."""
    module = importlib.import_module(f"grad.exercises.{name.split('_', 1)[1]}")
    before, exercises = _cells(name)
    ns: dict = {"__name__": "__main__"}
    for cell in before:
        _run(cell, ns)
    for cell in exercises:
        exercise = getattr(module, CHECK.search(cell).group(1))
        out = _run(cell, ns)
        assert out.startswith(f"❌ {exercise.title}: not yet."), out
        assert "the checker itself failed" not in out, out
        assert exercise.hint_text not in out and exercise.nudge_text not in out, out
        assert exercise.code() not in out, out


def test_notebook_07_primer_exercises_pass_in_place_and_stubs_get_a_verdict():
    """The NumPy primer's exercises sit inside the lesson: pasted in place, each solution
    says ✅ and the lesson cells after it still run; as committed, each stub gets a ❌."""
    from grad.exercises import training
    nb = nbformat.read(ROOT / "notebooks" / "07_training.ipynb", as_version=4)
    start = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "markdown" and c.source.lstrip().startswith("## Exercises"))
    lesson = [c.source for c in nb.cells[:start] if c.cell_type == "code"]
    primer = [cell for cell in lesson if CHECK.search(cell)]
    assert [CHECK.search(c).group(1) for c in primer] == ["column_means", "predict_all",
                                                          "line_losses"]
    stubs, solved = {"__name__": "__main__"}, {"__name__": "__main__"}
    for cell in lesson:
        if CHECK.search(cell):
            exercise = getattr(training, CHECK.search(cell).group(1))
            out = _run(cell, stubs)
            assert out.startswith(f"❌ {exercise.title}: not yet."), out
            assert exercise.hint_text not in out and exercise.code() not in out, out
            code, _ = _with_solution(cell, training)
            assert _run(code, solved).startswith("✅"), code
        else:
            _run(cell, stubs)
            _run(cell, solved)
    assert solved["nn_losses"] == stubs["nn_losses"]   # the lesson after the primer is unchanged
