"""Notebook 09 (optimizers): a momentum step, Adam's update, tuning for Rosenbrock, RMSprop's warm-up."""
from __future__ import annotations

import math
import numbers

from grad import optim
from grad.engine import Value
from grad.exercises import Exercise, close


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


# ---- 1. one step of SGD with momentum ----------------------------------------------------------
# gradients fed at each of 6 steps, for 3 parameters (changing sign, as across a valley)
_GRADS = [[0.5, -1.0, 2.0], [0.4, 1.2, 1.5], [0.6, -0.8, 0.0], [0.3, 0.9, -1.0],
          [0.5, -1.1, 0.5], [0.2, 0.7, 1.0]]
_START = [1.0, -2.0, 0.5]


def _test_momentum_step(momentum_step):
    for lr, mu in [(0.1, 0.9), (0.05, 0.5), (0.2, 0.0)]:
        params = [Value(d) for d in _START]
        velocity = [0.0 for _ in params]
        ref = [Value(d) for d in _START]
        opt = optim.SGD(ref, lr=lr, momentum=mu)
        for step, grads in enumerate(_GRADS, start=1):
            before = [p.data for p in params]
            for p, r, g in zip(params, ref, grads):
                p.grad = r.grad = g
            momentum_step(params, velocity, lr, mu)
            opt.step()
            if len(velocity) != len(params):
                return (f"velocity has {len(velocity)} entries after the step, but there are "
                        f"{len(params)} parameters: change velocity[i] in place, do not append")
            for i, (p, r, b, g) in enumerate(zip(params, ref, before, grads)):
                if not _is_number(p.data):
                    return f"parameter {i} holds {p.data!r} after the step, not a number"
                if close(p.data, r.data):
                    continue
                where = f"with lr={lr}, momentum={mu}, at step {step}, parameter {i}"
                if p.data == b and g != 0:
                    return (f"{where} did not move (still {b}); change every parameter in place "
                            "with p.data -= lr * velocity[i]")
                if g != 0 and close(p.data, b + (r.data - b) * -1):
                    return (f"{where} moved uphill ({b:.4f} -> {p.data:.4f}, it should reach "
                            f"{r.data:.4f}): the velocity follows the gradient, and the parameter "
                            "moves against it (p.data -= lr * velocity[i])")
                if step > 1 and mu > 0 and close(p.data, b - lr * g):
                    return (f"{where} moved as plain SGD would (to {p.data:.4f} instead of "
                            f"{r.data:.4f}): the velocity must be remembered between calls; store "
                            "it with velocity[i] = momentum * velocity[i] + p.grad")
                if step == 1 and close(p.data, b - g):
                    return f"{where} moved by the whole gradient; multiply the step by lr = {lr}"
                return (f"{where} is {p.data:.6f} but should be {r.data:.6f} "
                        "(velocity = momentum * velocity + grad, then p.data -= lr * velocity)")
    return None


momentum_step = Exercise(
    title="One momentum step",
    answer_name="momentum_step",
    test=_test_momentum_step,
    hint_text=("for i, p in enumerate(params): first velocity[i] = momentum * velocity[i] + p.grad "
               "(stored in the list, so the next call sees it), then p.data -= lr * velocity[i]."),
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
            try:
                out = adam_update(p, g, m, v, t, **kw)
            except ZeroDivisionError:
                return (f"at t = {t} your update divides by zero: the bias correction divides by "
                        "1 - beta**t (not beta**(t - 1), which is 1 at t = 1)")
            if not isinstance(out, (tuple, list)) or len(out) != 3 or not all(_is_number(o) for o in out):
                return f"adam_update(...) returned {out!r}; return three numbers: (new_p, new_m, new_v)"
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
                        f"returned ({out[1]:.6f}, {out[2]:.6f}); m = beta1 * m + (1 - beta1) * g, "
                        "v = beta2 * v + (1 - beta2) * g**2")
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
    hint_text=("update m and v first (running averages of g and g**2), then m_hat = m / (1 - beta1**t), "
               "v_hat = v / (1 - beta2**t), p = p - lr * m_hat / (sqrt(v_hat) + eps); return p, m, v "
               "(the uncorrected m and v)."),
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
    x, y = Value(ROSENBROCK_START[0]), Value(ROSENBROCK_START[1])
    opt = make_optimizer([x, y])
    if not isinstance(opt, optim.Optimizer):
        return (f"make_optimizer returned {type(opt).__name__}, not an optimizer from grad.optim "
                "(for example optim.Adam(params, lr=...))")
    held = [p for group in opt.param_groups for p in group["params"]]
    if len(held) != 2 or not (any(p is x for p in held) and any(p is y for p in held)):
        return "the optimizer must hold exactly the two parameters it was given: pass `params` to it"
    for step in range(1, ROSENBROCK_STEPS + 1):
        try:
            loss = _rosenbrock(x, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        except OverflowError:
            return f"the run blew up at step {step} (the numbers overflowed): lower the learning rate"
        if not (math.isfinite(x.data) and math.isfinite(y.data)) or max(abs(x.data), abs(y.data)) > 1e6:
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
    for lr, alpha in [(0.01, 0.99), (0.1, 0.9), (0.003, 0.5)]:
        for g in (3.0, -0.2):
            measured = _rmsprop_steps(lr, alpha, g, 40)
            for t in (1, 2, 3, 10, 40):
                got = rmsprop_step_size(t, lr, alpha)
                if not _is_number(got):
                    return f"rmsprop_step_size({t}, {lr}, {alpha}) returned {got!r}, not a number"
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
    hint_text=("after t steps, v = (1 - alpha) * g**2 * (1 + alpha + ... + alpha**(t-1)) "
               "= (1 - alpha**t) * g**2, so the step lr * |g| / sqrt(v) does not depend on g."),
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
