"""The hidden-units explorer: the slider retrains and redraws, wider nets fit better."""
import base64
import math
import random

import matplotlib
import pytest

from grad.nn import MLP
from grad.widgets.hidden_units import HiddenUnitsExplorer, fit_curve, unit_contributions

matplotlib.use("Agg")


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
    right = explorer.figure.axes[1]
    # five contributions, the output bias, and their sum
    assert len(right.get_lines()) == 5 + 2
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
    with pytest.raises(ValueError, match="at most max_units"):
        HiddenUnitsExplorer(units=5, max_units=4)
    with pytest.raises(TypeError, match="units must be a whole number"):
        HiddenUnitsExplorer(units=2.5)
    with pytest.raises(ValueError, match="x_range"):
        HiddenUnitsExplorer(x_range=(1, -1))
    with pytest.raises(TypeError, match="target"):
        HiddenUnitsExplorer(target=3)
    with pytest.raises(ValueError, match="equally long"):
        fit_curve([1.0, 2.0], [1.0], 2)
