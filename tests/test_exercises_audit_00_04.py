"""Exercises of notebooks 00-04 tried as a newcomer would: correct answers written another
way are accepted; silly answers (a string, None, a huge number, the wrong signature) get a
short, true verdict that is not the checker's failure and does not give the answer away."""
from __future__ import annotations

import pytest

from grad.exercises import autograd, backprop_by_hand, define, derivatives, start_here, value

ACCEPTED = [
    (start_here.square, "def square(x):\n    return x ** 2"),
    (start_here.square, "import math\ndef square(x):\n    return math.pow(x, 2)"),
    (start_here.square, "import numpy as np\ndef square(x):\n    return np.square(x)"),
    (derivatives.one_input, "def one_input(f, point, name):\n    def g(v):\n"
                            "        moved = dict(point)\n        moved[name] = v\n"
                            "        return f(**moved)\n    return g"),
    (derivatives.one_input, "def one_input(f, point, name):\n"
                            "    return lambda v: f(**{k: (v if k == name else x) for k, x in point.items()})"),
    (derivatives.backward_slope, "def backward_slope(f, x, h):\n    return (f(x - h) - f(x)) / (-h)"),
    (derivatives.backward_slope, "def backward_slope(f, x, h):\n    left = x - h\n"
                                 "    return (f(x) - f(left)) / (x - left)"),
    (derivatives.tangent, "def tangent(f, x):\n    h = 1e-7\n    s = (f(x + h) - f(x)) / h\n"
                          "    return lambda t: f(x) + s * (t - x)"),
    (derivatives.tangent, "from grad.check import secant_slope\ndef tangent(f, x):\n"
                          "    s = secant_slope(f, x, 1e-5, 'central')\n"
                          "    def line(t):\n        return s * (t - x) + f(x)\n    return line"),
    (derivatives.partials, 'partials = {"a": 6, "b": -4, "c": -2, "m": 4}'),
    (derivatives.partials, 'import numpy as np\npartials = {"a": np.float64(6.0000001), '
                           '"b": -4.0, "c": -2.0, "m": 4.0, "d": 4.0}'),
    (derivatives.good_steps, 'good_steps = {"forward": 1.5e-8, "central": 6e-6}'),
    (derivatives.good_steps, 'good_steps = {"forward": 2 ** -27, "central": 2 ** -17}'),
    (value.neg_sub, value._CLASS + '''
    def __neg__(self):
        return Value(-1 * self.data, (self,), "neg")

    def __sub__(self, other):
        return Value(self.data + -other.data, [self, other], "-")
'''),
    (value.build, '''
def build(x, y, z):
    s = x + y
    s.label = "s"
    p = y * z
    p.label = "p"
    out = s * p
    out.label = "out"
    return out
'''),
    (value.count_nodes, '''
def count_nodes(root):
    seen = []
    def visit(v):
        if all(v is not w for w in seen):
            seen.append(v)
            for c in v._prev:
                visit(c)
    visit(root)
    return len(seen)
'''),
    (value.count_nodes, '''
import grad
def count_nodes(root):
    return len(grad.topological_order(root))
'''),
    (backprop_by_hand.grads_by_hand, 'grads = {"s": 3, "t": -2, "x": 3, "y": 3, "z": -1.5, "w": -8}'),
    (backprop_by_hand.step_downhill, '''
def step_downhill(values, step):
    for i in range(len(values)):
        values[i].data += -step * values[i].grad
'''),
    (backprop_by_hand.dtanh, "import math\ndef dtanh(n):\n    return 1 / math.cosh(n) ** 2"),
    (backprop_by_hand.dtanh, "import numpy as np\ndef dtanh(n):\n    return 1 - np.tanh(n) ** 2"),
    (backprop_by_hand.dtanh, "import math\ndef dtanh(n):\n    t = math.tanh(n)\n    return (1 - t) * (1 + t)"),
    (backprop_by_hand.neuron_grads, '''
import math
def neuron_grads(x1, w1, x2, w2, b):
    dn = 1 / math.cosh(x1 * w1 + x2 * w2 + b) ** 2
    return dict(x1=w1 * dn, w1=x1 * dn, x2=w2 * dn, w2=x2 * dn, b=dn)
'''),
    (autograd.multiply, '''
def multiply(a, b):
    out = a * b                      # the class's own * already has its backward step
    return out
'''),
    (autograd.topo_sort, "import grad\ndef topo_sort(root):\n    return grad.topological_order(root)"),
    (autograd.topo_sort, '''
def topo_sort(root):                 # Kahn's algorithm: count the users of every node
    nodes, todo = {}, [root]
    while todo:
        v = todo.pop()
        if id(v) not in nodes:
            nodes[id(v)] = v
            todo.extend(v._prev)
    users = {i: 0 for i in nodes}
    for v in nodes.values():
        for c in v._prev:
            users[id(c)] += 1
    ready, order = [root], []
    while ready:
        v = ready.pop()
        order.append(v)
        for c in v._prev:
            users[id(c)] -= 1
            if users[id(c)] == 0:
                ready.append(c)
    return tuple(reversed(order))
'''),
    (autograd.run_backward, '''
def run_backward(root):
    order, seen = [], set()
    def build(v):
        if v not in seen:
            seen.add(v)
            for c in v._prev:
                build(c)
            order.append(v)
    build(root)
    root.grad = 1
    for v in order[::-1]:
        v._backward()
'''),
    (autograd.a_grad, "a_grad = 13"),
    (autograd.a_grad, "import numpy as np\na_grad = np.float64(13.0)"),
]


