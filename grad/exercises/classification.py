"""Notebook 08 (classification): hinge loss, cross-entropy, accuracy, softmax, argmax."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, Mistake, close, describe, floats,
                            function, number, run, shown, whole)


# ---- 1. the hinge loss of one example -------------------------------------------------------
HINGE_CASES = [(2.0, 1), (0.3, 1), (-0.5, 1), (-1.5, -1), (0.4, -1), (-0.2, -1), (3.0, -1)]


def _test_hinge_one(hinge_one):
    function(hinge_one, "hinge_one")
    for s, y in HINGE_CASES:
        score = Value(s)
        margin = y * s
        want = max(0.0, 1.0 - margin)
        shown = f"hinge_one(Value({s}), {y})"
        try:
            out = run(hinge_one, score, y, what=shown)
        except LearnerFailed as e:
            if isinstance(e.error, TypeError) and "not supported between" in str(e.error) \
                    and "Value" in str(e.error):
                raise LearnerFailed(
                    f"{e.message}. A Value cannot be compared with a number, and Python's "
                    "built-in max() compares its arguments with > (a comparison would not be "
                    "part of the graph, so backward() could not run through it); for "
                    "max(0, ...) of a Value, use the Value method made for it: .relu()",
                    e.error) from None
            raise
        if not isinstance(out, Value):
            return (f"{shown} returned {describe(out)}; return a Value built from `score`, so "
                    "that backward() can run through it")
        number(out.data, f"{shown}.data")
        if not close(out.data, want):
            if close(out.data, max(0.0, 1.0 + margin)):
                return (f"{shown} = {out.data:.4f}, but should be {want:.4f}: check the sign "
                        "in front of the margin")
            if close(out.data, 1.0 - margin):
                return (f"{shown} = {out.data:.4f}: a loss below zero rewards examples for being "
                        f"far on the right side; clip it at zero with .relu() (should be {want:.4f})")
            return (f"{shown} = {out.data:.4f}, but the hinge loss of this example (margin "
                    f"{margin:g}) is {want:.4f}")
        run(out.backward, what="backward() on your loss", changes=True)
        want_grad = -y if margin < 1 else 0.0
        if not close(score.grad, want_grad):
            grad = number(score.grad, "score.grad after backward()", finite=False)
            return (f"the value of {shown} is right but d loss/d score = {grad:.4f}, "
                    f"should be {want_grad:.4f}; build the loss from `score` itself, not score.data")
    return None


hinge_one = Exercise(
    title="The hinge loss of one example",
    answer_name="hinge_one",
    test=_test_hinge_one,
    nudge_text=("the hinge loss is zero for an example that is on the correct side with room "
                "to spare, and grows the further it falls short of that."),
    hint_text=("the margin, label times score, is positive on the correct side; the loss is "
               "how far the margin falls short of 1, clipped at zero with ReLU. Build it with "
               "Value operations on score."),
    solution_code='''
        def hinge_one(score, label):
            return (1 - label * score).relu()
    ''',
    mistakes=[Mistake('''
        def hinge_one(score, label):
            return (1 + label * score).relu()   # sign error
    ''', says="the sign in front of the margin"), Mistake('''
        def hinge_one(score, label):
            return 1 - label * score   # no clipping at zero
    ''', says="clip it at zero"), Mistake('''
        def hinge_one(score, label):   # Python's max cannot compare a Value with 0
            return max(0, 1 - label * score)
    ''', says="use the Value method made for it: .relu()"), Mistake('''
        from grad import Value
        def hinge_one(score, label):   # the right number, cut off from the graph
            return Value(max(0.0, 1 - label * score.data))
    ''', says="not score.data")],
)


# ---- 2. binary cross-entropy from a probability ---------------------------------------------
BCE_CASES = [(0.9, 1), (0.9, 0), (0.2, 1), (0.5, 0), (0.01, 0), (0.75, 1)]


def _test_bce_from_prob(bce_from_prob):
    function(bce_from_prob, "bce_from_prob")
    passed_label_1 = False
    for p, y in BCE_CASES:
        want = -(y * math.log(p) + (1 - y) * math.log(1 - p))
        shown = f"bce_from_prob({p}, {y})"
        got = number(run(bce_from_prob, p, y, what=shown), shown)
        if close(got, want):
            passed_label_1 = passed_label_1 or y == 1
            continue
        if close(got, -want):
            return (f"{shown} = {got:.4f}, a negative loss: the logarithm of a probability is "
                    f"negative, so put a minus sign in front (should be {want:.4f})")
        if y == 0 and passed_label_1 and close(got, -math.log(p)):
            return (f"{shown} = {got:.4f}, which is -log(p), the loss for a label 1; a label 0 "
                    f"pays -log(1 - p) (should be {want:.4f})")
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
    nudge_text=("the loss is small when the model gave a high probability to the true class, "
                "and large when it gave a low one: which function of a probability does that?"),
    hint_text=("the loss is minus the log (math.log) of the probability the model gave to the "
               "true class: that probability is p for label 1, and 1 − p for label 0."),
    solution_code='''
        import math
        def bce_from_prob(p, y):
            return -(y * math.log(p) + (1 - y) * math.log(1 - p))
    ''',
    mistakes=[Mistake('''
        import math
        def bce_from_prob(p, y):
            return y * math.log(p) + (1 - y) * math.log(1 - p)   # missing minus
    ''', says="a negative loss"), Mistake('''
        import math
        def bce_from_prob(p, y):
            return -(y * math.log(1 - p) + (1 - y) * math.log(p))   # classes swapped
    ''', says="p is the probability of class 1"), Mistake('''
        import math
        def bce_from_prob(p, y):   # base-10 logarithm
            return -(y * math.log10(p) + (1 - y) * math.log10(1 - p))
    ''', says="-(y log p + (1 - y) log(1 - p))"), Mistake('''
        import math
        def bce_from_prob(p, y):   # the label ignored
            return -math.log(p)
    ''', says="which is -log(p), the loss for a label 1")],
)


# ---- 3. accuracy with 0/1 labels, from logits -----------------------------------------------
ACCURACY_CASES = [
    # every typical slip gives a different number here: 0.7 right, 7 the count, 0.3 the error
    # rate, 0.9 with >= 0, 0.4 with signs against 0/1 labels, 0.5 with the 0.5 threshold
    ([0.0, 0.0, 0.7, -0.3, 0.2, -0.8, 0.9, 0.3, 0.6, -0.4],
     [1, 1, 1, 0, 1, 0, 1, 1, 0, 0]),
    ([2.0, -1.0, 0.3, -0.2, 0.4], [1, 0, 1, 1, 0]),        # 0.6
    ([0.1, 0.2, -3.0, 5.0], [1, 1, 0, 1]),                  # 1.0
    ([-0.5, -0.1, 0.25, 4.0, -2.0, 0.0], [0, 1, 0, 1, 1, 0]),  # 0.5: a logit of 0 predicts 0
]


def _fraction(predict, logits, labels) -> float:
    return sum(predict(z) == y for z, y in zip(logits, labels)) / len(labels)


def _accuracy_slips(logits: list, labels: list, want: float) -> dict:
    """The number each typical slip returns on these data, with what to say about it."""
    n = len(labels)
    return {
        "count": (want * n, f"that is the number of correct predictions; divide by the number "
                            f"of examples to get a fraction ({want:g})"),
        "error": (1 - want, f"that is the fraction of wrong predictions (the error rate); the "
                            f"accuracy counts the right ones ({want:g})"),
        "ge": (_fraction(lambda z: int(z >= 0), logits, labels),
               f"a logit of exactly 0 should predict class 0, but yours counts it as class 1 "
               f"(should be {want:g})"),
        "sign": (_fraction(lambda z: (z > 0) - (z < 0), logits, labels),
                 f"the sign of a logit is -1, 0 or +1, while these labels are 0 or 1 (should "
                 f"be {want:g})"),
        "half": (_fraction(lambda z: int(z > 0.5), logits, labels),
                 f"0.5 is the threshold for a probability; a logit z gives sigmoid(z) > 0.5 "
                 f"exactly when z > 0 (should be {want:g})"),
    }


def _explained(results: list, slip_table, same) -> Optional[str]:
    """The verdict for answers that were wrong somewhere, naming a cause only when exactly one
    typical slip gives what the answer gave on every case. results: (shown, got, want, case)."""
    tables = [slip_table(case, want) for _, _, want, case in results]
    bad = next(i for i, (_, got, want, _) in enumerate(results) if not same(got, want))
    fits = [name for name in tables[0]
            if all(same(got, table[name][0]) for (_, got, _, _), table in zip(results, tables))]
    if len(fits) == 1:
        return f"{results[bad][0]} returned {shown(results[bad][1])}: {tables[bad][fits[0]][1]}"
    return None


def _test_accuracy01(accuracy01):
    function(accuracy01, "accuracy01")
    results = []
    for logits, labels in ACCURACY_CASES:
        want = _fraction(lambda z: int(z > 0), logits, labels)
        what = f"accuracy01({logits}, {labels})"
        got = number(run(accuracy01, list(logits), list(labels), what=what), what,
                     advice="return the fraction of correct predictions")
        results.append((what, got, want, (logits, labels)))
    wrong = [(what, got, want) for what, got, want, _ in results if not close(got, want)]
    if not wrong:
        return None
    named = _explained(results, lambda case, want: _accuracy_slips(*case, want), close)
    if named:
        return named
    what, got, want = wrong[0]
    if not 0 <= got <= 1:
        return (f"{what} returned {got:g}, but an accuracy is a fraction between 0 and 1 "
                f"(here {want:g})")
    return f"{what} returned {got:g}, but should be {want:g} (predict 1 when the logit is above 0)"


accuracy01 = Exercise(
    title="Accuracy with 0/1 labels",
    answer_name="accuracy01",
    test=_test_accuracy01,
    nudge_text=("first turn each logit into a predicted label, then compare the predictions "
                "with the true labels."),
    hint_text=("a logit above zero predicts 1, anything else 0; the accuracy is the fraction "
               "of examples whose prediction equals their label."),
    solution_code='''
        def accuracy01(logits, labels):
            predictions = [1 if z > 0 else 0 for z in logits]
            correct = sum(p == y for p, y in zip(predictions, labels))
            return correct / len(labels)
    ''',
    mistakes=[Mistake('''
        import numpy as np
        def accuracy01(logits, labels):   # signs are -1/+1, labels are 0/1
            return float(np.mean(np.sign(logits) == np.array(labels)))
    ''', says="the sign of a logit"), Mistake('''
        def accuracy01(logits, labels):   # 0.5 is a probability threshold, not a logit one
            return sum((z > 0.5) == (y == 1) for z, y in zip(logits, labels)) / len(labels)
    ''', says="0.5 is the threshold for a probability"), Mistake('''
        def accuracy01(logits, labels):   # a count, not a fraction
            return sum((z > 0) == (y == 1) for z, y in zip(logits, labels))
    ''', says="the number of correct predictions"), Mistake('''
        def accuracy01(logits, labels):   # a logit of 0 counted as class 1
            return sum((z >= 0) == (y == 1) for z, y in zip(logits, labels)) / len(labels)
    ''', says="a logit of exactly 0 should predict class 0"), Mistake('''
        def accuracy01(logits, labels):   # the error rate
            return sum((z > 0) != (y == 1) for z, y in zip(logits, labels)) / len(labels)
    ''', says="the error rate"), Mistake('''
        def accuracy01(logits, labels):   # divides by a fixed number
            return sum((z > 0) == (y == 1) for z, y in zip(logits, labels)) / 10
    ''', says="(predict 1 when the logit is above 0)")],
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
    [-2000.0, 0.0, 1000.0],        # shifting by the mean overflows too
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
                out = run(stable_softmax, list(xs), what=shown)
        except LearnerFailed as e:
            if not isinstance(e.error, (OverflowError, ZeroDivisionError)):
                raise
            return (f"{e.message}: exp of a large number overflows, and exp of a very negative "
                    "one rounds to 0. Shift the scores before exponentiating so that neither "
                    "can happen")
        got = floats(out, shown, len(xs), finite=False,
                     advice="return a list of probabilities, one per score")
        if any(math.isnan(p) or math.isinf(p) for p in got):
            return (f"{shown} returned {got}: exp overflowed (inf / inf is nan) or underflowed "
                    "(0 / 0). Shift the scores before exponentiating so that neither can happen")
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
    nudge_text=("softmax does not change when the same number is subtracted from every score; "
                "which number keeps every exponent safe?"),
    hint_text=("subtract one number from every score before math.exp: choose it so that the "
               "largest exponent becomes exactly e⁰ = 1 (nothing can overflow, and the sum is "
               "at least 1); then divide each exponential by their sum."),
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
    ''', Mistake('''
        import math
        def stable_softmax(scores):   # shifting by the mean: exp(1333) still overflows
            m = sum(scores) / len(scores)
            exps = [math.exp(s - m) for s in scores]
            return [e / sum(exps) for e in exps]
    ''', says="OverflowError")],
)


# ---- 5. the predicted class ------------------------------------------------------------------
# told apart across the cases: counting from 1, the smallest score, the largest in size
CLASS_CASES = [[0.1, 2.0, -1.0, 0.5], [0.5, -1.0, 2.0, 0.1, -3.0], [-3.0, -1.0, -2.0],
               [5.0, 1.0, 2.0], [0.0, 0.5, 3.0, -1.0],
               [-0.2, -4.0, -0.1]]


def _class_slips(scores: list, want: int) -> dict:
    """The class each typical slip returns for these scores, with what to say about it."""
    positions = range(len(scores))
    low = min(positions, key=lambda k: scores[k])
    return {
        "one-based": (want + 1, f"the classes are numbered from 0, so the first score is "
                                f"class 0 (should be {want})"),
        "smallest": (low, f"the class with the smallest score ({scores[low]}); the prediction "
                          f"is the class with the largest score: class {want}"),
        "abs": (max(positions, key=lambda k: abs(scores[k])),
                f"the class whose score is largest in size; the sign counts too: class {want}"),
    }


def _test_predict_class(predict_class):
    function(predict_class, "predict_class")
    results = []
    for scores in CLASS_CASES:
        want = max(range(len(scores)), key=lambda k: scores[k])
        what = f"predict_class({scores})"
        out = run(predict_class, list(scores), what=what)
        advice = f"return the class number, an int such as {want}"
        score_like = not isinstance(out, (int, np.integer))     # a float, as the scores are
        if (score_like and not close(max(scores), want)   # 2.0 may be class 2 or that score
                and close(number(out, what, advice=advice), max(scores))):
            return (f"{what} returned {max(scores)}, the largest score; return its position "
                    f"(the class number {want}) instead")
        results.append((what, whole(out, what, advice=advice), want, scores))
    wrong = [(what, got, want, scores) for what, got, want, scores in results if got != want]
    if not wrong:
        return None
    named = _explained(results, _class_slips, lambda a, b: a == b)
    if named:
        return named
    what, got, want, scores = wrong[0]
    if not 0 <= got < len(scores):
        return f"{what} returned {got}, but the classes are numbered 0 to {len(scores) - 1}"
    return f"{what} returned {got}, but class {want} has the largest score"


predict_class = Exercise(
    title="The predicted class",
    answer_name="predict_class",
    test=_test_predict_class,
    nudge_text=("the predicted class is a position in the list, not a score: the position of "
                "the largest score."),
    hint_text=("walk through the positions 0, 1, 2, ... remembering the position of the largest "
               "score seen so far; return that position, not the score."),
    solution_code='''
        def predict_class(scores):
            best = 0
            for k in range(1, len(scores)):
                if scores[k] > scores[best]:
                    best = k
            return best
    ''',
    mistakes=[Mistake('''
        def predict_class(scores):   # the smallest score
            return min(range(len(scores)), key=lambda k: scores[k])
    ''', says="the smallest score"), Mistake('''
        def predict_class(scores):   # the score itself, not its position
            return max(scores)
    ''', says="the largest score; return its position"), Mistake('''
        def predict_class(scores):   # the largest in size, ignoring the sign
            return max(range(len(scores)), key=lambda k: abs(scores[k]))
    ''', says="largest in size"), Mistake('''
        def predict_class(scores):   # counts from 1
            return scores.index(max(scores)) + 1
    ''', says="numbered from 0"), Mistake('''
        def predict_class(scores):   # always the last class
            return len(scores) - 1
    ''', says="has the largest score"), Mistake('''
        def predict_class(scores):   # the index of the last score, counted from 1
            return len(scores)
    ''', says="numbered 0 to")],
)
