"""The regularization explorer: one slider over the strength of an L2 penalty.

    from grad.widgets.regularization import RegularizationExplorer
    RegularizationExplorer()               # 30 noisy moons, MLP(2, [8, 8, 1])

At construction, one small network is trained for every position of the slider, each
from the same starting weights, with the loss

    binary cross-entropy on the 30 training points  +  alpha * l2_penalty(parameters)

(Adam, learning rate 0.08, 100 full-batch steps), the same loop as notebook 10. Runs
already trained with that loop can be handed over (`trained={alpha: (model, history)}`)
instead of being trained twice. Moving the slider only redraws: the decision boundary
over the training and test points, the train and test loss step by step, and the final
train and test accuracy for every alpha of the sweep.

The networks start from the weights `grad.nn.MLP` draws and are trained on NumPy arrays
(`ArrayMLP`: the same arithmetic for all points at once, and the same numbers as the
`grad.Value` loop to rounding; the tests compare them), about 25 ms per training. Every
boundary is evaluated once, at construction; a move only redraws what changes.
"""
from __future__ import annotations

import base64
import math
import numbers
import random
import time
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from grad.nn import MLP, Layer
from grad.optim import Adam
from grad.widgets._arrays import ArrayMLP
from grad.widgets.base import BLACK, BLUE, ORANGE, VERMILLION, YELLOW, Explorer, FastFigure

ALPHAS = (0.0, 3e-4, 3e-3, 3e-2, 0.3)   # factors of ten: the usual way to search for alpha
# colour-blind-safe colours, each with a second cue: train solid with circles, test dashed
# with squares; class 0 drawn as blue circles, class 1 as vermillion squares (notebook 10
# draws its points with these same colours and markers)
TRAIN_COLOR, TEST_COLOR = BLUE, ORANGE
CLASS_COLORS = (BLUE, VERMILLION)      # class 0, class 1
CLASS_MARKERS = ("o", "s")
# the background: light blue where the model says class 0, light vermillion for class 1
BACKGROUND = LinearSegmentedColormap.from_list("moons", ["#b3d4ea", "#ffffff", "#f3c8a8"])
MAX_ALPHAS = 20       # each alpha is one training run at construction
MAX_STEPS = 1000
MAX_WIDTH = 64        # units per hidden layer


