"""The scalar engine: values, gradients, the lecture's examples, deep graphs, bad input."""
import copy
import gc
import math
import pickle
import random

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from grad import Value, engine, topological_order, weighted_sum
from grad.check import numerical_grad

reals = st.floats(min_value=-5, max_value=5, allow_nan=False)
positives = st.floats(min_value=0.1, max_value=5)
nonzero = reals.filter(lambda x: abs(x) > 0.1)


def assert_grads_match(f, *xs, rel=1e-5, abs_=1e-6):
    """Gradients from backward() agree with central differences, and the value is f's."""
    vals = [Value(x) for x in xs]
    out = f(*vals)
    out.backward()
    numeric = numerical_grad(f, *vals)
    for i, (v, n) in enumerate(zip(vals, numeric)):
        assert v.grad == pytest.approx(n, rel=rel, abs=abs_), f"input {i}: {v.grad} vs {n}"
    return out


# ---- every op: value and gradient -------------------------------------------------------
@given(reals, reals)
def test_add_sub_mul(a, b):
    assert assert_grads_match(lambda x, y: x + y, a, b).data == a + b
    assert assert_grads_match(lambda x, y: x - y, a, b).data == a - b
    assert assert_grads_match(lambda x, y: x * y, a, b).data == a * b


@given(reals, nonzero)
def test_truediv(a, b):
    assert assert_grads_match(lambda x, y: x / y, a, b).data == pytest.approx(a / b)


@given(reals, nonzero)
def test_floordiv_value_and_zero_gradient(a, b):
    x, y = Value(a), Value(b)
    out = x // y
    assert out.data == a // b
    out.backward()
    assert (x.grad, y.grad) == (0.0, 0.0)


@given(reals, st.integers(min_value=-3, max_value=4))
def test_pow_integer_exponent(a, k):
    assume(k >= 0 or abs(a) > 0.1)
    out = assert_grads_match(lambda x: x ** k, a)
    assert out.data == pytest.approx(a ** k)


@given(positives, st.floats(min_value=-2.5, max_value=2.5))
def test_pow_fractional_exponent(a, k):
    assert assert_grads_match(lambda x: x ** k, a).data == pytest.approx(a ** k)


@given(positives, st.floats(min_value=-2, max_value=2))
def test_pow_value_exponent(a, b):
    assert assert_grads_match(lambda x, y: x ** y, a, b).data == pytest.approx(a ** b)


@given(st.floats(min_value=0.1, max_value=3), reals.filter(lambda x: abs(x) < 3))
def test_number_to_value_power(base, b):
    assert assert_grads_match(lambda y: base ** y, b).data == pytest.approx(base ** b)


@given(reals)
def test_unary_functions(a):
    assert assert_grads_match(lambda x: -x, a).data == -a
    assert assert_grads_match(lambda x: x.exp(), a).data == pytest.approx(math.exp(a))
    assert assert_grads_match(lambda x: x.tanh(), a).data == pytest.approx(math.tanh(a))
    assert assert_grads_match(lambda x: x.sigmoid(), a).data == pytest.approx(1 / (1 + math.exp(-a)))
    assume(abs(a) > 1e-3)  # relu has a kink at 0
    assert assert_grads_match(lambda x: x.relu(), a).data == max(a, 0.0)


@given(positives)
def test_log(a):
    assert assert_grads_match(lambda x: x.log(), a).data == pytest.approx(math.log(a))


