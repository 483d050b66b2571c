"""Notebook 07 (training): the NumPy primer (axis=, @, broadcasting), the loss, one update
step, a training loop, a learning rate."""
from __future__ import annotations

import math
import random

import numpy as np

from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, Mistake, allclose, array, close, describe,
                            floats, fresh, function, number, run, shown, to_float)
from grad.nn import MLP


# ---- 1. the mean squared error --------------------------------------------------------------
def _test_mse(mse):
    cases = [([0.5], [1.0]),
             ([2.0, -1.0, 0.5], [1.0, 1.0, 0.0]),
             ([0.3, -0.2, 1.5, 2.0, -3.0], [0.0, 0.5, 1.0, -1.0, -2.5])]
    function(mse, "my_mse")
    for preds_data, targets in cases:
        preds = [Value(p) for p in preds_data]
        mine = list(preds)
        n = len(targets)
        errors = [p - y for p, y in zip(preds_data, targets)]
        want = sum(e * e for e in errors) / n
        out = run(mse, preds, list(targets), what=f"my_mse(preds, {targets})")
        if not isinstance(out, Value):
            return (f"my_mse(...) returned {describe(out)}; return a Value built from the "
                    "predictions, so that backward() can run through it")
        number(out.data, f"my_mse(preds, {targets}).data")
        if not close(out.data, want):
            if close(out.data, sum(e * e for e in errors)) and n > 1:
                return (f"for {n} examples you returned the sum of squared errors ({out.data:.4f}); "
                        f"divide by the number of examples to get the mean ({want:.4f})")
            if close(out.data, sum(errors) / n) or close(out.data, sum(abs(e) for e in errors) / n):
                return (f"my_mse({preds_data}, {targets}) = {out.data:.4f}, but it should be {want:.4f}: "
                        "square each error (prediction - target) before averaging")
            return f"my_mse({preds_data}, {targets}) = {out.data:.4f}, but it should be {want:.4f}"
        run(out.backward, what="backward() on your loss", changes=True)
        for p, e in zip(mine, errors):
            if not close(p.grad, 2 * e / n):
                return (f"the value is right but the gradient is not: d loss/d prediction should be "
                        f"2 * (prediction - target) / n = {2 * e / n:.4f}, got {shown(p.grad)}. "
                        "Build the loss from the prediction Values themselves (not from .data)")
    return None


mse = Exercise(
    title="The mean squared error",
    answer_name="my_mse",
    test=_test_mse,
    nudge_text=("the name says it all: the mean of the squared errors; and keep the "
                "predictions as Values, so backward() can reach them."),
    hint_text=("pair each prediction with its target, square each difference with Value "
               "operations, add them all up and divide by how many there are (do not use .data)."),
    solution_code='''
        def my_mse(preds, targets):
            return sum((p - y) ** 2 for p, y in zip(preds, targets)) / len(targets)
    ''',
    mistakes=[Mistake('''
        def my_mse(preds, targets):
            return sum((p - y) ** 2 for p, y in zip(preds, targets))   # not averaged
    ''', says='the sum of squared errors'), Mistake('''
        def my_mse(preds, targets):
            return sum(p - y for p, y in zip(preds, targets)) / len(targets)   # not squared
    ''', says='square each error'), Mistake('''
        from grad import Value
        def my_mse(preds, targets):   # the right number, but cut off from the graph
            return Value(sum((p.data - y) ** 2 for p, y in zip(preds, targets)) / len(targets))
    ''', says='the value is right but the gradient is not'), Mistake('''
        def my_mse(preds, targets):   # the number, not a Value
            return sum((p.data - y) ** 2 for p, y in zip(preds, targets)) / len(targets)
    ''', says="return a Value")],
)


