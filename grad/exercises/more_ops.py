"""Notebook 05: new operations with their backward steps, and gradient checking.

The checkers work with any Value-like class (the package's `grad.Value` or the class a
learner builds in the notebook): they call an operation on `grad.Value` inputs and then
run its backward step directly, `out._backward()`, with a chosen `out.grad`, so a missing
chain-rule factor or an overwritten gradient shows up. References are computed
independently, by central differences on plain `math` functions.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

from grad.check import numerical_grad, secant_slope
from grad.engine import Value
from grad.exercises import (Exercise, Mistake, NotYet, attr, describe, function, is_value,
                            items, number, run, shown, to_float)

H = 1e-6


def _near(got: float, want: float, tol: float = 1e-6) -> bool:
    return abs(got - want) <= tol * max(1.0, abs(want))


def _graph(out, name: str) -> list:
    """The nodes of out's graph, each after the nodes it was computed from (out last)."""
    order, seen, stack = [], set(), [(out, False)]
    while stack:
        v, children_done = stack.pop()
        if children_done:
            order.append(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        stack.append((v, True))
        prev = attr(v, "_prev", name) if v is out else getattr(v, "_prev", ())
        for child in prev if isinstance(prev, (tuple, list, set, frozenset)) else ():
            stack.append((child, False))
        if len(seen) > 10_000:
            raise NotYet(f"the graph of {name} has more than 10000 nodes, or a loop")
    return order


# What a wrong local derivative may be, checked before saying only that it is not the slope.
_READINGS = (("x itself", lambda x0, y: x0), ("out.data, the operation's own result", lambda x0, y: y),
             ("1", lambda x0, y: 1.0))


def _check_unary_op(name: str, call: Callable[[Value], object], f: Callable[[float], float],
                    points: tuple[float, ...], readings: tuple = ()) -> Optional[str]:
    """Test an operation on a Value: its data, that it is one new node whose only operand is
    x, and its backward step.

    The step runs with out.grad = 3 and x.grad already holding 0.5, so a missing chain-rule
    factor or an overwritten gradient shows up. A wrong local derivative is named by what it
    equals (`readings`: (description, function of x and out.data), then _READINGS), never by
    the right value."""
    for x0 in points:
        x = Value(x0)
        out = run(call, x, what=name)
        if not is_value(out):
            return f"{name} is {describe(out)}; it should be a new Value"
        if out is x:
            return f"{name} returned its input; it should return a new Value"
        want = f(x0)
        got = to_float(attr(out, "data", name))
        if got is None or not _near(got, want):
            said = f"at x = {x0}, {name} gives data {shown(attr(out, 'data', name))}"
            if got is not None and _near(got, f(-x0)):
                return f"{said}, which is the operation's value at -x, not at x"
            return f"{said}, which is not the operation's value at x"
        nodes = _graph(out, name)
        if not any(v is x for v in nodes):
            return (f"x is not in the graph of {name}: out's children (_prev) do not lead back "
                    "to x, so backward() would never reach x")
        prev = attr(out, "_prev", name)
        operands = list(prev) if isinstance(prev, (tuple, list, set, frozenset)) else []
        if not (len(operands) == 1 and operands[0] is x):
            inner = [v for v in nodes if v is not x and getattr(v, "_prev", ())]
            ops = sorted({str(getattr(v, "_op", "")) for v in inner if v is not out}
                         or {str(getattr(out, "_op", ""))})
            return (f"{name} is built on other Value operations ({', '.join(ops)}): out's "
                    "operands are not just x, so x gets its gradient through their backward "
                    "steps, not through one backward step of the operation itself. Make one "
                    "new Value from x.data, with x as its only operand, and write its _backward")
        slope = secant_slope(f, x0, H, "central")
        steps = []
        for v in reversed(nodes):
            if v is not x:
                step = getattr(v, "_backward", None)
                if not callable(step):
                    return f"a node in the graph of {name} has no _backward to call"
                steps.append(step)
                v.grad = 0.0
        x.grad, out.grad = 0.5, 3.0
        for step in steps:
            run(step, what=f"the backward step of {name}")
        want_grad = 0.5 + slope * 3.0
        number(x.grad, f"after the backward step of {name}, x.grad")
        if _near(x.grad, slope * 3.0):
            return ("the backward step replaced x.grad instead of adding to it: use "
                    "`x.grad += ...` so gradients from several uses of x accumulate")
        if _near(x.grad, 0.5):
            return f"the backward step of {name} left x.grad unchanged"
        if _near(x.grad, 0.5 + slope):
            return ("the backward step forgot to multiply by out.grad (the chain rule: "
                    "local derivative times the gradient arriving from above)")
        if not _near(x.grad, want_grad):
            got_local = (x.grad - 0.5) / 3.0
            said = (f"at x = {x0}, your backward step uses the local derivative "
                    f"{got_local:.6g}")
            for what, value in tuple(readings) + _READINGS:
                if _near(got_local, value(x0, got), 1e-5):
                    return f"{said}, which is {what}, not the slope of {name} at x"
            if _near(got_local, -slope, 1e-5):
                return f"{said}, which has the wrong sign: it is minus the slope of {name} at x"
            size = "larger" if abs(got_local) > abs(slope) else "smaller"
            return f"{said}, which is {size} than the slope of {name} at x"
    return None


# ---- 1. exp -------------------------------------------------------------------------------
def _test_exp_op(exp_op):
    return (_uses_itself("exp_op(x)", "exp", exp_op)
            or _check_unary_op("exp_op(x)", exp_op, math.exp, (1.0, 2.0, 0.0, -1.5, 0.3)))


exp_op = Exercise(
    title="exp with its backward step",
    answer_name="exp_op",
    test=_test_exp_op,
    nudge_text="what is the slope of e**x, and which number that the forward pass already "
               "computed is equal to it?",
    hint_text="the slope of e**x is e**x itself, and the forward pass already stored that "
              "number; as for every operation, multiply the local slope by the gradient "
              "arriving at out and accumulate the product into x.grad.",
    solution_code='''
        import math

        def exp_op(x):
            Value = type(x)   # the class x belongs to: this notebook's Value, or grad.Value
            out = Value(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad += out.data * out.grad   # d(e**x)/dx = e**x
            out._backward = _backward
            return out
    ''',
    mistakes=[Mistake('''
        import math
        from grad import Value

        def exp_op(x):
            out = Value(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad += x.data * out.grad     # x instead of e**x
            out._backward = _backward
            return out
    ''', says='uses the local derivative 1, which is x itself'), Mistake('''
        import math
        from grad import Value

        def exp_op(x):
            out = Value(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad = out.data * out.grad    # overwrites instead of accumulating
            out._backward = _backward
            return out
    ''', says='replaced x.grad instead of adding to it'), Mistake('''
        import math
        from grad import Value

        def exp_op(x):
            out = Value(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad += out.data              # forgets the chain-rule factor out.grad
            out._backward = _backward
            return out
    ''', says='forgot to multiply by out.grad'), Mistake('''
        import math
        from grad import Value

        def exp_op(x):
            out = Value(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad += out.data * out.grad
            out._backward = _backward                     # forgets to return out
    ''', says="is None; it should be a new Value")],
)


# ---- 2. pow with a number exponent --------------------------------------------------------
_POW_CASES = ((2, (1.5, -0.7, 3.0)), (3, (2.0, -1.2)), (-1, (0.5, -2.0)), (0.5, (4.0, 0.3)),
              (1.5, (2.0,)), (1, (2.5,)))


class _Watched(Value):
    """A Value that notes which of its own operations a learner's function uses: an exercise
    that builds an operation is not answered by calling that very operation."""
    __slots__ = ()
    used: set = set()

    def __pow__(self, other):
        _Watched.used.add("**")
        return Value.__pow__(self, other)

    def exp(self):
        _Watched.used.add("exp")
        return Value.exp(self)

    def sigmoid(self):
        _Watched.used.add("sigmoid")
        return Value.sigmoid(self)


def _uses_itself(name: str, op: str, call: Callable[[Value], object]) -> Optional[str]:
    """A verdict when `call` computes its result with Value's own `op`, else None."""
    _Watched.used.clear()
    run(call, _Watched(0.7), what=name)
    if op in _Watched.used:
        return (f"{name} computes its result with Value's own {op}, the very operation it is "
                f"meant to build: make the new Value from x.data yourself and write its "
                f"backward step")
    return None


def _test_pow_op(pow_op):
    used = _uses_itself("pow_op(x, 3)", "**", lambda x: pow_op(x, 3))
    if used:
        return used
    for k, points in _POW_CASES:
        readings = (("x ** (k - 1)", lambda x0, y, k=k: x0 ** (k - 1)),
                    ("k * x ** k", lambda x0, y, k=k: k * x0 ** k))
        problem = _check_unary_op(f"pow_op(x, {k})", lambda x, k=k: pow_op(x, k),
                                  lambda t, k=k: t ** k, points, readings)
        if problem:
            return problem
    return None


pow_op = Exercise(
    title="x ** k with its backward step",
    answer_name="pow_op",
    test=_test_pow_op,
    nudge_text="the forward value is x.data ** k; for the backward step, recall the power "
               "rule from section 3 of this notebook, and remember the chain rule's factor.",
    hint_text="the power rule: d(x**k)/dx = k * x**(k - 1). Multiply by out.grad and add "
              "it to x.grad.",
    solution_code='''
        def pow_op(x, k):
            Value = type(x)   # the class x belongs to: this notebook's Value, or grad.Value
            out = Value(x.data ** k, (x,), f'**{k}')
            def _backward():
                x.grad += k * x.data ** (k - 1) * out.grad
            out._backward = _backward
            return out
    ''',
    mistakes=[Mistake('''
        from grad import Value

        def pow_op(x, k):
            out = Value(x.data ** k, (x,), f'**{k}')
            def _backward():
                x.grad += x.data ** (k - 1) * out.grad      # forgets the factor k
            out._backward = _backward
            return out
    ''', says='local derivative 1.5, which is x ** (k - 1)'), Mistake('''
        from grad import Value

        def pow_op(x, k):
            out = Value(x.data ** k, (x,), f'**{k}')
            def _backward():
                x.grad += k * x.data ** k * out.grad        # k * x**k: exponent not lowered
            out._backward = _backward
            return out
    ''', says='local derivative 4.5, which is k * x ** k'), Mistake('''
        def pow_op(x, k):
            return x ** k
    ''', says="the very operation it is meant to build")],
)


# ---- 3. sigmoid ---------------------------------------------------------------------------
def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t))


