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


# ---- what params can be --------------------------------------------------------------------
from grad.tensor import Tensor  # noqa: E402

OPTIMIZERS = [SGD, RMSprop, Adam, AdamW]


def tensor_param(values=(1.0, 2.0)):
    return Tensor(np.array(values, dtype=float), requires_grad=True)


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize("make", [lambda: Value(1.0), tensor_param], ids=["Value", "Tensor"])
def test_a_bare_parameter_is_a_type_error_like_pytorch(cls, make):
    with pytest.raises(TypeError, match="should be an iterable of"):
        cls(make())
    with pytest.raises(TypeError, match="should be an iterable of"):
        cls({"params": make()})  # a group must come in a list
    p = make()
    opt = cls([{"params": p}])  # inside a group, one parameter is fine (PyTorch wraps it)
    assert opt.param_groups[0]["params"] == [p]


@pytest.mark.parametrize("params, error, message", [
    (5, TypeError, "iterable"),
    ([], ValueError, "empty parameter list"),
    ([1.0, 2.0], TypeError, ".data and .grad"),
    ([{"params": {Value(1.0)}}], TypeError, "not a set"),
    ([{"lr": 0.1}], KeyError, "'params'"),
    ([{"params": [Value(1.0)]}, Value(2.0)], TypeError, "param_group must be a dict"),
    ([Value(1.0), {"params": [Value(2.0)]}], TypeError, ".data and .grad"),
    ([Value(1.0) * 2], ValueError, "non-leaf"),
])
def test_bad_params_arguments(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_a_computed_tensor_is_not_a_parameter():
    with pytest.raises(ValueError, match="non-leaf"):
        Adam([tensor_param() * 2])


@pytest.mark.parametrize("make", [lambda: Value(1.0), tensor_param], ids=["Value", "Tensor"])
def test_a_parameter_in_two_groups_is_a_value_error(make):
    p = make()
    with pytest.raises(ValueError, match="more than one parameter group"):
        Adam([{"params": [p]}, {"params": [make(), p], "lr": 0.1}])


def test_a_parameter_listed_twice_in_one_group_warns_and_is_updated_twice_like_pytorch():
    p = Value(1.0)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = SGD([p, p], lr=0.1)
    p.grad = 1.0
    opt.step()
    assert p.data == pytest.approx(0.8)


def test_an_empty_group_is_allowed_like_pytorch():
    p = Value(1.0)
    opt = SGD([{"params": []}, {"params": [p]}], lr=0.1)
    p.grad = 1.0
    opt.step()
    assert p.data == pytest.approx(0.9)


# ---- every setting is checked at construction, in every group ------------------------------
BAD_SETTINGS = [
    (SGD, dict(lr=-1.0), ValueError), (SGD, dict(lr=float("nan")), ValueError),
    (SGD, dict(lr="0.1"), TypeError), (SGD, dict(lr=None), TypeError),
    (SGD, dict(momentum=-0.1), ValueError), (SGD, dict(momentum=float("nan")), ValueError),
    (SGD, dict(weight_decay=-1e-3), ValueError), (SGD, dict(dampening="a"), TypeError),
    (SGD, dict(dampening=float("nan")), ValueError),
    (SGD, dict(nesterov=True), ValueError), (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError),
    (RMSprop, dict(lr=-0.1), ValueError), (RMSprop, dict(alpha=-0.5), ValueError),
    (RMSprop, dict(alpha=float("nan")), ValueError), (RMSprop, dict(eps=-1e-8), ValueError),
    (RMSprop, dict(momentum=-1), ValueError), (RMSprop, dict(weight_decay=-1), ValueError),
    (Adam, dict(betas=(1.0, 0.999)), ValueError), (Adam, dict(betas=(0.9, -0.1)), ValueError),
    (Adam, dict(betas=(float("nan"), 0.9)), ValueError), (Adam, dict(betas=(0.9,)), ValueError),
    (Adam, dict(betas=(0.9, 0.99, 0.5)), ValueError), (Adam, dict(betas=0.9), TypeError),
    (Adam, dict(betas=("a", 0.9)), TypeError), (Adam, dict(betas="ab"), TypeError),
    (Adam, dict(eps=-1e-8), ValueError), (Adam, dict(eps="x"), TypeError),
    (Adam, dict(weight_decay=-1), ValueError), (Adam, dict(lr=float("nan")), ValueError),
    (AdamW, dict(weight_decay=-0.01), ValueError), (AdamW, dict(eps=-1.0), ValueError),
    (AdamW, dict(betas=[0.9, 1.5]), ValueError),
]


@pytest.mark.parametrize("cls, kwargs, error", BAD_SETTINGS,
                         ids=[f"{c.__name__}-{k}" for c, k, _ in BAD_SETTINGS])
def test_bad_settings_are_refused_at_construction(cls, kwargs, error):
    with pytest.raises(error):
        cls([Value(1.0)], **kwargs)
    group = {"params": [Value(1.0)], **kwargs}
    with pytest.raises(error):  # a group's own settings are checked too
        cls([{"params": [Value(2.0)]}, group])


def test_settings_pytorch_allows_are_allowed():
    p = [Value(1.0)]
    SGD(p, lr=0.1, momentum=0.9, dampening=-0.5)  # odd, but defined
    RMSprop(p, alpha=1.5)  # alpha > 1 is allowed (the averages can go negative: nan)
    Adam(p, lr=0.0, betas=[0.0, 0.0], eps=0.0)
    assert Adam(p, betas=[0.5, 0.6]).param_groups[0]["betas"] == (0.5, 0.6)


# ---- numbers: IEEE arithmetic on Value parameters, exactly as on arrays -------------------
def run_both(cls, kwargs, grads, start):
    """The same gradients on Value parameters and on one Tensor parameter."""
    values = [Value(s) for s in start]
    tensor = Tensor(np.array(start, dtype=float), requires_grad=True)
    opt_v, opt_t = cls(values, **kwargs), cls([tensor], **kwargs)
    path_v, path_t = [], []
    with np.errstate(all="ignore"):
        for g in grads:
            for v, gi in zip(values, g):
                v.grad = gi
            tensor.grad = np.array(g, dtype=float)
            opt_v.step()
            opt_t.step()
            path_v.append([v.data for v in values])
            path_t.append(tensor.data.tolist())
    return np.array(path_v), np.array(path_t)


EDGE_CASES = [
    (Adam, dict(eps=0.0, lr=0.1), [[0.0, 1.0, -2.0]] * 4),  # 0/0 for the zero gradient
    (AdamW, dict(eps=0.0), [[0.0, 0.0, 3.0]] * 3),
    (RMSprop, dict(eps=0.0), [[0.0, 1.0, 2.0]] * 3),
    (RMSprop, dict(alpha=1.5), [[0.5, -1.0, 2.0], [1.0, 1.0, 1.0]]),  # v < 0: sqrt gives nan
    (RMSprop, dict(alpha=1.5, centered=True, momentum=0.5), [[0.5, -1.0, 2.0]] * 3),
    (RMSprop, dict(centered=True, alpha=0.1, lr=2 ** -7), [[1e-3, 0.3, 7.0]] * 40),  # v - m² ~ 0
    (RMSprop, dict(centered=True, alpha=0.5, eps=0.0, lr=2 ** -6), [[1.0, 0.5, 0.0]] * 60),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
     [[math.nan, math.inf, -math.inf], [1.0, 0.0, 1e308]]),
    (Adam, dict(weight_decay=0.1), [[math.inf, 1e300, math.nan], [1.0, -1e300, 0.0]]),
]


