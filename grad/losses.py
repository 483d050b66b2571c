"""Loss functions: one number that says how wrong a model is.

Each takes the model's outputs (Values, or plain numbers) and the targets (plain numbers),
as lists, tuples or NumPy arrays, and returns a Value to call `backward()` on. Outputs
and targets must pair up one to one (a ValueError otherwise, never a silently shortened
batch). `reduction` is 'mean' (default), 'sum' or 'none' (a list of per-example losses),
as in PyTorch; anything else is a ValueError. A NaN or an infinity among the outputs gives
the loss and gradients PyTorch gives (usually nan), never an ordinary number. The
cross-entropy losses are single nodes with exact gradients, computed with the log-sum-exp
trick so that no exp can overflow.
"""
from __future__ import annotations

import functools
import math
import numbers
import operator
from typing import Iterable, Sequence, Union

from grad.engine import Value

Scalar = Union[Value, float]
REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: object) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _is_row(x: object) -> bool:
    """Whether x is a sequence of scores (a list, tuple or array), not a single score."""
    return isinstance(x, Iterable) and not isinstance(x, (Value, str, bytes))


def _values(xs, what: str) -> list[Value]:
    if not _is_row(xs):
        xs = [xs]
    try:
        return [x if isinstance(x, Value) else Value(x) for x in xs]
    except TypeError as e:
        raise TypeError(f"{what} must be numbers or Values: {e}") from None


def _numbers(ys, what: str) -> list[float]:
    if not _is_row(ys):
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
    if reduction == "none":
        return losses
    total = sum(losses[1:], losses[0])
    return total * (1.0 / len(losses)) if reduction == "mean" else total


def mse(predictions, targets, reduction: str = "mean"):
    """Mean squared error: mean of (prediction - target)**2."""
    _check_reduction(reduction)
    ps, ts = _values(predictions, "predictions"), _numbers(targets, "targets")
    _same_length(ps, ts, "predictions", "targets")
    return _reduce([(p - t) ** 2 for p, t in zip(ps, ts)], reduction)


def hinge(scores, labels, margin: float = 1.0, reduction: str = "mean"):
    """Max-margin loss for labels -1/+1: mean of relu(margin - label * score).

    Zero once every example is on its correct side by at least `margin`.
    """
    _check_reduction(reduction)
    ss, ys = _values(scores, "scores"), _numbers(labels, "labels")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"margin must be a number, got {type(margin).__name__}: {margin!r}")
    _same_length(ss, ys, "scores", "labels")
    bad = [y for y in ys if y not in (-1.0, 1.0) and y == y]  # a NaN label gives a NaN loss
    if bad:
        raise ValueError(f"hinge loss needs labels -1 or +1, got {bad[0]}")
    return _reduce([(margin - y * s).relu() for s, y in zip(ss, ys)], reduction)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _bce_rule(y: float, out: Value) -> None:
    z, = out._prev
    z.grad += (_sigmoid(z.data) - y) * out.grad  # d/dz [softplus(z) - y z] = sigmoid(z) - y


def _bce(z: Value, y: float) -> Value:
    x = z.data
    log_sigmoid = min(x, 0.0) - math.log1p(math.exp(-abs(x)))  # log(sigmoid(x)), never overflows
    return Value((1.0 - y) * x - log_sigmoid, (z,), "bce", _rule=functools.partial(_bce_rule, y))


def binary_cross_entropy_with_logits(logits, labels, reduction: str = "mean"):
    """Binary cross-entropy of labels in [0, 1] against raw scores (logits).

    -[y log sigmoid(z) + (1-y) log(1 - sigmoid(z))], computed as PyTorch does, as
    (1 - y) * z - log sigmoid(z) with log sigmoid(z) = min(z, 0) - log(1 + exp(-|z|)):
    the same number as max(z, 0) - z*y + log(1 + exp(-|z|)), and it never overflows.
    """
    _check_reduction(reduction)
    zs, ys = _values(logits, "logits"), _numbers(labels, "labels")
    _same_length(zs, ys, "logits", "labels")
    bad = [y for y in ys if not 0.0 <= y <= 1.0 and y == y]  # a NaN label gives a NaN loss
    if bad:
        raise ValueError(f"binary cross-entropy needs labels between 0 and 1, got {bad[0]}")
    return _reduce([_bce(z, y) for z, y in zip(zs, ys)], reduction)