def _test_sigmoid_op(sigmoid_op):
    return (_uses_itself("sigmoid_op(x)", "sigmoid", sigmoid_op)
            or _check_unary_op("sigmoid_op(x)", sigmoid_op, _sigmoid, (1.2, -0.5, 0.0, 3.0, -4.0),
                               (("x * (1 - x), with x where σ belongs", lambda x0, y: x0 * (1 - x0)),)))


sigmoid_op = Exercise(
    title="sigmoid with its backward step",
    answer_name="sigmoid_op",
    test=_test_sigmoid_op,
    nudge_text="the sigmoid's slope can be written with the sigmoid's own value, which the "
               "forward pass has already computed.",
    hint_text="compute the forward value from x.data with math.exp; for the backward step, "
              "the slope σ(1 − σ) needs σ, which out.data already holds; then the chain rule "
              "and +=, as for exp.",
    solution_code='''
        import math

        def sigmoid_op(x):
            Value = type(x)   # the class x belongs to: this notebook's Value, or grad.Value
            s = 1 / (1 + math.exp(-x.data))
            out = Value(s, (x,), 'sigmoid')
            def _backward():
                x.grad += out.data * (1 - out.data) * out.grad
            out._backward = _backward
            return out
    ''',
    mistakes=[Mistake('''
        import math
        from grad import Value

        def sigmoid_op(x):
            s = 1 / (1 + math.exp(-x.data))
            out = Value(s, (x,), 'sigmoid')
            def _backward():
                x.grad += out.data * out.grad             # forgets the factor (1 - s)
            out._backward = _backward
            return out
    ''', says='local derivative 0.768525, which is out.data'), Mistake('''
        import math
        from grad import Value

        def sigmoid_op(x):
            s = 1 / (1 + math.exp(-x.data))
            out = Value(s, (x,), 'sigmoid')
            def _backward():
                x.grad += x.data * (1 - x.data) * out.grad  # x where sigmoid(x) belongs
            out._backward = _backward
            return out
    ''', says='local derivative -0.24, which is x * (1 - x)'), Mistake('''
        import math
        from grad import Value

        def sigmoid_op(x):
            s = 1 / (1 + math.exp(x.data))                # sign error: this is sigmoid(-x)
            out = Value(s, (x,), 'sigmoid')
            def _backward():
                x.grad += out.data * (1 - out.data) * out.grad
            out._backward = _backward
            return out
    ''', says="the operation's value at -x"), Mistake('''
        import math
        from grad import Value

        def sigmoid_op(x):
            s = 1 / (1 + math.exp(-x.data))
            out = Value(s)                                # no children: cut off from x
            def _backward():
                x.grad += out.data * (1 - out.data) * out.grad
            out._backward = _backward
            return out
    ''', says="backward() would never reach x"), Mistake('''
        import math
        from grad import Value

        def sigmoid_op(x):
            s = 1 / (1 + math.exp(-x.data))
            return Value(s, (x,), 'sigmoid')              # no backward step at all
    ''', says="left x.grad unchanged"), Mistake('''
        def sigmoid_op(x):
            return 1 / (1 + (-x).exp())   # right numbers, but exp's and /'s backward steps
    ''', says="is built on other Value operations")],
)


