"""Notebook 01: one input of several (Python's functions and dictionaries), slopes from secants,
tangent lines, partial derivatives, choosing a step."""
from __future__ import annotations

import math

import numpy as np
from grad.check import secant_slope
from grad.exercises import (Exercise, Mistake, close, describe, entries, fresh, function, number,
                            run)


def _how(got: float, want: float) -> str:
    """How a wrong number differs from the right one, without saying the right one."""
    if got * want < 0:
        return "has the wrong sign"
    return "is too large" if abs(got) > abs(want) else "is too small"


def _square(x):
    return x * x


def _cube(x):
    return x ** 3


def _lesson_f(x):
    return 3 * x ** 2 - 4 * x + 5


def _line(x):
    return 5 * x + 1


# ---------------------------------------------------------------------------------------
# 0. Python you will meet: a function of one input, the others frozen
# ---------------------------------------------------------------------------------------

def _d(a, b, c):
    return a * b + c


def _L_kw(a, b, c, m):
    return (a * b + c) * m


def _area(width, height):
    return width * height


# (f, its name in messages, the point, which entry moves, the values of v to try)
_ONE_INPUT_CASES = [
    (_d, "d(a, b, c) = a·b + c", {"a": 2.0, "b": -3.0, "c": 10.0}, "a", (5.0, 2.0, -1.5)),
    (_d, "d(a, b, c) = a·b + c", {"a": 2.0, "b": -3.0, "c": 10.0}, "c", (0.0, 7.25)),
    (_L_kw, "L(a, b, c, m) = (a·b + c)·m", {"a": 2.0, "b": -3.0, "c": 10.0, "m": -2.0}, "m",
     (1.0, 0.5)),
    # the entries in another order than f's parameters: only passing them by name works
    (_d, "d(a, b, c) = a·b + c", {"c": 10.0, "b": -3.0, "a": 2.0}, "b", (4.0, -0.5)),
    (_area, "area(width, height) = width·height", {"height": 3.0, "width": 2.0}, "width",
     (10.0,)),
]


def _test_one_input(one_input):
    function(one_input, "one_input")
    for f, name_f, point, name, vs in _ONE_INPUT_CASES:
        call = f"one_input(f, {_text(point)}, {name!r}) for f = {name_f}"
        given = fresh(point)
        g = run(one_input, f, given, name, what=call)
        if isinstance(g, type) or not callable(g):
            return (f"{call} is {describe(g)}; it should be a function of one number v "
                    "(for example a lambda v: ...)")
        for v in vs:
            what = f"g({v})"
            got = number(run(g, v, what=f"{what}, with g = {call}"), what)
            if not _unchanged(given, point):
                return (f"{call} gave a g, and calling {what} changed the dictionary point: "
                        "leave point as it was and build a new dictionary instead")
            moved = dict(point)
            moved[name] = v
            want = f(**moved)
            if close(got, want, rel=1e-12, abs_=1e-12):
                continue
            if close(got, f(**point), rel=1e-12, abs_=1e-12) and v != point[name]:
                return (f"with g = {call}, g({v}) = {got:g}, which is f at the point itself: "
                        f"v should take the place of point[{name!r}] = {point[name]:g}")
            positional = f(*moved.values())
            if list(point) != list(moved) or close(got, positional, rel=1e-12, abs_=1e-12):
                return (f"with g = {call}, g({v}) = {got:g}, but f({_arguments(moved)}) is "
                        f"{want:g}: the entries reached f's parameters in the dictionary's "
                        "order, not by their names")
            return (f"with g = {call}, g({v}) = {got:g}, but f({_arguments(moved)}) is "
                    f"{want:g}")
    return None


def _text(point: dict) -> str:
    return "{" + ", ".join(f"{k!r}: {v:g}" for k, v in point.items()) + "}"


def _unchanged(given: object, point: dict) -> bool:
    """Does the learner's copy still hold exactly the point's keys and numbers?"""
    if type(given) is not dict or list(dict.keys(given)) != list(point):
        return False
    return all(type(v) is float and v == point[k] for k, v in dict.items(given))


def _arguments(point: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in point.items())


