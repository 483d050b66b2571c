"""Notebook 02 (the Value class): negation and subtraction, building a graph, counting nodes."""
from __future__ import annotations

import operator
from typing import Any, Optional

from grad.engine import Value
from grad.exercises import (Exercise, Mistake, NotYet, a_class, attr, close, describe, function,
                            is_value, run, shown, to_float, whole)

_describe = describe


def _operands(v: Any, what: str) -> tuple:
    prev = attr(v, "_prev", what)
    return tuple(prev) if isinstance(prev, (tuple, list)) else ()


def _data(v: Any, what: str) -> Any:
    """v.data, for messages and comparisons (None when it is not a number)."""
    return to_float(attr(v, "data", what))


def _same_objects(got: tuple, expected: tuple) -> bool:
    return len(got) == len(expected) and all(g is e for g, e in zip(got, expected))


# ---- 1. __neg__ and __sub__ ---------------------------------------------------------------
def _test_neg_sub(cls: Any) -> Optional[str]:
    a_class(cls, "Value")
    for x, y in [(5.0, 2.0), (-1.5, 4.0), (0.25, -0.75), (3.0, 3.0)]:
        a = run(cls, x, what=f"{cls.__name__}({x})")
        b = run(cls, y, what=f"{cls.__name__}({y})")
        if _data(a, f"{cls.__name__}({x})") != x:
            return f"{cls.__name__}({x}) should hold {x} in .data"

        n = run(operator.neg, a, what="-a")
        if n is None:
            return "-a gave None: does __neg__ return the new Value?"
        if not isinstance(n, cls):
            return f"-a should be a new {cls.__name__}, got {_describe(n)}"
        if n is a:
            return "-a returned a itself: build and return a new Value instead"
        if not close(_data(n, "-a"), -x):
            return f"-Value({x}) has data {shown(attr(n, 'data', '-a'))}, expected {-x}"
        if not _same_objects(_operands(n, "-a"), (a,)):
            return (f"-a should remember a as its only operand: _prev should be (a,), "
                    f"got {shown(attr(n, '_prev', '-a'))}")
        op = attr(n, "_op", "-a")
        if op != "neg":
            return f"-a should have _op 'neg' (so drawings tell it from subtraction), got {shown(op)}"

        s = run(operator.sub, a, b, what="a - b")
        if s is None:
            return "a - b gave None: does __sub__ return the new Value?"
        if not isinstance(s, cls):
            return f"a - b should be a new {cls.__name__}, got {_describe(s)}"
        if s is a or s is b:
            return "a - b returned one of its operands: build and return a new Value instead"
        got = _data(s, "a - b")
        if not close(got, x - y):
            if close(got, y - x):
                return (f"Value({x}) - Value({y}) has data {got}, which is b - a: "
                        "the operands are the wrong way round")
            return f"Value({x}) - Value({y}) has data {shown(attr(s, 'data', 'a - b'))}, expected {x - y}"
        op = attr(s, "_op", "a - b")
        if op != "-":
            if op == "+":
                return ("a - b is a '+' node (you probably computed a + (-b)): the numbers "
                        "are right, but here a - b should be one node with _op '-' "
                        "whose operands are (a, b)")
            return f"a - b should have _op '-', got {shown(op)}"
        if not _same_objects(_operands(s, "a - b"), (a, b)):
            if _same_objects(_operands(s, "a - b"), (b, a)):
                return "a - b remembers its operands as (b, a): the order should be (a, b)"
            return f"a - b should remember _prev == (a, b), got {shown(attr(s, '_prev', 'a - b'))}"

    a = run(cls, 2.0, what=f"{cls.__name__}(2.0)")
    z = run(operator.sub, a, a, what="a - a")
    if not (close(_data(z, "a - a"), 0.0) and _same_objects(_operands(z, "a - a"), (a, a))):
        return "a - a should have data 0 and _prev (a, a)"
    return None


_CLASS = '''
class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        return Value(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return Value(self.data * other.data, (self, other), "*")
'''

