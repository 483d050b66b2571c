"""Gradient checking for Tensors: every entry's gradient against central differences."""
from __future__ import annotations

from typing import Callable

import numpy as np

from grad.check import GradcheckResult, GradcheckRow
from grad.tensor.tensor import Tensor


def _as_scalar(out: Tensor, projection: np.ndarray | None) -> float:
    return float((out.data * projection).sum()) if projection is not None else float(out.data.sum())


def numerical_grad(f: Callable[..., Tensor], *inputs: Tensor, h: float = 1e-6,
                   projection: np.ndarray | None = None) -> list[np.ndarray]:
    """d sum(f(inputs) * projection) / d input, entry by entry: (f(x+h) - f(x-h)) / 2h."""
    grads = []
    for t in inputs:
        g = np.zeros_like(t.data)
        for idx in np.ndindex(t.shape):
            original = t.data[idx]
            t.data[idx] = original + h
            up = _as_scalar(f(*inputs), projection)
            t.data[idx] = original - h
            down = _as_scalar(f(*inputs), projection)
            t.data[idx] = original
            g[idx] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def gradcheck(f: Callable[..., Tensor], *inputs: Tensor, h: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, seed: int = 0) -> GradcheckResult:
    """Compare backward's gradients of f(*inputs) with central differences, entry by entry.

    A non-scalar output is reduced with fixed random weights, so every output entry
    counts. One row per input reports its worst entry: truthy when all pass.
    Use float64 inputs: float32 is too coarse for central differences.
    """
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"input {i} must be a Tensor, got {type(t).__name__}")
        if t.dtype.kind != "f":
            raise TypeError(f"input {i} is {t.dtype}: gradients need floating tensors (float64)")
        t.grad = None
    out = f(*inputs)
    projection = None if out.data.size == 1 else np.random.default_rng(seed).normal(size=out.shape)
    numeric = numerical_grad(f, *inputs, h=h, projection=projection)
    out = f(*inputs)
    out.backward(None if projection is None else projection)
    rows = []
    for i, (t, n) in enumerate(zip(inputs, numeric)):
        analytic = t.grad if t.grad is not None else np.zeros_like(t.data)
        excess = np.abs(analytic - n) - (atol + rtol * np.abs(n))
        worst = np.unravel_index(int(np.argmax(excess)), n.shape) if n.size else ()
        name = (t.label or f"input {i}") + (f"{list(worst)}" if n.ndim else "")
        rows.append(GradcheckRow(name, float(analytic[worst]), float(n[worst]),
                                 atol + rtol * abs(float(n[worst]))))
    return GradcheckResult(rows)
