"""Temperature and top-k: how a language model's next-token distribution becomes text.

    from grad.widgets import SamplingExplorer
    SamplingExplorer(next_logits, prompt_ids, decode, vocab, seed=0)

`next_logits(ids)` gives the model's logits for the token after the context `ids` (a list of
ints); the widget turns them into probabilities, `softmax(logits / temperature)` over the
`top_k` largest logits (the others get probability 0), draws them for the token after the
prompt, and writes a sample of `length` tokens with them.

The sample is drawn by the inverse of the cumulative distribution, with uniform numbers
drawn once from `seed`: at every step the tokens are lined up from the most to the least
likely, and the one whose stretch of [0, 1) holds that step's uniform number is taken.
The numbers are the same at every setting of the sliders, so a change in the sample
comes from the sliders, never from chance; and a low temperature or top_k = 1 takes the
most likely token every time (greedy decoding).
"""
from __future__ import annotations

import base64
import html
import math
import numbers
from typing import Callable, Optional, Sequence

import ipywidgets as widgets
import matplotlib as mpl
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from grad.tensor import Tensor
from grad.viz import use_course_style
from grad.widgets.attention import label_positions, visible, y_grid
from grad.widgets.base import BLUE, GREY, Explorer, FastFigure, grid_lines

TEMPERATURE_RANGE = (0.1, 2.0, 0.05)   # the slider: from, to, in steps of
MAX_LENGTH = 500          # the longest sample offered
MAX_BARS = 80             # the distribution shows at most this many (the most likely) tokens
MAX_CACHED = 100_000      # contexts whose logits are kept
Y_TOPS = (0.1, 0.25, 0.5, 0.75, 1.0)   # the y-axis ends: few distinct axes, each drawn once
CUT = "#e4e4e4"           # a cut token's bar: light grey, dashed outline


def _temperature(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"temperature must be a number, got {type(value).__name__}: {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"temperature must be a positive, finite number, got {value!r}: logits "
                         "are divided by it. (Its limit towards 0 is greedy decoding, always the "
                         "most likely token: ask for that with top_k=1.)")
    return float(value)


def _top_k(value: object, size: int) -> int:
    if value is None:
        return size
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"top_k must be a whole number or None, got {type(value).__name__}: {value!r}")
    if not 1 <= value <= size:
        raise ValueError(f"top_k must be from 1 to the vocabulary's size, {size} (or None for no "
                         f"cut), got {value}")
    return int(value)


def check_logits(logits: object, size: int, context: Optional[Sequence[int]] = None) -> np.ndarray:
    """`logits` as a float64 array of shape (size,), or an error that says what is wrong.
    -inf is allowed (a token that can never come); NaN and +inf are not."""
    where = f" for the context {list(context)[-8:]!r}" if context is not None else ""
    data = logits.data if isinstance(logits, Tensor) else logits
    try:
        array = np.asarray(data, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"next_logits must return a NumPy array of {size} numbers{where}, got "
                        f"{type(logits).__name__}") from None
    if array.shape != (size,):
        raise ValueError(f"next_logits must return one logit per token of the vocabulary, shape "
                         f"({size},){where}; got shape {array.shape} (for a model's (T, vocab) "
                         "output, return its last row)")
    if np.isnan(array).any() or (array == np.inf).any():
        bad = int(np.argmax(np.isnan(array) | (array == np.inf)))
        raise ValueError(f"next_logits returned {array[bad]} for token {bad}{where}; logits must "
                         "be finite (or -inf for a token that can never come)")
    if not np.isfinite(array).any():
        raise ValueError(f"next_logits returned -inf for every token{where}: no token can come next")
    return array


def next_token_probs(logits: np.ndarray, temperature: float = 1.0,
                     top_k: Optional[int] = None) -> np.ndarray:
    """softmax(logits / temperature), keeping only the `top_k` largest logits (the others get
    probability 0; among equal logits the lower id is kept). top_k=None keeps them all."""
    if np.ndim(logits) != 1:
        raise ValueError(f"logits must be 1-D, one per token, got shape {np.shape(logits)}")
    logits = check_logits(logits, len(logits))
    return _probs(logits, _temperature(temperature), _top_k(top_k, len(logits)))


