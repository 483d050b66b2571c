"""A live loss curve for training loops: the plot redraws while the cell runs."""
from __future__ import annotations

import time
from typing import Optional

import matplotlib.pyplot as plt
from IPython.display import display


class LiveLoss:
    """Show training progress as a loss curve that redraws in place.

        live = LiveLoss(total=200)
        for step in range(200):
            ...
            live.update(loss.data)
        live.done()

    It redraws at most every `interval` seconds, and never spends more than about a
    fifth of the time on drawing (slow redraws space themselves out), so it costs
    little however short the steps are. It updates one display in place, so the
    notebook keeps one figure, whose final state is what a saved notebook shows.
    """

    def __init__(self, total: Optional[int] = None, title: str = "training",
                 ylabel: str = "loss", logy: bool = False, interval: float = 0.5,
                 figsize: tuple[float, float] = (6.4, 3.2)):
        self.total, self.title, self.ylabel, self.logy = total, title, ylabel, logy
        self.interval = interval
        self.losses: list[float] = []
        self.fig, self.ax = plt.subplots(figsize=figsize)
        (self.line,) = self.ax.plot([], [], color="tab:blue", lw=2)
        self.ax.set_xlabel("step")
        self.ax.set_ylabel(ylabel)
        self.ax.grid(alpha=0.3)
        self.ax.set_xlim(0, total or 1)
        self._draw()
        self.fig.tight_layout()
        self._handle = display(self.fig, display_id=True)
        self._next_draw = time.perf_counter() + interval

    def _draw(self) -> None:
        n = len(self.losses)
        self.line.set_data(range(1, n + 1), self.losses)
        if n:
            if self.logy and min(self.losses) > 0:
                self.ax.set_yscale("log")
            self.ax.relim()
            self.ax.autoscale_view()
            if not self.total:
                self.ax.set_xlim(0, max(n, 1))
        status = f"step {n}" + (f" of {self.total}" if self.total else "")
        if n:
            status += f", {self.ylabel} {self.losses[-1]:.4f}"
        self.ax.set_title(f"{self.title}: {status}")

    def update(self, loss: float) -> None:
        """Record one step's loss; redraw if it is time to."""
        self.losses.append(float(loss))
        if time.perf_counter() >= self._next_draw:
            self._redraw()

    def done(self) -> None:
        """Draw the final curve and release the figure."""
        self._redraw()
        plt.close(self.fig)

    def _redraw(self) -> None:
        start = time.perf_counter()
        self._draw()
        if self._handle is not None:  # None outside IPython: nothing to update
            self._handle.update(self.fig)
        cost = time.perf_counter() - start
        self._next_draw = time.perf_counter() + max(self.interval, 4 * cost)