@pytest.mark.parametrize("cls, kwargs, grads", EDGE_CASES,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(EDGE_CASES)])
def test_value_parameters_compute_what_array_parameters_compute(cls, kwargs, grads):
    path_v, path_t = run_both(cls, kwargs, grads, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(path_v, path_t)  # bit for bit, NaNs and infinities included


def test_nans_where_pytorch_has_them():
    path, _ = run_both(Adam, dict(eps=0.0, lr=0.1), [[0.0, 1.0]], [1.0, 2.0])
    assert math.isnan(path[0][0]) and path[0][1] == pytest.approx(1.9)
    path, _ = run_both(RMSprop, dict(alpha=1.5), [[0.5, 1.0]], [1.0, 2.0])
    assert np.isnan(path).all()  # v = -0.5 g² < 0
    # centered, constant gradient 1: v = m = 1 - 2**-t exactly, v - m² reaches 0, g / 0 = inf
    path, _ = run_both(RMSprop, dict(centered=True, alpha=0.5, eps=0.0, lr=2 ** -6), [[1.0]] * 60, [0.0])
    assert np.isfinite(path[:50]).all() and path[-1][0] == -math.inf


# ---- zero_grad(set_to_none) ------------------------------------------------------------------
def test_zero_grad_set_to_none():
    v, t = Value(1.0), tensor_param()
    opt = SGD([v, t], lr=0.5)
    v.grad, t.grad = 2.0, np.array([1.0, 1.0])
    opt.zero_grad(set_to_none=True)
    assert v.grad is None and t.grad is None
    opt.step()  # nothing to do: every grad is None
    assert v.data == 1.0 and list(t.data) == [1.0, 2.0] and not opt.state
    (v * 3).backward()  # backward starts a None grad afresh
    assert v.grad == 3.0
    opt.step()
    assert v.data == -0.5 and list(t.data) == [1.0, 2.0]


def test_zero_grad_set_to_none_false_gives_zeros():
    v, t, untouched = Value(1.0), tensor_param(), tensor_param()
    opt = Adam([v, t, untouched])
    v.grad, t.grad = None, np.array([3.0, -1.0])
    opt.zero_grad(set_to_none=False)
    assert v.grad == 0.0 and isinstance(v.grad, float)
    assert t.grad.tolist() == [0.0, 0.0] and t.grad.dtype == t.data.dtype
    assert untouched.grad is None  # as in PyTorch: a missing grad stays missing
    opt.zero_grad()  # the default: 0.0 for Values, None for Tensors
    assert v.grad == 0.0 and t.grad is None


@pytest.mark.parametrize("make, error", [
    (lambda opt: StepLR(opt, step_size=1.5), TypeError), (lambda opt: StepLR(opt, step_size=0), ValueError),
    (lambda opt: StepLR(opt, step_size=2, gamma="0.5"), TypeError),
    (lambda opt: StepLR(opt, step_size=2, gamma=float("nan")), ValueError),
    (lambda opt: LinearLR(opt, start_factor="a"), TypeError), (lambda opt: LinearLR(opt, start_factor=0), ValueError),
    (lambda opt: LinearLR(opt, total_iters=0), ValueError), (lambda opt: CosineAnnealingLR(opt, T_max=0), ValueError),
    (lambda opt: CosineAnnealingLR(opt, T_max=True), TypeError),
    (lambda opt: CosineAnnealingLR(opt, T_max=3, eta_min=None), TypeError),
])
def test_schedule_arguments_are_checked(make, error):
    with pytest.raises(error):
        make(SGD([Value(1.0)], lr=0.1))
