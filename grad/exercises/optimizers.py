"""Notebook 09 (optimizers): a momentum step, Adam's update, tuning for Rosenbrock, RMSprop's warm-up."""
from __future__ import annotations

import itertools
import math

from grad import optim
from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, Mistake, close, describe, function, items,
                            number, run, to_float, with_cause)


# ---- 1. one step of SGD with momentum ----------------------------------------------------------
# gradients fed at each of 6 steps, for 3 parameters (changing sign, as across a valley)
_GRADS = [[0.5, -1.0, 2.0], [0.4, 1.2, 1.5], [0.6, -0.8, 0.0], [0.3, 0.9, -1.0],
          [0.5, -1.1, 0.5], [0.2, 0.7, 1.0]]
_START = [1.0, -2.0, 0.5]


# The typical slips as update rules (p, v, g, lr, mu) -> (new p, new v), each with what to
# tell the learner whose parameters follow it over a whole run (and no other slip does).
_MOMENTUM_SLIPS = {
    "the old velocity (decayed by momentum) must carry over into every step, or the run is "
    "plain SGD": lambda p, v, g, lr, mu: (p - lr * g, v),
    "the parameter moves uphill: the velocity follows the gradient, and the parameter moves "
    "against the velocity": lambda p, v, g, lr, mu: (p + lr * (mu * v + g), mu * v + g),
    "the step is not scaled by lr": lambda p, v, g, lr, mu: (p - (mu * v + g), mu * v + g),
    "the parameter moves with the old velocity: update the velocity first, then move with the "
    "new one": lambda p, v, g, lr, mu: (p - lr * v, mu * v + g),
    "your velocity is an average, (1 - momentum) times the gradient; this momentum adds the "
    "whole gradient": lambda p, v, g, lr, mu: (p - lr * (mu * v + (1 - mu) * g),
                                               mu * v + (1 - mu) * g),
    "the old velocity is not decayed by momentum":
        lambda p, v, g, lr, mu: (p - lr * (v + g), v + g),
    "that is Nesterov's step (an extra dose of momentum); plain momentum moves by lr times the "
    "velocity": lambda p, v, g, lr, mu: (p - lr * (g + mu * (mu * v + g)), mu * v + g),
}


def _momentum_path(rule, lr: float, mu: float) -> list:
    """The parameters after each step of a run with update `rule`."""
    ps, vs, path = list(_START), [0.0 for _ in _START], []
    for grads in _GRADS:
        for i, g in enumerate(grads):
            ps[i], vs[i] = rule(ps[i], vs[i], g, lr, mu)
        path.append(list(ps))
    return path


def _test_momentum_step(momentum_step):
    function(momentum_step, "momentum_step")
    for lr, mu in [(0.1, 0.9), (0.05, 0.5), (0.2, 0.0)]:
        params = [Value(d) for d in _START]
        mine = list(params)                  # read the results from our own list
        velocity = [0.0 for _ in params]
        ref = [Value(d) for d in _START]
        opt = optim.SGD(ref, lr=lr, momentum=mu)
        path, right, first = [], [], None
        stored = False                       # did any call write into the caller's list?
        for step, grads in enumerate(_GRADS, start=1):
            for p, r, g in zip(mine, ref, grads):
                p.grad = r.grad = g
            run(momentum_step, params, velocity, lr, mu, changes=(0, 1),
                what=f"momentum_step(params, velocity, {lr}, {mu})")
            stored = stored or any(to_float(v) != 0.0 for v in velocity)
            opt.step()
            now = [to_float(p.data) for p in mine]
            for i, (x, p) in enumerate(zip(now, mine)):
                if x is None:
                    return f"parameter {i} holds {describe(p.data)} after the step, not a number"
                if first is None and not close(x, ref[i].data):
                    first = (step, i)
            path.append(now)
            right.append([r.data for r in ref])
        if first is None:
            continue
        step, i = first
        before = _START[i] if step == 1 else path[step - 2][i]
        now, want = path[step - 1][i], right[step - 1][i]
        said = (f"with lr={lr}, momentum={mu}, at step {step}, parameter {i} went from "
                f"{before:.6f} to {now:.6f}, but should reach {want:.6f}")
        if all(x == y for row in path for x, y in zip(row, _START)):
            return f"{said}: no parameter ever moved; change every parameter's .data in place"
        if not stored:
            return (f"{said}: the list `velocity` that the checker passed in still holds only 0.0 "
                    f"after {len(_GRADS)} calls, so each call started again from velocity 0 and "
                    "momentum never built up. If your function writes `velocity = ...` (or keeps "
                    "the new velocities in another variable), it only points its own local name "
                    "at a new list, and the caller's list never changes; store each new velocity "
                    "into an entry of the list you were given")
        return with_cause(said, (message for message, rule in _MOMENTUM_SLIPS.items()
                                 if all(close(x, y) for row, sim in zip(path, _momentum_path(rule, lr, mu))
                                        for x, y in zip(row, sim))))
    return None


