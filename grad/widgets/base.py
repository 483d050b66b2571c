"""What the course's widgets share: a picture of their state for places widgets cannot run,
a figure that redraws only what moves, and one colour-blind-safe palette."""
from __future__ import annotations

import base64
import io
from typing import Callable, Hashable, Iterable, Optional

import ipywidgets as widgets
import PIL.Image
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

# The Okabe–Ito palette: eight colours that stay apart for every common kind of colour
# blindness (and in grey scale, by their lightness). Every colour code in the widgets
# comes from here, and each is paired with a second cue (a word, a line style, a marker).
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#6B6B6B"
# darker shades of the same hues, for text on white (contrast of at least 4.5 : 1)
TEXT_GREEN = "#00704F"
TEXT_ORANGE = "#9A5B00"
TEXT_RED = "#B23C00"


class Explorer(widgets.VBox):
    """A VBox that also carries a picture of its current state.

    JupyterLab shows the live widget; GitHub, nbviewer and a notebook opened before its
    kernel runs show the picture instead, so the default state is a lesson on its own.
    Subclasses override `snapshot()` to return a MIME bundle such as `png_bundle(fig)`.
    """

    def snapshot(self) -> dict[str, str]:
        return {}

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = f"{type(self).__name__}: run this notebook in Jupyter to use the sliders"
        try:
            data.update(self.snapshot())
        except Exception:  # a picture is a nicety; never let it hide the widget
            pass
        return data


def control_positions(control: widgets.Widget, most: int = 41) -> list:
    """Values a learner can give `control`, across its whole range, both ends included:
    every position of a short slider, dropdown or check box; `most` evenly spread ones of a
    long slider. (For tests and benchmarks that move every control.)"""
    if isinstance(control, (widgets.Dropdown, widgets.ToggleButtons, widgets.SelectionSlider)):
        return [o[1] if isinstance(o, tuple) else o for o in control.options]
    if isinstance(control, widgets.Checkbox):
        return [not control.value, control.value]
    if isinstance(control, (widgets.FloatLogSlider, widgets.IntSlider, widgets.FloatSlider)):
        count = round((control.max - control.min) / control.step) + 1
        picks = (range(count) if count <= most else
                 sorted({round(i * (count - 1) / (most - 1)) for i in range(most)}))
        values = [control.min + i * control.step for i in picks]
        if isinstance(control, widgets.FloatLogSlider):
            return [control.base ** v for v in values]
        if isinstance(control, widgets.IntSlider):
            return [int(v) for v in values]
        return [min(v, control.max) for v in values]
    raise TypeError(f"no positions for a {type(control).__name__}")