# ---- operations, some with a wrong backward step, for exercises 4 and 5 --------------------
def _unary(name: str, f: Callable[[float], float],
           local: Callable[[float, float], float]) -> Callable:
    """An operation on any Value-like class: out = f(x), backward adds local(x, out) * out.grad."""
    def op(x):
        out = type(x)(f(x.data), (x,), name)

        def _backward():
            x.grad += local(x.data, out.data) * out.grad
        out._backward = _backward
        return out
    op.__name__ = name
    return op


GOOD = {
    "square": _unary("square", lambda x: x * x, lambda x, y: 2 * x),
    "cube": _unary("cube", lambda x: x ** 3, lambda x, y: 3 * x ** 2),
    "exp": _unary("exp", math.exp, lambda x, y: y),
    "sigmoid": _unary("sigmoid", _sigmoid, lambda x, y: y * (1 - y)),
    "tanh": _unary("tanh", math.tanh, lambda x, y: 1 - y * y),
    "relu": _unary("relu", lambda x: max(x, 0.0), lambda x, y: float(x > 0)),
    "negate": _unary("negate", lambda x: -x, lambda x, y: -1.0),
    "sin": _unary("sin", math.sin, lambda x, y: math.cos(x)),
}
BAD = {
    "square": _unary("square", lambda x: x * x, lambda x, y: x),              # forgets 2
    "cube": _unary("cube", lambda x: x ** 3, lambda x, y: 3 * x ** 3),        # k * x**k
    "exp": _unary("exp", math.exp, lambda x, y: x),                           # x, not e**x
    "sigmoid": _unary("sigmoid", _sigmoid, lambda x, y: y),                   # forgets 1 - s
    "tanh": _unary("tanh", math.tanh, lambda x, y: 1 - x * x),                # x, not tanh x
    "relu": _unary("relu", lambda x: max(x, 0.0), lambda x, y: 1.0),          # leaks for x < 0
    "negate": _unary("negate", lambda x: -x, lambda x, y: 1.0),               # sign error
    "sin": _unary("sin", math.sin, lambda x, y: -math.cos(x)),                # sign error
}