momentum_step = Exercise(
    title="One momentum step",
    answer_name="momentum_step",
    test=_test_momentum_step,
    nudge_text=("momentum keeps a running velocity for each parameter that outlives a single "
                "call: where must it be kept, and which update comes first?"),
    hint_text=("two updates per parameter: first its velocity (the old one decayed by momentum, "
               "plus the gradient), stored back into the list so that the next call sees it; "
               "then the parameter moves against that velocity, scaled by lr."),
    solution_code='''
        def momentum_step(params, velocity, lr, momentum):
            for i, p in enumerate(params):
                velocity[i] = momentum * velocity[i] + p.grad
                p.data -= lr * velocity[i]
    ''',
    mistakes=[Mistake("def momentum_step(params, velocity, lr, momentum):\n"
                      "    velocity = [momentum * v + p.grad for v, p in zip(velocity, params)]\n"
                      "    for i, p in enumerate(params):\n        p.data -= lr * velocity[i]",
                      says="caller's list never changes")] + [
              Mistake("def momentum_step(params, velocity, lr, momentum):\n"
                      f"    for i, p in enumerate(params):\n{body}", says=says)
              for body, says in [
                  ("        v = momentum * velocity[i] + p.grad   # never stored\n"
                   "        p.data -= lr * v", "caller's list never changes"),
                  ("        velocity[i] = p.grad\n        p.data -= lr * velocity[i]", "plain SGD"),
                  ("        velocity[i] = momentum * velocity[i] + p.grad\n"
                   "        p.data -= lr * p.grad", "plain SGD"),
                  ("        velocity[i] = momentum * velocity[i] + lr * p.grad\n"
                   "        p.data += velocity[i]", "moves uphill"),
                  ("        velocity[i] = momentum * velocity[i] + p.grad\n"
                   "        p.data -= velocity[i]", "not scaled by lr"),
                  ("        p.data -= lr * velocity[i]\n"
                   "        velocity[i] = momentum * velocity[i] + p.grad", "with the old velocity"),
                  ("        velocity[i] = momentum * velocity[i] + (1 - momentum) * p.grad\n"
                   "        p.data -= lr * velocity[i]", "is an average"),
                  ("        velocity[i] = velocity[i] + p.grad\n        p.data -= lr * velocity[i]",
                   "not decayed by momentum"),
                  ("        velocity[i] = momentum * velocity[i] + p.grad\n"
                   "        p.data -= lr * (p.grad + momentum * velocity[i])", "Nesterov"),
                  ("        p.grad = 0.0", "no parameter ever moved"),
                  ("        velocity[i] = momentum * (velocity[i] + p.grad)\n"
                   "        p.data -= lr * velocity[i]", ""),
              ]],
    adversaries=['''
        class Liar(float):            # a wrong number that says it equals everything
            def __eq__(self, other): return True
            def __ne__(self, other): return False

        def momentum_step(params, velocity, lr, momentum):
            for i, p in enumerate(params):
                velocity[i] = Liar(1.0)
                p.data = Liar(p.data + 100.0)
    '''],
)


# ---- 2. Adam's update for one number ------------------------------------------------------------
def _gradient(p: float) -> float:
    """The slope of (p - 1.5)**2 + 0.1 * p**4: a bowl whose curvature changes."""
    return 2 * (p - 1.5) + 0.4 * p ** 3


