"""Optimizers and learning-rate schedules with PyTorch's names, defaults and update rules.

An optimizer holds parameters (anything with `.data` and `.grad`: a `Value`, whose data
is a float, or a Tensor, whose data is a NumPy array) and moves them against their
gradients in `step()`. The arithmetic below works unchanged on floats and arrays.

    opt = Adam(model.parameters(), lr=0.01)
    for step in range(100):
        loss = ...
        opt.zero_grad()
        loss.backward()
        opt.step()

Parameters can be split into groups with their own settings, as in PyTorch:
`SGD([{"params": a}, {"params": b, "lr": 0.1}], lr=0.01)`.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Union

from grad.engine import Value

Params = Union[Iterable[Any], Iterable[dict]]


def _sqrt(x):
    """Square root of a float or, elementwise, of an array."""
    return math.sqrt(x) if isinstance(x, float) else x ** 0.5


def _lerp(start, end, weight: float):
    """start + weight * (end - start), computed the way PyTorch's lerp does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class Optimizer:
    """What every optimizer shares: parameter groups, per-parameter state, zero_grad."""

    def __init__(self, params: Params, defaults: dict):
        self.defaults = defaults
        params = list(params)
        if not params:
            raise ValueError("the optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups: list[dict] = []
        for group in groups:
            group = {**defaults, **group, "params": list(group["params"])}
            self._check(group)
            self.param_groups.append(group)
        self.state: dict[Any, dict] = {}

    def _check(self, group: dict) -> None:
        for p in group["params"]:
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(f"parameters need .data and .grad, got {type(p).__name__}")
        if not group["lr"] >= 0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (it must be >= 0)")
        for name in ("momentum", "weight_decay", "eps", "alpha", "dampening"):
            if name in group and not group[name] >= 0:
                raise ValueError(f"Invalid {name} value: {group[name]} (it must be >= 0)")
        if "betas" in group:
            for i, beta in enumerate(group["betas"]):
                if not 0.0 <= beta < 1.0:
                    raise ValueError(f"Invalid beta parameter at index {i}: {beta} (betas must be in [0, 1))")

    @property
    def lr(self) -> float:
        """The learning rate of the first group; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        if not value >= 0:
            raise ValueError(f"Invalid learning rate: {value} (it must be >= 0)")
        for group in self.param_groups:
            group["lr"] = value

    def zero_grad(self) -> None:
        """Forget the gradients: 0.0 for Values, None for Tensors (as PyTorch does)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = 0.0 if isinstance(p, Value) else None

    def step(self) -> None:
        """Update every parameter that has a gradient."""
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
        for group in self.param_groups:
            if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
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
            buf = group["momentum"] * state.get("momentum_buffer", 0.0) + g / avg
            state["momentum_buffer"] = buf
            p.data = p.data - group["lr"] * buf
        else:
            p.data = p.data - group["lr"] * (g / avg)


class Adam(Optimizer):
    """Momentum and RMSprop combined, with both averages corrected for starting at zero.

        m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    `weight_decay` adds weight_decay * p to the gradient (L2); AdamW decouples it.
    """

    decoupled = False

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))

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
        denom = _sqrt(v) / math.sqrt(1 - beta2 ** t) + group["eps"]
        p.data = p.data - step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p = p * (1 - lr * weight_decay) before each
    Adam step, instead of adding weight_decay * p to the gradient (Loshchilov & Hutter)."""

    decoupled = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


# ---- learning-rate schedules ------------------------------------------------------------
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
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class LinearLR(LRScheduler):
    """Change the learning rate linearly from start_factor to end_factor times the
    starting one over `total_iters` epochs, then keep it there (a warm-up or a decay)."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1 / 3, end_factor: float = 1.0,
                 total_iters: int = 5):
        if not (0 < start_factor <= 1 and 0 <= end_factor <= 1):
            raise ValueError("start_factor must be in (0, 1] and end_factor in [0, 1]")
        if total_iters < 1:
            raise ValueError(f"total_iters must be at least 1, got {total_iters}")
        self.start, self.end, self.total = start_factor, end_factor, total_iters
        super().__init__(optimizer)

    def factor(self, epoch: int) -> float:
        return self.start + (self.end - self.start) * min(epoch, self.total) / self.total


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the starting learning rate down to `eta_min` over
    `T_max` epochs: eta_min + (lr - eta_min) * (1 + cos(pi * t / T_max)) / 2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        if T_max < 1:
            raise ValueError(f"T_max must be at least 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def lr_at(self, base_lr: float, epoch: int) -> float:
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
