"""Notebook 09 (optimizers): a momentum step, Adam's update, tuning for Rosenbrock, RMSprop's warm-up."""
from __future__ import annotations

import math

from grad import optim
from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, close, describe, function, items, number,
                            run, to_float)


# ---- 1. one step of SGD with momentum ----------------------------------------------------------
# gradients fed at each of 6 steps, for 3 parameters (changing sign, as across a valley)
_GRADS = [[0.5, -1.0, 2.0], [0.4, 1.2, 1.5], [0.6, -0.8, 0.0], [0.3, 0.9, -1.0],
          [0.5, -1.1, 0.5], [0.2, 0.7, 1.0]]
_START = [1.0, -2.0, 0.5]


def _test_momentum_step(momentum_step):
    function(momentum_step, "momentum_step")
    for lr, mu in [(0.1, 0.9), (0.05, 0.5), (0.2, 0.0)]:
        params = [Value(d) for d in _START]
        mine = list(params)                  # read the results from our own list
        velocity = [0.0 for _ in params]
        ref = [Value(d) for d in _START]
        opt = optim.SGD(ref, lr=lr, momentum=mu)
        for step, grads in enumerate(_GRADS, start=1):
            before = [to_float(p.data) for p in mine]
            for p, r, g in zip(mine, ref, grads):
                p.grad = r.grad = g
            run(momentum_step, params, velocity, lr, mu, changes=(0, 1),
                what=f"momentum_step(params, velocity, {lr}, {mu})")
            opt.step()
            for i, (p, r, b, g) in enumerate(zip(mine, ref, before, grads)):
                now = to_float(p.data)
                if now is None:
                    return f"parameter {i} holds {describe(p.data)} after the step, not a number"
                if close(now, r.data):
                    continue
                where = f"with lr={lr}, momentum={mu}, at step {step}, parameter {i}"
                if now == b and g != 0:
                    return (f"{where} did not move (still {b}); change every parameter's .data "
                            "in place")
                if g != 0 and close(now, b + (r.data - b) * -1):
                    return (f"{where} moved uphill ({b:.4f} -> {now:.4f}, it should reach "
                            f"{r.data:.4f}): the velocity follows the gradient, and the parameter "
                            "moves against the velocity")
                if step > 1 and mu > 0 and close(now, b - lr * g):
                    return (f"{where} moved as plain SGD would (to {now:.4f} instead of "
                            f"{r.data:.4f}): the velocity must be remembered between calls; store "
                            "the new velocity back into the list")
                if step == 1 and close(now, b - g):
                    return f"{where} moved by the whole gradient; multiply the step by lr = {lr}"
                return (f"{where} is {now:.6f} but should be {r.data:.6f} (the velocity decays "
                        "by momentum and gains the gradient; the parameter moves against it, "
                        "scaled by lr)")
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
    mistakes=['''
        def momentum_step(params, velocity, lr, momentum):
            for i, p in enumerate(params):
                v = momentum * velocity[i] + p.grad   # computed, but never stored
                p.data -= lr * v
    ''', '''
        def momentum_step(params, velocity, lr, momentum):
            for i, p in enumerate(params):
                velocity[i] = momentum * velocity[i] + lr * p.grad
                p.data += velocity[i]                 # uphill
    ''', '''
        def momentum_step(params, velocity, lr, momentum):
            for i, p in enumerate(params):
                velocity[i] = p.grad                  # forgets the old velocity
                p.data -= lr * velocity[i]
    '''],
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


