"""Notebook 10: an L2 penalty on weights only, weight decay, dropout, Xavier's scale, choosing alpha.

References are computed independently with plain floats and `math`; answers built from
Values are run forward and backward on fresh `grad.Value`s, so a penalty that gives the
right number but no gradient (or the wrong one) is caught.
"""
from __future__ import annotations

import math
import random
from typing import Optional

from grad.engine import Value
from grad.exercises import (Exercise, Mistake, attr, close, describe, fresh, function, is_number,
                            is_value, items, number, run, shown, to_float)

_is_number = is_number


# ---- 1. the L2 penalty on the weights only -------------------------------------------------
_SHAPES = ((2, [3, 1], 0), (3, [4, 2, 1], 1), (1, [2, 2], 2))


def _model(nin: int, nouts: list, seed: int):
    """A small MLP with known, nonzero biases (so that counting them shows)."""
    from grad.nn import MLP
    state = random.getstate()
    random.seed(seed)
    try:
        model = MLP(nin, nouts)
    finally:
        random.setstate(state)
    for k, layer in enumerate(model.layers):
        for j, neuron in enumerate(layer.neurons):
            neuron.b.data = 0.5 - 0.25 * j + 0.1 * k
    return model


def _test_l2_weights(l2_weights) -> Optional[str]:
    function(l2_weights, "l2_weights")
    for nin, nouts, seed in _SHAPES:
        model = _model(nin, nouts, seed)
        weights = [w for layer in model.layers for n in layer.neurons for w in n.w]
        biases = [n.b for layer in model.layers for n in layer.neurons]
        ws = [w.data for w in weights]
        want = sum(w * w for w in ws)
        everything = want + sum(b.data ** 2 for b in biases)
        out = run(l2_weights, model, what=f"l2_weights(MLP({nin}, {nouts}))")
        where = f"for MLP({nin}, {nouts})"
        if _is_number(out):
            return (f"l2_weights returned the plain number {shown(out)}; it must return a Value "
                    "built from the weights, or backward() cannot reach them")
        if not is_value(out):
            return f"l2_weights returned {describe(out)}, not a Value"
        number(attr(out, "data", "l2_weights(model)"), "l2_weights(model).data")
        if close(out.data, everything) and not close(out.data, want):
            return (f"{where} you return {out.data:.4g}, which includes the biases; "
                    f"penalize only the neurons' weights n.w: {want:.4g}")
        if close(out.data, sum(abs(w) for w in ws)) and not close(out.data, want):
            return (f"{where} you return {out.data:.4g}, the sum of absolute values (that is L1); "
                    f"L2 squares each weight: {want:.4g}")
        if close(out.data, sum(ws)) and not close(out.data, want):
            return f"{where} you return {out.data:.4g}, the plain sum of the weights: square each one first"
        if close(out.data, want / 2):
            return (f"{where} you return {out.data:.4g}, half the sum of the squared weights; "
                    f"the penalty here is the sum itself, {want:.4g}")
        if close(out.data, sum(b.data ** 2 for b in biases)):
            return (f"{where} you return {out.data:.4g}, the sum of the squared biases; "
                    f"penalize the weights n.w instead: {want:.4g}")
        per_layer = [sum(w.data ** 2 for n in layer.neurons for w in n.w) for layer in model.layers]
        if len(per_layer) > 1 and any(close(out.data, part) for part in per_layer):
            return (f"{where} you return {out.data:.4g}, the squared weights of only one of its "
                    f"{len(per_layer)} layers; add up every layer's: {want:.4g}")
        if close(out.data, want / len(ws)) and not close(out.data, want):
            return (f"{where} you return {out.data:.4g}, the mean of the squares; the penalty is "
                    f"their sum, {want:.4g}")
        if not close(out.data, want):
            return f"{where} the sum of the squared weights is {want:.4g}, but yours is {out.data:.4g}"
        run(attr(out, "backward", "the penalty"), what="backward() on your penalty", changes=True)
        for w, w0 in zip(weights, ws):
            if close(w.grad, w0) and w0 != 0:
                return (f"after backward(), a weight {w0:.4g} has grad {w0:.4g}, half of "
                        f"d(w**2)/dw = 2w = {2 * w0:.4g}: one factor of your square is a plain "
                        "number (.data), so the gradient flows through the other one only")
            if not close(w.grad, 2 * w0):
                return (f"after backward(), a weight {w0:.4g} has grad {describe(w.grad)}, but "
                        "d(w**2)/dw = "
                        f"2w = {2 * w0:.4g}: build the penalty from Value operations on the weights")
        if any(to_float(b.grad) != 0 for b in biases):
            return "after backward(), the biases have a gradient: leave them out of the penalty"
    return None


