"""The sampling explorer: temperature and top-k do what they say, and the sample changes
only through them."""
import base64
import math
import re
import warnings

import matplotlib
import numpy as np
import pytest

from grad.tensor import Tensor
from grad.widgets import SamplingExplorer
from grad.widgets.base import control_positions
from grad.widgets.sampling import next_token_probs, pick

matplotlib.use("Agg")

VOCAB = list("\n abcdehinost")   # 13 tokens, a newline and a space among them
V = len(VOCAB)


class Model:
    """A stand-in for a language model: logits that depend on the last two ids (a fixed
    random table), and a count of the contexts it was asked about."""

    def __init__(self, seed=0, scale=2.0):
        self.table = scale * np.random.default_rng(seed).normal(size=(V, V, V))
        self.asked = []

    def __call__(self, ids):
        assert isinstance(ids, list) and all(isinstance(i, int) for i in ids)
        self.asked.append(tuple(ids))
        return self.table[ids[-2] if len(ids) > 1 else 0, ids[-1]].copy()


def decode(ids):
    return "".join(VOCAB[i] for i in ids)


PROMPT = [VOCAB.index(c) for c in "the cat "]


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def make(**kwargs):
    model = kwargs.pop("model", None) or Model()
    return SamplingExplorer(model, PROMPT, decode, VOCAB, **kwargs), model


@pytest.fixture(scope="module")
def explorer():
    return make()[0]


def reference_sample(model, T, k, seed, length):
    """The sample written out the long way: the uniforms of default_rng(seed), each token
    taken by the inverse CDF over the tokens from most to least likely."""
    u = np.random.default_rng(seed).random(length)
    ids = list(PROMPT)
    for i in range(length):
        logits = model.table[ids[-2], ids[-1]]
        z = logits / T
        keep = np.argsort(-logits, kind="stable")[:k]
        z = np.where(np.isin(np.arange(V), keep), z, -np.inf)
        p = softmax(z)
        order = np.argsort(-p, kind="stable")
        c = np.cumsum(p[order])
        ids.append(int(order[min(np.sum(c <= u[i] * c[-1]), V - 1)]))
    return ids[len(PROMPT):]


def drawn_bars(w):
    """(kept heights, cut outlines' heights), in bar order (most likely first)."""
    def heights(collection):
        return {int(round(min(x for x, _ in p.vertices) + 0.4)): max(y for _, y in p.vertices)
                for p in collection.get_paths()}
    return heights(w.kept), heights(w.cut)


def check_state(w, model):
    T, k = w.temperature.value, w.top_k.value
    p = w.probs()
    logits = model.table[PROMPT[-2], PROMPT[-1]]
    full = softmax(logits / T)
    assert p.sum() == pytest.approx(1, abs=1e-12) and np.all(p >= 0)
    kept = np.argsort(-logits, kind="stable")[:k]
    assert set(np.flatnonzero(p)) == set(kept)                       # exactly the k largest
    assert np.allclose(p[kept], full[kept] / full[kept].sum())      # renormalized softmax(z / T)
    kept_bars, cut_bars = drawn_bars(w)
    order = list(w.order)
    assert kept_bars.keys() == {order.index(i) for i in kept}
    assert all(h == pytest.approx(p[order[j]]) for j, h in kept_bars.items())
    assert len(cut_bars) == V - k   # every cut token outlined at its height before the cut
    ceiling = w.ax.get_ylim()[1]
    assert all(h == pytest.approx(min(full[order[j]], ceiling)) for j, h in cut_bars.items())
    assert p.max() <= ceiling
    # the readout's tokens are the most likely ones, with their probabilities
    shown = re.findall(r"<b>([^<]+)</b> (\d\.\d\d)", w.readout.value)
    best = np.argsort(-p, kind="stable")[:min(5, k)]
    assert [(t, float(x)) for t, x in shown] == [(w.labels[i], float(f"{p[i]:.2f}")) for i in best]
    assert (f"the {V - k} cut held" in w.readout.value) == (k < V)
    # the sample: the reference's, and written out after the prompt
    assert w.generated == reference_sample(model, T, k, w.seed, w.length)
    assert decode(w.generated).replace("\n", "") in re.sub(r"<[^>]+>|\n", "", w.sample.value)
    assert bytes(w.image.value).startswith(b"\x89PNG")


def test_default_state_cuts_nothing_at_temperature_one(explorer):
    assert explorer.temperature.value == 1.0 and explorer.top_k.value == V
    assert not explorer.temperature.continuous_update and not explorer.top_k.continuous_update
    assert len(explorer.generated) == explorer.length == 40
    assert "no token is cut" in explorer.readout.value
    check_state(explorer, explorer.next_logits)


