"""Notebook 04: backward steps, topological order, backward(), and reused nodes.

The checkers build their graphs from `Value` below: the compact Value class of notebook 04
(data, grad, _prev, _op, label, and a `_backward` closure per operation for +, * and
tanh). The expected gradients come from central differences on plain-float versions of
the same expressions, so they do not depend on any backward code.
"""
from __future__ import annotations

import math
from typing import Callable

from grad.exercises import (Exercise, LearnerFailed, Mistake, attr, close, describe,
                            function, is_value, number, run, to_float)


def _how(got: float, want: float) -> str:
    """How a wrong number differs from the right one, without saying the right one."""
    if got * want < 0:
        return "has the wrong sign"
    return "is too large" if abs(got) > abs(want) else "is too small"


class Value:
    """The compact Value of notebook 04: + , * and tanh, each with its `_backward` closure."""

    def __init__(self, data: float, _children: tuple = (), _op: str = "", label: str = ""):
        self.data = data
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f}, label={self.label!r})"

    def __add__(self, other: Value) -> Value:
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other: Value) -> Value:
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def backward(self) -> None:
        """Exercise 3 asks for what backward() does, so the checker's graphs refuse it."""
        raise _BackwardCalled("the exercise is to write backward() itself")


class _BackwardCalled(Exception):
    """Raised when an answer to exercise 3 calls root.backward() instead of doing its work."""


def _tanh(x):
    return x.tanh() if isinstance(x, Value) else math.tanh(x)


def _shared(s, use):
    """use(s) with s computed once: a node (not only a leaf) used several times."""
    return use(s)


# Test graphs: (name, leaf names, leaf values, expression). Each expression works on
# plain floats (for the numerical reference) and on Values (for the answer).
GRAPHS = [
    ("the tanh neuron o = tanh(x1*w1 + x2*w2 + b)", ("x1", "x2", "w1", "w2", "b"),
     (2.0, 0.0, -3.0, 1.0, 6.8813735870195432),
     lambda x1, x2, w1, w2, b: _tanh(x1 * w1 + x2 * w2 + b)),
    ("L = (a*b + c) * f", ("a", "b", "c", "f"), (2.0, -3.0, 10.0, -2.0),
     lambda a, b, c, f: (a * b + c) * f),
    ("f = (a*b) * (a+b), where a and b are used twice", ("a", "b"), (-2.0, 3.0),
     lambda a, b: (a * b) * (a + b)),
    ("y = (a*a + a) * a, where a is used four times", ("a",), (1.5,),
     lambda a: (a * a + a) * a),
    ("z = tanh(s*s + s) with s = a + b computed once", ("a", "b"), (0.3, -0.8),
     lambda a, b: _shared(a + b, lambda s: _tanh(s * s + s))),
    ("out = t * s with s = a*b and t = s + c", ("a", "b", "c"), (1.5, -0.5, 2.0),
     lambda a, b, c: _shared(a * b, lambda s: (s + c) * s)),
]


def _build(names, values, expr):
    leaves = [Value(v, label=n) for n, v in zip(names, values)]
    return leaves, expr(*leaves)


def _numerical_grads(values, expr, h=1e-6):
    grads = []
    for i in range(len(values)):
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        grads.append((expr(*up) - expr(*down)) / (2 * h))
    return grads


def _all_nodes(root) -> list:
    """Every node of the graph, found without any ordering (a plain flood fill)."""
    seen, todo = {id(root): root}, [root]
    while todo:
        for child in todo.pop()._prev:
            if id(child) not in seen:
                seen[id(child)] = child
                todo.append(child)
    return list(seen.values())


# ---- 1. the backward step of multiplication ------------------------------------------------
def _backward_of(out):
    step = attr(out, "_backward", "out")
    if not callable(step):
        return None
    return step


