"""The learning-rate explorer: gradient descent on a straight-line fit, one slider away.

Every change of the learning rate (or of the number of steps) re-trains `y = w x + b`
from the same starting point with `grad.Value`, then redraws three pictures: the path
of (w, b) on the loss surface, the loss curve, and the line over the data. A one-line
verdict names the regime: too small, good, oscillating or diverging. "Good" means what
the lesson means by it: the final loss is near the best a line can do (within
GOOD_FACTOR of the least-squares loss), wherever the run started.

The figure's fixed parts (contours, data, legends) are drawn once; a move redraws only
the lines, the loss plot's axes and the titles.
"""
from __future__ import annotations

import base64
import math
import numbers
from dataclasses import dataclass, field
from typing import Optional, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from grad.engine import Value
from grad.viz import power_of_ten
from grad.widgets.base import (BLACK, BLUE, TEXT_GREEN, TEXT_ORANGE, TEXT_RED, VERMILLION, YELLOW,
                               DivergenceMarker, Explorer, FastFigure, fixed_axis_titles)

START = (-1.0, 3.0)   # (w, b) before the first step: every run starts here
BLOW_UP = 1e6         # a loss this many times the starting loss counts as diverged
GOOD_FACTOR = 1.25    # "good": a final loss at most this many times the best possible
LR_RANGE = (1e-3, 1.0)        # the learning-rate slider's ends
STEPS_RANGE = (5, 100, 5)     # the steps slider: from, to, in steps of
LARGEST = 1e6         # data and start beyond this size are refused (rescale them)
# colour-blind-safe text colours; the regime's name is always written too
REGIME_COLORS = {"good": TEXT_GREEN, "too small": TEXT_ORANGE, "oscillating": TEXT_ORANGE,
                 "diverging": TEXT_RED}


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


def judge(run: Run, best_loss: float, scale: float = 0.0) -> tuple[str, str]:
    """Name the regime of a run and say why, in one line.

    A run is good when its final loss is near the best a line can do: at most GOOD_FACTOR
    times `best_loss`, plus a thousandth of `scale` (the data's own spread, var(y), so that
    data on an exact line, whose best loss is 0, can be judged too). How far the run came
    from its start does not count: a run from far away can fall a millionfold and still
    be far from the minimum.
    """
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
    final = losses[-1]
    near = final <= GOOD_FACTOR * best_loss + 1e-3 * scale
    if best_loss > 0:
        how_near = f"{(final / best_loss - 1) * 100:.2g}% above the best possible, {best_loss:.4f}"
    else:
        how_near = "the best possible is 0"
    if _zigzags(run.path):
        tail = ("it still settles, but a slightly smaller learning rate gets there faster"
                if near else
                f"loss {final:.4g} after {run.steps} steps (best possible {best_loss:.4f})")
        return "oscillating", f"oscillating: every step jumps across the valley and overshoots; {tail}."
    if not near:
        return "too small", (f"too small: still far from the minimum after {run.steps} steps "
                             f"(loss {final:.4g}, best possible {best_loss:.4f}); a larger learning "
                             "rate, or more steps, gets closer.")
    return "good", (f"good: after {run.steps} steps the loss is {final:.4f}, {how_near} "
                    f"(w = {run.w:.3f}, b = {run.b:.3f}).")