def test_every_control_over_its_whole_range_tells_the_truth():
    w, model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # a library's notice about its own dependencies is not the course's warning
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"^(?!grad\b)")
        for k in control_positions(w.top_k, 7):
            w.top_k.value = k
            for T in control_positions(w.temperature, 9):
                w.temperature.value = T
                check_state(w, model)


def test_the_temperature_slider_spans_a_tenth_to_two(explorer):
    assert control_positions(explorer.temperature)[0] == 0.1
    assert control_positions(explorer.temperature)[-1] == 2.0
    assert control_positions(explorer.top_k) == list(range(1, V + 1))


def test_top_k_one_is_greedy_decoding():
    w, model = make(top_k=1)
    ids = list(PROMPT)
    for _ in range(w.length):
        ids.append(int(np.argmax(model.table[ids[-2], ids[-1]])))
    assert w.generated == ids[len(PROMPT):]
    p = w.probs()
    assert p.max() == 1 and p.argmax() == np.argmax(model.table[PROMPT[-2], PROMPT[-1]])
    for T in (0.1, 1.0, 2.0):   # whatever the temperature
        w.temperature.value = T
        assert w.generated == ids[len(PROMPT):]


def test_a_low_temperature_approaches_greedy_and_a_high_one_uniform():
    w, model = make(temperature=0.1)
    greedy = make(top_k=1)[0].generated
    same = sum(a == b for a, b in zip(w.generated, greedy))
    assert same >= 0.8 * w.length
    w.temperature.value = 2.0
    flat = w.probs()
    w.temperature.value = 1.0
    assert flat.max() < w.probs().max() and flat.min() > w.probs().min()


def test_the_sample_is_reproducible_and_changes_only_through_the_controls():
    a, model = make(seed=3)
    b, _ = make(seed=3, model=model)
    assert a.generated == b.generated
    before = list(a.generated)
    a.update()
    assert a.generated == before                     # redrawing draws no new random numbers
    a.temperature.value = 1.5
    assert a.generated != before                     # (this model at this seed: it does change)
    a.top_k.value = 4
    a.temperature.value, a.top_k.value = 1.0, V
    assert a.generated == before                     # back where it was, the same sample
    assert make(seed=4, model=model)[0].generated != before


def test_a_model_that_returns_a_tensor_or_float32_is_accepted():
    model = Model()
    w = SamplingExplorer(lambda ids: Tensor(model(ids).astype(np.float32)), PROMPT, decode, VOCAB)
    assert w.probs().dtype == np.float64 and w.probs().sum() == pytest.approx(1, abs=1e-12)
    assert w.probs() == pytest.approx(make(model=model)[0].probs(), rel=1e-6)


def test_the_callers_random_state_is_left_alone():
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    make(seed=1)
    assert np.random.random() == expected


def test_the_model_is_asked_once_per_context():
    w, model = make()
    assert len(model.asked) == len(set(model.asked)) == w.length    # the prompt's is the first
    for T in (0.5, 1.5, 1.0):
        w.temperature.value = T
    asked = len(model.asked)
    assert asked == len(set(model.asked))
    for T in (0.5, 1.5, 1.0):                       # the same settings again: all from the cache
        w.temperature.value = T
    assert len(model.asked) == asked


def test_next_token_probs_is_softmax_of_logits_over_temperature():
    logits = np.array([2.0, -1.0, 0.5, 3.0, 0.0])
    for T in (0.1, 0.7, 1.0, 2.0):
        assert np.allclose(next_token_probs(logits, T), softmax(logits / T), rtol=1e-13)
    p = next_token_probs(logits, 1.0, top_k=2)
    assert np.allclose(p, np.array([np.e ** 2, 0, 0, np.e ** 3, 0]) / (np.e ** 2 + np.e ** 3))
    assert list(next_token_probs(logits, 0.5, top_k=1)) == [0, 0, 0, 1, 0]
    assert np.array_equal(next_token_probs(logits, top_k=5), next_token_probs(logits))
    # equal logits: top-k keeps the lower ids, as argmax picks the first
    assert list(next_token_probs([1.0, 2.0, 2.0, 2.0], top_k=2)) == [0, 0.5, 0.5, 0]
    # -inf is a token that can never come; large logits do not overflow
    assert list(next_token_probs([-np.inf, 0.0])) == [0, 1]
    assert next_token_probs([1000.0, 0.0], 0.1)[0] == 1