one_input = Exercise(
    title="A function of one input",
    answer_name="one_input",
    test=_test_one_input,
    nudge_text="one_input does not compute a number yet: it builds and returns a function, "
               "which computes a number each time it is called with a v.",
    hint_text="return a lambda of v (or a function defined inside one_input). Inside it, "
              "make a new dictionary holding point's entries with the entry `name` replaced "
              "by v, and unpack it into keyword arguments of f with **.",
    solution_code='''
        def one_input(f, point, name):
            return lambda v: f(**{**point, name: v})
    ''',
    mistakes=[Mistake('''
        def one_input(f, point, name):
            return f(**point)                          # a number, not a function of v
    ''', says="it should be a function of one number v"), Mistake('''
        def one_input(f, point, name):
            return lambda v: f(**point)                # v is never used
    ''', says="which is f at the point itself"), Mistake('''
        def one_input(f, point, name):
            return lambda v: f(**{name: v, **point})   # point's entry comes last and wins
    ''', says="which is f at the point itself"), Mistake('''
        def one_input(f, point, name):
            def g(v):
                point[name] = v                        # changes the caller's dictionary
                return f(**point)
            return g
    ''', says="changed the dictionary point"), Mistake('''
        def one_input(f, point, name):
            return lambda v: f(*{**point, name: v}.values())   # by position, not by name
    ''', says="in the dictionary's order"), Mistake('''
        def one_input(f, point, name):
            return lambda v: f(**{**point, name: point[name] + v})   # adds v instead
    ''', says="but f(")],
)


# ---------------------------------------------------------------------------------------
# 1. The backward difference
# ---------------------------------------------------------------------------------------

# Each function with its backward secant slope (f(x) - f(x-h)) / h worked out by algebra
# (or by a trigonometric identity), so the reference never uses the formula under test.
_BACKWARD_CASES = [
    ("x²", _square, lambda x, h: 2 * x - h),
    ("3x² − 4x + 5", _lesson_f, lambda x, h: 6 * x - 4 - 3 * h),
    ("x³", _cube, lambda x, h: 3 * x * x - 3 * x * h + h * h),
    ("5x + 1", _line, lambda x, h: 5.0),
    ("sin x", math.sin, lambda x, h: 2 * math.cos(x - h / 2) * math.sin(h / 2) / h),
]


def _test_backward_slope(backward_slope):
    function(backward_slope, "backward_slope")
    # One telling case first, to name the usual slip.
    what = "backward_slope(f, 2.0, 0.25)"
    got = number(run(backward_slope, _square, 2.0, 0.25, what=what), what)
    slips = {
        4.25: "that is the forward difference: it steps to x + h; step back to x − h instead",
        4.0: "that is the central difference; use the points x − h and x only",
        -3.75: "the sign is flipped: the rise is f(x) − f(x − h) (right point minus left point)",
        1.875: "divide by the run, h (the two points are h apart), not by 2h",
        0.9375: "you forgot to divide the rise by the run h",
    }
    for value, message in slips.items():
        if close(got, value, rel=1e-9):
            return f"for f(x) = x², x = 2, h = 0.25 you returned {got:g}: {message}."
    # Does the answer depend on h? (f = 3x² − 4x + 5 at x = 2: the slopes are 8 − 3h.)
    one, two = (number(run(backward_slope, _lesson_f, 2.0, h, what=f"backward_slope(f, 2.0, {h})"),
                       f"backward_slope(f, 2.0, {h})") for h in (0.25, 0.5))
    if close(one, two, rel=1e-9):
        return (f"for f(x) = 3x² − 4x + 5 at x = 2 you returned {one:.6g} with h = 0.25 and "
                f"{two:.6g} with h = 0.5: the answer does not change with h. Use the h "
                "you are given")
    for name, f, exact in _BACKWARD_CASES:
        for x in (2.0, -1.5, 0.3):
            for h in (0.5, 0.1, 1e-3):
                what = f"backward_slope(f, {x}, {h})"
                got = number(run(backward_slope, f, x, h, what=what), what)
                want = exact(x, h)
                if not close(got, want, rel=1e-6, abs_=1e-6):
                    return (f"for f(x) = {name}, x = {x}, h = {h} you returned {got:.6g}, "
                            "which is not the slope of the secant through x − h and x: it "
                            f"{_how(got, want)}")
    return None


