"""Exercises of notebook 14 (attention) tried as a newcomer would: correct answers written in
other ways are accepted; each message that names a cause is given to the mistake it names and
to no other; silly answers get a short, true verdict; the test data tell the typical slips
apart. Then the solutions pasted into the notebook itself: every check says ✅, nothing the
notebook defined is rebound, and the solutions agree with the notebook's own code."""
import itertools
import math

import numpy as np
import pytest
from notebook_runs import solved
from silly_answers import assert_silly_answers_turned_down

from grad.exercises import Exercise, attention, define

EXERCISES = [(f"attention.{name}", ex) for name, ex in vars(attention).items()
             if isinstance(ex, Exercise)]
IDS = [name for name, _ in EXERCISES]


def _define(ex, code):
    return define(code, ex.answer_name)


# ---- correct answers written differently ---------------------------------------------------
ACCEPTED = {
    "average_weights": [
        "import numpy as np\ndef average_weights(T):\n"
        "    return np.tril(np.ones((T, T))) / np.arange(1, T + 1)[:, None]",
        "import numpy as np\ndef average_weights(T):\n    W = np.zeros((T, T))\n"
        "    for t in range(T):\n        W[t, :t + 1] = 1 / (t + 1)\n    return W",
        "def average_weights(T):\n"
        "    return [[1 / (t + 1) if s <= t else 0 for s in range(T)] for t in range(T)]",
        "from grad.tensor import Tensor\nimport numpy as np\ndef average_weights(T):\n"
        "    future = np.triu(np.ones((T, T), dtype=bool), k=1)\n"
        "    return Tensor(np.zeros((T, T))).masked_fill(future, -np.inf).softmax(axis=-1).data",
    ],
    "scaled_scores": [
        "import numpy as np\ndef scaled_scores(q, k):\n    return q @ k.T / np.sqrt(k.shape[-1])",
        "import numpy as np\ndef scaled_scores(q, k):\n"
        "    return np.einsum('td,sd->ts', q, k) * q.shape[1] ** -0.5",
        "import math\ndef scaled_scores(q, k):\n    d = len(q[0])\n"
        "    return [[sum(a * b for a, b in zip(qt, ks)) / math.sqrt(d) for ks in k] for qt in q]",
    ],
    "attention_head": [
        "from grad.tensor import Tensor\nfrom grad.tensor import functional as F\n"
        "def attention_head(x, Wq, Wk, Wv):\n"
        "    q, k, v = (Tensor(x @ W.T) for W in (Wq, Wk, Wv))\n"
        "    return F.scaled_dot_product_attention(q, k, v, is_causal=True).data",
        "import math\nimport numpy as np\ndef attention_head(x, Wq, Wk, Wv):\n"
        "    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T\n    T, d = q.shape\n"
        "    out = np.zeros((T, v.shape[1]))\n    for t in range(T):\n"
        "        s = np.array([q[t] @ k[j] for j in range(t + 1)]) / math.sqrt(d)\n"
        "        w = np.exp(s - s.max())\n        w /= w.sum()\n"
        "        out[t] = w @ v[:t + 1]\n    return out",
        "import numpy as np\ndef attention_head(x, Wq, Wk, Wv):\n"
        "    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T\n"
        "    s = q @ k.T / np.sqrt(q.shape[1])\n"
        "    s[np.triu_indices(len(s), 1)] = -np.inf\n"
        "    w = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)\n    return w @ v",
    ],
    "mha_params": [
        "def mha_params(C, n_heads):\n    return 4 * C ** 2 + C",
        "def mha_params(C, n_heads):\n    head = C // n_heads\n"
        "    return n_heads * 3 * head * C + C * C + C",
        "from grad.tensor import nn\ndef mha_params(C, n_heads):\n"
        "    layers = [nn.Linear(C, C, bias=False) for _ in range(3)] + [nn.Linear(C, C)]\n"
        "    return sum(p.size for layer in layers for p in layer.parameters())",
        "def mha_params(C, n_heads):\n    return float(4 * C * C + C)",
    ],
}


def test_every_exercise_of_14_has_accepted_alternatives():
    assert sorted(ACCEPTED) == sorted(ex.answer_name for _, ex in EXERCISES)
    assert len(EXERCISES) == 4


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_correct_answers_written_differently_are_accepted(name, ex):
    for code in ACCEPTED[ex.answer_name]:
        assert ex.verdict(_define(ex, code)) is None, code


# ---- each named cause belongs to its mistake only -----------------------------------------
@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_each_named_cause_is_given_to_its_mistake_only(name, ex):
    cases = ex.mistake_cases()
    verdicts = [ex.verdict(_define(ex, m.code)) for m in cases]
    for m, verdict in zip(cases, verdicts):
        assert verdict is not None and m.says in verdict, (m.code, verdict)
        assert "the checker itself failed" not in verdict, verdict
    for (m, _), (other, verdict) in itertools.permutations(zip(cases, verdicts), 2):
        if m.says and m.says != other.says:
            assert m.says not in verdict, (
                f"{name}: the words meant for\n{m.code}\nwere given to\n{other.code}\n{verdict}")


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_every_exercise_names_several_causes(name, ex):
    named = {m.says for m in ex.mistake_cases() if m.says}
    assert len(named) >= 3, f"{name} proves only {len(named)} of its messages"


# ---- the references and the test data --------------------------------------------------------
def test_the_references_are_what_the_notebook_computes():
    for T in attention.AVERAGE_SIZES:
        tril = np.tril(np.ones((T, T)))
        assert np.allclose(attention._reference_average(T), tril / tril.sum(axis=1, keepdims=True))
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    assert np.allclose(attention._reference_scores(q, k), q @ k.T / math.sqrt(5))


