"""Notebook 03 (backpropagation by hand): gradients on paper, a step downhill, tanh's slope, a neuron."""
from __future__ import annotations

import math
from typing import Any, Callable, Optional

from grad.check import secant_slope
from grad.engine import Value
from grad.exercises import (Exercise, Mistake, close, describe, entries, function, number,
                            run, shown, to_float)


def _how(got: float, want: float) -> str:
    """How a wrong number differs from the right one, without saying the right one."""
    if got * want < 0:
        return "has the wrong sign"
    return "is too large" if abs(got) > abs(want) else "is too small"

_describe = describe


def _near(a: float, b: float) -> bool:
    """Equal up to the error of a central difference."""
    return abs(a - b) <= 1e-5 + 1e-5 * abs(b)


# ---- 1. gradients by hand --------------------------------------------------------------------
# x = 3, y = -5, z = 4, w = 0.75;  s = x + y;  t = z * w;  out = s * t
_START = {"x": 3.0, "y": -5.0, "z": 4.0, "w": 0.75}


def _out_nudged(name: str, h: float) -> float:
    """out = (x + y) * (z * w), with h added to the node called `name` as it is computed."""
    def bump(label: str, v: float) -> float:
        return v + h if label == name else v
    x, y, z, w = (bump(k, v) for k, v in _START.items())
    s = bump("s", x + y)
    t = bump("t", z * w)
    return s * t


def _numerical(name: str) -> float:
    return secant_slope(lambda h: _out_nudged(name, h), 0.0, 1e-6, "central")


# What a gradient looks like when the chain rule's factor is left out: the local derivative.
_LOCAL_ONLY = {"x": 1.0, "y": 1.0, "z": 0.75, "w": 4.0}
_CHAIN_HINT = {"x": "ds/dx", "y": "ds/dy", "z": "dt/dz", "w": "dt/dw"}
_ARRIVING = {"x": "s", "y": "s", "z": "t", "w": "t"}


def _test_grads_by_hand(grads: Any) -> Optional[str]:
    given = entries(grads, "grads", ["s", "t", "x", "y", "z", "w"])
    for name in ["s", "t", "x", "y", "z", "w"]:
        got = number(given[name], f"grads[{name!r}]")
        expected = _numerical(name)
        if _near(got, expected):
            continue
        if _near(-got, expected):
            return f"grads[{name!r}] = {got:g} has the wrong sign"
        if name in _LOCAL_ONLY and _near(got, _LOCAL_ONLY[name]):
            return (f"grads[{name!r}] = {got:g} is only the local derivative "
                    f"{_CHAIN_HINT[name]}: multiply it by d out/d{_ARRIVING[name]}, the "
                    "gradient arriving from above (the chain rule)")
        own = {"s": -2.0, "t": 3.0}.get(name)
        if own is not None and _near(got, own):
            return (f"grads[{name!r}] = {got:g} is {name}'s own value: for a product, the "
                    "derivative with respect to one operand is the *other* operand")
        return (f"grads[{name!r}] = {got:g} is not d out/d{name}: nudging {name} a little "
                "moves out by a different amount")
    return None


grads_by_hand = Exercise(
    title="Gradients by hand",
    answer_name="grads",
    test=_test_grads_by_hand,
    nudge_text=("start at the output and work backwards: how does out change when s moves a "
                "little, and when t does? Then go one step further back, to the inputs."),
    hint_text=("s = -2 and t = 3. out = s * t, so d out/ds = t and d out/dt = s. The + "
               "passes d out/ds on to x and y unchanged; the * multiplies d out/dt by the "
               "other operand: d out/dz = d out/dt * w."),
    solution_code='''
        # s = 3 + (-5) = -2,  t = 4 * 0.75 = 3,  out = s * t = -6
        grads = {
            "s": 3.0,           # d out/ds = t
            "t": -2.0,          # d out/dt = s
            "x": 3.0 * 1,       # d out/ds * ds/dx
            "y": 3.0 * 1,       # d out/ds * ds/dy
            "z": -2.0 * 0.75,   # d out/dt * dt/dz = d out/dt * w = -1.5
            "w": -2.0 * 4.0,    # d out/dt * dt/dw = d out/dt * z = -8
        }
    ''',
    mistakes=[Mistake('''
        grads = {"s": 3.0, "t": -2.0, "x": 1.0, "y": 1.0, "z": 0.75, "w": 4.0}  # no chain factor
    ''', says="is only the local derivative"), Mistake('''
        grads = {"s": -2.0, "t": 3.0, "x": -2.0, "y": -2.0, "z": 12.0, "w": 9.0}  # own value, not the other
    ''', says="own value"), Mistake('''
        grads = {"s": 3.0, "t": -2.0, "x": 3.0, "y": 3.0, "z": -1.5, "w": 8.0}  # a sign slip
    ''', says="wrong sign"), Mistake('''
        grads = {"s": 3.0, "t": -2.0, "x": 3.0, "y": 3.0, "z": -1.5}  # one missing
    ''', says="no entry for 'w'"), Mistake('''
        grads = {"s": 3.0, "t": -2.0, "x": 3.0, "y": -3.0, "z": -1.5, "w": -8.0}  # + does not flip signs
    ''', says="wrong sign"), Mistake('''
        grads = {"s": 3.0, "t": -2.0, "x": 3.0, "y": 3.0, "z": -8.0, "w": -1.5}  # z and w swapped
    ''', says="is not d out/dz")],
)