def _softmax(xs: list[float]) -> list[float]:
    m = max(xs)
    exps = [math.exp(x - m) for x in xs]
    total = sum(exps)
    return [e / total for e in exps]


def _cross_entropy_rule(label: int, out: Value) -> None:
    probs = _softmax([s.data for s in out._prev])
    for k, (s, p) in enumerate(zip(out._prev, probs)):
        s.grad += (p - (k == label)) * out.grad  # softmax minus one-hot


def _class_label(label: object, classes: int) -> int:
    """A class index in [0, classes): an int (or NumPy integer), as PyTorch's targets are."""
    if isinstance(label, (bool, Value)) or not hasattr(label, "__index__"):
        raise TypeError(f"a class label must be a whole number, got {type(label).__name__}: {label!r}")
    label = operator.index(label)
    if not 0 <= label < classes:
        raise IndexError(f"label {label} is out of range for {classes} classes "
                         f"(labels go from 0 to {classes - 1})")
    return label


def _one_cross_entropy(scores: list[Value], label: int) -> Value:
    xs = [s.data for s in scores]
    m = max(xs)
    log_sum_exp = m + math.log(sum(math.exp(x - m) for x in xs))
    return Value(log_sum_exp - xs[label], tuple(scores), "cross-entropy",
                 _rule=functools.partial(_cross_entropy_rule, label))


def cross_entropy(scores, labels, reduction: str = "mean"):
    """Softmax cross-entropy: -log(softmax(scores)[label]), from raw class scores.

    `scores` is one example's class scores with an integer `labels`, or a batch: one row
    of class scores per example (a list of lists, or a 2-D array) with one label per
    example, as in PyTorch's `cross_entropy`. A label outside 0 .. classes-1 is an
    IndexError, as in PyTorch. Every example counts: there is no `ignore_index` here
    (grad.tensor.functional.cross_entropy has PyTorch's). For a single example every
    reduction gives its loss.
    """
    _check_reduction(reduction)
    rows = list(scores) if _is_row(scores) else [scores]
    if rows and _is_row(rows[0]):  # a batch
        if not _is_row(labels):
            raise TypeError("a batch of score rows needs a list of labels, one per example")
        batch = [_values(row, "scores") for row in rows]
        labels = list(labels)
        _same_length(batch, labels, "score lists", "labels")
        sizes = {len(row) for row in batch}
        if len(sizes) != 1:
            raise ValueError(f"every example needs the same number of class scores, got {sorted(sizes)}")
        if not batch[0]:
            raise ValueError("cross_entropy needs at least one class score per example")
        classes = len(batch[0])
        return _reduce([_one_cross_entropy(row, _class_label(y, classes))
                        for row, y in zip(batch, labels)], reduction)
    row = _values(rows, "scores")
    if not row:
        raise ValueError("cross_entropy needs at least one class score")
    if _is_row(labels):
        raise TypeError("one example's scores need one label (an int); for a batch, give one "
                        "row of scores per example")
    return _one_cross_entropy(row, _class_label(labels, len(row)))


def softmax(scores: Sequence[Scalar]) -> list[Value]:
    """Probabilities from class scores: exp(s_k) / sum_j exp(s_j), built from Value ops
    (shifted by the largest score, which changes nothing but keeps exp from overflowing)."""
    ss = _values(scores, "scores")
    if not ss:
        raise ValueError("softmax needs at least one score")
    m = max(s.data for s in ss)
    exps = [(s - m).exp() for s in ss]
    total = sum(exps[1:], exps[0])
    return [e / total for e in exps]