@given(reals, nonzero)
def test_reflected_forms_with_numbers(a, b):
    assert assert_grads_match(lambda y: a + y, b).data == a + b
    assert assert_grads_match(lambda y: a - y, b).data == a - b
    assert assert_grads_match(lambda y: a * y, b).data == a * b
    assert assert_grads_match(lambda y: a / y, b).data == pytest.approx(a / b)
    assert (a // Value(b)).data == a // b


def test_reflected_forms_put_the_number_first():
    a = Value(3.0)
    for out in (2 + a, 2 - a, 2 * a, 2 / a, 2 // a, 2 ** a):
        left, right = out._prev
        assert (left.data, right) == (2.0, a)
    assert (a - 2)._prev[0] is a


@given(st.lists(reals, min_size=1, max_size=6), reals)
def test_weighted_sum_matches_chained_ops(ws, b):
    xs = [w * 0.7 - 1 for w in ws]
    w_vals, x_vals, b_val = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    fused = weighted_sum(w_vals, x_vals, b_val)
    fused.backward()
    w2, x2, b2 = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    chained = sum((w * x for w, x in zip(w2, x2)), b2)
    chained.backward()
    assert fused.data == chained.data  # same order of additions: the same float
    assert [v.grad for v in w_vals + x_vals + [b_val]] == [v.grad for v in w2 + x2 + [b2]]


EDGES = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e300, -1e300, 2.0, -3.0]


@pytest.mark.parametrize("act", ["relu", "tanh", "sigmoid"])
def test_a_neuron_node_gives_the_numbers_of_the_sum_then_the_activation(act):
    """act(w·x+b) as one node: the same data and gradients, bit for bit, as weighted_sum
    followed by the activation's method (two nodes), on finite and special numbers."""
    cases = [(w, x, b) for w in EDGES for x in EDGES for b in (0.5, -math.inf)]
    cases += [(random.Random(i).uniform(-3, 3), random.Random(-i).uniform(-3, 3), 0.1)
              for i in range(50)]
    for w0, x0, b0 in cases:
        results = []
        for fused in (True, False):
            ws, xs, b = [Value(w0), Value(-0.5)], [Value(x0), Value(1.5)], Value(b0)
            out = (weighted_sum(ws, xs, b, activation=act) if fused
                   else getattr(weighted_sum(ws, xs, b), act)())
            (out * 3.0).backward()
            results.append([out.data] + [v.grad for v in ws + xs + [b]])
        same = all(p == q or (math.isnan(p) and math.isnan(q)) for p, q in zip(*results))
        assert same, (act, w0, x0, b0, results)


def test_a_neuron_node_names_its_activation_and_refuses_an_unknown_one():
    ws, xs = [Value(1.0), Value(2.0)], [Value(3.0), Value(-4.0)]
    assert weighted_sum(ws, xs, 0.5)._op == "w·x+b"
    assert weighted_sum(ws, xs, 0.5, activation="linear")._op == "w·x+b"
    assert weighted_sum(ws, xs, 0.5, activation="tanh")._op == "tanh(w·x+b)"
    assert weighted_sum(ws, xs, 0.5, activation="relu").data == 0.0  # 3 - 8 + 0.5 < 0
    for bad in ("ReLU", "softmax", None, ["relu"]):
        with pytest.raises(ValueError, match="activation must be one of"):
            weighted_sum(ws, xs, 0.5, activation=bad)


def test_weighted_sum_needs_matching_lengths():
    with pytest.raises(ValueError, match=r"expected 3 inputs \(one per weight\), got 2"):
        weighted_sum([Value(1.0)] * 3, [1.0, 2.0], Value(0.0))


# ---- PyTorch's conventions at the edges ------------------------------------------------
def test_edge_derivatives_follow_pytorch():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0  # relu'(0) = 0
    x = Value(0.0)
    (x ** 0).backward()
    assert (x ** 0).data == 1.0 and x.grad == 0.0
    base, k = Value(0.0), Value(2.0)
    (base ** k).backward()
    assert (base.grad, k.grad) == (0.0, 0.0)  # d(0**k)/dk taken as 0, as in PyTorch


@given(st.floats(allow_nan=False))
def test_tanh_and_sigmoid_stay_finite(a):
    for f in (Value.tanh, Value.sigmoid):
        x = Value(a)
        out = f(x)
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(x.grad)
    assert -1 <= Value(a).tanh().data <= 1
    assert 0 <= Value(a).sigmoid().data <= 1


# ---- the lecture's worked examples -----------------------------------------------------
def test_lecture_expression_a_times_b_plus_c():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    assert L.data == -8.0
    L.backward()
    assert [v.grad for v in (L, f, d, e, c, b, a)] == [1.0, 4.0, -2.0, -2.0, -2.0, -4.0, 6.0]


def lecture_neuron(tanh_from_exp=False):
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    if tanh_from_exp:
        e = (2 * n).exp()
        o = (e - 1) / (e + 1)
    else:
        o = n.tanh()
    o.backward()
    return o, (x1, x2, w1, w2, b)


@pytest.mark.parametrize("tanh_from_exp", [False, True])
def test_lecture_tanh_neuron(tanh_from_exp):
    o, (x1, x2, w1, w2, b) = lecture_neuron(tanh_from_exp)
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-12)
    grads = [x1.grad, x2.grad, w1.grad, w2.grad, b.grad]
    assert grads == pytest.approx([-1.5, 0.5, 1.0, 0.0, 0.5], abs=1e-12)


