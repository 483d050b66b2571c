"""Loss functions: values, gradients (against central differences), stability, errors."""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from grad import Value
from grad.check import gradcheck
from grad.losses import binary_cross_entropy_with_logits, cross_entropy, hinge, mse, softmax

reals = st.floats(min_value=-6, max_value=6, allow_nan=False)


def test_mse_value_and_gradient():
    p = [Value(1.0), Value(2.5)]
    loss = mse(p, [0.0, 3.0])
    assert loss.data == pytest.approx((1.0 + 0.25) / 2)
    loss.backward()
    assert [v.grad for v in p] == pytest.approx([1.0, -0.5])  # 2 (p - t) / n
    assert mse(p, [0.0, 3.0], reduction="sum").data == pytest.approx(1.25)
    assert [l.data for l in mse(p, [0.0, 3.0], reduction="none")] == pytest.approx([1.0, 0.25])


def test_hinge_is_zero_beyond_the_margin():
    assert hinge([Value(2.0), Value(-3.0)], [1, -1]).data == 0.0
    s = [Value(0.5), Value(0.2)]
    loss = hinge(s, [1, -1])
    assert loss.data == pytest.approx((0.5 + 1.2) / 2)
    loss.backward()
    assert [v.grad for v in s] == pytest.approx([-0.5, 0.5])


@given(st.lists(st.tuples(reals, st.floats(0, 1)), min_size=1, max_size=4))
def test_binary_cross_entropy_matches_the_definition_and_gradcheck(pairs):
    zs = [Value(z) for z, _ in pairs]
    ys = [y for _, y in pairs]
    loss = binary_cross_entropy_with_logits(zs, ys)
    sig = [1 / (1 + math.exp(-z)) for z, _ in pairs]
    expected = -sum(y * math.log(s) + (1 - y) * math.log(1 - s) for s, y in zip(sig, ys)) / len(ys)
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *v: binary_cross_entropy_with_logits(list(v), ys), *zs)


def test_binary_cross_entropy_is_stable_for_huge_logits():
    loss = binary_cross_entropy_with_logits([Value(1000.0), Value(-1000.0)], [0.0, 1.0], reduction="none")
    assert [l.data for l in loss] == pytest.approx([1000.0, 1000.0])
    z = Value(-800.0)
    binary_cross_entropy_with_logits([z], [0.0]).backward()
    assert z.grad == pytest.approx(0.0) and math.isfinite(z.grad)


@given(st.lists(reals, min_size=2, max_size=5), st.data())
def test_cross_entropy_matches_the_definition_and_gradcheck(scores, data):
    label = data.draw(st.integers(0, len(scores) - 1))
    vs = [Value(s) for s in scores]
    loss = cross_entropy(vs, label)
    expected = -math.log(math.exp(scores[label]) / sum(math.exp(s) for s in scores))
    assert loss.data == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert gradcheck(lambda *v: cross_entropy(list(v), label), *vs)
    probs = softmax(vs)
    assert sum(p.data for p in probs) == pytest.approx(1.0)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    vs = [Value(1.0), Value(2.0), Value(3.0)]
    cross_entropy(vs, 0).backward()
    e = [math.exp(x) for x in (1.0, 2.0, 3.0)]
    p = [x / sum(e) for x in e]
    assert [v.grad for v in vs] == pytest.approx([p[0] - 1, p[1], p[2]])


def test_cross_entropy_batches_average_like_pytorch():
    batch = [[Value(1.0), Value(0.0)], [Value(0.0), Value(3.0)]]
    loss = cross_entropy(batch, [0, 1])
    single = [cross_entropy(row, y).data for row, y in zip(batch, [0, 1])]
    assert loss.data == pytest.approx(sum(single) / 2)
    assert cross_entropy(batch, [0, 1], reduction="sum").data == pytest.approx(sum(single))


def test_cross_entropy_is_stable_for_huge_scores():
    loss = cross_entropy([Value(1000.0), Value(0.0), Value(-1000.0)], 1)
    assert loss.data == pytest.approx(1000.0)
    assert all(math.isfinite(p.data) for p in softmax([Value(1000.0), Value(-1000.0)]))


