"""The learning-rate explorer: gradient descent on a straight-line fit, one slider away.

Every change of the learning rate (or of the number of steps) re-trains `y = w x + b`
from the same starting point with `grad.Value`, then redraws three pictures: the path
of (w, b) on the loss surface, the loss curve, and the line over the data. A one-line
verdict names the regime: too small, good, oscillating or diverging.

Measured on the course's 2-core machine: a slider move (up to 100 steps of gradient
descent on 20 points with `Value`, then the figure redrawn as a PNG) answers in about
150 ms (median; up to about 400 ms while the machine is busy with other work). The
training is 5 to 25 ms of that; drawing the PNG is the rest, which is why the figure's
fixed parts (contours, data) are drawn once and only the lines are updated.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Optional, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from grad.engine import Value
from grad.widgets.base import DivergenceMarker, Explorer, png_bundle

START = (-1.0, 3.0)   # (w, b) before the first step: every run starts here
BLOW_UP = 1e6         # a loss this many times the starting loss counts as diverged
REGIME_COLORS = {"good": "#15803d", "too small": "#b45309", "oscillating": "#b45309",
                 "diverging": "#b91c1c"}


def regression_data(n: int = 20, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` noisy points around the line y = 2x - 1, with x between -1 and 3 (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 3, n)
    y = 2.0 * x - 1.0 + rng.normal(0, 0.6, n)
    return x, y


def mse_surface(x: np.ndarray, y: np.ndarray, W: np.ndarray, B: np.ndarray) -> np.ndarray:
    """The mean squared error of the line y = w x + b for every (w, b) of a grid."""
    residual = W[..., None] * x + B[..., None] - y
    return np.mean(residual ** 2, axis=-1)


@dataclass
class Run:
    """One gradient-descent run: what happened, step by step, and the verdict."""
    lr: float
    steps: int
    losses: list[float] = field(default_factory=list)   # loss before each step taken
    path: list[tuple[float, float]] = field(default_factory=list)  # (w, b) after each step, start first
    diverged_at: Optional[int] = None                    # the step whose loss blew up
    regime: str = ""                                     # too small, good, oscillating, diverging
    verdict: str = ""

    @property
    def w(self) -> float:
        return self.path[-1][0]

    @property
    def b(self) -> float:
        return self.path[-1][1]


def descend(x: Sequence[float], y: Sequence[float], lr: float, steps: int,
            start: tuple[float, float] = START) -> Run:
    """Fit y = w x + b by `steps` gradient-descent steps on the mean squared error.

    Gradients come from `Value.backward()`. Training stops early, without raising, when
    the loss overflows or grows past BLOW_UP times its starting value; `diverged_at`
    then holds that step (1-based) and `losses` holds only finite numbers.
    """
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    xs, ys = [float(v) for v in x], [float(v) for v in y]
    if len(xs) != len(ys) or not xs:
        raise ValueError(f"x and y must be non-empty and of the same length, got {len(xs)} and {len(ys)}")
    n = len(xs)
    run = Run(lr=float(lr), steps=int(steps), path=[tuple(map(float, start))])
    w, b = Value(start[0]), Value(start[1])
    for step in range(1, int(steps) + 1):
        try:
            loss = sum((w * xi + b - yi) ** 2 for xi, yi in zip(xs, ys)) / n
            w.grad = b.grad = 0.0
            loss.backward()
        except OverflowError:
            run.diverged_at = step
            break
        too_big = run.losses and loss.data > BLOW_UP * run.losses[0]
        if not math.isfinite(loss.data) or too_big:
            run.diverged_at = step
            break
        run.losses.append(loss.data)
        w.data -= lr * w.grad
        b.data -= lr * b.grad
        if not (math.isfinite(w.data) and math.isfinite(b.data)):
            run.diverged_at = step + 1
            break
        run.path.append((w.data, b.data))
    return run


def _zigzags(path: list[tuple[float, float]]) -> bool:
    """Do the steps keep reversing direction (jumping across the valley) in the second half?"""
    steps = np.diff(np.array(path), axis=0)
    if len(steps) < 4:
        return False
    size = np.linalg.norm(steps, axis=1)
    late = steps[len(steps) // 2:]
    late_size = size[len(steps) // 2:]
    visible = late_size > 1e-6 * size[0]  # ignore steps lost in rounding
    pairs = [(a, c) for a, c, ok_a, ok_c in zip(late[:-1], late[1:], visible[:-1], visible[1:])
             if ok_a and ok_c]
    if len(pairs) < 2:
        return False
    reversals = sum(float(np.dot(a, c)) < 0 for a, c in pairs)
    return reversals > 0.8 * len(pairs)


def judge(run: Run, best_loss: float) -> tuple[str, str]:
    """Name the regime of a run and say why, in one line."""
    if run.diverged_at is not None:
        return "diverging", (f"diverging: the loss blew up at step {run.diverged_at} "
                             "(each step overshoots further than the last). Take a smaller learning rate.")
    losses = run.losses
    # On a quadratic loss, gradient descent below the stability limit lowers the loss at every
    # step; a single increase means some direction is being amplified.
    if any(later > earlier * (1 + 1e-9) for earlier, later in zip(losses, losses[1:])):
        return "diverging", (f"diverging: the loss is growing again (from {min(losses):.4g} at its "
                             f"lowest to {losses[-1]:.4g} now); more steps make it explode. "
                             "Take a smaller learning rate.")
    final, start = losses[-1], losses[0]
    progress_left = (final - best_loss) / (start - best_loss) if start > best_loss else 0.0
    if _zigzags(run.path):
        tail = ("it still settles, but a slightly smaller learning rate gets there faster"
                if progress_left < 1e-3 else
                f"loss {final:.4f} after {run.steps} steps (best possible {best_loss:.4f})")
        return "oscillating", f"oscillating: every step jumps across the valley and overshoots; {tail}."
    if progress_left > 0.01:
        return "too small", (f"too small: still far from the minimum after {run.steps} steps "
                             f"(loss {final:.4f}, best possible {best_loss:.4f}).")
    return "good", (f"good: the loss is within {max(progress_left, 0) * 100:.2g}% of the best possible "
                    f"after {run.steps} steps (w = {run.w:.3f}, b = {run.b:.3f}).")


class LearningRateExplorer(Explorer):
    """Drag the learning rate and watch gradient descent crawl, converge, zigzag or explode.

        LearningRateExplorer()           # the course's 20 points
        LearningRateExplorer(x, y)       # your own data

    Controls: `lr_slider` (log scale, 0.001 to 1), `steps_slider` (5 to 100). Each change
    re-trains from the same start (w, b) = START with `grad.Value` and redraws `image`
    (a PNG of three panels) and `verdict` (an HTML line); `run` holds the last `Run`.
    Measured: a slider move answers in about 150 ms (training 5 to 25 ms, drawing the
    rest; up to about 400 ms on a busy machine), so the sliders act on release
    (`continuous_update=False`).
    """

    def __init__(self, x: Optional[Sequence[float]] = None, y: Optional[Sequence[float]] = None,
                 lr: float = 0.1, steps: int = 50, start: tuple[float, float] = START):
        if (x is None) != (y is None):
            raise ValueError("give both x and y, or neither (for the course's data)")
        if x is None:
            x, y = regression_data()
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self.x.ndim != 1 or self.x.shape != self.y.shape or len(self.x) < 2:
            raise ValueError(f"x and y must be 1-D and of the same length (at least 2), "
                             f"got shapes {self.x.shape} and {self.y.shape}")
        self.start = (float(start[0]), float(start[1]))
        self.best_w, self.best_b = np.polyfit(self.x, self.y, 1)
        self.best_loss = float(np.mean((self.best_w * self.x + self.best_b - self.y) ** 2))
        self._surface()

        self.lr_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=-3, max=0, step=0.01, description="learning rate",
            readout_format=".3g", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.steps_slider = widgets.IntSlider(
            value=steps, min=5, max=100, step=5, description="steps", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        self.verdict = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.lr_slider.observe(self._on_change, names="value")
        self.steps_slider.observe(self._on_change, names="value")
        super().__init__([widgets.HBox([self.lr_slider, self.steps_slider]), self.verdict, self.image])

        self._build_figure()
        self.run: Run = Run(lr, steps)
        self.update()

    # ---- the loss surface, computed once with numpy -------------------------------------
    def _surface(self) -> None:
        ws = [self.start[0], self.best_w]
        bs = [self.start[1], self.best_b]
        pad_w = 0.35 * (max(ws) - min(ws)) + 0.5
        pad_b = 0.35 * (max(bs) - min(bs)) + 0.5
        self.w_range = (min(ws) - pad_w, max(ws) + pad_w)
        self.b_range = (min(bs) - pad_b, max(bs) + pad_b)
        W, B = np.meshgrid(np.linspace(*self.w_range, 120), np.linspace(*self.b_range, 120))
        self.W, self.B, self.L = W, B, mse_surface(self.x, self.y, W, B)

    # ---- callbacks ---------------------------------------------------------------------
    def _on_change(self, change) -> None:
        self.update()

    def update(self) -> None:
        """Re-train with the sliders' values, then redraw the picture and the verdict."""
        self.run = descend(self.x, self.y, self.lr_slider.value, self.steps_slider.value, self.start)
        self.run.regime, self.run.verdict = judge(self.run, self.best_loss)
        color = REGIME_COLORS[self.run.regime]
        self.verdict.value = (f"<span style='font-size:1.1em; color:{color}'>"
                              f"<b>lr = {self.run.lr:.3g}</b> &nbsp; {self.run.verdict}</span>")
        self._draw()
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()

    # ---- drawing: the fixed parts once, then only what a run changes --------------------
    def _build_figure(self) -> None:
        self.fig = Figure(figsize=(13, 3.9), dpi=90)
        self.fig.subplots_adjust(left=0.055, right=0.99, bottom=0.13, top=0.82, wspace=0.28)
        self.headline = self.fig.suptitle("", fontsize=14, fontweight="bold")
        ax_surf, ax_loss, ax_fit = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1, 1]})
        self.ax_surf, self.ax_loss, self.ax_fit = ax_surf, ax_loss, ax_fit

        # 1. the path of (w, b) on the loss surface
        levels = np.geomspace(self.best_loss * 1.05, self.L.max(), 14)
        ax_surf.contour(self.W, self.B, self.L, levels=levels, cmap="viridis", linewidths=1)
        (self.path_line,) = ax_surf.plot([], [], "-o", color="#dc2626", ms=3, lw=1.3, label="steps")
        ax_surf.plot(*self.start, "o", color="black", ms=6, label="start")
        ax_surf.plot(self.best_w, self.best_b, "*", color="gold", mec="black", ms=14,
                     label="least squares")
        ax_surf.set_xlim(*self.w_range)
        ax_surf.set_ylim(*self.b_range)
        ax_surf.set_xlabel("w (slope)")
        ax_surf.set_ylabel("b (intercept)")
        ax_surf.set_title("path on the loss surface")
        ax_surf.legend(loc="upper right", fontsize=9)

        # 2. the loss curve, on a log scale
        (self.loss_line,) = ax_loss.plot([], [], color="#2563eb", lw=2, label="loss")
        ax_loss.axhline(self.best_loss, color="gray", ls="--", lw=1.2, label="best possible")
        self.blow_up = DivergenceMarker(ax_loss, fontsize=12)
        ax_loss.set_yscale("log")
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel("loss (mean squared error)")
        ax_loss.legend(loc="lower left", fontsize=9)

        # 3. the data and the line after the last step
        ax_fit.scatter(self.x, self.y, s=22, color="#374151", zorder=3, label="data")
        self.x_grid = np.linspace(self.x.min() - 0.2, self.x.max() + 0.2, 2)
        ax_fit.plot(self.x_grid, self.best_w * self.x_grid + self.best_b, "--", color="gray",
                    lw=1.2, label="least squares")
        (self.fit_line,) = ax_fit.plot([], [], color="#dc2626", lw=2)
        span = self.y.max() - self.y.min()
        ax_fit.set_xlim(self.x_grid[0], self.x_grid[1])
        ax_fit.set_ylim(self.y.min() - 0.3 * span, self.y.max() + 0.3 * span)
        ax_fit.set_xlabel("x")
        ax_fit.set_ylabel("y")
        ax_fit.legend(loc="upper left", fontsize=9)

    def _draw(self) -> None:
        run = self.run
        path = np.array(run.path)
        self.path_line.set_data(path[:, 0], path[:, 1])

        self.loss_line.set_data(np.arange(1, len(run.losses) + 1), run.losses)
        self.ax_loss.set_xlim(0, run.steps + 1)
        shown = [l for l in run.losses if l > 0] + [self.best_loss]
        self.ax_loss.set_ylim(min(shown) / 1.6, max(shown) * 1.6)
        self.blow_up.show(run.diverged_at, run.steps)
        self.ax_loss.set_title("the loss curve")
        self.headline.set_text(f"learning rate {run.lr:.3g}, {run.steps} steps: {run.regime}")
        self.headline.set_color(REGIME_COLORS[run.regime])

        self.fit_line.set_data(self.x_grid, run.w * self.x_grid + run.b)
        self.fit_line.set_label(f"w = {run.w:.3g}, b = {run.b:.3g}")
        self.ax_fit.legend(loc="upper left", fontsize=9)
        self.ax_fit.set_title(f"the line after {len(run.path) - 1} steps")

    def snapshot(self) -> dict[str, str]:
        return png_bundle(self.fig)