# ---- 4. a gradient check that returns the largest difference ------------------------------
def _reference_max_error(f: Callable, xs: list[float], signed: bool = False,
                         only_first: bool = False) -> float:
    """The largest |backward - numerical| (or, for the messages, the largest signed
    difference, or the first input's alone)."""
    values = [Value(x) for x in xs]
    f(*values).backward()
    numeric = numerical_grad(f, *values, h=H)
    differences = [v.grad - n for v, n in zip(values, numeric)]
    if only_first:
        return abs(differences[0])
    return max(differences) if signed else max(abs(d) for d in differences)


# (description, function, inputs). Only + and * between Values, so any Value class works.
_ERROR_CASES = [
    ("a*b + a*a (correct)", lambda a, b: a * b + a * a, [1.5, -2.0]),
    ("exp(a)*b with a broken exp", lambda a, b: BAD["exp"](a) * b, [2.0, 0.5]),
    ("a*square(b) with a broken square", lambda a, b: a * BAD["square"](b), [1.0, -1.5]),
    ("a*b + square(c) with a broken square", lambda a, b, c: a * b + BAD["square"](c),
     [0.3, -1.0, 2.5]),
    ("cube(b) + a with a broken cube", lambda a, b: BAD["cube"](b) + a, [1.0, 0.8]),
    ("tanh(a*b) + sigmoid(a) (correct)", lambda a, b: GOOD["tanh"](a * b) + GOOD["sigmoid"](a),
     [0.4, -1.1]),
    ("sin(a)*a with a broken sin", lambda a: BAD["sin"](a) * a, [0.9]),
]


