"""The optimizer explorer re-runs grad.optim on every change, draws what it ran, and survives divergence."""
import base64
import math
import warnings

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb

matplotlib.use("Agg")

from grad.widgets import base  # noqa: E402
from grad.widgets.base import control_positions  # noqa: E402
from grad.widgets.optimizers import (  # noqa: E402
    COLORS, OPTIMIZERS, SURFACES, LiveRace, OptimizerExplorer, make_optimizer, trajectory)


@pytest.fixture
def explorer():
    return OptimizerExplorer()


def drawn_path(w):
    return np.column_stack([w.path_line.get_xdata(), w.path_line.get_ydata()])


def test_default_state_is_momentum_beating_sgd_on_rosenbrock(explorer):
    w = explorer
    assert (w.surface.value, w.optimizer.value) == ("Rosenbrock", "momentum")
    for slider in (w.lr, w.steps, w.momentum, w.beta1, w.beta2):
        assert slider.continuous_update is False
    assert w.run.diverged_at is None and len(w.run.path) == w.steps.value + 1
    assert w.reference_run is not None and w.reference_line.get_visible()
    gap = math.hypot(w.run.point[0] - 1, w.run.point[1] - 1)
    ref_gap = math.hypot(w.reference_run.point[0] - 1, w.reference_run.point[1] - 1)
    assert gap < 0.2 and ref_gap > 0.5  # momentum nearly there, plain SGD still crawling
    np.testing.assert_array_equal(drawn_path(w), w.run.path)
    assert f"({w.run.point[0]:.4f}, {w.run.point[1]:.4f})" in w.status.value
    assert bytes(w.image.value).startswith(b"\x89PNG")


def test_changing_the_optimizer_changes_the_path_and_the_settings(explorer):
    w = explorer
    before, image = drawn_path(w).copy(), w.image.value
    w.optimizer.value = "Adam"
    assert w.lr.value == pytest.approx(SURFACES["Rosenbrock"].lrs["Adam"])
    after = drawn_path(w)
    assert after.shape != before.shape or not np.allclose(after, before)
    assert w.run.point != pytest.approx(tuple(before[-1]))
    assert w.image.value != image
    assert "Adam" in w.status.value and "β1" in w.status.value
    assert not w.beta1.disabled and not w.beta2.disabled and w.momentum.disabled


def test_changing_the_learning_rate_changes_the_path(explorer):
    w = explorer
    first = w.run.point
    w.lr.value = 0.0005
    np.testing.assert_array_equal(drawn_path(w), w.run.path)
    assert w.run.point != pytest.approx(first)
    assert "lr = 0.0005" in w.status.value


@pytest.mark.parametrize("control, value", [("beta1", 0.5), ("beta2", 0.9)])
def test_betas_change_adams_path(explorer, control, value):
    w = explorer
    w.optimizer.value = "Adam"
    first = drawn_path(w).copy()
    getattr(w, control).value = value
    assert w.run.point != pytest.approx(tuple(first[-1]))
    assert not np.allclose(drawn_path(w), first)


def test_beta2_is_rmsprops_alpha_and_momentum_only_for_momentum_methods(explorer):
    w = explorer
    w.optimizer.value = "RMSprop"
    assert w.beta2.value == 0.99 and w.beta1.disabled and not w.beta2.disabled
    first = w.run.point
    w.beta2.value = 0.9
    assert w.run.point != pytest.approx(first)
    assert "α = 0.9" in w.status.value
    w.optimizer.value = "SGD"
    assert w.momentum.disabled and w.beta1.disabled and w.beta2.disabled
    w.optimizer.value = "Nesterov"
    first = w.run.point
    w.momentum.value = 0.5
    assert not w.momentum.disabled and w.run.point != pytest.approx(first)


def test_the_steps_slider_sets_the_path_length(explorer):
    w = explorer
    w.steps.value = 40
    assert len(w.run.path) == 41 and len(w.run.losses) == 41
    assert len(w.path_line.get_xdata()) == 41
    assert "after 40 steps" in w.status.value


@pytest.mark.parametrize("surface, optimizer, lr", [
    ("Rosenbrock", "SGD", 0.05), ("Rosenbrock", "Adam", 1.0), ("narrow valley", "SGD", 1.0),
    ("saddle", "momentum", 1.0), ("narrow valley", "Nesterov", 1.0)])
def test_divergence_is_reported_not_raised(explorer, surface, optimizer, lr):
    w = explorer
    w.surface.value, w.optimizer.value = surface, optimizer
    w.lr.value = lr
    w.steps.value = 1000
    run = w.run
    if run.diverged_at is None:  # Adam's steps stay bounded: a wild but finite path is fine
        assert optimizer == "Adam"
        return
    assert "diverged at step" in w.status.value
    assert "(diverged)" in w.path_line.get_label()
    assert len(run.path) <= run.diverged_at and len(run.losses) == len(run.path)
    assert np.all(np.isfinite(drawn_path(w))) and np.all(np.isfinite(run.losses))
    assert bytes(w.image.value).startswith(b"\x89PNG")
    w.lr.value = SURFACES[surface].lrs[optimizer]  # and back to a working state
    assert w.run.diverged_at is None and "diverged" not in w.status.value