def test_lecture_reused_nodes_accumulate():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a, b = Value(-2.0), Value(3.0)
    f = (a * b) * (a + b)
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


def test_manual_backward_steps_like_the_lecture():
    """Calling each node's _backward() by hand, in order, as the lecture does first."""
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c.tanh()
    d.grad = 1.0
    d._backward()
    c._backward()
    assert c.grad == pytest.approx(1 - math.tanh(-6.0) ** 2)
    assert a.grad == pytest.approx(-3.0 * c.grad) and b.grad == pytest.approx(2.0 * c.grad)


def test_lecture_style_custom_op_with_a_closure():
    """An op added the way the lecture writes them: a closure assigned to out._backward."""
    def cube(self):
        out = Value(self.data ** 3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data ** 2 * out.grad
        out._backward = _backward
        return out

    x = Value(2.0)
    y = cube(x) * 2
    y.backward()
    assert (y.data, x.grad) == (16.0, 24.0)


def test_value_attributes_and_repr():
    a = Value(2, label="a")
    assert (a.data, a.grad, a._prev, a._op, a.label) == (2.0, 0.0, (), "", "a")
    assert isinstance(a.data, float) and isinstance(a.grad, float)
    c = a * Value(3.0)
    assert c._op == "*" and c._prev[0] is a
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"
    assert len({a, c, Value(2.0)}) == 3  # hashable by identity


# ---- backward: order, depth, repetition ------------------------------------------------
def test_topological_order_lists_operands_before_results():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    topo = topological_order(e)
    assert topo[-1] is e and len(topo) == 5
    pos = {node: i for i, node in enumerate(topo)}
    assert all(pos[child] < pos[node] for node in topo for child in node._prev)


def test_a_million_node_chain_backpropagates_without_recursion():
    x = Value(0.5)
    y = x
    for _ in range(1_000_000):
        y = -y
    y.backward()
    assert x.grad == 1.0
    del y
    gc.collect()  # freeing the chain must not overflow the stack either


def test_backward_twice_adds_leaf_gradients_once_more():
    a, b = Value(2.0), Value(-3.0)
    h = a * b          # intermediate, used twice below
    out = h * h + h.tanh()
    out.backward()
    first = (a.grad, b.grad, h.grad)
    out.backward()
    assert a.grad == pytest.approx(2 * first[0]) and b.grad == pytest.approx(2 * first[1])
    assert h.grad == pytest.approx(first[2])  # intermediates are recomputed, not doubled


def test_backward_after_zeroing_gives_the_same_gradients():
    a = Value(1.5)
    out = (a * a).exp()
    out.backward()
    g = a.grad
    a.grad = 0.0
    out.backward()
    assert a.grad == g


# ---- bad input -------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["a", None, [1.0], (1.0,), 1 + 2j, {"x": 1}])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="real number"):
        Value(bad)


def test_a_value_of_a_value_is_a_type_error():
    with pytest.raises(TypeError, match="got Value"):
        Value(Value(1.0))


def test_operations_with_non_numbers_are_type_errors():
    for op in (lambda v: v + "a", lambda v: "a" * v, lambda v: v * [1], lambda v: v ** "2"):
        with pytest.raises(TypeError):
            op(Value(1.0))


def test_integer_too_large_for_a_float():
    with pytest.raises(OverflowError, match="too large"):
        Value(10 ** 400)


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=r"log\(" + str(x).replace(".", r"\.")):
        Value(x).log()


def test_negative_base_fractional_power_is_never_complex():
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ValueError, match="not a real number"):
        (-8.0) ** Value(0.5)
    assert (Value(-2.0) ** 3).data == -8.0  # whole-number exponents are fine


def test_negative_base_to_a_value_exponent_has_a_nan_exponent_slope_like_pytorch():
    base, k = Value(-2.0), Value(2.0)
    out = base ** k
    out.backward()  # d/dk needs log(-2): nan, as PyTorch gives, instead of an error
    assert out.data == 4.0 and base.grad == -4.0 and math.isnan(k.grad)


