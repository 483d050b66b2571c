"""The optimizer explorer: SGD, momentum, Nesterov, RMSprop and Adam on 2-D loss surfaces.

Pick a surface (the Rosenbrock valley, a narrow quadratic valley, a saddle), an
optimizer and its settings; the explorer runs `grad.optim` on two `grad.Value`
parameters from the surface's starting point and draws the path over the contour
plot, next to the loss curve. Plain SGD can be overlaid as a faint reference path.

Each surface's map (its contour lines) is drawn once, the first time it is shown; a
move then redraws only the paths, the loss curves and the loss plot's axes.

`LiveRace` is a live loss plot with one curve per contestant, for training several
models side by side in a notebook cell.
"""
from __future__ import annotations

import base64
import math
import numbers
from dataclasses import dataclass, field
from typing import Callable, Optional

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator

from grad import optim
from grad.engine import Value
from grad.viz import power_of_ten
from grad.widgets.base import (BLACK, BLUE, BLUISH_GREEN, GREY, ORANGE, REDDISH_PURPLE, TEXT_RED,
                               YELLOW, DivergenceMarker, Explorer, FastFigure, fixed_axis_titles,
                               grid_lines, place_grid)
from grad.widgets.progress import LiveRace  # noqa: F401 (the race in notebook 09)

OPTIMIZERS = ("SGD", "momentum", "Nesterov", "RMSprop", "Adam")
# Okabe–Ito colours, told apart with every common kind of colour blindness
COLORS = {"SGD": GREY, "momentum": ORANGE, "Nesterov": BLUISH_GREEN,
          "RMSprop": BLUE, "Adam": REDDISH_PURPLE}
