"""How many hidden units does a curve need? A slider over the width of a one-hidden-layer net.

    from grad.widgets.hidden_units import HiddenUnitsExplorer
    HiddenUnitsExplorer()                                  # fits y = sin(2x + 0.5)
    HiddenUnitsExplorer(target=lambda x: abs(x) - 1)       # or any curve you like

Each position of the slider trains `MLP(1, [n, 1], activation='tanh')` on a few points of
the curve by plain gradient descent (full batch, mean squared error), the same loop as in
notebook 06, and draws the fit next to what each hidden unit adds to it.
"""
from __future__ import annotations

import base64
import io
import math
import numbers
import random
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from grad.nn import MLP
from grad.viz import use_course_style
from grad.widgets.base import Explorer


def wave(x: float) -> float:
    """The default curve, sin(2x + 0.5): on [-2, 2] it goes down, up and down again."""
    return math.sin(2 * x + 0.5)


@dataclass
class Fit:
    """A trained `MLP(1, [units, 1])` and its loss before each step and after the last."""
    units: int
    model: MLP
    losses: list[float]
    milliseconds: float

    @property
    def loss(self) -> float:
        return self.losses[-1]


def _mse(model: MLP, xs: Sequence[float], ys: Sequence[float]):
    preds = [model([x]) for x in xs]
    return sum((p - y) ** 2 for p, y in zip(preds, ys)) / len(xs)


def fit_curve(xs: Sequence[float], ys: Sequence[float], units: int, steps: int = 400,
              lr: float = 0.1, seed: int = 0) -> Fit:
    """Train `MLP(1, [units, 1], activation='tanh')` on the points (xs, ys).

    Plain full-batch gradient descent on the mean squared error. The weights come from
    `random.seed(seed)`; the caller's random state is restored afterwards.
    """
    if len(xs) != len(ys) or not xs:
        raise ValueError(f"xs and ys must be non-empty and equally long, got {len(xs)} and {len(ys)}")
    state = random.getstate()
    random.seed(seed)
    try:
        model = MLP(1, [units, 1], activation="tanh")
    finally:
        random.setstate(state)
    start = time.perf_counter()
    losses = []
    for _ in range(steps):
        loss = _mse(model, xs, ys)          # forward
        model.zero_grad()
        loss.backward()                     # backward
        for p in model.parameters():        # update
            p.data -= lr * p.grad
        losses.append(loss.data)
    losses.append(_mse(model, xs, ys).data)  # the loss of the final weights
    return Fit(units, model, losses, 1000 * (time.perf_counter() - start))


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


def _whole(value: object, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__}: {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value}")
    return int(value)