@pytest.mark.parametrize("op", [lambda: Value(1.0) / 0, lambda: 1 / Value(0.0),
                                lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) // 0,
                                lambda: Value(0.0) ** -1, lambda: Value(0.0) ** Value(-2.0)])
def test_division_by_zero(op):
    with pytest.raises(ZeroDivisionError, match="zero"):
        op()


def test_exp_overflow_names_the_op_and_value():
    with pytest.raises(OverflowError, match=r"exp\(1000\.0\)"):
        Value(1000.0).exp()


def test_pow_overflow_names_the_op():
    with pytest.raises(OverflowError, match="pow"):
        Value(1e200) ** 2


def test_huge_numbers_are_shown_compactly_in_messages():
    with pytest.raises(OverflowError) as info:
        Value(10 ** 400)
    assert "1e+400" in str(info.value) and len(str(info.value)) < 120
    with pytest.raises(OverflowError) as info:
        Value(-3 * 10 ** 5000)  # past Python's own limit for printing integers
    assert "-3e+5000" in str(info.value)
    with pytest.raises(TypeError) as info:
        Value("x" * 1000)
    assert len(str(info.value)) < 150


# ---- NaN and infinities: they go on as PyTorch carries them, never turning into numbers --
nan, inf = math.nan, math.inf


def same(a, b):
    """Equal as IEEE floats, with NaN equal to NaN (and 0.0 to -0.0)."""
    return (math.isnan(a) and math.isnan(b)) or a == b


# (op, input, value, gradient) as IEEE 754 and PyTorch define them
SPECIAL_UNARY = [
    ("relu", nan, nan, 1.0), ("relu", inf, inf, 1.0), ("relu", -inf, 0.0, 0.0),
    ("tanh", nan, nan, nan), ("tanh", inf, 1.0, 0.0), ("tanh", -inf, -1.0, 0.0),
    ("sigmoid", nan, nan, nan), ("sigmoid", inf, 1.0, 0.0), ("sigmoid", -inf, 0.0, 0.0),
    ("exp", nan, nan, nan), ("exp", inf, inf, inf), ("exp", -inf, 0.0, 0.0),
    ("log", nan, nan, nan), ("log", inf, inf, 0.0),
    ("neg", nan, nan, -1.0), ("neg", inf, -inf, -1.0),
    ("square", nan, nan, nan), ("square", -inf, inf, -inf),
    ("sqrt", 0.0, 0.0, inf), ("sqrt", inf, inf, 0.0), ("sqrt", nan, nan, nan),
    ("cbrt", 0.0, 0.0, inf), ("pow0", nan, 1.0, 0.0), ("pow0", inf, 1.0, 0.0),
    ("inverse", inf, 0.0, -0.0), ("inverse", nan, nan, nan),
]
UNARY = {"relu": Value.relu, "tanh": Value.tanh, "sigmoid": Value.sigmoid, "exp": Value.exp,
         "log": Value.log, "neg": lambda v: -v, "square": lambda v: v ** 2,
         "sqrt": lambda v: v ** 0.5, "cbrt": lambda v: v ** (1 / 3), "pow0": lambda v: v ** 0,
         "inverse": lambda v: v ** -1}


@pytest.mark.parametrize("op, x, value, slope", SPECIAL_UNARY)
def test_nan_and_inf_inputs_give_pytorchs_value_and_gradient(op, x, value, slope):
    v = Value(x)
    out = UNARY[op](v)
    out.backward()
    assert same(out.data, value) and same(v.grad, slope), (out.data, v.grad)


def test_nan_input_gives_a_nan_network_output():
    from grad.nn import MLP
    assert math.isnan(MLP(2, [4, 4, 1])([nan, 1.0]).data)
    assert math.isnan(weighted_sum([Value(1.0)], [nan], Value(0.0)).relu().data)


@pytest.mark.parametrize("a, b", [(nan, 2.0), (2.0, nan), (inf, inf), (-inf, inf), (inf, 0.5),
                                  (0.0, inf), (1e308, 10.0)])