@pytest.mark.parametrize("ex, code", ACCEPTED, ids=[f"{ex.name}-{i}" for i, (ex, _) in enumerate(ACCEPTED)])
def test_correct_answers_written_another_way_are_accepted(ex, code):
    assert ex.verdict(define(code, ex.answer_name)) is None


SILLY = [
    (start_here.square, "square = 'x * x'", "should be a function"),
    (start_here.square, "def square():\n    return 4", "raised TypeError"),
    (start_here.square, "def square(x):\n    return str(x * x)", "is the string"),
    (derivatives.one_input, "def one_input(f, point):\n    return f", "raised TypeError"),
    (derivatives.one_input, "def one_input(f, point, name):\n    return lambda v: f(**point, name=v)",
     "unexpected keyword argument"),
    (derivatives.one_input, "def one_input(f, point, name):\n    return lambda v: str(v)", "is the string"),
    (derivatives.one_input, "def one_input(f, point, name):\n    return lambda v: None", "is None"),
    (derivatives.one_input, "def one_input(f, point, name):\n    return lambda: f(**point)",
     "raised TypeError"),
    (derivatives.backward_slope, "def backward_slope(f, x):\n    return 1.0", "raised TypeError"),
    (derivatives.backward_slope, "def backward_slope(f, x, h):\n    return 1e308 * 10", "is inf"),
    (derivatives.tangent, "def tangent(f, x):\n    return lambda: f(x)", "raised TypeError"),
    (derivatives.tangent, "def tangent(f, x):\n    return 'line'", "is the string 'line'"),
    (derivatives.partials, "partials = None", "there is no answer yet"),
    (derivatives.partials, "partials = [6, -4, -2, 4]", "should be a dictionary"),
    (derivatives.partials, 'partials = {"a": 1e300, "b": -4, "c": -2, "m": 4}', "is not right"),
    (derivatives.good_steps, 'good_steps = {"forward": "1e-8", "central": 1e-5}', "is the string"),
    (derivatives.good_steps, 'good_steps = {"forward": 1e300, "central": 1e-5}', "far too big"),
    (derivatives.good_steps, 'good_steps = {"forward": 0, "central": 1e-5}', "positive number"),
    (value.neg_sub, "Value = 3", "pass the class itself"),
    (value.neg_sub, "class Value:\n    pass", "raised TypeError"),
    (value.build, "def build(x, y):\n    return x + y", "raised TypeError"),
    (value.build, "def build(x, y, z):\n    return 'out'", "not the string 'out'"),
    (value.count_nodes, "def count_nodes(root):\n    return 10 ** 12", "you counted 1000000000000"),
    (value.count_nodes, "def count_nodes(root):\n    return 2.5", "not a whole number"),
    (backprop_by_hand.grads_by_hand, 'grads = ["s", "t"]', "should be a dictionary"),
    (backprop_by_hand.step_downhill, "def step_downhill(values):\n    pass", "raised TypeError"),
    (backprop_by_hand.dtanh, "def dtanh(n):\n    return 'slope'", "is the string"),
    (backprop_by_hand.neuron_grads, "def neuron_grads(x1, w1, x2, w2, b):\n    return [1, 2, 3, 4, 5]",
     "should be a dictionary"),
    (autograd.multiply, "def multiply(a):\n    return a", "raised TypeError"),
    (autograd.topo_sort, "def topo_sort(root):\n    return root", "return a list of the nodes"),
    (autograd.topo_sort, "def topo_sort(root):\n    return 'abc'", "return a list of the nodes"),
    (autograd.run_backward, "def run_backward(root):\n    root.grad = 1e400", "is inf"),
    (autograd.a_grad, "a_grad = 13j", "not a real number"),
    (autograd.a_grad, "a_grad = None", "there is no answer yet"),
    (autograd.a_grad, "a_grad = 1e308", "is not it"),
]


