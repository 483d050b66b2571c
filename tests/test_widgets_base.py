"""The widgets' shared parts: static snapshots and the live loss plot."""
import base64

import matplotlib
import matplotlib.pyplot as plt

from grad.widgets import LiveLoss
from grad.widgets.base import Explorer, png_bundle

matplotlib.use("Agg")


class Square(Explorer):
    def snapshot(self):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        bundle = png_bundle(fig)
        plt.close(fig)
        return bundle


def test_explorer_carries_a_picture_of_its_state():
    data = Square()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "run this notebook" in data["text/plain"]


def test_a_failing_snapshot_still_shows_the_widget():
    class Broken(Explorer):
        def snapshot(self):
            raise RuntimeError("no picture")
    assert "application/vnd.jupyter.widget-view+json" in Broken()._repr_mimebundle_()


def test_live_loss_records_every_step_and_draws_the_last():
    live = LiveLoss(total=5, interval=0.0)
    for k in range(5):
        live.update(1.0 / (k + 1))
    live.done()
    assert live.losses == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert live.ax.get_title() == "training: step 5 of 5, loss 0.2000"
    line = live.ax.get_lines()[0]
    assert list(line.get_ydata()) == live.losses


def test_live_loss_without_a_total_extends_its_axis():
    live = LiveLoss(interval=0.0)
    for k in range(7):
        live.update(2.0 - k * 0.1)
    live.done()
    assert live.ax.get_xlim()[1] == 7 and live.ax.get_title().startswith("training: step 7, loss")


# ---- drawing only what moves ---------------------------------------------------------------
import io  # noqa: E402
import math  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import PIL.Image  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from grad import Value  # noqa: E402
from grad.widgets import LiveRace  # noqa: E402
from grad.widgets.base import FastFigure, control_positions  # noqa: E402


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(PIL.Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def full_drawing(fig) -> np.ndarray:
    """The same figure drawn the ordinary way, every artist in its place."""
    for artist in fig.findobj():
        artist.set_animated(False)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    return pixels(buffer.getvalue())


def test_a_fast_figure_looks_like_the_ordinary_drawing():
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    ax.plot([0, 1, 2], [0, 1, 0], color="0.7")            # fixed
    (line,) = ax.plot([], [], lw=3, color="black")        # moving
    ax.set_xlim(0, 2)
    ax.set_ylim(-1, 2)
    legend = ax.legend(["fixed"], loc="upper right", framealpha=1, fancybox=False)
    fast = FastFigure(fig, [line], overlays=[legend])
    first = fast.png()
    line.set_data([0, 2], [2, -1])
    second = fast.png()
    assert first != second
    # the blitted picture and a full drawing differ at most in a few edge pixels
    differ = np.abs(pixels(second) - full_drawing(fig)).sum(axis=2) > 60
    assert differ.mean() < 0.002


def test_backgrounds_are_kept_per_key_and_reused():
    fig = Figure(figsize=(3, 2), dpi=50)
    ax = fig.subplots()
    (line,) = ax.plot([0, 1], [0, 1])
    fast = FastFigure(fig, [line])
    fast.png("a")
    fast.png("a")
    fast.png("b")
    assert set(fast._backgrounds) == {"a", "b"}


def test_control_positions_cover_each_control_from_end_to_end():
    import ipywidgets as widgets
    log = widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=0.01)
    values = control_positions(log, 11)
    assert len(values) == 11 and values[0] == pytest.approx(1e-3) and values[-1] == pytest.approx(1)
    ints = control_positions(widgets.IntSlider(value=5, min=5, max=100, step=5), 50)
    assert ints == list(range(5, 101, 5))
    assert control_positions(widgets.Dropdown(options=["a", "b"])) == ["a", "b"]
    assert control_positions(widgets.SelectionSlider(options=[("0", 0.0), ("1", 1.0)])) == [0.0, 1.0]
    assert sorted(control_positions(widgets.Checkbox(value=True))) == [False, True]


# ---- live loss plots: the natural call, and losses that stop being numbers -----------------
def test_live_loss_takes_a_value_as_well_as_its_data():
    live = LiveLoss(total=3, interval=0.0)
    live.update(Value(0.5))
    live.update(Value(0.25).data)
    live.update(np.float64(0.125))
    live.done()
    assert live.losses == [0.5, 0.25, 0.125]
    assert live.ax.get_title() == "training: step 3 of 3, loss 0.1250"