# ---- 2. one gradient-descent step -----------------------------------------------------------
def _test_gd_step(gd_step):
    datas = [1.0, -2.0, 0.5, 3.0, 0.0]
    grads = [0.5, -1.0, 2.0, 0.0, -4.0]
    function(gd_step, "gd_step")
    for lr in (0.1, 0.25, 0.01):
        params = [Value(d) for d in datas]
        for p, g in zip(params, grads):
            p.grad = g
        mine = list(params)                  # read the results from our own list
        run(gd_step, params, lr, what=f"gd_step(params, {lr})", changes=(0,))
        for i, (p, d, g) in enumerate(zip(mine, datas, grads)):
            want = d - lr * g
            if to_float(p.grad) != g:
                return (f"gd_step changed p.grad (from {g} to {shown(p.grad)}); it should only "
                        "change p.data. Resetting the gradients is the training loop's job (zero_grad)")
            now = to_float(p.data)
            if now is None:
                return f"after gd_step, parameter {i} holds {describe(p.data)}, not a number"
            if close(now, want):
                continue
            if g != 0 and close(now, d + lr * g):
                return (f"parameter {i} moved uphill, to {now:.4f} instead of {want:.4f}: the "
                        "gradient points uphill, so subtract it (-=, not +=)")
            if g != 0 and close(now, d - g):
                return f"parameter {i} moved by the whole gradient; multiply it by the learning rate {lr}"
            if now == d and g != 0:
                return (f"parameter {i} did not change (still {d}); update every parameter's "
                        ".data in place")
            return (f"with data {d}, grad {g} and lr {lr}, parameter {i} became {now:.4f}, "
                    f"but should be {want:.4f}")
    run(gd_step, [], 0.1, what="gd_step([], 0.1)")  # no parameters: nothing to do, no error
    return None


gd_step = Exercise(
    title="One gradient-descent step",
    answer_name="gd_step",
    test=_test_gd_step,
    nudge_text="the gradient points uphill; a step of gradient descent goes the other way, "
               "by an amount the learning rate controls.",
    hint_text="change each parameter's .data in place: against its gradient (which points "
              "uphill), scaled by the learning rate; leave .grad as it is.",
    solution_code='''
        def gd_step(params, lr):
            for p in params:
                p.data -= lr * p.grad
    ''',
    mistakes=[Mistake('''
        def gd_step(params, lr):
            for p in params:
                p.data += lr * p.grad   # uphill
    ''', says='moved uphill'), Mistake('''
        def gd_step(params, lr):
            for p in params:
                p.data -= p.grad   # forgets the learning rate
    ''', says='moved by the whole gradient'), Mistake('''
        def gd_step(params, lr):
            for p in params:
                p.data -= lr * p.grad
                return   # returns after the first parameter
    ''', says='parameter 1 did not change'), Mistake('''
        def gd_step(params, lr):
            for p in params:
                p.data -= lr * p.grad
                p.grad = 0.0   # zeroing is the loop's job
    ''', says='gd_step changed p.grad'), Mistake('''
        def gd_step(params, lr):
            for p in params:
                p = p - lr * p.grad   # a new Value; the parameter itself stays
    ''', says="parameter 0 did not change")],
    adversaries=['''
        class Liar(float):            # a wrong number that says it equals everything
            def __eq__(self, other): return True
            def __ne__(self, other): return False

        def gd_step(params, lr):
            for p in params:
                p.data = Liar(p.data + 100.0)
    '''],
)


# ---- 3. a training loop ---------------------------------------------------------------------
DATASETS = [
    dict(seed=1, steps=3, lr=0.1, xs=[[2.0, 3.0], [-1.0, 0.5], [0.5, -1.0], [1.0, 1.0]],
         ys=[1.0, -1.0, -1.0, 1.0]),
    dict(seed=7, steps=5, lr=0.05, xs=[[0.5, -0.5], [1.5, 2.0], [-2.0, 1.0]], ys=[0.5, -0.5, 1.0]),
]


def _fresh_model(seed: int) -> MLP:
    """The same small network every time, without disturbing the learner's random numbers."""
    state = random.getstate()
    random.seed(seed)
    try:
        return MLP(2, [3, 1], activation="tanh")
    finally:
        random.setstate(state)


