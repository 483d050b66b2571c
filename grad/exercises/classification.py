"""Notebook 08 (classification): hinge loss, cross-entropy, accuracy, softmax, argmax."""
from __future__ import annotations

import math
import numbers

import numpy as np

from grad.engine import Value
from grad.exercises import Exercise, close


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_float(x):
    """A float from a number or a Value; None for anything else."""
    if isinstance(x, Value):
        return x.data
    return float(x) if _is_number(x) else None


# ---- 1. the hinge loss of one example -------------------------------------------------------
HINGE_CASES = [(2.0, 1), (0.3, 1), (-0.5, 1), (-1.5, -1), (0.4, -1), (-0.2, -1), (3.0, -1)]


def _test_hinge_one(hinge_one):
    for s, y in HINGE_CASES:
        score = Value(s)
        out = hinge_one(score, y)
        margin = y * s
        want = max(0.0, 1.0 - margin)
        shown = f"hinge_one(Value({s}), {y})"
        if not isinstance(out, Value):
            return (f"{shown} returned {out!r}; return a Value built from `score`, so that "
                    "backward() can run through it")
        if not close(out.data, want):
            if close(out.data, max(0.0, 1.0 + margin)):
                return (f"{shown} = {out.data:.4f}, but should be {want:.4f}: the margin is "
                        "label * score, and the loss is relu(1 - margin), with a minus")
            if close(out.data, 1.0 - margin):
                return (f"{shown} = {out.data:.4f}: a loss below zero rewards examples for being "
                        f"far on the right side; clip it at zero with .relu() (should be {want:.4f})")
            return f"{shown} = {out.data:.4f}, but relu(1 - label * score) = {want:.4f}"
        out.backward()
        want_grad = -y if margin < 1 else 0.0
        if not close(score.grad, want_grad):
            return (f"the value of {shown} is right but d loss/d score = {score.grad:.4f}, "
                    f"should be {want_grad:.4f}; build the loss from `score` itself, not score.data")
    return None


hinge_one = Exercise(
    title="The hinge loss of one example",
    answer_name="hinge_one",
    test=_test_hinge_one,
    hint_text=("the margin is label * score (positive on the correct side); the loss is "
               "(1 - margin).relu()."),
    solution_code='''
        def hinge_one(score, label):
            return (1 - label * score).relu()
    ''',
    mistakes=['''
        def hinge_one(score, label):
            return (1 + label * score).relu()   # sign error
    ''', '''
        def hinge_one(score, label):
            return 1 - label * score   # no clipping at zero
    ''', '''
        from grad import Value
        def hinge_one(score, label):   # the right number, cut off from the graph
            return Value(max(0.0, 1 - label * score.data))
    '''],
)


# ---- 2. binary cross-entropy from a probability ---------------------------------------------
BCE_CASES = [(0.9, 1), (0.9, 0), (0.2, 1), (0.5, 0), (0.01, 0), (0.75, 1)]


def _test_bce_from_prob(bce_from_prob):
    for p, y in BCE_CASES:
        want = -(y * math.log(p) + (1 - y) * math.log(1 - p))
        shown = f"bce_from_prob({p}, {y})"
        out = bce_from_prob(p, y)
        got = _as_float(out)
        if got is None:
            return f"{shown} returned {out!r}; return the loss, a number"
        if close(got, want):
            continue
        if close(got, -want):
            return (f"{shown} = {got:.4f}, a negative loss: the logarithm of a probability is "
                    f"negative, so put a minus sign in front (should be {want:.4f})")
        swapped = -(y * math.log(1 - p) + (1 - y) * math.log(p))
        if close(got, swapped):
            return (f"{shown} = {got:.4f}, but should be {want:.4f}: p is the probability of "
                    "class 1, so a label 1 pays -log(p) and a label 0 pays -log(1 - p)")
        return f"{shown} = {got:.4f}, but -(y log p + (1 - y) log(1 - p)) = {want:.4f}"
    return None


bce_from_prob = Exercise(
    title="Binary cross-entropy from a probability",
    answer_name="bce_from_prob",
    test=_test_bce_from_prob,
    hint_text=("-(y * math.log(p) + (1 - y) * math.log(1 - p)): with y = 1 only -log(p) "
               "remains, with y = 0 only -log(1 - p)."),
    solution_code='''
        import math
        def bce_from_prob(p, y):
            return -(y * math.log(p) + (1 - y) * math.log(1 - p))
    ''',
    mistakes=['''
        import math
        def bce_from_prob(p, y):
            return y * math.log(p) + (1 - y) * math.log(1 - p)   # missing minus
    ''', '''
        import math
        def bce_from_prob(p, y):
            return -(y * math.log(1 - p) + (1 - y) * math.log(p))   # classes swapped
    '''],
)


