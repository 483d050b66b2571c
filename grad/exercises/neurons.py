"""Notebook 06: a neuron's forward pass, counting parameters, a layer's parameters, an MLP's forward pass.

Each checker builds the learner's object and the package's (`grad.nn`) with the same
`random.seed`, on several sizes and inputs, and compares outputs and gradients (check()
puts the learner's random state back afterwards).
"""
from __future__ import annotations

import math
import random

from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, Mistake, a_class, attr, close, describe,
                            function, items, run, to_float, whole)
from grad.nn import MLP, Layer, Neuron


def _inputs(n: int, shift: float = 0.0) -> list[float]:
    """A fixed, varied input vector of length n (no zeros, mixed signs)."""
    return [round(0.9 * math.sin(1.7 * k + 0.4 + shift) + 0.15 * (-1) ** k, 3) for k in range(n)]


def _grads_differ(mine: list[Value], ref: list[Value]) -> bool:
    return len(mine) != len(ref) or any(not close(a.grad, b.grad, rel=1e-6, abs_=1e-9)
                                        for a, b in zip(mine, ref))


def _values(x, what: str) -> list:
    """A list of the learner's Values (its own list left alone)."""
    return list(items(x, what))


def _backward(out) -> None:
    run(attr(out, "backward", "the output"), what="backward() on your output", changes=True)


# ---- 1. a neuron's forward pass ------------------------------------------------------------
def _test_neuron(cls) -> str | None:
    a_class(cls, "TanhNeuron")
    # the first neuron's w·x + b is negative, so ReLU (0), no activation (w·x + b) and
    # tanh tell themselves apart there
    for nin, seed, bias in ((2, 1, -0.3), (1, 0, 0.5), (3, 2, 1.2), (5, 3, -0.8)):
        random.seed(seed)
        mine = run(cls, nin, what=f"TanhNeuron({nin})")
        random.seed(seed)
        ref = Neuron(nin, activation="tanh")
        ws = _values(attr(mine, "w", f"TanhNeuron({nin})"), f"TanhNeuron({nin}).w")
        b = attr(mine, "b", f"TanhNeuron({nin})")
        if len(ws) != nin or not all(isinstance(w, Value) for w in ws) or not isinstance(b, Value):
            return (f"TanhNeuron({nin}) should have {nin} weights and a bias, all Values; "
                    "keep the __init__ as given")
        b.data = ref.b.data = bias  # a bias that is not 0, so forgetting it shows
        x = _inputs(nin, seed)
        out = run(mine, x, what=f"TanhNeuron({nin})({x})")
        if out is None:
            return f"TanhNeuron({nin})({x}) returned None: is the `return` missing?"
        if not isinstance(out, Value):
            return (f"TanhNeuron({nin})({x}) returned a {type(out).__name__}, not a Value: build "
                    "the output from the Values self.w and self.b so backward() can reach them")
        expected = ref(x)
        if not close(out.data, expected.data):
            if to_float(out.data) is None:
                return f"TanhNeuron({nin})({x}) has data {describe(out.data)}, not a number"
            z = sum(w.data * xi for w, xi in zip(ref.w, x))
            slips = [  # (what the slip returns here, what to say), told apart on these inputs
                (z + bias, f"for x = {x} you returned w·x + b = {out.data:.4f}, but the neuron's "
                           f"output is tanh(w·x + b) = {expected.data:.4f}: the activation is missing"),
                (max(0.0, z + bias), f"for x = {x} you returned {out.data:.4f}, which is "
                                     f"ReLU(w·x + b); this neuron's activation is tanh "
                                     f"({expected.data:.4f})"),
                (1 / (1 + math.exp(-(z + bias))), f"for x = {x} you returned {out.data:.4f}, "
                                                  f"which is sigmoid(w·x + b); this neuron's "
                                                  f"activation is tanh ({expected.data:.4f})"),
                (math.tanh(z), f"with bias b = {bias} the output should be "
                               f"{expected.data:.4f}, you returned {out.data:.4f}: the bias "
                               "is missing"),
                (z, f"with bias b = {bias} the output should be {expected.data:.4f}, you "
                    f"returned w·x = {out.data:.4f}: both the bias and the activation are "
                    "missing"),
            ]
            matches = [say for value, say in slips if close(out.data, value)]
            if len(matches) == 1:
                return matches[0]
            return (f"TanhNeuron({nin}) with weights {[round(w.data, 4) for w in ref.w]}, bias "
                    f"{bias} and x = {x} should output {expected.data:.4f}, you returned {out.data:.4f}")
        _backward(out)
        expected.backward()
        if _grads_differ(ws + [b], ref.parameters()):
            return ("the output is right but the gradients of w and b are not: compute it with "
                    "Value operations on self.w and self.b (no .data inside)")
    return None