backward_slope = Exercise(
    title="The backward difference",
    answer_name="backward_slope",
    test=_test_backward_slope,
    nudge_text="a slope is rise over run: which two points does this secant join, and how "
               "far apart are they?",
    hint_text="the two points are (x − h, f(x − h)) and (x, f(x)): the rise is how much f "
              "changes from the left point to the right one, the run is the distance "
              "between them.",
    solution_code='''
        def backward_slope(f, x, h):
            return (f(x) - f(x - h)) / h
    ''',
    mistakes=[Mistake('''
        def backward_slope(f, x, h):
            return (f(x + h) - f(x)) / h          # forward, not backward
    ''', says="forward difference"), Mistake('''
        def backward_slope(f, x, h):
            return (f(x - h) - f(x)) / h          # sign flipped
    ''', says="sign is flipped"), Mistake('''
        def backward_slope(f, x, h):
            return (f(x) - f(x - h)) / (2 * h)    # the run is h, not 2h
    ''', says="not by 2h"), Mistake('''
        def backward_slope(f, x, h):
            return (f(x + h) - f(x - h)) / (2 * h)   # central, not backward
    ''', says="central difference"), Mistake('''
        def backward_slope(f, x, h):
            return f(x) - f(x - h)                # the rise alone
    ''', says="forgot to divide"), Mistake('''
        def backward_slope(f, x, h):
            h = 1e-6                              # ignores the h it is given
            return (f(x) - f(x - h)) / h
    ''', says="does not change with h"), Mistake('''
        def backward_slope(f, x, h):
            return f(x) - f(x - h) / h            # precedence: only f(x - h) is divided
    ''', says="which is not the slope of the secant through x − h and x")],
)


# ---------------------------------------------------------------------------------------
# 2. The tangent line
# ---------------------------------------------------------------------------------------

_TANGENT_CASES = [
    ("3x² − 4x + 5", _lesson_f, lambda x: 6 * x - 4, 2.0),
    ("sin x", math.sin, math.cos, 1.0),
    ("exp x", math.exp, math.exp, 0.0),
    ("x³", _cube, lambda x: 3 * x * x, -1.0),
    ("3x² − 4x + 5", _lesson_f, lambda x: 6 * x - 4, -0.5),
]


def _test_tangent(tangent):
    function(tangent, "tangent")
    for name, f, df, x in _TANGENT_CASES:
        line = run(tangent, f, x, what=f"tangent(f, {x})")
        if isinstance(line, type) or not callable(line):
            return (f"tangent(f, {x}) is {describe(line)}; it should be a function "
                    f"of t (for example a lambda t: ...)")

        def at(t: float) -> float:
            what = f"tangent(f, {x})({t})"
            return number(run(line, t, what=what), what)

        start = at(x)
        if not close(start, f(x), rel=1e-5, abs_=1e-5):
            return (f"for f(x) = {name}, the line should touch f at x = {x}: line({x}) "
                    f"should equal f({x}) = {f(x):.6g}, but it is {start:.6g}")
        slopes = [(at(t) - start) / (t - x) for t in (x + 2.0, x - 1.0, x + 0.5)]
        if not all(close(s, slopes[0], rel=1e-6, abs_=1e-6) for s in slopes):
            return (f"for f(x) = {name} at x = {x}, your line is not straight: it rises "
                    f"{slopes[0]:.6g} per unit towards t = {x + 2.0} but {slopes[1]:.6g} "
                    f"towards t = {x - 1.0}")
        s = slopes[0]
        if close(s, df(x), rel=1e-5, abs_=1e-5):
            continue
        if close(s, df(x), rel=1e-2):
            return (f"for f(x) = {name} at x = {x} your line's slope is {s:.7g}, near "
                    f"f's slope {df(x):.7g} but not right to 5 digits: the estimate of the "
                    "slope is too rough")
        return (f"for f(x) = {name} at x = {x} your line's slope is {s:.6g}, which is not "
                f"f's slope there: it {_how(s, df(x))}")
    return None


