"""The regularization explorer: every slider position is a real training run, drawn honestly."""
import base64
import math
import random
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from grad.widgets.base import control_positions  # noqa: E402

from grad.nn import MLP  # noqa: E402
from grad.widgets.regularization import (  # noqa: E402
    ALPHAS, CLASS_MARKERS, HISTORY_KEYS, TEST_COLOR, TRAIN_COLOR, RegularizationExplorer, _label,
    bce_numpy, make_moons, mlp_scores, moons_split, run_from_history, train_with_l2)


@pytest.fixture(scope="module")
def explorer():
    """The explorer with its defaults: every default alpha trained."""
    return RegularizationExplorer()


def handover(run):
    """A run as the notebook hands it over: (model, history)."""
    return run.model, {k: getattr(run, k) for k in HISTORY_KEYS}


def boundary_paths(w):
    """The vertices of the drawn decision boundary (the 0-level contour)."""
    return np.concatenate([p.vertices for p in w.contour.get_paths()] or [np.zeros((0, 2))])


def test_default_state_is_an_overfit_network(explorer):
    assert explorer.slider.continuous_update is False
    assert explorer.alpha == 0.0
    run = explorer.run
    assert run.train_acc[-1] == 1.0
    assert run.test_acc[-1] < 0.8
    assert run.test_loss[-1] > 5 * run.train_loss[-1]  # the curves have drifted apart
    assert "overfitting" in explorer.verdict and "100.0%" in explorer.info.value
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_the_slider_offers_every_alpha(explorer):
    assert [value for _, value in explorer.slider.options] == list(ALPHAS)
    assert set(explorer.runs) == set(ALPHAS)


def test_moving_the_slider_changes_boundary_curves_and_numbers(explorer):
    explorer.slider.value = 0.0
    before = (boundary_paths(explorer), explorer.image.value, explorer.info.value,
              list(explorer.test_line.get_ydata()))
    explorer.slider.value = 3e-3
    after = (boundary_paths(explorer), explorer.image.value, explorer.info.value,
             list(explorer.test_line.get_ydata()))
    assert before[0].shape != after[0].shape or not np.allclose(before[0], after[0])
    assert before[1] != after[1] and before[2] != after[2]
    run = explorer.run
    assert after[3] == run.test_loss
    assert f"{100 * run.test_acc[-1]:.1f}%" in explorer.info.value
    assert run.test_acc[-1] > explorer.runs[0.0].test_acc[-1] + 0.05  # regularizing helps here
    assert "good balance" in explorer.verdict
    marker_x = explorer.marker.get_xdata()[0]
    assert marker_x == ALPHAS.index(3e-3)


def test_drawn_boundary_is_where_the_model_changes_its_mind(explorer):
    explorer.slider.value = 3e-3
    points = boundary_paths(explorer)
    assert len(points) > 10
    scores = mlp_scores(explorer.run.model, points)
    spread = np.ptp(explorer.grid_scores[3e-3])
    assert np.max(np.abs(scores)) < 0.05 * spread


def test_stronger_l2_gives_smaller_weights(explorer):
    sums = [explorer.runs[a].sum_of_squares for a in ALPHAS]
    assert all(later < earlier for earlier, later in zip(sums, sums[1:]))
    assert sums[-1] < 0.01 * sums[0]


def test_too_strong_l2_underfits(explorer):
    explorer.slider.value = ALPHAS[-1]
    run = explorer.run
    assert run.train_acc[-1] <= 0.6 and run.test_acc[-1] <= 0.6
    assert "underfitting" in explorer.verdict
    scores = explorer.grid_scores[ALPHAS[-1]]
    # a model that says one class everywhere has no boundary to draw, and drawing does not fail
    assert (explorer.contour is None) == (not scores.min() < 0 < scores.max())
    assert bytes(explorer.image.value).startswith(b"\x89PNG")


def test_every_run_starts_from_the_same_weights(explorer):
    starts = {round(r.train_loss[0], 12) for r in explorer.runs.values()}
    assert len(starts) == 1


def test_table_lists_final_accuracies(explorer):
    table = explorer.table()
    assert [a for a, _, _ in table] == list(ALPHAS)
    for alpha, train, test in table:
        assert train == explorer.runs[alpha].train_acc[-1]
        assert test == explorer.runs[alpha].test_acc[-1]


def test_numpy_scores_match_the_model():
    random.seed(5)
    model = MLP(2, [4, 3, 1], activation="tanh")
    X = np.array([[0.3, -1.2], [2.0, 0.5], [-0.7, 0.1]])
    assert mlp_scores(model, X) == pytest.approx([model(list(x)).data for x in X])
    with pytest.raises(ValueError, match="one output"):
        mlp_scores(MLP(2, [3, 2]), X)


def test_numpy_loss_matches_grad_losses():
    from grad.losses import binary_cross_entropy_with_logits
    z, y = [2.5, -0.3, 40.0, -40.0], [1.0, 0.0, 0.0, 0.0]
    assert bce_numpy(np.array(z), np.array(y)) == pytest.approx(binary_cross_entropy_with_logits(z, y).data)


