"""Same numbers as micrograd 0.1.0 on everything both engines have."""
import random
import sys
from pathlib import Path

import micrograd.engine as mg
import micrograd.nn as mgnn
import pytest
from hypothesis import given
from hypothesis import strategies as st

import grad.nn
from grad import Value

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_micrograd import make_workload  # noqa: E402

reals = st.floats(min_value=-3, max_value=3, allow_nan=False)
nonzero = reals.filter(lambda x: abs(x) > 0.2)

# Expressions using only what micrograd 0.1.0 has: + - * / **number relu, reflected forms.
EXPRESSIONS = [
    lambda a, b, c: a * b + c,
    lambda a, b, c: (a - b) * (c + 2) - 3 * a,
    lambda a, b, c: (a * b).relu() + (b - c).relu() * a,
    lambda a, b, c: a / c + 1 / c - b / 2,
    lambda a, b, c: (a ** 2 + b ** 3) * c ** -1 + (-a),
    lambda a, b, c: 2 - a * a * a + (a + b + c) ** 2,
    lambda a, b, c: ((a * b + c).relu() * (a - c) + b).relu() / (c * c + 1),
]


@pytest.mark.parametrize("expr", range(len(EXPRESSIONS)))
@given(reals, reals, nonzero)
def test_expressions_match_micrograd(expr, a, b, c):
    f = EXPRESSIONS[expr]
    ours = [Value(x) for x in (a, b, c)]
    theirs = [mg.Value(x) for x in (a, b, c)]
    out_ours, out_theirs = f(*ours), f(*theirs)
    out_ours.backward()
    out_theirs.backward()
    assert out_ours.data == pytest.approx(out_theirs.data, rel=1e-12, abs=1e-12)
    for o, t in zip(ours, theirs):
        assert o.grad == pytest.approx(t.grad, rel=1e-9, abs=1e-12)


@given(st.integers(0, 10_000), st.lists(reals, min_size=3, max_size=3))
def test_mlp_matches_micrograd_with_the_same_seed(seed, x):
    random.seed(seed)
    theirs = mgnn.MLP(3, [4, 4, 1])
    random.seed(seed)
    ours = grad.nn.MLP(3, [4, 4, 1])
    assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
    out_ours, out_theirs = ours(x), theirs([mg.Value(v) for v in x])
    assert out_ours.data == out_theirs.data
    out_ours.backward()
    out_theirs.backward()
    assert [p.grad for p in ours.parameters()] == pytest.approx(
        [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-15)


def test_demo_training_step_matches_micrograd():
    """The benchmark's workload: micrograd's demo step gives the same loss and gradients."""
    theirs = make_workload(mg.Value, mgnn.MLP)
    ours = make_workload(Value, grad.nn.MLP)
    for k in range(2):
        loss_theirs, g_theirs = theirs(k)
        loss_ours, g_ours = ours(k)
        assert loss_ours == pytest.approx(loss_theirs, rel=1e-12)
        assert g_ours == pytest.approx(g_theirs, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("x", [float("nan"), float("inf"), -float("inf"), -0.0])
def test_special_values_match_micrograd_except_relus_slope_at_nan(x):
    """Both engines keep NaN and inf through + - * and relu (micrograd's relu is the same
    `0 if x < 0 else x`). The one difference is deliberate: at NaN our relu passes the
    gradient on, as PyTorch's does, where micrograd's `(out > 0) * grad` gives 0."""
    import math
    for k, f in enumerate((lambda v: (v * 2 + 1).relu() - v, lambda v: v * v + (-v).relu())):
        ours, theirs = Value(x), mg.Value(x)
        out_ours, out_theirs = f(ours), f(theirs)
        assert repr(out_ours.data) == repr(float(out_theirs.data))
        out_ours.backward()
        out_theirs.backward()
        if math.isnan(x) and k == 0:  # relu passes 2 on (ours) or 0 (micrograd), then -1
            assert (ours.grad, theirs.grad) == (1.0, -1.0)
        else:
            assert repr(ours.grad) == repr(float(theirs.grad))
    relu_ours, relu_theirs = Value(x).relu(), mg.Value(x).relu()
    assert repr(relu_ours.data) == repr(float(relu_theirs.data))