def _test_adam_update(adam_update):
    settings = [dict(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8),
                dict(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-6),
                dict(lr=0.2, beta1=0.5, beta2=0.9, eps=1e-8)]
    for kw in settings:
        p, m, v = -1.0, 0.0, 0.0
        param = Value(-1.0)
        opt = optim.Adam([param], lr=kw["lr"], betas=(kw["beta1"], kw["beta2"]), eps=kw["eps"])
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
            param.grad = g
            opt.step()
            where = f"with {kw}, at step t = {t} (p = {p:.4f}, g = {g:.4f})"
            if not (close(out[1], want[1]) and close(out[2], want[2])):
                b1, b2 = kw["beta1"], kw["beta2"]
                if t > 1 and (close(out[1], want[1] / (1 - b1 ** t))
                              or close(out[2], want[2] / (1 - b2 ** t))):
                    return (f"{where} you returned a bias-corrected average (m_hat or v_hat) as the new m or v; return "
                            "the raw running averages m and v (correct only a copy for the step)")
                return (f"{where} the new (m, v) should be ({want[1]:.6f}, {want[2]:.6f}), you "
                        f"returned ({out[1]:.6f}, {out[2]:.6f}): m and v are running averages "
                        "of g and of g², kept with the weights beta1 and beta2")
            if not close(out[0], want[0]):
                m_new, v_new = want[1], want[2]
                plain = p - kw["lr"] * m_new / (math.sqrt(v_new) + kw["eps"])
                if close(out[0], plain):
                    return (f"{where} the new p is {out[0]:.6f} but should be {want[0]:.6f}: that is "
                            "the step without bias correction; divide m by 1 - beta1**t and v by "
                            "1 - beta2**t before using them")
                if t > 1:
                    m_hat1 = m_new / (1 - kw["beta1"] ** (t - 1))
                    v_hat1 = v_new / (1 - kw["beta2"] ** (t - 1))
                    if close(out[0], p - kw["lr"] * m_hat1 / (math.sqrt(v_hat1) + kw["eps"])):
                        return (f"{where} your correction uses beta**(t - 1); at step t it is "
                                "1 - beta**t (t = 1 on the first step)")
                return f"{where} the new p is {out[0]:.6f} but should be {want[0]:.6f}"
            if not close(out[0], param.data):
                return f"{where} your p ({out[0]:.6f}) differs from grad.optim.Adam's ({param.data:.6f})"
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
    mistakes=['''
        import math

        def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            p = p - lr * m / (math.sqrt(v) + eps)        # no bias correction
            return p, m, v
    ''', '''
        import math

        def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** (t - 1))          # corrects with the previous t
            v_hat = v / (1 - beta2 ** (t - 1))
            p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
            return p, m, v
    ''', '''
        import math

        def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m = m / (1 - beta1 ** t)                    # stores the corrected averages
            v = v / (1 - beta2 ** t)
            p = p - lr * m / (math.sqrt(v) + eps)
            return p, m, v
    ''', '''
        def adam_update(p, g, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            p = p - lr * m_hat / (v_hat + eps)          # forgets the square root
            return p, m, v
    '''],
)


# ---- 3. reach the Rosenbrock minimum in 300 steps --------------------------------------------
ROSENBROCK_START = (-1.2, 1.0)
ROSENBROCK_STEPS = 300
ROSENBROCK_TOLERANCE = 0.01


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


def _test_make_optimizer(make_optimizer):
    function(make_optimizer, "make_optimizer")
    x, y = Value(ROSENBROCK_START[0]), Value(ROSENBROCK_START[1])
    opt = run(make_optimizer, [x, y], what="make_optimizer([x, y])")
    if not isinstance(opt, optim.Optimizer):
        return (f"make_optimizer returned {describe(opt)}, not an optimizer from grad.optim "
                "(for example optim.Adam(params, lr=...))")
    held = [p for group in opt.param_groups for p in group["params"]]
    if len(held) != 2 or not (any(p is x for p in held) and any(p is y for p in held)):
        return "the optimizer must hold exactly the two parameters it was given: pass `params` to it"
    for step in range(1, ROSENBROCK_STEPS + 1):
        try:
            loss = _rosenbrock(x, y)
            run(opt.zero_grad, what="opt.zero_grad()", changes=True)
            loss.backward()
            run(opt.step, what="opt.step()", changes=True)
        except OverflowError:
            return f"the run blew up at step {step} (the numbers overflowed): lower the learning rate"
        except LearnerFailed as e:
            if not isinstance(e.error, OverflowError):
                raise
            return f"the run blew up at step {step} (the numbers overflowed): lower the learning rate"
        xd, yd = to_float(x.data), to_float(y.data)
        if xd is None or yd is None:
            return f"after step {step} the parameters hold {describe(x.data)} and {describe(y.data)}"
        if not (math.isfinite(xd) and math.isfinite(yd)) or max(abs(xd), abs(yd)) > 1e6:
            return f"the run blew up at step {step}: lower the learning rate"
    gap = math.hypot(x.data - 1, y.data - 1)
    if gap > ROSENBROCK_TOLERANCE:
        return (f"after {ROSENBROCK_STEPS} steps your {type(opt).__name__} is at ({x.data:.4f}, "
                f"{y.data:.4f}), {gap:.3f} away from (1, 1) (loss {_rosenbrock(x.data, y.data):.2e}); "
                f"it must get within {ROSENBROCK_TOLERANCE}")
    return None


