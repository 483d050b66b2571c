"""Where does each position look? A trained model's attention weights, one query at a time.

    from grad.widgets import AttentionExplorer
    AttentionExplorer(weights, tokens)   # weights: (layers, heads, T, T); tokens: T strings

`weights[l, h, q]` is how head `h` of layer `l` shares out its attention from the query
position `q` over the positions 0..q of the context (causal: nothing after q; each row sums
to 1). Pick a layer, a head (or the average of the layer's heads) and a query position; the
widget draws that row as bars over the context's tokens, names its three largest weights,
shades the context text by them, and outlines the row in the head's full T x T heatmap
(whose masked future, above the diagonal, is grey).
"""
from __future__ import annotations

import base64
import html
import math
import numbers
from typing import Optional, Sequence, Union

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from grad.tensor import Tensor
from grad.viz import use_course_style
from grad.widgets.base import (BLUE, GREY, ORANGE, TEXT_ORANGE, VERMILLION, Explorer, FastFigure,
                               grid_lines)

AVERAGE = "average"   # the head dropdown's value for the mean of a layer's heads
ROW_SUM_TOLERANCE = 1e-4   # float32 softmax rows sum to 1 within about 1e-6
MAX_LABELS = 48            # more tokens than this: only every n-th is named on the axes
Y_TOPS = (0.1, 0.25, 0.5, 0.75, 1.0)  # the bars' y-axis ends: few distinct axes, each drawn once
SHADES = "Blues"           # a single-hue sequential map: read by lightness, whatever the colour vision
MASKED_GREY = "#c4c8cf"    # the heatmap's masked future, as in notebooks 13 and 14
# characters that would be invisible (or break the line) as labels
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥", "\r": "␍", "": "∅"}


def visible(token: str) -> str:
    """`token` with spaces, newlines and tabs drawn as ␣, ⏎ and ⇥ (so they can be seen)."""
    if token in VISIBLE:
        return VISIBLE[token]
    return "".join(VISIBLE.get(ch, ch) for ch in token)