neg_sub = Exercise(
    title="Negation and subtraction",
    answer_name="Value",
    test=_test_neg_sub,
    nudge_text=("look at how __mul__ builds its result: a new Value made from the operands' "
                "numbers, together with a record of where it came from."),
    hint_text=("follow the pattern of __mul__: each method returns a new Value whose data is "
               "computed from self.data (and other.data), whose children are the operands in "
               "order, and whose _op names the operation ('neg' or '-')."),
    solution_code=("# The class as the cells above built it (already in your notebook: no need to\n"
                   "# type it again), so that this answer also runs on its own:"
                   + _CLASS + '''
    # What you write: the two new methods. In the notebook's exercise cell each one is a
    # `def` of its own, with @add_to_class(Value) above it.
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
'''),
    mistakes=[
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(other.data - self.data, (self, other), "-")   # reversed
''', says='the operands are the wrong way round'),
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return self + (-other)   # right number, but a '+' node
''', says="is a '+' node"),
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data)   # forgets where it came from

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''', says='_prev should be (a,)'),
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(self.data - other.data, (other, self), "-")   # operands swapped
''', says='remembers its operands as (b, a)'),
        Mistake(_CLASS + '''
    def __neg__(self):
        self.data = -self.data   # changes the operand instead of making a new value
        return self

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''', says='changed its input a'),
        Mistake(_CLASS + '''
    def __neg__(self):
        return -self.data          # a number, not a Value

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''', says="-a should be a new Value, got -5.0"),
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "-")   # the same _op as subtraction

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''', says="_op 'neg'"),
        Mistake(_CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        Value(self.data - other.data, (self, other), "-")   # forgets to return it
''', says="a - b gave None"),
    ],
)


# ---- 2. build a graph ----------------------------------------------------------------------
def _test_build(build: Any) -> Optional[str]:
    function(build, "build")
    for xv, yv, zv in [(2.0, -3.0, 4.0), (0.5, 1.5, -2.0), (-1.0, 0.0, 3.0)]:
        x, y, z = Value(xv, label="x"), Value(yv, label="y"), Value(zv, label="z")
        out = run(build, x, y, z, what=f"build(x={xv}, y={yv}, z={zv})")
        if out is None:
            return "build returned None: end it with `return out`"
        if not is_value(out):
            try:
                data = attr(out, "data", "out")
            except NotYet:
                data = None
            if data is not None:
                return (f"build returned a {type(out).__name__} whose .data is "
                        f"{_describe(data)}, not a number: return out itself, as + and * "
                        "made it")
            return f"build should return the Value out, not {_describe(out)}"
        expected = (xv + yv) * (yv * zv)
        got = _data(out, "out")
        if not close(got, expected):
            return (f"build(x={xv}, y={yv}, z={zv}) has data {_describe(attr(out, 'data', 'out'))}, "
                    f"expected (x + y) * (y * z) = {expected}")
        operands = _operands(out, "out")
        if not operands:
            return ("out has the right number but no history (_prev is empty): compute it "
                    "with + and * on the Values, not on their .data")
        if attr(out, "_op", "out") != "*":
            return f"out should be computed by '*', got _op {shown(attr(out, '_op', 'out'))}"
        if len(operands) != 2:
            return f"out should have two operands (s, p), got {len(operands)}"
        s, p = operands
        s_op, p_op = attr(s, "_op", "s"), attr(p, "_op", "p")
        if s_op == "*" and p_op == "+":
            return "out's operands are (p, s): compute out = s * p, in that order"
        if s_op != "+" or not _same_objects(_operands(s, "s"), (x, y)):
            return "out's first operand should be s = x + y, with _prev (x, y)"
        if p_op != "*" or not _same_objects(_operands(p, "p"), (y, z)):
            return "out's second operand should be p = y * z, with _prev (y, z)"
        for node, name in [(s, "s"), (p, "p"), (out, "out")]:
            label = attr(node, "label", name)
            if label != name:
                return f"the value {name} should have label {name!r}, got {shown(label)}"
    return None


build = Exercise(
    title="Build a graph",
    answer_name="build",
    test=_test_build,
    nudge_text=("write one line per new value, in the order the formulas give them, and "
                "remember that each one needs its label."),
    hint_text=("compute s, then p, then out with + and * on the Values themselves (not on "
               "their .data), give each new value its .label right after making it, and "
               "return out at the end."),
    solution_code='''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = s * p;  out.label = "out"
            return out
    ''',
    mistakes=[Mistake('''
        from grad import Value

        def build(x, y, z):   # the right number, but no graph
            return Value((x.data + y.data) * (y.data * z.data), label="out")
    ''', says="no history"), Mistake('''
        def build(x, y, z):
            out = x + y * y * z   # * before +: this is x + (y*y*z)
            out.label = "out"
            return out
    ''', says="expected (x + y) * (y * z)"), Mistake('''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = p * s;  out.label = "out"   # operands in the other order
            return out
    ''', says="out's operands are (p, s)"), Mistake('''
        def build(x, y, z):
            s = x + y
            p = y * z
            return s * p   # no labels
    ''', says="should have label 's'"), Mistake('''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = s * p;  out.label = "out"
            return out.data   # the number, not the Value
    ''', says="not 12.0"), Mistake('''
        class Value:   # like the notebook's class, which accepts anything as data
            def __init__(self, data, _children=(), _op="", label=""):
                self.data, self._prev, self._op, self.label = data, tuple(_children), _op, label

        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = Value(s * p, label="out")   # wraps the Value in another Value
            return out
    ''', says="whose .data is a Value"), Mistake('''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = s * p;  out.label = "out"   # forgets to return out
    ''', says="build returned None")],
)


