"""The solutions of notebooks 05-08, pasted into their notebooks: each exercise cell's stub is
replaced by its solution, the notebook's code cells run in order in one namespace, and every
check says ✅. A solution must not rebind a name the notebook defined before it (the
learner's Value, Neuron, Layer, ...), so the cells after it still run with the learner's
classes."""
import importlib

import pytest

from notebook_runs import CHECK, code_cells, in_notebooks_folder, run, run_lesson, \
    solved, with_solution

NOTEBOOKS = ["05_more_ops", "06_neurons", "07_training", "08_classification"]
_DONE: dict = {}


def _module(name: str):
    return importlib.import_module(f"grad.exercises.{name.split('_', 1)[1]}")


def _notebook_with_solutions(name: str) -> dict:
    """The notebook's namespace after its lesson and every exercise, with the solutions."""
    if name not in _DONE:
        _DONE[name] = solved(name, _module(name))
    return _DONE[name]


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
    module, ns = _module(name), run_lesson(name)
    exercises = [source for source, _, exercise in code_cells(name) if exercise]
    assert exercises, name
    for cell in exercises:
        exercise = getattr(module, CHECK.search(cell).group(1))
        with in_notebooks_folder():
            out = run(cell, ns)
        assert out.startswith(f"❌ {exercise.title}: not yet."), out
        assert "the checker itself failed" not in out, out
        assert exercise.hint_text not in out and exercise.nudge_text not in out, out
        assert exercise.code() not in out, out


def test_notebook_07_primer_exercises_pass_in_place_and_stubs_get_a_verdict():
    """The NumPy primer's exercises sit inside the lesson: pasted in place, each solution
    says ✅ and the lesson cells after it still run; as committed, each stub gets a ❌."""
    from grad.exercises import training
    lesson = [source for source, _, exercise in code_cells("07_training") if not exercise]
    primer = [cell for cell in lesson if CHECK.search(cell)]
    assert [CHECK.search(c).group(1) for c in primer] == ["column_means", "predict_all",
                                                          "line_losses"]
    stubs, answered = {"__name__": "__main__"}, {"__name__": "__main__"}
    with in_notebooks_folder():
        for cell in lesson:
            if CHECK.search(cell):
                exercise = getattr(training, CHECK.search(cell).group(1))
                out = run(cell, stubs)
                assert out.startswith(f"❌ {exercise.title}: not yet."), out
                assert exercise.hint_text not in out and exercise.code() not in out, out
                code, _ = with_solution(cell, training)
                assert run(code, answered).startswith("✅"), code
            else:
                run(cell, stubs)
                run(cell, answered)
    assert answered["nn_losses"] == stubs["nn_losses"]   # the lesson after the primer is unchanged