neuron = Exercise(
    title="A neuron's forward pass",
    answer_name="TanhNeuron",
    test=_test_neuron,
    nudge_text="a neuron weighs each input, adds the weighted inputs and its bias, and "
               "squashes the total; keep every step in Values, so gradients can flow back.",
    hint_text="pair each weight with its input (zip), multiply and add them all up starting "
              "the sum from the bias (so it stays a Value), then apply the Value's tanh().",
    solution_code='''
        import random
        from grad import Value   # the notebook's Value already (its first cell)

        class TanhNeuron:
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)  # w·x + b
                return act.tanh()
    ''',
    mistakes=[Mistake('''
        import random
        from grad import Value

        class TanhNeuron:  # forgets the bias
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                return sum(wi * xi for wi, xi in zip(self.w, x)).tanh()
    ''', says='the bias is missing'), Mistake('''
        import random
        from grad import Value

        class TanhNeuron:  # forgets the activation
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                return sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
    ''', says='the activation is missing'), Mistake('''
        import math, random
        from grad import Value

        class TanhNeuron:  # right number, but computed outside the graph
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                z = sum(wi.data * xi for wi, xi in zip(self.w, x)) + self.b.data
                return Value(math.tanh(z))
    ''', says='gradients of w and b are not'), Mistake('''
        import random
        from grad import Value

        class TanhNeuron:  # ReLU instead of tanh
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                return sum((wi * xi for wi, xi in zip(self.w, x)), self.b).relu()
    ''', says="which is ReLU(w·x + b)"), Mistake('''
        import random
        from grad import Value

        class TanhNeuron:  # neither bias nor activation
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                return sum(wi * xi for wi, xi in zip(self.w, x))
    ''', says="both the bias and the activation are missing"), Mistake('''
        import random
        from grad import Value

        class TanhNeuron:  # forgets to return
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)

            def __call__(self, x):
                act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
                act.tanh()
    ''', says="is the `return` missing?")],
)


# ---- 2. counting parameters ----------------------------------------------------------------
# the first size tells the typical slips apart: 41 right, 32 weights only, 36 with the
# network's nin everywhere, 9 neurons
SIZES = [(3, [4, 4, 1]), (1, [1]), (2, [16, 16, 1]), (5, [3]), (4, [10, 1]), (2, [1, 1, 1, 1]),
         (7, [2, 9])]


def _test_count(count_parameters) -> str | None:
    function(count_parameters, "count_parameters")
    for nin, nouts in SIZES:
        what = f"count_parameters({nin}, {nouts})"
        got = whole(run(count_parameters, nin, list(nouts), what=what), what)
        expected = len(MLP(nin, nouts).parameters())
        if got == expected:
            continue
        sizes = [nin] + nouts
        weights_only = sum(a * b for a, b in zip(sizes, sizes[1:]))
        same_input = sum((nin + 1) * n for n in nouts)
        if got == weights_only:
            return (f"count_parameters({nin}, {nouts}) returned {got}: that counts the weights "
                    f"only; every neuron also has a bias (the answer is {expected})")
        if got == sum(nouts) and got not in (weights_only, same_input):
            return (f"count_parameters({nin}, {nouts}) returned {got}: that is the number of "
                    f"neurons; each one holds a weight per input and a bias (the answer is "
                    f"{expected})")
        if got == same_input:
            return (f"count_parameters({nin}, {nouts}) returned {got}: each layer's inputs are "
                    "the previous layer's outputs, not the network's nin")
        return f"count_parameters({nin}, {nouts}) returned {got}, but MLP({nin}, {nouts}) has {expected}"
    return None


count = Exercise(
    title="Counting parameters",
    answer_name="count_parameters",
    test=_test_count,
    nudge_text="count layer by layer: how many numbers does one neuron hold, and how many "
               "inputs does each layer's neuron see?",
    hint_text="a layer with nin inputs and nout neurons has nout * (nin + 1) parameters (nin "
              "weights and a bias per neuron); the next layer's nin is this layer's nout.",
    solution_code='''
        def count_parameters(nin, nouts):
            sizes = [nin] + list(nouts)
            return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    ''',
    mistakes=[Mistake('''
        def count_parameters(nin, nouts):  # forgets the biases
            sizes = [nin] + list(nouts)
            return sum(a * b for a, b in zip(sizes, sizes[1:]))
    ''', says='counts the weights only'), Mistake('''
        def count_parameters(nin, nouts):  # every layer reads the network's inputs
            return sum((nin + 1) * n for n in nouts)
    ''', says="not the network's nin"), Mistake('''
        def count_parameters(nin, nouts):  # counts the neurons
            return sum(nouts)
    ''', says="the number of neurons"), Mistake('''
        def count_parameters(nin, nouts):  # forgets to return
            sizes = [nin] + list(nouts)
            sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    ''', says="None")],
)