def _test_multiply(multiply):
    function(multiply, "multiply")
    for x, y, g in [(2.0, -3.0, 1.0), (-1.5, 4.0, 0.5), (0.5, 0.25, -2.0)]:
        a, b = Value(x, label="a"), Value(y, label="b")
        a.grad, b.grad = 0.75, -0.25  # as if another path had already passed gradient in
        out = run(multiply, a, b, what=f"multiply(a, b) with a = {x}, b = {y}")
        if out is None:
            return "multiply(a, b) returned None: return the new node `out`"
        if not is_value(out):
            return f"multiply(a, b) is {describe(out)}: return the new Value node out"
        if not close(attr(out, "data", "out"), x * y):
            return f"multiply(a, b) with a = {x}, b = {y}: out.data should be {x * y}"
        prev = attr(out, "_prev", "out")
        if not (isinstance(prev, (tuple, list)) and len(prev) == 2
                and prev[0] is a and prev[1] is b):
            return ("out._prev should be (a, b), the two operands in order, so that "
                    "backward() can find them")
        step = _backward_of(out)
        if step is None:
            return "out has no _backward to call: set out._backward = _backward"
        out.grad = g
        run(step, what="out._backward()")
        want_a, want_b = 0.75 + y * g, -0.25 + x * g
        if close(a.grad, want_a) and close(b.grad, want_b):
            continue
        if to_float(a.grad) is None or to_float(b.grad) is None:
            return (f"after out._backward(), a.grad is {describe(a.grad)} and b.grad is "
                    f"{describe(b.grad)}: both should be numbers")
        if close(a.grad, 0.75) and close(b.grad, -0.25):
            return ("out._backward() did not change a.grad or b.grad: is your _backward "
                    "attached to out, and does it add to the operands' grads?")
        where = f"(a = {x}, b = {y}, out.grad = {g}; a.grad was 0.75 and b.grad -0.25 before)"
        if close(a.grad, y * g) or close(b.grad, x * g):
            name, now, before = (("a", a.grad, 0.75) if close(a.grad, y * g) and not close(a.grad, want_a)
                                 else ("b", b.grad, -0.25))
            return (f"{name}.grad became {now:g} {where}: only this node's contribution is "
                    f"left, and the {before:g} that {name}.grad held before is gone. Add to "
                    "the gradient with +=, do not overwrite it with =")
        if close(a.grad, 0.75 + x * g):
            return (f"a.grad became {a.grad:g} {where}: the derivative of a*b with respect to a "
                    "is b.data, not a.data (the operands are swapped)")
        if close(a.grad, 0.75 + y * x * y):
            return (f"a.grad became {a.grad:g} {where}: multiply by out.grad (the gradient "
                    "arriving from above), not by out.data")
        if close(a.grad, 0.75 + y):
            return (f"a.grad became {a.grad:g} {where}: the chain rule multiplies the local "
                    "derivative b.data by out.grad")
        wrong = [f"{n}.grad {_how(got - before, want - before)}"
                 for n, got, want, before in (("a", a.grad, want_a, 0.75), ("b", b.grad, want_b, -0.25))
                 if not close(got, want)]
        return (f"after out._backward(), a.grad = {a.grad:g} and b.grad = {b.grad:g} {where}: "
                f"what was added to {' and '.join(wrong)}")
    a = Value(3.0, label="a")
    out = run(multiply, a, a, what="multiply(a, a)")
    step = _backward_of(out) if is_value(out) else None
    if step is None:
        return "multiply(a, a) should return a new node with a _backward to call"
    out.grad = 1.0
    run(step, what="out._backward()")
    if not close(a.grad, 6.0):
        return (f"for out = a*a with a = 3, a.grad became {describe(a.grad)}, but d(a²)/da = "
                "2a = 6: both operands are the same node, so both lines must add (+=) to it")
    return None


