"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update rules.

An optimizer holds parameters (anything with `.data` and `.grad`: a `Value`, whose data
is a float, or a Tensor, whose data is a NumPy array) and moves them against their
gradients in `step()`. The arithmetic below works unchanged on floats and arrays, and on
floats it follows IEEE 754 as arrays (and PyTorch) do: 0/0 is nan, the square root of a
negative number is nan. A NaN in a gradient shows up in the parameters; it never raises.

    opt = Adam(model.parameters(), lr=0.01)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

Parameters can be split into groups with their own settings, as in PyTorch:
`SGD([{"params": a}, {"params": b, "lr": 0.1}], lr=0.01)`.

Every setting is checked when the optimizer is made, in every group, with PyTorch's error
types: a negative lr, eps, momentum, weight_decay or alpha, betas outside [0, 1), nesterov
without momentum, NaN anywhere (a ValueError), or something that is not a number (a
TypeError).
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Iterable, Optional, Union

Params = Union[Iterable[Any], Iterable[dict]]

# settings that must be numbers >= 0, with the names PyTorch's messages give them
_AT_LEAST_ZERO = {"lr": "learning rate", "momentum": "momentum value",
                  "weight_decay": "weight_decay value", "eps": "epsilon value",
                  "alpha": "alpha value"}


def _real(value: Any, name: str) -> None:
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")


def _number(value: Any, name: str) -> None:
    _real(value, name)
    if value != value:
        raise ValueError(f"{name} must be a number, got nan")


def _at_least_zero(value: Any, name: str) -> None:
    _real(value, name)
    if not value >= 0:  # NaN too
        raise ValueError(f"Invalid {_AT_LEAST_ZERO[name]}: {value} ({name} must be a number >= 0)")


def _betas(betas: Any) -> tuple[float, float]:
    example = "for example betas=(0.9, 0.999)"
    if isinstance(betas, (str, bytes)) or not isinstance(betas, Iterable):
        raise TypeError(f"betas must be a pair of numbers (beta1, beta2), {example}; "
                        f"got {type(betas).__name__}: {betas!r}")
    pair = tuple(betas)
    if len(pair) != 2:
        raise ValueError(f"betas must be a pair of numbers (beta1, beta2), {example}; "
                         f"got {len(pair)} numbers: {pair!r}")
    for i, beta in enumerate(pair):
        _number(beta, f"betas[{i}]")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (betas must be in [0, 1))")
    return pair


def _is_parameter(p: Any) -> bool:
    return hasattr(p, "data") and hasattr(p, "grad")


def _sqrt(x):
    """Square root of a float (nan below 0, as IEEE 754 has it) or, elementwise, of an array."""
    if isinstance(x, (int, float)):
        return math.sqrt(x) if x >= 0 else math.nan
    return x ** 0.5