def test_binary_ops_follow_ieee(a, b):
    for f in (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y):
        x, y = Value(a), Value(b)
        out = f(x, y)
        out.backward()  # never raises once the value exists
        assert same(out.data, f(a, b))
    assert same((Value(a) // Value(b)).data, a // b)


# Which inputs an op refuses: exactly those without a real answer (grad.engine's policy)
def overflows(f):
    try:
        f()
    except OverflowError:
        return True
    return False


def refuses(op, x):
    if op == "log":
        return x <= 0
    if op in ("sqrt", "cbrt"):
        return x < 0  # -inf too; -0.0 is fine
    if op == "inverse":
        return x == 0 or overflows(lambda: x ** -1.0)  # 1 / 1e-320 is past the largest float
    if op == "exp":
        return overflows(lambda: math.exp(x))
    if op == "square":
        return overflows(lambda: x ** 2.0)
    return False


NAMES = {"sqrt": "pow", "cbrt": "pow", "inverse": "pow", "square": "pow", "log": "log(", "exp": "exp("}
specials = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 1e-320, -1e-320, 1e200, nan, inf, -inf]))


@given(specials)
def test_forward_refuses_only_what_has_no_answer_and_backward_never_raises(x):
    for op, f in UNARY.items():
        v = Value(x)
        if refuses(op, x):
            with pytest.raises((ValueError, ZeroDivisionError, OverflowError)) as info:
                f(v)
            assert NAMES[op] in str(info.value)
            continue
        out = f(v)
        out.backward()  # the value exists, so backward must not raise
        assert isinstance(out.data, float) and isinstance(v.grad, float)
        if math.isnan(x):  # a NaN in gives a NaN out (x ** 0 is 1, as in IEEE and PyTorch)
            assert math.isnan(out.data) == (op != "pow0")


@given(specials, specials)
def test_value_exponent_refuses_only_what_has_no_answer_and_backward_never_raises(a, b):
    no_answer = ((a < 0 and math.isfinite(b) and not b.is_integer()) or (a == 0 and b < 0)
                 or overflows(lambda: a ** b))
    x, k = Value(a), Value(b)
    if no_answer:
        with pytest.raises((ValueError, ZeroDivisionError, OverflowError), match="pow"):
            x ** k
        return
    out = x ** k
    assert same(out.data, a ** b)
    out.backward()
    assert isinstance(x.grad, float) and isinstance(k.grad, float)


def test_slope_of_square_root_at_zero_is_inf_like_pytorch():
    for f, slope in [(lambda v: v ** 0.5, inf), (lambda v: v ** 1.5, 0.0),
                     (lambda v: (v * v) ** 0.5, nan)]:  # |v| at 0: inf * 0 = nan, as in torch
        x = Value(0.0)
        f(x).backward()
        assert same(x.grad, slope)
    x = Value(1e-200)
    (x ** -1).backward()  # slope -1e400: past the largest float, so -inf
    assert x.grad == -inf


# ---- gradients set to None (PyTorch's zero_grad(set_to_none=True)) ---------------------
def test_backward_into_a_none_gradient_starts_afresh():
    a, b = Value(2.0), Value(3.0)
    a.grad = None
    b.grad = None
    (a * b).backward()
    assert (a.grad, b.grad) == (3.0, 2.0)
    c = a * b + a
    a.grad = None
    c.backward()  # b accumulates, a starts again from 0
    assert (a.grad, b.grad) == (4.0, 4.0)
    leaf = Value(1.0)
    leaf.grad = None
    leaf.backward()
    assert leaf.grad == 1.0


# ---- weighted_sum takes plain numbers anywhere ------------------------------------------
def test_weighted_sum_lifts_plain_numbers():
    w, x = Value(2.0), Value(3.0)
    out = weighted_sum([w, 0.5], [x, 4.0], 1.0)
    assert out.data == 1.0 + 6.0 + 2.0
    out.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)
    assert weighted_sum([], [], 2.5).data == 2.5
    with pytest.raises(TypeError, match="real number"):
        weighted_sum([Value(1.0)], [1.0], "b")