# ---- 3. count the nodes ----------------------------------------------------------------------
def _graphs() -> list[tuple[str, Value, int]]:
    """(description, root, number of distinct Values) for a few graphs."""
    graphs = []
    leaf = Value(1.0)
    graphs.append(("a single input", leaf, 1))
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    graphs.append(("L = (a*b + c) * f", (a * b + c) * f, 7))
    x, y = Value(3.0), Value(1.0)
    graphs.append(("g = (x + y) * x, where x is used twice", (x + y) * x, 4))
    x = Value(3.0)
    graphs.append(("x * x", x * x, 2))
    v = Value(1.0)
    for _ in range(14):
        v = v + v
    graphs.append(("v = v + v repeated 14 times", v, 15))
    p, q = Value(1.0), Value(2.0)
    s = p + q
    graphs.append(("(p + q) * (p + q) with s = p + q computed once: s * s", s * s, 4))
    u, w = Value(1.0), Value(1.0)
    graphs.append(("u + w, where u and w both hold 1.0", u + w, 3))
    x, y = Value(2.0), Value(2.0)
    graphs.append(("g = (x + y) * x, where x and y both hold 2.0 and x is used twice",
                   (x + y) * x, 4))
    return graphs


def _distinct_numbers(root: Value) -> int:
    """How many different .data numbers root's graph holds (not how many Values)."""
    seen, numbers, to_visit = set(), set(), [root]
    while to_visit:
        v = to_visit.pop()
        if id(v) not in seen:
            seen.add(id(v))
            numbers.add(v.data)
            to_visit.extend(v._prev)
    return len(numbers)


def _test_count_nodes(count_nodes: Any) -> Optional[str]:
    function(count_nodes, "count_nodes")
    for description, root, expected in _graphs():
        got = whole(run(count_nodes, root, what="count_nodes(root)"),
                    f"count_nodes(root) for {description}")
        if got != expected:
            plural = "s" if expected != 1 else ""
            if got == _distinct_numbers(root):
                return (f"for {description} you counted {got}, the number of different "
                        f"numbers in the graph, but it has {expected} value{plural}: two "
                        "different Values that hold the same number are two values, two "
                        "boxes in the drawing")
            more = ""
            if got < expected:
                more = ": count every value, the inputs, the computed ones and root itself"
            if got > expected:
                more = (": a value reached along several paths counts once (keep a set of "
                        "the Value objects already seen, the boxes themselves)")
            return f"for {description} you counted {got}, but it has {expected} value{plural}{more}"
    return None


count_nodes = Exercise(
    title="Count the values in a graph",
    answer_name="count_nodes",
    test=_test_count_nodes,
    nudge_text=("a value reached along two different paths is still one value: how can you "
                "remember which values you have already met?"),
    hint_text=("start at root and follow _prev to the operands, again and again (a list of "
               "values still to visit helps); put every Value you meet (v itself, not v.data: two "
               "Values can hold the same number) into a set, so that a value met twice is "
               "kept once. The answer is the size of that set."),
    solution_code='''
        def count_nodes(root):
            seen = set()
            to_visit = [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return len(seen)
    ''',
    mistakes=[Mistake('''
        def count_nodes(root):   # counts a shared value once per path
            return 1 + sum(count_nodes(child) for child in root._prev)
    ''', says="counts once"), Mistake('''
        def count_nodes(root):   # counts only the inputs (the blue boxes)
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return sum(1 for v in seen if not v._prev)
    ''', says="count every value"), Mistake('''
        def count_nodes(root):   # counts the operations (ovals) instead of the values
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return sum(1 for v in seen if v._prev)
    ''', says="count every value"), Mistake('''
        def count_nodes(root):   # forgets root itself
            seen, to_visit = set(), list(root._prev)
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return len(seen)
    ''', says="for a single input you counted 0"), Mistake('''
        def count_nodes(root):   # only one level deep
            return 1 + len(root._prev)
    ''', says="count every value"), Mistake('''
        def count_nodes(root):   # returns the set, not its size
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return seen
    ''', says="not a number"), Mistake('''
        def count_nodes(root):   # counts the different numbers, not the Values
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v.data not in seen:
                    seen.add(v.data)
                    to_visit.extend(v._prev)
            return len(seen)
    ''', says="the number of different numbers in the graph")],
)