@pytest.mark.parametrize("ex, code, says", SILLY, ids=[f"{ex.name}-{i}" for i, (ex, _, _) in enumerate(SILLY)])
def test_silly_answers_get_a_short_true_verdict(ex, code, says):
    problem = ex.verdict(define(code, ex.answer_name))
    assert problem is not None and says in problem, problem
    assert "checker itself failed" not in problem
    assert len(problem) < 300, problem
    assert ex.hint_text not in problem and ex.nudge_text not in problem


def test_no_verdict_of_a_hand_computed_exercise_shows_the_expected_numbers():
    # grads_by_hand, partials and a_grad are numbers to work out: a wrong one must not be
    # answered with the right one.
    wrong = {"s": 3.0, "t": -2.0, "x": 3.0, "y": 3.0, "z": -1.5, "w": 5.0}
    problem = backprop_by_hand.grads_by_hand.verdict(wrong)
    assert "-8" not in problem, problem
    assert backprop_by_hand.grads_by_hand.verdict(dict(wrong, w=8.0)) == "grads['w'] = 8 has the wrong sign"
    for guess in (0.0, 5.0, 99.0):
        problem = autograd.a_grad.verdict(guess)
        assert "13" not in problem and "4a + 1" not in problem, problem
    problem = derivatives.partials.verdict({"a": 6.0, "b": -4.0, "c": -2.0, "m": 9.0})
    assert "4" not in problem.replace("partials['m']", ""), problem


def test_counting_different_numbers_instead_of_values_is_named():
    by_number = '''
def count_nodes(root):
    seen, to_visit = set(), [root]
    while to_visit:
        v = to_visit.pop()
        if v.data not in seen:          # the numbers, not the Values
            seen.add(v.data)
            to_visit.extend(v._prev)
    return len(seen)
'''
    visits_all_counts_numbers = '''
def count_nodes(root):
    seen, numbers, to_visit = set(), set(), [root]
    while to_visit:
        v = to_visit.pop()
        if v not in seen:
            seen.add(v)
            numbers.add(v.data)
            to_visit.extend(v._prev)
    return len(numbers)
'''
    for code in (by_number, visits_all_counts_numbers):
        problem = value.count_nodes.verdict(define(code, "count_nodes"))
        assert problem is not None and "the number of different numbers in the graph" in problem
        assert "both hold 1.0" in problem and "count every value" not in problem
    # the advice for over-counting and the hint point at the Values, not their numbers
    over = value.count_nodes.verdict(define(
        "def count_nodes(root):\n    return 1 + sum(count_nodes(c) for c in root._prev)",
        "count_nodes"))
    assert "Value objects" in over
    assert "not v.data" in value.count_nodes.hint_text


def test_verdicts_of_00_04_do_not_print_the_right_gradient():
    flat = backprop_by_hand.dtanh.verdict(lambda n: 0.5 if n else 1.0)
    assert flat.endswith("it is too small") and "0.786" not in flat   # 1 - tanh(-0.5)² = 0.786
    assert backprop_by_hand.dtanh.verdict(lambda n: 2.0).endswith("it is too large")
    assert "13" not in autograd.a_grad.verdict(12.0)
    mult = '''
def multiply(a, b):
    out = type(a)(a.data * b.data, (a, b), "*")
    def _backward():
        a.grad += 2 * b.data * out.grad
        b.grad += a.data * out.grad
    out._backward = _backward
    return out
'''
    problem = autograd.multiply.verdict(define(mult, "multiply"))
    assert "expected" not in problem and "a.grad is too large" in problem
    assert "b.grad" not in problem.split(":")[-1]


def test_a_step_that_also_zeroes_the_gradients_is_told_what_it_did():
    code = '''
def step_downhill(values, step):
    for v in values:
        v.data -= step * v.grad
        v.grad = 0.0
'''
    verdict = backprop_by_hand.step_downhill.verdict(define(code, "step_downhill"))
    assert "set every .grad to 0" in verdict and "zero_grad" in verdict


