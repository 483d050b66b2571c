"""Live loss curves for training loops: the plot redraws while the cell runs."""
from __future__ import annotations

import math
import numbers
import time
from typing import Optional, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import is_color_like

from grad.widgets.base import (BLACK, BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE,
                               TEXT_RED, VERMILLION)

# several curves: colour-blind-safe colours, and a line style each as a second cue
CURVE_COLORS = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, BLACK)
CURVE_STYLES = ("-", "--", "-.", ":")


def loss_number(loss: object) -> float:
    """The number to plot for `loss`: a float, or the `.data` of a Value (or of a one-entry
    Tensor). NaN and infinity are kept: the plot says that the loss is not finite."""
    data = loss
    if not isinstance(loss, (numbers.Real, np.generic, np.ndarray)):
        data = getattr(loss, "data", loss)  # a Value, or a Tensor
    if isinstance(data, np.ndarray) and data.size == 1:
        data = data.reshape(())[()]
    if isinstance(data, bool) or not isinstance(data, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"a loss must be a number (or a Value, whose .data is used), got "
                        f"{type(loss).__name__}: {loss!r}")
    return float(data)


class LiveRace:
    """A loss plot with one curve per name, redrawn in place while a cell runs.

        race = LiveRace(["SGD", "Adam"], total=50)
        for step in range(50):
            for name in ...:
                ...
                race.update(name, loss.data)
        race.done()

    It redraws at most every `interval` seconds, and never spends more than about a fifth
    of the time drawing (slow redraws space themselves out); a redraw only moves data into
    existing lines. It updates one display in place, so the notebook keeps one figure,
    whose final state is what a saved notebook shows. `ylim` fixes the vertical range (a
    curve that leaves it is cut off); `colors` maps names to colours.
    """

    def __init__(self, names: Sequence[str], total: Optional[int] = None, title: str = "race",
                 ylabel: str = "loss", logy: bool = False, interval: float = 0.5,
                 colors: Optional[dict] = None, ylim: Optional[tuple[float, float]] = None,
                 figsize: tuple[float, float] = (6.4, 3.2)):
        if isinstance(names, str):
            raise TypeError(f"names must be a list of curve names, e.g. ['SGD', 'Adam'], got {names!r}")
        names = list(names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a live plot needs distinct curve names, got {names!r}")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 1):
            raise ValueError(f"total must be a whole number of at least 1, got {total!r}")
        if isinstance(interval, bool) or not isinstance(interval, numbers.Real) \
                or not (interval >= 0 and math.isfinite(interval)):
            raise ValueError(f"interval must be a number of seconds >= 0, got {interval!r}")
        if ylim is not None:
            try:
                low, high = (float(v) for v in ylim)
            except (TypeError, ValueError):
                raise TypeError(f"ylim must be two numbers (low, high), got {ylim!r}") from None
            if not (math.isfinite(low) and math.isfinite(high) and low < high) or (logy and low <= 0):
                need = "0 < low < high (a log scale)" if logy else "low < high, both finite"
                raise ValueError(f"ylim must have {need}, got {ylim!r}")
            ylim = (low, high)
        colors = dict(colors or {})
        for name, color in colors.items():
            if not is_color_like(color):
                raise ValueError(f"colors[{name!r}] = {color!r} is not a colour matplotlib knows")
        self.names, self.total, self.title, self.ylabel = names, total, str(title), str(ylabel)
        self.logy, self.interval, self.ylim = bool(logy), float(interval), ylim
        self.curves: dict[str, list[float]] = {n: [] for n in names}
        self.fig, self.ax = plt.subplots(figsize=figsize)
        several = len(names) > 1
        self.lines = {n: self.ax.plot([], [], lw=2, label=str(n),
                                      color=colors.get(n, CURVE_COLORS[i % len(CURVE_COLORS)]),
                                      ls=CURVE_STYLES[i % len(CURVE_STYLES)] if several else "-")[0]
                      for i, n in enumerate(names)}
        self.warning = self.ax.text(0.02, 0.95, "", transform=self.ax.transAxes, va="top",
                                    color=TEXT_RED, fontsize=10,
                                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
        self.ax.set_xlim(0, total or 1)
        self.ax.set_xlabel("step")
        self.ax.set_ylabel(ylabel)
        self.ax.grid(alpha=0.3)
        self._draw()
        # fixed margins (in inches, so any figsize keeps room for the labels): a computed
        # layout would cost one more drawing of the figure
        width, height = self.fig.get_size_inches()
        self.fig.subplots_adjust(left=0.85 / width, right=1 - 0.3 / width,
                                 bottom=0.6 / height, top=1 - 0.4 / height)
        try:
            from IPython import get_ipython
            from IPython.display import display
            # in a notebook: one display, updated in place; in a plain script: none
            self._handle = display(self.fig, display_id=True) if get_ipython() else None
        except ImportError:
            self._handle = None
        self._next_draw = time.perf_counter() + interval

    @property
    def losses(self) -> dict[str, list[float]]:
        """Every curve's losses so far, by name."""
        return self.curves

    def update(self, name: str, loss: float) -> None:
        """Record the next loss of curve `name` (a number or a Value); redraw if it is time to."""
        if name not in self.curves:
            raise KeyError(f"unknown curve {name!r}; this plot has {self.names}")
        self.curves[name].append(loss_number(loss))
        if time.perf_counter() >= self._next_draw:
            self._redraw()

    def done(self) -> None:
        """Draw the final curves and release the figure."""
        self._redraw()
        plt.close(self.fig)

    def _status(self) -> str:
        done = min(len(ys) for ys in self.curves.values())
        return f"step {done}" + (f" of {self.total}" if self.total else "")

    def _draw(self) -> None:
        """Move the data into the lines, rescale, and retitle."""
        ax = self.ax
        broken = []
        for name, line in self.lines.items():
            ys = self.curves[name]
            line.set_data(range(1, len(ys) + 1), ys)
            line.set_label(f"{name}: {ys[-1]:.4f}" if ys else str(name))
            bad = next((k for k, v in enumerate(ys, 1) if not math.isfinite(v)), None)
            if bad is not None:
                what = "NaN (not a number)" if math.isnan(ys[bad - 1]) else "infinite"
                who = f"{name}: " if len(self.lines) > 1 else ""
                broken.append(f"{who}loss {what} at step {bad}: a diverging run, or a log(0) or 0/0 "
                              "in the loss")
        self.warning.set_text("\n".join(broken))
        self.warning.set_visible(bool(broken))
        values = [v for ys in self.curves.values() for v in ys if math.isfinite(v)]
        if self.logy and values and min(values) > 0:
            ax.set_yscale("log")
        if ax.get_yscale() == "log":
            values = [v for v in values if v > 0]  # what a log scale can show
        if self.ylim is not None:
            ax.set_ylim(*self.ylim)
        elif values:
            low, high = min(values), max(values)
            if ax.get_yscale() == "log":
                ax.set_ylim(low / 1.5, high * 1.5)
            else:
                pad = 0.05 * (high - low) or 0.5
                ax.set_ylim(low - pad, high + pad)
        if not self.total:
            ax.set_xlim(0, max(1, max(len(ys) for ys in self.curves.values())))
        ax.set_title(f"{self.title}: {self._status()}")
        if len(self.lines) > 1:
            ax.legend(loc="upper right", fontsize=10)

    def _redraw(self) -> None:
        start = time.perf_counter()
        self._draw()
        if self._handle is not None:
            self._handle.update(self.fig)
        cost = time.perf_counter() - start
        self._next_draw = time.perf_counter() + max(self.interval, 4 * cost)


class LiveLoss(LiveRace):
    """One training loss curve that redraws while the loop runs.

        live = LiveLoss(total=200)
        for step in range(200):
            ...
            live.update(loss)          # a Value, or loss.data
        live.done()

    A loss that turns NaN or infinite is recorded as it is, and the plot says from which
    step (the curve ends where the numbers stop being finite).
    """

    def __init__(self, total: Optional[int] = None, title: str = "training", ylabel: str = "loss",
                 logy: bool = False, interval: float = 0.5, figsize: tuple[float, float] = (6.4, 3.2)):
        super().__init__([ylabel], total, title, ylabel, logy, interval,
                         colors={ylabel: BLUE}, figsize=figsize)

    @property
    def losses(self) -> list[float]:
        return self.curves[self.ylabel]

    def update(self, loss: float) -> None:  # type: ignore[override]
        """Record one step's loss (a number, or a Value: `live.update(loss)` works); redraw if
        it is time to."""
        super().update(self.ylabel, loss)

    def _status(self) -> str:
        last = f", {self.ylabel} {self.losses[-1]:.4f}" if self.losses else ""
        return super()._status() + last