def _reference_adam(p, g, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v


def _adam_step(p, m, v, t, lr, beta1, beta2, eps, *, correct=1, inside=False, root=True):
    """The new p from the new m and v, done right or with one of the typical slips:
    correct=0 (no bias correction) or -1 (beta**(t - 1)); eps inside the root; no root."""
    m_hat, v_hat = m, v
    if correct:
        k = t if correct == 1 else t - 1
        m_hat, v_hat = m / (1 - beta1 ** k), v / (1 - beta2 ** k)
    if not root:
        return p - lr * m_hat / (v_hat + eps)
    if inside:
        return p - lr * m_hat / math.sqrt(v_hat + eps)
    return p - lr * m_hat / (math.sqrt(v_hat) + eps)


_M = "m = beta1 * m + (1 - beta1) * g"
_V = "v = beta2 * v + (1 - beta2) * g * g"
_HATS = "    m_hat = m / (1 - beta1 ** t)\n    v_hat = v / (1 - beta2 ** t)\n"

# The last setting has a large eps and small gradients, so that where eps goes shows.
_ADAM_SETTINGS = [dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
                  dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6),
                  dict(lr=0.2, beta1=0.5, beta2=0.9, eps=1e-8),
                  dict(lr=0.02, beta1=0.9, beta2=0.99, eps=0.5)]


def _test_adam_update(adam_update):
    function(adam_update, "adam_update")
    for kw in _ADAM_SETTINGS:
        p, m, v = -1.0, 0.0, 0.0
        for t in range(1, 21):
            g = _gradient(p)
            what = f"adam_update(p, g, m, v, {t}, ...)"
            try:
                out = run(adam_update, p, g, m, v, t, **kw, what=what)
            except LearnerFailed as e:
                if not isinstance(e.error, ZeroDivisionError):
                    raise
                return (f"at t = {t} your update divides by zero: the bias correction divides by "
                        "1 - beta**t (not beta**(t - 1), which is 1 at t = 1)")
            out = items(out, what, 3, "new_p, new_m, new_v")
            out = [number(o, f"{name} from {what}")
                   for o, name in zip(out, ("new_p", "new_m", "new_v"))]
            want = _reference_adam(p, g, m, v, t, **kw)
            where = f"with {kw}, at step t = {t} (p = {p:.4f}, g = {g:.4f})"
            if not (close(out[1], want[1]) and close(out[2], want[2])):
                b1, b2 = kw["beta1"], kw["beta2"]
                if any(all(close(a, b) for a, b in zip(order, want))
                       for order in itertools.permutations(out)):
                    return (f"{where} your three numbers are in another order: return "
                            "(new_p, new_m, new_v)")
                if t == 1 and close(out[1], g) and close(out[2], g * g):
                    return (f"{where} you returned g and g² themselves as m and v (at t = 1 that "
                            "is also what the corrected m_hat and v_hat are); return the raw "
                            "running averages m and v")
                if t > 1 and (close(out[1], want[1] / (1 - b1 ** t))
                              or close(out[2], want[2] / (1 - b2 ** t))):
                    return (f"{where} you returned a bias-corrected average (m_hat or v_hat) as the new m or v; return "
                            "the raw running averages m and v (correct only a copy for the step)")
                return (f"{where} the new (m, v) should be ({want[1]:.6f}, {want[2]:.6f}), you "
                        f"returned ({out[1]:.6f}, {out[2]:.6f}): m and v are running averages "
                        "of g and of g², kept with the weights beta1 and beta2")
            if not close(out[0], want[0]):
                step, right = out[0] - p, want[0] - p
                said = (f"{where} your step moves p by {step:.9g}, but Adam moves it by "
                        f"{right:.9g}")
                lr, b1, b2, eps = kw["lr"], kw["beta1"], kw["beta2"], kw["eps"]
                state = (p, want[1], want[2], t)
                slips = {"that is the step without bias correction; divide m by 1 - beta1**t "
                         "and v by 1 - beta2**t before using them":
                             _adam_step(*state, lr, b1, b2, eps, correct=0),
                         "eps is added inside the square root; Adam adds it to the square root "
                         "of v_hat": _adam_step(*state, lr, b1, b2, eps, inside=True),
                         "your step does not use the eps it was given (eps is large in this "
                         "setting)": _adam_step(*state, lr, b1, b2, 0.0),
                         "the square root of v_hat is missing": _adam_step(*state, lr, b1, b2, eps,
                                                                          root=False),
                         "your step uses lr = 0.001, not the lr it was given":
                             _adam_step(*state, 0.001, b1, b2, eps),
                         "the step goes uphill: the sign is off": p - right}
                if t > 1:
                    slips["your correction uses beta**(t - 1); at step t it is 1 - beta**t "
                          "(t = 1 on the first step)"] = _adam_step(*state, lr, b1, b2, eps,
                                                                    correct=-1)
                return with_cause(said, (message for message, x in slips.items() if close(out[0], x)))
            p, m, v = out
    return None


