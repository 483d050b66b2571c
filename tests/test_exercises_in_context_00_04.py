"""The solutions of notebooks 00-04 fit their notebooks: run every code cell of a notebook in
order, in one namespace, with each exercise's stub replaced by its solution (as a learner
who pastes `ex.<name>.solution()` would), and every check says ✅, no later cell breaks,
and no solution rebinds a name the notebook defined before it (other than the answer).

Answers a learner would write with the notebook's own helpers (`central_slope`,
`topological_order`, the notebook's `Value`) are accepted too."""
from __future__ import annotations

import importlib

import pytest

from notebook_runs import run_with_solutions

NOTEBOOKS = {
    "00": ("00_start_here", "start_here"),
    "01": ("01_derivatives", "derivatives"),
    "02": ("02_value", "value"),
    "03": ("03_backprop_by_hand", "backprop_by_hand"),
    "04": ("04_autograd", "autograd"),
}


def run_notebook(key: str, answers: dict = None) -> dict:
    """Run notebook `key` with solutions (or `answers[name]`) pasted in; return the verdicts."""
    notebook, module_name = NOTEBOOKS[key]
    return run_with_solutions(notebook, importlib.import_module(f"grad.exercises.{module_name}"),
                              answers)[1]


@pytest.mark.parametrize("key", sorted(NOTEBOOKS))
def test_every_solution_passes_in_its_notebook(key):
    _, module_name = NOTEBOOKS[key]
    verdicts = run_notebook(key)
    module = importlib.import_module(f"grad.exercises.{module_name}")
    from grad.exercises import Exercise
    names = {n for n, v in vars(module).items() if isinstance(v, Exercise)}
    assert set(verdicts) == names, "every exercise of the module has a cell in the notebook"
    for name, out in verdicts.items():
        assert out.startswith("✅"), f"{name} in context:\n{out}"


def test_04_solutions_keep_the_learners_value_and_its_backward():
    # Exercise 1's solution once imported a Value without backward(): exercise 4's advice
    # "check with our Value" must still work after all four solutions.
    extra = '''
        a_grad = 13
        a = Value(3.0); b = a + a; c = b * a; d = c + a
        d.backward()
        print("our Value says", a.grad)
    '''
    verdicts = run_notebook("04", {"a_grad": extra})
    assert verdicts["a_grad"].startswith("our Value says 13.0\n✅"), verdicts["a_grad"]


ALTERNATIVES = [
    # 01: one_input as a closure defined with def, the way shift() is written
    ("01", "one_input", '''
        def one_input(f, point, name):
            def g(v):
                moved = {**point, name: v}
                return f(**moved)
            return g
    '''),
    # 01: the tangent from the notebook's own slope helpers
    ("01", "tangent", '''
        def tangent(f, x):
            s = central_slope(f, x)
            return lambda t: f(x) + s * (t - x)
    '''),
    ("01", "tangent", '''
        def tangent(f, x):
            s = slope(f, x)
            def line(t):
                return f(x) + s * (t - x)
            return line
    '''),
    ("01", "partials", '''
        partials = dict(zip("abcm", numerical_gradient(lambda a, b, c, m: (a * b + c) * m,
                                                       2.0, -3.0, 10.0, -2.0)))
    '''),
    ("01", "backward_slope", '''
        def backward_slope(f, x, h):
            return (f(x - h) - f(x)) / -h
    '''),
    # 03: dtanh from the notebook's math, a neuron via the notebook's dtanh-like formula
    ("03", "dtanh", '''
        def dtanh(n):
            return 1 / math.cosh(n) ** 2
    '''),
    ("03", "step_downhill", '''
        def step_downhill(values, step):
            for v in values:
                v.data = v.data - step * v.grad
    '''),
    # 04: the stub's own shape, with the notebook's Value
    ("04", "multiply", '''
        def multiply(a, b):
            out = Value(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            out._backward = _backward
            return out
    '''),
    ("04", "run_backward", '''
        def run_backward(root):
            root.grad = 1.0
            for node in reversed(topological_order(root)):
                node._backward()
    '''),
    ("04", "topo_sort", '''
        def topo_sort(root):
            return topological_order(root)
    '''),
]


@pytest.mark.parametrize("key, name, code", ALTERNATIVES,
                         ids=[f"{k}-{n}-{i}" for i, (k, n, _) in enumerate(ALTERNATIVES)])
def test_answers_built_from_the_notebooks_helpers_are_accepted(key, name, code):
    verdicts = run_notebook(key, {name: code})
    assert verdicts[name].startswith("✅"), verdicts[name]
    for other, out in verdicts.items():
        assert out.startswith("✅"), f"{other} after the alternative {name}:\n{out}"


def test_04_backward_called_by_the_answer_gets_a_true_verdict():
    verdicts = run_notebook("04", {"run_backward": '''
        def run_backward(root):
            root.backward()
    '''})
    first = verdicts["run_backward"].splitlines()[0]
    assert first.startswith("❌") and "run_backward calls backward()" in first
    assert "AttributeError" not in first and "checker itself" not in first