# ---- 3. accuracy with 0/1 labels, from logits -----------------------------------------------
ACCURACY_CASES = [
    ([2.0, -1.0, 0.3, -0.2, 0.4], [1, 0, 1, 1, 0]),        # 0.6
    ([0.1, 0.2, -3.0, 5.0], [1, 1, 0, 1]),                  # 1.0
    ([-0.5, -0.1, 0.25, 4.0, -2.0, 0.0], [0, 1, 0, 1, 1, 0]),  # 0.5: a logit of 0 predicts 0
]


def _test_accuracy01(accuracy01):
    for logits, labels in ACCURACY_CASES:
        correct = [(z > 0) == (y == 1) for z, y in zip(logits, labels)]
        want = sum(correct) / len(correct)
        shown = f"accuracy01({logits}, {labels})"
        out = accuracy01(list(logits), list(labels))
        got = _as_float(out)
        if got is None:
            return f"{shown} returned {out!r}; return the fraction of correct predictions, a number"
        if close(got, want):
            continue
        if close(got, sum(correct)):
            return (f"{shown} = {got}: that is the number of correct predictions; divide by the "
                    f"number of examples to get a fraction ({want})")
        if not 0 <= got <= 1:
            return f"{shown} = {got}, but an accuracy is a fraction between 0 and 1 (here {want})"
        by_sign = sum((z > 0) - (z < 0) == y for z, y in zip(logits, labels)) / len(labels)
        if close(got, by_sign):
            return (f"{shown} = {got}, but should be {want}: the sign of a logit is -1 or +1, "
                    "while these labels are 0 or 1; predict 1 when the logit is above 0, else 0")
        half = sum((z > 0.5) == (y == 1) for z, y in zip(logits, labels)) / len(labels)
        if close(got, half):
            return (f"{shown} = {got}, but should be {want}: 0.5 is the threshold for a "
                    "probability; a logit z gives sigmoid(z) > 0.5 exactly when z > 0")
        return f"{shown} = {got}, but should be {want} (predict 1 when the logit is above 0)"
    return None


accuracy01 = Exercise(
    title="Accuracy with 0/1 labels",
    answer_name="accuracy01",
    test=_test_accuracy01,
    hint_text=("the prediction is 1 if z > 0 else 0; count the examples where it equals the "
               "label and divide by len(labels)."),
    solution_code='''
        def accuracy01(logits, labels):
            predictions = [1 if z > 0 else 0 for z in logits]
            correct = sum(p == y for p, y in zip(predictions, labels))
            return correct / len(labels)
    ''',
    mistakes=['''
        import numpy as np
        def accuracy01(logits, labels):   # signs are -1/+1, labels are 0/1
            return float(np.mean(np.sign(logits) == np.array(labels)))
    ''', '''
        def accuracy01(logits, labels):   # 0.5 is a probability threshold, not a logit one
            return sum((z > 0.5) == (y == 1) for z, y in zip(logits, labels)) / len(labels)
    ''', '''
        def accuracy01(logits, labels):   # a count, not a fraction
            return sum((z > 0) == (y == 1) for z, y in zip(logits, labels))
    '''],
)


# ---- 4. a softmax that never overflows -------------------------------------------------------
SOFTMAX_CASES = [
    [1.0, 2.0, 3.0],
    [0.0, 0.0],
    [-1.0, 5.0, 2.0, 0.0],
    [7.0],
    [1000.0, 1001.0, 1002.0],      # exp(1000) overflows a float
    [-1000.0, -1000.0, -1001.0],   # exp(-1000) underflows to 0: 0 / 0
    [-1000.0, 0.0, 5.0],           # shifting by the smallest score overflows
]


def _reference_softmax(xs: list[float]) -> list[float]:
    # log-probabilities first: log p_k = x_k - log-sum-exp(x), computed with fsum
    m = max(xs)
    lse = m + math.log(math.fsum(math.exp(x - m) for x in xs))
    return [math.exp(x - lse) for x in xs]