def _reference_train(model, xs, ys, steps, lr, zero_grad=True):
    losses = []
    for _ in range(steps):
        preds = [model(x) for x in xs]
        loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
        if zero_grad:
            model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


def _same(a, b) -> bool:
    return len(a) == len(b) and all(close(u, v, rel=1e-7, abs_=1e-10) for u, v in zip(a, b))


def _test_train(train):
    function(train, "train")
    for case in fresh(DATASETS):
        xs, ys, steps, lr = case["xs"], case["ys"], case["steps"], case["lr"]
        model = _fresh_model(case["seed"])
        reference = _fresh_model(case["seed"])
        want = _reference_train(reference, xs, ys, steps, lr)
        what = f"train(model, xs, ys, {steps}, {lr})"
        got = floats(run(train, model, fresh(xs), fresh(ys), steps, lr, what=what,
                         changes=(0,)), what,
                     advice="return the list of losses, one number per step")
        if len(got) != steps:
            return f"with steps={steps}, train returned {len(got)} losses; return one loss per step"
        if not close(got[0], want[0], rel=1e-7):
            wrong_sum = want[0] * len(ys)
            if close(got[0], wrong_sum, rel=1e-7):
                return ("the first loss is the sum of squared errors; use their mean "
                        "(divide by the number of examples)")
            after = (f" (it is the loss after the first update: record loss.data before "
                     "updating)" if steps > 1 and close(got[0], want[1], rel=1e-7) else "")
            return (f"the first loss is {got[0]:.6f}, but the mean squared error of the untrained "
                    f"model is {want[0]:.6f}{after}")
        params = [to_float(p.data) for p in model.parameters()]
        want_params = [p.data for p in reference.parameters()]
        if _same(got, want) and _same(params, want_params):
            continue
        stale = _fresh_model(case["seed"])
        no_zero = _reference_train(stale, xs, ys, steps, lr, zero_grad=False)
        if _same(got, no_zero) or _same(params, [p.data for p in stale.parameters()]):
            return ("the first step is right, but later steps use gradients that kept "
                    "accumulating: clear the old gradients before every backward()")
        start = [p.data for p in _fresh_model(case["seed"]).parameters()]
        if _same(params, start):
            return ("the parameters never changed: update them after backward(), and do "
                    "not zero the gradients between backward() and the update")
        for other_lr, say in ((-lr, f"the loss went up from {got[0]:.4f} to {got[-1]:.4f}: "
                                    "the parameters moved with the gradient (uphill), not "
                                    "against it"),
                              (1.0, "the parameters moved by the whole gradient: the step "
                                    "was not scaled by the learning rate lr")):
            other = _fresh_model(case["seed"])
            if _same(got, _reference_train(other, xs, ys, steps, other_lr)):
                return say
        return (f"after {steps} steps the losses are {[round(l, 6) for l in got]}, but the "
                f"full loop (forward, loss, zero_grad, backward, update) gives "
                f"{[round(l, 6) for l in want]}")
    return None