def _test_max_grad_error(max_grad_error):
    function(max_grad_error, "max_grad_error")
    for description, f, xs in _ERROR_CASES:
        what = f"max_grad_error(f, {xs}) for f = {description}"
        got = number(run(max_grad_error, f, list(xs), what=what), what)
        want = _reference_max_error(f, xs)
        if got < 0:
            return (f"for f = {description} it returned {got:.4g}, a negative number: take "
                    "the absolute value of each difference")
        if want < 1e-6:
            if 1e-5 < got < 0.1:   # the size of a one-sided or coarse estimate's error
                return (f"for f = {description}, whose gradients are right, it returned "
                        f"{got:.3g}: the numerical estimate is not accurate enough (use the "
                        "central difference (f(x+h) - f(x-h)) / 2h with a small h like 1e-6)")
            if got > 1e-5:
                return (f"for f = {description}, whose gradients are right, it returned "
                        f"{got:.3g}, but backward and the numerical slope agree to within "
                        "1e-6 there (does backward() run more than once on the same Values? "
                        "Their gradients would add up)")
        elif abs(got - want) > 1e-4 * want:
            if got == 0:
                return (f"for f = {description} at {xs}, it returned 0, as if backward and "
                        "the numerical slope agreed exactly for every input, but this f has a "
                        "broken backward step")
            said = (f"for f = {description} at {xs}, it returned {got:.6g}, but the largest "
                    f"difference between backward and the numerical slope is {want:.6g}")
            signed = _reference_max_error(f, xs, signed=True)
            first = _reference_max_error(f, xs, only_first=True)
            slips = [(signed, "a difference with the minus sign counts too: take the absolute "
                              "value of each difference"),
                     (first, "that is the difference for the first input only: check every "
                             "input")]
            matches = [say for value, say in slips
                       if abs(got - value) <= 1e-4 * max(1.0, abs(value))]
            return f"{said}; {matches[0]}" if len(matches) == 1 else said
    return None