def _test_stable_softmax(stable_softmax):
    for xs in SOFTMAX_CASES:
        shown = f"stable_softmax({xs})"
        want = _reference_softmax(xs)
        try:
            with np.errstate(all="ignore"):  # a NumPy overflow gets a message below, not a warning
                out = stable_softmax(list(xs))
        except (OverflowError, ZeroDivisionError) as e:
            return (f"{shown} raised {type(e).__name__} ({e}): exp of a large score overflows, and "
                    "exp of very negative ones rounds to 0; subtract the largest score from every "
                    "score before exponentiating")
        try:
            got = [_as_float(p) for p in out]
        except TypeError:  # not iterable
            got = [None]
        if None in got:
            return f"{shown} returned {out!r}; return a list of probabilities, one per score"
        if len(got) != len(xs):
            return f"{shown} returned {len(got)} numbers for {len(xs)} scores"
        if any(math.isnan(p) or math.isinf(p) for p in got):
            return (f"{shown} returned {got}: exp overflowed (inf / inf is nan) or underflowed "
                    "(0 / 0); subtract the largest score from every score before exponentiating")
        if all(close(g, w, rel=1e-9, abs_=1e-12) for g, w in zip(got, want)):
            continue
        total = sum(got)
        if not close(total, 1.0, rel=1e-9):
            return (f"{shown} returned numbers that add up to {total:.6g}, not 1: divide each "
                    "exponential by their sum")
        return (f"{shown} returned {[round(p, 4) for p in got]}, but should be "
                f"{[round(p, 4) for p in want]}")
    return None


stable_softmax = Exercise(
    title="A softmax that never overflows",
    answer_name="stable_softmax",
    test=_test_stable_softmax,
    hint_text=("m = max(scores); exps = [math.exp(s - m) for s in scores]; then divide each of "
               "exps by sum(exps)."),
    solution_code='''
        import math
        def stable_softmax(scores):
            m = max(scores)
            exps = [math.exp(s - m) for s in scores]
            total = sum(exps)
            return [e / total for e in exps]
    ''',
    mistakes=['''
        import math
        def stable_softmax(scores):   # no shift: exp(1000) overflows
            exps = [math.exp(s) for s in scores]
            return [e / sum(exps) for e in exps]
    ''', '''
        import math
        def stable_softmax(scores):   # shifted but not normalized
            m = max(scores)
            return [math.exp(s - m) for s in scores]
    ''', '''
        import math
        def stable_softmax(scores):   # shifting by the smallest score can still overflow
            m = min(scores)
            exps = [math.exp(s - m) for s in scores]
            return [e / sum(exps) for e in exps]
    ''', '''
        import numpy as np
        def stable_softmax(scores):   # numpy turns the overflow into inf / inf = nan
            e = np.exp(np.array(scores))
            return list(e / e.sum())
    '''],
)


# ---- 5. the predicted class ------------------------------------------------------------------
CLASS_CASES = [[0.1, 2.0, -1.0], [-3.0, -1.0, -2.0], [5.0, 1.0, 2.0], [0.0, 0.5, 3.0, -1.0],
               [-0.2, -4.0, -0.1]]


def _test_predict_class(predict_class):
    for scores in CLASS_CASES:
        want = max(range(len(scores)), key=lambda k: scores[k])
        got = predict_class(list(scores))
        shown = f"predict_class({scores})"
        if isinstance(got, bool) or not isinstance(got, numbers.Integral):
            if _is_number(got) and got == max(scores):
                return (f"{shown} returned {got}, the largest score; return its position "
                        f"(the class number {want}) instead")
            return f"{shown} returned {got!r}; return the class number, an int such as {want}"
        if got == want:
            continue
        if got == min(range(len(scores)), key=lambda k: scores[k]):
            return (f"{shown} returned {got}, the class with the smallest score "
                    f"({scores[got]}); the prediction is the class with the largest score, "
                    f"sign included: class {want}")
        return f"{shown} returned {got}, but class {want} has the largest score"
    return None


predict_class = Exercise(
    title="The predicted class",
    answer_name="predict_class",
    test=_test_predict_class,
    hint_text=("loop over range(len(scores)) and keep the index whose score is largest, "
               "or use max(range(len(scores)), key=lambda k: scores[k])."),
    solution_code='''
        def predict_class(scores):
            best = 0
            for k in range(1, len(scores)):
                if scores[k] > scores[best]:
                    best = k
            return best
    ''',
    mistakes=['''
        def predict_class(scores):   # the smallest score
            return min(range(len(scores)), key=lambda k: scores[k])
    ''', '''
        def predict_class(scores):   # the score itself, not its position
            return max(scores)
    ''', '''
        def predict_class(scores):   # the largest in size, ignoring the sign
            return max(range(len(scores)), key=lambda k: abs(scores[k]))
    '''],
)