def _probs(logits: np.ndarray, temperature: float, k: int) -> np.ndarray:
    z = logits / temperature
    if k < len(z):
        cut = np.argsort(-logits, kind="stable")[k:]
        z[cut] = -np.inf
    z = np.exp(z - z.max())
    return z / z.sum()


def pick(probs: np.ndarray, u: float) -> int:
    """The token whose stretch of [0, 1) holds `u`, the tokens lined up from the most to the
    least likely (equal ones by id): u near 0 takes the most likely one. Never a token of
    probability 0."""
    order = np.argsort(-probs, kind="stable")
    cdf = np.cumsum(probs[order])
    j = int(np.searchsorted(cdf, u * cdf[-1], side="right"))  # scaled: rounding never runs past the end
    return int(order[min(j, len(order) - 1)])


def _boxes(positions: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """Bars of width 0.8 at `positions`, as an (n, 4, 2) array of corners (one array, so
    matplotlib makes the paths at once)."""
    x, h = positions.astype(float), heights[positions]
    zero = np.zeros_like(x)
    return np.stack([np.stack([x - 0.4, zero], -1), np.stack([x - 0.4, h], -1),
                     np.stack([x + 0.4, h], -1), np.stack([x + 0.4, zero], -1)], axis=1)


class SamplingExplorer(Explorer):
    """Temperature and top-k sliders over a language model's next-token distribution.

    Controls: `temperature` (0.1 to 2.0: below 1 sharpens the distribution towards the most
    likely token, above 1 flattens it towards uniform) and `top_k` (1 to the vocabulary's
    size, which cuts nothing; 1 is greedy decoding). Shows: `image`, the probabilities of
    the next token after the prompt (the most likely first; tokens that top-k cuts drawn as
    light grey dashed outlines at the height they had before the cut, their probability now 0),
    `readout`, the five most likely tokens and what the cut removed, and `sample`, the
    prompt followed by `length` generated tokens. `probs()` is the distribution drawn,
    `generated` the sampled ids.

    The model is asked once per distinct context: `next_logits` answers are kept in a dict
    keyed by the tuple of context ids, and samples at nearby settings share their first
    tokens (the same uniform numbers fall in nearly the same stretches); still, a new
    setting asks the model about most of its `length` contexts, and those forward passes are
    most of a move's time. Speed (p95 on a 2-core machine, from make bench, with notebook
    15's tiny GPT of grad.tensor, random weights, as the model, length 40): a move answers
    in 110 to 115 ms over both sliders' whole ranges, nearly all of it the model's forward
    passes, and the widget builds in about 0.3 s; up to twice that while other programs
    keep the machine busy. A longer
    sample costs proportionally more.
    """

    def __init__(self, next_logits: Callable[[list[int]], np.ndarray], prompt_ids: Sequence[int],
                 decode: Callable[[list[int]], str], vocab: Sequence[str], seed: int = 0,
                 temperature: float = 1.0, top_k: Optional[int] = None, length: int = 40):
        if not callable(next_logits):
            raise TypeError(f"next_logits must be a function of a list of ids, got "
                            f"{type(next_logits).__name__}")
        if not callable(decode):
            raise TypeError(f"decode must be a function of a list of ids, got {type(decode).__name__}")
        if isinstance(vocab, str) or not isinstance(vocab, (list, tuple)):
            raise TypeError(f"vocab must be a list of the tokens (strings) in id order, got "
                            f"{type(vocab).__name__}")
        if not vocab:
            raise ValueError("vocab must hold at least one token (a string per id, in id order)")
        if not all(isinstance(t, str) for t in vocab):
            raise TypeError("vocab must be a list of strings, the tokens in id order")
        V = len(vocab)
        if isinstance(prompt_ids, (str, bytes)) or not isinstance(prompt_ids, (list, tuple, np.ndarray)):
            raise TypeError(f"prompt_ids must be a list of token ids (ints), got "
                            f"{type(prompt_ids).__name__} (encode the prompt first)")
        ids = list(prompt_ids)
        if not ids:
            raise ValueError("prompt_ids must hold at least one token id: the model needs a context")
        for i in ids:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise TypeError(f"prompt_ids must be whole numbers (token ids), got "
                                f"{type(i).__name__}: {i!r}")
            if not 0 <= i < V:
                raise ValueError(f"prompt id {i} is out of range: ids go from 0 to {V - 1} "
                                 f"(one per token of vocab)")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be a whole number, got {type(seed).__name__}: {seed!r}")
        if seed < 0:
            raise ValueError(f"seed must be at least 0, got {seed}")
        if isinstance(length, bool) or not isinstance(length, numbers.Integral):
            raise TypeError(f"length must be a whole number, got {type(length).__name__}: {length!r}")
        if not 1 <= length <= MAX_LENGTH:
            raise ValueError(f"length must be from 1 to {MAX_LENGTH}, got {length}")
        low, high, every = TEMPERATURE_RANGE
        temperature = _temperature(temperature)
        if not low <= temperature <= high:
            raise ValueError(f"temperature must be from {low:g} to {high:g} (the slider's range), "
                             f"got {temperature:g}")
        top_k = _top_k(top_k, V)
        self.next_logits, self.decode, self.vocab = next_logits, decode, list(vocab)
        self.prompt_ids = [int(i) for i in ids]
        self.seed, self.length = int(seed), int(length)
        self.labels = [visible(t) for t in self.vocab]
        self.text(self.prompt_ids)   # decode is checked on the prompt
        # the same uniform numbers at every setting, from a generator of our own
        self.uniforms = np.random.default_rng(self.seed).random(self.length)
        self._cache: dict[tuple[int, ...], np.ndarray] = {}
        self.first = self.logits(self.prompt_ids)
        self.order = np.argsort(-self.first, kind="stable")[:MAX_BARS]   # the bars, most likely first
        self.generated: list[int] = []

        style = {"description_width": "initial"}
        self.temperature = widgets.FloatSlider(value=temperature, min=low, max=high, step=every,
                                               description="temperature", readout_format=".2f",
                                               continuous_update=False, style=style,
                                               layout=widgets.Layout(width="420px"))
        self.top_k = widgets.IntSlider(value=top_k, min=1, max=V, step=1, description="top-k",
                                       continuous_update=False, style=style,
                                       layout=widgets.Layout(width="420px"))
        self.readout = widgets.HTML()
        self.sample = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.temperature.observe(self.update, names="value")
        self.top_k.observe(self.update, names="value")
        super().__init__([widgets.HBox([self.temperature, self.top_k]), self.readout, self.image,
                          self.sample])
        self._build()
        self.update()

    def logits(self, context: Sequence[int]) -> np.ndarray:
        """next_logits(context), checked, asked of the model once per distinct context."""
        key = tuple(context)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            found = self._cache[key] = check_logits(self.next_logits(list(key)), len(self.vocab), key)
        return found

    def text(self, ids: Sequence[int]) -> str:
        """decode(ids), checked to be a string."""
        text = self.decode(list(ids))
        if not isinstance(text, str):
            raise TypeError(f"decode must return a string, got {type(text).__name__}: {text!r}")
        return text

    def probs(self, context: Optional[Sequence[int]] = None) -> np.ndarray:
        """The next-token distribution after `context` (default: the prompt) at the sliders'
        temperature and top-k."""
        logits = self.first if context is None else self.logits(context)
        return _probs(logits, self.temperature.value, self.top_k.value)

    def generate(self) -> list[int]:
        """`length` tokens after the prompt, each picked with the next of the seed's uniform
        numbers from the distribution at the sliders' settings."""
        context = list(self.prompt_ids)
        for u in self.uniforms:
            context.append(pick(self.probs(context), u))
        return context[len(self.prompt_ids):]

    def update(self, change: object = None) -> None:
        """Redraw the distribution and the readout, and write the sample anew."""
        T, k, V = self.temperature.value, self.top_k.value, len(self.vocab)
        p = self.probs()
        self.generated = self.generate()
        five = [int(i) for i in np.argsort(-p, kind="stable")[:min(5, k)]]
        named = ", ".join(f"<b>{html.escape(self.labels[i])}</b> {p[i]:.2f}" for i in five)
        if k < V:
            before = _probs(self.first, T, V)
            lost = 1.0 - float(before[p > 0].sum())
            held = f"{100 * lost:.1f}%" if lost >= 0.0005 else "less than 0.05%"
            cut = (f"top-k = {k} keeps {k} of the {V} tokens; the {V - k} cut held {held} of "
                   "the probability and now have 0, the kept ones share it")
        else:
            cut = f"top-k = {V}: no token is cut"
        self.readout.value = (f"temperature <b>{T:.2f}</b>: after the prompt the most likely next "
                              f"tokens are {named}. {cut}.")
        prompt, text = html.escape(self.text(self.prompt_ids)), html.escape(self.text(self.generated))
        self.sample.value = (f"<div style='font-size:0.9em'>a sample of {self.length} tokens "
                             f"(seed {self.seed}: the same random numbers at every setting), "
                             "the prompt in grey:</div><pre style='white-space:pre-wrap; "
                             f"margin:2px 0; font-size:1.05em'><span style='color:{GREY}'>{prompt}"
                             f"</span><b>{text}</b></pre>")
        self.image.value = self._draw(p, T, k)

    # ---- the picture ------------------------------------------------------------------
    def _build(self) -> None:
        n = len(self.order)
        with mpl.rc_context():
            use_course_style()
            fig = Figure(figsize=(12.5, 3.6), dpi=90)
            ax = fig.subplots()
            fig.subplots_adjust(left=0.06, right=0.99, bottom=0.17, top=0.8)
            self.cut = PolyCollection([], facecolors=CUT, edgecolors=GREY, lw=0.8, linestyles="--")
            self.kept = PolyCollection([], facecolors=BLUE, edgecolors="none")
            ax.add_collection(self.cut, autolim=False)
            ax.add_collection(self.kept, autolim=False)
            ax.set_xlim(-0.6, n - 0.4)
            label_positions(ax, range(n), [self.labels[i] for i in self.order], 10 if n <= 48 else 8)
            self.grid = grid_lines(ax)
            ax.set_ylabel("probability")
            key = [Rectangle((0, 0), 1, 1, fc=BLUE),
                   Rectangle((0, 0), 1, 1, fc=CUT, ec=GREY, lw=0.8, ls="--")]
            shown = (f"the {n} most likely of {len(self.vocab)} tokens, most likely first"
                     if n < len(self.vocab) else "every token, the most likely first")
            ax.legend(key, ["kept: its probability", "cut by top-k: probability set to 0 "
                            "(outline: before the cut)"], loc="lower right",
                      bbox_to_anchor=(1, 1.02), ncol=2, fontsize=9, frameon=False, borderaxespad=0)
            ax.set_title(f"the next token after the prompt ({shown})", loc="left", fontsize=11,
                         pad=22)
            self.headline = fig.text(0.06, 0.985, "", fontsize=12, fontweight="bold", va="top")
            self.ax = ax
            self.fast = FastFigure(fig, [self.grid, self.cut, self.kept, self.headline],
                                   cached=[(ax.yaxis, ax.get_ylim)])

    @property
    def figure(self) -> Figure:
        return self.fast.fig

    def _draw(self, p: np.ndarray, T: float, k: int) -> bytes:
        before = _probs(self.first, T, len(self.vocab))   # the same temperature, nothing cut
        heights = p[self.order]
        dropped = (p[self.order] == 0) & (before[self.order] > 0)
        ceiling = next(t for t in Y_TOPS if float(p.max()) * 1.08 <= t or t == Y_TOPS[-1])
        self.ax.set_ylim(0, ceiling)
        y_grid(self.ax, self.grid)

        self.kept.set_verts(_boxes(np.flatnonzero(heights > 0), heights))
        self.cut.set_verts(_boxes(np.flatnonzero(dropped), np.minimum(before[self.order], ceiling)))
        top = "no cut" if k == len(self.vocab) else f"top-k {k}"
        self.headline.set_text(f"temperature {T:.2f}, {top}")
        return self.fast.png()

    def snapshot(self) -> dict[str, str]:
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