def png_bundle(fig) -> dict[str, str]:
    """A matplotlib figure as a MIME bundle entry (base64 PNG)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}


class FastFigure:
    """A figure whose fixed parts are drawn once, so that a redraw costs only what moves.

    Drawing text (ticks, labels, legends) and contour lines is most of matplotlib's time.
    The artists passed as `moving` (lines, texts, an axis whose limits change) are left
    out of a background picture, which is drawn once per `key` (e.g. one per surface a
    widget can show) and kept; `png(key)` pastes that background, draws only the moving
    artists on it, and encodes the PNG quickly (this is called blitting). `overlays`
    (opaque legends) must stay on top of the moving artists: they are drawn once per
    `overlay_key` and afterwards pasted as pixels.
    """

    def __init__(self, fig, moving: Iterable = (), overlays: Iterable = (),
                 cached: Iterable[tuple] = ()):
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.moving: list = []
        self.overlays: list = []
        self._backgrounds: dict = {}
        self._pasted: dict = {}
        # (artist, state): an artist outside the moving ones' way (an axis' ticks and
        # numbers) whose picture depends only on state(), e.g. the axis limits
        self.cached = list(cached)
        for artist, _ in self.cached:
            artist.set_animated(True)
        self._pictures: dict = {}
        self._overlay_key: Hashable = None   # what the current overlay artists show
        for artist in moving:
            self.add(artist)
        self.set_overlays(overlays)

    def add(self, artist, index: Optional[int] = None) -> None:
        """Draw `artist` on every redraw (at position `index` of the drawing order)."""
        artist.set_animated(True)
        self.moving.insert(len(self.moving) if index is None else index, artist)

    def remove(self, artist) -> None:
        if artist in self.moving:
            self.moving.remove(artist)

    def set_overlays(self, artists: Iterable) -> None:
        """Replace the overlays (pass a new `overlay_key` to `png` whenever they change)."""
        self.overlays = list(artists)
        for artist in self.overlays:
            artist.set_animated(True)

    def png(self, key: Hashable = None, overlay_key: Hashable = None,
            make_overlays: Optional[Callable[[], Iterable]] = None) -> bytes:
        """The figure as PNG bytes, on the background kept for `key`.

        `make_overlays`, if given, makes the overlays anew (new legends, say) the first time
        an `overlay_key` is seen; afterwards their pixels are pasted and it is not called.
        """
        if key not in self._backgrounds:
            self.canvas.draw()  # everything but the moving artists and the overlays
            self._backgrounds[key] = self.canvas.copy_from_bbox(self.fig.bbox)
        background = self._backgrounds[key]
        pasted = self._pasted.get((key, overlay_key))
        if pasted is None:
            if make_overlays is not None and overlay_key != self._overlay_key:
                self.set_overlays(make_overlays())
                self._overlay_key = overlay_key
            # drawn on the bare background, so that their pictures hold no moving pixel
            self.canvas.restore_region(background)
            renderer = self.canvas.get_renderer()
            pasted = []
            for artist in self.overlays:
                if artist.get_visible():
                    self.fig.draw_artist(artist)
                    box = artist.get_window_extent(renderer).padded(3)  # its soft edges too
                    pasted.append(self.canvas.copy_from_bbox(box))
            self._pasted[(key, overlay_key)] = pasted
        self.canvas.restore_region(background)
        renderer = self.canvas.get_renderer()
        for i, (artist, state) in enumerate(self.cached):
            picture_key = (key, i, state())
            picture = self._pictures.get(picture_key)
            if picture is None:
                self.fig.draw_artist(artist)
                picture = self._pictures[picture_key] = self.canvas.copy_from_bbox(
                    _extent(artist, renderer))
            else:
                self.canvas.restore_region(picture)
        for artist in self.moving:
            self.fig.draw_artist(artist)
        for region in pasted:
            self.canvas.restore_region(region)
        picture = PIL.Image.frombuffer("RGBA", self.canvas.get_width_height(),
                                       self.canvas.buffer_rgba()).convert("RGB")
        buffer = io.BytesIO()
        picture.save(buffer, format="png", compress_level=1)  # fast; the PNG stays small
        return buffer.getvalue()


def grid_lines(ax, **style):
    """Grid lines for an axes whose ticks move: a LineCollection that `place_grid` puts at
    the current ticks (the axes' own grid would be drawn with its ticks, every time)."""
    from matplotlib.collections import LineCollection
    ax.grid(False)
    lines = LineCollection([], **{"colors": "#b0b0b0", "linewidths": 0.8, "alpha": 0.3,
                                  "zorder": 0.5, **style})
    ax.add_collection(lines, autolim=False)
    return lines


def place_grid(ax, lines) -> None:
    """Move `lines` (from `grid_lines`) to the axes' current major ticks."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    xs = [x for x in ax.xaxis.get_majorticklocs() if min(x0, x1) <= x <= max(x0, x1)]
    ys = [y for y in ax.yaxis.get_majorticklocs() if min(y0, y1) <= y <= max(y0, y1)]
    lines.set_segments([[(x, y0), (x, y1)] for x in xs] + [[(x0, y), (x1, y)] for y in ys])


def fixed_axis_titles(ax, xlabel: str = "", ylabel: str = "", y_offset: float = 44) -> None:
    """Axis titles as plain texts, for axes whose ticks are redrawn on every move.

    An axis drawn as a moving artist draws its title too; placed as a text of its own the
    title joins the background, drawn once. `y_offset` (points) leaves room for the ticks.
    """
    if xlabel:
        ax.annotate(xlabel, (0.5, 0), xycoords="axes fraction", xytext=(0, -22),
                    textcoords="offset points", ha="center", va="top",
                    fontsize=ax.xaxis.label.get_fontsize())
    if ylabel:
        ax.annotate(ylabel, (0, 0.5), xycoords="axes fraction", xytext=(-y_offset, 0),
                    textcoords="offset points", ha="right", va="center", rotation=90,
                    fontsize=ax.yaxis.label.get_fontsize())


def _extent(artist, renderer):
    """The pixels `artist` covers (for an axis: its numbers and its tick marks too)."""
    boxes = [artist.get_tightbbox(renderer)]
    if isinstance(artist, Axis):
        low, high = sorted(artist.get_view_interval())
        for tick in artist.get_major_ticks():
            if tick.get_visible() and low <= tick.get_loc() <= high:  # only the drawn ones
                boxes += [line.get_window_extent(renderer) for line in (tick.tick1line, tick.tick2line)
                          if line.get_visible()]
    return Bbox.union([b for b in boxes if b is not None]).padded(2)


class DivergenceMarker:
    """A dashed line and label, "diverged at step k", on a loss plot; hidden until needed."""

    def __init__(self, ax, fontsize: int = 11):
        self.line = ax.axvline(1, color=VERMILLION, lw=1.5, ls="--", visible=False)
        self.text = ax.text(1, 0.5, "", transform=ax.get_xaxis_transform(), color=TEXT_RED,
                            fontsize=fontsize, va="center", visible=False)

    @property
    def artists(self) -> list:
        return [self.line, self.text]

    def show(self, step, steps: int) -> None:
        """Mark `step` (None hides the marker); the label stays inside a plot of `steps`."""
        visible = step is not None
        self.line.set_visible(visible)
        self.text.set_visible(visible)
        if visible:
            self.line.set_xdata([step, step])
            self.text.set_x(step)
            self.text.set_text(f" diverged at \n step {step} ")
            self.text.set_horizontalalignment("right" if step > 0.6 * steps else "left")