l2_weights = Exercise(
    title="The L2 penalty, weights only",
    answer_name="l2_weights",
    test=_test_l2_weights,
    nudge_text="reach every weight of every neuron of every layer, and add up their squares "
               "as Values, so that backward() can find them; the biases stay out.",
    hint_text="three nested loops reach every weight (layers, then neurons, then each neuron's "
              "w); add up each weight times itself with Value operations (not .data), "
              "starting from 0 (the first Value added makes the total a Value), and leave "
              "neuron.b out.",
    solution_code='''
        def l2_weights(model):
            total = 0.0                     # becomes a Value with the first weight added
            for layer in model.layers:
                for neuron in layer.neurons:
                    for w in neuron.w:
                        total = total + w * w
            return total
    ''',
    mistakes=[Mistake("from grad.nn import l2_penalty\ndef l2_weights(model):\n    "
                      "return l2_penalty(model.parameters())", says="includes the biases")] + [
        Mistake(f"def l2_weights(model):\n    ws = [w for layer in model.layers for n in "
                f"layer.neurons for w in n.w]\n    {body}", says=says)
        for body, says in [
            ("return sum(w.relu() + (-w).relu() for w in ws)", "that is L1"),
            ("return sum(ws)", "the plain sum of the weights"),
            ("return sum(w.data ** 2 for w in ws)", "the plain number"),
            ("return sum(w * w for w in ws) / len(ws)", "the mean of the squares"),
            ("return 0.5 * sum(w * w for w in ws)", "half the sum"),
            ("return sum(w * w.data for w in ws)", "one factor of your square is a plain number"),
            ("from grad import Value\n    return Value(sum(w.data ** 2 for w in ws))",
             "build the penalty from Value operations"),
            ("return [w * w for w in ws]", "not a Value"),
            ("return sum(w * w for w in ws) ** 0.5", "the sum of the squared weights is"),
        ]] + [
        Mistake("def l2_weights(model):\n    return sum(n.b * n.b for layer in model.layers "
                "for n in layer.neurons)", says="the sum of the squared biases"),
        Mistake("def l2_weights(model):\n    return sum(w * w for n in model.layers[0].neurons "
                "for w in n.w)", says="only one of its"),
        Mistake("def l2_weights(model):\n    return sum(w * w for n in model.layers[-1].neurons "
                "for w in n.w)", says="only one of its"),
    ],
)


# ---- 2. one step of weight decay -----------------------------------------------------------
# No w of 0, 1 or 2, and no alpha of 0 or 0.5: there w, w**2 and 2 * w (or alpha and 2 * alpha)
# coincide, and the typical mistakes below could not be told apart.
_DECAY_CASES = ((1.5, 0.0, 0.1, 0.3), (2.5, 0.3, 0.05, 0.01), (-1.5, -0.2, 0.1, 0.1),
                (0.4, 1.0, 0.01, 0.2), (3.0, -0.5, 0.2, 0.25))

# Each typical mistake as a formula, and what to tell the learner whose answer follows it
# in every case (a cause is named only when exactly one of them fits).
_DECAY_MISTAKES = {
    "dropped the 2": (lambda w, g, lr, a: w - lr * (g + a * w),
                      "the gradient of alpha * w**2 has a factor 2 that your step lacks: "
                      "you dropped the 2"),
    "penalty itself": (lambda w, g, lr, a: w - lr * (g + a * w * w),
                       "your step adds the penalty alpha * w**2 itself to g; what joins g is "
                       "the penalty's derivative with respect to w"),
    "no w": (lambda w, g, lr, a: w - lr * (g + 2 * a),
             "the penalty's gradient you add does not change with w; the derivative of "
             "alpha * w**2 depends on w"),
    "no lr on penalty": (lambda w, g, lr, a: w - lr * g - 2 * a * w,
                         "the penalty's gradient is not multiplied by lr: the whole gradient, "
                         "g plus the penalty's part, is scaled by the learning rate"),
    "uphill": (lambda w, g, lr, a: w + lr * (g + 2 * a * w),
               "a sign is off: your step goes up the gradient instead of against it"),
    "away from zero": (lambda w, g, lr, a: w - lr * (g - 2 * a * w),
                       "a sign is off: your penalty pushes the weight away from zero instead "
                       "of towards it"),
    "g flipped": (lambda w, g, lr, a: w - lr * (-g + 2 * a * w),
                  "a sign is off: the data gradient g is subtracted from the penalty's instead "
                  "of added to it"),
    "no penalty": (lambda w, g, lr, a: w - lr * g,
                   "the penalty is missing: your step follows the data gradient g alone"),
    "the change": (lambda w, g, lr, a: -lr * (g + 2 * a * w),
                   "you returned the change of the weight; return the new weight"),
    "the step": (lambda w, g, lr, a: lr * (g + 2 * a * w),
                 "you returned the change of the weight; return the new weight"),
    "no lr": (lambda w, g, lr, a: w - (g + 2 * a * w),
              "the step is not multiplied by the learning rate lr"),
}