adam_update = Exercise(
    title="Adam's update for one number",
    answer_name="adam_update",
    test=_test_adam_update,
    nudge_text=("Adam is momentum and RMSprop together, plus a correction for averages that "
                "start at zero; write the steps in the order the notebook gave them."),
    hint_text=("four steps: update the running averages m (of g) and v (of g²); correct copies "
               "of both for their start at zero, dividing by 1 − beta**t; step p by lr times the "
               "corrected m over (the square root of the corrected v, plus eps); return the new "
               "p with the uncorrected m and v."),
    solution_code='''
        import math

        def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
            return p, m, v
    ''',
    mistakes=[Mistake("import math\n"
                      "def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):\n"
                      f"    {m_line}\n    {v_line}\n{body}", says=says)
              for m_line, v_line, body, says in [
                  (_M, _V, "    p = p - lr * m / (math.sqrt(v) + eps)\n    return p, m, v",
                   "without bias correction"),
                  (_M, _V, "    m_hat = m / (1 - beta1 ** (t - 1))\n    v_hat = v / (1 - beta2 ** (t - 1))\n"
                   "    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v", "divides by zero"),
                  (_M, _V, "    m_hat = m / (1 - beta1 ** (t + 1))\n    v_hat = v / (1 - beta2 ** (t + 1))\n"
                   "    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v", ""),
                  (_M, _V, "    m = m / (1 - beta1 ** t)\n    v = v / (1 - beta2 ** t)\n"
                   "    return p - lr * m / (math.sqrt(v) + eps), m, v", "g and g² themselves"),
                  (_M, _V, _HATS + "    return p - lr * m_hat / (v_hat + eps), m, v",
                   "the square root of v_hat is missing"),
                  (_M, _V, _HATS + "    return p - lr * m_hat / math.sqrt(v_hat + eps), m, v",
                   "eps is added inside the square root"),
                  (_M, _V, _HATS + "    return p - lr * m_hat / math.sqrt(v_hat), m, v",
                   "does not use the eps it was given"),
                  (_M, _V, _HATS + "    return p + lr * m_hat / (math.sqrt(v_hat) + eps), m, v",
                   "the sign is off"),
                  (_M, _V, _HATS + "    return p - 0.001 * m_hat / (math.sqrt(v_hat) + eps), m, v",
                   "uses lr = 0.001"),
                  (_M, _V, _HATS + "    return m, v, p - lr * m_hat / (math.sqrt(v_hat) + eps)",
                   "in another order"),
                  (_M, "v = beta2 * v + (1 - beta2) * g", _HATS
                   + "    return p - lr * m_hat / (math.sqrt(abs(v_hat)) + eps), m, v",
                   "running averages of g and of g²"),
                  ("m = beta1 * m + beta1 * g", _V, _HATS
                   + "    return p - lr * m_hat / (math.sqrt(v_hat) + eps), m, v",
                   "running averages of g and of g²"),
                  (_M, _V, _HATS + "    p = p - lr * m_hat / (math.sqrt(v_hat) + eps)\n"
                   "    return p", "not a tuple or a list"),
              ]],
)


# ---- 3. reach the Rosenbrock minimum in 300 steps --------------------------------------------
ROSENBROCK_START = (-1.2, 1.0)
ROSENBROCK_STEPS = 300
ROSENBROCK_TOLERANCE = 0.01


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


NEIGHBOURS = (0.9, 1.1)           # the learning-rate factors that must pass too ("room to spare")