# ---- 2. a step downhill, against the gradient -----------------------------------------------
def _lecture_graph() -> tuple[list[Value], Callable[[], Value]]:
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    return [a, b, c, f], lambda: (a * b + c) * f


def _neuron_graph() -> tuple[list[Value], Callable[[], Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.8813735870195432, label="b")
    return [w1, w2, b], lambda: (x1 * w1 + x2 * w2 + b).tanh()


def _test_step_downhill(step_downhill: Any) -> Optional[str]:
    function(step_downhill, "step_downhill")
    for build, step in [(_lecture_graph, 0.01), (_lecture_graph, 0.1), (_neuron_graph, 0.05)]:
        values, forward = build()
        mine = list(values)                  # read the results from our own list
        out = forward()
        out.backward()
        before_data = [v.data for v in mine]
        before_grad = [v.grad for v in mine]
        run(step_downhill, values, step, what=f"step_downhill(values, {step})", changes=(0,))
        after_data = [to_float(v.data) for v in mine]
        grads_after = [to_float(v.grad) for v in mine]
        if grads_after != before_grad:
            if all(g == 0 for g in grads_after):
                return ("step_downhill set every .grad to 0: this exercise's step changes .data "
                        "only (resetting the gradients is a step of its own, zero_grad, in "
                        "notebook 07)")
            return "step_downhill changed the .grad of the values: the step changes .data only"
        if after_data == before_data:
            return ("step_downhill left every value's .data unchanged: the step must move the Values "
                    "in the list it is given, in place (new Values, or other ones, leave these "
                    "where they were)")
        for v, old, g in zip(mine, before_data, before_grad):
            if close(v.data, old - step * g, rel=1e-9, abs_=1e-12):
                continue
            if close(v.data, old + step * g, rel=1e-9, abs_=1e-12):
                return (f"{v.label} moved from {old} to {shown(v.data)}, *with* its gradient "
                        f"{g}: that makes the output larger. Step against it (subtract)")
            if close(v.data, old - step, rel=1e-9, abs_=1e-12) or close(v.data, old + step, rel=1e-9, abs_=1e-12):
                return (f"{v.label} moved by step alone ({old} to {shown(v.data)}): each value "
                        "should move by step times its gradient")
            return (f"with step={step}, {v.label} (data {old}, grad {g}) should move to "
                    f"{old - step * g}, but it is {shown(v.data)}")
        new_out = forward()
        if not new_out.data < out.data:
            return f"the output did not go down: {out.data:.6f} before, {new_out.data:.6f} after"
    return None


step_downhill = Exercise(
    title="A step downhill",
    answer_name="step_downhill",
    test=_test_step_downhill,
    nudge_text=("the gradient points uphill, and the output should go down: which way should "
                "each value move, and by how much?"),
    hint_text=("change each value's .data in place (the Values in the list, not new ones), "
               "by step times its .grad, in the direction that makes the output smaller; "
               "leave .grad alone."),
    solution_code='''
        def step_downhill(values, step):
            for v in values:
                v.data -= step * v.grad
    ''',
    mistakes=[Mistake('''
        def step_downhill(values, step):
            for v in values:
                v.data += step * v.grad   # uphill: the output grows
    ''', says="*with* its gradient"), Mistake('''
        def step_downhill(values, step):
            for v in values:
                v.data -= step            # ignores the gradient
    ''', says="moved by step alone"), Mistake('''
        def step_downhill(values, step):
            for v in values:
                v.grad -= step * v.data   # changes the wrong attribute
    ''', says="changed the .grad"), Mistake('''
        from grad import Value

        def step_downhill(values, step):  # makes new values; the old ones never move
            return [Value(v.data - step * v.grad) for v in values]
    ''', says="left every value's .data unchanged"), Mistake('''
        def step_downhill(values, step):
            for v in values:
                v.data -= 0.01 * v.grad   # a fixed step instead of the one given
    ''', says="should move to"), Mistake('''
        def step_downhill(values, step):
            for v in values[:-1]:         # forgets the last value
                v.data -= step * v.grad
    ''', says="should move to"), Mistake('''
        def step_downhill(values, step):
            for v in values:
                v.data = -step * v.grad   # replaces the value instead of moving it
    ''', says="should move to")],
    adversaries=['''
        class Liar(float):            # a wrong number that says it equals everything
            def __eq__(self, other): return True
            def __ne__(self, other): return False

        def step_downhill(values, step):
            for v in values:
                v.data = Liar(v.data + 100.0)
    '''],
)


# ---- 3. the slope of tanh --------------------------------------------------------------------
def _test_dtanh(dtanh: Any) -> Optional[str]:
    function(dtanh, "dtanh")
    for n in [0.0, 0.8813735870195432, -0.5, 2.0, -3.0, 0.1, 5.0]:
        got = number(run(dtanh, n, what=f"dtanh({n})"), f"dtanh({n})")
        expected = secant_slope(math.tanh, n, 1e-6, "central")
        t = math.tanh(n)
        if abs(got - (1 - t * t)) <= 1e-12:
            continue
        if _near(got, expected):
            # A numerical difference lands within about 1e-10 of the slope; the formula
            # within about 1e-16.
            return (f"dtanh({n}) = {got!r} is close to the slope but not exact "
                    f"({abs(got - (1 - t * t)):.1e} off), like a numerical estimate: the "
                    "formula for tanh's derivative is exact up to rounding")
        if _near(got, 1 - t):
            return f"dtanh({n}) = {got:.6f} is 1 - tanh(n): the tanh should be squared"
        if _near(got, 1 - n * n):
            return (f"dtanh({n}) = {got:.6f} is 1 - n²: the formula squares tanh(n), "
                    "not n itself")
        if _near(got, -expected):
            return f"dtanh({n}) = {got:.6f} has the wrong sign: tanh goes up everywhere"
        return f"dtanh({n}) = {got:.6f}, which is not the slope of tanh there: it {_how(got, expected)}"
    return None


dtanh = Exercise(
    title="The slope of tanh",
    answer_name="dtanh",
    test=_test_dtanh,
    nudge_text="tanh's derivative can be written with tanh itself, and math.tanh computes "
               "tanh of a number.",
    hint_text="the derivative of tanh is 1 minus tanh squared: compute tanh(n) first, then "
              "build the slope from it.",
    solution_code='''
        import math

        def dtanh(n):
            t = math.tanh(n)
            return 1 - t ** 2
    ''',
    mistakes=[Mistake('''
        import math

        def dtanh(n):
            return 1 - math.tanh(n)        # the square is missing
    ''', says="the tanh should be squared"), Mistake('''
        def dtanh(n):
            return 1 - n ** 2              # squares n instead of tanh(n)
    ''', says="not n itself"), Mistake('''
        import math

        def dtanh(n):
            return math.tanh(n) ** 2 - 1   # upside down
    ''', says="wrong sign"), Mistake('''
        import math

        def dtanh(n):                      # a numerical difference, not the formula
            h = 1e-6
            return (math.tanh(n + h) - math.tanh(n - h)) / (2 * h)
    ''', says="like a numerical estimate"), Mistake('''
        import math

        def dtanh(n):
            return 1 - math.tanh(n ** 2)   # tanh of n², not tanh(n) squared
    ''', says="which is not the slope of tanh there"), Mistake('''
        import math

        def dtanh(n):
            t = math.tanh(n)
            print(1 - t ** 2)              # printed, not returned
    ''', says="is a `return` missing?")],
)


# ---- 4. any neuron, by hand ------------------------------------------------------------------
_NEURONS = [
    (2.0, -3.0, 0.0, 1.0, 6.8813735870195432),
    (1.0, 0.5, -2.0, 0.25, 0.1),
    (-0.7, 1.2, 0.4, -0.9, -0.3),
    (0.3, -0.8, 1.5, 2.0, -1.0),
    (3.0, 1.0, 1.0, 1.0, -2.5),
]
_NAMES = ["x1", "w1", "x2", "w2", "b"]


def _neuron(x1: float, w1: float, x2: float, w2: float, b: float) -> float:
    return math.tanh(x1 * w1 + x2 * w2 + b)


def _test_neuron_grads(neuron_grads: Any) -> Optional[str]:
    function(neuron_grads, "neuron_grads")
    for point in _NEURONS:
        call = "neuron_grads(" + ", ".join(f"{p:g}" for p in point) + ")"
        got = entries(run(neuron_grads, *point, what=call), call, _NAMES)
        slope = 1 - _neuron(*point) ** 2
        for i, name in enumerate(_NAMES):
            g = number(got[name], f"{call}[{name!r}]")

            def moved(h: float, i: int = i) -> float:
                args = list(point)
                args[i] += h
                return _neuron(*args)
            expected = secant_slope(moved, 0.0, 1e-6, "central")
            if _near(g, expected):
                continue
            other = {"x1": point[1], "w1": point[0], "x2": point[3], "w2": point[2], "b": 1.0}[name]
            if _near(g, other) and not _near(slope, 1.0):
                return (f"{call}[{name!r}] = {g:.4f} is dn/d{name}, the gradient of n: "
                        "multiply by tanh's slope, do/dn = 1 - o²")
            own = point[i]
            if name != "b" and _near(g, own * slope):
                return (f"{call}[{name!r}] = {g:.4f} uses {name} itself; for a product "
                        "the local derivative is the *other* operand")
            n = sum(point[k] * point[k + 1] for k in (0, 2)) + point[4]
            if _near(g, other * (1 - n * n)):
                return (f"{call}[{name!r}] = {g:.4f} uses 1 - n²; tanh's slope is "
                        "1 - tanh(n)² = 1 - o²")
            return (f"{call}[{name!r}] = {g:.4f} is not what nudging {name} gives: it "
                    f"{_how(g, expected)}")
    return None


neuron_grads = Exercise(
    title="Any neuron, by hand",
    answer_name="neuron_grads",
    test=_test_neuron_grads,
    nudge_text=("split the neuron into steps, n = x1·w1 + x2·w2 + b and o = tanh(n), and pass "
                "the gradient back through them one at a time, as in the worked example."),
    hint_text=("first the gradient arriving at n: tanh's slope there, written with "
               "o = tanh(n). The + passes it on unchanged to each product and to b; each "
               "product gives each of its operands that gradient times the *other* operand."),
    solution_code='''
        import math

        def neuron_grads(x1, w1, x2, w2, b):
            o = math.tanh(x1 * w1 + x2 * w2 + b)
            dn = 1 - o ** 2          # do/dn: tanh's slope
            return {"x1": dn * w1, "w1": dn * x1,
                    "x2": dn * w2, "w2": dn * x2,
                    "b": dn}
    ''',
    mistakes=[Mistake('''
        def neuron_grads(x1, w1, x2, w2, b):   # forgets tanh: these are the gradients of n
            return {"x1": w1, "w1": x1, "x2": w2, "w2": x2, "b": 1.0}
    ''', says="is dn/dx1, the gradient of n"), Mistake('''
        import math

        def neuron_grads(x1, w1, x2, w2, b):   # each operand gets itself, not the other
            dn = 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2
            return {"x1": dn * x1, "w1": dn * w1, "x2": dn * x2, "w2": dn * w2, "b": dn}
    ''', says="uses x1 itself"), Mistake('''
        def neuron_grads(x1, w1, x2, w2, b):   # 1 - n² instead of 1 - tanh(n)²
            n = x1 * w1 + x2 * w2 + b
            dn = 1 - n ** 2
            return {"x1": dn * w1, "w1": dn * x1, "x2": dn * w2, "w2": dn * x2, "b": dn}
    ''', says="uses 1 - n²"), Mistake('''
        import math

        def neuron_grads(x1, w1, x2, w2, b):   # the bias forgets tanh's slope
            dn = 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2
            return {"x1": dn * w1, "w1": dn * x1, "x2": dn * w2, "w2": dn * x2, "b": 1.0}
    ''', says="['b'] = 1.0000 is dn/db"), Mistake('''
        import math

        def neuron_grads(x1, w1, x2, w2, b):   # keys as variables' values, a typo'd key
            dn = 1 - math.tanh(x1 * w1 + x2 * w2 + b) ** 2
            return {"x1": dn * w1, "w1": dn * x1, "x2": dn * w2, "w2": dn * x2, "bias": dn}
    ''', says="has no entry for 'b'")],
)