def _test_decay_step(decay_step) -> Optional[str]:
    function(decay_step, "decay_step")
    got = []
    for w, g, lr, alpha in _DECAY_CASES:
        what = f"decay_step({w}, {g}, {lr}, {alpha})"
        got.append(number(run(decay_step, w, g, lr, alpha, what=what), what))
    for (w, g, lr, alpha), mine in zip(_DECAY_CASES, got):
        want = w - lr * (g + 2 * alpha * w)
        if close(mine, want):
            continue
        fits = [message for formula, message in _DECAY_MISTAKES.values()
                if all(close(x, formula(*case)) for x, case in zip(got, _DECAY_CASES))]
        example = f"decay_step({w}, {g}, {lr}, {alpha}) returned {mine:.6g}, not {want:.6g}"
        return f"{fits[0]} ({example})" if len(fits) == 1 else example
    return None


decay_step = Exercise(
    title="One gradient step with an L2 penalty",
    answer_name="decay_step",
    test=_test_decay_step,
    nudge_text="the penalty is part of the loss, so its gradient joins the data gradient "
               "before the usual gradient-descent step.",
    hint_text="differentiate the penalty alpha · w² with respect to w and add it to the data "
              "gradient g; then take an ordinary gradient-descent step with that total.",
    solution_code='''
        def decay_step(w, g, lr, alpha):
            return w - lr * (g + 2 * alpha * w)   # the same as (1 - 2*lr*alpha) * w - lr * g
    ''',
    mistakes=[Mistake(f"def decay_step(w, g, lr, alpha):\n    return {body}", says=says)
              for body, says in [
                  ("w - lr * (g + alpha * w)", "you dropped the 2"),
                  ("w * (1 - lr * alpha) - lr * g", "you dropped the 2"),
                  ("w - lr * (g + alpha * w ** 2)", "adds the penalty alpha * w**2 itself"),
                  ("w - lr * (g + 2 * alpha)", "does not change with w"),
                  ("w - lr * g - 2 * alpha * w", "not multiplied by lr"),
                  ("w + lr * (g + 2 * alpha * w)", "goes up the gradient"),
                  ("w - lr * (g - 2 * alpha * w)", "pushes the weight away from zero"),
                  ("w - lr * (2 * alpha * w - g)", "the data gradient g is subtracted"),
                  ("w - lr * g", "the penalty is missing"),
                  ("-lr * (g + 2 * alpha * w)", "the change of the weight"),
                  ("lr * (g + 2 * alpha * w)", "the change of the weight"),
                  ("w - (g + 2 * alpha * w)", "not multiplied by the learning rate"),
                  ("w - lr * (g + 2 * alpha * w) ** 2", ""),       # no cause to name
              ]],
)


# ---- 3. dropout with a given mask ----------------------------------------------------------
_DROPOUT_CASES = (([1.0, -2.0, 3.0, 0.5], [1, 0, 1, 1], 0.25),
                  ([0.3, 0.7, -1.1, 2.2, 5.0, -4.0], [0, 1, 0, 1, 1, 0], 0.5),
                  ([2.0, -1.0, 4.0], [True, False, False], 0.8))