def y_grid(ax, lines) -> None:
    """Horizontal grid lines (from `grid_lines`) at the y-axis' current ticks."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    lines.set_segments([[(x0, y), (x1, y)] for y in ax.yaxis.get_majorticklocs() if y0 <= y <= y1])


def label_positions(ax, positions: Sequence[int], labels: Sequence[str], fontsize: float) -> None:
    """Write `labels` under the x-axis at `positions`, as plain texts (far quicker to build
    than one tick per token)."""
    ax.set_xticks([])
    for x, label in zip(positions, labels):
        ax.annotate(label, (x, 0), xycoords=("data", "axes fraction"), xytext=(0, -3.5),
                    textcoords="offset points", ha="center", va="top", fontsize=fontsize)


def top_positions(row: np.ndarray, k: int = 3) -> list[tuple[int, float]]:
    """The `k` positions with the largest weights in `row`, largest first, as (position,
    weight); equal weights are listed from the earliest position on."""
    order = np.argsort(-np.asarray(row, dtype=float), kind="stable")[:k]
    return [(int(i), float(row[i])) for i in order]


def check_attention(weights: object, tokens: object) -> tuple[np.ndarray, list[str]]:
    """`weights` as a float array of shape (layers, heads, T, T) and `tokens` as T strings,
    or an error (TypeError for the wrong kind of thing, ValueError for wrong values) that
    says what is wrong."""
    data = weights.data if isinstance(weights, Tensor) else weights
    try:
        array = np.asarray(data)
    except Exception:
        raise TypeError(f"weights must be a NumPy array of numbers, got {type(weights).__name__}") from None
    if array.dtype == object or array.dtype.kind not in "iuf":
        raise TypeError(f"weights must be a NumPy array of real numbers, got dtype {array.dtype}")
    array = array.astype(float)
    if array.ndim != 4 or array.shape[2] != array.shape[3] or 0 in array.shape:
        hint = (" (one head's (T, T) weights: pass w[None, None]; one layer's (heads, T, T): w[None])"
                if array.ndim in (2, 3) else "")
        raise ValueError(f"weights must have shape (layers, heads, T, T), T query rows by T "
                         f"positions, none of them 0; got shape {array.shape}{hint}")
    L, H, T, _ = array.shape
    if not np.all(np.isfinite(array)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"weights must be finite; weights[{', '.join(map(str, where))}] is "
                         f"{array[where]} (a row whose scores were all -inf gives NaN)")
    if array.min() < 0:
        where = tuple(int(i) for i in np.argwhere(array < 0)[0])
        raise ValueError(f"weights must be at least 0 (they come out of a softmax); "
                         f"weights[{', '.join(map(str, where))}] is {array[where]:.4g}")
    future = np.triu(np.ones((T, T), dtype=bool), k=1)
    ahead = array * future
    if ahead.max() > 1e-6:
        l, h, q, p = (int(i) for i in np.unravel_index(np.argmax(ahead), ahead.shape))
        raise ValueError(f"weights must be causal: weights[{l}, {h}] puts {ahead[l, h, q, p]:.4g} "
                         f"on position {p}, after its query {q} (mask the scores above the "
                         "diagonal with -inf before the softmax)")
    sums = array.sum(axis=-1)
    off = np.abs(sums - 1)
    if off.max() > ROW_SUM_TOLERANCE:
        l, h, q = (int(i) for i in np.unravel_index(np.argmax(off), off.shape))
        raise ValueError(f"each row of weights must sum to 1 (a softmax over the last axis); "
                         f"row weights[{l}, {h}, {q}] sums to {sums[l, h, q]:.6g}")
    if isinstance(tokens, str):
        tokens = list(tokens)   # a string of characters is a list of one-character tokens
    if not isinstance(tokens, (list, tuple)):
        raise TypeError(f"tokens must be a list of T strings, got {type(tokens).__name__}")
    bad = [t for t in tokens if not isinstance(t, str)]
    if bad:
        raise TypeError(f"tokens must be strings (decode the ids first), got {type(bad[0]).__name__}: "
                        f"{bad[0]!r}")
    if len(tokens) != T:
        raise ValueError(f"tokens must be one string per position: the weights cover T = {T} "
                         f"positions, but {len(tokens)} tokens were given")
    return array, list(tokens)


def _index(value: object, name: str, size: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number, got {type(value).__name__}: {value!r}")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be from 0 to {size - 1}, got {value}")
    return int(value)


def _shades(weights: np.ndarray) -> list[tuple[str, str]]:
    """Background and text colours for tokens of these weights, darkest for the largest."""
    top = float(weights.max())
    levels = weights / top if top > 0 else np.zeros_like(weights)
    rgb = mpl.colormaps[SHADES](0.9 * levels)[:, :3]
    light = rgb @ np.array([0.2126, 0.7152, 0.0722])
    return [("#%02x%02x%02x" % tuple(int(round(255 * c)) for c in colour),
             "#000000" if lum > 0.5 else "#ffffff") for colour, lum in zip(rgb, light)]


class AttentionExplorer(Explorer):
    """A layer, a head and a query position: how much each earlier token gets.

    Controls: `layer` and `head` (dropdowns; the head's last option is the average of the
    layer's heads, which is also a row-stochastic causal matrix), `query` (a slider over the
    positions). Shows: `readout` (the three positions with the largest weights, named with
    their tokens and weights), `context` (the text with each token shaded by its weight,
    darkest for the row's largest; tokens after the query, which it cannot see, greyed),
    and `image`: the row as bars (the top three in orange, marked ▼) and the head's
    T x T heatmap with the row outlined. `row()` is the row shown.

    Speed (p95 on a 2-core machine, from make bench, for notebook 15's 2 layers of 4 heads
    over 32 characters): a move answers in 50 to 55 ms over all three controls' whole
    ranges, and the widget builds in about 0.3 s; up to twice that while other programs
    keep the machine busy.
    """

    def __init__(self, weights: object, tokens: Union[Sequence[str], str], layer: int = 0,
                 head: Union[int, str] = 0, query: Optional[int] = None):
        self.weights, self.tokens = check_attention(weights, tokens)
        L, H, T, _ = self.weights.shape
        layer = _index(layer, "layer", L)
        if head != AVERAGE:
            head = _index(head, f"head (or {AVERAGE!r})", H)
        query = T - 1 if query is None else _index(query, "query", T)
        self.means = self.weights.mean(axis=1)   # the average of each layer's heads
        self.labels = [visible(t) for t in self.tokens]

        style = {"description_width": "initial"}
        self.layer = widgets.Dropdown(options=[(str(i), i) for i in range(L)], value=layer,
                                      description="layer", style=style,
                                      layout=widgets.Layout(width="140px"))
        self.head = widgets.Dropdown(options=[(str(i), i) for i in range(H)]
                                     + [("average of heads", AVERAGE)], value=head,
                                     description="head", style=style,
                                     layout=widgets.Layout(width="220px"))
        self.query = widgets.IntSlider(value=query, min=0, max=T - 1, step=1,
                                       description="query position", continuous_update=False,
                                       style=style, layout=widgets.Layout(width="420px"))
        self.readout = widgets.HTML()
        self.context = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        for control in (self.layer, self.head, self.query):
            control.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.layer, self.head, self.query]), self.readout,
                          self.context, self.image])
        self._build()
        self.update()

    def matrix(self) -> np.ndarray:
        """The (T, T) weights of the chosen layer and head (or the heads' average)."""
        layer, head = self.layer.value, self.head.value
        return self.means[layer] if head == AVERAGE else self.weights[layer, head]

    def shown_matrix(self) -> np.ma.MaskedArray:
        """`matrix()` with the future (above the diagonal) masked: the heatmap draws it grey."""
        return np.ma.masked_where(self.future, self.matrix())

    def row(self) -> np.ndarray:
        """The chosen query's weights over the T positions (0 after the query)."""
        return self.matrix()[self.query.value]

    def update(self, change: object = None) -> None:
        """Redraw the readout, the shaded context and the picture for the controls' values."""
        q, row = self.query.value, self.row()
        top = top_positions(row[:q + 1], min(3, q + 1))
        head = ("the average of its heads" if self.head.value == AVERAGE
                else f"head {self.head.value}")
        named = ", ".join(f"<b>{html.escape(self.labels[p])}</b> at {p} ({w:.2f})" for p, w in top)
        self.readout.value = (f"layer {self.layer.value}, {head}: query position <b>{q}</b> "
                              f"(<b>{html.escape(self.labels[q])}</b>) looks most at {named}")
        self.context.value = self._shaded(row, q)
        self.image.value = self._draw(row, q, top)

    # ---- the context, shaded ----------------------------------------------------------
    def _shaded(self, row: np.ndarray, q: int) -> str:
        largest = float(row[:q + 1].max())
        colours = _shades(row[:q + 1])
        spans = []
        for p, label in enumerate(self.labels):
            tip = f"position {p}: weight {row[p]:.3f}" if p <= q else f"position {p}: after the query"
            if p <= q:
                back, ink = colours[p]
                border = f"2px solid {VERMILLION}" if p == q else "1px solid transparent"
                style = f"background:{back}; color:{ink}; border:{border}"
            else:   # the future: the query cannot see it
                style = f"color:{GREY}; border:1px dashed #c8c8c8"
            spans.append(f"<span title='{tip}' style='{style}; padding:0 1px; margin:0 1px 2px 0; "
                         f"display:inline-block'>{html.escape(label)}</span>")
            if self.tokens[p] == "\n":
                spans.append("<br>")
        return ("<div style='font-family:monospace; font-size:1.05em; line-height:1.7'>"
                + "".join(spans) + "</div><div style='font-size:0.9em'>darker = more weight "
                f"(darkest: {largest:.2f}); outlined in vermillion: the query; "
                "dashed and grey: after the query, masked</div>")

    # ---- the picture: the fixed parts drawn once per y-axis ---------------------------
    def _build(self) -> None:
        T = len(self.tokens)
        every = max(1, math.ceil(T / MAX_LABELS))
        ticks = list(range(0, T, every))
        small = 7 if T > 24 else 9
        with mpl.rc_context():
            use_course_style()
            fig = Figure(figsize=(12.5, 4.2), dpi=90)
            ax, hm = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.7, 1]})
            fig.subplots_adjust(left=0.06, right=0.96, bottom=0.16, top=0.84, wspace=0.16)
            # all bars as one collection: one thing to draw, not T
            self.bars = PolyCollection([], facecolors=BLUE, edgecolors="none")
            ax.add_collection(self.bars, autolim=False)
            ax.set_xlim(-0.6, T - 0.4)
            label_positions(ax, ticks, [self.labels[i] for i in ticks], 10 if T <= 32 else 8)
            self.grid = grid_lines(ax)   # the y-axis moves, so its grid lines are drawn apart
            ax.set_ylabel("attention weight")
            self.masked = ax.axvspan(T - 0.5, T - 0.5, fc="0.93", hatch="//", ec="0.72", lw=0)
            (self.tops,) = ax.plot([], [], "v", color=TEXT_ORANGE, ms=7)
            # the query's own label, boxed in vermillion over its tick label
            self.marker = ax.annotate("", (0, 0), xycoords=("data", "axes fraction"),
                                      xytext=(0, -3.5), textcoords="offset points", ha="center",
                                      va="top", fontsize=10 if T <= 32 else 8, fontweight="bold",
                                      bbox={"boxstyle": "square,pad=0.15", "fc": "white",
                                            "ec": VERMILLION, "lw": 1.8})
            key = [Rectangle((0, 0), 1, 1, fc=BLUE), Rectangle((0, 0), 1, 1, fc=ORANGE),
                   Rectangle((0, 0), 1, 1, fc="0.93", hatch="//", ec="0.72", lw=0),
                   Rectangle((0, 0), 1, 1, fc="white", ec=VERMILLION, lw=1.8)]
            ax.legend(key, ["weight", "the three largest (▼)", "after the query: masked",
                            "the query's own token"], loc="lower left", bbox_to_anchor=(0, 1.08),
                      ncol=4, fontsize=9, frameon=False, borderaxespad=0, handlelength=1.2)
            # the masked future (above the diagonal) is grey, apart from the weights near 0
            self.future = np.triu(np.ones((T, T), dtype=bool), k=1)
            self.images = hm.imshow(self.shown_matrix(), aspect="auto", interpolation="nearest",
                                    cmap=mpl.colormaps[SHADES].with_extremes(bad=MASKED_GREY),
                                    vmin=0, vmax=1)
            label_positions(hm, ticks, [self.labels[i] for i in ticks], small)
            rows = list(range(0, T, max(1, math.ceil(T / 16))))
            hm.set_yticks(rows, [str(i) for i in rows], fontsize=small)
            hm.tick_params(axis="y", length=0)
            hm.grid(False)
            hm.annotate("position looked at", (0.5, 0), xycoords="axes fraction", xytext=(0, -16),
                        textcoords="offset points", ha="center", va="top", fontsize=12)
            hm.set_ylabel("query position")
            hm.set_title(f"every query's weights (its row outlined)", fontsize=11)
            fig.colorbar(self.images, ax=hm, fraction=0.05, pad=0.02)
            self.outline = hm.add_patch(Rectangle((-0.5, -0.5), T, 1, fill=False, ec=VERMILLION, lw=2.2))
            self.headline = fig.text(0.06, 0.985, "", fontsize=12, fontweight="bold", va="top")
            self.ax, self.hm = ax, hm
            self.fast = FastFigure(fig, [self.grid, self.masked, self.bars, self.tops, self.marker,
                                         self.images, self.outline, self.headline],
                                   cached=[(ax.yaxis, ax.get_ylim)])

    @property
    def figure(self) -> Figure:
        return self.fast.fig

    def _draw(self, row: np.ndarray, q: int, top: list[tuple[int, float]]) -> bytes:
        T = len(self.tokens)
        ceiling = next(t for t in Y_TOPS if float(row.max()) * 1.12 <= t or t == Y_TOPS[-1])
        self.ax.set_ylim(0, ceiling)
        y_grid(self.ax, self.grid)
        shown = np.where(np.arange(T) <= q, row, 0.0)
        x, zero = np.arange(T, dtype=float), np.zeros(T)
        self.bars.set_verts(np.stack([np.stack([x - 0.4, zero], -1), np.stack([x - 0.4, shown], -1),
                                      np.stack([x + 0.4, shown], -1), np.stack([x + 0.4, zero], -1)],
                                     axis=1))
        first = {p for p, _ in top}
        self.bars.set_facecolors([ORANGE if p in first else BLUE for p in range(T)])
        self.tops.set_data([p for p, _ in top], [w + 0.035 * ceiling for _, w in top])
        self.masked.set_x(q + 0.5)
        self.masked.set_width(T - 1 - q)
        self.masked.set_visible(q < T - 1)
        self.marker.xy = (q, 0)
        self.marker.set_text(self.labels[q])
        head = "the heads' average" if self.head.value == AVERAGE else f"head {self.head.value}"
        self.headline.set_text(f"layer {self.layer.value}, {head}: where query position {q} "
                               f"({self.labels[q]}) looks")
        self.images.set_data(self.shown_matrix())
        self.outline.set_y(q - 0.5)
        return self.fast.png()

    def snapshot(self) -> dict[str, str]:
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
