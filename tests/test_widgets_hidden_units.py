"""The hidden-units explorer: the slider retrains and redraws, wider nets fit better."""
import base64
import math
import random
import warnings

import matplotlib
import numpy as np
import pytest

from grad.nn import MLP
from grad.widgets.base import control_positions
from grad.widgets.hidden_units import HiddenUnitsExplorer, fit_curve, unit_contributions, wave

matplotlib.use("Agg")


def drawn_units(w):
    """The unit contributions drawn in the right panel (visible lines with data)."""
    right = w.figure.axes[1]
    return [l for l in right.get_lines()[:w.slider.max] if l.get_visible() and len(l.get_xdata())]


def sweep(w):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for control in (w.slider, w.show_units):
            start = control.value
            for value in control_positions(control, 12):
                control.value = value
                assert bytes(w.image.value).startswith(b"\x89PNG")
            control.value = start


def fitted_line(w):
    """The y-data of the network's curve in the left panel."""
    (line,) = [l for l in w.figure.axes[0].get_lines() if l.get_label() == "network"]
    return list(line.get_ydata())


@pytest.fixture(scope="module")
def explorer():
    return HiddenUnitsExplorer()


def test_default_state_is_three_units_with_an_imperfect_fit(explorer):
    assert explorer.slider.value == 3 and not explorer.slider.continuous_update
    assert "<b>3</b> hidden units" in explorer.text.value
    assert 0.02 < explorer.fit(3).loss < 0.1  # the right shape, visibly off at the left end
    assert len(explorer.figure.axes) == 2


def test_moving_the_slider_changes_the_fit_and_the_loss(explorer):
    before_line, before_text, before_png = fitted_line(explorer), explorer.text.value, explorer.image.value
    explorer.slider.value = 10
    assert fitted_line(explorer) != before_line
    assert explorer.text.value != before_text
    assert f"{explorer.fit(10).loss:.4f}" in explorer.text.value
    assert "10 hidden units" in explorer.figure.axes[0].get_title()
    assert explorer.image.value != before_png
    explorer.slider.value = 3
    assert fitted_line(explorer) == before_line  # cached: the same fit comes back


def test_more_units_fit_the_default_curve_better(explorer):
    losses = [explorer.fit(n).loss for n in (1, 3, 10)]
    assert losses[0] > 0.3 and losses[0] > losses[1] > losses[2] and losses[2] < 0.015


def test_each_unit_is_drawn_and_the_checkbox_hides_them(explorer):
    explorer.slider.value = 5
    assert len(drawn_units(explorer)) == 5
    explorer.show_units.value = False
    assert len(explorer.figure.axes) == 1
    explorer.show_units.value = True
    explorer.slider.value = 3


def test_contributions_add_up_to_the_network():
    random.seed(3)
    model = MLP(1, [4, 1], activation="tanh")
    for p in model.parameters():
        p.data = random.uniform(-2, 2)
    grid = [-1.5, 0.0, 0.7]
    rows, bias = unit_contributions(model, grid)
    for k, x in enumerate(grid):
        assert math.isclose(rows[:, k].sum() + bias, model([x]).data, rel_tol=1e-12, abs_tol=1e-12)


def test_fit_is_deterministic_and_keeps_the_callers_random_state():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    xs, ys = [-1.0, 0.0, 1.0], [1.0, 0.0, 1.0]
    a, b = fit_curve(xs, ys, 3, steps=20), fit_curve(xs, ys, 3, steps=20)
    assert a.losses == b.losses and len(a.losses) == 21 and a.loss < a.losses[0]
    assert random.random() == expected


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_a_custom_curve_and_bad_arguments():
    w = HiddenUnitsExplorer(units=2, max_units=4, target=abs, points=8, steps=50)
    assert w.slider.max == 4 and w.ys == [abs(x) for x in w.xs]
    with pytest.raises(ValueError, match="units must be from 1 to 4"):
        HiddenUnitsExplorer(units=5, max_units=4)
    with pytest.raises(TypeError, match="units must be a whole number"):
        HiddenUnitsExplorer(units=2.5)
    with pytest.raises(ValueError, match="x_range"):
        HiddenUnitsExplorer(x_range=(1, -1))
    with pytest.raises(TypeError, match="target"):
        HiddenUnitsExplorer(target=3)
    with pytest.raises(ValueError, match="equally long"):
        fit_curve([1.0, 2.0], [1.0], 2)