def test_a_topological_order_upside_down_is_called_so():
    def root_first(root):
        order, seen = [], set()
        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)
        visit(root)
        return order[::-1]
    assert "the list is upside down" in autograd.topo_sort.verdict(root_first)


def test_the_tangent_messages_are_short_and_name_what_is_wrong():
    curve = derivatives.tangent.verdict(lambda f, x: f)
    assert "not straight" in curve and len(curve) < 200
    moved = derivatives.tangent.verdict(lambda f, x: (lambda t, s=f(x): s + 1.0))
    assert "should equal f(2.0)" in moved
    flat = derivatives.tangent.verdict(lambda f, x: (lambda t, s=f(x): s))
    assert "your line's slope is 0, which is not f's slope there: it is too small" in flat
    assert "8" not in flat.split("slope is 0")[1]   # the right slope, 8, is not given away
    array_line = derivatives.tangent.verdict(
        lambda f, x: (lambda t: __import__("numpy").linspace(0, 1, 200)))
    assert "an array of shape (200,)" in array_line and len(array_line) < 200


def test_a_different_h_is_asked_only_when_the_answer_ignores_h():
    ignores = derivatives.backward_slope.verdict(lambda f, x, h: (f(x) - f(x - 1e-3)) / 1e-3)
    assert "does not change with h" in ignores
    precedence = derivatives.backward_slope.verdict(lambda f, x, h: f(x) - f(x - h) / h)
    assert "does not change with h" not in precedence and "use the h" not in precedence.lower()


def test_run_backward_that_visits_a_shared_node_twice_is_caught():
    # Pre-order visiting without an order gives the right gradients whenever only leaves
    # are shared; the graphs include an inner node used twice.
    def run_backward(root):
        root.grad = 1.0

        def visit(v):
            v._backward()
            for c in v._prev:
                visit(c)
        visit(root)
    problem = autograd.run_backward.verdict(run_backward)
    assert problem is not None and "exactly once" in problem


def test_multiply_without_a_graph_is_told_so():
    def multiply(a, b):
        out = type(a)(a.data * b.data)

        def _backward():
            a.grad += b.data * out.grad
            b.grad += a.data * out.grad
        out._backward = _backward
        return out
    assert "out._prev should be (a, b)" in autograd.multiply.verdict(multiply)


def test_multiply_that_overwrites_one_gradient_is_told_which_without_the_answer():
    def make(overwrite_a, overwrite_b):
        def multiply(a, b):
            out = type(a)(a.data * b.data, (a, b), "*")

            def _backward():
                if overwrite_a:
                    a.grad = b.data * out.grad
                else:
                    a.grad += b.data * out.grad
                if overwrite_b:
                    b.grad = a.data * out.grad
                else:
                    b.grad += a.data * out.grad
            out._backward = _backward
            return out
        return multiply
    only_b = autograd.multiply.verdict(make(False, True))
    assert only_b.startswith("b.grad became 2 ") and "do not overwrite it with =" in only_b
    both = autograd.multiply.verdict(make(True, True))
    assert both.startswith("a.grad became -3 ") and "0.75 that a.grad held before" in both
    assert "-2.25" not in both   # the right total is not spelled out


def test_floor_division_is_not_told_that_it_ignores_h():
    problem = derivatives.backward_slope.verdict(lambda f, x, h: (f(x) - f(x - h)) // h)
    assert "does not change with h" not in problem, problem
    assert "which is not the slope of the secant" in problem and "is too small" in problem, problem


def test_an_answer_slightly_off_is_not_said_to_be_a_numerical_difference():
    import math
    problem = backprop_by_hand.dtanh.verdict(lambda n: 1 - math.tanh(n) ** 2 + 1e-9)
    assert "like a numerical estimate" in problem and "that is a numerical" not in problem


def test_one_input_never_trusts_the_dictionary_it_leaves_behind():
    # Changing point when one_input is called, or only when g is called, is both told.
    def at_once(f, point, name):
        point[name] = 0.0
        return lambda v: f(**{**point, name: v})
    assert "changed" in derivatives.one_input.verdict(at_once)

    def later(f, point, name):
        values = dict(point)

        def g(v):
            point.clear()                  # the right number, but point is emptied
            return f(**{**values, name: v})
        return g
    assert "changed the dictionary point" in derivatives.one_input.verdict(later)
