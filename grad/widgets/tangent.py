"""Secant and tangent: drag x and the step h, and watch the slope estimate converge, then break."""
from __future__ import annotations

import base64
import html
import io
import math
from typing import Callable, Optional

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from grad.check import secant_slope
from grad.widgets.base import Explorer

Function = Callable[[float], float]

# The steps drawn in the error panel: 1 down to 1e-16, 8 per decade.
_STEPS = np.logspace(0, -16, 129)
# Errors of exactly 0 cannot sit on a log axis; they are drawn at this floor.
_FLOOR = 1e-17


def lesson_f(x: float) -> float:
    """The lesson's function, f(x) = 3x² − 4x + 5."""
    return 3 * x**2 - 4 * x + 5


def lesson_df(x: float) -> float:
    """Its exact derivative, f'(x) = 6x − 4."""
    return 6 * x - 4


def _format_number(v: float, scale: float) -> str:
    """Many digits, in a layout shared by numbers of similar size so digits line up."""
    if not math.isfinite(v):
        return str(v)
    if scale < 1e5:
        return f"{v:.12f}"
    return f"{v:.12e}"


def _format_error(difference: float) -> str:
    return "0 (exact)" if difference == 0 else f"{abs(difference):.1e}"


def _matching_prefix(a: str, b: str) -> int:
    n = 0
    for ca, cb in zip(a, b):
        if ca != cb:
            break
        n += 1
    return n


def _significant_digits(text: str) -> int:
    digits = text.split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(digits)