multiply = Exercise(
    title="The backward step of *",
    answer_name="multiply",
    test=_test_multiply,
    nudge_text=("ask two questions for each operand: how fast does the product change when "
                "that operand moves (its local derivative), and what does the chain rule do "
                "with the gradient arriving at out?"),
    hint_text=("the local derivative of a*b with respect to a is the *other* operand's data, "
               "and the other way round; multiply it by the gradient arriving at out and add "
               "it to the operand's grad (add, do not assign: other paths add to it too)."),
    solution_code='''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')   # type(a) is our Value class
            def _backward():
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            out._backward = _backward
            return out
    ''',
    mistakes=[Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad = b.data * out.grad     # overwrites what other paths brought
                b.grad = a.data * out.grad
            out._backward = _backward
            return out
    ''', says="do not overwrite it with ="), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += a.data * out.grad    # swapped operands
                b.grad += b.data * out.grad
            out._backward = _backward
            return out
    ''', says="the operands are swapped"), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += b.data * out.data    # out.data instead of out.grad
                b.grad += a.data * out.data
            out._backward = _backward
            return out
    ''', says="not by out.data"), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += b.data               # forgets the gradient arriving from above
                b.grad += a.data
            out._backward = _backward
            return out
    ''', says="multiplies the local derivative b.data by out.grad"), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            return out                         # the closure is never attached to out
    ''', says="did not change a.grad or b.grad"), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data)     # no operands: backward() cannot find a and b
            def _backward():
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            out._backward = _backward
            return out
    ''', says="out._prev should be (a, b)"), Mistake('''
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), '*')
            def _backward():
                a.grad += b.data * out.grad
                b.grad += a.data * out.grad
            out._backward = _backward          # forgets to return out
    ''', says="returned None"), Mistake('''
        def multiply(a, b):
            return a.data * b.data             # a number, not a node
    ''', says="return the new Value node")],
)


# ---- 2. topological order ---------------------------------------------------------------
def _upside_down(topo_sort) -> bool:
    """Whether topo_sort gives, for every test graph, a correct order read backwards."""
    for _, names, values, expr in GRAPHS:
        _, root = _build(names, values, expr)
        order = run(topo_sort, root, what="topo_sort(root)")
        if not isinstance(order, list) or {id(v) for v in order} != {id(v) for v in _all_nodes(root)}:
            return False
        position = {id(v): i for i, v in enumerate(order)}
        if any(position[id(c)] < position[id(v)] for v in order for c in v._prev):
            return False
    return True


def _test_topo_sort(topo_sort):
    function(topo_sort, "topo_sort")
    for name, names, values, expr in GRAPHS:
        _, root = _build(names, values, expr)
        order = run(topo_sort, root, what="topo_sort(root)")
        if order is None:
            return "topo_sort returned None: return the list of nodes"
        if not isinstance(order, (list, tuple)):
            return f"topo_sort(root) is {describe(order)}; return a list of the nodes"
        order = list(list.__iter__(order) if isinstance(order, list) else tuple.__iter__(order))
        nodes = _all_nodes(root)
        ids = [id(v) for v in order]
        if not {id(v) for v in order} <= {id(v) for v in nodes}:
            return "the list should contain the graph's nodes (Value objects), and only those"
        if len(set(ids)) != len(ids):
            twice = next(v for v in order if ids.count(id(v)) > 1)
            return (f"for {name}, node {twice.label or twice._op!r} appears more than once: "
                    "remember which nodes you have visited")
        if set(ids) != {id(v) for v in nodes}:
            return (f"for {name}, the list has {len(order)} nodes but the graph has "
                    f"{len(nodes)}: visit the operands of every node, recursively")
        position = {id(v): i for i, v in enumerate(order)}
        for v in order:
            for child in v._prev:
                if position[id(child)] > position[id(v)]:
                    what = repr(child.label) if child.label else f"the {child._op!r} node"
                    if _upside_down(topo_sort):
                        return ("the list is upside down: for every graph tried, root comes "
                                "first and each node before its operands, the order "
                                "backward() walks. topo_sort gives the forward order, each "
                                "node after its operands")
                    return (f"for {name}, the {v._op!r} node comes before its operand "
                            f"{what}: append a node only after all its operands (post-order)")
    return None