def test_the_mha_slip_formulas_differ_on_the_test_data():
    cases = attention.MHA_CASES
    right = [4 * C * C + C for C, _ in cases]
    assert [attention._real_count(C) for C, _ in cases] == right
    values = [[f(*c) for c in cases] for _, f in attention._MHA_SLIPS]
    for a, b in itertools.combinations(values, 2):
        assert a != b
    for v in values:
        assert v != right


def test_the_mha_checker_leaves_numpys_generator_alone():
    state = np.random.get_state()
    attention.mha_params.verdict(lambda C, H: 4 * C * C + C)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]


def test_the_shapes_tell_transposed_answers_apart():
    # a square case where a transposed answer has the right shape, and one where it does not
    assert any(T == S for T, S, _ in attention.SCORE_SHAPES)
    assert any(T != S != d != T for T, S, d in attention.SCORE_SHAPES)
    assert any(len({T, C, d}) == 3 for T, C, d in attention.HEAD_SHAPES)
    verdict = attention.scaled_scores.verdict(lambda q, k: (k @ q.T / math.sqrt(q.shape[1])).T.T)
    assert "the transpose" in verdict, verdict


def test_a_head_without_mask_is_not_told_anything_else():
    verdict = attention.attention_head.verdict(_define(attention.attention_head, (
        "import math\nimport numpy as np\ndef attention_head(x, Wq, Wk, Wv):\n"
        "    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T\n"
        "    s = q @ k.T / math.sqrt(q.shape[1])\n"
        "    w = np.exp(s - s.max(axis=1, keepdims=True))\n"
        "    return w / w.sum(axis=1, keepdims=True) @ v")))
    assert "the causal mask is missing" in verdict and "scaled" not in verdict, verdict


def test_verdicts_give_no_formula_away():
    wrongs = [(attention.average_weights, lambda T: np.eye(T)),
              (attention.scaled_scores, lambda q, k: q @ k.T),
              (attention.attention_head, lambda x, Wq, Wk, Wv: np.zeros((len(x), len(Wq)))),
              (attention.mha_params, lambda C, H: C)]
    for ex, wrong in wrongs:
        verdict = ex.verdict(wrong)
        for text in ("np.tril", "k.T", "sqrt(", "keepdims", "3 * C", "4 * C", "Wq.T"):
            assert text not in verdict, verdict


# ---- silly answers --------------------------------------------------------------------------
@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_silly_answers_get_a_short_verdict(name, ex):
    assert_silly_answers_turned_down(name, ex)


# ---- the solutions in the notebook ---------------------------------------------------------
@pytest.fixture(scope="module")
def notebook():
    """The notebook's namespace after its lesson and every exercise, with the solutions."""
    return solved("14_attention", attention)


def test_every_solution_passes_in_the_notebook(notebook):
    assert notebook["attention_val"] < notebook["bigram_val"]


def test_the_solutions_agree_with_the_notebooks_own_code(notebook):
    ns = notebook
    assert np.allclose(ns["average_weights"](5), ns["W"])           # section 1's matrix (T = 5)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 16))
    Wq, Wk, Wv = (rng.normal(size=(8, 16)) for _ in range(3))
    mine = ns["attention_head"](x, Wq, Wk, Wv)
    assert np.allclose(mine, ns["attention_loop"](x @ Wq.T, x @ Wk.T, x @ Wv.T))
    q, k = x @ Wq.T, x @ Wk.T
    assert np.allclose(ns["scaled_scores"](q, k), q @ k.T / math.sqrt(8))
    for C, H in [(16, 4), (32, 4), (12, 3), (8, 8)]:
        layer = ns["MultiHeadAttention"](C, H)
        assert ns["mha_params"](C, H) == sum(p.size for p in layer.parameters())


def test_the_masking_slips_are_each_named_and_only_they():
    base = ("import math\nimport numpy as np\ndef attention_head(x, Wq, Wk, Wv):\n"
            "    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T\n"
            "    T, d = q.shape\n"
            "    s = q @ k.T / math.sqrt(d)\n")
    soft = "    e = np.exp(s - s.max(axis=1, keepdims=True))\n    w = e / e.sum(axis=1, keepdims=True)\n"
    answers = {
        "became 0, not -inf": base + "    s = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), 0.0, s)\n"
                              + soft + "    return w @ v",
        "set to 0 after the softmax": base + soft + "    return (w * np.tril(np.ones((T, T)))) @ v",
        "also hides the diagonal": base + "    s = np.where(np.tril(np.ones((T, T), dtype=bool), k=-1), s, -1e30)\n"
                                   + soft + "    return w @ v",
    }
    verdicts = {says: attention.attention_head.verdict(_define(attention.attention_head, code))
                for says, code in answers.items()}
    for says, verdict in verdicts.items():
        assert verdict is not None and says in verdict, verdict
        assert not [other for other in answers if other != says and other in verdict], verdict
    # masking after the softmax and then renormalizing is right
    right = base + soft + ("    w = w * np.tril(np.ones((T, T)))\n"
                           "    return (w / w.sum(axis=1, keepdims=True)) @ v")
    assert attention.attention_head.verdict(_define(attention.attention_head, right)) is None
    # an unrelated wrong answer is told none of these causes
    silly = attention.attention_head.verdict(lambda x, Wq, Wk, Wv: np.ones((len(x), len(Wq))))
    assert silly is not None and not [says for says in answers if says in silly], silly


def test_a_wrong_count_is_not_answered_with_the_right_one():
    for wrong, word in [(lambda C, H: 4 * C * C + C + 1, "too many"), (lambda C, H: 3 * C * C + C, "too few")]:
        verdict = attention.mha_params.verdict(wrong)
        assert word in verdict and "1040" not in verdict, verdict