class HiddenUnitsExplorer(Explorer):
    """A slider over the number of tanh units in one hidden layer, fitting a 1-D curve.

    Left: the training points, the true curve and the trained network's fit. Right
    (the check box): each hidden unit's contribution v_j * tanh(w_j x + b_j), a soft step,
    and their sum, which is the fit. The text line gives the final loss.

    Fits are trained the first time a width is shown and cached, so going back is
    instant; `continuous_update=False` trains only when the slider is released.
    Measured on a 2-core machine (15 points, 400 steps): the first visit to a width trains
    and draws in about 170 ms (1 unit) to 400 ms (12 units); a width seen before redraws
    in about 100 ms, and so does the check box.

    Controls: `slider` (hidden units), `show_units` (check box), `update()` redraws;
    `fit(n)` returns the cached `Fit`, `figure` is the current figure, `text` the HTML line.
    """

    def __init__(self, units: int = 3, max_units: int = 12,
                 target: Callable[[float], float] = wave,
                 x_range: tuple[float, float] = (-2.0, 2.0), points: int = 15,
                 steps: int = 400, lr: float = 0.1, seed: int = 0, show_units: bool = True):
        max_units = _whole(max_units, "max_units", 1)
        units = _whole(units, "units", 1)
        if units > max_units:
            raise ValueError(f"units ({units}) must be at most max_units ({max_units})")
        self.points = _whole(points, "points", 2)
        self.steps = _whole(steps, "steps", 0)
        if not callable(target):
            raise TypeError(f"target must be a function of x, got {type(target).__name__}")
        lo, hi = (float(v) for v in x_range)
        if not lo < hi:
            raise ValueError(f"x_range must be (low, high) with low < high, got {x_range!r}")
        if not (isinstance(lr, numbers.Real) and lr > 0):
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        self.lr, self.seed, self.target, self.x_range = float(lr), seed, target, (lo, hi)
        self.xs = [float(x) for x in np.linspace(lo, hi, self.points)]
        self.ys = [float(target(x)) for x in self.xs]
        self._fits: dict[int, Fit] = {}
        self.figure: Figure | None = None

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

    def fit(self, units: int) -> Fit:
        """The network with `units` hidden units, trained on first use and then cached."""
        units = _whole(units, "units", 1)
        if units not in self._fits:
            self._fits[units] = fit_curve(self.xs, self.ys, units, self.steps, self.lr, self.seed)
        return self._fits[units]

    def update(self, change: object = None) -> None:
        """Train (if needed) for the slider's width and redraw the figure and the text."""
        fit = self.fit(self.slider.value)
        n = fit.units
        self.figure = self._draw(fit)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()
        params = len(fit.model.parameters())
        self.text.value = (f"<b>{n}</b> hidden unit{'s' if n != 1 else ''} ({params} parameters), "
                           f"{self.steps} steps of gradient descent: loss "
                           f"<b>{fit.loss:.4f}</b>")

    def _draw(self, fit: Fit) -> Figure:
        lo, hi = self.x_range
        pad = 0.05 * (hi - lo)
        grid = np.linspace(lo - pad, hi + pad, 200)
        contributions, bias = unit_contributions(fit.model, grid)
        y_fit = contributions.sum(axis=0) + bias
        with mpl.rc_context():
            use_course_style()
            both = self.show_units.value
            fig = Figure(figsize=(11.5, 4.0) if both else (6.4, 4.0))
            axes = fig.subplots(1, 2 if both else 1, sharey=both, squeeze=False)[0]
            ax = axes[0]
            ax.plot(grid, [self.target(x) for x in grid], "--", color="0.6", lw=1.5,
                    label="true curve")
            ax.plot(self.xs, self.ys, "o", color="black", ms=6, label="training points")
            ax.plot(grid, y_fit, color="tab:red", lw=2.5, label="network")
            s = "s" if fit.units != 1 else ""
            ax.set_title(f"{fit.units} hidden unit{s}: loss {fit.loss:.4f}")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
            ax.legend(loc="best", fontsize=10)
            if both:
                ax = axes[1]
                colors = mpl.colormaps["tab10"] if fit.units <= 10 else mpl.colormaps["tab20"]
                for j, row in enumerate(contributions):
                    ax.plot(grid, row, color=colors(j), lw=1.3, alpha=0.9)
                ax.axhline(bias, color="0.4", lw=1, ls=":", label=f"output bias {bias:.2f}")
                ax.plot(grid, y_fit, color="tab:red", lw=2.5, label="sum = network")
                ax.set_title("each unit adds a soft step $v\\,\\tanh(wx+b)$")
                ax.set_xlabel("x")
                ax.legend(loc="best", fontsize=10)
            lows = [min(self.ys), y_fit.min()] + ([contributions.min()] if both else [])
            highs = [max(self.ys), y_fit.max()] + ([contributions.max()] if both else [])
            low, high = min(lows), max(highs)
            margin = 0.1 * (high - low or 1.0)
            axes[0].set_ylim(low - margin, high + margin)
            # fixed margins instead of tight_layout: drawing once, not twice, halves the time
            if both:
                fig.subplots_adjust(left=0.065, right=0.985, bottom=0.14, top=0.9, wspace=0.08)
            else:
                fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.9)
        return fig

    def snapshot(self) -> dict[str, str]:
        return {"image/png": base64.b64encode(self.image.value).decode("ascii")}