# ---- 3. a layer's parameters ---------------------------------------------------------------
def _test_layer_parameters(cls) -> str | None:
    a_class(cls, "TanhLayer")
    for nin, nout, seed in ((2, 3, 1), (1, 1, 0), (3, 4, 2), (4, 2, 3)):
        random.seed(seed)
        layer = run(cls, nin, nout, what=f"TanhLayer({nin}, {nout})")
        random.seed(seed)
        ref = Layer(nin, nout, activation="tanh")
        neurons = _values(attr(layer, "neurons", "the layer"), "layer.neurons")
        own = [p for n in neurons for p in n.parameters()]
        got = run(attr(layer, "parameters", "the layer"), what="parameters()")
        if got is None:
            return "parameters() returned None: is the `return` missing?"
        if not isinstance(got, list):
            return f"parameters() returned {describe(got)}; return a list"
        got = list(list.__iter__(got))
        if any(isinstance(p, (list, tuple)) for p in got):
            return ("parameters() returned a list of lists (one per neuron); return one flat "
                    "list of Values, e.g. with a double loop in a list comprehension")
        expected = nout * (nin + 1)
        if len(got) != expected:
            biases = sum(any(p is n.b for n in neurons) for p in got)
            if biases == 0 and len(got) == nin * nout:
                return (f"TanhLayer({nin}, {nout}) has {expected} parameters, you returned "
                        f"{len(got)}: the biases are missing")
            return f"Layer({nin}, {nout}) has {expected} parameters; you returned {len(got)}"
        if any(not isinstance(p, Value) for p in got):
            return "every parameter must be a Value (the neuron's own w and b, not their .data)"
        ids = {id(p) for p in own}
        if len({id(p) for p in got}) != len(got) or any(id(p) not in ids for p in got):
            return ("return the neurons' own Values, each once (copies would not be trained: an "
                    "update to a copy never reaches the neuron)")
        if sorted(p.data for p in got) != sorted(p.data for p in ref.parameters()):
            return "your parameters differ from grad.nn.Layer's with the same seed"
    return None


layer_parameters = Exercise(
    title="A layer's parameters",
    answer_name="TanhLayer",
    test=_test_layer_parameters,
    nudge_text="every neuron already knows its own parameters; the layer's list holds all "
               "of them, in one flat list.",
    hint_text="each neuron's parameters() is a list; join all of those lists into one flat "
              "list (a list comprehension with two `for`s, or extend in a loop).",
    solution_code='''
        from grad.nn import Neuron as PackageNeuron   # as in the exercise: your Neuron stays

        class TanhLayer:
            def __init__(self, nin, nout):
                self.neurons = [PackageNeuron(nin, activation="tanh") for _ in range(nout)]

            def parameters(self):
                return [p for n in self.neurons for p in n.parameters()]
    ''',
    mistakes=[Mistake('''
        from grad.nn import Neuron

        class TanhLayer:  # a list of lists
            def __init__(self, nin, nout):
                self.neurons = [Neuron(nin, activation="tanh") for _ in range(nout)]

            def parameters(self):
                return [n.parameters() for n in self.neurons]
    ''', says='a list of lists'), Mistake('''
        from grad.nn import Neuron

        class TanhLayer:  # weights only
            def __init__(self, nin, nout):
                self.neurons = [Neuron(nin, activation="tanh") for _ in range(nout)]

            def parameters(self):
                return [w for n in self.neurons for w in n.w]
    ''', says='the biases are missing'), Mistake('''
        from grad import Value
        from grad.nn import Neuron

        class TanhLayer:  # copies: training them would not change the layer
            def __init__(self, nin, nout):
                self.neurons = [Neuron(nin, activation="tanh") for _ in range(nout)]

            def parameters(self):
                return [Value(p.data) for n in self.neurons for p in n.parameters()]
    ''', says="return the neurons' own Values")],
)