max_grad_error = Exercise(
    title="a gradient check that returns the largest difference",
    answer_name="max_grad_error",
    test=_test_max_grad_error,
    nudge_text="you need two gradients for every input, one from backward() and one from a "
               "numerical difference, and then the largest disagreement.",
    hint_text="build Values from xs and call backward() on f(*values). Then for each input i, "
              "make two lists of Values with input i nudged by +h and -h and estimate the slope "
              "(f(up) - f(down)) / 2h. Return the largest abs(backward - numerical).",
    solution_code='''
        def max_grad_error(f, xs, h=1e-6):
            from grad import Value   # inside the function: your own Value stays as it is
            values = [Value(x) for x in xs]
            f(*values).backward()
            worst = 0.0
            for i, v in enumerate(values):
                up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
                down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
                numerical = (f(*up).data - f(*down).data) / (2 * h)
                worst = max(worst, abs(v.grad - numerical))
            return worst
    ''',
    mistakes=[Mistake('''
        from grad import Value

        def max_grad_error(f, xs, h=1e-6):
            values = [Value(x) for x in xs]
            f(*values).backward()
            worst = 0.0
            for i, v in enumerate(values):
                up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
                down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
                numerical = (f(*up).data - f(*down).data) / (2 * h)
                worst = max(worst, v.grad - numerical)      # no abs(): misses one sign
            return worst
    ''', says='take the absolute value of each difference'), Mistake('''
        from grad import Value

        def max_grad_error(f, xs, h=1e-6):
            values = [Value(x) for x in xs]
            f(*values).backward()
            up = [Value(xs[0] + h)] + [Value(x) for x in xs[1:]]
            down = [Value(xs[0] - h)] + [Value(x) for x in xs[1:]]
            numerical = (f(*up).data - f(*down).data) / (2 * h)
            return abs(values[0].grad - numerical)          # only checks the first input
    ''', says='the first input only'), Mistake('''
        from grad import Value

        def max_grad_error(f, xs, h=1e-2):
            values = [Value(x) for x in xs]
            f(*values).backward()
            worst = 0.0
            for i, v in enumerate(values):
                up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
                here = [Value(x) for x in xs]
                numerical = (f(*up).data - f(*here).data) / h   # one-sided, big h
                worst = max(worst, abs(v.grad - numerical))
            return worst
    ''', says='the numerical estimate is not accurate enough')],
)


# ---- 5. find the broken operations --------------------------------------------------------
_BROKEN_TRIALS = [
    ("square", "exp", "sigmoid", "relu"),  # all correct
    ("square*", "exp", "tanh*", "relu"),
    ("cube", "relu*", "sigmoid", "negate"),
    ("sin", "exp*", "sigmoid*", "negate*", "square"),
    ("tanh", "cube*", "relu", "sin*"),
]


def _test_broken_ops(broken_ops):
    for trial in _BROKEN_TRIALS:
        ops = {n.rstrip("*"): (BAD if n.endswith("*") else GOOD)[n.rstrip("*")] for n in trial}
        truth = {n.rstrip("*") for n in trial if n.endswith("*")}
        got = run(broken_ops, dict(ops), what=f"broken_ops({{{', '.join(sorted(ops))}}})")
        if isinstance(got, (set, frozenset)):
            got = sorted(got, key=str)
        got = list(items(got, "broken_ops(ops)", advice="return a list of names, such as "
                         "['exp', 'relu']"))
        if not all(isinstance(name, str) for name in got):
            return (f"it returned {describe(got)}; return the names (strings), not the "
                    "functions")
        got = [str.__str__(name) for name in got]
        twice = sorted({name for name in got if got.count(name) > 1})
        if twice:
            return f"given {sorted(ops)}, it lists {twice} more than once: name each broken one once"
        unknown = sorted(set(got) - set(ops))
        if unknown:
            return (f"given {sorted(ops)}, it names {unknown}, which are not among the "
                    "operations it was given")
        wrong_flags = sorted(set(got) - truth)
        missed = sorted(truth - set(got))
        if wrong_flags == ["relu"]:
            return (f"given {sorted(ops)}, it called the correct relu broken: ReLU has a kink "
                    "at x = 0, where the numerical slope is 0.5 but backward uses 0; test at "
                    "points away from 0")
        if wrong_flags:
            really = f"only {sorted(truth)} are" if truth else "all of them are correct"
            why = ("allow a small tolerance (like 1e-5) for rounding, and avoid x = 0, ReLU's "
                   "kink" if "relu" in wrong_flags else
                   "allow a small tolerance (like 1e-5): the numerical slope is not exact")
            return f"given {sorted(ops)}, it called {wrong_flags} broken, but {really}: {why}"
        if missed == ["relu"]:   # the broken relu is wrong only for x < 0
            return (f"given {sorted(ops)}, it missed the broken relu, whose backward step is "
                    "wrong only for x < 0: test negative points too")
        if missed:
            return (f"given {sorted(ops)}, it missed the broken {missed}, whose backward steps "
                    "disagree with the numerical slope at most points: look at how you compare "
                    "the two, and at the tolerance")
    return None


