"""The engine's quick paths give the same results as the general ones."""
import math
import random

import micrograd.engine
import numpy as np
import pytest

from grad import Value, topological_order, weighted_sum


def recursive_order(root):
    """The textbook recursive topological sort, for comparison."""
    topo, seen = [], set()

    def visit(v):
        if v not in seen:
            seen.add(v)
            for child in v._prev:
                visit(child)
            topo.append(v)

    visit(root)
    return topo


def random_graph(seed: int) -> Value:
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-2, 2)) for _ in range(4)]
    for _ in range(60):
        kind = rng.randrange(4)
        a, b = rng.choice(nodes), rng.choice(nodes)
        if kind == 0:
            nodes.append(a + b)
        elif kind == 1:
            nodes.append(a * b)
        elif kind == 2:
            nodes.append(a.tanh())
        else:
            k = rng.randrange(1, 4)
            nodes.append(weighted_sum(rng.sample(nodes, k), rng.sample(nodes, k), rng.choice(nodes)))
    return nodes[-1] + sum(rng.sample(nodes, 5))


@pytest.mark.parametrize("seed", range(20))
def test_topological_order_is_the_recursive_order_on_shared_subgraphs(seed):
    root = random_graph(seed)
    assert topological_order(root) == recursive_order(root)


def test_topological_order_walks_a_set_of_operands_like_micrograds():
    a, b = micrograd.engine.Value(2.0), micrograd.engine.Value(3.0)
    root = (a * b + a).relu()
    assert topological_order(root) == recursive_order(root)


def test_weighted_sum_takes_a_generator_a_tuple_and_numbers():
    w = [Value(1.0), Value(2.0)]
    expected = 0.5 + 1.0 * 3 + 2.0 * 4
    assert weighted_sum(w, (x for x in [3, Value(4.0)]), 0.5).data == expected
    assert weighted_sum(w, (Value(3.0), Value(4.0)), Value(0.5)).data == expected
    assert weighted_sum(w, [3.0, 4.0], Value(0.5)).data == expected


def test_weighted_sum_refuses_another_engines_values():
    w = [Value(1.0)]
    with pytest.raises(TypeError, match="Value needs a real number"):
        weighted_sum(w, [micrograd.engine.Value(2.0)], 0.0)
    from grad.tensor import Tensor
    for weights, bias in (([micrograd.engine.Value(2.0)], 0.0), ([Tensor(np.array(2.0))], 0.0),
                          ([Value(2.0)], micrograd.engine.Value(0.5))):
        with pytest.raises(TypeError, match="Value needs a real number"):
            weighted_sum(weights, [Value(1.0)], bias, activation="relu")


def test_results_stay_floats_when_data_was_set_to_an_int():
    a = Value(1.0)
    a.data = 3
    for out in (a * a, a + a, -a, a.relu(), a // a, a ** 2):
        assert type(out.data) is float
    assert (a * a).data == 9.0


def test_gradients_through_the_quick_paths_match_the_chained_ops():
    rng = random.Random(0)
    ws = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    xs = [Value(rng.uniform(-1, 1)) for _ in range(5)]
    b = Value(0.3)
    fused = weighted_sum(ws, xs, b).relu()
    fused.backward()
    g_fused = [v.grad for v in ws + xs + [b]]
    for v in ws + xs + [b]:
        v.grad = 0.0
    chained = b
    for w, x in zip(ws, xs):
        chained = chained + w * x
    chained = chained.relu()
    chained.backward()
    assert fused.data == chained.data
    assert all(math.isclose(p, q, rel_tol=0, abs_tol=1e-15)
               for p, q in zip(g_fused, [v.grad for v in ws + xs + [b]]))


def test_weighted_sum_takes_numpy_numbers_as_weights_and_bias():
    out = weighted_sum([np.float64(2.0), Value(3.0)], [Value(1.0), Value(1.0)], np.float64(0.5))
    assert out.data == 5.5 and isinstance(out.data, float)


def test_a_layer_refuses_a_neuron_whose_weights_no_longer_match_its_inputs():
    import grad.nn
    layer = grad.nn.Layer(2, 3)
    layer.neurons[1].w.append(Value(1.0))
    with pytest.raises(ValueError, match="expected 3 inputs"):
        layer([1.0, 2.0])


def test_a_value_whose_data_is_not_a_number_gets_a_short_type_error():
    w = [Value(1.0), Value(2.0)]
    w[0].data = None  # a learner's slip: nothing to lift, so no retry loop
    with pytest.raises(TypeError):
        weighted_sum(w, [1.0, 1.0], Value(0.0))
    with pytest.raises(ValueError, match="expected 1 input \\(one per weight\\), got 2"):
        weighted_sum([Value(1.0)], [1.0, 2.0], 0.0)


def test_weighted_sum_refuses_what_has_no_order_or_is_not_a_list():
    from grad.nn import Layer, Neuron
    w = [Value(1.0), Value(2.0)]
    for weights, inputs in ((w, {5: 0, 7: 0}), (w, {1.0, 2.0}), (w, 3), (w, "ab"),
                            (w, np.array(1.0)), (w, Value(2.0)), (Value(1.0), [1.0])):
        with pytest.raises(TypeError, match="must be a list of numbers or Values"):
            weighted_sum(weights, inputs, 0.0)
    for model in (Neuron(2), Layer(2, 3)):
        with pytest.raises(TypeError, match="must be a list of numbers or Values"):
            model({0: 5.0, 1: 6.0})