def test_training_records_every_step_and_restores_random_state():
    data = moons_split(n_train=10, n_test=20)
    random.seed(123)
    expected = random.random()
    random.seed(123)
    run = train_with_l2(data, 1e-3, hidden=(3,), steps=5)
    assert random.random() == expected
    assert len(run.train_loss) == len(run.test_acc) == 6
    assert run.train_loss[-1] < run.train_loss[0]


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert png.startswith(b"\x89PNG")
    assert png == bytes(explorer.image.value)  # the picture the live widget shows
    assert "application/vnd.jupyter.widget-view+json" in data


def test_a_slider_move_trains_nothing(explorer, monkeypatch):
    """Moving the slider only shows runs trained when the widget was built (its speed is
    measured by the benchmarks, not asserted here)."""
    import grad.widgets.regularization as module

    def no_training(*args, **kwargs):
        raise AssertionError("a slider move trained a network")

    monkeypatch.setattr(module, "train_with_l2", no_training)
    for alpha in (ALPHAS[1], ALPHAS[0]):
        explorer.slider.value = alpha
        assert explorer.alpha == alpha


def test_trained_runs_are_used_not_trained_again(explorer, monkeypatch):
    import grad.widgets.regularization as module

    def no_training(*args, **kwargs):
        raise AssertionError("a handed-over run was trained again")

    monkeypatch.setattr(module, "train_with_l2", no_training)
    given = {a: handover(explorer.runs[a]) for a in (0.0, 3e-3)}
    w = RegularizationExplorer(alphas=(0.0, 3e-3), trained=given)
    assert w.runs[0.0].model is given[0.0][0] and w.runs[3e-3].model is given[3e-3][0]
    assert w.table() == [row for row in explorer.table() if row[0] in (0.0, 3e-3)]
    assert w.alpha == 0.0 and "overfitting" in w.verdict
    w.slider.value = 3e-3
    assert "good balance" in w.verdict

    # without alpha= the explorer starts at the smallest alpha of its sweep
    w = RegularizationExplorer(alphas=(3e-3, ALPHAS[-1]),
                               trained={a: handover(explorer.runs[a]) for a in (3e-3, ALPHAS[-1])})
    assert w.alpha == 3e-3


def test_trained_runs_that_cannot_be_the_explorers_are_refused(explorer):
    data = explorer.data
    model, history = handover(explorer.runs[0.0])
    ridge_model, _ = handover(explorer.runs[3e-3])
    with pytest.raises(ValueError, match="last losses"):  # the model of another run
        run_from_history(data, 0.0, ridge_model, history)
    with pytest.raises(ValueError, match="101 measurements"):
        run_from_history(data, 0.0, model, {k: v[:50] for k, v in history.items()})
    with pytest.raises(ValueError, match="must map"):
        run_from_history(data, 0.0, model, {"train_loss": history["train_loss"]})
    with pytest.raises(ValueError, match="MLP\\(2, \\[8, 8, 1\\]\\)"):
        run_from_history(data, 0.0, MLP(2, [4, 1]), history)
    other = train_with_l2(data, 0.0, steps=3, seed=2)  # other starting weights
    with pytest.raises(ValueError, match="did not start"):
        run_from_history(data, 0.0, other.model, handover(other)[1], steps=3)
    assert run_from_history(data, 0.0, other.model, handover(other)[1], steps=3, seed=2).model is other.model
    with pytest.raises(ValueError, match="not among"):
        RegularizationExplorer(alphas=(0.0, 3e-3), trained={1e-3: (model, history)})
    with pytest.raises(ValueError, match="pair"):
        RegularizationExplorer(alphas=(0.0, 3e-3), trained={0.0: model})


def test_make_moons_gives_scikit_learns_points():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    for n, noise, seed in [(30, 0.3, 6), (500, 0.3, 100), (200, 0.3, 7), (7, 0.1, 0), (1, 0.2, 3)]:
        X, y = make_moons(n, noise=noise, random_state=seed)
        X_ref, y_ref = sklearn_datasets.make_moons(n, noise=noise, random_state=seed)
        assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)
    with pytest.raises(ValueError, match="n_samples"):
        make_moons(0)
    with pytest.raises(ValueError, match="noise"):
        make_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="random_state"):
        make_moons(10, random_state=1.5)


def test_bad_input():
    data = moons_split(n_train=10, n_test=20)
    with pytest.raises(ValueError, match="alpha"):
        train_with_l2(data, -1.0)
    with pytest.raises(ValueError, match="steps"):
        train_with_l2(data, 0.0, steps=0)
    with pytest.raises(ValueError, match="not among"):
        RegularizationExplorer(alphas=(0.0, 0.1), alpha=0.5, data=data, steps=2)
    with pytest.raises(ValueError, match="from 2 to 20 different alphas"):
        RegularizationExplorer(alphas=(0.0,), data=data, steps=2)
    with pytest.raises(ValueError, match="from 2 to 20 different alphas"):
        RegularizationExplorer(alphas=[i * 1e-3 for i in range(21)], data=data, steps=2)
    with pytest.raises(TypeError, match="list of L2 strengths"):
        RegularizationExplorer(alphas=0.1, data=data, steps=2)


