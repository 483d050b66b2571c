"""Notebook 02 (the Value class): negation and subtraction, building a graph, counting nodes."""
from __future__ import annotations

from typing import Any, Optional

from grad.engine import Value
from grad.exercises import Exercise, close


def _describe(x: Any) -> str:
    """A short description of what an answer returned, for messages."""
    if x is None:
        return "None"
    if hasattr(x, "data") and hasattr(x, "_prev"):
        return f"a Value with data {x.data!r}"
    return f"{type(x).__name__} {x!r}"[:80]


def _operands(v: Any) -> tuple:
    return tuple(getattr(v, "_prev", ()))


def _same_objects(got: tuple, expected: tuple) -> bool:
    return len(got) == len(expected) and all(g is e for g, e in zip(got, expected))


# ---- 1. __neg__ and __sub__ ---------------------------------------------------------------
def _test_neg_sub(cls: Any) -> Optional[str]:
    if not isinstance(cls, type):
        return (f"pass the class itself, as in `ex.neg_sub.check(Value)`; got "
                f"{_describe(cls)}")
    for x, y in [(5.0, 2.0), (-1.5, 4.0), (0.25, -0.75), (3.0, 3.0)]:
        a, b = cls(x), cls(y)
        if not hasattr(a, "data"):
            return f"{cls.__name__}({x}) has no .data attribute"

        n = -a
        if n is None:
            return "-a gave None: does __neg__ return the new Value?"
        if not isinstance(n, cls):
            return f"-a should be a new {cls.__name__}, got {_describe(n)}"
        if n is a:
            return "-a returned a itself: build and return a new Value instead"
        if a.data != x:
            return f"-a changed a.data from {x} to {a.data}: leave the operand alone"
        if not close(n.data, -x):
            return f"-Value({x}) has data {n.data}, expected {-x}"
        if not _same_objects(_operands(n), (a,)):
            return (f"-a should remember a as its only operand: _prev should be (a,), "
                    f"got {_operands(n)!r}")
        if n._op != "neg":
            return f"-a should have _op 'neg' (so drawings tell it from subtraction), got {n._op!r}"

        s = a - b
        if s is None:
            return "a - b gave None: does __sub__ return the new Value?"
        if not isinstance(s, cls):
            return f"a - b should be a new {cls.__name__}, got {_describe(s)}"
        if s is a or s is b:
            return "a - b returned one of its operands: build and return a new Value instead"
        if a.data != x or b.data != y:
            return "a - b changed the data of a or b: leave the operands alone"
        if not close(s.data, x - y):
            if close(s.data, y - x):
                return (f"Value({x}) - Value({y}) has data {s.data}, which is b - a: "
                        "the operands are the wrong way round")
            return f"Value({x}) - Value({y}) has data {s.data}, expected {x - y}"
        if s._op != "-":
            if s._op == "+":
                return ("a - b is a '+' node (you probably computed a + (-b)): the numbers "
                        "are right, but here a - b should be one node with _op '-' "
                        "whose operands are (a, b)")
            return f"a - b should have _op '-', got {s._op!r}"
        if not _same_objects(_operands(s), (a, b)):
            if _same_objects(_operands(s), (b, a)):
                return "a - b remembers its operands as (b, a): the order should be (a, b)"
            return f"a - b should remember _prev == (a, b), got {_operands(s)!r}"

    a = cls(2.0)
    z = a - a
    if not (close(z.data, 0.0) and _same_objects(_operands(z), (a, a))):
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
    hint_text=("copy the pattern of __mul__: `return Value(-self.data, (self,), 'neg')` for "
               "__neg__, and `Value(self.data - other.data, (self, other), '-')` for __sub__."),
    solution_code=_CLASS + '''
    # The two new methods. In the notebook each one is a separate `def` with
    # @add_to_class(Value) above it.
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''',
    mistakes=[
        _CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(other.data - self.data, (self, other), "-")   # reversed
''',
        _CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return self + (-other)   # right number, but a '+' node
''',
        _CLASS + '''
    def __neg__(self):
        return Value(-self.data)   # forgets where it came from

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''',
        _CLASS + '''
    def __neg__(self):
        return Value(-self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(self.data - other.data, (other, self), "-")   # operands swapped
''',
        _CLASS + '''
    def __neg__(self):
        self.data = -self.data   # changes the operand instead of making a new value
        return self

    def __sub__(self, other):
        return Value(self.data - other.data, (self, other), "-")
''',
    ],
)