def _divide(a, b):
    """a / b; for floats, IEEE 754's answers where Python raises: x/0 is ±inf, 0/0 is nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _lerp(start, end, weight: float):
    """start + weight * (end - start), computed the way PyTorch's lerp does."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Optimizer:
    """What every optimizer shares: parameter groups, per-parameter state, zero_grad."""

    def __init__(self, params: Params, defaults: dict):
        self._check(defaults)
        self.defaults = defaults
        if _is_parameter(params) or isinstance(params, dict):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "parameters (Values or Tensors) or of dicts, but got "
                            f"{type(params).__name__}: write [w] or model.parameters() for "
                            "parameters, [{'params': ...}] for groups")
        try:
            params = list(params)
        except TypeError:
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"parameters or of dicts, but got {type(params).__name__}") from None
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.param_groups: list[dict] = []
        self.state: dict[Any, dict] = {}
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add a group of parameters with its own settings (the others come from defaults)."""
        if not isinstance(group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(group).__name__} "
                            "(give either all parameters or all dicts)")
        if "params" not in group:
            raise KeyError("a parameter group needs a 'params' entry: {'params': [...], ...}")
        params = group["params"]
        if _is_parameter(params):
            params = [params]  # a single parameter, as PyTorch accepts it in a group
        elif isinstance(params, (set, frozenset)):
            raise TypeError("optimizer parameters need to be in an ordered collection (a list), "
                            "not a set, whose order can change between runs")
        else:
            params = list(params)
        for p in params:
            if not _is_parameter(p):
                raise TypeError("optimizer can only optimize parameters with .data and .grad "
                                f"(Values or Tensors), but one of the params is {type(p).__name__}")
            if getattr(p, "_prev", ()):
                raise ValueError("can't optimize a non-leaf parameter (one computed from others): "
                                 "give the optimizer the leaves it was computed from")
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters: step() "
                          "updates such a parameter once per listing (PyTorch warns the same, "
                          "and will refuse it in future)", UserWarning, stacklevel=4)
        listed = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in listed for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group = {**self.defaults, **group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, settings: dict) -> None:
        """Refuse the settings PyTorch refuses (and NaN anywhere), saying what is allowed."""
        for name, value in settings.items():
            if name in _AT_LEAST_ZERO:
                _at_least_zero(value, name)
            elif name == "dampening":
                _number(value, name)
            elif name == "betas":
                settings["betas"] = _betas(value)

    @property
    def lr(self) -> float:
        """The learning rate of the first group; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        _at_least_zero(value, "lr")
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self, set_to_none: Optional[bool] = None) -> None:
        """Forget the gradients, before the next backward().

        By default a Value's grad becomes 0.0 (the course shows gradients as numbers) and a
        Tensor's becomes None, which is PyTorch's default (set_to_none=True). With
        set_to_none=True every grad becomes None: backward() starts it afresh and step()
        skips the parameter until it has one. With False every grad becomes zero (a
        Tensor's, if it has one, an array of zeros), as PyTorch's set_to_none=False.
        """
        for group in self.param_groups:
            for p in group["params"]:
                scalar = isinstance(p.data, numbers.Real)
                if set_to_none or (set_to_none is None and not scalar):
                    p.grad = None
                elif scalar:
                    p.grad = 0.0
                elif p.grad is not None:
                    import numpy as np  # only Tensors (NumPy data) get here
                    p.grad = np.zeros_like(p.grad)

    def step(self) -> None:
        """Update every parameter that has a gradient (a grad of None: skipped, as in PyTorch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, group, self.state.setdefault(p, {}))

    def _update(self, p, g, group: dict, state: dict) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        n = sum(len(g["params"]) for g in self.param_groups)
        return f"{type(self).__name__}({n} parameters, {settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (heavy ball or Nesterov).

        g = grad + weight_decay * p
        b = g on the first step, then momentum * b + (1 - dampening) * g
        g = g + momentum * b  (nesterov)   or   g = b  (momentum > 0)
        p = p - lr * g
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _check(self, settings: dict) -> None:
        super()._check(settings)
        if settings["nesterov"] and (settings["momentum"] <= 0 or settings["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, p, g, group, state):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        momentum = group["momentum"]
        if momentum:
            if "momentum_buffer" not in state:
                buf = g * 1.0  # a copy: an array must not share memory with the gradient
            else:
                buf = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        p.data = p.data - group["lr"] * g


class RMSprop(Optimizer):
    """Divide each step by a running root-mean-square of recent gradients.

        v = alpha * v + (1 - alpha) * g**2
        avg = sqrt(v - m**2) + eps, with m the running mean of g (centered)
            or sqrt(v) + eps
        p = p - lr * g / avg   (or through a momentum buffer b = momentum * b + g / avg)

    As in PyTorch, sqrt(v - m**2) is nan when rounding makes v - m**2 negative, and an
    alpha above 1 is allowed (v can then go negative): the parameters become nan.
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _update(self, p, g, group, state):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p.data
        alpha = group["alpha"]
        v = state.get("square_avg", 0.0) * alpha + (1 - alpha) * g * g
        state["square_avg"] = v
        if group["centered"]:
            m = _lerp(state.get("grad_avg", 0.0), g, 1 - alpha)
            state["grad_avg"] = m
            avg = _sqrt(v - m * m) + group["eps"]
        else:
            avg = _sqrt(v) + group["eps"]
        if group["momentum"]:
            buf = group["momentum"] * state.get("momentum_buffer", 0.0) + _divide(g, avg)
            state["momentum_buffer"] = buf
            p.data = p.data - group["lr"] * buf
        else:
            p.data = p.data + _divide(-group["lr"] * g, avg)  # PyTorch's order of operations


class Adam(Optimizer):
    """Momentum and RMSprop combined, with both averages corrected for starting at zero.

        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    `weight_decay` adds weight_decay * p to the gradient (L2); AdamW decouples it.
    With eps=0 a zero gradient gives 0/0, nan, as in PyTorch.
    """

    decoupled = False

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _update(self, p, g, group, state):
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if wd and self.decoupled:
            p.data = p.data * (1 - lr * wd)
        elif wd:
            g = g + wd * p.data
        t = state["step"] = state.get("step", 0) + 1
        m = _lerp(state.get("exp_avg", 0.0), g, 1 - beta1)  # beta1 * m + (1 - beta1) * g
        v = state.get("exp_avg_sq", 0.0) * beta2 + (1 - beta2) * g * g
        state["exp_avg"], state["exp_avg_sq"] = m, v
        step_size = lr / (1 - beta1 ** t)
        denom = _sqrt(v) / (1 - beta2 ** t) ** 0.5 + group["eps"]
        p.data = p.data + _divide(-step_size * m, denom)  # PyTorch's order of operations


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p * (1 - lr * weight_decay) before each
    Adam step, instead of adding weight_decay * p to the gradient (Loshchilov & Hutter)."""

    decoupled = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


# ---- learning-rate schedules ------------------------------------------------------------
def _whole(n: Any, name: str) -> None:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {type(n).__name__}: {n!r}")
    if n < 1:
        raise ValueError(f"{name} must be at least 1, got {n}")


class LRScheduler:
    """Sets the optimizer's learning rates from the number of `step()` calls so far.

    Call `scheduler.step()` once per epoch (or per training step), after `opt.step()`.
    """

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._apply()

    def factor(self, epoch: int) -> float:
        """The learning rate at `epoch`, as a fraction of the starting one."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._apply()

    def _apply(self) -> None:
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = self.lr_at(base, self.last_epoch)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return base_lr * self.factor(epoch)

    def get_last_lr(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        _whole(step_size, "step_size")
        _number(gamma, "gamma")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """Change the learning rate linearly from start_factor to end_factor times the
    starting one over `total_iters` epochs, then keep it there (a warm-up or a decay)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5):
        _number(start_factor, "start_factor")
        _number(end_factor, "end_factor")
        if not (0 < start_factor <= 1 and 0 <= end_factor <= 1):
            raise ValueError("start_factor must be in (0, 1] and end_factor in [0, 1]")
        _whole(total_iters, "total_iters")
        self.start, self.end, self.total = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.start + (self.end - self.start) * min(epoch, self.total) / self.total


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the starting learning rate down to `eta_min` over
    `T_max` epochs: eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        _whole(T_max, "T_max")
        _number(eta_min, "eta_min")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
