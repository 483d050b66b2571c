"""The learning-rate explorer re-trains on every change and names the regime honestly."""
import base64
import math
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from grad.widgets.base import control_positions  # noqa: E402
from grad.widgets.learning_rate import (  # noqa: E402
    GOOD_FACTOR, REGIME_COLORS, LearningRateExplorer, Run, descend, judge, regression_data)


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
    with pytest.raises(ValueError, match="1-D"):
        LearningRateExplorer(np.ones((3, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="learning rate"):
        descend(x, x, lr=-0.1, steps=5)
    with pytest.raises(ValueError, match="steps"):
        descend(x, x, lr=0.1, steps=0)


# ---- honest verdicts ------------------------------------------------------------------------
def test_a_distant_start_is_not_called_good_for_falling_a_long_way():
    # from (1e4, 1e4) the loss falls 150-fold in 20 steps, to 3.8e6 against a best of 0.16
    w = LearningRateExplorer(start=(1e4, 1e4), lr=0.03, steps=20)
    run = w.run
    assert run.losses[-1] > 1e6 and run.losses[-1] < 0.01 * run.losses[0]
    assert run.regime == "too small" and "good" not in w.verdict.value
    assert "far from the minimum" in w.verdict.value


def test_judge_compares_with_the_best_loss_not_with_the_start():
    path = [(0.0, 0.0)] * 6
    falling = Run(lr=0.1, steps=5, losses=[1e12, 1e9, 1e8, 1e7, 3e6], path=path)
    assert judge(falling, best_loss=0.16)[0] == "too small"
    near = Run(lr=0.1, steps=5, losses=[10.0, 1.0, 0.5, 0.2, 0.17], path=path)
    regime, text = judge(near, best_loss=0.16)
    assert regime == "good" and "6.2% above the best possible" in text
    almost = Run(lr=0.1, steps=5, losses=[10.0, 1.0, 0.5, 0.3, 0.16 * GOOD_FACTOR * 1.01],
                 path=path)
    assert judge(almost, best_loss=0.16)[0] == "too small"
    exact = Run(lr=0.1, steps=5, losses=[10.0, 1.0, 1e-3, 1e-6, 1e-9], path=path)
    assert judge(exact, best_loss=0.0, scale=5.0)[0] == "good"


@pytest.mark.parametrize("lr, steps, regime", [
    (0.1, 50, "good"), (0.03, 100, "good"), (0.03, 20, "too small"), (0.05, 50, "too small"),
    (0.2, 20, "good"), (0.003, 100, "too small"), (0.3, 30, "oscillating"), (0.32, 100, "diverging"),
])
def test_the_regimes_the_notebook_asks_the_learner_to_find(explorer, lr, steps, regime):
    run = set_state(explorer, lr, steps)
    assert run.regime == regime
    if regime == "good":
        assert run.losses[-1] <= GOOD_FACTOR * explorer.best_loss
    assert REGIME_COLORS[regime] in explorer.verdict.value and regime in explorer.verdict.value


def test_data_on_an_exact_line_has_best_loss_zero_and_draws_without_warnings():
    x = np.linspace(0, 1, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        w = LearningRateExplorer(x, 3 * x + 1, lr=0.5, steps=100)
        assert w.best_loss == pytest.approx(0, abs=1e-20)
        assert w.run.regime == "good" and "the best possible is 0" in w.run.verdict
        sweep(w)


# ---- adversarial input: clear errors, never LAPACK's --------------------------------------
@pytest.mark.parametrize("x, y, words", [
    ([np.nan, 1.0, 2.0], [1.0, 2.0, 3.0], "x must hold finite numbers only"),
    ([0.0, 1.0, 2.0], [1.0, np.inf, 3.0], "y must hold finite numbers only"),
    ([0.0, 0.0, 0.0], [1.0, 2.0, 3.0], "at least two different values"),
    ([2.5] * 20, list(range(20)), "at least two different values"),
    ([0.0, 1e9], [0.0, 1.0], "between -1e\\+06 and 1e\\+06"),
])
def test_degenerate_data_is_refused_clearly(x, y, words):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        with pytest.raises(ValueError, match=words):
            LearningRateExplorer(x, y)


def test_data_that_is_not_numbers_is_a_type_error():
    with pytest.raises(TypeError, match="list or array of numbers"):
        LearningRateExplorer(["a", "b"], [1, 2])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"lr": 0}, ValueError, "from 0.001 to 1"),
    ({"lr": 2.0}, ValueError, "from 0.001 to 1"),
    ({"lr": math.nan}, ValueError, "from 0.001 to 1"),
    ({"lr": "big"}, ValueError, "from 0.001 to 1"),
    ({"steps": 0}, ValueError, "5, 10, ..., 100"),
    ({"steps": 7}, ValueError, "5, 10, ..., 100"),
    ({"steps": 200}, ValueError, "5, 10, ..., 100"),
    ({"steps": 50.0}, ValueError, "5, 10, ..., 100"),
    ({"start": (1.0,)}, ValueError, "two numbers"),
    ({"start": (math.nan, 0.0)}, ValueError, "finite"),
    ({"start": "ab"}, TypeError, "two numbers"),
])
def test_arguments_outside_their_controls_range_are_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        LearningRateExplorer(**kwargs)


def test_the_ends_of_the_sliders_are_accepted():
    for lr, steps in [(0.001, 5), (1.0, 100)]:
        w = LearningRateExplorer(lr=lr, steps=steps)
        assert (w.lr_slider.value, w.steps_slider.value) == (lr, steps)


def sweep(w, most=11):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for control in (w.lr_slider, w.steps_slider):
            start = control.value
            for value in control_positions(control, most):
                control.value = value
                assert bytes(w.image.value).startswith(b"\x89PNG")
                drawn = np.concatenate([w.loss_line.get_ydata(), w.path_line.get_xdata()])
                assert np.all(np.isfinite(drawn))
            control.value = start


def test_every_control_over_its_whole_range_draws_without_warnings(explorer):
    sweep(explorer, most=21)
    far = LearningRateExplorer(start=(50.0, -40.0))
    sweep(far)


def test_legends_stay_on_top_of_the_moving_lines(explorer):
    assert len(explorer.fast.overlays) == 3
    assert all(legend.get_frame().get_alpha() == 1 for legend in explorer.fast.overlays)