def _test_dropout(dropout) -> Optional[str]:
    function(dropout, "dropout")
    for data, mask, p in fresh(_DROPOUT_CASES):
        for training in (True, False):
            xs = [Value(d) for d in data]
            mine = list(xs)
            call = f"dropout(xs, {list(mask)}, {p}, training={training})"
            out = run(dropout, xs, list(mask), p, training, what=call)
            out = list(items(out, call, len(xs),
                             advice=f"return a list of {len(xs)} Values, one per input"))
            if not all(is_value(o) for o in out):
                return "every output should be a Value (x * factor), so gradients can flow back"
            got = [number(attr(o, "data", f"{call}[{i}]"), f"{call}[{i}].data")
                   for i, o in enumerate(out)]
            keep = 1.0 / (1.0 - p)
            if training:
                want = [d * keep if m else 0.0 for d, m in zip(data, mask)]
                where = f"in training with mask {list(mask)} and p = {p}"
                if all(close(g, d if m else 0.0) for g, d, m in zip(got, data, mask)):
                    return (f"{where}, the kept units must be scaled by 1/(1-p) = {keep:.4g}, so "
                            "the expected output stays the same as without dropout")
                if all(close(g, 0.0 if m else d * keep) for g, d, m in zip(got, data, mask)):
                    return f"{where}: mask 1 means keep the unit and 0 means drop it, not the reverse"
                if all(close(g, d * p if m else 0.0) for g, d, m in zip(got, data, mask)):
                    return f"{where}: scale the kept units by 1/(1-p) = {keep:.4g}, not by p"
            else:
                want = list(data)
                where = f"in evaluation (training=False) with p = {p}"
                if all(close(g, d * keep) for g, d in zip(got, data)):
                    return (f"{where}, dropout must do nothing: no scaling (the 1/(1-p) already "
                            "happened during training)")
                if all(close(g, d * keep if m else 0.0) for g, d, m in zip(got, data, mask)):
                    return f"{where}, dropout must be off: return the inputs unchanged, no mask"
            for g, w in zip(got, want):
                if not _is_number(g) or not close(g, w, abs_=1e-12):
                    return f"{where}, inputs {data} should give {[round(v, 4) for v in want]}, got {got}"
            def backward(out=out):
                total = out[0]
                for o in out[1:]:
                    total = total + o
                total.backward()
            run(backward, what="backward() through your outputs", changes=True)
            for x, w, d in zip(mine, want, data):
                slope = w / d
                if not close(x.grad, slope, abs_=1e-12):
                    return (f"{where}, the gradient reaching an input is {shown(x.grad)}, but it should "
                            f"be {slope:.4g}: multiply the Value itself (x * factor)")
    return None


dropout = Exercise(
    title="Dropout with a given mask",
    answer_name="dropout",
    test=_test_dropout,
    nudge_text="dropout behaves differently in training and in evaluation; in training, the "
               "kept units are scaled so that the expected output stays the same.",
    hint_text="in training, keep x where the mask is 1 and multiply it by 1/(1-p); where the mask "
              "is 0, multiply by 0. In evaluation (training=False) return the inputs unchanged.",
    solution_code='''
        def dropout(xs, mask, p, training=True):
            if not training:
                return list(xs)
            scale = 1.0 / (1.0 - p)
            return [x * (scale if keep else 0.0) for x, keep in zip(xs, mask)]
    ''',
    mistakes=[Mistake(f"def dropout(xs, mask, p, training=True):\n{body}", says=says)
              for body, says in [
                  ("    if not training:\n        return list(xs)\n"
                   "    return [x * (1.0 if keep else 0.0) for x, keep in zip(xs, mask)]",
                   "must be scaled by 1/(1-p)"),
                  ("    if not training:\n        return list(xs)\n"
                   "    return [x * (p if keep else 0.0) for x, keep in zip(xs, mask)]",
                   "not by p"),
                  ("    scale = 1.0 / (1.0 - p)\n    if not training:\n"
                   "        return [x * scale for x in xs]\n"
                   "    return [x * (scale if keep else 0.0) for x, keep in zip(xs, mask)]",
                   "no scaling"),
                  ("    if not training:\n        return list(xs)\n    scale = 1.0 / (1.0 - p)\n"
                   "    return [x * (0.0 if keep else scale) for x, keep in zip(xs, mask)]",
                   "not the reverse"),
                  ("    scale = 1.0 / (1.0 - p)\n"
                   "    return [x * (scale if keep else 0.0) for x, keep in zip(xs, mask)]",
                   "dropout must be off"),
                  ("    if not training:\n        return list(xs)\n"
                   "    return [x * (1 / (1 - p)) if keep else 0.0 for x, keep in zip(xs, mask)]",
                   "every output should be a Value"),
                  ("    if not training:\n        return list(xs)\n"
                   "    return [x * (1 / (1 - p)) for x, keep in zip(xs, mask) if keep]",
                   "return a list of"),
                  ("    from grad import Value\n    if not training:\n        return list(xs)\n"
                   "    return [Value(x.data * keep / (1 - p)) for x, keep in zip(xs, mask)]",
                   "multiply the Value itself"),
                  ("    if not training:\n        return list(xs)\n"
                   "    return [x * keep * (1 - p) for x, keep in zip(xs, mask)]", ""),
              ]],
)


