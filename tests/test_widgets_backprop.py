"""BackpropStepper: each step shows the right node, gradients and chain-rule text."""
import math
import re

import matplotlib
import pytest

import grad
from grad import Value, weighted_sum
from grad.widgets import base
from grad.widgets.backprop import (CURRENT_COLOR, DONE_COLOR, RECEIVING_COLOR, TAGS,
                                   BackpropStepper, fit_width)

matplotlib.use("Agg")


def neuron(V=Value):
    x1, x2 = V(2.0, label="x1"), V(0.0, label="x2")
    w1, w2 = V(-3.0, label="w1"), V(1.0, label="w2")
    b = V(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def by_label(root):
    return {v.label: v for v in grad.topological_order(root)}


def box(source, label):
    """(fill colour, grad, tag, pen width) of the box labelled `label` in the DOT source."""
    tags = "|".join(re.escape(t) for t in TAGS.values())
    m = re.search(r'\[label="(?:\{ )?' + re.escape(label) + r'(?: (' + tags + r'))? \| data [^|]* '
                  r'\| grad ([^ "]*)(?: \})?"[^\]]*fillcolor="([^"]*)" penwidth=([\d.]+)', source)
    assert m, f"no box labelled {label} in the drawing"
    return m.group(3), float(m.group(2)), m.group(1), float(m.group(4))


def fill(source, label):
    """The fill colour and grad text that the DOT source gives the box labelled `label`;
    a coloured box also carries the tag that says what its colour means."""
    color, grad_, tag, _ = box(source, label)
    assert tag == TAGS.get(color), f"box {label}: colour {color} with tag {tag!r}"
    return color, grad_


def test_steps_are_the_computed_nodes_in_reversed_topological_order():
    w = BackpropStepper(neuron())
    assert [v.label for v in w.steps] == ["o", "n", "x1w1x2w2", "x2w2", "x1w1"]
    assert (w.slider.min, w.slider.max, w.slider.value) == (0, 5, 2)


def test_the_default_state_and_the_snapshot():
    w = BackpropStepper(neuron())
    src = w.graph.source
    assert fill(src, "n") == (CURRENT_COLOR, 0.5)
    assert fill(src, "o") == (DONE_COLOR, 1.0)
    assert fill(src, "b") == (RECEIVING_COLOR, 0.5)
    assert fill(src, "x1w1x2w2") == (RECEIVING_COLOR, 0.5)
    assert fill(src, "x1w1")[1] == 0.0
    snap = w._repr_mimebundle_()["image/svg+xml"]
    assert snap.lstrip().startswith("<?xml") or "<svg" in snap[:500]
    assert snap.rstrip().endswith("</svg>")
    assert w.view.value == fit_width(snap)
    assert "step 2 of 5" in w.text.value and "x1w1x2w2.grad += 1 × 0.5000 = 0.5000" in w.text.value


def test_the_drawing_fits_the_notebook_width():
    w = BackpropStepper(neuron())
    natural = re.search(r'<svg width="([\d.]+)pt" height="[\d.]+pt"', w.svg)
    assert natural, "the snapshot keeps Graphviz's natural size"
    shown = w.view.value[w.view.value.index("<svg"):]
    head = shown[:shown.index(">")]
    assert 'width="100%"' in head and f"max-width: {natural.group(1)}pt" in head
    assert 'height="' not in head and "viewBox=" in head  # the height follows the viewBox
    assert shown.count("<svg") == 1
    w.slider.value = 4
    assert 'width="100%"' in w.view.value and w.view.value.rstrip().endswith("</svg>")
    plain = '<svg viewBox="0 0 10 10"></svg>'
    assert fit_width(plain) == plain  # nothing to rescale: unchanged


def test_moving_the_slider_moves_the_highlight_the_grads_and_the_text():
    w = BackpropStepper(neuron())
    shown = {}
    for k in range(6):
        w.slider.value = k
        shown[k] = (w.graph.source, w.text.value, w.svg)
    assert len({s for s, _, _ in shown.values()}) == 6
    assert len({t for _, t, _ in shown.values()}) == 6
    # step 0: only the seed
    assert fill(shown[0][0], "o") == (RECEIVING_COLOR, 1.0)
    assert fill(shown[0][0], "n")[1] == 0.0
    assert "only the output's grad is seeded" in shown[0][1]
    # step 1: tanh turns 1 into 0.5
    assert fill(shown[1][0], "o") == (CURRENT_COLOR, 1.0)
    assert fill(shown[1][0], "n") == (RECEIVING_COLOR, 0.5)
    assert "(1 − o²) × o.grad = 0.5000 × 1.0000 = 0.5000" in shown[1][1]
    # step 3: the highlight has moved on, earlier nodes are done
    assert fill(shown[3][0], "x1w1x2w2")[0] == CURRENT_COLOR
    assert fill(shown[3][0], "n")[0] == DONE_COLOR
    assert fill(shown[3][0], "x1w1") == (RECEIVING_COLOR, 0.5)
    assert fill(shown[3][0], "x1")[1] == 0.0
    # step 5: the inputs are filled
    assert fill(shown[5][0], "x1w1")[0] == CURRENT_COLOR
    assert fill(shown[5][0], "x1") == (RECEIVING_COLOR, -1.5)
    assert fill(shown[5][0], "w1") == (RECEIVING_COLOR, 1.0)
    assert "x1.grad += w1 × x1w1.grad = -3.0000 × 0.5000 = -1.5000" in shown[5][1]
    assert "Done" in shown[5][1]


def test_the_grads_after_each_step_replay_the_backward_pass():
    w = BackpropStepper(neuron())
    w.slider.value = 1
    assert w.grads[w.steps[1]] == pytest.approx(0.5)          # n
    assert all(g == 0 for v, g in w.grads.items() if v.label not in ("o", "n"))
    w.slider.value = 4
    labels = {v.label: g for v, g in w.grads.items()}
    assert labels["x2"] == pytest.approx(0.5) and labels["x1"] == 0.0


def check_last_step_is_backward(make):
    w = BackpropStepper(make())
    w.slider.value = w.slider.max
    reference = make()
    reference.backward()
    want = [v.grad for v in grad.topological_order(reference)]
    got = [w.grads[v] for v in w.order]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)
    return w


