"""How many hidden units does a curve need? A slider over the width of a one-hidden-layer net.

    from grad.widgets.hidden_units import HiddenUnitsExplorer
    HiddenUnitsExplorer()                                  # fits y = sin(2x + 0.5)
    HiddenUnitsExplorer(target=lambda x: abs(x) - 1)       # or any curve you like

Each position of the slider trains `MLP(1, [n, 1], activation='tanh')` on a few points of
the curve by plain gradient descent (full batch, mean squared error), the loop of
notebook 06, and draws the fit next to what each hidden unit adds to it. The network
starts from the weights `grad.nn.MLP` draws; the training itself runs on NumPy arrays
(`ArrayMLP`: the same arithmetic for all points at once, the same numbers as
`grad.Value` to rounding), so a new width answers at once.
"""
from __future__ import annotations

import base64
import math
import numbers
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from grad.nn import MLP
from grad.viz import use_course_style
from grad.widgets._arrays import ArrayMLP
from grad.widgets.base import (BLACK, BLUE, BLUISH_GREEN, GREY, ORANGE, REDDISH_PURPLE, SKY_BLUE,
                               TEXT_RED, VERMILLION, Explorer, FastFigure)

BLOW_UP = 1e6        # a loss this many times the starting loss counts as diverged
MAX_UNITS = 100      # the widest network the slider offers
MAX_STEPS = 10_000   # training steps per width, at most
MAX_POINTS = 1_000   # training points, at most
UNIT_COLORS = (BLUE, ORANGE, BLUISH_GREEN, REDDISH_PURPLE, SKY_BLUE, BLACK)  # the sum: vermillion


def wave(x: float) -> float:
    """The default curve, sin(2x + 0.5): on [-2, 2] it goes down, up and down again."""
    return math.sin(2 * x + 0.5)


@dataclass
class Fit:
    """A trained `MLP(1, [units, 1])` and its loss before each step and after the last.

    When training diverged (the loss overflowed or grew past BLOW_UP times its start),
    `diverged_at` is that step (1-based), `losses` holds only the finite losses before
    it, and `model` has the last weights whose loss was finite.
    """
    units: int
    model: MLP
    losses: list[float]
    milliseconds: float
    diverged_at: Optional[int] = None

    @property
    def loss(self) -> float:
        """The last finite loss (NaN if even the first one overflowed)."""
        return self.losses[-1] if self.losses else math.nan


def fit_curve(xs: Sequence[float], ys: Sequence[float], units: int, steps: int = 400,
              lr: float = 0.1, seed: int = 0) -> Fit:
    """Train `MLP(1, [units, 1], activation='tanh')` on the points (xs, ys).

    Plain full-batch gradient descent on the mean squared error, computed on NumPy arrays
    (`ArrayMLP`) with the numbers notebook 06's `grad.Value` loop gives. The weights come
    from `random.seed(seed)`; the caller's random state is restored afterwards; the
    returned `Fit.model` holds the trained weights. Never raises on divergence: see
    `Fit.diverged_at`.
    """
    if len(xs) != len(ys) or not len(xs):
        raise ValueError(f"xs and ys must be non-empty and equally long, got {len(xs)} and {len(ys)}")
    state = random.getstate()
    random.seed(seed)
    try:
        model = MLP(1, [units, 1], activation="tanh")
    finally:
        random.setstate(state)
    net = ArrayMLP(model)
    X = np.asarray(xs, dtype=float).reshape(-1, 1)
    Y = np.asarray(ys, dtype=float).reshape(-1, 1)
    start = time.perf_counter()
    losses: list[float] = []
    diverged_at = None
    weights = net.weights            # every weight and bias, one flat array
    kept = weights.data
    with np.errstate(all="ignore"):  # an overflow is caught below, as divergence
        for step in range(1, steps + 2):
            residual = net(X) - Y                               # forward
            loss = float(np.mean(residual ** 2))
            if not math.isfinite(loss) or (losses and loss > BLOW_UP * losses[0]):
                diverged_at = step
                break
            losses.append(loss)
            kept = weights.data
            if step > steps:
                break                                           # the loss of the final weights
            net.backward(2 * residual / len(X))                 # backward
            weights.data = weights.data - lr * weights.grad     # update
    weights.data = kept
    net.copy_to(model)
    return Fit(units, model, losses, 1000 * (time.perf_counter() - start), diverged_at)