def test_pick_is_the_inverse_cdf_from_the_most_likely():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    assert pick(p, 0.0) == 2 and pick(p, 0.59) == 2 and pick(p, 0.61) == 3
    assert pick(p, 0.95) == 0 and pick(p, 1 - 1e-16) == 0   # the top of [0, 1) too
    assert pick(np.array([0.0, 1.0, 0.0]), 0.999999) == 1    # never a token of probability 0
    counts = np.bincount([pick(p, u) for u in np.random.default_rng(0).random(20_000)], minlength=4)
    assert np.allclose(counts / 20_000, p, atol=0.015) and counts[1] == 0


def test_snapshot_is_a_png(explorer):
    data = explorer._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "application/vnd.jupyter.widget-view+json" in data


def test_tokens_are_drawn_visibly(explorer):
    texts = [t.get_text() for t in explorer.ax.texts]
    assert "␣" in texts and "⏎" in texts and " " not in texts
    assert "<span style='color:#6B6B6B'>the cat </span>" in explorer.sample.value


@pytest.mark.parametrize("temperature, words", [
    (0, "temperature must be a positive, finite number, got 0.*greedy decoding.*top_k=1"),
    (-1.0, "positive"),
    (math.inf, "positive, finite"),
    (2.5, r"from 0.1 to 2 \(the slider's range\)"),
])
def test_a_temperature_of_zero_or_less_is_refused_with_the_reason(temperature, words):
    with pytest.raises(ValueError, match=words):
        make(temperature=temperature)
    if temperature <= 0:
        with pytest.raises(ValueError, match=words):
            next_token_probs([1.0, 2.0], temperature)


def bad_model(value):
    return lambda ids: value


@pytest.mark.parametrize("args, kwargs, error, words", [
    ((Model(), PROMPT, decode, VOCAB), {"temperature": "hot"}, TypeError, "temperature must be a number"),
    ((Model(), PROMPT, decode, VOCAB), {"temperature": math.nan}, TypeError, "temperature must be a number"),
    ((Model(), PROMPT, decode, VOCAB), {"top_k": 0}, ValueError, "top_k must be from 1 to .* 13"),
    ((Model(), PROMPT, decode, VOCAB), {"top_k": V + 1}, ValueError, "top_k must be from 1"),
    ((Model(), PROMPT, decode, VOCAB), {"top_k": 2.5}, TypeError, "top_k must be a whole number or None"),
    ((Model(), PROMPT, decode, VOCAB), {"seed": -1}, ValueError, "seed must be at least 0"),
    ((Model(), PROMPT, decode, VOCAB), {"seed": 1.5}, TypeError, "seed must be a whole number"),
    ((Model(), PROMPT, decode, VOCAB), {"length": 0}, ValueError, "length must be from 1 to 500"),
    ((Model(), [], decode, VOCAB), {}, ValueError, "at least one token id"),
    ((Model(), "the cat", decode, VOCAB), {}, TypeError, "encode the prompt first"),
    ((Model(), [0, 1.5], decode, VOCAB), {}, TypeError, "whole numbers"),
    ((Model(), [0, V], decode, VOCAB), {}, ValueError, "prompt id 13 is out of range: ids go from 0 to 12"),
    ((Model(), PROMPT, decode, "abc"), {}, TypeError, "vocab must be a list"),
    ((Model(), PROMPT, decode, [1, 2]), {}, TypeError, "vocab must be a list of strings"),
    ((Model(), PROMPT, decode, []), {}, ValueError, "at least one token"),
    (("model", PROMPT, decode, VOCAB), {}, TypeError, "next_logits must be a function"),
    ((Model(), PROMPT, None, VOCAB), {}, TypeError, "decode must be a function"),
    ((Model(), PROMPT, lambda ids: ids, VOCAB), {}, TypeError, "decode must return a string"),
    ((bad_model(np.zeros(V - 1)), PROMPT, decode, VOCAB), {}, ValueError,
     r"shape \(13,\) for the context .*; got shape \(12,\)"),
    ((bad_model(np.zeros((8, V))), PROMPT, decode, VOCAB), {}, ValueError, "return its last row"),
    ((bad_model(np.full(V, np.nan)), PROMPT, decode, VOCAB), {}, ValueError, "returned nan for token 0"),
    ((bad_model(np.full(V, -np.inf)), PROMPT, decode, VOCAB), {}, ValueError, "-inf for every token"),
    ((bad_model("logits"), PROMPT, decode, VOCAB), {}, TypeError, "must return a NumPy array"),
])
def test_bad_arguments_are_refused_with_the_reason(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        SamplingExplorer(*args, **kwargs)
