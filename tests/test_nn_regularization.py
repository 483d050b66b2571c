"""Initializers, penalties, Dropout and train/eval modes."""
import math
import random
import statistics

import pytest

from grad import Value
from grad.nn import INITIALIZERS, MLP, Dropout, Layer, Neuron, l1_penalty, l2_penalty


def weights(layer):
    return [w.data for n in layer.neurons for w in n.w]


@pytest.mark.parametrize("init, std", [
    ("uniform", 1 / math.sqrt(3)), ("normal", 1.0),
    ("xavier_uniform", math.sqrt(2 / (200 + 100))), ("xavier_normal", math.sqrt(2 / (200 + 100))),
    ("he_uniform", math.sqrt(2 / 200)), ("he_normal", math.sqrt(2 / 200)),
])
def test_initializer_spread(init, std):
    random.seed(0)
    ws = weights(Layer(200, 100, init=init))
    assert statistics.mean(ws) == pytest.approx(0.0, abs=0.02 * std * 10)
    assert statistics.pstdev(ws) == pytest.approx(std, rel=0.03)
    if init.endswith("uniform"):
        bound = std * math.sqrt(3)
        assert max(map(abs, ws)) <= bound
    assert all(n.b.data == 0.0 for n in Layer(200, 100, init=init).neurons)


def test_initializers_per_layer_and_custom():
    random.seed(1)
    model = MLP(4, [3, 2], init=["he_normal", lambda fan_in, fan_out: 0.5])
    assert all(w == 0.5 for w in weights(model.layers[1]))
    assert len(set(weights(model.layers[0]))) == 12
    with pytest.raises(ValueError, match="init must be one of"):
        Neuron(2, init="glorot")
    with pytest.raises(ValueError, match="2 initializers for 3 layers"):
        MLP(2, [2, 2, 1], init=["uniform", "uniform"])
    assert set(INITIALIZERS) >= {"uniform", "normal", "xavier_uniform", "he_normal"}


def test_penalties_values_and_gradients():
    ps = [Value(1.5), Value(-2.0), Value(0.0)]
    l2 = l2_penalty(ps)
    assert l2.data == pytest.approx(6.25)
    l2.backward()
    assert [p.grad for p in ps] == pytest.approx([3.0, -4.0, 0.0])
    for p in ps:
        p.grad = 0.0
    l1 = l1_penalty(ps)
    assert l1.data == pytest.approx(3.5)
    l1.backward()
    assert [p.grad for p in ps] == pytest.approx([1.0, -1.0, 0.0])
    with pytest.raises(ValueError):
        l2_penalty([])


def test_dropout_in_training_zeroes_and_rescales():
    random.seed(3)
    drop = Dropout(0.25)
    xs = [Value(1.0) for _ in range(4000)]
    out = drop(xs)
    kept = [o.data for o in out if o.data != 0]
    assert all(k == pytest.approx(1 / 0.75) for k in kept)
    assert len(kept) / len(xs) == pytest.approx(0.75, abs=0.03)
    assert statistics.mean(o.data for o in out) == pytest.approx(1.0, abs=0.05)
    out[0].backward()  # gradients flow through the kept inputs, scaled the same way
    assert xs[0].grad in (0.0, pytest.approx(1 / 0.75))


def test_dropout_is_reproducible_and_off_in_eval():
    drop = Dropout(0.5)
    random.seed(7)
    a = [v.data for v in drop([Value(1.0)] * 20)]
    random.seed(7)
    b = [v.data for v in drop([Value(1.0)] * 20)]
    assert a == b and 0.0 in a
    xs = [Value(2.0), Value(3.0)]
    assert drop.eval()(xs) is xs
    assert Dropout(0.0)(xs) is xs
    assert [v.data for v in Dropout(1.0)(xs)] == [0.0, 0.0]


@pytest.mark.parametrize("p, error", [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError),
                                      ("0.5", TypeError), (True, TypeError), (None, TypeError)])
def test_dropout_probability_is_checked(p, error):
    with pytest.raises(error, match="between 0 and 1"):
        Dropout(p)
    with pytest.raises(error, match="between 0 and 1"):
        MLP(2, [1], dropout=p)  # checked even with no hidden layer to drop from


def test_train_and_eval_reach_every_submodule():
    model = MLP(2, [8, 8, 1], dropout=0.5)
    drops = [l for l in model.layers if isinstance(l, Dropout)]
    assert len(drops) == 2 and "Dropout(p=0.5)" in repr(model)
    assert model.eval() is model
    assert not model.training and not any(d.training for d in drops)
    random.seed(0)
    a = model([1.0, -1.0]).data
    assert model([1.0, -1.0]).data == a  # no randomness in eval mode
    model.train()
    assert model.training and all(d.training for d in drops)
    assert all(n.training for l in model.layers if isinstance(l, Layer) for n in l.neurons)
    assert len(model.parameters()) == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
