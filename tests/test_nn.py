"""Neurons, layers, MLPs: shapes, parameter counts, defaults and errors."""
import random

import pytest

from grad import Value
from grad.nn import MLP, Layer, Module, Neuron


def test_micrograd_demo_model_shape():
    model = MLP(2, [16, 16, 1])
    assert len(model.parameters()) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    out = model([0.5, -1.0])
    assert isinstance(out, Value)  # one output neuron: a single Value
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", "linear"]


def test_lecture_network_with_tanh():
    random.seed(0)
    model = MLP(3, [4, 4, 1], activation="tanh")
    assert len(model.parameters()) == 41
    hidden = model.layers[0]([2.0, 3.0, -1.0])
    assert len(hidden) == 4 and all(-1 < h.data < 1 for h in hidden)
    tanh_out = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")([2.0, 3.0, -1.0])
    assert tanh_out._op == "tanh(w·x+b)"  # the activation is part of the neuron's node


def test_layer_returns_a_list_or_a_single_value():
    assert len(Layer(3, 5)([1.0, 2.0, 3.0])) == 5
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), Value)


def test_neuron_defaults_and_repr():
    random.seed(1)
    n = Neuron(3)
    assert len(n.parameters()) == 4 and n.b.data == 0.0
    assert all(-1 <= w.data <= 1 for w in n.w)
    assert repr(n) == "ReLUNeuron(3)" and repr(Neuron(2, nonlin=False)) == "LinearNeuron(2)"
    assert n([1.0, 2.0, 3.0]).data >= 0  # ReLU
    assert repr(Neuron(2, activation="tanh")) == "TanhNeuron(2)"


def test_mlp_repr_is_readable():
    text = repr(MLP(2, [16, 16, 1]))
    assert text.splitlines()[0] == "MLP(2 -> 16 -> 16 -> 1, 337 parameters)"
    assert "Layer(16 -> 1, linear)" in text


def test_random_seed_reproduces_initialisation():
    random.seed(42)
    a = [p.data for p in MLP(2, [8, 1]).parameters()]
    random.seed(42)
    b = [p.data for p in MLP(2, [8, 1]).parameters()]
    assert a == b and len(set(a)) > 2


def test_zero_grad_resets_every_parameter():
    model = MLP(2, [4, 1])
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())
    assert Module().parameters() == []


def test_forward_matches_hand_computation():
    n = Neuron(2, activation="tanh")
    n.w[0].data, n.w[1].data, n.b.data = -3.0, 1.0, 6.8813735870195432
    assert n([2.0, 0.0]).data == pytest.approx(2 ** -0.5)


@pytest.mark.parametrize("x", [[1.0], [1.0, 2.0, 3.0], []])
def test_wrong_input_length_is_a_value_error(x):
    with pytest.raises(ValueError, match="expected 2 inputs"):
        MLP(2, [3, 1])(x)
    with pytest.raises(ValueError, match="expected 2 inputs"):
        Neuron(2)(x)


def test_single_input_can_be_a_number():
    model = MLP(1, [4, 1])
    assert model(0.5).data == model([0.5]).data


@pytest.mark.parametrize("x", [["a", "b"], [None, 1.0], [[1.0], [2.0]]])
def test_non_numeric_input_is_a_type_error(x):
    with pytest.raises(TypeError):
        MLP(2, [3, 1])(x)


@pytest.mark.parametrize("args, error", [((0, [1]), ValueError), ((2, []), ValueError),
                                         ((2, [0]), ValueError), ((2, 3), TypeError),
                                         ((2.5, [1]), TypeError), ((2, ["4"]), TypeError)])
def test_bad_sizes(args, error):
    with pytest.raises(error):
        MLP(*args)


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation must be one of"):
        MLP(2, [3, 1], activation="softplus")


def test_a_one_neuron_hidden_layer_feeds_the_next_layer():
    assert len(MLP(2, [1, 3])([1.0, 2.0])) == 3


def test_zero_grad_set_to_none_then_backward():
    model = MLP(2, [3, 1])
    model.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    model([1.0, -2.0]).backward()  # starts every None grad afresh
    assert all(isinstance(p.grad, float) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_a_nan_input_comes_out_as_nan():
    import math
    for activation in ("relu", "tanh", "sigmoid", "linear"):
        assert math.isnan(MLP(2, [3, 1], activation=activation)([float("nan"), 0.0]).data)


@pytest.mark.parametrize("kwargs, error, message", [
    (lambda n: dict(activation="softplus"), ValueError, "activation must be one of"),
    (lambda n: dict(activation=None), ValueError, "activation must be one of"),
    (lambda n: dict(output_activation="soft"), ValueError, "output_activation must be one of"),
    (lambda n: dict(dropout=-5), ValueError, "between 0 and 1"),
    (lambda n: dict(dropout="0.5"), TypeError, "between 0 and 1"),
    (lambda n: dict(init="glorot"), ValueError, "init must be one of"),
    (lambda n: dict(init=["uniform"] * (n + 1)), ValueError, "initializers for"),
    (lambda n: dict(init=[[1]] * n), ValueError, "init must be one of"),
])
@pytest.mark.parametrize("nouts", [[1], [4, 1]], ids=["no hidden layer", "one hidden layer"])
def test_every_mlp_argument_is_checked_whatever_the_layers(kwargs, error, message, nouts):
    with pytest.raises(error, match=message):
        MLP(2, nouts, **kwargs(len(nouts)))


@pytest.mark.parametrize("make", [lambda: Neuron(2, activation="bogus"), lambda: Neuron(2, fan_out=0),
                                  lambda: Layer(2, 3, activation=3), lambda: Neuron(True)])
def test_neuron_and_layer_arguments_are_checked(make):
    with pytest.raises((ValueError, TypeError)):
        make()