train = Exercise(
    title="A training loop that remembers to forget",
    answer_name="train",
    test=_test_train,
    nudge_text=("every step repeats the same five moves: forward, loss, forget the old "
                "gradients, backward, update. The order matters."),
    hint_text=("each step: predictions for every x; their mean squared error; zero the "
               "model's gradients; backward from the loss; move every parameter against its "
               "gradient, scaled by lr; and record the loss's number (its .data)."),
    solution_code='''
        def train(model, xs, ys, steps, lr):
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(loss.data)
            return losses
    ''',
    mistakes=[Mistake('''
        def train(model, xs, ys, steps, lr):   # forgets zero_grad
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(loss.data)
            return losses
    ''', says='gradients that kept accumulating'), Mistake('''
        def train(model, xs, ys, steps, lr):   # zeroes the gradients it is about to use
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                loss.backward()
                model.zero_grad()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(loss.data)
            return losses
    ''', says='the parameters never changed'), Mistake('''
        def train(model, xs, ys, steps, lr):   # climbs
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data += lr * p.grad
                losses.append(loss.data)
            return losses
    ''', says='moved with the gradient (uphill)'), Mistake('''
        def train(model, xs, ys, steps, lr):   # sum instead of mean
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys))
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(loss.data)
            return losses
    ''', says='the first loss is the sum of squared errors'), Mistake('''
        def train(model, xs, ys, steps, lr):   # no learning rate
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= p.grad
                losses.append(loss.data)
            return losses
    ''', says="not scaled by the learning rate"), Mistake('''
        def train(model, xs, ys, steps, lr):   # records the loss after the update
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                preds = [model(x) for x in xs]
                losses.append((sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)).data)
            return losses
    ''', says="record loss.data before updating"), Mistake('''
        def train(model, xs, ys, steps, lr):   # the losses as Values
            losses = []
            for _ in range(steps):
                preds = [model(x) for x in xs]
                loss = sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(loss)
            return losses
    ''', says="not the Value")],
)


# ---- 4. a learning rate that fits the data ----------------------------------------------------
def _lr_datasets():
    rng = random.Random(3)
    sets = []
    for scale, n in ((1.0, 10), (0.1, 12), (10.0, 15), (100.0, 20), (3.0, 30)):
        xs = [scale * rng.uniform(-2, 2) for _ in range(n)]
        ys = [3.0 * x + scale * rng.gauss(0, 0.3) for x in xs]
        sets.append((xs, ys))
    return sets


def _test_pick_lr(pick_lr):
    function(pick_lr, "pick_lr")
    for xs, ys in _lr_datasets():
        n = len(xs)
        lr = number(run(pick_lr, list(xs), what="pick_lr(xs)"), "pick_lr(xs)")
        if not lr > 0:
            return f"pick_lr(xs) returned {lr}; a learning rate is a positive number"
        curvature = 2 * sum(x * x for x in xs) / n
        best = sum(x * y for x, y in zip(xs, ys)) / sum(x * x for x in xs)
        w = 0.0
        for _ in range(20):
            w -= lr * 2 * sum((w * x - y) * x for x, y in zip(xs, ys)) / n
            if not math.isfinite(w) or abs(w) > 1e6 * abs(best):
                break
        if abs(w - best) <= 1e-3 * abs(best):
            continue
        size = max(abs(x) for x in xs)
        where = f"for {n} points with x up to about {size:.3g}, lr = {lr:.4g}"
        if lr * curvature >= 2:
            return (f"{where} is too large for this data: the steps bounce back and forth, "
                    "or grow, and never settle")
        how = ("each step overshoots the best w, and the bounces die out slowly"
               if lr * curvature > 1 else "the steps are too short for this data: each step "
               "covers only part of the way")
        return (f"{where} leaves w at {w:.4f} after 20 steps, still away from the best w = "
                f"{best:.4f}; {how}")
    return None


pick_lr = Exercise(
    title="A learning rate that fits the data",
    answer_name="pick_lr",
    test=_test_pick_lr,
    nudge_text=("bigger x make a steeper, narrower loss, which needs smaller steps: the "
                "learning rate must follow the curvature of L(w), computed from the data."),
    hint_text=("L(w) is a parabola in w with curvature c = 2 · mean(x²). Section 4 showed "
               "what happens for η·c below 1, at 1, between 1 and 2, and at 2 or more: choose "
               "lr from c accordingly."),
    solution_code='''
        def pick_lr(xs):
            curvature = 2 * sum(x * x for x in xs) / len(xs)
            return 1 / curvature
    ''',
    mistakes=[Mistake('''
        def pick_lr(xs):
            return 0.1   # one size for every data set
    ''', says='each step covers only part of the way'), Mistake('''
        def pick_lr(xs):
            return 1 / (sum(x * x for x in xs) / len(xs))   # forgets the 2: exactly at the limit
    ''', says='the steps bounce back and forth'), Mistake('''
        def pick_lr(xs):
            return 1 / (2 * sum(x * x for x in xs))   # forgets to divide by n: too small
    ''', says='still away from the best w')],
)