class TangentExplorer(Explorer):
    """Drag x and h: the secant through (x, f(x)) and (x+h, f(x+h)) turns into the tangent.

    Left: f, the secant (solid), the true tangent (dashed) and the rise-over-run triangle.
    Right: the error |secant slope − true slope| for every step h from 1 down to 1e-16,
    for forward and central differences, with a dot at the current h. Below: the secant
    slope next to the true slope, digit by digit (green digits agree), and whether
    truncation or rounding limits the accuracy at this h.

        w = TangentExplorer()                      # f(x) = 3x² − 4x + 5, x = 2, h = 0.5
        w = TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3))
        w.h_slider.value = 1e-12; w.method.value = "central"   # what a user would do

    `x_range` is the span of the x slider (the plot shows a margin around it); `label`
    names f in the legend.

    A slider move redraws in 20–50 ms on a 2-core machine (measured per `update()`: median
    about 30 ms, under 100 ms while the machine is busy). The axes are drawn once and only
    the moving parts are redrawn (blitting). The sliders redraw when released
    (`continuous_update=False`), so a slow machine never queues up redraws.
    """

    def __init__(self, f: Optional[Function] = None, df: Optional[Function] = None,
                 x: float = 2.0, h: float = 0.5, method: str = "forward",
                 x_range: tuple[float, float] = (-1.0, 3.0), label: Optional[str] = None):
        if (f is None) != (df is None):
            raise ValueError("pass both f and its exact derivative df, or neither "
                             "(then f(x) = 3x² − 4x + 5)")
        if f is None:
            f, df, label = lesson_f, lesson_df, label or "3x² − 4x + 5"
        if not callable(f) or not callable(df):
            raise TypeError("f and df must be functions of one number, "
                            f"got {type(f).__name__} and {type(df).__name__}")
        try:
            lo, hi = (float(v) for v in x_range)
        except (TypeError, ValueError):
            raise TypeError(f"x_range must be two numbers (low, high), got {x_range!r}") from None
        if not lo < hi:
            raise ValueError(f"x_range must have low < high, got {x_range!r}")
        try:
            x, h = float(x), float(h)
        except (TypeError, ValueError):
            raise TypeError(f"x and h must be numbers, got {x!r} and {h!r}") from None
        if not lo <= x <= hi:
            raise ValueError(f"x = {x} is outside x_range = ({lo}, {hi})")
        if not 1e-16 <= h <= 1:
            raise ValueError(f"h must be between 1e-16 and 1, got {h}")
        if method not in ("forward", "central"):
            raise ValueError(f"method must be 'forward' or 'central', got {method!r}")
        self.f, self.df = f, df
        self.label = label
        self.x_range = (lo, hi)

        self.x_slider = widgets.FloatSlider(value=x, min=lo, max=hi, step=(hi - lo) / 200,
                                            description="x", readout_format=".3f",
                                            continuous_update=False,
                                            layout=widgets.Layout(width="340px"))
        self.h_slider = widgets.FloatLogSlider(value=h, base=10, min=-16, max=0, step=0.25,
                                               description="h", readout_format=".1e",
                                               continuous_update=False,
                                               layout=widgets.Layout(width="340px"))
        self.method = widgets.ToggleButtons(options=["forward", "central"], value=method,
                                            description="difference",
                                            tooltips=["(f(x+h) − f(x)) / h",
                                                      "(f(x+h) − f(x−h)) / 2h"],
                                            style={"button_width": "80px"})
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.readout = widgets.HTML()
        self._build_figure()
        for control in (self.x_slider, self.h_slider, self.method):
            control.observe(lambda change: self.update(), names="value")
        super().__init__([widgets.HBox([self.x_slider, self.h_slider]), self.method,
                          self.image, self.readout])
        self.update()

    # -- the numbers -----------------------------------------------------------------
    @property
    def x(self) -> float:
        return float(self.x_slider.value)

    @property
    def h(self) -> float:
        return float(self.h_slider.value)

    def slopes(self) -> tuple[float, float]:
        """(secant slope, true slope) at the current x, h and method."""
        return secant_slope(self.f, self.x, self.h, self.method.value), float(self.df(self.x))

    def errors(self, method: str, x: Optional[float] = None) -> np.ndarray:
        """|secant slope − true slope| for each step of the error panel, at x (or the current x)."""
        x = self.x if x is None else float(x)
        true = float(self.df(x))
        return np.array([abs(secant_slope(self.f, x, float(s), method) - true)
                         for s in _STEPS])

    def best_h(self, method: Optional[str] = None) -> float:
        """The step with the smallest error at the current x (from the panel's grid)."""
        return float(_STEPS[int(np.argmin(self.errors(method or self.method.value)))])

    # -- drawing ---------------------------------------------------------------------
    def _build_figure(self) -> None:
        lo, hi = self.x_range
        self.fig = Figure(figsize=(10.5, 3.9), dpi=90)
        self.canvas = FigureCanvasAgg(self.fig)
        self.ax, self.ax_err = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        pad = max(1.0, 0.25 * (hi - lo))
        xs = np.linspace(lo - pad, hi + pad, 300)
        ys = np.array([self.f(float(v)) for v in xs])
        ax = self.ax
        ax.plot(xs, ys, color="black", lw=2, zorder=3,
                              label=f"f(x) = {self.label}" if self.label else "f(x)")
        self.secant_line, = ax.plot([], [], color="tab:blue", lw=2, label="secant")
        self.tangent_line, = ax.plot([], [], color="tab:red", lw=2, ls="--",
                                     label="tangent (true slope)")
        self.run_line, = ax.plot([], [], color="tab:blue", lw=1, alpha=0.6)
        self.rise_line, = ax.plot([], [], color="tab:blue", lw=1, alpha=0.6)
        self.points, = ax.plot([], [], "o", color="tab:blue", ms=7, zorder=4)
        self.point_x, = ax.plot([], [], "o", color="black", ms=8, zorder=5)
        self.run_text = ax.text(0, 0, "", color="tab:blue", ha="center", va="top", fontsize=11,
                                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7,
                                      "pad": 1})
        self.rise_text = ax.text(0, 0, "", color="tab:blue", ha="left", va="center", fontsize=11)
        margin = 0.08 * (ys.max() - ys.min() or 1.0)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(ys.min() - margin, ys.max() + margin)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        # The lesson's parabola leaves the top centre free; another f may not.
        ax.legend(loc="upper center" if self.f is lesson_f else "best", fontsize=10,
                  framealpha=0.9)

        ax = self.ax_err
        self.err_lines = {m: ax.plot([], [], color=c, label=f"{m} difference")[0]
                          for m, c in (("forward", "tab:blue"), ("central", "tab:orange"))}
        self.err_point, = ax.plot([], [], "o", ms=11, mfc="none", mew=2.5, color="black",
                                  zorder=5, label="current h")
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Few tick labels in plain text: mathtext labels (10⁻¹⁶) would triple the redraw time.
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(LogLocator(base=10, subs=(1.0,), numticks=6))
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0e}".replace("e-0", "e-")
                                                   .replace("e+00", "").replace("e+0", "e")))
            axis.set_minor_locator(NullLocator())
        ax.set_xlim(1e-16 / 2, 2)
        ax.set_xlabel("step h")
        ax.set_ylabel("|secant slope − true slope|")
        box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
        ax.text(0.03, 0.04, "← rounding\n    error grows", transform=ax.transAxes,
                fontsize=10, color="0.35", bbox=box)
        ax.text(0.97, 0.04, "truncation →\nerror grows", transform=ax.transAxes,
                fontsize=10, color="0.35", ha="right", bbox=box)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper center", fontsize=10, framealpha=0.9)
        # Fixed limits (the largest error over the whole x range), so the axes never change.
        top = max(float(np.max(self.errors(m, at))) for m in ("forward", "central")
                  for at in np.linspace(lo, hi, 21))
        ax.set_ylim(_FLOOR / 3, max(top, 1.0) * 30)
        self._draw()  # titles in place, so the layout leaves room for them
        self.fig.tight_layout()

        # Blitting: the axes, ticks and labels are drawn once into a background; an update
        # pastes it and draws only what changes (text layout is most of matplotlib's time).
        # The legends stay in the background (drawing them is slow); they sit where the
        # moving lines rarely pass.
        self._moving = [self.run_line, self.rise_line, self.run_text, self.rise_text,
                        self.secant_line, self.tangent_line, self.points, self.point_x,
                        self.ax.title, *self.err_lines.values(), self.err_point,
                        self.ax_err.title]
        for artist in self._moving:
            artist.set_animated(True)
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(self.fig.bbox)

    def _draw(self) -> None:
        f, x, h, method = self.f, self.x, self.h, self.method.value
        secant, true = self.slopes()
        fx = f(x)
        left, right = self.ax.get_xlim()
        ends = np.array([left, right])
        self.secant_line.set_data(ends, fx + secant * (ends - x))
        self.tangent_line.set_data(ends, fx + true * (ends - x))
        x0 = x - h if method == "central" else x
        y0, y1 = f(x0), f(x + h)
        self.points.set_data([x0, x + h], [y0, y1])
        self.point_x.set_data([x], [fx])
        self.run_line.set_data([x0, x + h], [y0, y0])
        self.rise_line.set_data([x + h, x + h], [y0, y1])
        big = (x + h - x0) > 0.06 * (right - left)
        run = "2h" if method == "central" else "h"
        self.run_text.set_text(f"run = {run}" if big else "")
        self.run_text.set_position(((x0 + x + h) / 2, y0 - 0.02 * np.ptp(self.ax.get_ylim())))
        self.rise_text.set_text(" rise" if big and abs(y1 - y0) > 0.04 * np.ptp(self.ax.get_ylim())
                                else "")
        self.rise_text.set_position((x + h, (y0 + y1) / 2))
        self.ax.set_title(f"{method} secant slope {secant:.6f}\n"
                          f"true slope f'({x:.3f}) = {true:.6f}", fontsize=12)

        for m, line in self.err_lines.items():
            line.set_data(_STEPS, np.maximum(self.errors(m), _FLOOR))
            line.set_linewidth(2.5 if m == method else 1.2)
            line.set_alpha(1.0 if m == method else 0.5)
        self.err_point.set_data([h], [max(abs(secant - true), _FLOOR)])
        self.err_point.set_color(self.err_lines[method].get_color())
        self.ax_err.set_title(f"error at h = {h:.1e}: {_format_error(secant - true)}", fontsize=12)

    def _readout_html(self) -> str:
        x, h, method = self.x, self.h, self.method.value
        secant, true = self.slopes()
        scale = max(abs(secant), abs(true))
        s_text, t_text = _format_number(secant, scale), _format_number(true, scale)
        same = _matching_prefix(s_text, t_text)
        agreeing = _significant_digits(s_text[:same])
        if same == len(s_text) == len(t_text):
            agreeing = _significant_digits(s_text)
        s_html = (f"<span style='color:#15803d'>{html.escape(s_text[:same])}</span>"
                  f"<span style='color:#b91c1c'>{html.escape(s_text[same:])}</span>")
        formula = "(f(x+h) − f(x)) / h" if method == "forward" else "(f(x+h) − f(x−h)) / 2h"
        best = self.best_h(method)
        if x + h == x:
            verdict = (f"<b>x + h rounds to x</b>: at x = {x:.3f} a step of {h:.0e} is below the "
                       f"computer's resolution, so the secant slope is 0/h = 0.")
        elif abs(secant - true) <= 64 * np.finfo(float).eps * max(1.0, abs(true)):
            verdict = "<b>no visible error</b>: the secant slope agrees with the true slope."
            if method == "central" and self.f is lesson_f:
                verdict += (" A parabola's central difference has no truncation error at all, "
                            "so any step that is not tiny gives the exact slope.")
        elif method == "central" and self.f is lesson_f:
            verdict = ("<b>only rounding error</b>: a parabola's central difference has no "
                       "truncation error at all, so the small error left is rounding, and a "
                       "larger h makes it smaller.")
        elif h < best / 3:
            pair = "f(x+h) and f(x−h)" if method == "central" else "f(x+h) and f(x)"
            verdict = (f"<b>rounding error wins</b>: h is smaller than the best step here "
                       f"(about {best:.0e}). {pair} agree in almost every digit, their "
                       f"difference keeps only a few correct ones, and dividing by a tiny h "
                       f"magnifies the rest. A smaller h makes it worse.")
        elif h > best * 3:
            verdict = (f"<b>truncation error wins</b>: the secant is not the tangent yet. "
                       f"A smaller h helps, down to about {best:.0e}.")
        else:
            verdict = (f"<b>about the best step</b> for this x (about {best:.0e}): "
                       f"truncation and rounding errors are balanced.")
        cell = "padding:2px 10px; text-align:left"
        mono = f"{cell}; font-family:monospace; font-size:15px"
        return (
            f"<table style='border-collapse:collapse'>"
            f"<tr><td style='{cell}'>x = {x:.3f}, h = {h:.1e}</td>"
            f"<td style='{cell}; color:#555'>{method} difference</td><td></td></tr>"
            f"<tr><td style='{cell}'>secant slope</td><td style='{cell}; color:#555'>"
            f"{formula}</td><td style='{mono}'>{s_html}</td></tr>"
            f"<tr><td style='{cell}'>true slope</td><td style='{cell}; color:#555'>f'(x)</td>"
            f"<td style='{mono}'>{html.escape(t_text)}</td></tr>"
            f"<tr><td style='{cell}'>error</td><td style='{cell}; color:#555'>"
            f"|secant − true|</td><td style='{mono}'>{_format_error(secant - true)} "
            f"&nbsp;({agreeing} digit{'' if agreeing == 1 else 's'} agree)</td></tr></table>"
            f"<p style='max-width:760px; margin:4px 10px'>{verdict}</p>")

    def update(self) -> None:
        """Redraw the figure and the numbers for the current x, h and method."""
        self._draw()
        self.canvas.restore_region(self._background)
        for artist in self._moving:
            self.fig.draw_artist(artist)
        picture = PIL.Image.frombuffer("RGBA", self.canvas.get_width_height(),
                                       self.canvas.buffer_rgba())
        buffer = io.BytesIO()
        picture.save(buffer, format="png", compress_level=1)  # fast; the PNG stays small
        self.image.value = buffer.getvalue()
        self.readout.value = self._readout_html()

    def snapshot(self) -> dict[str, str]:
        # The picture update() drew (a fresh savefig would leave out the blitted artists).
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