# ---- 2. build a graph ----------------------------------------------------------------------
def _test_build(build: Any) -> Optional[str]:
    if not callable(build):
        return f"build should be a function, got {_describe(build)}"
    for xv, yv, zv in [(2.0, -3.0, 4.0), (0.5, 1.5, -2.0), (-1.0, 0.0, 3.0)]:
        x, y, z = Value(xv, label="x"), Value(yv, label="y"), Value(zv, label="z")
        out = build(x, y, z)
        if out is None:
            return "build returned None: end it with `return out`"
        if not isinstance(out, Value):
            return f"build should return the Value out, got {_describe(out)}"
        expected = (xv + yv) * (yv * zv)
        if not close(out.data, expected):
            return (f"build(x={xv}, y={yv}, z={zv}) has data {out.data}, expected "
                    f"(x + y) * (y * z) = {expected}")
        if not out._prev:
            return ("out has the right number but no history (_prev is empty): compute it "
                    "with + and * on the Values, not on their .data")
        if out._op != "*":
            return f"out should be computed by '*', got _op {out._op!r}"
        if len(out._prev) != 2:
            return f"out should have two operands (s, p), got {len(out._prev)}"
        s, p = out._prev
        if s._op == "*" and p._op == "+":
            return "out's operands are (p, s): compute out = s * p, in that order"
        if s._op != "+" or not _same_objects(_operands(s), (x, y)):
            return "out's first operand should be s = x + y, with _prev (x, y)"
        if p._op != "*" or not _same_objects(_operands(p), (y, z)):
            return "out's second operand should be p = y * z, with _prev (y, z)"
        for node, name in [(s, "s"), (p, "p"), (out, "out")]:
            if node.label != name:
                return f"the value {name} should have label {name!r}, got {node.label!r}"
        if (x.data, y.data, z.data) != (xv, yv, zv):
            return "build changed the data of its inputs: leave x, y and z alone"
    return None


build = Exercise(
    title="Build a graph",
    answer_name="build",
    test=_test_build,
    hint_text=("one line per value, as in the L example: `s = x + y; s.label = 's'`, then p "
               "and out the same way, and `return out`."),
    solution_code='''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = s * p;  out.label = "out"
            return out
    ''',
    mistakes=['''
        from grad import Value

        def build(x, y, z):   # the right number, but no graph
            return Value((x.data + y.data) * (y.data * z.data), label="out")
    ''', '''
        def build(x, y, z):
            out = x + y * y * z   # * before +: this is x + (y*y*z)
            out.label = "out"
            return out
    ''', '''
        def build(x, y, z):
            s = x + y;    s.label = "s"
            p = y * z;    p.label = "p"
            out = p * s;  out.label = "out"   # operands in the other order
            return out
    ''', '''
        def build(x, y, z):
            s = x + y
            p = y * z
            return s * p   # no labels
    '''],
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
    return graphs


def _test_count_nodes(count_nodes: Any) -> Optional[str]:
    if not callable(count_nodes):
        return f"count_nodes should be a function, got {_describe(count_nodes)}"
    for description, root, expected in _graphs():
        got = count_nodes(root)
        if isinstance(got, bool) or not isinstance(got, int):
            return f"count_nodes should return a whole number (int), got {_describe(got)}"
        if got != expected:
            more = ""
            if got < expected:
                more = ": count every value, the inputs, the computed ones and root itself"
            if got > expected:
                more = (": a value reached along several paths counts once (keep a set of "
                        "the values already seen)")
            plural = "s" if expected != 1 else ""
            return f"for {description} you counted {got}, but it has {expected} value{plural}{more}"
    return None


count_nodes = Exercise(
    title="Count the values in a graph",
    answer_name="count_nodes",
    test=_test_count_nodes,
    hint_text=("walk from root through _prev, and collect the values you meet in a set "
               "(`seen.add(v)`), skipping those already in it; return len(seen)."),
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
    mistakes=['''
        def count_nodes(root):   # counts a shared value once per path
            return 1 + sum(count_nodes(child) for child in root._prev)
    ''', '''
        def count_nodes(root):   # counts only the inputs (the blue boxes)
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return sum(1 for v in seen if not v._prev)
    ''', '''
        def count_nodes(root):   # counts the operations (ovals) instead of the values
            seen, to_visit = set(), [root]
            while to_visit:
                v = to_visit.pop()
                if v not in seen:
                    seen.add(v)
                    to_visit.extend(v._prev)
            return sum(1 for v in seen if v._prev)
    '''],
)