broken_ops = Exercise(
    title="find the broken operations",
    answer_name="broken_ops",
    test=_test_broken_ops,
    nudge_text="an operation is broken when its backward step disagrees with a numerical "
               "slope; but be careful where an operation has a kink.",
    hint_text="for each name and op, try several x (say -2.0, -0.6, 0.4, 1.7), compute "
              "op(Value(x)), call backward(), and compare x's grad with (op(Value(x+h)).data - "
              "op(Value(x-h)).data) / 2h. Collect the names where some point disagrees by more "
              "than 1e-5.",
    solution_code='''
        def broken_ops(ops, points=(-2.0, -0.6, 0.4, 1.7), h=1e-6, tol=1e-5):
            from grad import Value   # inside the function: your own Value stays as it is
            broken = []
            for name, op in ops.items():
                for x0 in points:
                    x = Value(x0)
                    op(x).backward()
                    numerical = (op(Value(x0 + h)).data - op(Value(x0 - h)).data) / (2 * h)
                    if abs(x.grad - numerical) > tol:
                        broken.append(name)
                        break
            return broken
    ''',
    mistakes=[Mistake('''
        from grad import Value

        def broken_ops(ops, h=1e-6, tol=1e-5):
            broken = []
            for name, op in ops.items():
                x = Value(1.0)                        # a single, positive test point
                op(x).backward()
                numerical = (op(Value(1.0 + h)).data - op(Value(1.0 - h)).data) / (2 * h)
                if abs(x.grad - numerical) > tol:
                    broken.append(name)
            return broken
    ''', says="missed the broken relu, whose backward step is wrong only for x < 0"), Mistake('''
        from grad import Value

        def broken_ops(ops, points=(-2.0, -0.6, 0.4, 1.7), h=1e-6):
            broken = []
            for name, op in ops.items():
                for x0 in points:
                    x = Value(x0)
                    op(x).backward()
                    numerical = (op(Value(x0 + h)).data - op(Value(x0 - h)).data) / (2 * h)
                    if x.grad != numerical:           # no tolerance for rounding
                        broken.append(name)
                        break
            return broken
    ''', says='allow a small tolerance'), Mistake('''
        from grad import Value

        def broken_ops(ops, points=(-1.0, 0.0, 1.0), h=1e-6, tol=1e-5):
            broken = []
            for name, op in ops.items():
                for x0 in points:                     # x = 0 is ReLU's kink
                    x = Value(x0)
                    op(x).backward()
                    numerical = (op(Value(x0 + h)).data - op(Value(x0 - h)).data) / (2 * h)
                    if abs(x.grad - numerical) > tol:
                        broken.append(name)
                        break
            return broken
    ''', says='ReLU has a kink at x = 0')],
    adversaries=['''
        def broken_ops(ops):                  # every name, twice
            return list(ops) + list(ops)
    ''', '''
        def broken_ops(ops):                  # every operation called broken
            return list(ops)
    ''', '''
        def broken_ops(ops):                  # a name that is not among the operations
            return ["softplus"]
    ''', '''
        def broken_ops(ops):                  # one string, not a list of names
            return ", ".join(ops)
    '''],
)
