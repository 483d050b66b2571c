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

    Redraws at most every `interval` seconds (and once at the end), so it costs little
    however short the steps are. It updates one display in place, so the notebook
    keeps one figure, whose final state is what a saved notebook shows.
    """

    def __init__(self, total: Optional[int] = None, title: str = "training",
                 ylabel: str = "loss", logy: bool = False, interval: float = 0.5,
                 figsize: tuple[float, float] = (6.4, 3.2)):
        self.total, self.title, self.logy, self.interval = total, title, logy, interval
        self.losses: list[float] = []
        self.fig, self.ax = plt.subplots(figsize=figsize)
        self.ylabel = ylabel
        self._last_draw = 0.0
        self._draw()
        self._handle = display(self.fig, display_id=True)
        self._last_draw = time.perf_counter()

    def _draw(self) -> None:
        ax = self.ax
        ax.clear()
        steps = range(1, len(self.losses) + 1)
        ax.plot(steps, self.losses, color="tab:blue", lw=2)
        ax.set_xlabel("step")
        ax.set_ylabel(self.ylabel)
        if self.logy and self.losses and min(self.losses) > 0:
            ax.set_yscale("log")
        if self.total:
            ax.set_xlim(0, self.total)
        status = f"step {len(self.losses)}" + (f" of {self.total}" if self.total else "")
        if self.losses:
            status += f", {self.ylabel} {self.losses[-1]:.4f}"
        ax.set_title(f"{self.title}: {status}")
        ax.grid(alpha=0.3)
        self.fig.tight_layout()

    def update(self, loss: float) -> None:
        """Record one step's loss; redraw if enough time has passed."""
        self.losses.append(float(loss))
        if time.perf_counter() - self._last_draw >= self.interval:
            self._redraw()

    def done(self) -> None:
        """Draw the final curve and release the figure."""
        self._redraw()
        plt.close(self.fig)

    def _redraw(self) -> None:
        self._draw()
        if self._handle is not None:  # None outside IPython: nothing to update
            self._handle.update(self.fig)
        self._last_draw = time.perf_counter()
