"""Secant and tangent: drag x and the step h, and watch the slope estimate converge, then break."""
from __future__ import annotations

import base64
import html
import functools
import math
import numbers
import warnings
from typing import Callable, Optional

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from grad.check import secant_slope
from grad.viz import power_of_ten
from grad.widgets.base import (BLACK, BLUE, ORANGE, TEXT_GREEN, TEXT_RED, VERMILLION, Explorer,
                               FastFigure)

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
        return "not defined"
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


def digits_agree(estimate: float, exact: float) -> Optional[int]:
    """How many significant digits of `estimate` are right: about -log10 of the relative error.

    7.999999951 against 8 is right to 9 digits (relative error 6e-10), although no printed
    digit is the same; 9.5 against 8 to none. None when `exact` is 0 (no digit to compare:
    judge the error itself) or either number is not finite; 16 at most (all a float holds).
    """
    if not (math.isfinite(estimate) and math.isfinite(exact)) or exact == 0:
        return None
    if estimate == exact:
        return 16
    relative = abs(estimate - exact) / abs(exact)
    return int(min(16, max(0, math.floor(-math.log10(relative)))))


def _significant_positions(text: str, count: int) -> int:
    """The length of the prefix of `text` (a formatted number) holding its first `count`
    significant digits."""
    seen, started = 0, False
    for i, ch in enumerate(text):
        if ch == "e":
            return i
        if ch.isdigit():
            started = started or ch != "0"
            if started:
                if seen == count:
                    return i
                seen += 1
    return len(text)


def _value(f: Function, x: float) -> float:
    """f(x) as a float; NaN where f is not defined there (it raises a math error, or gives a
    complex number, an infinity or NaN)."""
    try:
        y = f(x)
    except (ArithmeticError, ValueError):
        return math.nan
    if isinstance(y, (complex, np.complexfloating)):
        return math.nan
    try:
        y = float(y)
    except (TypeError, ValueError):
        raise TypeError(f"f and df must return a number; f({x!r}) gave "
                        f"{type(y).__name__}: {y!r}") from None
    return y if math.isfinite(y) else math.nan