def value_loop(data, alpha, steps):
    """Notebook 10's loop with grad.Value, the reference for the explorer's NumPy training."""
    from grad.losses import binary_cross_entropy_with_logits
    from grad.nn import l2_penalty
    from grad.optim import Adam
    X_train, y_train, _, _ = data
    random.seed(1)
    model = MLP(2, [8, 8, 1])
    opt = Adam(model.parameters(), lr=0.08)
    losses = []
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits([model(list(x)) for x in X_train], list(y_train))
        loss = loss + alpha * l2_penalty(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(bce_numpy(mlp_scores(model, X_train), y_train))
    return model, losses


def test_training_gives_the_numbers_grad_value_gives():
    data = moons_split()
    model, losses = value_loop(data, 3e-3, 100)
    run = train_with_l2(data, 3e-3)
    assert run.train_loss[1:] == pytest.approx(losses, rel=1e-9, abs=1e-12)
    assert [p.data for p in run.model.parameters()] == pytest.approx(
        [p.data for p in model.parameters()], rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"hidden": (8, 0)}, ValueError, "width must be a whole number from 1 to 64"),
    ({"hidden": (8, 2.5)}, ValueError, "width must be a whole number from 1 to 64"),
    ({"hidden": 8}, TypeError, "list of layer widths"),
    ({"steps": 0}, ValueError, "steps must be a whole number from 1 to 1000"),
    ({"steps": 5000}, ValueError, "steps must be a whole number from 1 to 1000"),
    ({"lr": 0}, ValueError, "lr must be a positive number"),
    ({"lr": math.inf}, ValueError, "lr must be a positive number"),
    ({"seed": "one"}, TypeError, "seed must be a whole number"),
    ({"alphas": (0.0, math.nan)}, ValueError, "alpha must be a number >= 0"),
    ({"alphas": (0.0, -1e-3)}, ValueError, "alpha must be a number >= 0"),
    ({"trained": [1, 2]}, TypeError, "trained must map"),
])
def test_every_argument_is_checked(kwargs, error, words):
    with pytest.raises(error, match=words):
        RegularizationExplorer(**{"data": moons_split(n_train=10, n_test=20), "steps": 2, **kwargs})


def good_data():
    return list(moons_split(n_train=10, n_test=20))


@pytest.mark.parametrize("change, words", [
    (lambda d: d.__setitem__(0, d[0][:, :1]), "X_train must have one row"),
    (lambda d: d.__setitem__(1, d[1] * 2), "labels 0 and 1 only"),
    (lambda d: d[2].__setitem__((0, 0), np.nan), "X_test must hold finite numbers"),
    (lambda d: d.__setitem__(3, d[3][:5]), "one label per point"),
    (lambda d: d.pop(), "data must be"),
])
def test_bad_data_is_refused_clearly(change, words):
    data = good_data()
    change(data)
    with pytest.raises(ValueError, match=words):
        RegularizationExplorer(data=tuple(data), steps=2)


def test_slider_labels_are_the_numbers_themselves():
    assert [_label(a) for a in ALPHAS] == ["0", "3e-4", "3e-3", "3e-2", "3e-1"]
    assert _label(1.5e-3) == "1.5e-3" and _label(1.0) == "1" and _label(0.00123) == "1.23e-3"
    w = RegularizationExplorer(alphas=(1e-3, 1.2e-3), data=moons_split(n_train=10, n_test=20),
                               steps=2)
    assert [label for label, _ in w.slider.options] == ["1e-3", "1.2e-3"]


def test_the_legend_hides_no_training_point(explorer):
    (legend,) = explorer.fast.overlays
    renderer = explorer.fast.canvas.get_renderer()
    box = legend.get_window_extent(renderer)
    points = explorer.ax_boundary.transData.transform(explorer.data[0])
    inside = (points[:, 0] >= box.x0) & (points[:, 0] <= box.x1) & \
             (points[:, 1] >= box.y0) & (points[:, 1] <= box.y1)
    assert not inside.any()


def test_classes_and_curves_differ_by_more_than_colour(explorer):
    assert CLASS_MARKERS[0] != CLASS_MARKERS[1]
    assert explorer.train_line.get_color() == TRAIN_COLOR and explorer.test_line.get_color() == TEST_COLOR
    assert explorer.train_line.get_linestyle() != explorer.test_line.get_linestyle()
    markers = {line.get_marker() for line in explorer.ax_acc.get_lines()[:2]}
    assert len(markers) == 2


def test_every_position_of_the_slider_draws_without_warnings(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for alpha in control_positions(explorer.slider):
            explorer.slider.value = alpha
            k = explorer.alphas.index(alpha)
            assert list(explorer.marker.get_xdata()) == [k, k]
            assert bytes(explorer.image.value).startswith(b"\x89PNG")
        explorer.slider.value = ALPHAS[0]