topo_sort = Exercise(
    title="Topological order",
    answer_name="topo_sort",
    test=_test_topo_sort,
    nudge_text=("a node may appear only once all of its operands are in the list: visit the "
                "operands first, and remember which nodes you have already visited."),
    hint_text=("write a recursive build(v): if v was not visited, mark it, call build on each "
               "of v._prev, and only then append v to the list. Start the recursion at the root."),
    solution_code='''
        def topo_sort(root):
            order, visited = [], set()
            def build(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._prev:
                        build(child)
                    order.append(v)      # after all of v's operands
            build(root)
            return order
    ''',
    mistakes=[Mistake('''
        def topo_sort(root):
            order, visited = [], set()
            def build(v):
                if v not in visited:
                    visited.add(v)
                    order.append(v)      # pre-order: before its operands
                    for child in v._prev:
                        build(child)
            build(root)
            return order
    ''', says="comes before its operand"), Mistake('''
        def topo_sort(root):
            order = []
            def build(v):                # no visited set: shared nodes come twice
                for child in v._prev:
                    build(child)
                order.append(v)
            build(root)
            return order
    ''', says="appears more than once"), Mistake('''
        def topo_sort(root):
            return list(root._prev) + [root]   # only one level deep
    ''', says="visit the operands of every node"), Mistake('''
        def topo_sort(root):
            order, visited = [], set()
            def build(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._prev:
                        build(child)
                    order.append(v)
            build(root)
            return order[::-1]           # the backward order, not the topological one
    ''', says="the list is upside down"), Mistake('''
        def topo_sort(root):
            order, visited = [], set()
            def build(v):
                if v not in visited:
                    visited.add(v)
                    for child in v._prev:
                        build(child)
                    order.append(v.label)   # labels instead of the nodes
            build(root)
            return order
    ''', says="Value objects")],
)


# ---- 3. backward() --------------------------------------------------------------------
def _test_run_backward(run_backward):
    function(run_backward, "run_backward")
    for name, names, values, expr in GRAPHS:
        leaves, root = _build(names, values, expr)
        try:
            run(run_backward, root, what="run_backward(root)", changes=(0,))
        except LearnerFailed as e:
            if isinstance(e.error, _BackwardCalled):
                return ("run_backward calls backward(): the exercise is to write what "
                        "backward() does, from the topological order, the seed and each "
                        "node's _backward()")
            raise
        want = _numerical_grads(values, expr)
        got = [number(v.grad, f"for {name}, {v.label}.grad") for v in leaves]
        root_grad = number(root.grad, f"for {name}, root.grad")
        if root_grad == 0:
            return (f"for {name}, root.grad is still 0 after run_backward(root): the "
                    "gradient of the root with respect to itself is its seed")
        if not close(root_grad, 1.0, rel=1e-9):
            return f"for {name}, root.grad is {root_grad:g} after run_backward; it should be 1.0"
        others = [v for v in _all_nodes(root) if v is not root]
        reached = [v for v in others if to_float(v.grad) != 0]
        if others and not reached:
            return (f"for {name}, root.grad is 1.0 but no other node received any gradient: "
                    "does every node's _backward() run, after the seed is set?")
        if (any(abs(w) > 1e-6 for w in want) and all(g == 0 for g in got)
                and all(any(v is c for c in root._prev) for v in reached)):
            return (f"for {name}, only the root's own operands received a gradient: each "
                    "node's _backward() must run after that node has received its gradient, "
                    "so the output goes first (reversed topological order)")
        for leaf, g, w in zip(leaves, got, want):
            if not close(g, w, rel=1e-4, abs_=1e-6):
                return (f"for {name}, {leaf.label}.grad is {g:.4f}, which {_how(g, w)} "
                        "(each node's _backward() must run exactly once, after every node "
                        "that uses it)")
    return None