def _scale_lr(opt, factor: float) -> bool:
    """Multiply the optimizer's learning rate(s) by `factor`; False if it has none we can set."""
    if isinstance(opt, optim.Optimizer):
        for group in opt.param_groups:
            group["lr"] = group["lr"] * factor
        return True
    if to_float(getattr(opt, "lr", None)) is None:
        return False
    opt.lr = opt.lr * factor
    return True


def _rosenbrock_run(make_optimizer, factor: float = 1.0):
    """Build the learner's optimizer (its learning rate times `factor`) and run it.

    Returns (what went wrong or None, the optimizer, its distance to (1, 1) at the end)."""
    x, y = Value(ROSENBROCK_START[0]), Value(ROSENBROCK_START[1])
    opt = run(make_optimizer, [x, y], what="make_optimizer([x, y])")
    if isinstance(opt, optim.Optimizer):
        held = [p for group in opt.param_groups for p in group["params"]]
        if len(held) != 2 or not (any(p is x for p in held) and any(p is y for p in held)):
            return ("the optimizer must hold exactly the two parameters it was given: pass "
                    "`params` to it"), opt, None
    elif isinstance(opt, type) or not all(callable(getattr(type(opt), name, None))
                                          for name in ("step", "zero_grad")):
        # the notebook's own classes (MyAdam, ...) have step() and zero_grad() too
        return (f"make_optimizer returned {describe(opt)}, not an optimizer (an object with "
                "step() and zero_grad(), such as optim.Adam(params, lr=...))"), opt, None
    if factor != 1.0 and not _scale_lr(opt, factor):
        return (f"your {type(opt).__name__} has no number `lr` the checker can change to try "
                "the neighbouring learning rates: return an optimizer from grad.optim"), opt, None
    lower = ": lower the learning rate" if factor == 1.0 else ""
    blew_up = "the run blew up at step {} (the numbers overflowed)" + lower
    for step in range(1, ROSENBROCK_STEPS + 1):
        try:
            loss = _rosenbrock(x, y)
            run(opt.zero_grad, what="opt.zero_grad()", changes=True)
            loss.backward()
            run(opt.step, what="opt.step()", changes=True)
        except OverflowError:
            return blew_up.format(step), opt, None
        except LearnerFailed as e:
            if not isinstance(e.error, OverflowError):
                raise
            return blew_up.format(step), opt, None
        xd, yd = to_float(x.data), to_float(y.data)
        if xd is None or yd is None:
            return (f"after step {step} the parameters hold {describe(x.data)} and "
                    f"{describe(y.data)}"), opt, None
        if not (math.isfinite(xd) and math.isfinite(yd)) or max(abs(xd), abs(yd)) > 1e6:
            return f"the run blew up at step {step}{lower}", opt, None
    gap = math.hypot(xd - 1, yd - 1)
    if gap > ROSENBROCK_TOLERANCE:
        return (f"after {ROSENBROCK_STEPS} steps your {type(opt).__name__} is at ({xd:.4f}, "
                f"{yd:.4f}), {_above(gap, ROSENBROCK_TOLERANCE)} away from (1, 1) (loss "
                f"{_rosenbrock(xd, yd):.2e}); it must get within {ROSENBROCK_TOLERANCE}"), opt, gap
    return None, opt, gap


def _test_make_optimizer(make_optimizer):
    function(make_optimizer, "make_optimizer")
    problem, opt, gap = _rosenbrock_run(make_optimizer)
    if problem is not None:
        return problem + (_knife_edge(opt) if gap is not None else "")
    for factor in NEIGHBOURS:
        trouble, _, miss = _rosenbrock_run(make_optimizer, factor)
        if trouble is None:
            continue
        if "no number `lr`" in trouble:
            return trouble
        if miss is not None:
            trouble = f"that run ends {_above(miss, ROSENBROCK_TOLERANCE)} from (1, 1)"
        else:
            trouble = "that run " + trouble.replace("the run ", "", 1)
        return (f"your setting gets within {ROSENBROCK_TOLERANCE} of (1, 1), but not with its "
                f"learning rate times {factor}: {trouble}{_knife_edge(opt)}. That is no room "
                "to spare: find a setting that still gets there with its learning rate 10% "
                "lower and 10% higher")
    return None