# ---- the NumPy primer: axis=, @, None and broadcasting ----------------------------------------
_MATRICES = [[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]],
             [[0.5, -1.0], [2.0, 3.5], [-4.0, 0.0], [1.5, 2.5]],
             [[2.0, -3.0, 0.25, 7.0, 1.0]]]


def _test_column_means(column_means):
    function(column_means, "column_means")
    for rows in _MATRICES:
        M = np.array(rows)
        what = f"column_means(M) for M of shape {M.shape}"
        got = array(run(column_means, M.copy(), what=what), what)
        want = M.mean(axis=0)
        if got.shape != want.shape:
            if got.shape == (M.shape[0],) and M.shape[0] != M.shape[1]:
                return (f"{what} has shape {got.shape}: one number per row; it should hold "
                        f"one number per column, shape {want.shape}")
            if got.ndim == 0:
                return (f"{what} is a single number ({got.item():.4g}), the mean of all the "
                        f"entries; it should hold one mean per column, shape {want.shape}")
            return f"{what} has shape {got.shape}; it should have shape {want.shape}"
        if allclose(got, want):
            continue
        if allclose(got, M.sum(axis=0)):
            return (f"{what} gives {describe(got)}, the sums of the columns; each should be "
                    "divided by the number of rows")
        return f"{what} gives {describe(got)}, but the column means are {describe(want)}"
    return None


column_means = Exercise(
    title="Column means with axis=",
    answer_name="column_means",
    test=_test_column_means,
    nudge_text=("a column runs down the rows: averaging each column collapses the axis "
                "that counts the rows."),
    hint_text=("M.mean() averages everything; M.mean(axis=...) averages along one axis only. "
               "Which axis numbers the rows of a 2-D array: the first or the second?"),
    solution_code='''
        def column_means(M):
            return M.mean(axis=0)
    ''',
    mistakes=[Mistake('''
        def column_means(M):
            return M.mean(axis=1)   # the mean of each row
    ''', says="one number per row"), Mistake('''
        def column_means(M):
            return M.mean()   # the mean of everything
    ''', says="a single number"), Mistake('''
        def column_means(M):
            return M.sum(axis=0)   # not divided
    ''', says="the sums of the columns")],
)


def _line_data():
    rng = np.random.default_rng(5)
    return [(rng.uniform(-2, 3, n), rng.normal(0, 1, n), n) for n in (4, 7)]


def _test_predict_all(predict_all):
    function(predict_all, "predict_all")
    for x, _, n in _line_data():
        A = np.stack([x, np.ones(n)], axis=1)
        for w, b in ((2.0, -1.0), (-0.5, 3.0)):
            p = np.array([w, b])
            what = f"predict_all(A, p) for A of shape {A.shape} and p = [{w}, {b}]"
            got = array(run(predict_all, A.copy(), p.copy(), what=what), what)
            want = A @ p
            if got.shape == A.shape and allclose(got, A * p):
                return (f"{what} has shape {got.shape}: each entry of a row multiplied by "
                        f"its entry of p, but not added up; it should hold one prediction "
                        f"per row, shape {want.shape}")
            if got.shape != want.shape:
                return f"{what} has shape {got.shape}; it should hold one prediction per row, shape {want.shape}"
            if allclose(got, b * x + w):
                return (f"{what} gives predictions that use w as the intercept and b as "
                        "the slope: row i is (x_i, 1), so p's first number multiplies x_i")
            if not allclose(got, want):
                return f"{what} gives {describe(got)}, but w * x_i + b for each row is {describe(want)}"
    return None