def unit_contributions(model: MLP, grid: np.ndarray) -> tuple[np.ndarray, float]:
    """What each hidden unit adds to the output of an `MLP(1, [n, 1])` with tanh units.

    Returns an array of shape (n, len(grid)), row j being v_j * tanh(w_j * x + b_j), and
    the output bias c: the network's output is the sum of the rows plus c.
    """
    hidden, out = model.layers[0].neurons, model.layers[-1].neurons[0]
    w = np.array([n.w[0].data for n in hidden])
    b = np.array([n.b.data for n in hidden])
    v = np.array([wi.data for wi in out.w])
    return v[:, None] * np.tanh(np.outer(w, grid) + b[:, None]), out.b.data


def _whole(value: object, name: str, low: int, high: Optional[int] = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__}: {value!r}")
    if value < low or (high is not None and value > high):
        allowed = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return int(value)


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _curve(target: Callable[[float], float], x: float) -> float:
    """target(x) as a float; NaN where the curve is not defined (it raises or is not real)."""
    try:
        with np.errstate(all="ignore"):
            y = target(x)
    except (ArithmeticError, ValueError):
        return math.nan
    if isinstance(y, complex) or np.iscomplexobj(y):
        return math.nan
    try:
        y = float(y)
    except (TypeError, ValueError):
        raise TypeError(f"target must return a number, target({x!r}) returned "
                        f"{type(y).__name__}: {y!r}") from None
    return y if math.isfinite(y) else math.nan


