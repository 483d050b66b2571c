"""The solutions of notebooks 09-12, pasted into their notebooks: each exercise cell's stub is
replaced by its solution, the notebook's code cells run in order in one namespace, and every
check says ✅. A solution must not rebind a name the notebook defined before it (the
learner's MySGD, MyAdam, Value, Tensor, corr2d, ...), so the cells after it still run with the
learner's own code. The lessons' cells run too, so this test takes a while (the CNN of
notebook 12 is trained)."""
import importlib

import pytest

from notebook_runs import solved

NOTEBOOKS = ["09_optimizers", "10_regularization", "11_tensors", "12_convolution"]
_DONE: dict = {}


def _notebook_with_solutions(name: str) -> dict:
    """The notebook's namespace after its lesson and every exercise, with the solutions."""
    if name not in _DONE:
        _DONE[name] = solved(name, importlib.import_module(f"grad.exercises.{name.split('_', 1)[1]}"))
    return _DONE[name]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_solution_passes_in_its_notebook_and_rebinds_nothing(name):
    _notebook_with_solutions(name)


def test_notebook_09_solutions_work_with_the_notebooks_own_optimizers():
    ns = _notebook_with_solutions("09_optimizers")
    Value, optim = ns["Value"], ns["optim"]
    # momentum_step takes the same steps as the notebook's MyMomentum
    params, ref = [Value(1.0), Value(-2.0)], [Value(1.0), Value(-2.0)]
    velocity, mine = [0.0, 0.0], ns["MyMomentum"](ref, lr=0.1, momentum=0.9)
    for g in (0.5, -1.0, 2.0):
        for p, r in zip(params, ref):
            p.grad = r.grad = g
        ns["momentum_step"](params, velocity, 0.1, 0.9)
        mine.step()
    assert [p.data for p in params] == [r.data for r in ref]
    # adam_update takes the same steps as the notebook's MyAdam
    x = Value(-1.0)
    adam, p, m, v = ns["MyAdam"]([x], lr=0.1), -1.0, 0.0, 0.0
    for t in range(1, 6):
        x.grad = 2 * (x.data - 1.5)
        p, m, v = ns["adam_update"](p, 2 * (p - 1.5), m, v, t, lr=0.1)
        adam.step()
        assert abs(p - x.data) < 1e-12
    # the Rosenbrock exercise also accepts the notebook's own Adam with the same settings
    ex = importlib.import_module("grad.exercises.optimizers")
    assert ex.make_optimizer.verdict(lambda ps: ns["MyAdam"](ps, lr=0.05, betas=(0.9, 0.9))) is None
    assert ns["descend"](ns["rosenbrock"], ns["START_ROSEN"], ns["make_optimizer"], 300)[-1] \
        .round(2).tolist() == [1.0, 1.0]
    assert isinstance(ns["make_optimizer"]([Value(0.0), Value(0.0)]), optim.Optimizer)


def test_notebook_10_solutions_work_on_the_notebooks_models():
    ns = _notebook_with_solutions("10_regularization")
    model = ns["plain"]
    penalty = ns["l2_weights"](model)
    weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
    assert abs(penalty.data - sum(w.data ** 2 for w in weights)) < 1e-9
    model.zero_grad()
    penalty.backward()
    assert all(abs(w.grad - 2 * w.data) < 1e-12 for w in weights)
    assert all(n.b.grad == 0 for layer in model.layers for n in layer.neurons)
    model.zero_grad()
    # "Then try it on explorer.table()", as the exercise says
    table = ns["explorer"].table()
    best = ns["best_alpha"](table)
    assert best in [row[0] for row in table]
    assert ns["decay_step"](3.0, 0.0, 0.1, 0.5) == pytest.approx(2.7)   # section 4's factor 0.9


def test_notebook_11_solutions_agree_with_the_notebooks_tensor():
    import numpy as np
    ns = _notebook_with_solutions("11_tensors")
    Tensor = ns["Tensor"]
    rng = np.random.default_rng(0)
    x, w, g = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=5)
    w_t = Tensor(w, requires_grad=True)
    (Tensor(x) * w_t).sum(axis=1).backward(g)             # the check the exercise suggests
    assert np.allclose(ns["grad_w"](x, w, g), w_t.grad)
    big = rng.normal(size=(4, 5, 3))
    assert ns["unbroadcast"](big, (5, 1)).shape == (5, 1)


def test_notebook_12_solutions_agree_with_the_notebooks_own_functions():
    import numpy as np
    ns = _notebook_with_solutions("12_convolution")
    x, w = np.arange(36.0).reshape(6, 6), np.array([[1.0, -1.0], [2.0, 0.5]])
    assert np.allclose(ns["corr2d_strided"](x, w, 1), ns["corr2d"](x, w))
    assert ns["conv_output_size"](28, 5, 2, 1) == ns["out_size"](28, 5, 2, 1)
    assert np.allclose(ns["max_pool_2x2"](x), ns["max_pool"](x[None, None], 2)[0, 0])
