"""The attention explorer: every control over its range, and every readout true to the weights."""
import base64
import re
import warnings

import matplotlib
import numpy as np
import pytest

from grad.tensor import Tensor
from grad.widgets import AttentionExplorer
from grad.widgets.attention import AVERAGE, check_attention, top_positions, visible
from grad.widgets.base import control_positions

matplotlib.use("Agg")

TEXT = "a cat\nsat on it"   # 15 characters, a space and a newline among them


def causal_weights(layers=2, heads=3, T=len(TEXT), seed=0, sharp=2.0):
    """Softmax rows of random scores with the future masked: row-stochastic and causal."""
    rng = np.random.default_rng(seed)
    scores = sharp * rng.normal(size=(layers, heads, T, T))
    scores = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, scores)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def explorer():
    return AttentionExplorer(causal_weights(), list(TEXT))


def bar_heights(w):
    """The heights of the bars drawn, position by position."""
    return np.array([max(y for _, y in path.vertices) for path in w.bars.get_paths()])


def named(w):
    """The (token, position, weight) triples the readout names, in its order."""
    return [(t, int(p), float(x)) for t, p, x in
            re.findall(r"<b>([^<]+)</b> at (\d+) \(([\d.]+)\)", w.readout.value)]


def check_state(w):
    """Everything the widget shows agrees with the weights for the controls' values."""
    layer, head, q = w.layer.value, w.head.value, w.query.value
    matrix = w.weights[layer].mean(axis=0) if head == AVERAGE else w.weights[layer, head]
    row = matrix[q]
    assert np.array_equal(w.row(), row) and np.array_equal(w.images.get_array(), matrix)
    # the heatmap greys out exactly the masked future, above the diagonal
    T = len(row)
    assert np.array_equal(np.ma.getmaskarray(w.images.get_array()), np.triu(np.ones((T, T), bool), k=1))
    # the bars: the row up to the query, nothing after it
    assert np.allclose(bar_heights(w), np.where(np.arange(len(row)) <= q, row, 0.0))
    # the readout names the three largest weights (or all of them, near the start), largest first
    k = min(3, q + 1)
    largest = sorted(range(q + 1), key=lambda p: (-row[p], p))[:k]
    assert [p for _, p, _ in named(w)] == largest
    assert [x for _, _, x in named(w)] == [float(f"{row[p]:.2f}") for p in largest]
    assert [t for t, _, _ in named(w)] == [visible(w.tokens[p]) for p in largest]
    assert list(w.tops.get_xdata()) == largest
    # the outlined row of the heatmap is the query's
    assert w.outline.get_y() == q - 0.5 and w.outline.get_height() == 1
    assert bytes(w.image.value).startswith(b"\x89PNG")


def test_default_state_is_the_last_query_of_the_first_head(explorer):
    assert (explorer.layer.value, explorer.head.value, explorer.query.value) == (0, 0, len(TEXT) - 1)
    assert not explorer.query.continuous_update
    assert "query position <b>14</b>" in explorer.readout.value
    check_state(explorer)


def test_every_control_over_its_whole_range_tells_the_truth(explorer):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for layer in control_positions(explorer.layer):
            explorer.layer.value = layer
            for head in control_positions(explorer.head):
                explorer.head.value = head
                for q in control_positions(explorer.query):
                    explorer.query.value = q
                    check_state(explorer)
    explorer.layer.value, explorer.head.value, explorer.query.value = 0, 0, len(TEXT) - 1


def test_the_heads_average_is_offered_and_is_itself_attention(explorer):
    assert control_positions(explorer.head) == [0, 1, 2, AVERAGE]
    explorer.head.value = AVERAGE
    m = explorer.matrix()
    assert np.allclose(m, explorer.weights[0].mean(axis=0))
    assert np.allclose(m.sum(axis=-1), 1) and np.all(np.triu(m, k=1) == 0)
    assert "the average of its heads" in explorer.readout.value
    explorer.head.value = 0


def test_moving_a_control_changes_the_picture(explorer):
    before = bytes(explorer.image.value)
    explorer.query.value = 5
    after_query = bytes(explorer.image.value)
    explorer.layer.value = 1
    assert before != after_query != bytes(explorer.image.value)
    explorer.layer.value, explorer.query.value = 0, len(TEXT) - 1
    assert bytes(explorer.image.value) == before   # the same state draws the same picture