class HiddenUnitsExplorer(Explorer):
    """A slider over the number of tanh units in one hidden layer, fitting a 1-D curve.

    Left: the training points, the true curve and the trained network's fit. Right
    (the check box): each hidden unit's contribution v_j * tanh(w_j x + b_j), a soft step,
    and their sum, which is the fit. The text line gives the final loss, or says that
    training diverged (too large a learning rate for this width) and at which step.

    Fits are trained the first time a width is shown and cached, so going back is
    instant; `continuous_update=False` trains only when the slider is released.
    Speed (p95 on a 2-core machine, from make bench): a move answers in 105 to 125 ms over
    both controls' whole ranges (a new width trains in 30 to 50 ms), and the widget builds
    in about 0.45 s; up to twice that while other programs keep the machine busy.

    Controls: `slider` (hidden units), `show_units` (check box), `update()` redraws;
    `fit(n)` returns the cached `Fit`; `figure` is the figure shown (one or two panels),
    `text` the HTML line, `image` the PNG.
    """

    def __init__(self, units: int = 3, max_units: int = 12,
                 target: Callable[[float], float] = wave,
                 x_range: tuple[float, float] = (-2.0, 2.0), points: int = 15,
                 steps: int = 400, lr: float = 0.1, seed: int = 0, show_units: bool = True):
        max_units = _whole(max_units, "max_units", 1, MAX_UNITS)
        units = _whole(units, "units", 1, max_units)
        self.points = _whole(points, "points", 2, MAX_POINTS)
        self.steps = _whole(steps, "steps", 0, MAX_STEPS)
        self.seed = _whole(seed, "seed", -2**63, 2**63)
        if not callable(target):
            raise TypeError(f"target must be a function of x, got {type(target).__name__}")
        try:
            lo, hi = (_finite(v, "each end of x_range") for v in x_range)
        except TypeError:
            raise TypeError(f"x_range must be two numbers (low, high), got {x_range!r}") from None
        if not lo < hi:
            raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
        lr = _finite(lr, "lr")
        if not lr > 0:
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        if not isinstance(show_units, bool):
            raise TypeError(f"show_units must be True or False, got {show_units!r}")
        self.lr, self.target, self.x_range = lr, target, (lo, hi)
        self.xs = [float(x) for x in np.linspace(lo, hi, self.points)]
        self.ys = [_curve(target, x) for x in self.xs]
        bad = [x for x, y in zip(self.xs, self.ys) if not math.isfinite(y)]
        if bad:
            raise ValueError(f"target must give a finite number at every training point; "
                             f"at x = {bad[0]:g} it does not (choose an x_range where the "
                             "curve is defined)")
        pad = 0.05 * (hi - lo)
        self.grid = np.linspace(lo - pad, hi + pad, 200)
        self.true_curve = np.array([_curve(target, float(x)) for x in self.grid])
        self._fits: dict[int, Fit] = {}
        self._figures: dict[bool, tuple] = {}

        self.slider = widgets.IntSlider(value=units, min=1, max=max_units, step=1,
                                        description="hidden units", continuous_update=False,
                                        style={"description_width": "initial"})
        self.show_units = widgets.Checkbox(value=show_units, indent=False,
                                           description="show what each unit adds")
        self.text = widgets.HTML()
        self.image = widgets.Image(format="png",  # shrinks to fit a narrow notebook
                                   layout=widgets.Layout(max_width="100%", height="auto"))
        self.slider.observe(self.update, names="value")
        self.show_units.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.slider, self.show_units]), self.text, self.image])
        self.update()
        self._draw(self.fit(units), not show_units)  # the other layout's fixed parts, drawn now

    def fit(self, units: int) -> Fit:
        """The network with `units` hidden units, trained on first use and then cached."""
        units = _whole(units, "units", 1, self.slider.max)
        if units not in self._fits:
            self._fits[units] = fit_curve(self.xs, self.ys, units, self.steps, self.lr, self.seed)
        return self._fits[units]

    @property
    def figure(self) -> Figure:
        return self._panels(self.show_units.value)["fast"].fig

    def update(self, change: object = None) -> None:
        """Train (if needed) for the slider's width and redraw the figure and the text."""
        fit = self.fit(self.slider.value)
        n = fit.units
        self.image.value = self._draw(fit, self.show_units.value)
        params = 3 * n + 1
        head = f"<b>{n}</b> hidden unit{'s' if n != 1 else ''} ({params} parameters), "
        if fit.diverged_at is not None:
            self.text.value = (head + f"<span style='color:{TEXT_RED}'><b>diverged</b> at step "
                               f"{fit.diverged_at} of {self.steps}: the loss blew up (learning "
                               f"rate {self.lr:g} is too large for {n} units; each unit adds "
                               "to the output, so wider networks need smaller steps)</span>")
            return
        text = head + f"{self.steps} steps of gradient descent: loss <b>{fit.loss:.4f}</b>"
        if fit.loss > fit.losses[0]:
            text += (f" <span style='color:{TEXT_RED}'>(higher than before training, "
                     f"{fit.losses[0]:.4f}: the learning rate is too large for this width)</span>")
        self.text.value = text

    # ---- drawing: one figure per layout, its fixed parts drawn once -----------------------
    def _panels(self, both: bool) -> dict:
        if both not in self._figures:
            self._figures[both] = self._build(both)
        return self._figures[both]

    def _build(self, both: bool) -> dict:
        with mpl.rc_context():
            use_course_style()
            fig = Figure(figsize=(11.5, 4.0) if both else (6.4, 4.0), dpi=90)
            axes = fig.subplots(1, 2 if both else 1, sharey=both, squeeze=False)[0]
            ax = axes[0]
            ax.plot(self.grid, self.true_curve, "--", color="0.55", lw=1.5, label="true curve")
            ax.plot(self.xs, self.ys, "o", color=BLACK, ms=6, label="training points")
            (network,) = ax.plot([], [], color=VERMILLION, lw=2.5, label="network")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            legends = [ax.legend(loc="best", fontsize=10, framealpha=1, fancybox=False)]
            for a in axes:
                a.set_xlim(self.grid[0], self.grid[-1])
            # a diverged run is said in the empty panel (the right one, if shown)
            note = axes[-1].text(0.5, 0.5, "", transform=axes[-1].transAxes, ha="center",
                                 va="center", color=TEXT_RED, fontsize=12,
                                 bbox={"facecolor": "white", "edgecolor": VERMILLION, "pad": 6,
                                       "alpha": 0.9})
            moving = [network, ax.title, note]
            parts = {"network": network, "note": note, "axes": list(axes), "units": [],
                     "sum": None, "bias": None}
            if both:
                ax = axes[1]
                # the units told apart by colour and, past six, by line style as well
                parts["units"] = [ax.plot([], [], color=UNIT_COLORS[j % len(UNIT_COLORS)],
                                          ls=("-", "--", ":", "-.")[j // len(UNIT_COLORS) % 4],
                                          lw=1.4, alpha=0.9)[0]
                                  for j in range(self.slider.max)]
                parts["bias"] = ax.axhline(0, color=GREY, lw=1, ls=":", label="output bias c")
                (parts["sum"],) = ax.plot([], [], color=VERMILLION, lw=2.5, label="sum + c = network")
                ax.plot([], [], color="0.4", lw=1.3, label="one unit: v tanh(wx + b)")
                ax.set_title("each unit adds a soft step v·tanh(wx + b)")
                ax.set_xlabel("x")
                legends.append(ax.legend(loc="lower right", fontsize=9, framealpha=1, fancybox=False))
                moving += [*parts["units"], parts["bias"], parts["sum"]]
            # fixed margins instead of tight_layout: drawing once, not twice, halves the time
            if both:
                fig.subplots_adjust(left=0.065, right=0.985, bottom=0.14, top=0.9, wspace=0.08)
            else:
                fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.9)
            parts["fast"] = FastFigure(fig, moving, overlays=legends)  # legends over the lines
            parts["title_size"] = mpl.rcParams["axes.titlesize"]
        return parts

    def _y_limits(self, values: list[np.ndarray]) -> tuple[int, tuple[float, float]]:
        """The curve's own range with a margin, doubled as often as the drawing needs.

        Few distinct ranges means few backgrounds to draw; the number of doublings is the key.
        """
        ys = np.array(self.ys)
        low, high = float(ys.min()), float(ys.max())
        centre, half = (low + high) / 2, 0.6 * (high - low or 1.0)
        need = max([float(np.max(np.abs(v - centre))) for v in values if v.size] + [half])
        doublings = max(0, math.ceil(math.log2(need / half))) if math.isfinite(need) else 0
        doublings = min(doublings, 40)
        half *= 2.0 ** doublings
        return doublings, (centre - half, centre + half)

    def _draw(self, fit: Fit, both: bool) -> bytes:
        parts = self._panels(both)
        n = fit.units
        s = "s" if n != 1 else ""
        ax = parts["axes"][0]
        contributions, bias = unit_contributions(fit.model, self.grid)
        y_fit = contributions.sum(axis=0) + bias
        diverged = fit.diverged_at is not None
        shown = [] if diverged else [y_fit] + ([contributions.ravel()] if both else [])
        key, limits = self._y_limits(shown)
        ax.set_ylim(*limits)
        parts["network"].set_data(self.grid, y_fit)
        parts["network"].set_visible(not diverged)
        parts["note"].set_visible(diverged)
        if diverged:
            parts["note"].set_text(f"training diverged at step {fit.diverged_at}:\n"
                                   f"learning rate {self.lr:g} is too large\nfor {n} units")
            ax.set_title(f"{n} hidden unit{s}: diverged", fontsize=parts["title_size"])
        else:
            ax.set_title(f"{n} hidden unit{s}: loss {fit.loss:.4f}", fontsize=parts["title_size"])
        if both:
            for j, line in enumerate(parts["units"]):
                line.set_visible(j < n and not diverged)
                if j < n:
                    line.set_data(self.grid, contributions[j])
            parts["bias"].set_ydata([bias, bias])
            parts["bias"].set_visible(not diverged)
            parts["sum"].set_data(self.grid, y_fit)
            parts["sum"].set_visible(not diverged)
        return parts["fast"].png(key)

    def snapshot(self) -> dict[str, str]:
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