def test_changing_the_surface_redraws_the_map(explorer):
    w = explorer
    w.surface.value = "saddle"
    s = SURFACES["saddle"]
    assert w.steps.value == s.steps and w.lr.value == pytest.approx(s.lrs["momentum"])
    assert w.ax_map.get_xlim() == pytest.approx(s.xlim) and "saddle" in w.ax_map.get_title()
    assert tuple(w.run.path[0]) == s.start
    assert w.run.loss == pytest.approx(-0.5, abs=1e-3)  # momentum escapes the saddle


def test_the_reference_path_can_be_hidden(explorer):
    w = explorer
    w.reference.value = False
    assert w.reference_run is None and not w.reference_line.get_visible()
    w.reference.value = True
    assert w.reference_line.get_visible()
    w.optimizer.value = "SGD"  # plain SGD needs no reference to itself
    assert w.reference_run is None


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_sgd_on_the_valley_matches_the_closed_form():
    s = SURFACES["narrow valley"]
    run = trajectory(s, "SGD", 0.3, 25)
    t = np.arange(26)
    np.testing.assert_allclose(run.path[:, 0], s.start[0] * (1 - 0.1 * 0.3) ** t, rtol=1e-12)
    np.testing.assert_allclose(run.path[:, 1], s.start[1] * (1 - 5 * 0.3) ** t, rtol=1e-12)


def test_adam_on_rosenbrock_matches_a_numpy_adam():
    def grad(p):
        x, y = p
        return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    s = SURFACES["Rosenbrock"]
    run = trajectory(s, "Adam", 0.05, 60, betas=(0.8, 0.99))
    p, m, v = np.array(s.start), 0.0, 0.0
    for t in range(1, 61):
        g = grad(p)
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g * g
        p = p - 0.05 * (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-8)
        np.testing.assert_allclose(run.path[t], p, rtol=1e-9, atol=1e-12)


def test_nesterov_without_momentum_is_plain_sgd():
    s = SURFACES["narrow valley"]
    a = trajectory(s, "Nesterov", 0.2, 30, momentum=0.0)
    b = trajectory(s, "SGD", 0.2, 30)
    np.testing.assert_array_equal(a.path, b.path)