BETA2_CHOICES = (0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999)
LR_RANGE = (1e-4, 1.0)          # the learning-rate slider's ends
STEPS_RANGE = (10, 1000, 10)    # the steps slider: from, to, in steps of
BETA_RANGE = (0.0, 0.99)        # momentum and beta1 sliders
ESCAPE = 1e4  # a coordinate beyond this (far outside every window) counts as diverged


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface: f(x, y) works on floats, `Value`s and NumPy arrays alike."""
    name: str
    formula: str                        # how the title writes f (plain text)
    f: Callable
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]
    min_loss: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    log_levels: bool                    # contour levels spaced on a log scale
    lrs: dict                           # a learning rate that works for each optimizer
    steps: int                          # a number of steps that tells the story


SURFACES: dict[str, Surface] = {s.name: s for s in [
    Surface("Rosenbrock", "(1 − x)² + 100 (y − x²)²",
            lambda x, y: (1 - x) ** 2 + 100 * (y - x ** 2) ** 2,
            start=(-1.2, 1.0), minima=((1.0, 1.0),), min_loss=0.0,
            xlim=(-1.7, 1.6), ylim=(-0.7, 1.9), log_levels=True,
            lrs={"SGD": 2e-3, "momentum": 1e-3, "Nesterov": 1e-3, "RMSprop": 1e-2, "Adam": 0.1},
            steps=500),
    Surface("narrow valley", "0.05 x² + 2.5 y²",
            lambda x, y: 0.05 * x ** 2 + 2.5 * y ** 2,
            start=(-9.0, 1.5), minima=((0.0, 0.0),), min_loss=0.0,
            xlim=(-10.0, 3.0), ylim=(-2.5, 2.5), log_levels=False,
            lrs={"SGD": 0.35, "momentum": 0.1, "Nesterov": 0.1, "RMSprop": 0.1, "Adam": 0.3},
            steps=60),
    Surface("saddle", "x² − y² + y⁴/2",
            lambda x, y: x ** 2 - y ** 2 + 0.5 * y ** 4,
            start=(1.5, 0.00001), minima=((0.0, 1.0), (0.0, -1.0)), min_loss=-0.5,
            xlim=(-2.0, 2.0), ylim=(-1.7, 1.7), log_levels=False,
            lrs={"SGD": 0.05, "momentum": 0.05, "Nesterov": 0.05, "RMSprop": 0.05, "Adam": 0.05},
            steps=150),
]}


def make_optimizer(name: str, params: list, lr: float, momentum: float = 0.9,
                   betas: tuple[float, float] = (0.9, 0.999)) -> optim.Optimizer:
    """One of OPTIMIZERS from `grad.optim`. RMSprop uses betas[1] as its `alpha`.

    Nesterov with zero momentum is plain SGD (PyTorch refuses that combination).
    """
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=momentum)
    if name == "Nesterov":
        return optim.SGD(params, lr=lr, momentum=momentum, nesterov=momentum > 0)
    if name == "RMSprop":
        return optim.RMSprop(params, lr=lr, alpha=betas[1])
    if name == "Adam":
        return optim.Adam(params, lr=lr, betas=betas)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


@dataclass
class Trajectory:
    """Where an optimizer went: the points visited (start first) and the loss at each."""
    path: np.ndarray                     # shape (k + 1, 2)
    losses: list[float] = field(default_factory=list)   # f at each point of the path
    diverged_at: Optional[int] = None    # the step that left the map or overflowed

    @property
    def point(self) -> tuple[float, float]:
        return float(self.path[-1, 0]), float(self.path[-1, 1])

    @property
    def loss(self) -> float:
        return self.losses[-1]


def trajectory(surface: Surface, optimizer: str, lr: float, steps: int,
               momentum: float = 0.9, betas: tuple[float, float] = (0.9, 0.999)) -> Trajectory:
    """Run `steps` steps of a `grad.optim` optimizer on `surface`, from its start.

    Never raises on divergence: a step that overflows, gives a non-finite number or
    leaves the map (a coordinate beyond ESCAPE) ends the run, and `diverged_at` holds
    its number (1-based); the path then holds only the finite points before it.
    """
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    x, y = Value(surface.start[0]), Value(surface.start[1])
    opt = make_optimizer(optimizer, [x, y], lr, momentum, betas)
    path, losses = [surface.start], []
    diverged_at = None
    for step in range(1, int(steps) + 1):
        try:
            loss = surface.f(x, y)
            losses.append(loss.data)
            opt.zero_grad()
            loss.backward()
            opt.step()
        except (OverflowError, ZeroDivisionError, ValueError):
            path = path[:len(losses)]  # a point whose loss overflowed is not kept
            diverged_at = step
            break
        point = (x.data, y.data)
        if not all(math.isfinite(c) and abs(c) < ESCAPE for c in point):
            diverged_at = step
            break
        path.append(point)
    if diverged_at is None:
        losses.append(float(surface.f(*path[-1])))
    return Trajectory(np.array(path, dtype=float), losses, diverged_at)


def _covers(run: Trajectory, steps: int) -> bool:
    """Does `run` hold the first `steps` steps (or end, diverged, before them)?"""
    return len(run.path) - 1 >= steps or (run.diverged_at is not None and run.diverged_at <= steps)


def _first_steps(run: Trajectory, steps: int) -> Trajectory:
    """The first `steps` steps of `run` (all of it if it diverged before then)."""
    if run.diverged_at is not None and run.diverged_at <= steps:
        return run
    return Trajectory(run.path[:steps + 1], run.losses[:steps + 1], None)


def _in_range(value: object, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g} (the slider's range), "
                         f"got {value!r}")
    return float(value)



class OptimizerExplorer(Explorer):
    """Choose a loss surface, an optimizer and its settings; watch the path it takes.

        OptimizerExplorer()                                   # momentum on Rosenbrock
        OptimizerExplorer(surface="saddle", optimizer="Adam")

    Controls (attributes): `surface` and `optimizer` (dropdowns; choosing one also sets a
    learning rate and a number of steps that work for it), `lr` (log slider), `momentum`
    (momentum and Nesterov), `beta1` (Adam), `beta2` (Adam, and RMSprop's alpha), `steps`,
    `reference` (overlay plain SGD as a faint path). Sliders that do not apply to the
    chosen optimizer are disabled. Each change re-runs `trajectory` and redraws `image`
    (a PNG: contour plot with the path, and the loss curve); `status` says where the run
    ended, or that it diverged. `run` and `reference_run` hold the last Trajectories.
    `lr` and `steps` left at None take the surface's own choice for the optimizer;
    given, every setting must be a position of its control (a clear ValueError says the
    range otherwise). Sliders update on release (`continuous_update=False`). Speed (p95
    on a 2-core machine, from make bench): a move answers in 65 to 85 ms over every
    control's whole range (the first switch to a surface, which draws its map, in 0.2 to
    0.3 s), and the widget builds in 0.25 to 0.4 s; up to twice that while other programs
    keep the machine busy.
    """

    def __init__(self, surface: str = "Rosenbrock", optimizer: str = "momentum",
                 lr: Optional[float] = None, steps: Optional[int] = None,
                 momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                 reference: bool = True):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {tuple(SURFACES)}, got {surface!r}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        if beta2 not in BETA2_CHOICES:
            raise ValueError(f"beta2 must be one of {BETA2_CHOICES}, got {beta2!r}")
        s = SURFACES[surface]
        lr = s.lrs[optimizer] if lr is None else _in_range(lr, "lr", *LR_RANGE)
        first, last, every = STEPS_RANGE
        if steps is None:
            steps = s.steps
        elif (isinstance(steps, bool) or not isinstance(steps, numbers.Integral)
              or not first <= steps <= last or steps % every):
            raise ValueError(f"steps must be one of {first}, {first + every}, ..., {last} "
                             f"(the slider's positions), got {steps!r}")
        momentum = _in_range(momentum, "momentum", *BETA_RANGE)
        beta1 = _in_range(beta1, "beta1", *BETA_RANGE)
        if not isinstance(reference, bool):
            raise TypeError(f"reference must be True or False, got {reference!r}")
        wide = dict(style={"description_width": "initial"}, layout=widgets.Layout(width="330px"))
        self.surface = widgets.Dropdown(options=list(SURFACES), value=surface,
                                        description="surface", **wide)
        self.optimizer = widgets.Dropdown(options=list(OPTIMIZERS), value=optimizer,
                                          description="optimizer", **wide)
        self.lr = widgets.FloatLogSlider(value=lr, base=10, min=math.log10(LR_RANGE[0]),
                                         max=math.log10(LR_RANGE[1]), step=0.05,
                                         description="learning rate", readout_format=".2g",
                                         continuous_update=False, **wide)
        self.steps = widgets.IntSlider(value=steps, min=first, max=last, step=every,
                                       description="steps", continuous_update=False, **wide)
        self.momentum = widgets.FloatSlider(value=momentum, min=BETA_RANGE[0], max=BETA_RANGE[1],
                                            step=0.01, description="momentum μ",
                                            continuous_update=False, **wide)
        self.beta1 = widgets.FloatSlider(value=beta1, min=BETA_RANGE[0], max=BETA_RANGE[1],
                                         step=0.01, description="β1 (Adam)",
                                         continuous_update=False, **wide)
        self.beta2 = widgets.SelectionSlider(options=list(BETA2_CHOICES),
                                             value=beta2, description="β2 (Adam, RMSprop's α)",
                                             continuous_update=False, **wide)
        self.reference = widgets.Checkbox(value=reference, description="show plain SGD",
                                          indent=False)
        self.note = widgets.HTML()
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self._quiet = False
        self.surface.observe(self._on_choice, names="value")
        self.optimizer.observe(self._on_choice, names="value")
        for control in (self.lr, self.steps, self.momentum, self.beta1, self.beta2, self.reference):
            control.observe(self._on_change, names="value")
        controls = widgets.HBox([
            widgets.VBox([self.surface, self.optimizer, self.reference]),
            widgets.VBox([self.lr, self.steps, self.note]),
            widgets.VBox([self.momentum, self.beta1, self.beta2]),
        ], layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([controls, self.status, self.image])

        self.fig = Figure(figsize=(12, 4.6), dpi=90)
        self.fig.subplots_adjust(left=0.06, right=0.985, bottom=0.12, top=0.9, wspace=0.22)
        self._grid_spec = self.fig.add_gridspec(1, 2, width_ratios=[1.25, 1])
        self.ax_loss = self.fig.add_subplot(self._grid_spec[0, 1])
        self._build_loss_panel()
        self._reference_cache: dict[str, Trajectory] = {}
        self._last: Optional[tuple] = None   # (settings, run) of the last run made
        # one map (axes, path line, reference line) per surface, made when first shown;
        # switching surfaces then only switches which map is visible
        self._maps: dict[str, tuple] = {}
        self.run: Optional[Trajectory] = None
        self.reference_run: Optional[Trajectory] = None
        self.update()

    # ---- callbacks ---------------------------------------------------------------------
    def _on_choice(self, change) -> None:
        """A new surface or optimizer: start from settings that work for it."""
        s = SURFACES[self.surface.value]
        self._quiet = True
        try:
            self.lr.value = s.lrs[self.optimizer.value]
            if change["owner"] is self.optimizer and self.optimizer.value in ("Adam", "RMSprop"):
                self.beta2.value = 0.999 if self.optimizer.value == "Adam" else 0.99  # defaults
            if change["owner"] is self.surface:
                self.steps.value = s.steps
        finally:
            self._quiet = False
        self.update()

    def _on_change(self, change) -> None:
        if not self._quiet:
            self.update()

    def _betas(self) -> tuple[float, float]:
        return (self.beta1.value, self.beta2.value)

    def update(self) -> None:
        """Re-run the optimizer with the controls' values and redraw everything."""
        s, name = SURFACES[self.surface.value], self.optimizer.value
        self.momentum.disabled = name not in ("momentum", "Nesterov")
        self.beta1.disabled = name != "Adam"
        self.beta2.disabled = name not in ("Adam", "RMSprop")
        used = {"SGD": "no extra settings", "momentum": "uses μ", "Nesterov": "uses μ",
                "RMSprop": "uses β2 as its α", "Adam": "uses β1 and β2"}[name]
        self.note.value = f"<span style='color:#555'>{name} {used}</span>"

        self.run = self._trajectory(s, name)
        # the reference is plain SGD at a learning rate that works on this surface
        show_reference = self.reference.value and name != "SGD"
        self.reference_run = self._reference(s) if show_reference else None
        self.status.value = self._describe()
        legends = self._draw()
        self.image.value = self.fast.png(s.name, overlay_key=legends, make_overlays=self._legends)

    def _trajectory(self, s: Surface, name: str) -> Trajectory:
        """The run for the controls' settings. A run of n steps is the first n steps of a
        longer one, so when only the steps slider moves, one run of the slider's whole
        length serves every position."""
        settings = (s.name, name, self.lr.value, self.momentum.value, self._betas())
        n = self.steps.value
        last = self._last
        if last is not None and last[0] == settings:
            if _covers(last[1], n):
                return _first_steps(last[1], n)
            self._last = (settings, trajectory(s, name, settings[2], STEPS_RANGE[1],
                                               self.momentum.value, self._betas()))
            return _first_steps(self._last[1], n)
        self._last = (settings, trajectory(s, name, settings[2], n, self.momentum.value,
                                           self._betas()))
        return self._last[1]

    def _reference(self, s: Surface) -> Trajectory:
        """Plain SGD on surface `s`: one run of the steps slider's whole length, cut to size."""
        if s.name not in self._reference_cache:
            self._reference_cache[s.name] = trajectory(s, "SGD", s.lrs["SGD"], STEPS_RANGE[1])
        return _first_steps(self._reference_cache[s.name], self.steps.value)

    def _settings(self) -> str:
        name, lr = self.optimizer.value, self.lr.value
        text = f"{name}, lr = {lr:.2g}"
        if name in ("momentum", "Nesterov"):
            text += f", μ = {self.momentum.value:.2f}"
        elif name == "RMSprop":
            text += f", α = {self.beta2.value}"
        elif name == "Adam":
            text += f", β1 = {self.beta1.value:.2f}, β2 = {self.beta2.value}"
        return text

    def _describe(self) -> str:
        run, s = self.run, SURFACES[self.surface.value]
        if run.diverged_at is not None:
            return (f"<span style='font-size:1.1em; color:{TEXT_RED}'><b>{self._settings()}</b>: "
                    f"diverged at step {run.diverged_at} (the steps grew until they left the map). "
                    "Try a smaller learning rate.</span>")
        x, y = run.point
        best = min(s.minima, key=lambda m: math.hypot(x - m[0], y - m[1]))
        gap = math.hypot(x - best[0], y - best[1])
        return (f"<span style='font-size:1.1em'><b>{self._settings()}</b>: after {len(run.path) - 1} "
                f"steps at (x, y) = ({x:.4f}, {y:.4f}), loss {run.loss:.4g} "
                f"(minimum {s.min_loss:g} at ({best[0]:g}, {best[1]:g}), distance {gap:.3g})</span>")

    # ---- drawing -----------------------------------------------------------------------
    @property
    def ax_map(self):
        """The axes of the map of the chosen surface."""
        return self._map()[0]

    @property
    def path_line(self):
        """The chosen optimizer's path on the map."""
        return self._map()[1]

    @property
    def reference_line(self):
        """Plain SGD's path on the map."""
        return self._map()[2]

    def _map(self) -> tuple:
        name = self.surface.value
        if name not in self._maps:
            self._maps[name] = self._draw_surface(SURFACES[name])
        for other, (ax, path_line, reference_line) in self._maps.items():
            if other != name:  # the lines are drawn on every move, whichever map is shown
                for artist in (ax, path_line, reference_line):
                    artist.set_visible(False)
        self._maps[name][0].set_visible(True)
        self._maps[name][1].set_visible(True)
        return self._maps[name]

    def _draw_surface(self, s: Surface) -> tuple:
        """A new map: contour lines from a cached NumPy grid, start and minima, empty paths."""
        ax = self.fig.add_subplot(self._grid_spec[0, 0])
        X, Y, Z = _grid(s.name)
        if s.log_levels:
            levels = np.geomspace(max(Z.min() - s.min_loss, 1e-3), Z.max() - s.min_loss, 18)
            ax.contour(X, Y, Z - s.min_loss, levels=levels, cmap="viridis", norm=LogNorm(),
                       linewidths=0.8)
        else:
            ax.contour(X, Y, Z, levels=22, cmap="viridis", linewidths=0.8)
        ax.plot(*s.start, "o", color=BLACK, ms=7, zorder=5, label="start")
        for i, m in enumerate(s.minima):
            ax.plot(*m, "*", color=YELLOW, mec=BLACK, ms=16, zorder=5,
                    label="minimum" if i == 0 else None)
        (reference_line,) = ax.plot([], [], "-", color=GREY, lw=3, alpha=0.45, label="plain SGD")
        (path_line,) = ax.plot([], [], "-o", ms=2.5, lw=1.6, zorder=4)
        ax.set_xlim(*s.xlim)
        ax.set_ylim(*s.ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"{s.name}: {s.formula}")
        self.fast.add(reference_line, index=0)
        self.fast.add(path_line, index=1)
        return ax, path_line, reference_line

    def _draw(self) -> tuple:
        """Move the runs into the lines; returns what the legends say (they change rarely)."""
        s, run, ref = SURFACES[self.surface.value], self.run, self.reference_run
        name = self.optimizer.value
        ax_map, path_line, reference_line = self._map()
        path_line.set_data(run.path[:, 0], run.path[:, 1])
        path_line.set_color(COLORS[name])
        label = name + (" (diverged)" if run.diverged_at else "")
        path_line.set_label(label)
        reference_line.set_visible(ref is not None)
        ref_label = f"plain SGD, lr = {s.lrs['SGD']:g}" if ref is not None else "_hidden"
        reference_line.set_label(ref_label)
        if ref is not None:
            reference_line.set_data(ref.path[:, 0], ref.path[:, 1])

        ax = self.ax_loss
        shown = []
        for line, r, text in [(self.loss_line, run, label), (self.reference_loss_line, ref, ref_label)]:
            line.set_visible(r is not None)
            line.set_label(text if r is not None else "_hidden")
            if r is not None:
                gap = np.maximum(np.array(r.losses) - s.min_loss, 1e-16)
                line.set_data(np.arange(len(gap)), gap)
                shown.append(gap)
        self.loss_line.set_color(COLORS[name])
        gaps = np.concatenate(shown)
        # whole decades at both ends: few different axes, each drawn once
        low = 10.0 ** math.floor(math.log10(max(gaps.min() / 2, 1e-16)))
        ax.set_ylim(low, 10.0 ** math.ceil(math.log10(max(gaps.max() * 2, 10 * low))))
        ax.set_xlim(0, self.steps.value)
        place_grid(ax, self.grid)
        self.blow_up.show(run.diverged_at, self.steps.value)
        ax.set_title(self._settings())

        return (label, ref_label)

    def _legends(self) -> list:
        """The map's and the loss plot's legends, for the lines as they are now."""
        style = {"fontsize": 9, "framealpha": 1, "fancybox": False}
        return [self.ax_map.legend(loc="lower right", **style),
                self.ax_loss.legend(loc="lower left", **style)]

    def _build_loss_panel(self) -> None:
        ax = self.ax_loss
        (self.reference_loss_line,) = ax.plot([], [], color=GREY, alpha=0.45, lw=3)
        (self.loss_line,) = ax.plot([], [], lw=2)
        self.blow_up = DivergenceMarker(ax)
        ax.set_ylim(1e-3, 1.0)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))
        ax.yaxis.set_major_formatter(FuncFormatter(power_of_ten))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        fixed_axis_titles(ax, "step", "loss − minimum loss", y_offset=40)
        self.grid = grid_lines(ax)
        # the loss panel's axes change with the runs: each look is drawn once, then pasted
        self.fast = FastFigure(self.fig, [self.grid, self.reference_loss_line, self.loss_line,
                                          *self.blow_up.artists, ax.title],
                               cached=[(ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)])

    def snapshot(self) -> dict[str, str]:
        # the PNG that update() just drew
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}


_GRIDS: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _grid(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The surface evaluated on a 150 x 150 grid over its window (computed once)."""
    if name not in _GRIDS:
        s = SURFACES[name]
        X, Y = np.meshgrid(np.linspace(*s.xlim, 150), np.linspace(*s.ylim, 150))
        _GRIDS[name] = (X, Y, s.f(X, Y))
    return _GRIDS[name]