def _above(gap: float, tolerance: float) -> str:
    """gap with enough digits that it never reads as within the tolerance it missed."""
    for digits in range(3, 13):
        shown = f"{gap:.{digits}f}"
        if float(shown) > tolerance:
            return shown
    return repr(gap)


def _knife_edge(opt) -> str:
    """A note for plain momentum 0.9 near its best learning rate, where success is chaotic."""
    if type(opt) is not optim.SGD or len(opt.param_groups) != 1:
        return ""
    group = opt.param_groups[0]
    if (group["momentum"] == 0.9 and not group["nesterov"] and not group["weight_decay"]
            and not group["dampening"] and 0.0029 <= group["lr"] <= 0.0036):
        return (" (with momentum 0.9, the learning rates between 0.003 and 0.0035 that get there "
                "are scattered points: a neighbour 0.1% away can miss or blow up)")
    return ""


make_optimizer = Exercise(
    title="Reach the Rosenbrock minimum",
    answer_name="make_optimizer",
    test=_test_make_optimizer,
    nudge_text=("the learning rate alone leaves almost no room here; the other settings of an "
                "optimizer change how it follows a long, bending valley."),
    hint_text=("settings with that much room exist for Adam with a smaller beta2 (about 0.9), so "
               "that its step sizes follow the bending valley, and for RMSprop with momentum "
               "(momentum=0.9, alpha=0.9); search their learning rates in factors of about 1.5. "
               "SGD with momentum 0.94 or 0.95 has some near lr 0.002 to 0.0026, mixed with "
               "ones that miss; momentum 0.9 has none. Set the widget to 300 steps and try "
               "Adam's beta2."),
    solution_code='''
        from grad import optim

        def make_optimizer(params):
            return optim.Adam(params, lr=0.05, betas=(0.9, 0.9))
            # also works: optim.RMSprop(params, lr=0.005, alpha=0.9, momentum=0.9)
    ''',
    mistakes=[Mistake(f"from grad import optim\ndef make_optimizer(params):\n    return {body}",
                      says=says)
              for body, says in [
                  ("optim.Adam(params)", "away from (1, 1)"),             # lr 0.001: far too slow
                  ("optim.SGD(params, lr=0.01)", "blew up"),             # the steep walls
                  ("optim.Adam(params, lr=0.1)", "away from (1, 1)"),    # section 10's setting
                  ("optim.SGD(params, lr=0.001, momentum=0.9)", "away from (1, 1)"),
                  ("optim.SGD(params, lr=10 ** -2.5, momentum=0.9)", "no room to spare"),
                  ("optim.SGD(params, lr=0.002, momentum=0.95)", "no room to spare"),
                  ("optim.Adam", "not an optimizer"),
                  ("optim.Adam([params[0]], lr=0.05, betas=(0.9, 0.9))",
                   "exactly the two parameters"),
                  ("None", "not an optimizer"),
              ]],
    adversaries=['''
        from grad import optim

        class Broken(optim.SGD):              # its step turns the parameters into nan
            def step(self):
                for group in self.param_groups:
                    for p in group["params"]:
                        p.data = float("nan")

        def make_optimizer(params):
            return Broken(params, lr=0.001)
    ''', '''
        from grad import optim

        class Stuck(optim.Adam):              # its step never returns
            def step(self):
                while True:
                    pass

        def make_optimizer(params):
            return Stuck(params, lr=0.05)
    ''', '''
        from grad import optim

        class Quits(optim.Adam):              # its zero_grad stops the program
            def zero_grad(self):
                raise SystemExit

        def make_optimizer(params):
            return Quits(params, lr=0.05)
    ''', '''
        class Liar(float):            # a wrong number that says it equals everything
            def __eq__(self, other): return True
            def __ne__(self, other): return False

        from grad import optim

        class Teleport(optim.SGD):            # puts far-away liars where (1, 1) should be
            def step(self):
                for group in self.param_groups:
                    for p in group["params"]:
                        p.data = Liar(7.0)

        def make_optimizer(params):
            return Teleport(params, lr=0.001)
    '''],
)