tangent = Exercise(
    title="The tangent line",
    answer_name="tangent",
    test=_test_tangent,
    nudge_text="a straight line is fixed by one point and a slope: which point must the "
               "tangent pass through, and how can you estimate its slope?",
    hint_text="estimate the slope s at x with a central difference (h about 1e-5); then "
              "return a function of t that equals f(x) at t = x and changes by s for every "
              "unit t moves away from x.",
    solution_code='''
        def tangent(f, x):
            h = 1e-5
            s = (f(x + h) - f(x - h)) / (2 * h)
            return lambda t: f(x) + s * (t - x)
    ''',
    mistakes=[Mistake('''
        def tangent(f, x):
            h = 1e-5
            s = (f(x + h) - f(x - h)) / (2 * h)
            return lambda t: f(x) + s * t          # forgets to measure t from x
    ''', says="should equal f(2.0)"), Mistake('''
        def tangent(f, x):
            h = 1e-5
            s = (f(x + h) - f(x - h)) / (2 * h)
            return lambda t: s * (t - x)           # forgets to start at f(x)
    ''', says="should equal f(2.0)"), Mistake('''
        def tangent(f, x):
            s = f(x + 1) - f(x)                    # a step of 1 is far too big
            return lambda t: f(x) + s * (t - x)
    ''', says="which is not f's slope there"), Mistake('''
        def tangent(f, x):
            s = (f(x + 1e-3) - f(x)) / 1e-3        # forward difference, step too big
            return lambda t: f(x) + s * (t - x)
    ''', says="too rough"), Mistake('''
        def tangent(f, x):
            return f                               # the curve, not a straight line
    ''', says="not straight"), Mistake('''
        def tangent(f, x):
            h = 1e-5
            s = (f(x + h) - f(x - h)) / (2 * h)
            return f(x) + s * (x - x)              # a number, not a function of t
    ''', says="it should be a function of t"), Mistake('''
        def tangent(f, x):
            h = 1e-5
            s = (f(x + h) - f(x - h)) / (2 * h)
            return lambda t: f(x) - s * (t - x)    # the slope with the wrong sign
    ''', says="which is not f's slope there: it has the wrong sign")],
)


# ---------------------------------------------------------------------------------------
# 3. Partial derivatives of L = (a·b + c)·m
# ---------------------------------------------------------------------------------------

_POINT = {"a": 2.0, "b": -3.0, "c": 10.0, "m": -2.0}


def _L(a, b, c, m):
    return (a * b + c) * m


def _numerical_partials(point: dict) -> dict:
    h = 1e-5
    result = {}
    for name in point:
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        result[name] = (_L(**up) - _L(**down)) / (2 * h)
    return result


def _test_partials(partials):
    given = entries(partials, "partials", list(_POINT))
    want = _numerical_partials(_POINT)
    # What you get when you forget that L multiplies d = a·b + c by m.
    inner = {"a": _POINT["b"], "b": _POINT["a"], "c": 1.0}
    for name in _POINT:
        got = number(given[name], f"partials['{name}']")
        if close(got, want[name], rel=1e-4, abs_=1e-4):
            continue
        if name in inner and close(got, inner[name], rel=1e-4, abs_=1e-4):
            return (f"partials['{name}'] = {got:g} is how d = a·b + c moves with {name}; "
                    f"but L = d·m, so every change of d is multiplied by m = {_POINT['m']:g}")
        if close(got, -want[name], rel=1e-4, abs_=1e-4):
            return (f"partials['{name}'] has the wrong sign: nudge {name} up a little; "
                    f"does L go up or down?")
        for other in _POINT:
            if other != name and close(got, want[other], rel=1e-4, abs_=1e-4):
                return (f"partials['{name}'] = {got:g} is how L moves with {other}, not with "
                        f"{name}: are two entries swapped?")
        return (f"partials['{name}'] = {got:g} is not right: nudge {name} by a small h, "
                f"keep the other inputs fixed, and divide the change of L by h")
    return None


partials = Exercise(
    title="Partial derivatives of L = (a·b + c)·m",
    answer_name="partials",
    test=_test_partials,
    nudge_text="change one input by a tiny amount while holding the other three still: how "
               "much does L move, per unit of change?",
    hint_text="nudge one input at a time: (L(a + h, b, c, m) − L(a, b, c, m)) / h, and so on; "
              "or reason: L = d·m with d = a·b + c = 4, so L moves m times as fast as d.",
    solution_code='''
        # L = d·m with d = a·b + c = 2·(-3) + 10 = 4, at a = 2, b = -3, c = 10, m = -2
        partials = {
            "a": -2.0 * -3.0,   # m·b: a moves d by b per unit, and L moves m times as much
            "b": -2.0 * 2.0,    # m·a
            "c": -2.0,          # m
            "m": 4.0,           # d
        }
    ''',
    mistakes=[Mistake('''
        partials = {"a": -3.0, "b": 2.0, "c": 1.0, "m": 4.0}    # forgets the factor m
    ''', says="every change of d is multiplied by m"), Mistake('''
        partials = {"a": -6.0, "b": 4.0, "c": 2.0, "m": -4.0}   # every sign flipped
    ''', says="wrong sign"), Mistake('''
        partials = {"a": -4.0, "b": 6.0, "c": -2.0, "m": 4.0}   # a and b swapped
    ''', says="are two entries swapped"), Mistake('''
        partials = {"a": 6.0, "b": -4.0, "c": -2.0, "m": -6.0}  # a slip in m
    ''', says="is not right"), Mistake('''
        partials = {"a": 6.0, "b": -4.0, "c": -2.0}             # one entry missing
    ''', says="no entry for 'm'"), Mistake('''
        partials = {"a": "6", "b": "-4", "c": "-2", "m": "4"}   # strings
    ''', says="is the string")],
)


