"""Loss functions: one number that says how wrong a model is.

Each takes the model's outputs (Values) and the targets (plain numbers) and returns a
Value to call `backward()` on. `reduction` is 'mean' (default), 'sum' or 'none' (a list
of per-example losses), as in PyTorch. The cross-entropy losses are single nodes with
exact gradients, computed with the log-sum-exp trick so that no exp can overflow.
"""
from __future__ import annotations

import math
import numbers
from typing import Sequence, Union

from grad.engine import Value

Scalar = Union[Value, float]
REDUCTIONS = ("mean", "sum", "none")


def _values(xs: Sequence[Scalar], what: str) -> list[Value]:
    if isinstance(xs, (Value, numbers.Real)):
        return [xs if isinstance(xs, Value) else Value(xs)]
    try:
        return [x if isinstance(x, Value) else Value(x) for x in xs]
    except TypeError as e:
        raise TypeError(f"{what} must be numbers or Values: {e}") from None


def _numbers(ys, what: str) -> list[float]:
    if isinstance(ys, (Value, numbers.Real)):
        ys = [ys]
    out = []
    for y in ys:
        y = y.data if isinstance(y, Value) else y
        if isinstance(y, bool) or not isinstance(y, numbers.Real):
            raise TypeError(f"{what} must be numbers, got {type(y).__name__}: {y!r}")
        out.append(float(y))
    return out


def _same_length(a: list, b: list, what_a: str, what_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{len(a)} {what_a} but {len(b)} {what_b}: they must pair up one to one")
    if not a:
        raise ValueError(f"no {what_a}: a loss needs at least one example")


def _reduce(losses: list[Value], reduction: str):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "none":
        return losses
    total = sum(losses[1:], losses[0])
    return total * (1.0 / len(losses)) if reduction == "mean" else total


def mse(predictions, targets, reduction: str = "mean"):
    """Mean squared error: mean of (prediction - target)**2."""
    ps, ts = _values(predictions, "predictions"), _numbers(targets, "targets")
    _same_length(ps, ts, "predictions", "targets")
    return _reduce([(p - t) ** 2 for p, t in zip(ps, ts)], reduction)


def hinge(scores, labels, margin: float = 1.0, reduction: str = "mean"):
    """Max-margin loss for labels -1/+1: mean of relu(margin - label * score).

    Zero once every example is on its correct side by at least `margin`.
    """
    ss, ys = _values(scores, "scores"), _numbers(labels, "labels")
    _same_length(ss, ys, "scores", "labels")
    bad = [y for y in ys if y not in (-1.0, 1.0)]
    if bad:
        raise ValueError(f"hinge loss needs labels -1 or +1, got {bad[0]}")
    return _reduce([(margin - y * s).relu() for s, y in zip(ss, ys)], reduction)


def _bce_rule(out: Value, y: float) -> None:
    z, = out._prev
    z.grad += (_sigmoid(z.data) - y) * out.grad  # d/dz [softplus(z) - y z] = sigmoid(z) - y


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _bce(z: Value, y: float) -> Value:
    data = max(z.data, 0.0) - z.data * y + math.log1p(math.exp(-abs(z.data)))
    return Value(data, (z,), "bce", _rule=lambda out: _bce_rule(out, y))


def binary_cross_entropy_with_logits(logits, labels, reduction: str = "mean"):
    """Binary cross-entropy of labels in [0, 1] against raw scores (logits).

    -[y log sigmoid(z) + (1-y) log(1 - sigmoid(z))], computed as
    max(z, 0) - z*y + log(1 + exp(-|z|)), which never overflows.
    """
    zs, ys = _values(logits, "logits"), _numbers(labels, "labels")
    _same_length(zs, ys, "logits", "labels")
    bad = [y for y in ys if not 0.0 <= y <= 1.0]
    if bad:
        raise ValueError(f"binary cross-entropy needs labels between 0 and 1, got {bad[0]}")
    return _reduce([_bce(z, y) for z, y in zip(zs, ys)], reduction)


def _softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    exps = [math.exp(x - m) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def _cross_entropy_rule(out: Value, label: int) -> None:
    probs = _softmax([s.data for s in out._prev])
    for k, (s, p) in enumerate(zip(out._prev, probs)):
        s.grad += (p - (k == label)) * out.grad  # softmax minus one-hot


def _one_cross_entropy(scores: list[Value], label) -> Value:
    if isinstance(label, bool) or not isinstance(label, numbers.Integral):
        raise TypeError(f"a class label must be a whole number, got {type(label).__name__}: {label!r}")
    if not 0 <= label < len(scores):
        raise ValueError(f"label {label} is out of range for {len(scores)} classes "
                         f"(labels go from 0 to {len(scores) - 1})")
    xs = [s.data for s in scores]
    m = max(xs)
    log_sum_exp = m + math.log(sum(math.exp(x - m) for x in xs))
    label = int(label)
    return Value(log_sum_exp - xs[label], tuple(scores), "cross-entropy",
                 _rule=lambda out: _cross_entropy_rule(out, label))


def cross_entropy(scores, labels, reduction: str = "mean"):
    """Softmax cross-entropy: -log(softmax(scores)[label]), from raw class scores.

    `scores` is one example's list of class scores with an integer `labels`, or a list
    of such lists with a list of labels (a batch), as in PyTorch's `cross_entropy`.
    """
    if scores and isinstance(scores[0], (list, tuple)):
        if isinstance(labels, numbers.Integral):
            raise TypeError("a batch of score lists needs a list of labels, one per example")
        batch = [_values(row, "scores") for row in scores]
        labels = list(labels)
        _same_length(batch, labels, "score lists", "labels")
        sizes = {len(row) for row in batch}
        if len(sizes) != 1:
            raise ValueError(f"every example needs the same number of class scores, got {sorted(sizes)}")
        losses = [_one_cross_entropy(row, y) for row, y in zip(batch, labels)]
        return _reduce(losses, reduction)
    row = _values(scores, "scores")
    if not row:
        raise ValueError("cross_entropy needs at least one class score")
    return _one_cross_entropy(row, labels)


def softmax(scores: Sequence[Scalar]) -> list[Value]:
    """Probabilities from class scores: exp(s_k) / sum_j exp(s_j), built from Value ops
    (shifted by the largest score, which changes nothing but keeps exp from overflowing)."""
    ss = _values(scores, "scores")
    m = max(s.data for s in ss)
    exps = [(s - m).exp() for s in ss]
    total = sum(exps[1:], exps[0])
    return [e / total for e in exps]