# ---- 4. Xavier's standard deviation --------------------------------------------------------
_FANS = ((2, 16), (100, 10), (50, 50), (784, 256), (3, 1), (16, 1))


# Each typical mistake as a formula; a cause is named only when the answer follows exactly
# one of them for every pair of fans.
_XAVIER_MISTAKES = {
    "LeCun": (lambda fi, fo: math.sqrt(1.0 / fi),
              "uses only fan_in (that is LeCun's scale); Xavier's counts both fans"),
    "fan_out": (lambda fi, fo: math.sqrt(1.0 / fo),
                "uses only fan_out; Xavier's counts both fans"),
    "He": (lambda fi, fo: math.sqrt(2.0 / fi),
           "is He's scale (for ReLU, fan_in only); Xavier's counts both fans"),
    "variance": (lambda fi, fo: 2.0 / (fi + fo),
                 "is the variance; the standard deviation is its square root"),
    "uniform": (lambda fi, fo: math.sqrt(6.0 / (fi + fo)),
                ("is the bound a of the uniform version (its weights are drawn evenly between -a "
                 "and +a), not the standard deviation")),
    "sum": (lambda fi, fo: math.sqrt(1.0 / (fi + fo)),
            "uses the sum of the fans where Xavier's uses their average"),
}


def _test_xavier_std(xavier_std) -> Optional[str]:
    function(xavier_std, "xavier_std")
    got = []
    for fan_in, fan_out in _FANS:
        call = f"xavier_std({fan_in}, {fan_out})"
        got.append(number(run(xavier_std, fan_in, fan_out, what=call), call))
    for (fan_in, fan_out), mine in zip(_FANS, got):
        want = math.sqrt(2.0 / (fan_in + fan_out))
        if close(mine, want):
            continue
        fits = [message for formula, message in _XAVIER_MISTAKES.values()
                if all(close(x, formula(*fans)) for x, fans in zip(got, _FANS))]
        example = f"xavier_std({fan_in}, {fan_out}) returned {mine:.6g}, not {want:.6g}"
        return f"your answer {fits[0]} ({example})" if len(fits) == 1 else example
    return None


xavier_std = Exercise(
    title="Xavier's standard deviation",
    answer_name="xavier_std",
    test=_test_xavier_std,
    nudge_text="Xavier (Glorot) wants the variance of the signals to stay steady both forwards "
               "and backwards, so both fans count.",
    hint_text="Xavier's variance is 1 over the average of fan_in and fan_out; the function "
              "returns a standard deviation, not a variance.",
    solution_code='''
        import math

        def xavier_std(fan_in, fan_out):
            return math.sqrt(2.0 / (fan_in + fan_out))
    ''',
    mistakes=[Mistake(f"import math\ndef xavier_std(fan_in, fan_out):\n    return {body}", says=says)
              for body, says in [
                  ("math.sqrt(1.0 / fan_in)", "only fan_in"),
                  ("math.sqrt(1.0 / fan_out)", "only fan_out"),
                  ("math.sqrt(2.0 / fan_in)", "He's scale"),
                  ("2.0 / (fan_in + fan_out)", "is the variance"),
                  ("math.sqrt(6.0 / (fan_in + fan_out))", "the bound a of the uniform"),
                  ("math.sqrt(1.0 / (fan_in + fan_out))", "the sum of the fans"),
                  ("math.sqrt(2.0 / (fan_in * fan_out))", ""),     # no cause to name
                  ("2.0 / math.sqrt(fan_in + fan_out)", ""),
              ]],
)