run_backward = Exercise(
    title="backward()",
    answer_name="run_backward",
    test=_test_run_backward,
    nudge_text=("three ingredients: an order of the nodes, a starting gradient at the root, "
                "and each node's own backward step; in which order must the steps run?"),
    hint_text=("order the nodes so that each comes after its operands; seed the root with "
               "d root / d root; then run each node's _backward, visiting the nodes so that "
               "a node passes its gradient on only after it has received all of it."),
    solution_code='''
        import grad

        def run_backward(root):
            root.grad = 1.0
            for node in reversed(grad.topological_order(root)):  # or topological_order from section 3
                node._backward()
    ''',
    mistakes=[Mistake('''
        import grad

        def run_backward(root):
            for node in reversed(grad.topological_order(root)):   # no seed
                node._backward()
    ''', says="root.grad is still 0"), Mistake('''
        import grad

        def run_backward(root):
            root.grad = 1.0
            for node in grad.topological_order(root):   # inputs first: not reversed
                node._backward()
    ''', says="only the root's own operands"), Mistake('''
        def run_backward(root):
            root.grad = 1.0
            root._backward()                       # only the last step
    ''', says="only the root's own operands"), Mistake('''
        import grad

        def run_backward(root):
            for node in reversed(grad.topological_order(root)):
                node._backward()
            root.grad = 1.0                        # the seed comes too late
    ''', says="no other node received any gradient"), Mistake('''
        def run_backward(root):
            root.backward()                        # the method this exercise writes
    ''', says="run_backward calls backward()"), Mistake('''
        def run_backward(root):                    # visits shared nodes once per path
            root.grad = 1.0
            def visit(v):
                v._backward()
                for child in v._prev:
                    visit(child)
            visit(root)
    ''', says="must run exactly once")],
    adversaries=['''
        class Liar(float):            # a wrong number that says it equals everything
            def __eq__(self, other): return True
            def __ne__(self, other): return False

        def run_backward(root):
            seen, todo = set(), [root]
            while todo:
                v = todo.pop()
                if id(v) not in seen:
                    seen.add(id(v))
                    v.grad = Liar(123.0)
                    todo.extend(v._prev)
    '''],
)


# ---- 4. predict a gradient --------------------------------------------------------------
def _test_a_grad(answer):
    answer = number(answer, "a_grad")
    if close(answer, 13.0):
        return None
    known = {
        3.0: "that is what the buggy backward (= instead of +=) gives: only the last path "
             "counts. Add up every path from d back to a",
        12.0: "you found the paths through b and c; one more path leads from d back to a",
        7.0: "that counts two of the three paths (direct, through c, through b); add the third",
        1.0: "that is only the direct path d = c + a; a also reaches d through c and b",
        10.0: "through b = a + a, a is reached twice (it is both operands), so that path "
              "counts twice",
        21.0: "that is d's value; the question asks for a.grad, how fast d changes as a moves",
    }
    for value, why in known.items():
        if close(answer, value):
            return f"{answer:g} is not it: {why}"
    return f"{answer:g} is not it: list every path from d back to a and add up what each contributes"


a_grad = Exercise(
    title="Predict a.grad",
    answer_name="a_grad",
    test=_test_a_grad,
    nudge_text=("a is used in several places: every path from d back to a contributes, and "
                "the contributions add up."),
    hint_text=("list every path from d back to a and add them up: the direct one (d = c + a), "
               "the one through c = b * a where a is the second factor, and the one through "
               "b = a + a (which reaches a twice)."),
    solution_code='''
        # d = c + a, c = b * a, b = a + a, with a = 3 (so b = 6, c = 18)
        # direct:               d.grad × 1                    = 1
        # through c (a as factor): d.grad × 1 × b.data        = 6
        # through b (twice):    d.grad × 1 × a.data × (1 + 1) = 6
        a_grad = 1 + 6 + 6
    ''',
    mistakes=[Mistake("a_grad = 3.0", says="buggy backward"),
              Mistake("a_grad = 12.0", says="one more path"),
              Mistake("a_grad = 7", says="two of the three paths"),
              Mistake("a_grad = 1.0", says="only the direct path"),
              Mistake("a_grad = 1 + 6 + 3", says="counts twice"),
              Mistake("a_grad = 21.0", says="d's value")],
)