def test_the_context_is_shaded_by_weight_and_the_future_greyed(explorer):
    explorer.query.value = 8
    row = explorer.row()
    spans = re.findall(r"<span title='position (\d+): ([^']*)' style='([^']*)'>([^<]*)</span>",
                       explorer.context.value)
    assert [int(p) for p, *_ in spans] == list(range(len(TEXT)))
    backgrounds = {int(p): re.search(r"background:(#\w+)", s).group(1)
                   for p, _, s, _ in spans if int(p) <= 8}
    lightness = {p: np.dot([int(c[i:i + 2], 16) for i in (1, 3, 5)], [0.2126, 0.7152, 0.0722])
                 for p, c in backgrounds.items()}
    assert min(lightness, key=lightness.get) == int(np.argmax(row[:9]))  # darkest: the largest
    for a in range(9):                    # more weight, darker (where the weights differ visibly)
        for b in range(9):
            if row[a] > row[b] + 0.02:
                assert lightness[a] < lightness[b]
    for p, tip, style, text in spans:
        if int(p) > 8:
            assert "after the query" in tip and "dashed" in style and "background" not in style
        else:
            assert f"weight {row[int(p)]:.3f}" in tip
        assert text == visible(TEXT[int(p)])
    assert "solid #D55E00" in spans[8][2]        # the query itself is outlined
    assert "⏎</span><br>" in explorer.context.value and "␣" in explorer.context.value
    explorer.query.value = len(TEXT) - 1


def test_spaces_newlines_and_tabs_are_shown():
    assert [visible(t) for t in [" ", "\n", "\t", "a", "a b"]] == ["␣", "⏎", "⇥", "a", "a␣b"]


def test_top_positions_lists_ties_from_the_earliest():
    assert top_positions(np.array([0.2, 0.4, 0.2, 0.2]), 3) == [(1, 0.4), (0, 0.2), (2, 0.2)]


def test_the_first_query_sees_only_itself():
    w = AttentionExplorer(causal_weights(1, 1, 4), list("abcd"), query=0)
    assert named(w) == [("a", 0, 1.0)] and len(w.tops.get_xdata()) == 1
    check_state(w)


def test_a_string_and_a_tensor_are_accepted():
    weights = causal_weights(1, 2, 5)
    w = AttentionExplorer(Tensor(weights), "hello", layer=0, head=1, query=3)
    assert w.tokens == list("hello") and np.array_equal(w.weights, weights)
    check_state(w)


def test_a_long_context_names_every_few_positions():
    T = 100
    w = AttentionExplorer(causal_weights(1, 1, T), ["x"] * T)
    labels = [t for t in w.ax.texts if t.get_text() == "x"]
    assert 30 <= len(labels) <= 50   # every third position, not a hundred overlapping labels
    check_state(w)


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data


def weights_with(change):
    w = causal_weights(1, 2, 4)
    change(w)
    return w


@pytest.mark.parametrize("weights, tokens, error, words", [
    (causal_weights(1, 1, 4)[0, 0], "abcd", ValueError, r"shape \(layers, heads, T, T\).*w\[None, None\]"),
    (np.ones((1, 1, 4, 3)) / 3, "abcd", ValueError, "got shape"),
    (np.zeros((1, 0, 4, 4)), "abcd", ValueError, "none of them 0"),
    (np.array([["a"]]), "a", TypeError, "real numbers"),
    ("weights", "a", TypeError, "real numbers"),
    (weights_with(lambda w: w.__setitem__((0, 1, 2, 0), np.nan)), "abcd", ValueError,
     r"finite; weights\[0, 1, 2, 0\] is nan"),
    (weights_with(lambda w: w.__setitem__((0, 0, 3, 0), -0.5)), "abcd", ValueError, "at least 0"),
    (np.ones((1, 1, 3, 3)) / 3, "abc", ValueError, r"causal: weights\[0, 0\] puts 0.3333 on position 1, "
                                                   "after its query 0"),
    (weights_with(lambda w: w.__setitem__((0, 1, 2, 0), w[0, 1, 2, 0] + 0.1)), "abcd", ValueError,
     r"row weights\[0, 1, 2\] sums to 1.1"),
    (causal_weights(1, 1, 4), "abc", ValueError, "T = 4 positions, but 3 tokens"),
    (causal_weights(1, 1, 4), [1, 2, 3, 4], TypeError, "tokens must be strings"),
    (causal_weights(1, 1, 4), 1234, TypeError, "list of T strings"),
])
def test_bad_weights_and_tokens_are_refused_with_the_reason(weights, tokens, error, words):
    with pytest.raises(error, match=words):
        AttentionExplorer(weights, tokens)
    with pytest.raises(error, match=words):
        check_attention(weights, tokens)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"layer": 2}, ValueError, "layer must be from 0 to 1"),
    ({"layer": 0.5}, TypeError, "layer must be a whole number"),
    ({"head": 3}, ValueError, "head .* must be from 0 to 2"),
    ({"head": "mean"}, TypeError, "whole number"),
    ({"query": len(TEXT)}, ValueError, "query must be from 0 to 14"),
    ({"query": True}, TypeError, "query must be a whole number"),
])
def test_bad_controls_are_refused(kwargs, error, words):
    with pytest.raises(error, match=words):
        AttentionExplorer(causal_weights(), TEXT, **kwargs)