# ---- 5. choosing alpha from a sweep --------------------------------------------------------
_SWEEPS = (
    ([(0.0, 1.0, 0.74), (1e-3, 1.0, 0.75), (3e-3, 0.8, 0.84), (1e-2, 0.8, 0.83), (0.1, 0.5, 0.5)], 3e-3),
    ([(0.01, 0.9, 0.86), (0.0, 1.0, 0.80), (0.03, 0.85, 0.86), (0.001, 0.95, 0.82)], 0.03),
    ([(0.1, 0.55, 0.52), (0.0, 0.97, 0.91), (1e-4, 0.97, 0.90)], 0.0),
    # a tie with the larger alpha first: "the last row that ties" is not "the largest alpha"
    ([(0.03, 0.8, 0.85), (0.0, 1.0, 0.7), (0.003, 0.85, 0.85), (0.3, 0.5, 0.5)], 0.03),
    # the smallest alpha does not fit the training set best: "by training accuracy" is not
    # "the smallest alpha"
    ([(0.0, 0.93, 0.8), (0.001, 0.96, 0.84), (0.01, 0.9, 0.86), (0.1, 0.7, 0.7)], 0.01),
)


def _test_best_alpha(best_alpha) -> Optional[str]:
    function(best_alpha, "best_alpha")
    picked = []                                   # (sweep, right alpha, the row answered)
    for sweep, want in _SWEEPS:
        got = run(best_alpha, [tuple(row) for row in sweep], what="best_alpha(sweep)")
        if isinstance(got, (tuple, list)) and len(got) == 3:
            return f"return only the alpha (a number), not the whole row, {describe(got)}"
        got = number(got, "best_alpha(sweep)", advice="it should be an alpha from the sweep")
        alphas = [a for a, _, _ in sweep]
        if not any(close(got, a, abs_=1e-15) for a in alphas):
            accs = [v for _, tr, te in sweep for v in (tr, te)]
            if any(close(got, v) for v in accs):
                return f"you returned {got}, an accuracy; return the alpha that achieves the best test accuracy"
            if got in range(len(sweep)):
                return f"you returned {got}, which looks like a position in the list; return the alpha itself"
            return f"{got} is not one of the sweep's alphas {alphas}"
        picked.append((sweep, want, next(r for r in sweep if close(r[0], got, abs_=1e-15))))
    wrong = [(sweep, want, row) for sweep, want, row in picked
             if not close(row[0], want, abs_=1e-15)]
    if not wrong:
        return None
    sweep, want, row = wrong[0]
    # name a cause only when every answer follows it
    if all(r[2] == max(te for _, _, te in s) for s, _, r in picked):
        best_test = max(te for _, _, te in sweep)
        return (f"in {sweep}, alphas {[a for a, _, te in sweep if te == best_test]} tie on test "
                f"accuracy; pick the largest (the simplest model), {want}")
    if all(r[1] == max(tr for _, tr, _ in s) for s, _, r in picked):
        return (f"you picked alpha {row[0]} by training accuracy; training accuracy rewards "
                "memorizing. Choose by test accuracy")
    return f"in {sweep} the best test accuracy belongs to alpha {want}, not {row[0]}"


best_alpha = Exercise(
    title="Choose alpha from a sweep",
    answer_name="best_alpha",
    test=_test_best_alpha,
    nudge_text="only the test accuracy tells how well a model generalizes; and among equally "
               "good models, prefer the simplest.",
    hint_text="each row is (alpha, train accuracy, test accuracy). Find the highest test "
              "accuracy; among the rows that reach it, return the largest alpha.",
    solution_code='''
        def best_alpha(sweep):
            best_test = max(test for alpha, train, test in sweep)
            return max(alpha for alpha, train, test in sweep if test == best_test)
    ''',
    mistakes=[Mistake(f"def best_alpha(sweep):\n    return {body}", says=says)
              for body, says in [
                  ("max(sweep, key=lambda row: row[1])[0]", "by training accuracy"),
                  ("max(sweep, key=lambda row: (row[1], row[0]))[0]", "by training accuracy"),
                  ("max(sweep, key=lambda row: row[2])[0]", "tie on test accuracy"),
                  ("max(sweep, key=lambda row: (row[2], -row[0]))[0]", "tie on test accuracy"),
                  ("max(test for alpha, train, test in sweep)", "an accuracy"),
                  ("max(sweep, key=lambda row: row[2])", "not the whole row"),
                  ("max(range(len(sweep)), key=lambda i: (sweep[i][2], sweep[i][0]))",
                   "a position in the list"),
                  ("min(alpha for alpha, train, test in sweep)", "belongs to alpha"),
                  ("max(alpha for alpha, train, test in sweep)", "belongs to alpha"),
              ]],
)
