"""Checking gradients against numerical derivatives (central differences)."""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Union

from grad.engine import Value

Function = Callable[..., Union[Value, float]]


def _check_step(h: object) -> None:
    """A step for a difference quotient: a finite number other than 0 (which divides by 0)."""
    if isinstance(h, bool) or not isinstance(h, numbers.Real):
        raise TypeError(f"h must be a number, got {type(h).__name__}: {h!r}")
    if h == 0 or not math.isfinite(h):
        raise ValueError(f"h must be a small finite number other than 0, such as 1e-6; got {h}")


def _output(f: Function, values: tuple[Value, ...]) -> float:
    out = f(*values)
    return out.data if isinstance(out, Value) else float(out)


def secant_slope(f: Callable[[float], float], x: float, h: float,
                 method: str = "forward") -> float:
    """The slope of f near x from two of its values, for a plain number function:
    (f(x+h) - f(x)) / h ("forward"), or (f(x+h) - f(x-h)) / 2h ("central")."""
    _check_step(h)
    if method == "forward":
        return (f(x + h) - f(x)) / h
    if method == "central":
        return (f(x + h) - f(x - h)) / (2 * h)
    raise ValueError(f"method must be 'forward' or 'central', got {method!r}")


def numerical_grad(f: Function, *values: Value, h: float = 1e-6) -> list[float]:
    """Estimate d f / d v for each input v: (f(v + h) - f(v - h)) / 2h.

    `f` is called with the Values themselves; each is nudged in turn and restored.
    """
    _check_step(h)
    for i, v in enumerate(values):
        if not isinstance(v, Value):
            raise TypeError(f"input {i} must be a Value, got {type(v).__name__}")
    grads = []
    for v in values:
        original = v.data
        try:
            v.data = original + h
            up = _output(f, values)
            v.data = original - h
            down = _output(f, values)
        finally:
            v.data = original
        grads.append((up - down) / (2 * h))
    return grads


@dataclass
class GradcheckRow:
    """One input's analytic gradient (from backward) next to its numerical estimate."""
    name: str
    analytic: float
    numeric: float
    tolerance: float

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def ok(self) -> bool:
        return self.error <= self.tolerance


@dataclass
class GradcheckResult:
    """The outcome of `gradcheck`: true when every input agrees; prints as a table."""
    rows: list[GradcheckRow]

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[GradcheckRow]:
        return [row for row in self.rows if not row.ok]

    def __str__(self) -> str:
        lines = [f"gradcheck {'passed' if self.ok else 'FAILED'}: "
                 f"{len(self.rows) - len(self.failures)} of {len(self.rows)} inputs agree",
                 f"{'input':>10} {'backward':>14} {'numerical':>14} {'|difference|':>13} {'tolerance':>10}"]
        for r in self.rows:
            mark = "" if r.ok else "  <-- disagrees"
            lines.append(f"{r.name:>10} {r.analytic:>14.8g} {r.numeric:>14.8g} "
                         f"{r.error:>13.3g} {r.tolerance:>10.3g}{mark}")
        return "\n".join(lines)

    __repr__ = __str__


def gradcheck(f: Function, *values: Value, h: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> GradcheckResult:
    """Compare backward's gradient of f(*values) with central differences, input by input.

    An input passes when |backward - numerical| <= atol + rtol * |numerical| (PyTorch's
    default tolerances). The inputs' .grad are reset to 0 first. The result is truthy when
    all inputs pass, and prints which input disagrees and by how much.
    """
    if not values:
        raise ValueError("gradcheck needs at least one input Value")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not tol >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {tol!r}")
    for v in values:
        if isinstance(v, Value):
            v.grad = 0.0
    numeric = numerical_grad(f, *values, h=h)
    out = f(*values)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    out.backward()
    rows = [GradcheckRow(v.label or f"input {i}", v.grad, n, atol + rtol * abs(n))
            for i, (v, n) in enumerate(zip(values, numeric))]
    return GradcheckResult(rows)
