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