make_optimizer = Exercise(
    title="Reach the Rosenbrock minimum",
    answer_name="make_optimizer",
    test=_test_make_optimizer,
    nudge_text=("the learning rate alone leaves almost no room here; the other settings of an "
                "optimizer change how it follows a long, bending valley."),
    hint_text=("tuning the learning rate alone works only on a knife's edge. Give SGD more momentum "
               "(0.95) at about the largest learning rate that stays stable, or give Adam a smaller "
               "beta2 (0.9) so that its step sizes follow the bending valley. Set the widget to 300 "
               "steps and experiment."),
    solution_code='''
        from grad import optim

        def make_optimizer(params):
            return optim.Adam(params, lr=0.05, betas=(0.9, 0.9))
            # also works: optim.SGD(params, lr=0.002, momentum=0.95)
    ''',
    mistakes=['''
        from grad import optim

        def make_optimizer(params):
            return optim.Adam(params)                    # the default lr, 0.001: far too slow
    ''', '''
        from grad import optim

        def make_optimizer(params):
            return optim.SGD(params, lr=0.01)            # blows up on the steep walls
    ''', '''
        from grad import optim

        def make_optimizer(params):
            return optim.Adam(params, lr=0.1)            # section 10's setting: not there yet
    ''', '''
        from grad import optim

        def make_optimizer(params):
            return optim.SGD(params, lr=0.001, momentum=0.9)   # section 10's setting: not there yet
    '''],
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


def _test_rmsprop_step_size(rmsprop_step_size):
    function(rmsprop_step_size, "rmsprop_step_size")
    for lr, alpha in [(0.01, 0.99), (0.1, 0.9), (0.003, 0.5)]:
        for g in (3.0, -0.2):
            measured = _rmsprop_steps(lr, alpha, g, 40)
            for t in (1, 2, 3, 10, 40):
                what = f"rmsprop_step_size({t}, {lr}, {alpha})"
                got = number(run(rmsprop_step_size, t, lr, alpha, what=what), what)
                want = measured[t - 1]
                if close(got, want):
                    continue
                if close(got, lr):
                    return (f"at t = {t} with lr = {lr}, alpha = {alpha} RMSprop moves {want:.6f}, not lr: "
                            "v starts at 0, so early on sqrt(v) is smaller than |g|")
                if close(got, lr / (1 - alpha ** t)):
                    return (f"at t = {t} with lr = {lr}, alpha = {alpha} the step is {want:.6f}; you "
                            "returned lr / (1 - alpha**t): RMSprop divides by the square root of v")
                return (f"rmsprop_step_size({t}, {lr}, {alpha}) returned {got:.6f}, but RMSprop moves "
                        f"{want:.6f} at that step (with any constant gradient)")
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
    mistakes=['''
        def rmsprop_step_size(t, lr, alpha):
            return lr                                    # ignores the warm-up
    ''', '''
        def rmsprop_step_size(t, lr, alpha):
            return lr / (1 - alpha ** t)                 # forgets the square root
    ''', '''
        import math

        def rmsprop_step_size(t, lr, alpha):
            return lr / math.sqrt(1 - alpha)             # only right at t = 1
    '''],
)