# ---------------------------------------------------------------------------------------
# 4. Choosing the step h
# ---------------------------------------------------------------------------------------

_STEP_CASES = [
    ("x³", _cube, lambda x: 3 * x * x, 2.0),
    ("sin x", math.sin, math.cos, 1.0),
    ("exp x", math.exp, math.exp, 0.5),
    ("3x² − 4x + 5", _lesson_f, lambda x: 6 * x - 4, 3.0),
    ("log x", math.log, lambda x: 1 / x, 4.0),
    ("√x", math.sqrt, lambda x: 0.5 / math.sqrt(x), 0.3),
]
_TARGETS = {"forward": 3e-7, "central": 2e-9}   # largest relative error allowed


def _error(f, df, x: float, h: float, method: str) -> float:
    """The relative error of one secant slope (inf when the step leaves f's domain)."""
    try:
        with np.errstate(all="ignore"):
            e = abs(secant_slope(f, x, h, method) - df(x)) / abs(df(x))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.inf
    return e if math.isfinite(e) else math.inf


def _worst(method: str, h: float) -> tuple[float, str, float]:
    """The largest relative error over the test functions, with the function and point."""
    return max((_error(f, df, x, h, method), name, x) for name, f, df, x in _STEP_CASES)


def _test_good_steps(good_steps):
    given = entries(good_steps, "good_steps", list(_TARGETS))
    for method, target in _TARGETS.items():
        h = number(given[method], f"good_steps['{method}']")
        if not h > 0:
            return f"good_steps['{method}'] should be a positive number, not {h!r}"
        error, name, x = _worst(method, h)
        if error <= target:
            continue
        smaller, larger = _worst(method, h / 10)[0], _worst(method, h * 10)[0]
        if smaller < larger:
            why = "truncation error: the secant is still far from the tangent. Try a smaller h"
        else:
            why = ("rounding error: the two values of f agree in so many digits that "
                   "their difference is mostly rounding. Try a larger h")
        if math.isinf(error):
            return (f"with h = {h:g} the {method} difference for f(x) = {name} at x = {x} "
                    f"steps outside where f is defined (or overflows): h is far too big")
        return (f"with h = {h:g} the {method} difference for f(x) = {name} at x = {x} is off "
                f"by {error:.1e} (relative), more than {target:.0e}. That is {why}.")
    return None


good_steps = Exercise(
    title="Choosing the step h",
    answer_name="good_steps",
    test=_test_good_steps,
    nudge_text="two errors pull in opposite directions as h shrinks; the V plot of section "
               "6 shows where each method's total error is smallest.",
    hint_text="truncation error shrinks with h, rounding error grows like ε / h (ε ≈ 2.2e-16). "
              "For a forward difference they balance near √ε, for a central one near ∛ε: "
              "pick powers of ten close to those.",
    solution_code='''
        good_steps = {"forward": 1e-8, "central": 1e-5}
    ''',
    mistakes=[Mistake('''
        good_steps = {"forward": 1e-16, "central": 1e-5}   # forward step below the resolution
    ''', says="rounding error"), Mistake('''
        good_steps = {"forward": 1e-3, "central": 1e-5}    # forward step too big
    ''', says="truncation error"), Mistake('''
        good_steps = {"forward": 1e-8, "central": 1e-8}    # central can afford a bigger step
    ''', says="That is rounding error"), Mistake('''
        good_steps = {"forward": 1e-8, "central": 1e-2}    # central step too big
    ''', says="Try a smaller h"), Mistake('''
        good_steps = {"forward": -1e-8, "central": 1e-5}   # a negative step
    ''', says="should be a positive number"), Mistake('''
        good_steps = {"forward": 1e-8, "central": 10.0}    # log x steps below 0
    ''', says="steps outside where f is defined"), Mistake('''
        good_steps = {"forward": 1e-5, "central": 1e-8}    # the two swapped
    ''', says="forward difference")],
)
