"""Numerical gradients and gradcheck."""
import pytest

from grad import Value
from grad.check import gradcheck, numerical_grad


def test_numerical_grad_of_a_product_and_restores_inputs():
    a, b = Value(2.0), Value(-3.0)
    ga, gb = numerical_grad(lambda x, y: x * y + x, a, b)
    assert ga == pytest.approx(-2.0) and gb == pytest.approx(2.0)
    assert (a.data, b.data) == (2.0, -3.0)


def test_gradcheck_passes_for_correct_gradients():
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    result = gradcheck(lambda x, y: (x * y).tanh() + x.exp() / (y * y), a, b)
    assert result and result.ok and not result.failures
    assert "passed" in str(result)


def broken_square(x):
    """x**2 with a wrong backward rule (forgets the factor 2)."""
    out = Value(x.data ** 2, (x,), "sq")

    def _backward():
        x.grad += x.data * out.grad
    out._backward = _backward
    return out


def test_gradcheck_reports_which_input_disagrees_and_by_how_much():
    a, b = Value(1.5, label="a"), Value(2.0, label="b")
    result = gradcheck(lambda x, y: broken_square(x) + y * 3, a, b)
    assert not result
    assert [r.name for r in result.failures] == ["a"]
    row = result.failures[0]
    assert row.analytic == pytest.approx(1.5) and row.numeric == pytest.approx(3.0)
    assert row.error == pytest.approx(1.5) and row.tolerance == pytest.approx(1e-5 + 1e-3 * 3.0)
    text = str(result)
    assert "FAILED" in text and "disagrees" in text and "1 of 2" in text


def test_gradcheck_tolerances_are_adjustable():
    x = Value(1.0)
    assert not gradcheck(lambda v: broken_square(v), x)
    assert gradcheck(lambda v: broken_square(v), x, atol=2.0)


def test_gradcheck_needs_values_and_a_value_result():
    with pytest.raises(ValueError):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(TypeError):
        gradcheck(lambda x: x * 2, 3.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 2.0, Value(1.0))


def test_secant_slope_of_a_plain_function():
    from grad.check import secant_slope
    f = lambda x: 3 * x * x - 4 * x + 5  # noqa: E731  f'(2) = 8
    assert secant_slope(f, 2.0, 0.5) == pytest.approx(9.5)          # forward: 8 + 3h
    assert secant_slope(f, 2.0, 0.5, "central") == pytest.approx(8.0)
    with pytest.raises(ValueError, match="forward' or 'central"):
        secant_slope(f, 2.0, 0.5, "backward")


@pytest.mark.parametrize("h, error", [(0, ValueError), (0.0, ValueError), (float("inf"), ValueError),
                                      (float("nan"), ValueError), ("1e-6", TypeError)])
def test_the_step_must_be_a_finite_number_other_than_zero(h, error):
    from grad.check import secant_slope
    with pytest.raises(error, match="h must be"):
        numerical_grad(lambda x: x * x, Value(1.0), h=h)
    with pytest.raises(error, match="h must be"):
        secant_slope(lambda x: x * x, 1.0, h)
    with pytest.raises(error, match="h must be"):
        gradcheck(lambda x: x * x, Value(1.0), h=h)
    assert secant_slope(lambda x: x * x, 1.0, -0.5) == pytest.approx(1.5)  # a step back is fine


@pytest.mark.parametrize("tolerances", [dict(atol=-1.0), dict(rtol=-1e-3), dict(atol=float("nan"))])
def test_tolerances_must_be_at_least_zero(tolerances):
    with pytest.raises(ValueError, match="tol must be a number >= 0"):
        gradcheck(lambda x: x * x, Value(1.0), **tolerances)


def test_gradcheck_reports_a_nan_gradient_as_a_disagreement():
    result = gradcheck(lambda x: (x * float("nan")).relu() + x, Value(1.0))
    assert not result and "disagrees" in str(result)