def _quiet(method):
    """Run `method` with NumPy's warnings off: a NumPy f (np.log, np.sqrt) warns outside its
    domain, where the widget says in words that f is not defined."""
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return method(*args, **kwargs)
    return wrapper


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}: {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


class TangentExplorer(Explorer):
    """Drag x and h: the secant through (x, f(x)) and (x+h, f(x+h)) turns into the tangent.

    Left: f, the secant (solid), the true tangent (dashed) and the rise-over-run triangle.
    Right: the error |secant slope − true slope| for every step h from 1 down to 1e-16,
    for forward and central differences, with a dot at the current h. Below: the secant
    slope next to the true slope, digit by digit (the correct significant digits
    underlined in green), how many digits are right, and whether truncation or rounding
    limits the accuracy at this h.

        w = TangentExplorer()                      # f(x) = 3x² − 4x + 5, x = 2, h = 0.5
        w = TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3))
        w = TangentExplorer(math.log, lambda x: 1 / x, x=1.0, x_range=(0.05, 3))
        w.h_slider.value = 1e-12; w.method.value = "central"   # what a user would do

    `x_range` is the span of the x slider (the plot shows a margin around it); `label`
    names f in the legend. f may be defined on part of the line only (log, sqrt): it is
    drawn where it is defined, and where a difference would need f outside its domain
    (at x − h, say) the readout says so instead of a slope.

    The axes are drawn once and only the moving parts are redrawn (blitting); the sliders
    redraw when released (`continuous_update=False`). Speed (p95 on a 2-core machine,
    from make bench): a move answers in 50 to 55 ms over every control's whole range, and
    the widget builds in about 0.3 s; up to twice that while other programs keep the
    machine busy.
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
            lo, hi = x_range
        except (TypeError, ValueError):
            raise TypeError(f"x_range must be two numbers (low, high), got {x_range!r}") from None
        try:
            lo, hi = _number(lo, "x_range's low end"), _number(hi, "x_range's high end")
        except TypeError:
            raise TypeError(f"x_range must be two numbers (low, high), got {x_range!r}") from None
        if not lo < hi or not math.isfinite(hi - lo):
            raise ValueError(f"x_range must have low < high (and a finite width), got {x_range!r}")
        try:
            x, h = _number(x, "x"), _number(h, "h")
        except TypeError:
            raise TypeError(f"x and h must be numbers, got {x!r} and {h!r}") from None
        if not lo <= x <= hi:
            raise ValueError(f"x = {x} is outside x_range = ({lo}, {hi})")
        if not 1e-16 <= h <= 1:
            raise ValueError(f"h must be between 1e-16 and 1, got {h}")
        if method not in ("forward", "central"):
            raise ValueError(f"method must be 'forward' or 'central', got {method!r}")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}")
        self.f, self.df = f, df
        self.label = label
        self.x_range = (lo, hi)
        if not any(math.isfinite(_value(f, float(v))) for v in np.linspace(lo, hi, 201)):
            raise ValueError(f"f is not defined anywhere in x_range = ({lo}, {hi}): "
                             "choose a range where it is")

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

    def _f(self, x: float) -> float:
        return _value(self.f, x)

    @_quiet
    def slopes(self) -> tuple[float, float]:
        """(secant slope, true slope) at the current x, h and method; NaN where undefined."""
        return (secant_slope(self._f, self.x, self.h, self.method.value),
                _value(self.df, self.x))

    @_quiet
    def undefined_at(self) -> Optional[tuple[str, float]]:
        """Where the current secant needs f outside its domain: ("x − h", -0.5), or None."""
        x, h = self.x, self.h
        points = [("x", x), ("x + h", x + h)]
        if self.method.value == "central":
            points.append(("x − h", x - h))
        for name, at in points:
            if not math.isfinite(self._f(at)):
                return name, at
        return None

    @_quiet
    def errors(self, method: str, x: Optional[float] = None) -> np.ndarray:
        """|secant slope − true slope| for each step of the error panel, at x (or the current x).

        NaN where f or f' is not defined at the points the difference needs."""
        x = self.x if x is None else float(x)
        true = _value(self.df, x)
        return np.array([abs(secant_slope(self._f, x, float(s), method) - true)
                         for s in _STEPS])

    @_quiet
    def best_h(self, method: Optional[str] = None) -> float:
        """The step with the smallest error at the current x (from the panel's grid); NaN if
        no step gives an error (f or f' undefined there)."""
        errors = self.errors(method or self.method.value)
        if not np.any(np.isfinite(errors)):
            return math.nan
        return float(_STEPS[int(np.nanargmin(errors))])

    # -- drawing ---------------------------------------------------------------------
    @_quiet
    def _build_figure(self) -> None:
        lo, hi = self.x_range
        self.fig = Figure(figsize=(10.5, 3.9), dpi=90)
        self.ax, self.ax_err = self.fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        pad = max(1.0, 0.25 * (hi - lo))
        xs = np.linspace(lo - pad, hi + pad, 300)
        ys = np.array([self._f(float(v)) for v in xs])
        inside = (xs >= lo) & (xs <= hi)
        ax = self.ax
        ax.plot(xs, ys, color=BLACK, lw=2, zorder=3,
                label=f"f(x) = {self.label}" if self.label else "f(x)")
        self.secant_line, = ax.plot([], [], color=BLUE, lw=2, label="secant")
        self.tangent_line, = ax.plot([], [], color=VERMILLION, lw=2, ls="--",
                                     label="tangent (true slope)")
        self.run_line, = ax.plot([], [], color=BLUE, lw=1, alpha=0.6)
        self.rise_line, = ax.plot([], [], color=BLUE, lw=1, alpha=0.6)
        self.points, = ax.plot([], [], "o", color=BLUE, ms=7, zorder=4)
        self.point_x, = ax.plot([], [], "o", color=BLACK, ms=8, zorder=5)
        box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1}
        self.run_text = ax.text(0, 0, "", color=BLUE, ha="center", va="top", fontsize=11,
                                bbox=box, clip_on=True)
        self.rise_text = ax.text(0, 0, "", color=BLUE, ha="left", va="center", fontsize=11,
                                 bbox=box, clip_on=True)
        # Limits from where f is defined; a pole just outside the slider's range would
        # flatten everything, so then only the slider's own range counts.
        finite = np.isfinite(ys)
        shown = ys[finite]
        own = ys[finite & inside]
        if own.size and np.ptp(shown) > 4 * max(np.ptp(own), 1e-12):
            shown = own
        low, high = float(shown.min()), float(shown.max())
        margin = 0.08 * (high - low or 1.0)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(low - margin, high + margin)
        ax.set_xlabel("x")
        ax.set_ylabel("f(x)")
        ax.grid(alpha=0.3)
        # The lesson's parabola leaves the top centre free; another f may not.
        legends = [ax.legend(loc="upper center" if self.f is lesson_f else "best", fontsize=10,
                             framealpha=1, fancybox=False)]

        ax = self.ax_err
        self.err_lines = {m: ax.plot([], [], color=c, ls=ls, label=f"{m} difference")[0]
                          for m, c, ls in (("forward", BLUE, "-"), ("central", ORANGE, "--"))}
        self.err_point, = ax.plot([], [], "o", ms=11, mfc="none", mew=2.5, color=BLACK,
                                  zorder=5, label="current h")
        ax.set_xscale("log")
        ax.set_yscale("log")
        # Few tick labels, in plain text: mathtext labels would triple the redraw time.
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(LogLocator(base=10, subs=(1.0,), numticks=6))
            axis.set_major_formatter(FuncFormatter(power_of_ten))
            axis.set_minor_locator(NullLocator())
        ax.set_xlim(1e-16 / 2, 2)
        ax.set_xlabel("step h")
        ax.set_ylabel("|secant slope − true slope|")
        box = {"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1}
        ax.text(0.03, 0.04, "← rounding\n    error grows", transform=ax.transAxes,
                fontsize=10, color="0.35", bbox=box)
        # The lesson's parabola: the central difference has no truncation error at all.
        right = ("truncation error →\n(forward only, here)" if self.f is lesson_f
                 else "truncation →\nerror grows")
        ax.text(0.97, 0.04, right, transform=ax.transAxes,
                fontsize=10, color="0.35", ha="right", bbox=box)
        ax.grid(alpha=0.3)
        legends.append(ax.legend(loc="upper center", fontsize=10, framealpha=1, fancybox=False))
        # Fixed limits (the largest error over the whole x range), so the axes never change.
        tops = [np.nanmax(e) for m in ("forward", "central") for at in np.linspace(lo, hi, 11)
                if np.any(np.isfinite(e := self.errors(m, at)))]
        top = max(tops) if tops else 1.0
        ax.set_ylim(_FLOOR / 3, max(top, 1.0) * 30)
        # fixed margins (room for the two-line title) instead of tight_layout: half the time
        self.fig.subplots_adjust(left=0.075, right=0.985, bottom=0.13, top=0.85, wspace=0.3)
        self.fast = FastFigure(self.fig, [
            self.run_line, self.rise_line, self.secant_line, self.tangent_line, self.points,
            self.point_x, self.run_text, self.rise_text, self.ax.title,
            *self.err_lines.values(), self.err_point, self.ax_err.title], overlays=legends)
        # the labels' sizes in pixels, to keep "run" and "rise" apart wherever the triangle is
        renderer = self.fast.canvas.get_renderer()
        self._label_size = {}
        for text in ("run = h", "run = 2h", "rise"):
            self.run_text.set_text(text)
            box = self.run_text.get_window_extent(renderer)
            self._label_size[text] = (box.width, box.height)
        self._draw()

    def _place_labels(self, x0: float, y0: float, x1: float, y1: float, run: str) -> None:
        """Label the run (horizontal) and the rise (vertical) of the triangle from (x0, y0)
        to (x1, y1), each on the outer side of its own leg, so they never overlap.

        The run's label sits beyond the horizontal leg, away from the triangle; the rise's
        label sits beside the vertical leg, on the triangle's side of the horizontal leg:
        the horizontal leg runs between them.
        """
        to_pixels, to_data = self.ax.transData, self.ax.transData.inverted()
        (X0, Y0), (X1, Y1) = to_pixels.transform([(x0, y0), (x1, y1)])
        gap = 4.0
        run_label, rise_label = f"run = {run}", "rise"
        rise_w, rise_h = self._label_size[rise_label]
        down = Y1 < Y0      # the triangle lies below its horizontal leg
        show_run = bool(np.isfinite(X0 + X1 + Y0) and X1 - X0 > 0.06 * self.ax.bbox.width)
        self.run_text.set_text(run_label if show_run else "")
        if show_run:
            self.run_text.set_verticalalignment("bottom" if down else "top")
            self.run_text.set_position(to_data.transform(((X0 + X1) / 2, Y0 + (gap if down else -gap))))
        show_rise = bool(np.isfinite(X1 + Y0 + Y1) and abs(Y1 - Y0) >= rise_h + gap)
        self.rise_text.set_text(rise_label if show_rise else "")
        if show_rise:
            middle = (Y0 + Y1) / 2
            limit = rise_h / 2 + gap
            middle = min(middle, Y0 - limit) if down else max(middle, Y0 + limit)
            right_edge = self.ax.bbox.x1
            if X1 + gap + rise_w <= right_edge:
                self.rise_text.set_horizontalalignment("left")
                X = X1 + gap
            else:  # no room on the right: inside the triangle, still across the leg from "run"
                self.rise_text.set_horizontalalignment("right")
                X = X1 - gap
            self.rise_text.set_position(to_data.transform((X, middle)))

    def _draw(self) -> None:
        x, h, method = self.x, self.h, self.method.value
        secant, true = self.slopes()
        fx = self._f(x)
        left, right = self.ax.get_xlim()
        ends = np.array([left, right])
        self.secant_line.set_data(ends, fx + secant * (ends - x))
        self.tangent_line.set_data(ends, fx + true * (ends - x))
        x0 = x - h if method == "central" else x
        y0, y1 = self._f(x0), self._f(x + h)
        self.points.set_data([x0, x + h], [y0, y1])
        self.point_x.set_data([x], [fx])
        self.run_line.set_data([x0, x + h], [y0, y0])
        self.rise_line.set_data([x + h, x + h], [y0, y1])
        if hasattr(self, "_label_size"):
            self._place_labels(x0, y0, x + h, y1, "2h" if method == "central" else "h")
        missing = self.undefined_at()
        if missing is not None:
            name, at = missing
            title = f"f is not defined at {name} = {at:.4g}"
        else:
            title = f"{method} secant slope {secant:.6f}"
        true_text = f"{true:.6f}" if math.isfinite(true) else "not defined"
        self.ax.set_title(f"{title}\ntrue slope f'({x:.3f}) = {true_text}", fontsize=12)

        for m, line in self.err_lines.items():
            line.set_data(_STEPS, np.maximum(self.errors(m), _FLOOR))
            line.set_linewidth(2.5 if m == method else 1.2)
            line.set_alpha(1.0 if m == method else 0.5)
        error = abs(secant - true)
        self.err_point.set_data([h], [max(error, _FLOOR) if math.isfinite(error) else math.nan])
        self.err_point.set_color(self.err_lines[method].get_color())
        shown = _format_error(secant - true) if math.isfinite(error) else "none (see left)"
        self.ax_err.set_title(f"error at h = {h:.1e}: {shown}", fontsize=12)

    def _verdict(self, secant: float, true: float) -> str:
        x, h, method = self.x, self.h, self.method.value
        missing = self.undefined_at()
        if missing is not None:
            name, at = missing
            if name == "x":
                return (f"<b>f is not defined at x = {x:.4g}</b>: there is no point on the curve "
                        "here. Move x to where f is defined.")
            advice = ("take a smaller h, or the forward difference, which does not need f(x − h)"
                      if name == "x − h" else "take a smaller h")
            return (f"<b>f is not defined at {name} = {at:.4g}</b>, so the {method} difference "
                    f"cannot be taken at x = {x:.4g} with h = {h:.1e}: {advice}.")
        if not math.isfinite(true):
            return (f"<b>f'(x) is not defined at x = {x:.4g}</b> (the exact derivative has no "
                    "value here), so there is no true slope to compare the secant with.")
        best = self.best_h(method)
        if x + h == x:
            return (f"<b>x + h rounds to x</b>: at x = {x:.3f} a step of {h:.0e} is below the "
                    f"computer's resolution, so the secant slope is 0/h = 0.")
        if abs(secant - true) <= 64 * np.finfo(float).eps * max(1.0, abs(true)):
            verdict = "<b>no visible error</b>: the secant slope agrees with the true slope."
            if method == "central" and self.f is lesson_f:
                verdict += (" A parabola's central difference has no truncation error at all, "
                            "so any step that is not tiny gives the exact slope.")
            return verdict
        if method == "central" and self.f is lesson_f:
            return ("<b>only rounding error</b>: a parabola's central difference has no "
                    "truncation error at all, so the small error left is rounding, and a "
                    "larger h makes it smaller.")
        if h < best / 3:
            pair = "f(x+h) and f(x−h)" if method == "central" else "f(x+h) and f(x)"
            return (f"<b>rounding error wins</b>: h is smaller than the best step here "
                    f"(about {best:.0e}). {pair} agree in almost every digit, their "
                    f"difference keeps only a few correct ones, and dividing by a tiny h "
                    f"magnifies the rest. A smaller h makes it worse.")
        if h > best * 3:
            return (f"<b>truncation error wins</b>: the secant is not the tangent yet. "
                    f"A smaller h helps, down to about {best:.0e}.")
        return (f"<b>about the best step</b> for this x (about {best:.0e}): "
                f"truncation and rounding errors are balanced.")

    def _readout_html(self) -> str:
        x, h, method = self.x, self.h, self.method.value
        secant, true = self.slopes()
        scale = max(abs(v) for v in (secant, true, 0.0) if math.isfinite(v))
        s_text, t_text = _format_number(secant, scale), _format_number(true, scale)
        digits = digits_agree(secant, true)
        if digits is None:
            right, count = 0, ("" if not (math.isfinite(secant) and math.isfinite(true)) else
                               " (the true slope is 0, so no digits to compare: the error "
                               "itself is the measure)")
        else:
            right = _significant_positions(s_text, digits)
            count = (f" &nbsp;({digits} significant digit{'' if digits == 1 else 's'} right, "
                     f"relative error {abs(secant - true) / abs(true):.1e})")
        # the right digits underlined in green, the rest in red: two cues, not colour alone
        s_html = (f"<span style='color:{TEXT_GREEN}; text-decoration:underline; font-weight:bold'>"
                  f"{html.escape(s_text[:right])}</span>"
                  f"<span style='color:{TEXT_RED}'>{html.escape(s_text[right:])}</span>")
        note = ""
        if digits and _matching_prefix(s_text, t_text) < right:
            note = (f"<p style='max-width:760px; margin:4px 10px; color:#555'>The printed digits "
                    f"differ although {digits} are right: the two numbers sit on either side of "
                    f"a round number (as 7.99999995 and 8.00000000 do). What counts is their "
                    f"difference, {_format_error(secant - true)}.</p>")
        formula = "(f(x+h) − f(x)) / h" if method == "forward" else "(f(x+h) − f(x−h)) / 2h"
        error = _format_error(secant - true) if math.isfinite(secant - true) else "—"
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
            f"|secant − true|</td><td style='{mono}'>{error}{count}</td></tr></table>"
            f"<p style='max-width:760px; margin:4px 10px'>{self._verdict(secant, true)}</p>{note}")

    @_quiet
    def update(self) -> None:
        """Redraw the figure and the numbers for the current x, h and method."""
        self._draw()
        self.image.value = self.fast.png()
        self.readout.value = self._readout_html()

    def snapshot(self) -> dict[str, str]:
        # The picture update() drew (a fresh savefig would leave out the blitted artists).
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