def value_loop(xs, ys, units, steps, lr=0.1, seed=0):
    """Notebook 06's loop with grad.Value, the reference for the explorer's NumPy training."""
    random.seed(seed)
    model = MLP(1, [units, 1], activation="tanh")
    losses = []
    for _ in range(steps):
        loss = sum((model([x]) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        losses.append(loss.data)
    return model, losses


@pytest.mark.parametrize("units", [1, 4])
def test_training_gives_the_numbers_grad_value_gives(units):
    xs = [float(x) for x in np.linspace(-2, 2, 15)]
    ys = [wave(x) for x in xs]
    model, losses = value_loop(xs, ys, units, 60)
    fit = fit_curve(xs, ys, units, steps=60)
    assert fit.losses[:-1] == pytest.approx(losses, rel=1e-12, abs=1e-14)
    assert [p.data for p in fit.model.parameters()] == pytest.approx(
        [p.data for p in model.parameters()], rel=1e-10, abs=1e-13)


def test_a_learning_rate_that_diverges_is_shown_as_such():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        w = HiddenUnitsExplorer(lr=10)
    fit = w.fit(3)
    assert fit.diverged_at is not None and fit.diverged_at <= 20
    assert all(math.isfinite(v) for v in fit.losses) and len(fit.losses) < fit.diverged_at
    assert f"diverged</b> at step {fit.diverged_at}" in w.text.value
    assert "too large" in w.text.value
    left = w.figure.axes[0]
    (network,) = [l for l in left.get_lines() if l.get_label() == "network"]
    assert not network.get_visible() and not drawn_units(w)
    notes = [t.get_text() for ax in w.figure.axes for t in ax.texts if t.get_visible()]
    assert any("diverged at step" in t for t in notes)
    assert "diverged" in left.get_title()
    assert all(np.isfinite(p.data) for p in fit.model.parameters())
    sweep(w)


def test_a_hundred_units_diverge_at_this_rate_and_say_so():
    w = HiddenUnitsExplorer(units=100, max_units=100, steps=100)
    assert w.fit(100).diverged_at is not None
    assert "diverged" in w.text.value and "100 units" in w.text.value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for units in (1, 20, 50, 100):
            w.slider.value = units
            assert bytes(w.image.value).startswith(b"\x89PNG")


def test_every_control_over_its_whole_range_draws_without_warnings(explorer):
    sweep(explorer)


def test_a_curve_defined_on_a_half_line():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        w = HiddenUnitsExplorer(target=math.sqrt, x_range=(0.0, 4.0), steps=50)
    assert np.isnan(w.true_curve[0]) and np.isfinite(w.true_curve[-1])
    sweep(w)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"lr": math.inf}, ValueError, "finite"),
    ({"lr": math.nan}, ValueError, "finite"),
    ({"lr": 0}, ValueError, "positive"),
    ({"lr": "fast"}, TypeError, "lr must be a number"),
    ({"steps": -1}, ValueError, "steps must be from 0 to 10000"),
    ({"steps": 10**6}, ValueError, "steps must be from 0 to 10000"),
    ({"points": 1}, ValueError, "points must be from 2"),
    ({"max_units": 0}, ValueError, "max_units must be from 1 to 100"),
    ({"max_units": 101}, ValueError, "max_units must be from 1 to 100"),
    ({"x_range": (0, math.inf)}, ValueError, "finite"),
    ({"x_range": 3}, TypeError, "two numbers"),
    ({"target": lambda x: math.nan}, ValueError, "finite number at every training point"),
    ({"target": math.log}, ValueError, "at x = -2"),
    ({"target": lambda x: "y"}, TypeError, "must return a number"),
    ({"show_units": "yes"}, TypeError, "True or False"),
    ({"seed": 1.5}, TypeError, "seed must be a whole number"),
])
def test_every_argument_is_checked(kwargs, error, words):
    with pytest.raises(error, match=words):
        HiddenUnitsExplorer(**kwargs)