# ---- 4. RMSprop's step on a constant gradient -------------------------------------------------
def _rmsprop_steps(lr: float, alpha: float, g: float, steps: int) -> list[float]:
    """The distance grad.optim.RMSprop moves at each step when the gradient is always g."""
    p = Value(0.0)
    opt = optim.RMSprop([p], lr=lr, alpha=alpha, eps=0.0)
    out = []
    for _ in range(steps):
        before = p.data
        p.grad = g
        opt.step()
        out.append(abs(p.data - before))
    return out


# The typical slips as formulas in (t, lr, alpha), with what to tell the learner whose
# answer follows one of them (and no other) everywhere.
_RMSPROP_SLIPS = {
    "your answer is lr at every step: v starts at 0, so early on sqrt(v) is smaller than |g|":
        lambda t, lr, a: lr,
    "your answer divides by 1 - alpha**t itself; the step divides by the square root of v":
        lambda t, lr, a: lr / (1 - a ** t),
    "your answer is right at t = 1 only: v keeps filling up, so the step changes with t":
        lambda t, lr, a: lr / math.sqrt(1 - a),
    "your answer is off by one step: after t steps v has been updated t times":
        lambda t, lr, a: lr / math.sqrt(1 - a ** (t + 1)),
    "your answer multiplies by the square root where the step divides by it":
        lambda t, lr, a: lr * math.sqrt(1 - a ** t),
}
_RMSPROP_CASES = [(t, lr, alpha) for lr, alpha in [(0.01, 0.99), (0.1, 0.9), (0.003, 0.5)]
                  for t in (1, 2, 3, 10, 40)]


def _test_rmsprop_step_size(rmsprop_step_size):
    function(rmsprop_step_size, "rmsprop_step_size")
    got = {}
    for t, lr, alpha in _RMSPROP_CASES:
        what = f"rmsprop_step_size({t}, {lr}, {alpha})"
        got[t, lr, alpha] = number(run(rmsprop_step_size, t, lr, alpha, what=what), what)
    for lr, alpha in [(0.01, 0.99), (0.1, 0.9), (0.003, 0.5)]:
        for g in (3.0, -0.2):
            measured = _rmsprop_steps(lr, alpha, g, 40)
            for t in (1, 2, 3, 10, 40):
                mine, want = got[t, lr, alpha], measured[t - 1]
                if close(mine, want):
                    continue
                said = (f"rmsprop_step_size({t}, {lr}, {alpha}) returned {mine:.9g}, but RMSprop "
                        f"moves {want:.9g} at that step (with any constant gradient)")
                return with_cause(said, (message for message, formula in _RMSPROP_SLIPS.items()
                                         if all(close(x, formula(*case)) for case, x in got.items())))
    return None


rmsprop_step_size = Exercise(
    title="RMSprop's warm-up",
    answer_name="rmsprop_step_size",
    test=_test_rmsprop_step_size,
    nudge_text=("follow v, the running average of g², from its start at 0 over the first few "
                "steps; the step is lr · |g| / √v."),
    hint_text=("after t steps, v = (1 − alpha) · g² · (1 + alpha + … + alpha^(t−1)); that "
               "geometric sum has a closed form, and in lr · |g| / √v the g cancels out."),
    solution_code='''
        import math

        def rmsprop_step_size(t, lr, alpha):
            return lr / math.sqrt(1 - alpha ** t)
    ''',
    mistakes=[Mistake(f"import math\ndef rmsprop_step_size(t, lr, alpha):\n    return {body}",
                      says=says)
              for body, says in [
                  ("lr", "lr at every step"),
                  ("lr / (1 - alpha ** t)", "divides by 1 - alpha**t itself"),
                  ("math.sqrt(lr / (1 - alpha ** t))", ""),
                  ("lr / math.sqrt(1 - alpha)", "right at t = 1 only"),
                  ("lr / math.sqrt(1 - alpha ** (t + 1))", "off by one step"),
                  ("lr * math.sqrt(1 - alpha ** t)", "multiplies by the square root"),
                  ("lr / math.sqrt(1 - alpha ** t) + 1e-8", ""),
                  ("lr / math.sqrt((1 - alpha) * t)", ""),
              ]],
)