predict_all = Exercise(
    title="All the predictions with @",
    answer_name="predict_all",
    test=_test_predict_all,
    nudge_text=("each row of A is (x_i, 1); the line's prediction for that row is the row's "
                "dot product with p = (w, b)."),
    hint_text=("one operator computes the dot product of every row of a 2-D array with a "
               "1-D array at once (not *, which multiplies entry by entry)."),
    solution_code='''
        def predict_all(A, p):
            return A @ p
    ''',
    mistakes=[Mistake('''
        def predict_all(A, p):
            return A * p   # entry by entry, not summed
    ''', says="not added up"), Mistake('''
        def predict_all(A, p):
            w, b = p
            return b * A[:, 0] + w   # the two parameters swapped
    ''', says="w as the intercept")],
)


def _test_line_losses(line_losses):
    function(line_losses, "line_losses")
    for x, y, n in _line_data():
        for ws, bs in (([2.0, -1.0, 0.5], [0.0, 1.0, -2.0]), ([1.5, 0.0], [0.5, 0.5])):
            ws, bs = np.array(ws), np.array(bs)
            what = f"line_losses(ws, bs, x, y) for {len(ws)} lines and {n} points"
            try:
                out = run(line_losses, ws.copy(), bs.copy(), x.copy(), y.copy(), what=what)
            except LearnerFailed as e:
                if isinstance(e.error, ValueError) and "broadcast" in str(e.error):
                    return (f"{what} failed: NumPy could not broadcast arrays of shapes "
                            f"({len(ws)},) and ({n},) together. Which axis should count the "
                            "lines, and which the points?")
                raise
            got = array(out, what)
            want = np.mean((ws[:, None] * x + bs[:, None] - y) ** 2, axis=1)
            if got.shape == (len(ws), n):
                return (f"{what} has shape {got.shape}: the squared error of every line at "
                        f"every point, not yet averaged over the points")
            if got.ndim == 0:
                return (f"{what} is a single number; it should hold one loss per line, "
                        f"shape {want.shape}")
            if got.shape != want.shape:
                return f"{what} has shape {got.shape}; it should hold one loss per line, shape {want.shape}"
            if allclose(got, np.sum((ws[:, None] * x + bs[:, None] - y) ** 2, axis=1)):
                return f"{what} gives the sum of the squared errors of each line, not their mean"
            if not allclose(got, want):
                return (f"{what} gives {describe(got)}, but the mean squared errors of the "
                        f"lines are {describe(want)}")
    return None


line_losses = Exercise(
    title="The loss of many lines at once",
    answer_name="line_losses",
    test=_test_line_losses,
    nudge_text=("build a table with one row per line and one column per point, then average "
                "each row."),
    hint_text=("ws[:, None] has shape (k, 1): times x (shape (n,)) it broadcasts to a (k, n) "
               "table, one row per line. Do the same for bs, subtract y, square, and take "
               "the mean along the axis that counts the points."),
    solution_code='''
        import numpy as np

        def line_losses(ws, bs, x, y):
            errors = ws[:, None] * x + bs[:, None] - y
            return np.mean(errors ** 2, axis=1)
    ''',
    mistakes=[Mistake('''
        import numpy as np
        def line_losses(ws, bs, x, y):
            return np.mean((ws * x + bs - y) ** 2, axis=-1)   # no None: shapes (k,) and (n,)
    ''', says="could not broadcast"), Mistake('''
        def line_losses(ws, bs, x, y):
            return (ws[:, None] * x + bs[:, None] - y) ** 2   # not averaged
    ''', says="not yet averaged"), Mistake('''
        import numpy as np
        def line_losses(ws, bs, x, y):
            return np.mean((ws[:, None] * x + bs[:, None] - y) ** 2)   # everything averaged
    ''', says="a single number"), Mistake('''
        import numpy as np
        def line_losses(ws, bs, x, y):
            return np.sum((ws[:, None] * x + bs[:, None] - y) ** 2, axis=1)
    ''', says="sum of the squared errors")],
)
