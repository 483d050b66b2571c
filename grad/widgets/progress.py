"""Live loss curves for training loops: the plot redraws while the cell runs."""
from __future__ import annotations

import math
import time
from typing import Optional, Sequence

import matplotlib.pyplot as plt


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
        names = list(names)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"a live plot needs distinct curve names, got {names!r}")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 1):
            raise ValueError(f"total must be a whole number of at least 1, got {total!r}")
        self.names, self.total, self.title, self.ylabel = names, total, title, ylabel
        self.logy, self.interval, self.ylim = logy, interval, ylim
        self.curves: dict[str, list[float]] = {n: [] for n in names}
        self.fig, self.ax = plt.subplots(figsize=figsize)
        colors = colors or {}
        self.lines = {n: self.ax.plot([], [], color=colors.get(n), lw=2, label=n)[0] for n in names}
        self.ax.set_xlim(0, total or 1)
        self.ax.set_xlabel("step")
        self.ax.set_ylabel(ylabel)
        self.ax.grid(alpha=0.3)
        self._draw()
        self.fig.tight_layout()  # once: the layout does not change while the lines grow
        try:
            from IPython.display import display
            self._handle = display(self.fig, display_id=True)  # None outside IPython
        except ImportError:
            self._handle = None
        self._next_draw = time.perf_counter() + interval

    @property
    def losses(self) -> dict[str, list[float]]:
        """Every curve's losses so far, by name."""
        return self.curves

    def update(self, name: str, loss: float) -> None:
        """Record the next loss of curve `name`; redraw if it is time to."""
        if name not in self.curves:
            raise KeyError(f"unknown curve {name!r}; this plot has {self.names}")
        self.curves[name].append(float(loss))
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
        for name, line in self.lines.items():
            ys = self.curves[name]
            line.set_data(range(1, len(ys) + 1), ys)
            line.set_label(f"{name}: {ys[-1]:.4f}" if ys else name)
        values = [v for ys in self.curves.values() for v in ys if math.isfinite(v)]
        if self.logy and values and min(values) > 0:
            ax.set_yscale("log")
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
            live.update(loss.data)
        live.done()
    """

    def __init__(self, total: Optional[int] = None, title: str = "training", ylabel: str = "loss",
                 logy: bool = False, interval: float = 0.5, figsize: tuple[float, float] = (6.4, 3.2)):
        super().__init__([ylabel], total, title, ylabel, logy, interval,
                         colors={ylabel: "tab:blue"}, figsize=figsize)

    @property
    def losses(self) -> list[float]:
        return self.curves[self.ylabel]

    def update(self, loss: float) -> None:  # type: ignore[override]
        """Record one step's loss; redraw if it is time to."""
        super().update(self.ylabel, loss)

    def _status(self) -> str:
        last = f", {self.ylabel} {self.losses[-1]:.4f}" if self.losses else ""
        return super()._status() + last