@pytest.mark.parametrize("call, error, message", [
    (lambda: mse([Value(1.0)], [1.0, 2.0]), ValueError, "1 predictions but 2 targets"),
    (lambda: mse([], []), ValueError, "at least one"),
    (lambda: hinge([Value(1.0)], [0]), ValueError, "-1 or \\+1"),
    (lambda: binary_cross_entropy_with_logits([Value(1.0)], [2.0]), ValueError, "between 0 and 1"),
    (lambda: cross_entropy([Value(1.0), Value(2.0)], 2), IndexError, "out of range for 2 classes"),
    (lambda: cross_entropy([Value(1.0), Value(2.0)], -1), IndexError, "out of range"),
    (lambda: cross_entropy([Value(1.0), Value(2.0)], 1.0), TypeError, "whole number"),
    (lambda: cross_entropy([[Value(1.0)], [Value(1.0)]], [0]), ValueError, "2 score lists but 1 labels"),
    (lambda: cross_entropy([[Value(1.0)], [Value(1.0), Value(2.0)]], [0, 0]), ValueError, "same number"),
    (lambda: mse([Value(1.0)], ["a"]), TypeError, "numbers"),
    (lambda: mse([Value(1.0)], [1.0], reduction="avg"), ValueError, "reduction"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ---- the same rules for every loss ---------------------------------------------------------
import numpy as np  # noqa: E402

nan, inf = math.nan, math.inf

# each loss with a valid batch of two examples: (call(outputs, targets, **kw), outputs, targets)
LOSSES = {
    "mse": (mse, [0.5, -1.0], [1.0, 0.0]),
    "hinge": (hinge, [0.5, -1.0], [1, -1]),
    "bce": (binary_cross_entropy_with_logits, [0.5, -1.0], [1.0, 0.0]),
    "cross_entropy": (cross_entropy, [[0.5, -1.0, 2.0], [0.1, 0.2, 0.3]], [2, 0]),
}


@pytest.mark.parametrize("name", LOSSES)
def test_numpy_inputs_give_the_same_loss(name):
    loss, outputs, targets = LOSSES[name]
    expected = loss([_values(o) for o in outputs] if name == "cross_entropy" else _values(outputs),
                    targets).data
    assert loss(np.array(outputs), np.array(targets)).data == expected
    assert loss(tuple(outputs), tuple(targets)).data == expected
    assert loss(outputs, targets).data == expected  # plain numbers become constants


def _values(xs):
    return [Value(x) for x in xs]


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", ["avg", "Mean", None, "bogus"])
def test_reduction_must_be_one_of_pytorchs(name, reduction):
    loss, outputs, targets = LOSSES[name]
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\)"):
        loss(outputs, targets, reduction=reduction)


def test_one_example_cross_entropy_checks_reduction_and_gives_its_loss_for_each():
    scores = [Value(1.0), Value(2.0)]
    with pytest.raises(ValueError, match="reduction"):
        cross_entropy(scores, 0, reduction="bogus")
    values = {r: cross_entropy(scores, 0, reduction=r).data for r in ("mean", "sum", "none")}
    assert len(set(values.values())) == 1


@pytest.mark.parametrize("name", LOSSES)
def test_mismatched_lengths_are_value_errors_never_a_shortened_batch(name):
    loss, outputs, targets = LOSSES[name]
    with pytest.raises(ValueError, match="pair up one to one"):
        loss(outputs, list(targets) * 2)
    with pytest.raises(ValueError, match="pair up one to one"):
        loss(outputs[:1], targets)


@pytest.mark.parametrize("name", LOSSES)
def test_a_nan_output_gives_a_nan_loss(name):
    loss, outputs, targets = LOSSES[name]
    if name == "cross_entropy":
        rows = [_values(r) for r in outputs]
        rows[0][1] = Value(nan)
        leaves = rows[0]
        out = loss(rows, targets)
    else:
        leaves = _values(outputs)
        leaves[0] = Value(nan)
        out = loss(leaves, targets)
    out.backward()
    assert math.isnan(out.data)
    if name == "hinge":  # relu passes the gradient on at NaN, as PyTorch's does: -label / n
        assert leaves[0].grad == -0.5
    else:
        assert math.isnan(leaves[0].grad)


def test_nan_labels_propagate_and_bad_labels_are_refused():
    assert math.isnan(mse([Value(1.0)], [nan]).data)
    assert math.isnan(hinge([Value(1.0)], [nan]).data)
    assert math.isnan(binary_cross_entropy_with_logits([Value(1.0)], [nan]).data)
    with pytest.raises(TypeError, match="whole number"):
        cross_entropy([1.0, 2.0], nan)
    with pytest.raises(TypeError, match="whole number"):
        cross_entropy([[1.0, 2.0]], [np.float64(1.0)])
    with pytest.raises(TypeError, match="whole number"):
        cross_entropy([1.0, 2.0], True)
    with pytest.raises(IndexError, match="out of range for 3 classes"):
        cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    assert cross_entropy([1.0, 2.0], np.int64(1)).data == cross_entropy([1.0, 2.0], 1).data
    with pytest.raises(TypeError, match="one label"):
        cross_entropy([1.0, 2.0], [1])
    with pytest.raises(TypeError, match="margin"):
        hinge([1.0], [1], margin="1")


def test_infinite_scores_give_pytorchs_cross_entropy():
    s = [Value(-inf), Value(0.0)]
    assert cross_entropy(s, 0).data == inf and cross_entropy(s, 1).data == 0.0
    assert math.isnan(cross_entropy([Value(inf), Value(0.0)], 1).data)
    z = Value(inf)
    loss = binary_cross_entropy_with_logits(z, 0.0)
    loss.backward()
    assert (loss.data, z.grad) == (inf, 1.0)
    assert math.isnan(binary_cross_entropy_with_logits(inf, 1.0).data)  # (1 - 1) * inf, as in torch


def test_empty_input_is_refused():
    for call in (lambda: softmax([]), lambda: cross_entropy([], 0), lambda: cross_entropy([[]], [0]),
                 lambda: hinge([], []), lambda: binary_cross_entropy_with_logits([], [])):
        with pytest.raises(ValueError, match="at least one"):
            call()
