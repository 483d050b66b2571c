"""Optimizers follow the documented update rules step by step, on floats and on arrays."""
import math

import numpy as np
import pytest

from grad import Value
from grad.optim import SGD, Adam, AdamW, CosineAnnealingLR, LinearLR, RMSprop, StepLR

TARGET = np.array([1.5, -2.0, 0.25])
CURVATURE = np.array([1.0, 4.0, 0.5])


def gradient(p):
    """Gradient of sum(c * (p - t)**2 + 0.1 * p**4): a bowl with some curvature change."""
    return 2 * CURVATURE * (p - TARGET) + 0.4 * p ** 3


# ---- textbook versions of each rule, written independently of grad.optim ----------------
def ref_sgd(p, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, buf, path = p.copy(), None, []
    for _ in range(steps):
        g = gradient(p) + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
        path.append(p)
    return path


def ref_rmsprop(p, steps, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    p, v, m, buf, path = p.copy(), 0.0, 0.0, 0.0, []
    for _ in range(steps):
        g = gradient(p) + weight_decay * p
        v = alpha * v + (1 - alpha) * g ** 2
        m = alpha * m + (1 - alpha) * g
        avg = np.sqrt(v - m ** 2 if centered else v) + eps
        if momentum:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        path.append(p)
    return path


def ref_adam(p, steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    b1, b2 = betas
    p, m, v, path = p.copy(), 0.0, 0.0, []
    for t in range(1, steps + 1):
        g = gradient(p)
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(p)
    return path


CASES = [
    (SGD, dict(lr=0.05), ref_sgd),
    (SGD, dict(lr=0.05, momentum=0.9), ref_sgd),
    (SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01), ref_sgd),
    (SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1), ref_sgd),
    (RMSprop, dict(), ref_rmsprop),
    (RMSprop, dict(lr=0.003, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.05), ref_rmsprop),
    (Adam, dict(), ref_adam),
    (Adam, dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), ref_adam),
    (Adam, dict(lr=0.05, betas=(0.3, 0.5)), ref_adam),
    (AdamW, dict(lr=0.05), lambda p, n, **kw: ref_adam(p, n, weight_decay=0.01, decoupled=True, **kw)),
    (AdamW, dict(lr=0.05, weight_decay=0.3), lambda p, n, **kw: ref_adam(p, n, decoupled=True, **kw)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]
START = np.array([-1.0, 1.0, 3.0])


class ArrayParam:
    """A minimal array parameter (what a Tensor is to an optimizer): .data and .grad."""
    def __init__(self, data):
        self.data, self.grad = np.array(data, dtype=float), None


@pytest.mark.parametrize("cls, kwargs, reference", CASES, ids=IDS)
def test_trajectory_on_values_matches_the_formula(cls, kwargs, reference):
    params = [Value(x) for x in START]
    opt = cls(params, **kwargs)
    expected = reference(START, 40, **kwargs)
    for step in range(40):
        opt.zero_grad()
        for p, g in zip(params, gradient(np.array([p.data for p in params]))):
            p.grad = float(g)
        opt.step()
        got = [p.data for p in params]
        np.testing.assert_allclose(got, expected[step], rtol=1e-10, atol=1e-12, err_msg=f"step {step}")


@pytest.mark.parametrize("cls, kwargs, reference", CASES, ids=IDS)
def test_trajectory_on_arrays_matches_the_formula(cls, kwargs, reference):
    param = ArrayParam(START)
    opt = cls([param], **kwargs)
    expected = reference(START, 40, **kwargs)
    for step in range(40):
        opt.zero_grad()
        assert param.grad is None
        param.grad = gradient(param.data)
        opt.step()
        np.testing.assert_allclose(param.data, expected[step], rtol=1e-10, atol=1e-12)


def test_first_momentum_buffer_is_a_copy_not_the_gradient_itself():
    param = ArrayParam([1.0, 2.0])
    opt = SGD([param], lr=0.1, momentum=0.9)
    param.grad = np.array([1.0, 1.0])
    opt.step()
    param.grad += 5.0  # an in-place change must not reach the optimizer's state
    assert list(opt.state[param]["momentum_buffer"]) == [1.0, 1.0]


def test_every_optimizer_minimises_a_value_function():
    for cls, kwargs in [(SGD, dict(lr=0.1, momentum=0.9)), (RMSprop, dict(lr=0.05)),
                        (Adam, dict(lr=0.1)), (AdamW, dict(lr=0.1, weight_decay=0.0))]:
        x, y = Value(3.0), Value(-2.0)
        opt = cls([x, y], **kwargs)
        for _ in range(300):
            loss = (x - 1) ** 2 + 3 * (y + 0.5) ** 2
            opt.zero_grad()
            loss.backward()
            opt.step()
        assert (x.data, y.data) == pytest.approx((1.0, -0.5), abs=2e-2), cls.__name__


def test_pytorch_defaults():
    p = [Value(1.0)]
    assert SGD(p).lr == 1e-3 and RMSprop(p).lr == 1e-2 and Adam(p).lr == 1e-3
    assert Adam(p).param_groups[0]["betas"] == (0.9, 0.999) and Adam(p).param_groups[0]["eps"] == 1e-8
    assert AdamW(p).param_groups[0]["weight_decay"] == 0.01 and Adam(p).param_groups[0]["weight_decay"] == 0
    assert RMSprop(p).param_groups[0]["alpha"] == 0.99


def test_parameter_groups_have_their_own_settings():
    a, b = Value(1.0), Value(1.0)
    opt = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad = b.grad = 1.0
    opt.step()
    assert (a.data, b.data) == pytest.approx((0.9, 0.5))


def test_learning_rate_can_change_between_steps():
    x = Value(0.0)
    opt = SGD([x], lr=0.1)
    x.grad = 1.0
    opt.step()
    opt.lr = 0.01
    opt.step()
    assert x.data == pytest.approx(-0.11)
    assert [g["lr"] for g in opt.param_groups] == [0.01]


def test_zero_grad_and_parameters_without_gradients():
    x, t = Value(2.0), ArrayParam([1.0])
    opt = SGD([x, t], lr=0.1)
    x.grad, t.grad = 3.0, np.array([1.0])
    opt.zero_grad()
    assert x.grad == 0.0 and t.grad is None
    opt.step()  # t has no gradient: skipped, like PyTorch
    assert list(t.data) == [1.0]


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=-0.1), "Invalid learning rate"),
    (lambda p: SGD(p, lr=0.1, momentum=-0.5), "momentum"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "weight_decay"),
    (lambda p: Adam(p, betas=(1.0, 0.999)), "beta parameter at index 0"),
    (lambda p: Adam(p, betas=(0.9, -0.1)), "beta parameter at index 1"),
    (lambda p: AdamW(p, eps=-1e-8), "eps"),
    (lambda p: RMSprop(p, alpha=-0.5), "alpha"),
    (lambda p: SGD([], lr=0.1), "empty parameter list"),
    (lambda p: Adam(p, lr=float("nan")), "Invalid learning rate"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


def test_parameters_must_have_data_and_grad():
    with pytest.raises(TypeError, match=".data and .grad"):
        SGD([1.0, 2.0], lr=0.1)
    with pytest.raises(ValueError):
        SGD([Value(1.0)], lr=0.1).lr = -1


def test_schedules():
    opt = SGD([Value(1.0)], lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    lrs = []
    for _ in range(5):
        lrs.append(opt.lr)
        sched.step()
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25]

    opt = SGD([Value(1.0)], lr=0.3)
    sched = LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=3)
    lrs = [opt.lr]
    for _ in range(4):
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs == pytest.approx([0.03, 0.12, 0.21, 0.3, 0.3])

    opt = Adam([Value(1.0)], lr=0.1)
    sched = CosineAnnealingLR(opt, T_max=4, eta_min=0.02)
    lrs = [opt.lr]
    for _ in range(4):
        sched.step()
        lrs.append(opt.lr)
    expected = [0.02 + 0.08 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert lrs == pytest.approx(expected)
    with pytest.raises(ValueError):
        StepLR(opt, step_size=0)