def make_moons(n_samples: int = 100, noise: float = 0.0,
               random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: the points of scikit-learn's `make_moons`, with NumPy alone.

    Gives exactly what `sklearn.datasets.make_moons(n_samples, noise=noise,
    random_state=random_state)` gives (the tests compare them), without importing
    scikit-learn, which costs most of a second. Class 0 lies evenly along the upper half
    circle of radius 1 around (0, 0), class 1 along the lower one around (1, 0.5); the
    points are shuffled, then Gaussian noise of standard deviation `noise` moves each
    coordinate. Returns X (n_samples rows of 2) and the labels y (0 or 1).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a whole number of at least 1, got {n_samples!r}")
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not (noise >= 0 and math.isfinite(noise)):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise ValueError(f"random_state must be a whole number (a seed), got {random_state!r}")
    rng = np.random.RandomState(random_state)          # the generator scikit-learn uses
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    # the same arithmetic, in the same order, as scikit-learn, so the floats agree exactly
    x = np.append(np.cos(t_out), 1 - np.cos(t_in))
    y = np.append(np.sin(t_out), 1 - np.sin(t_in) - 0.5)
    X = np.vstack([x, y]).T
    labels = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    order = np.arange(n_samples)
    rng.shuffle(order)
    X, labels = X[order], labels[order]
    X = X + rng.normal(scale=noise, size=X.shape)
    return X, labels


def moons_split(n_train: int = 30, n_test: int = 500, noise: float = 0.3, seed: int = 6,
                test_seed: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A small noisy training set and a large test set from the same two moons (labels 0/1)."""
    X_train, y_train = make_moons(n_train, noise=noise, random_state=seed)
    X_test, y_test = make_moons(n_test, noise=noise, random_state=test_seed)
    return X_train, y_train.astype(float), X_test, y_test.astype(float)


def mlp_scores(model: MLP, X: np.ndarray) -> np.ndarray:
    """The output of a one-output `MLP` for every row of `X`, computed with numpy.

    The same arithmetic as `model(x)` (each layer: activation(W @ h + b)), read from the
    model's current weights, but for thousands of points at once. Dropout is skipped, as
    in evaluation mode.
    """
    h = ArrayMLP(model)(X)
    if h.shape[1] != 1:
        raise ValueError(f"mlp_scores needs a model with one output, this one has {h.shape[1]}")
    return h[:, 0]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), without overflow for large |z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def bce_numpy(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean binary cross-entropy of labels 0/1 against scores, as `grad.losses` computes it."""
    z = np.asarray(scores, dtype=float)
    return float(np.mean(np.maximum(z, 0) - z * labels + np.log1p(np.exp(-np.abs(z)))))


@dataclass
class Run:
    """One training run at one L2 strength, measured after every step (index 0: before training)."""
    alpha: float
    model: MLP
    train_loss: list[float] = field(default_factory=list)   # cross-entropy only, no penalty
    test_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    milliseconds: float = 0.0

    @property
    def sum_of_squares(self) -> float:
        """Sum of the squared parameters at the end: what the L2 penalty measures."""
        return sum(p.data ** 2 for p in self.model.parameters())


def _check_alpha(alpha: object) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not (alpha >= 0 and math.isfinite(alpha)):
        raise ValueError(f"the L2 strength alpha must be a number >= 0, got {alpha!r}")
    return float(alpha)


def train_with_l2(data: tuple, alpha: float, hidden: Sequence[int] = (8, 8), steps: int = 100,
                  lr: float = 0.08, seed: int = 1) -> Run:
    """Train `MLP(2, [*hidden, 1])` on data = (X_train, y_train, X_test, y_test).

    Loss: binary cross-entropy + alpha * l2_penalty(parameters), `grad.optim.Adam`, full
    batch, computed on NumPy arrays (`ArrayMLP`) with the numbers the `grad.Value` loop of
    notebook 10 gives. The starting weights come from `random.seed(seed)`, whatever alpha
    is; the caller's random state is restored afterwards. The returned run's `model` holds
    the trained weights.
    """
    alpha = _check_alpha(alpha)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 1:
        raise ValueError(f"steps must be a whole number of at least 1, got {steps!r}")
    X_train, y_train, X_test, y_test = data
    state = random.getstate()
    random.seed(seed)
    try:
        model = MLP(2, [*hidden, 1])
    finally:
        random.setstate(state)
    run = Run(alpha, model)
    net = ArrayMLP(model)
    opt = Adam(net.parameters(), lr=lr)
    labels = np.asarray(y_train, dtype=float)

    start = time.perf_counter()
    for step in range(steps + 1):
        # the measurement after the last step (the test points first: the training points'
        # pass is the one backward() needs), then this step
        s_test = net(X_test)[:, 0]
        s_train = net(X_train)[:, 0]
        run.train_loss.append(bce_numpy(s_train, y_train))
        run.test_loss.append(bce_numpy(s_test, y_test))
        run.train_acc.append(float(np.mean((s_train > 0) == (y_train > 0.5))))
        run.test_acc.append(float(np.mean((s_test > 0) == (y_test > 0.5))))
        if step == steps:
            break
        net.backward(((_sigmoid(s_train) - labels) / len(labels))[:, None])  # d loss / d score
        if alpha:                              # d (alpha * sum of w**2) / d w = 2 alpha w
            net.weights.grad = net.weights.grad + 2 * alpha * net.weights.data
        opt.step()
    net.copy_to(model)
    run.milliseconds = 1000 * (time.perf_counter() - start)
    return run


HISTORY_KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")


def run_from_history(data: tuple, alpha: float, model: MLP, history: Mapping[str, Sequence[float]],
                     hidden: Sequence[int] = (8, 8), steps: int = 100, seed: int = 1) -> Run:
    """A `Run` from a network trained elsewhere with the loop of `train_with_l2`.

    `history` maps 'train_loss', 'test_loss', 'train_acc', 'test_acc' to steps + 1 numbers
    (index 0 before training). Cheap checks catch a run that cannot be the explorer's: the
    wrong layer sizes or number of steps, other starting weights than `random.seed(seed)`
    gives, or a model whose final scores do not give the history's final numbers.
    """
    alpha = _check_alpha(alpha)
    sizes = [len(layer.neurons) for layer in getattr(model, "layers", []) if isinstance(layer, Layer)]
    if not isinstance(model, MLP) or sizes != [*hidden, 1] or len(model.layers[0].neurons[0].w) != 2:
        raise ValueError(f"the run at alpha={alpha} must be an MLP(2, {[*hidden, 1]}), got {model!r}")
    if not isinstance(history, Mapping) or any(k not in history for k in HISTORY_KEYS):
        raise ValueError(f"the history of the run at alpha={alpha} must map {', '.join(HISTORY_KEYS)} "
                         "to the numbers measured before training and after every step")
    curves = {k: [float(v) for v in history[k]] for k in HISTORY_KEYS}
    if any(len(c) != steps + 1 for c in curves.values()):
        raise ValueError(f"the run at alpha={alpha} must have {steps + 1} measurements per curve "
                         f"({steps} steps), got {[len(c) for c in curves.values()]}")
    X_train, y_train, X_test, y_test = data
    state = random.getstate()
    random.seed(seed)
    try:
        start = MLP(2, [*hidden, 1])
    finally:
        random.setstate(state)
    if not math.isclose(curves["train_loss"][0], bce_numpy(mlp_scores(start, X_train), y_train),
                        rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(f"the run at alpha={alpha} did not start from the weights random.seed({seed}) "
                         f"gives MLP(2, {[*hidden, 1]}), so it cannot be compared with the others")
    s_train, s_test = mlp_scores(model, X_train), mlp_scores(model, X_test)
    final = (bce_numpy(s_train, y_train), bce_numpy(s_test, y_test))
    if not all(math.isclose(a, curves[k][-1], rel_tol=1e-9, abs_tol=1e-12)
               for a, k in zip(final, ("train_loss", "test_loss"))):
        raise ValueError(f"the model given for alpha={alpha} does not give the last losses of its "
                         "history on these data: pass the trained model with its own history")
    return Run(alpha, model, **curves)


def _label(alpha: float) -> str:
    """alpha as the slider writes it (0, 3e-4, 1.5e-3): as few digits as give the number back."""
    if alpha == 0:
        return "0"
    for digits in range(17):
        text = f"{alpha:.{digits}e}"
        if float(text) == alpha:
            break
    return text.replace("e-0", "e-").replace("e+00", "").replace("e+0", "e")


def _check_data(data: object) -> tuple:
    """(X_train, y_train, X_test, y_test): points with 2 finite coordinates, labels 0 or 1."""
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be (X_train, y_train, X_test, y_test)")
    arrays = []
    for name, d, ndim in zip(("X_train", "y_train", "X_test", "y_test"), data, (2, 1, 2, 1)):
        try:
            a = np.asarray(d, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of numbers") from None
        if a.ndim != ndim or (ndim == 2 and a.shape[1] != 2) or len(a) < 1:
            want = "one row (x1, x2) per point" if ndim == 2 else "one label per point"
            raise ValueError(f"{name} must have {want}, got shape {a.shape}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} must hold finite numbers only (no NaN or inf)")
        if ndim == 1 and not np.all((a == 0) | (a == 1)):
            raise ValueError(f"{name} must hold labels 0 and 1 only, got {sorted(set(a.tolist()))[:5]}")
        arrays.append(a)
    for X, y, which in ((arrays[0], arrays[1], "train"), (arrays[2], arrays[3], "test")):
        if len(X) != len(y):
            raise ValueError(f"X_{which} and y_{which} must have one label per point, "
                             f"got {len(X)} points and {len(y)} labels")
    return tuple(arrays)


class RegularizationExplorer(Explorer):
    """Slide the L2 strength alpha from 0 (memorize the noise) to 0.3 (learn nothing).

        RegularizationExplorer()                    # alpha = 0: an overfit network
        RegularizationExplorer(alpha=3e-3)          # start somewhere else
        RegularizationExplorer(alphas=(1e-3, 3e-3, 1e-2))   # your own sweep (starts at the smallest)

    `trained` maps some alphas to a (model, history) pair trained elsewhere with the same
    loop (see `run_from_history`); those are used as they are instead of trained again.

    Controls: `slider` (a SelectionSlider over `alphas`). `image` holds a PNG of three
    panels (boundary, loss curves, accuracy against alpha) and `info` a line of numbers.
    `runs` maps every alpha to its `Run`; `run` is the one shown; `table()` lists
    (alpha, final train accuracy, final test accuracy).

    `verdict` holds the last one-line judgement (overfitting, underfitting, a good balance).

    Speed (p95 on a 2-core machine, from make bench): a move answers in 50 to 65 ms, and
    the widget builds in 0.55 to 0.65 s with the 5 default alphas (0.4 to 0.55 s with
    notebook 10's two runs handed over); up to twice that while other programs keep the
    machine busy.
    The slider updates on release.
    """

    def __init__(self, alphas: Sequence[float] = ALPHAS, alpha: Optional[float] = None,
                 hidden: Sequence[int] = (8, 8), steps: int = 100, lr: float = 0.08,
                 data: Optional[tuple] = None, seed: int = 1,
                 trained: Optional[Mapping[float, tuple]] = None):
        if isinstance(alphas, (str, bytes)) or not isinstance(alphas, Iterable):
            raise TypeError(f"alphas must be a list of L2 strengths, got {alphas!r}")
        self.alphas = tuple(sorted({_check_alpha(a) for a in alphas}))
        if not 2 <= len(self.alphas) <= MAX_ALPHAS:
            raise ValueError(f"give from 2 to {MAX_ALPHAS} different alphas to compare "
                             f"(each is trained when the explorer is made), got {len(self.alphas)}")
        alpha = self.alphas[0] if alpha is None else _check_alpha(alpha)
        if alpha not in self.alphas:
            raise ValueError(f"alpha={alpha} is not among the alphas {self.alphas}")
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Iterable):
            raise TypeError(f"hidden must be a list of layer widths such as (8, 8), got {hidden!r}")
        hidden = tuple(hidden)
        for width in hidden:
            if isinstance(width, bool) or not isinstance(width, numbers.Integral) \
                    or not 1 <= width <= MAX_WIDTH:
                raise ValueError(f"each hidden layer width must be a whole number from 1 to "
                                 f"{MAX_WIDTH}, got {width!r} in hidden={hidden!r}")
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) \
                or not 1 <= steps <= MAX_STEPS:
            raise ValueError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not (0 < lr and math.isfinite(lr)):
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"seed must be a whole number, got {seed!r}")
        self.data = moons_split() if data is None else _check_data(data)
        self.steps = steps
        if trained is not None and not isinstance(trained, Mapping):
            raise TypeError(f"trained must map alphas to (model, history) pairs, got {trained!r}")
        given: dict[float, Run] = {}
        for a, pair in (trained or {}).items():
            a = _check_alpha(a)
            if a not in self.alphas:
                raise ValueError(f"a trained run for alpha={a}, which is not among the alphas {self.alphas}")
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"trained[{a}] must be a pair (model, history), got {pair!r}")
            given[a] = run_from_history(self.data, a, pair[0], pair[1], hidden, steps, seed)
        self.runs: dict[float, Run] = {a: given[a] if a in given else
                                       train_with_l2(self.data, a, hidden, steps, lr, seed)
                                       for a in self.alphas}
        self._grid()

        self.slider = widgets.SelectionSlider(
            options=[(_label(a), a) for a in self.alphas], value=alpha,
            description="L2 strength α", continuous_update=False,
            style={"description_width": "initial"}, layout=widgets.Layout(width="460px"))
        self.info = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.slider.observe(lambda change: self.update(), names="value")
        super().__init__([self.slider, self.info, self.image])
        self._build_figure()
        self.update()

    @property
    def alpha(self) -> float:
        return self.slider.value

    @property
    def run(self) -> Run:
        return self.runs[self.slider.value]

    def table(self) -> list[tuple[float, float, float]]:
        """(alpha, final train accuracy, final test accuracy) for every alpha, in order."""
        return [(a, r.train_acc[-1], r.test_acc[-1]) for a, r in self.runs.items()]

    def judge(self, alpha: float) -> str:
        """One sentence on the run at `alpha`: overfitting, underfitting or a good balance."""
        run = self.runs[alpha]
        train, test = run.train_acc[-1], run.test_acc[-1]
        best = max(r.test_acc[-1] for r in self.runs.values())
        if train - test > 0.08:
            return ("<b>overfitting</b>: the training points are fitted far better than new "
                    "points; the boundary bends around noise.")
        if test < best - 0.03:
            return ("<b>underfitting</b>: the penalty wins; the weights are squeezed so much that "
                    "the model is too simple for the moons.")
        return ("<b>a good balance</b>: train and test accuracy agree and test accuracy is near "
                "the best of the sweep.")

    # ---- every boundary is evaluated once, on one grid -------------------------------------
    def _grid(self) -> None:
        X_train, _, X_test, _ = self.data
        X = np.vstack([X_train, X_test])
        (x0, y0), (x1, y1) = X.min(axis=0), X.max(axis=0)
        px, py = 0.08 * (x1 - x0), 0.08 * (y1 - y0)
        self.extent = (x0 - px, x1 + px, y0 - py, y1 + py)
        gx, gy = np.linspace(x0 - px, x1 + px, 160), np.linspace(y0 - py, y1 + py, 120)
        self.grid_x, self.grid_y = np.meshgrid(gx, gy)
        points = np.column_stack([self.grid_x.ravel(), self.grid_y.ravel()])
        self.grid_scores = {a: mlp_scores(r.model, points).reshape(self.grid_x.shape)
                            for a, r in self.runs.items()}

    # ---- drawing ---------------------------------------------------------------------------
    def _build_figure(self) -> None:
        X_train, y_train, X_test, y_test = self.data
        self.fig = Figure(figsize=(14, 4.3), dpi=80)
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=0.21, top=0.9, wspace=0.3)
        ax_b, ax_l, ax_a = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.15, 1, 1]})
        self.ax_boundary, self.ax_loss, self.ax_acc = ax_b, ax_l, ax_a

        # 1. boundary: the probability of class 1 as a background, the 0.5 line in black;
        # all of it changes with alpha, so it is drawn on every move (the points over it)
        self.background = ax_b.imshow(np.zeros_like(self.grid_x), extent=self.extent, origin="lower",
                                      cmap=BACKGROUND, vmin=0, vmax=1, aspect="auto",
                                      interpolation="bilinear")
        self.contour = None
        self._colored: dict[float, np.ndarray] = {}
        points = []
        for k in (0, 1):
            points.append(ax_b.scatter(*X_test[y_test == k].T, s=12, color=CLASS_COLORS[k],
                                       marker=CLASS_MARKERS[k], alpha=0.5, lw=0,
                                       label=f"test, class {k}"))
        for k in (0, 1):
            points.append(ax_b.scatter(*X_train[y_train == k].T, s=60, color=CLASS_COLORS[k],
                                       marker=CLASS_MARKERS[k], edgecolor="black", lw=1.2,
                                       zorder=3, label=f"training, class {k}"))
        ax_b.set_xlim(*self.extent[:2])
        ax_b.set_ylim(*self.extent[2:])
        ax_b.set_xlabel("x₁")
        ax_b.set_ylabel("x₂")
        ax_b.grid(False)
        legend = ax_b.legend(loc="lower left", fontsize=8, framealpha=1, fancybox=False, ncol=2)

        # 2. loss curves, on the same scale for every alpha
        (self.train_line,) = ax_l.plot([], [], color=TRAIN_COLOR, lw=2, label="train loss")
        (self.test_line,) = ax_l.plot([], [], color=TEST_COLOR, lw=2, ls="--", label="test loss")
        top = max(max(r.test_loss + r.train_loss) for r in self.runs.values())
        ax_l.set_xlim(0, self.steps)
        ax_l.set_ylim(0, min(top, 3.0) * 1.05)
        ax_l.set_xlabel("training step")
        ax_l.set_ylabel("cross-entropy loss")
        ax_l.legend(loc="upper left", fontsize=10)

        # 3. the whole sweep: final accuracies against alpha, the current alpha marked
        xs = np.arange(len(self.alphas))
        table = self.table()
        ax_a.plot(xs, [100 * t for _, t, _ in table], "-o", color=TRAIN_COLOR, label="train")
        ax_a.plot(xs, [100 * t for _, _, t in table], "--s", color=TEST_COLOR, label="test")
        # the current alpha: rings around its two points, over a band (drawn over the curves)
        (self.marker,) = ax_a.plot([], [], "o", ms=15, mfc="none", mec=BLACK, mew=2)
        self.band = ax_a.axvspan(-0.3, 0.3, color=YELLOW, alpha=0.35, lw=0)
        ax_a.set_xlim(-0.5, len(xs) - 0.5)
        ax_a.set_xticks(xs)
        ax_a.set_xticklabels([_label(a) for a in self.alphas], rotation=35)
        ax_a.set_xlabel("L2 strength α")
        ax_a.set_ylabel("final accuracy (%)")
        ax_a.set_ylim(40, 103)
        ax_a.set_title("accuracy after training, every α")
        ax_a.legend(loc="lower left", fontsize=10)

        # the background image covers the boundary panel, so what lies on it moves with it
        self.fast = FastFigure(self.fig, [self.background, *points, *ax_b.spines.values(),
                                          ax_b.title, self.train_line, self.test_line,
                                          ax_l.title, self.band, self.marker], overlays=[legend])

    def update(self) -> None:
        """Redraw everything for the slider's alpha."""
        alpha, run = self.alpha, self.run
        scores = self.grid_scores[alpha]
        # the colours of P(class 1), computed once per alpha (colouring is half the drawing time)
        if alpha not in self._colored:
            self._colored[alpha] = BACKGROUND(_sigmoid(scores), bytes=True)
        self.background.set_data(self._colored[alpha])
        if self.contour is not None:
            self.fast.remove(self.contour)
            self.contour.remove()
        self.contour = None
        if scores.min() < 0 < scores.max():  # a model that says one class everywhere has no line
            self.contour = self.ax_boundary.contour(self.grid_x, self.grid_y, scores, levels=[0.0],
                                                    colors="black", linewidths=2)
            self.fast.add(self.contour, index=1)  # over the background image, below the points
        self.ax_boundary.set_title(f"α = {_label(alpha)}: train {100 * run.train_acc[-1]:.0f}%, "
                                   f"test {100 * run.test_acc[-1]:.0f}% correct")

        steps = np.arange(len(run.train_loss))
        self.train_line.set_data(steps, run.train_loss)
        self.test_line.set_data(steps, run.test_loss)
        gap = round(run.test_loss[-1] - run.train_loss[-1], 2) + 0.0  # no "-0.00"
        self.ax_loss.set_title(f"loss per step (final test - train: {gap:.2f})")

        k = self.alphas.index(alpha)
        self.marker.set_data([k, k], [100 * run.train_acc[-1], 100 * run.test_acc[-1]])
        self.band.set_x(k - 0.3)

        baseline = self.runs[self.alphas[0]].sum_of_squares
        self.verdict = self.judge(alpha)
        self.info.value = (
            f"<span style='font-size:1.05em'><b>α = {_label(alpha)}</b>: train accuracy "
            f"{100 * run.train_acc[-1]:.1f}%, test accuracy {100 * run.test_acc[-1]:.1f}%, "
            f"sum of squared weights {run.sum_of_squares:.1f} "
            f"(at α = {_label(self.alphas[0])}: {baseline:.1f})<br>{self.verdict}</span>")
        self.image.value = self.fast.png()

    def snapshot(self) -> dict[str, str]:
        # the PNG that update() just drew: the same picture, without drawing it twice
        return {"image/png": base64.b64encode(bytes(self.image.value)).decode("ascii")}