# ---- 4. an MLP's forward pass --------------------------------------------------------------
def _test_mlp_call(cls) -> str | None:
    a_class(cls, "MyMLP")
    for nin, nouts, seed in ((1, [1], 0), (2, [3, 1], 1), (3, [4, 4, 1], 2), (2, [2, 2], 3),
                             (3, [5, 2], 4)):
        random.seed(seed)
        mine = run(cls, nin, list(nouts), what=f"MyMLP({nin}, {nouts})")
        random.seed(seed)
        ref = MLP(nin, nouts, activation="tanh")
        layers = _values(attr(mine, "layers", f"MyMLP({nin}, {nouts})"), "self.layers")
        params = [p for layer in layers for p in layer.parameters()]
        x = _inputs(nin, seed)
        try:
            out = run(mine, x, what=f"MyMLP({nin}, {nouts})({x})")
        except LearnerFailed as e:
            if isinstance(e.error, ValueError):  # a layer got an input of the wrong length
                return (f"{e.message}. Each layer reads the previous layer's output, in the "
                        "order of self.layers")
            raise
        if out is None:
            return f"MyMLP({nin}, {nouts})({x}) returned None: is the `return` missing?"
        expected = ref(x)
        outs = out if isinstance(out, list) else [out]
        exps = expected if isinstance(expected, list) else [expected]
        if (len(outs) != len(exps) or isinstance(out, list) != isinstance(expected, list)
                or any(not isinstance(o, Value) for o in outs)):
            shape = "a single Value" if len(exps) == 1 else f"a list of {len(exps)} Values"
            got = (f"a list of {len(out)} item{'' if len(out) == 1 else 's'}"
                   if isinstance(out, list) else f"a {type(out).__name__}")
            return (f"MyMLP({nin}, {nouts})({x}) should return {shape} (what the last layer "
                    f"returns), got {got}")
        if all(close(o.data, math.tanh(e.data)) for o, e in zip(outs, exps)):
            return (f"MyMLP({nin}, {nouts})({x}) returned {[round(o.data, 4) for o in outs]}, "
                    "which is tanh of the last layer's output: the last layer is linear, so "
                    "return what it returns as it is")
        if any(not close(o.data, e.data) for o, e in zip(outs, exps)):
            return (f"MyMLP({nin}, {nouts})({x}) returned {[round(o.data, 4) for o in outs]}, "
                    f"expected {[round(e.data, 4) for e in exps]}: feed each layer's output to "
                    "the next layer")
        run(lambda: sum(outs).backward(), what="backward() on your output", changes=True)
        sum(exps).backward()
        if _grads_differ(params, ref.parameters()):
            return "the outputs are right but the gradients are not: keep every step in Values"
    return None


mlp_call = Exercise(
    title="An MLP's forward pass",
    answer_name="MyMLP",
    test=_test_mlp_call,
    nudge_text="the layers form a chain: what does each layer take as its input?",
    hint_text="feed the input through the layers one after another, each layer reading the "
              "previous layer's output, and return what comes out of the last one.",
    solution_code='''
        from grad.nn import Layer as PackageLayer   # as in the exercise: your Layer stays

        class MyMLP:
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [PackageLayer(sizes[i], sizes[i + 1],
                                            activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x
    ''',
    mistakes=[Mistake('''
        from grad.nn import Layer

        class MyMLP:  # every layer reads the network's input
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                for layer in self.layers:
                    out = layer(x)
                return out
    ''', says="Each layer reads the previous layer's output"), Mistake('''
        from grad.nn import Layer

        class MyMLP:  # returns every layer's output
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                outs = []
                for layer in self.layers:
                    x = layer(x)
                    outs.append(x)
                return outs
    ''', says='what the last layer'), Mistake('''
        from grad.nn import Layer

        class MyMLP:  # only the first layer
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                return self.layers[0](x)
    ''', says="got a list of 3 items"), Mistake('''
        from grad.nn import Layer

        class MyMLP:  # always a list, even for a single output
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x if isinstance(x, list) else [x]
    ''', says="should return a single Value (what the last layer returns), got a list of 1 item"), Mistake('''
        from grad.nn import Layer

        class MyMLP:  # squashes the linear output
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x.tanh()
    ''', says="which is tanh of the last layer's output"), Mistake('''
        from grad.nn import Layer

        class MyMLP:  # the layers in reverse order
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [Layer(sizes[i], sizes[i + 1],
                                     activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]

            def __call__(self, x):
                for layer in reversed(self.layers):
                    x = layer(x)
                return x
    ''', says="in the order of self.layers")],
)
