"""The learning-rate explorer re-trains on every change and names the regime honestly."""
import base64
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from grad.widgets.learning_rate import (  # noqa: E402
    LearningRateExplorer, descend, judge, regression_data)


@pytest.fixture(scope="module")
def explorer():
    return LearningRateExplorer()


def set_state(w, lr, steps=100):
    w.steps_slider.value = steps
    w.lr_slider.value = lr
    return w.run


def test_default_state_is_a_good_learning_rate(explorer):
    w = LearningRateExplorer()
    assert w.lr_slider.continuous_update is False and w.steps_slider.continuous_update is False
    assert w.run.regime == "good"
    assert "good" in w.verdict.value
    assert bytes(w.image.value).startswith(b"\x89PNG")


def test_changing_the_learning_rate_changes_the_loss_curve(explorer):
    first = set_state(explorer, 0.01)
    curve_first = list(explorer.loss_line.get_ydata())
    image_first = explorer.image.value
    second = set_state(explorer, 0.1)
    curve_second = list(explorer.loss_line.get_ydata())
    assert first.losses == curve_first and second.losses == curve_second
    assert curve_first[0] == pytest.approx(curve_second[0])  # the same starting point
    assert curve_first[-1] > 2 * curve_second[-1]
    assert explorer.image.value != image_first


def test_the_steps_slider_sets_the_number_of_steps(explorer):
    run = set_state(explorer, 0.1, steps=20)
    assert len(run.losses) == 20 and len(run.path) == 21
    assert list(explorer.loss_line.get_xdata()) == list(range(1, 21))


def test_a_tiny_learning_rate_leaves_a_high_loss(explorer):
    run = set_state(explorer, 0.001)
    assert run.regime == "too small"
    assert run.losses[-1] > 10 * explorer.best_loss
    assert "too small" in explorer.verdict.value


def test_a_good_learning_rate_reaches_the_least_squares_line(explorer):
    run = set_state(explorer, 0.1)
    assert run.regime == "good"
    assert run.losses[-1] == pytest.approx(explorer.best_loss, rel=1e-6)
    assert run.w == pytest.approx(explorer.best_w, abs=1e-3)
    assert run.b == pytest.approx(explorer.best_b, abs=1e-3)
    # and the line drawn is that line
    x0, x1 = explorer.fit_line.get_xdata()
    y0, y1 = explorer.fit_line.get_ydata()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(run.w)


def test_a_learning_rate_near_the_limit_oscillates(explorer):
    run = set_state(explorer, 0.3, steps=30)
    assert run.regime == "oscillating"
    steps = np.diff(np.array(run.path), axis=0)
    assert np.dot(steps[10], steps[11]) < 0  # the step reverses direction


@pytest.mark.parametrize("lr", [0.32, 0.5, 1.0])
def test_a_too_large_learning_rate_is_reported_as_diverging(explorer, lr):
    run = set_state(explorer, lr)  # must not raise
    assert run.regime == "diverging"
    assert "diverging" in explorer.verdict.value
    drawn = np.concatenate([explorer.loss_line.get_ydata(), explorer.path_line.get_xdata(),
                            explorer.path_line.get_ydata(), explorer.fit_line.get_ydata()])
    assert np.all(np.isfinite(drawn)), "no NaN or inf reaches the plot"
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_a_blow_up_stops_training_and_is_marked(explorer):
    run = set_state(explorer, 1.0)
    assert run.diverged_at is not None and run.diverged_at < 20
    assert len(run.losses) < run.diverged_at + 1
    assert explorer.blow_up.line.get_visible()
    assert f"step {run.diverged_at}" in explorer.blow_up.text.get_text()
    assert f"step {run.diverged_at}" in run.verdict
    set_state(explorer, 0.1)
    assert not explorer.blow_up.line.get_visible()


def test_overflow_is_caught_not_raised():
    x, y = regression_data()
    run = descend(x * 1e100, y, lr=1.0, steps=50)
    assert run.diverged_at is not None
    assert all(math.isfinite(l) for l in run.losses)
    assert judge(run, 0.1)[0] == "diverging"


def test_descend_matches_a_numpy_gradient_descent():
    x, y = regression_data()
    run = descend(x, y, lr=0.05, steps=30)
    w, b = -1.0, 3.0
    for _ in range(30):
        r = w * x + b - y
        w, b = w - 0.05 * np.mean(2 * r * x), b - 0.05 * np.mean(2 * r)
    assert run.w == pytest.approx(w) and run.b == pytest.approx(b)


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_own_data_and_bad_input():
    x = np.linspace(0, 1, 10)
    w = LearningRateExplorer(x, 3 * x + 1, lr=0.5, steps=100)
    assert w.run.regime == "good"
    assert w.run.w == pytest.approx(3, abs=0.05)
    with pytest.raises(ValueError, match="both x and y"):
        LearningRateExplorer(x)
    with pytest.raises(ValueError, match="same length"):
        LearningRateExplorer(x, x[:5])
    with pytest.raises(ValueError, match="learning rate"):
        descend(x, x, lr=-0.1, steps=5)
    with pytest.raises(ValueError, match="steps"):
        descend(x, x, lr=0.1, steps=0)