def _numbers(values: object, name: str) -> np.ndarray:
    """A 1-D array of finite floats no larger than LARGEST, or a clear error."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a list or array of numbers, got {type(values).__name__}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one number per point), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must hold finite numbers only; it has NaN or infinity "
                         f"at position {int(np.argmin(np.isfinite(array)))}")
    if array.size and np.max(np.abs(array)) > LARGEST:
        raise ValueError(f"{name} must lie between -{LARGEST:g} and {LARGEST:g} "
                         "(rescale the data: the learning-rate slider is made for modest numbers)")
    return array


def _check_lr(lr: object) -> float:
    low, high = LR_RANGE
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not low <= lr <= high:
        raise ValueError(f"lr must be a number from {low:g} to {high:g} (the slider's range), got {lr!r}")
    return float(lr)


def _check_steps(steps: object) -> int:
    low, high, every = STEPS_RANGE
    if (isinstance(steps, bool) or not isinstance(steps, numbers.Integral)
            or not low <= steps <= high or steps % every):
        raise ValueError(f"steps must be one of {low}, {low + every}, ..., {high} "
                         f"(the slider's positions), got {steps!r}")
    return int(steps)


def _short(v: float) -> str:
    """A number in at most 7 characters: 1.91, -0.851, 4.5e+03."""
    return f"{v:.3g}" if v == 0 or 1e-3 <= abs(v) < 1e3 else f"{v:.1e}"



class LearningRateExplorer(Explorer):
    """Drag the learning rate and watch gradient descent crawl, converge, zigzag or explode.

        LearningRateExplorer()           # the course's 20 points
        LearningRateExplorer(x, y)       # your own data

    Controls: `lr_slider` (log scale, 0.001 to 1), `steps_slider` (5 to 100). Each change
    re-trains from the same start (w, b) = `start` with `grad.Value` and redraws `image`
    (a PNG of three panels) and `verdict` (an HTML line); `run` holds the last `Run`.
    `x` needs at least two different values (else no line is best), and `lr`, `steps`
    must be positions of their sliders. The sliders act on release
    (`continuous_update=False`). Speed (p95 on a 2-core machine, from make bench): a move
    answers in 65 to 85 ms over both sliders' whole ranges (the training with `Value` is 5
    to 25 ms of it), and the widget builds in 0.35 to 0.4 s; up to twice that while other
    programs keep the machine busy.
    """

    def __init__(self, x: Optional[Sequence[float]] = None, y: Optional[Sequence[float]] = None,
                 lr: float = 0.1, steps: int = 50, start: tuple[float, float] = START):
        if (x is None) != (y is None):
            raise ValueError("give both x and y, or neither (for the course's data)")
        if x is None:
            x, y = regression_data()
        self.x, self.y = _numbers(x, "x"), _numbers(y, "y")
        if self.x.shape != self.y.shape or len(self.x) < 2:
            raise ValueError(f"x and y must be 1-D and of the same length (at least 2), "
                             f"got shapes {self.x.shape} and {self.y.shape}")
        if np.ptp(self.x) == 0:
            raise ValueError(f"x must have at least two different values (all are {self.x[0]:g}): "
                             "through a single x, every slope fits equally well, so there is no "
                             "best line to find")
        lr, steps = _check_lr(lr), _check_steps(steps)
        try:
            self.start = tuple(float(v) for v in _numbers(start, "start"))
        except TypeError:
            raise TypeError(f"start must be two numbers (w, b), got {start!r}") from None
        if len(self.start) != 2:
            raise ValueError(f"start must be two numbers (w, b), got {start!r}")
        # least squares in closed form: slope cov(x, y) / var(x), line through the means
        dx, dy = self.x - self.x.mean(), self.y - self.y.mean()
        self.best_w = float(np.dot(dx, dy) / np.dot(dx, dx))
        self.best_b = float(self.y.mean() - self.best_w * self.x.mean())
        self.best_loss = float(np.mean((self.best_w * self.x + self.best_b - self.y) ** 2))
        self.scale = float(np.var(self.y))
        self._surface()

        low, high = LR_RANGE
        self.lr_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=math.log10(low), max=math.log10(high), step=0.01,
            description="learning rate", readout_format=".3g", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="420px"))
        first, last, every = STEPS_RANGE
        self.steps_slider = widgets.IntSlider(
            value=steps, min=first, max=last, step=every, description="steps",
            continuous_update=False, style={"description_width": "initial"},
            layout=widgets.Layout(width="420px"))
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
        self.run.regime, self.run.verdict = judge(self.run, self.best_loss, self.scale)
        color = REGIME_COLORS[self.run.regime]
        self.verdict.value = (f"<span style='font-size:1.1em; color:{color}'>"
                              f"<b>lr = {self.run.lr:.3g}</b> &nbsp; {self.run.verdict}</span>")
        self._draw()
        self.image.value = self.fast.png()

    # ---- drawing: the fixed parts once, then only what a run changes --------------------
    def _build_figure(self) -> None:
        self.fig = Figure(figsize=(13, 3.9), dpi=90)
        self.fig.subplots_adjust(left=0.055, right=0.99, bottom=0.13, top=0.82, wspace=0.28)
        self.headline = self.fig.suptitle("", fontsize=14, fontweight="bold")
        ax_surf, ax_loss, ax_fit = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1, 1]})
        self.ax_surf, self.ax_loss, self.ax_fit = ax_surf, ax_loss, ax_fit
        legend = {"loc": "upper right", "fontsize": 9, "framealpha": 1, "fancybox": False}

        # 1. the path of (w, b) on the loss surface
        low = max(self.best_loss * 1.05, 1e-6 * self.L.max())
        levels = np.geomspace(low, self.L.max(), 14)
        ax_surf.contour(self.W, self.B, self.L, levels=levels, cmap="viridis", linewidths=1)
        (self.path_line,) = ax_surf.plot([], [], "-o", color=VERMILLION, ms=3, lw=1.3, label="steps")
        ax_surf.plot(*self.start, "o", color=BLACK, ms=6, label="start")
        ax_surf.plot(self.best_w, self.best_b, "*", color=YELLOW, mec=BLACK, ms=14,
                     label="least squares")
        ax_surf.set_xlim(*self.w_range)
        ax_surf.set_ylim(*self.b_range)
        ax_surf.set_xlabel("w (slope)")
        ax_surf.set_ylabel("b (intercept)")
        ax_surf.set_title("path on the loss surface")
        legends = [ax_surf.legend(**{**legend, "loc": "best"})]  # away from the start and the star

        # 2. the loss curve, on a log scale; its axes change with every run, so they move
        (self.loss_line,) = ax_loss.plot([], [], color=BLUE, lw=2, label="loss")
        ax_loss.set_ylim(1e-3, 1.0)  # any positive range before the log scale is set
        ax_loss.set_yscale("log")
        # (a loss of exactly 0, for data on an exact line, has no place on a log scale)
        self.best_line = ax_loss.axhline(self.best_loss if self.best_loss > 0 else 1.0,
                                         color="gray", ls="--", lw=1.2, label="best possible",
                                         visible=self.best_loss > 0)
        self.blow_up = DivergenceMarker(ax_loss, fontsize=12)
        ax_loss.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
        ax_loss.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
        ax_loss.yaxis.set_minor_locator(NullLocator())
        ax_loss.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        fixed_axis_titles(ax_loss, "step", "loss (mean squared error)", y_offset=40)
        ax_loss.set_title("the loss curve")
        legends.append(ax_loss.legend(**{**legend, "loc": "lower left"}))

        # 3. the data and the line after the last step
        ax_fit.scatter(self.x, self.y, s=22, color="#374151", zorder=3, label="data")
        self.x_grid = np.linspace(self.x.min() - 0.2 * np.ptp(self.x), self.x.max() + 0.2 * np.ptp(self.x), 2)
        ax_fit.plot(self.x_grid, self.best_w * self.x_grid + self.best_b, "--", color="gray",
                    lw=1.2, label="least squares")
        (self.fit_line,) = ax_fit.plot([], [], color=VERMILLION, lw=2, label="after the last step")
        span = np.ptp(self.y) or 1.0
        ax_fit.set_xlim(self.x_grid[0], self.x_grid[1])
        ax_fit.set_ylim(self.y.min() - 0.3 * span, self.y.max() + 0.3 * span)
        ax_fit.set_xlabel("x")
        ax_fit.set_ylabel("y")
        legends.append(ax_fit.legend(**{**legend, "loc": "upper left"}))

        self.fast = FastFigure(self.fig, [
            self.path_line, self.best_line, self.loss_line, *self.blow_up.artists, self.fit_line,
            ax_fit.title, self.headline], overlays=legends,
            cached=[(ax_loss.xaxis, ax_loss.get_xlim), (ax_loss.yaxis, ax_loss.get_ylim)])

    def _draw(self) -> None:
        run = self.run
        path = np.array(run.path)
        self.path_line.set_data(path[:, 0], path[:, 1])

        self.loss_line.set_data(np.arange(1, len(run.losses) + 1), run.losses)
        self.ax_loss.set_xlim(0, run.steps + 1)
        shown = [v for v in run.losses if v > 0] + ([self.best_loss] if self.best_loss > 0 else [])
        shown = shown or [1e-12, 1.0]   # an exact line from an exact start: nothing to show
        # whole decades at both ends: few different axes, each drawn once
        low = 10.0 ** math.floor(math.log10(min(shown) / 1.6))
        self.ax_loss.set_ylim(low, 10.0 ** math.ceil(math.log10(max(max(shown) * 1.6, 10 * low))))
        self.blow_up.show(run.diverged_at, run.steps)
        self.headline.set_text(f"learning rate {run.lr:.3g}, {run.steps} steps: {run.regime}")
        self.headline.set_color(REGIME_COLORS[run.regime])

        self.fit_line.set_data(self.x_grid, run.w * self.x_grid + run.b)
        self.ax_fit.set_title(f"after {len(run.path) - 1} steps: w = {_short(run.w)}, b = {_short(run.b)}")

    def snapshot(self) -> dict[str, str]:
        # the PNG that update() just drew
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