def test_bad_input():
    with pytest.raises(ValueError, match="surface must be one of"):
        OptimizerExplorer(surface="bowl")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        OptimizerExplorer(optimizer="Adagrad")
    with pytest.raises(ValueError, match="beta2 must be one of"):
        OptimizerExplorer(beta2=0.98)
    with pytest.raises(ValueError, match="learning rate"):
        trajectory(SURFACES["saddle"], "SGD", -0.1, 10)
    with pytest.raises(ValueError, match="steps"):
        trajectory(SURFACES["saddle"], "SGD", 0.1, 0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        make_optimizer("Adagrad", [], 0.1)
    assert set(OPTIMIZERS) == set(SURFACES["saddle"].lrs)


def test_live_race_keeps_every_curve():
    race = LiveRace(["SGD", "Adam"], total=5, ylim=(0, 2), interval=0.0)
    for step in range(5):
        race.update("SGD", 1.0 / (step + 1))
        race.update("Adam", 0.5 / (step + 1))
    race.done()
    assert race.losses["Adam"] == pytest.approx([0.5, 0.25, 0.5 / 3, 0.125, 0.1])
    assert list(race.lines["SGD"].get_ydata()) == race.losses["SGD"]
    assert race.ax.get_ylim() == (0, 2)
    assert "step 5 of 5" in race.ax.get_title()
    with pytest.raises(KeyError, match="unknown curve"):
        race.update("RMSprop", 1.0)
    with pytest.raises(ValueError, match="distinct"):
        LiveRace(["SGD", "SGD"], total=5)
    with pytest.raises(ValueError, match="total"):
        LiveRace(["SGD"], total=0)


# ---- arguments: never silently replaced -------------------------------------------------
@pytest.mark.parametrize("kwargs, words", [
    ({"lr": 0}, "lr must be a number from 0.0001 to 1"),
    ({"lr": 0.0}, "lr must be a number from 0.0001 to 1"),
    ({"lr": -0.1}, "lr must be a number from 0.0001 to 1"),
    ({"lr": 5.0}, "lr must be a number from 0.0001 to 1"),
    ({"lr": math.nan}, "lr must be a number from 0.0001 to 1"),
    ({"lr": 1e-5}, "lr must be a number from 0.0001 to 1"),
    ({"steps": 0}, "steps must be one of 10, 20, ..., 1000"),
    ({"steps": 5}, "steps must be one of 10, 20, ..., 1000"),
    ({"steps": 15}, "steps must be one of 10, 20, ..., 1000"),
    ({"steps": 2000}, "steps must be one of 10, 20, ..., 1000"),
    ({"steps": True}, "steps must be one of 10, 20, ..., 1000"),
    ({"momentum": 1.0}, "momentum must be a number from 0 to 0.99"),
    ({"momentum": -0.5}, "momentum must be a number from 0 to 0.99"),
    ({"beta1": 0.999}, "beta1 must be a number from 0 to 0.99"),
    ({"beta2": 1.0}, "beta2 must be one of"),
])
def test_settings_outside_their_controls_are_refused_with_the_range(kwargs, words):
    with pytest.raises(ValueError, match=words.replace(".", r"\.").replace("(", r"\(")):
        OptimizerExplorer(**kwargs)
    with pytest.raises(TypeError, match="True or False"):
        OptimizerExplorer(reference="no")


def test_given_settings_are_used_as_given():
    w = OptimizerExplorer(lr=1e-4, steps=10, momentum=0.0, beta1=0.0)
    assert (w.lr.value, w.steps.value, w.momentum.value, w.beta1.value) == (1e-4, 10, 0.0, 0.0)
    assert len(w.run.path) == 11
    w = OptimizerExplorer(lr=1.0, steps=1000, momentum=0.99, beta1=0.99)
    assert (w.lr.value, w.steps.value, w.momentum.value) == (1.0, 1000, 0.99)
    assert w.run.diverged_at is not None and "diverged" in w.status.value
    w = OptimizerExplorer()       # None: the surface's own choice
    s = SURFACES["Rosenbrock"]
    assert (w.lr.value, w.steps.value) == (s.lrs["momentum"], s.steps)


def test_every_control_over_its_whole_range_draws_without_warnings(explorer):
    w = explorer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for name in OPTIMIZERS:
            w.optimizer.value = name
            for control in (w.surface, w.lr, w.steps, w.momentum, w.beta1, w.beta2, w.reference):
                start = control.value
                for value in control_positions(control, 5):
                    control.value = value
                    assert bytes(w.image.value).startswith(b"\x89PNG")
                    assert np.all(np.isfinite(drawn_path(w)))
                control.value = start


def test_only_the_chosen_surfaces_lines_are_drawn(explorer):
    w = explorer
    w.surface.value = "saddle"
    w.surface.value = "narrow valley"
    maps = w._maps
    assert set(maps) == set(SURFACES)
    for name, (ax, path, ref) in maps.items():
        shown = name == "narrow valley"
        assert ax.get_visible() == shown and path.get_visible() == shown
        if not shown:
            assert not ref.get_visible()


def test_colours_are_colour_blind_safe_and_the_reference_differs_in_style(explorer):
    okabe_ito = {base.ORANGE, base.SKY_BLUE, base.BLUISH_GREEN, base.YELLOW, base.BLUE,
                 base.VERMILLION, base.REDDISH_PURPLE, base.BLACK, base.GREY}
    assert set(COLORS.values()) <= okabe_ito and len(set(COLORS.values())) == len(COLORS)
    w = explorer
    assert to_rgb(w.path_line.get_color()) == to_rgb(COLORS["momentum"])
    assert w.path_line.get_marker() == "o" and w.reference_line.get_marker() in ("None", "", None)
    assert w.reference_line.get_linewidth() > w.path_line.get_linewidth()
    labels = [t.get_text() for legend in w.fast.overlays for t in legend.get_texts()]
    assert "momentum" in labels and any(t.startswith("plain SGD") for t in labels)


def test_legends_follow_the_optimizer_and_pictures_repeat_exactly(explorer):
    w = explorer
    first = bytes(w.image.value)
    w.optimizer.value = "Adam"
    labels = [t.get_text() for legend in w.fast.overlays for t in legend.get_texts()]
    assert "Adam" in labels and "momentum" not in labels
    assert bytes(w.image.value) != first
    w.optimizer.value = "momentum"   # back: the same run, legends and all, pixel for pixel
    w.lr.value = SURFACES["Rosenbrock"].lrs["momentum"]
    assert bytes(w.image.value) == first


def test_live_race_colours_and_line_styles_tell_curves_apart():
    race = LiveRace(["a", "b", "c"], total=3, interval=0.0)
    styles = [line.get_linestyle() for line in race.lines.values()]
    colors = [line.get_color() for line in race.lines.values()]
    assert len(set(styles)) == 3 and len(set(colors)) == 3
    race.done()


@pytest.mark.parametrize("optimizer, lr", [("momentum", 1e-3), ("Adam", 0.1), ("SGD", 0.05)])
def test_moving_only_the_steps_gives_the_runs_made_from_scratch(explorer, optimizer, lr):
    w = explorer
    w.optimizer.value = optimizer
    w.lr.value = lr
    for steps in (100, 1000, 30, 500, 10):
        w.steps.value = steps
        fresh = trajectory(SURFACES["Rosenbrock"], optimizer, lr, steps)
        np.testing.assert_array_equal(w.run.path, fresh.path)
        assert w.run.losses == fresh.losses and w.run.diverged_at == fresh.diverged_at
        if w.reference_run is not None:
            ref = trajectory(SURFACES["Rosenbrock"], "SGD", 2e-3, steps)
            np.testing.assert_array_equal(w.reference_run.path, ref.path)
            assert w.reference_run.losses == ref.losses