def test_the_last_step_equals_backward():
    check_last_step_is_backward(neuron)


def every_op():
    a, b, c = Value(1.5, label="a"), Value(-0.5, label="b"), Value(2.0, label="c")
    d = (a * b + c) ** 2 / a - b.exp()
    e = (-d).sigmoid() + (a ** c).log() - (d * 0.3).tanh()
    f = weighted_sum([a, b], [c, d], e).relu() + (a // c) + b.relu() + 3
    # neuron nodes, each activation applied inside its weighted sum (a ReLU alive and dead)
    f = (f + weighted_sum([a, c], [b, e], d, activation="tanh")
         + weighted_sum([b], [c], a, activation="sigmoid")
         + weighted_sum([a], [c], b, activation="relu") + weighted_sum([b], [c], b, activation="relu"))
    f.label = "f"
    return f


def test_every_package_op_is_explained_and_agrees_with_its_backward():
    w = check_last_step_is_backward(every_op)
    ops = {v._op for v in w.steps}
    assert {"+", "-", "*", "/", "**2", "**", "neg", "exp", "log", "tanh", "sigmoid",
            "ReLU", "w·x+b", "//", "tanh(w·x+b)", "sigmoid(w·x+b)", "ReLU(w·x+b)"} <= ops
    for k in range(len(w.steps) + 1):
        text = w.describe(k)
        assert "⚠" not in text and "not known" not in text, text
    assert "a.grad += c × t" in " ".join(w.describe(k) for k in range(len(w.steps) + 1))


def reused_graph(V):
    """f = (a*b) * (a+b): a and b each reach f along two paths."""
    a, b = V(-2.0, label="a"), V(3.0, label="b")
    d = a * b
    d.label = "d"
    e = a + b
    e.label = "e"
    f = d * e
    f.label = "f"
    return f


def test_reused_nodes_accumulate_in_the_text():
    w = BackpropStepper(reused_graph(Value), step=3)
    assert "a.grad += b × d.grad = 3.0000 × 1.0000 = 3.0000 (in total -3.0000)" in w.describe()
    assert fill(w.graph.source, "a")[1] == -3.0
    aa = Value(3.0, label="a")
    twice = aa + aa
    text = BackpropStepper(twice).describe(1)
    assert "(in total 1.0000)" in text and "(in total 2.0000)" in text


def test_buttons_move_the_slider_within_its_range():
    w = BackpropStepper(neuron(), step=0)
    w.prev_button.click()
    assert w.slider.value == 0
    w.next_button.click()
    assert w.slider.value == 1 and "step 1 of 5" in w.text.value
    w.next_button.click()
    assert w.slider.value == 2 and fill(w.graph.source, "n")[0] == CURRENT_COLOR
    w.prev_button.click()
    assert w.slider.value == 1
    w.slider.value = 5
    w.next_button.click()
    assert w.slider.value == 5


def test_the_graph_gets_its_own_grads_back():
    o = neuron()
    w = BackpropStepper(o)
    for k in (5, 0, 3):
        w.slider.value = k
        assert all(v.grad == 0 for v in w.order)  # a fresh graph stays fresh
    o.backward()
    before = {v: v.grad for v in w.order}
    for k in (0, 2, 5):
        w.slider.value = k
        assert {v: v.grad for v in w.order} == before


class Mine:
    """A learner's closure-style Value, with a switch for the `=` bug."""
    overwrite = False

    def __init__(self, data, _children=(), _op="", label=""):
        self.data, self.grad = data, 0.0
        self._backward = lambda: None
        self._prev, self._op, self.label = tuple(_children), _op, label

    def _put(self, v, amount):
        v.grad = amount if self.overwrite else v.grad + amount

    def __add__(self, other):
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self._put(self, out.grad)
            self._put(other, out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self._put(self, other.data * out.grad)
            self._put(other, self.data * out.grad)
        out._backward = _backward
        return out

    def tanh(self):
        out = type(self)(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self._put(self, (1 - out.data ** 2) * out.grad)
        out._backward = _backward
        return out


class Buggy(Mine):
    overwrite = True


def test_it_steps_through_a_learners_own_value_class():
    w = BackpropStepper(neuron(Mine))
    w.slider.value = 5
    assert {v.label: round(g, 4) for v, g in w.grads.items()}["x1"] == -1.5
    assert "⚠" not in w.describe()


def test_it_flags_a_backward_step_that_overwrites():
    w = BackpropStepper(reused_graph(Buggy), step=2)
    assert "⚠" not in w.describe()
    w.slider.value = 3
    assert "⚠ but this node's _backward() left a.grad = 3.0000, not -3.0000" in w.describe()
    assert "overwrite" in w.text.value and "⚠" in w.graph.source


def test_the_last_step_says_how_many_gradients_disagree_with_the_chain_rule():
    w = BackpropStepper(reused_graph(Buggy))
    last = w.describe(len(w.steps))
    assert "every gradient is filled in" not in last
    assert "2 gradients disagree with the chain rule (a.grad, b.grad)" in last
    w.slider.value = len(w.steps)
    assert "2 gradients disagree" in w.text.value
    # a correct class, ours or the package's, gets the plain closing line
    for V in (Mine, Value):
        done = BackpropStepper(reused_graph(V)).describe(3)
        assert "every gradient is filled in" in done and "disagree" not in done


def test_chain_rule_grads_match_backward():
    root = neuron()
    expected = BackpropStepper(root).chain_rule_grads()
    root.backward()
    assert all(math.isclose(g, v.grad, abs_tol=1e-12) for v, g in expected.items())


def test_a_failing_backward_step_is_shown_not_raised():
    a, b = Mine(2.0, label="a"), Mine(3.0, label="b")
    c = a * b
    c.label = "c"

    def broken():
        raise NotImplementedError("not written yet")
    c._backward = broken
    w = BackpropStepper(c, step=1)
    assert "raised NotImplementedError: not written yet" in w.describe()


def test_unlabelled_nodes_get_names_in_the_text_and_the_drawing():
    x = Value(1.5)
    y = (x * 2 + 1).tanh()
    w = BackpropStepper(y, step=1)
    assert "t3 = tanh(t2)" in w.describe()
    assert 'label="t2 ← receives | data' in w.graph.source
    assert y.label == "" and y._prev[0].label == ""   # the labels are put back


def test_bad_input_gives_clear_errors():
    with pytest.raises(TypeError, match="needs a Value"):
        BackpropStepper(3.0)
    with pytest.raises(ValueError, match="from 0 to 5"):
        BackpropStepper(neuron(), step=6)
    with pytest.raises(ValueError, match="from 0 to 5"):
        BackpropStepper(neuron()).describe(-1)
    x = Value(0.0)
    for _ in range(70):
        x = x + 1
    with pytest.raises(ValueError, match="at most 60"):
        BackpropStepper(x)
    import numpy as np
    from grad.tensor import Tensor
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="draw_dot"):
        BackpropStepper((t * t).sum())
    with pytest.raises(ValueError, match="rankdir"):
        BackpropStepper(neuron(), rankdir="sideways")
    with pytest.raises(ValueError, match="at least 1"):
        BackpropStepper(neuron(), max_nodes=0)
    with pytest.raises(TypeError, match="whole number"):
        BackpropStepper(neuron(), max_nodes=2.5)


def test_a_single_leaf_has_no_steps():
    w = BackpropStepper(Value(2.0, label="x"))
    assert w.steps == [] and w.slider.max == 0
    assert "x.grad = 1" in w.describe()


def test_describe_on_several_lines():
    text = BackpropStepper(neuron()).describe(5, multiline=True)
    lines = text.splitlines()
    assert lines[0] == "step 5 of 5: x1w1 = x1 * w1 (*), x1w1.grad = 0.5000:"
    assert lines[1] == "    x1.grad += w1 × x1w1.grad = -3.0000 × 0.5000 = -1.5000"
    assert lines[-1].startswith("Done") and lines[-1].endswith(".")


def test_colours_are_colour_blind_safe_and_each_has_a_tag_and_a_thick_border():
    okabe_ito = {base.YELLOW, base.ORANGE, base.BLUISH_GREEN}
    assert {CURRENT_COLOR, RECEIVING_COLOR} <= okabe_ito
    assert len({CURRENT_COLOR, RECEIVING_COLOR, DONE_COLOR}) == 3
    assert len(set(TAGS.values())) == 3
    w = BackpropStepper(neuron(), step=3)
    src = w.graph.source
    for label in ("x1w1x2w2", "x1w1", "x2w2", "n", "o"):
        color, _, tag, pen = box(src, label)
        assert tag == TAGS[color] and pen > 1          # colour, word and border agree
    color, _, tag, pen = box(src, "x1")
    assert tag is None and pen == 1                    # an untouched box: no tag, thin border
    for tag in TAGS.values():                           # the legend shows the same words
        assert tag in w.text.value
    assert "► now" in w.svg                             # and the picture shows them


def test_every_step_tags_what_it_colours():
    w = BackpropStepper(every_op())
    for k in range(w.slider.max + 1):
        w.slider.value = k
        tagged = re.findall(r'label="[^"]*? (► now|← receives|• done) \|[^\]]*fillcolor="([^"]*)"',
                            w.graph.source)
        assert tagged and all(TAGS[color] == tag for tag, color in tagged)
        assert sum(tag == "► now" for tag, _ in tagged) == (1 if k else 0)


class Fixed(Mine):
    """A learner's class whose label cannot be set: the stepper draws it without tags."""
    @property
    def label(self):
        return "?"

    @label.setter
    def label(self, value):
        if getattr(self, "frozen", False):  # made: from now on the label is fixed
            raise AttributeError("read-only")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frozen = True


def test_a_class_whose_labels_cannot_change_still_steps():
    a, b = Fixed(2.0), Fixed(3.0)
    w = BackpropStepper(a * b, step=1)
    assert "data 6.0000" in w.graph.source and w.slider.max == 1


def test_neuron_nodes_with_huge_or_nan_outputs_are_explained_as_the_engine_computes_them():
    nan, inf = math.nan, math.inf
    graphs = [weighted_sum([Value(1e200)], [Value(1.0)], 0.0),            # o**2 would overflow
              weighted_sum([Value(1e200)], [Value(1.0)], 0.0, activation="tanh"),
              Value(400.0).exp() * 2,
              weighted_sum([Value(nan)], [Value(2.0)], 0.5, activation="relu"),  # NaN passes
              Value(nan).relu() * 3,
              weighted_sum([Value(0.5), Value(-1.0)], [Value(inf), Value(2.0)], 0.1, "relu")]
    for f in graphs:
        w = BackpropStepper(f)
        text = " ".join(w.describe(k) for k in range(len(w.steps) + 1))
        assert "⚠" not in text and "disagree" not in text, text
