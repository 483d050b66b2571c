"""The tangent explorer: each control changes what is drawn and printed."""
import base64
import math
import re
import warnings

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from grad.widgets.base import BLUE, ORANGE, VERMILLION, control_positions  # noqa: E402
from grad.widgets.tangent import (TangentExplorer, digits_agree, lesson_df, lesson_f,  # noqa: E402
                                  secant_slope)


def text_of(html):
    return re.sub(r"<[^>]+>", "", html).replace("&nbsp;", " ")


def sweep(w, most=11):
    """Move every control across its whole range; any warning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for control in (w.x_slider, w.h_slider, w.method):
            start = control.value
            for value in control_positions(control, most):
                control.value = value
                assert bytes(w.image.value).startswith(b"\x89PNG")
            control.value = start


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


def test_the_truncation_label_is_true_for_the_curve_shown():
    # the lesson's parabola: the central difference has no truncation error, so the label
    # must not say that every error grows to the right
    lesson = [t.get_text() for t in TangentExplorer().ax_err.texts]
    assert any("forward only" in t for t in lesson), lesson
    other = [t.get_text() for t in TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3),
                                                   label="sin x").ax_err.texts]
    assert any("truncation" in t and "forward only" not in t for t in other), other


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
    ({"x_range": (0, math.inf)}, ValueError, "finite"),
    ({"x_range": (-1e308, 1e308), "x": 0.0}, ValueError, "finite width"),
    ({"h": "small"}, TypeError, "must be numbers"),
    ({"x": math.nan}, ValueError, "finite"),
    ({"h": 2.0}, ValueError, "between 1e-16 and 1"),
    ({"label": 3}, TypeError, "label"),
    ({"f": math.log, "df": lambda x: 1 / x, "x": -2.0, "x_range": (-3, -1)}, ValueError,
     "not defined anywhere"),
    ({"f": lambda x: "three", "df": lambda x: 0.0}, TypeError, "must return a number"),
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


# ---- functions defined on a half-line ----------------------------------------------------
@pytest.mark.parametrize("f, df, x, x_range", [
    (math.log, lambda x: 1 / x, 1.0, (0.05, 3.0)),
    (math.sqrt, lambda x: 0.5 / math.sqrt(x), 1.0, (0.0, 4.0)),
    (lambda x: x ** 0.5, lambda x: 0.5 * x ** -0.5, 1.0, (0.0, 4.0)),   # complex below 0
    (np.log, lambda x: 1 / x, 1.0, (0.05, 3.0)),                        # -inf and nan, warnings
])
def test_functions_on_a_half_line_work_over_every_control(f, df, x, x_range):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        w = TangentExplorer(f, df, x=x, x_range=x_range)
    (curve,) = [line for line in w.ax.get_lines() if line.get_label().startswith("f(x)")]
    xs, ys = curve.get_data()
    assert np.all(np.isnan(ys[xs < 0])) and np.all(np.isfinite(ys[xs > 0.01]))
    sweep(w)


def test_a_point_outside_the_domain_is_named_instead_of_a_slope():
    w = TangentExplorer(math.log, lambda x: 1 / x, x=1.0, x_range=(0.05, 3.0))
    w.method.value = "central"
    w.x_slider.value = 0.05
    w.h_slider.value = 0.1
    text = text_of(w.readout.value)
    assert "f is not defined at x − h = -0.05" in text
    assert "forward difference" in text          # what to do instead
    assert math.isnan(w.slopes()[0])
    assert "not defined" in w.ax.get_title()
    assert "none" in w.ax_err.get_title()
    w.method.value = "forward"
    assert "not defined" not in text_of(w.readout.value)
    assert w.slopes()[0] == pytest.approx((math.log(0.15) - math.log(0.05)) / 0.1)


def test_an_undefined_true_slope_is_said_not_compared():
    w = TangentExplorer(math.sqrt, lambda x: 0.5 / math.sqrt(x), x=0.0, x_range=(0.0, 4.0))
    text = text_of(w.readout.value)
    assert "f'(x) is not defined at x = 0" in text
    assert "digits" not in text
    assert w.slopes()[0] == pytest.approx(math.sqrt(0.5) / 0.5)
    assert math.isnan(w.best_h())


def test_an_undefined_point_x_itself():
    w = TangentExplorer(math.log, lambda x: 1 / x, x=-0.5, x_range=(-1.0, 2.0))
    assert "f is not defined at x = -0.5" in text_of(w.readout.value)
    w.x_slider.value = 1.0
    assert "significant digits right" in text_of(w.readout.value)


# ---- digits that agree, counted honestly ---------------------------------------------------
@pytest.mark.parametrize("estimate, exact, digits", [
    (7.999999951380, 8.0, 8),        # relative error 6e-9: 8 digits right, none printed alike
    (9.5, 8.0, 0), (8.4, 8.0, 1), (8.04, 8.0, 2), (-4.00001, -4.0, 5),
    (1.0000000000000002, 1.0, 15), (8.0, 8.0, 16), (1e-20, 0.0, None), (math.nan, 1.0, None),
])
def test_digits_agree_counts_significant_digits(estimate, exact, digits):
    assert digits_agree(estimate, exact) == digits


def test_the_best_step_reads_as_many_right_digits_not_zero():
    w = TangentExplorer()
    w.h_slider.value = 1e-8
    secant, true = w.slopes()
    assert f"{secant:.12f}".startswith("7.99999995")
    text = text_of(w.readout.value)
    assert "about the best step" in text
    assert "8 significant digits right" in text and "0 digits" not in text
    assert "on either side of a round number" in text
    # the underlined green part is those 8 digits, the rest is red
    right = re.search(r"underline; font-weight:bold'>([^<]*)</span>", w.readout.value).group(1)
    assert right == "7.9999999"


@pytest.mark.parametrize("h", [0.5, 1e-2, 1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14])
def test_digit_count_matches_the_error_and_the_advice(h):
    w = TangentExplorer()
    w.h_slider.value = h
    secant, true = w.slopes()
    digits = math.floor(-math.log10(abs(secant - true) / abs(true))) if secant != true else 16
    digits = max(0, min(16, digits))
    text = text_of(w.readout.value)
    assert f"({digits} significant digit" in text
    if "about the best step" in text:  # the best step gives about half a float's 16 digits
        assert digits >= 7
    w.h_slider.value = w.best_h()
    assert digits <= digits_agree(*w.slopes())  # no step beats the one called best


def test_digits_are_marked_by_an_underline_as_well_as_colour():
    w = TangentExplorer()
    w.h_slider.value = 1e-4
    assert "text-decoration:underline" in w.readout.value


# ---- the run and rise labels never overlap ------------------------------------------------
def label_boxes(w):
    renderer = w.fast.canvas.get_renderer()
    boxes = {}
    for name, text in (("run", w.run_text), ("rise", w.rise_text)):
        if text.get_text():
            boxes[name] = text.get_window_extent(renderer)
    return boxes


@pytest.mark.parametrize("f, df, x_range", [(None, None, (-1.0, 3.0)),
                                            (math.exp, math.exp, (-2.0, 2.0))])
def test_run_and_rise_labels_never_overlap(f, df, x_range):
    w = TangentExplorer(f, df, x=x_range[0], x_range=x_range)
    shown = 0
    for method in ("forward", "central"):
        w.method.value = method
        for h in (1.0, 0.5, 0.1):
            w.h_slider.value = h
            for x in control_positions(w.x_slider, 21):
                w.x_slider.value = x
                boxes = label_boxes(w)
                if len(boxes) == 2:
                    shown += 1
                    assert not boxes["run"].overlaps(boxes["rise"]), (method, h, x)
    assert shown > 20  # both labels were on show often enough to mean something


def test_at_x_minus_one_both_labels_show_apart():
    w = TangentExplorer(x=-1.0)
    boxes = label_boxes(w)
    assert set(boxes) == {"run", "rise"}
    assert not boxes["run"].overlaps(boxes["rise"])
    # the run label lies on the far side of the run leg from the triangle (which is below it)
    leg_y = w.ax.transData.transform((w.x, w.f(w.x)))[1]
    assert boxes["run"].y0 >= leg_y and boxes["rise"].y1 <= leg_y


def test_colours_come_from_the_colour_blind_safe_palette_with_a_second_cue():
    w = TangentExplorer()
    assert w.secant_line.get_color() == BLUE
    assert w.tangent_line.get_color() == VERMILLION and w.tangent_line.get_linestyle() == "--"
    assert w.err_lines["forward"].get_color() == BLUE
    assert w.err_lines["central"].get_color() == ORANGE
    assert w.err_lines["forward"].get_linestyle() != w.err_lines["central"].get_linestyle()


def test_every_control_over_its_whole_range_draws_without_warnings():
    sweep(TangentExplorer(), most=21)
    sweep(TangentExplorer(math.sin, math.cos, x=1.0, x_range=(-3, 3), label="sin x"))


@pytest.mark.parametrize("method", ["forward", "central"])
def test_labels_stay_apart_and_inside_the_plot_for_every_step(method):
    # Over the h slider's whole range (1 down to 1e-16) and the x slider's: a label is
    # either hidden (the triangle is too small to label) or shown apart from the other
    # and inside the axes.
    w = TangentExplorer(method=method)
    renderer = w.fast.canvas.get_renderer()
    inside = w.ax.get_window_extent(renderer)
    shown = 0
    for h in control_positions(w.h_slider, 9):
        w.h_slider.value = h
        for x in control_positions(w.x_slider, 11):
            w.x_slider.value = x
            boxes = label_boxes(w)
            shown += len(boxes)
            if len(boxes) == 2:
                assert not boxes["run"].overlaps(boxes["rise"]), (method, h, x)
            for name, box in boxes.items():
                assert (inside.x0 - 1 <= box.x0 and box.x1 <= inside.x1 + 1
                        and inside.y0 - 1 <= box.y0 and box.y1 <= inside.y1 + 1), (name, h, x)
    assert shown > 10