# ---- pickling and deep copies ----------------------------------------------------------
def graph_with_every_kind_of_rule():
    """A loss over every op, including the ones whose rules carry a number (**k, softmax,
    the cross-entropies)."""
    from grad import losses
    a, b, c = Value(0.7, label="a"), Value(-1.3, label="b"), Value(2.0, label="c")
    h = (a * b).tanh() + a.exp() / (c * c) - (a ** 3).sigmoid() + (c + 2).log() + (b // 0.4)
    h = h + weighted_sum([a, b], [c, 1.5], 0.25).relu() + c ** a - (-b) + 2 ** a
    probs = losses.softmax([a, b, h])
    loss = (losses.cross_entropy([[a, b, h], [h, c, a]], [2, 0])
            + losses.binary_cross_entropy_with_logits([h, a], [1.0, 0.3])
            + losses.mse(probs, [0.2, 0.3, 0.5]) + losses.hinge([h], [-1]))
    return loss, (a, b, c)


def grads_of(loss, leaves):
    for leaf in leaves:
        leaf.grad = 0.0
    loss.backward()
    return [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("copy_graph", [
    lambda obj: pickle.loads(pickle.dumps(obj)),
    lambda obj: pickle.loads(pickle.dumps(obj, protocol=0)),
    copy.deepcopy,
], ids=["pickle", "pickle-protocol-0", "deepcopy"])
def test_every_rule_survives_pickling_and_deep_copying(copy_graph):
    loss, leaves = graph_with_every_kind_of_rule()
    expected = grads_of(loss, leaves)
    loss2, leaves2 = copy_graph((loss, leaves))
    assert loss2.data == loss.data and [l.label for l in leaves2] == ["a", "b", "c"]
    assert all(l2 is not l for l2, l in zip(leaves2, leaves))
    assert grads_of(loss2, leaves2) == expected  # the copy sends gradients to its own leaves
    assert [l.grad for l in leaves] == expected  # and leaves the original's alone
    assert len(topological_order(loss2)) == len(topological_order(loss))


def chain(n):
    """x, then n nodes, each computed from the one before."""
    x = Value(0.5, label="x")
    y = x
    for i in range(n):
        y = y.tanh() if i % 2 else -y
    return x, y


def test_a_100_000_node_graph_pickles_and_deep_copies():
    x, y = chain(100_000)
    y.backward()
    for x2, y2 in (pickle.loads(pickle.dumps((x, y))), copy.deepcopy((x, y))):
        assert y2.data == y.data and x2.grad == x.grad and x2 is not x  # gradients copied too
        x2.grad = 0.0
        y2.backward()
        assert x2.grad == x.grad


def test_copies_keep_shared_nodes_shared():
    a = Value(2.0)
    h = a * a
    out = h + h.tanh()
    nodes = topological_order(out)
    for copied in (pickle.loads(pickle.dumps([h, out, nodes])), copy.deepcopy([h, out, nodes])):
        h2, out2, nodes2 = copied
        assert out2._prev[0] is h2 and out2._prev[1]._prev[0] is h2
        assert nodes2 == topological_order(out2)  # the same nodes, not copies of copies
        out2.backward()
        assert h2.grad == 1 + (1 - math.tanh(4.0) ** 2)
    assert Value(2.0) not in {a} and {a: 1}[a] == 1  # still hashed by identity


def test_pickling_every_node_of_a_deep_graph_keeps_them_linked():
    x, y = chain(10_000)
    nodes = topological_order(y)
    copied = pickle.loads(pickle.dumps(nodes))  # each node saved once, operands first
    assert copied[-1].data == y.data and len(copied) == len(nodes)
    assert all(later._prev[0] is earlier for earlier, later in zip(copied, copied[1:]))


def test_a_closure_backward_refuses_to_be_copied():
    def cube(self):
        out = Value(self.data ** 3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data ** 2 * out.grad
        out._backward = _backward
        return out

    y = -cube(Value(2.0)) * 2
    for copy_graph in (pickle.dumps, copy.deepcopy):
        with pytest.raises(TypeError, match="closure"):
            copy_graph(y)
    gc.collect()
    assert not engine._listed  # the bookkeeping for deep graphs is gone with the pickler


def test_a_neuron_node_checks_its_sum_and_its_activation_name():
    from grad.nn import Layer
    w, x, b = Value(1.0), Value(1.0), Value(1.0)
    w.data, x.data, b.data = -10 ** 400, 1, 0  # ints set by hand; their sum is past float
    for act in ("linear", "relu", "tanh", "sigmoid"):
        with pytest.raises(OverflowError, match="too large to be stored as a float"):
            weighted_sum([w], [x], b, activation=act)
    layer = Layer(2, 2)
    layer.neurons[0].activation = "ReLU"  # changed after the layer was built
    with pytest.raises(ValueError, match="activation must be one of"):
        layer([1.0, 2.0])