@pytest.mark.parametrize("bad, words", [(math.nan, "NaN (not a number) at step 3"),
                                        (math.inf, "infinite at step 3")])
def test_a_loss_that_stops_being_a_number_is_shown_not_raised(bad, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        live = LiveLoss(total=5, interval=0.0, logy=True)
        for loss in [1.0, 0.5, Value(bad), Value(bad), 0.1]:
            live.update(loss)
        live.done()
    assert math.isnan(live.losses[2]) or math.isinf(live.losses[2])
    assert words in live.warning.get_text() and live.warning.get_visible()
    low, high = live.ax.get_ylim()
    assert math.isfinite(low) and math.isfinite(high) and 0 < low < 0.1 and high > 1.0


def test_a_zero_loss_on_a_log_scale_draws_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        live = LiveLoss(total=3, interval=0.0, logy=True)
        for loss in (1.0, 0.1, 0.0):
            live.update(loss)
        live.done()
    assert live.ax.get_ylim()[0] > 0 and not live.warning.get_visible()


@pytest.mark.parametrize("kwargs, error, words", [
    ({"total": 0}, ValueError, "total"),
    ({"total": 2.5}, ValueError, "total"),
    ({"interval": -1}, ValueError, "interval"),
    ({"interval": math.nan}, ValueError, "interval"),
])
def test_live_loss_arguments_are_checked(kwargs, error, words):
    with pytest.raises(error, match=words):
        LiveLoss(**kwargs)


def test_live_race_arguments_and_losses_are_checked():
    with pytest.raises(TypeError, match="list of curve names"):
        LiveRace("SGD")
    with pytest.raises(ValueError, match="ylim"):
        LiveRace(["a"], ylim=(1, 0))
    with pytest.raises(ValueError, match="log scale"):
        LiveRace(["a"], ylim=(0, 1), logy=True)
    with pytest.raises(ValueError, match="not a colour"):
        LiveRace(["a"], colors={"a": "bluish"})
    race = LiveRace(["a"], interval=0.0)
    with pytest.raises(TypeError, match="must be a number"):
        race.update("a", "0.5")
    with pytest.raises(TypeError, match="must be a number"):
        race.update("a", np.array([0.1, 0.2]))
    race.update("a", np.array(0.5))
    race.done()
    assert race.losses["a"] == [0.5]


def test_cached_axes_look_the_same_when_pasted_as_when_drawn():
    fig = Figure(figsize=(4, 3), dpi=72)
    ax = fig.subplots()
    ax.set_title("a title above")
    (line,) = ax.plot([0, 1], [0, 1])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    fast = FastFigure(fig, [line, ax.title], cached=[(ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)])
    first = fast.png()            # the axes drawn
    ax.set_xlim(0, 5)
    ax.set_title("another, longer title")
    fast.png()
    ax.set_xlim(0, 1)
    ax.set_title("a title above")
    # the axes pasted: ticks, numbers and all (antialiased edges may differ by a shade)
    import io
    import matplotlib.image as mpimg
    pasted, drawn = (mpimg.imread(io.BytesIO(png), format="png") for png in (fast.png(), first))
    assert pasted.shape == drawn.shape
    assert (abs(pasted - drawn) > 0.1).mean() < 0.002
    assert len(fast._pictures) == 3


def test_the_widgets_package_imports_each_widget_only_when_asked():
    """A lesson that uses one widget does not pay for the others' imports."""
    import subprocess
    import sys
    program = ("import sys, grad.widgets as w\n"
               "assert 'grad.widgets.attention' not in sys.modules and 'grad.tensor' not in sys.modules\n"
               "from grad.widgets import TangentExplorer\n"
               "assert 'grad.widgets.attention' not in sys.modules\n"
               "assert all(getattr(w, name).__name__ == name for name in w.__all__)\n"
               "assert set(w.__all__) <= set(dir(w)) and 'importlib' not in dir(w)\n"
               "assert w.progress.LiveLoss is w.LiveLoss  # the modules are attributes too\n"
               "try:\n    w.NoSuchWidget\nexcept AttributeError as e:\n    assert 'NoSuchWidget' in str(e)\n"
               "else:\n    raise SystemExit('no AttributeError')\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
