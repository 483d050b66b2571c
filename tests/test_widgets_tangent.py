"""The tangent explorer: each control changes what is drawn and printed."""
import base64
import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from grad.widgets.tangent import TangentExplorer, lesson_df, lesson_f, secant_slope  # noqa: E402


def _is_png(data: bytes) -> bool:
    return bytes(data).startswith(b"\x89PNG")


def test_default_state_is_the_lesson_a_visibly_wrong_secant():
    w = TangentExplorer()
    assert (w.x, w.h, w.method.value) == (2.0, 0.5, "forward")
    secant, true = w.slopes()
    assert secant == pytest.approx(9.5) and true == 8.0      # 6x - 4 + 3h at x = 2
    assert "9.500000000000" in w.readout.value and "8.000000000000" in w.readout.value
    assert "truncation error wins" in w.readout.value
    xs, ys = w.secant_line.get_data()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(9.5)
    xs, ys = w.tangent_line.get_data()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(8.0)
    assert _is_png(w.image.value)


def test_moving_x_moves_the_point_and_the_tangent():
    w = TangentExplorer()
    w.x_slider.value = 0.0
    assert list(w.point_x.get_data()[1]) == [5.0]
    xs, ys = w.tangent_line.get_data()
    assert (ys[1] - ys[0]) / (xs[1] - xs[0]) == pytest.approx(-4.0)
    assert "-4.000000000000" in w.readout.value
    assert "f'(0.000)" in w.ax.get_title()


def test_shrinking_h_first_helps_then_rounding_takes_over():
    w = TangentExplorer()
    errors = {}
    for h in (1e-1, 1e-4, 1e-8, 1e-12):
        w.h_slider.value = h
        secant, true = w.slopes()
        errors[h] = abs(secant - true)
        assert f"{h:.1e}" in w.ax_err.get_title()
        assert w.err_point.get_data()[0][0] == h
    assert errors[1e-1] > errors[1e-4] > errors[1e-8]
    assert errors[1e-12] > errors[1e-8]
    assert "rounding error wins" in w.readout.value
    assert 1e-9 <= w.best_h() <= 1e-7


def test_a_step_below_the_resolution_gives_slope_zero():
    w = TangentExplorer()
    w.h_slider.value = 1e-16
    assert w.slopes()[0] == 0.0
    assert "rounds to x" in w.readout.value


def test_central_difference_moves_the_left_point_and_is_exact_for_a_parabola():
    w = TangentExplorer()
    w.method.value = "central"
    assert list(w.points.get_data()[0]) == [1.5, 2.5]
    assert w.slopes()[0] == pytest.approx(8.0, abs=1e-12)
    assert "0 (exact)" in w.readout.value
    assert "no truncation error" in w.readout.value
    assert "2h" in w.readout.value
    assert w.err_lines["central"].get_linewidth() > w.err_lines["forward"].get_linewidth()


def test_error_panel_shows_the_error_of_every_step():
    w = TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3), label="sin x")
    hs, errs = w.err_lines["forward"].get_data()
    assert hs[0] == 1.0 and hs[-1] == pytest.approx(1e-16)
    mid = np.argmin(abs(np.log10(hs) + 4))
    assert errs[mid] == pytest.approx(abs((math.sin(1 + hs[mid]) - math.sin(1)) / hs[mid]
                                          - math.cos(1)))
    assert 1e-7 <= w.best_h("central") <= 1e-4


def test_snapshot_is_a_png_of_the_current_state():
    w = TangentExplorer()
    first = w.snapshot()["image/png"]
    assert _is_png(base64.b64decode(first))
    w.h_slider.value = 1e-3
    assert w.snapshot()["image/png"] != first
    data = w._repr_mimebundle_()
    assert "image/png" in data and "application/vnd.jupyter.widget-view+json" in data


def test_secant_slope_formulas():
    assert secant_slope(lesson_f, 2.0, 0.5) == pytest.approx(9.5)
    assert secant_slope(lesson_f, 2.0, 0.5, "central") == pytest.approx(lesson_df(2.0))
    with pytest.raises(ValueError, match="method"):
        secant_slope(lesson_f, 2.0, 0.5, "backward")


@pytest.mark.parametrize("kwargs, error, words", [
    ({"f": math.sin}, ValueError, "both f and its exact derivative"),
    ({"f": 3, "df": math.cos}, TypeError, "functions"),
    ({"x": 10.0}, ValueError, "outside x_range"),
    ({"h": 0.0}, ValueError, "h must be"),
    ({"method": "sideways"}, ValueError, "method"),
    ({"x_range": (3, 1)}, ValueError, "low < high"),
    ({"x_range": "wide"}, TypeError, "x_range"),
    ({"h": "small"}, TypeError, "must be numbers"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, error, words):
    with pytest.raises(error, match=words):
        TangentExplorer(**kwargs)


def test_central_readout_names_the_points_it_subtracts():
    w = TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3), label="sin x")
    w.method.value = "central"
    w.h_slider.value = 1e-12
    assert "rounding error wins" in w.readout.value
    assert "f(x+h) and f(x−h)" in w.readout.value


def test_central_on_the_parabola_has_only_rounding_error():
    w = TangentExplorer()
    w.method.value = "central"
    w.x_slider.value = 0.67
    w.h_slider.value = 1e-3
    assert "only rounding error" in w.readout.value
    assert "rounding error wins" not in w.readout.value
