"""Exercises of notebook 13 (language models), tried as a newcomer would, and in their notebook.

Correct answers written in other ways are accepted; each message that names a cause is given
to the mistake it names and to no other; silly answers get a short, true verdict; the
verdicts give no solution away. Then the solutions are pasted into the notebook in place of
the stubs: each says ✅ in the notebook's context, rebinds nothing the lesson defined, and
agrees with the lesson's own tables; as committed, each stub gets a ❌ without help. The
lesson's cells run too (they train small models), so this file takes a while.
"""
import itertools

import numpy as np
import pytest
from notebook_runs import CHECK, code_cells, in_notebooks_folder, run, run_lesson, solved
from silly_answers import assert_silly_answers_turned_down

from grad.exercises import Exercise, define
from grad.exercises import language_models as lm

EXERCISES = [(name, ex) for name, ex in vars(lm).items() if isinstance(ex, Exercise)]
IDS = [name for name, _ in EXERCISES]


def _define(ex, code):
    return define(code, ex.answer_name)


# ---- correct answers written differently ---------------------------------------------------
ACCEPTED = {
    "bigram_counts": [
        "import numpy as np\ndef bigram_counts(words, stoi):\n"
        "    N = np.zeros((len(stoi), len(stoi)))\n    for w in words:\n"
        "        ids = [stoi[c] for c in '.' + w + '.']\n        np.add.at(N, (ids[:-1], ids[1:]), 1)\n"
        "    return N",
        "def bigram_counts(words, stoi):\n    n = len(stoi)\n    N = [[0] * n for _ in range(n)]\n"
        "    for w in words:\n        s = '.' + w + '.'\n        for i in range(len(s) - 1):\n"
        "            N[stoi[s[i]]][stoi[s[i + 1]]] += 1\n    return N",
        "import numpy as np\nfrom collections import Counter\ndef bigram_counts(words, stoi):\n"
        "    pairs = Counter((a, b) for w in words for a, b in zip('.' + w, w + '.'))\n"
        "    N = np.zeros((len(stoi),) * 2, dtype=np.int64)\n"
        "    for (a, b), k in pairs.items():\n        N[stoi[a], stoi[b]] = k\n    return N",
    ],
    "bigram_probs": [
        "import numpy as np\ndef bigram_probs(N, alpha):\n"
        "    S = np.asarray(N, dtype=float) + alpha\n    return S / S.sum(axis=1)[:, None]",
        "def bigram_probs(N, alpha):\n    return ((N + alpha).T / (N + alpha).sum(axis=1)).T",
        "def bigram_probs(N, alpha):\n"
        "    return [[(c + alpha) / sum(x + alpha for x in row) for c in row] for row in N.tolist()]",
    ],
    "mean_nll": [
        "import numpy as np\ndef mean_nll(P, words, stoi):\n"
        "    a = [stoi[c] for w in words for c in '.' + w]\n"
        "    b = [stoi[c] for w in words for c in w + '.']\n"
        "    return float(-np.log(P[a, b]).mean())",
        "import math\ndef mean_nll(P, words, stoi):\n    total, n = 0.0, 0\n    for w in words:\n"
        "        s = '.' + w + '.'\n        for x, y in zip(s, s[1:]):\n"
        "            total -= math.log(P[stoi[x]][stoi[y]])\n            n += 1\n    return total / n",
        "import numpy as np\ndef mean_nll(P, words, stoi):\n"
        "    probs = [P[stoi[x], stoi[y]] for w in words for x, y in zip('.' + w, w + '.')]\n"
        "    return -np.log(np.prod(probs)) / len(probs)",
    ],
    "embedding_grad": [
        "import numpy as np\ndef embedding_grad(X, G, n_rows):\n"
        "    dC = np.zeros((n_rows, G.shape[-1]))\n    np.add.at(dC, X, G)\n    return dC",
        "import numpy as np\ndef embedding_grad(X, G, n_rows):\n"
        "    one_hot = np.eye(n_rows)[X.reshape(-1)]\n"
        "    return one_hot.T @ G.reshape(-1, G.shape[-1])",
        "from grad.tensor import Tensor\ndef embedding_grad(X, G, n_rows):\n"
        "    C = Tensor([[0.0] * G.shape[-1] for _ in range(n_rows)], requires_grad=True)\n"
        "    C[X].backward(G)\n    return C.grad",
    ],
}


def test_every_exercise_has_accepted_alternatives():
    assert sorted(ACCEPTED) == sorted(ex.answer_name for _, ex in EXERCISES)
    assert len(EXERCISES) == 4


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_correct_answers_written_differently_are_accepted(name, ex):
    assert ex.verdict(ex.reference()) is None
    for code in ACCEPTED[ex.answer_name]:
        assert ex.verdict(_define(ex, code)) is None, code


# ---- each named cause belongs to its mistake only -----------------------------------------
@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_each_named_cause_is_given_to_its_mistake_only(name, ex):
    cases = ex.mistake_cases()
    verdicts = [ex.verdict(_define(ex, m.code)) for m in cases]
    for m, verdict in zip(cases, verdicts):
        assert verdict is not None and m.says in verdict, (m.code, verdict)
    for (m, _), (other, verdict) in itertools.permutations(zip(cases, verdicts), 2):
        if m.says and m.says != other.says:
            assert m.says not in verdict, (
                f"{name}: the words meant for\n{m.code}\nwere given to\n{other.code}\n{verdict}")


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_every_exercise_names_several_causes(name, ex):
    named = {m.says for m in ex.mistake_cases() if m.says}
    assert len(named) >= 4, f"{name} proves only {len(named)} of its messages"


# ---- the slips the lesson warns about ------------------------------------------------------
def test_the_broadcasting_slip_of_a_square_table_is_caught_and_explained():
    # runs without an error on a square table, so only the numbers can tell
    verdict = lm.bigram_probs.verdict(lambda N, alpha: (N + alpha) / (N + alpha).sum(axis=1))
    assert "do not add up to 1" in verdict and "sum of row j" in verdict
    assert "keepdims" not in verdict                     # the fix is not given away


def test_assigning_the_gradient_of_a_repeated_row_is_caught_with_the_row_named():
    def assigned(X, G, n_rows):
        dC = np.zeros((n_rows, G.shape[-1]))
        dC[X] += G                                       # buffered: a repeat adds only once
        return dC
    verdict = lm.embedding_grad.verdict(assigned)
    assert "row 2 is looked up 2 times" in verdict and "add.at" not in verdict


def test_a_learner_using_the_notebooks_vocabulary_is_told_the_shape():
    stoi = {ch: i for i, ch in enumerate(".abcdefghijklmnopqrstuvwxyz")}

    def global_stoi(words, _):
        N = np.zeros((27, 27))
        for w in words:
            ids = [stoi[c] for c in "." + w + "."]
            for a, b in zip(ids, ids[1:]):
                N[a, b] += 1
        return N
    verdict = lm.bigram_counts.verdict(global_stoi)
    assert "has shape (27, 27)" in verdict and "one row and one column per symbol" in verdict


def test_verdicts_give_no_solution_away():
    for ex, wrong in [(lm.bigram_counts, lambda words, stoi: np.zeros((len(stoi),) * 2)),
                      (lm.bigram_probs, lambda N, alpha: np.zeros(N.shape)),
                      (lm.mean_nll, lambda P, words, stoi: 1.0),
                      (lm.embedding_grad, lambda X, G, n: np.zeros((n, G.shape[-1])))]:
        verdict = ex.verdict(wrong)
        assert verdict is not None
        for line in ex.code().splitlines():
            line = line.strip()
            if len(line) >= 14 and not line.startswith(("def ", "import ")):
                assert line not in verdict, (line, verdict)
        assert "zip(" not in verdict and "keepdims" not in verdict and "add.at" not in verdict


def test_mean_nll_is_the_notebooks_cross_entropy():
    """The exercise's loss is F.cross_entropy of log P, as section 6 says."""
    from grad.tensor import Tensor
    from grad.tensor import functional as F
    ref = lm.mean_nll.reference()
    words, stoi = lm._WORD_CASES[2]
    P = lm._prob_table(len(stoi), 0)
    xs = [stoi[c] for w in words for c in "." + w]
    ys = [stoi[c] for w in words for c in w + "."]
    ce = F.cross_entropy(Tensor(np.log(P))[np.array(xs)], np.array(ys)).item()
    assert abs(ref(P, words, stoi) - ce) < 1e-12


# ---- silly answers --------------------------------------------------------------------------
@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_silly_answers_get_a_short_verdict(name, ex):
    assert_silly_answers_turned_down(name, ex)


# ---- in the notebook ------------------------------------------------------------------------
NAME = "13_language_models"


def _exercise_cells() -> list[str]:
    return [source for source, _, exercise in code_cells(NAME) if exercise]


@pytest.fixture(scope="module")
def lesson():
    """The notebook's namespace after its lesson cells (run once for this file's tests)."""
    return run_lesson(NAME)


def test_the_stubs_as_committed_get_a_verdict_without_help(lesson):
    ns = dict(lesson)
    exercises = _exercise_cells()
    assert [CHECK.search(c).group(1) for c in exercises] == [
        "bigram_counts", "bigram_probs", "mean_nll", "embedding_grad"]
    for cell in exercises:
        exercise = getattr(lm, CHECK.search(cell).group(1))
        with in_notebooks_folder():
            out = run(cell, ns)
        assert out.startswith(f"❌ {exercise.title}: not yet."), out
        assert "the checker itself failed" not in out, out
        assert exercise.hint_text not in out and exercise.nudge_text not in out, out
        assert exercise.code() not in out, out


def test_every_solution_passes_in_the_notebook_and_rebinds_nothing(lesson):
    ns = solved(NAME, lm, lesson=lesson)
    # the solutions rebuild the lesson's own tables and numbers
    assert np.array_equal(ns["bigram_counts"](ns["train_names"], ns["stoi"]), ns["N"])
    assert np.allclose(ns["bigram_probs"](ns["N"], 1), ns["P_smooth"])
    assert np.allclose(ns["bigram_probs"](ns["N"], 0), ns["P"])
    assert abs(ns["mean_nll"](ns["P_smooth"], ns["val_names"], ns["stoi"]) - ns["bigram_val"]) < 1e-12
    model, X = ns["mlp2"], ns["X_train"][:64]
    C = model.C
    C.grad = None
    G = np.random.default_rng(0).normal(size=X.shape + (C.shape[1],))
    (C[X] * ns["Tensor"](G)).sum().backward()
    assert np.allclose(ns["embedding_grad"](X, G, C.shape[0]), C.grad)
    C.grad = None


def test_the_lessons_claims_hold(lesson):
    """What the text of notebook 13 says about its own outputs."""
    ns = lesson
    assert ns["V"] == 27 and len(ns["train_names"]) == 4647 and len(ns["val_names"]) == 516
    assert abs(ns["gd_losses"][0] - np.log(27)) < 1e-12
    assert abs(ns["gd_losses"][-1] - ns["bigram_nll"](ns["P"], ns["train_names"])) < 1e-3
    assert np.abs(ns["P_learned"] - ns["P"]).max() < 0.01
    assert ns["P_learned"][ns["N"] == 0].max() < 1e-4      # below the colour scale, as said
    values = [v for _, _, v in ns["results"]]
    assert values == sorted(values, reverse=True) and len(set(values)) == 4
    # training and validation side by side: close for every model (underfitting, as said)
    for name, train, val in ns["results"]:
        assert 0 <= val - train < 0.1 * val, name
    assert 0 < ns["text_mlp_val"] - ns["text_mlp_train"] < 0.1 * ns["text_mlp_val"]
    # the random training windows give the whole training text's loss "within a few hundredths"
    full = ns["loss_on"](ns["text_mlp"], ns["Xt_train"], ns["Yt_train"])
    assert abs(full - ns["text_mlp_train"]) < 0.03
    P_text, Xt, Yt = ns["P_text"], ns["Xt_train"], ns["Yt_train"]
    assert abs(-np.log(P_text[Xt[:, -1], Yt]).mean() - ns["text_bigram_train"]) < 0.03
    assert ns["text_mlp_val"] < ns["text_bigram_val"]
    # the book sample's words are counted without the prompt
    start, written = ns["start"], ns["written"]
    wrote = [w.strip('.,;:!?"_()-').lower() for w in written[len(start):].split()]
    assert ns["tokens"] == [w for w in wrote if w]
    assert len(ns["real"]) >= len(ns["tokens"]) // 3      # "many real words"
    # "before training, the loss is a little above log 27": a fresh model as section 7 makes it
    ns["grad"].tensor.manual_seed(0)
    fresh = ns["CharMLP"](27, dim=2, hidden=100)
    assert np.log(27) < ns["loss_on"](fresh, ns["X_val"], ns["Y_val"]) < np.log(27) + 0.1


def test_a_pair_counted_once_is_named_not_blamed_on_the_markers():
    def indexed(words, stoi):
        N = np.zeros((len(stoi),) * 2)
        for w in words:
            ids = [stoi[ch] for ch in "." + w + "."]
            N[ids[:-1], ids[1:]] += 1                    # 'bb' twice in 'bbb' adds 1 once
        return N
    verdict = lm.bigram_counts.verdict(indexed)
    assert "'bb' once" in verdict and "2 times in 'bbb'" in verdict, verdict
    assert "marker" not in verdict and "add.at" not in verdict, verdict
    doubled = lm.bigram_counts.verdict(lambda words, stoi: 2 * lm._counts(words, stoi))
    assert "counted once" not in doubled, doubled


def test_the_start_loss_experiment_says_what_it_shows(lesson):
    """13's text: the larger the output layer's starting weights, the further the first loss
    from log 27; at 10 times it is far above."""
    losses = np.array(lesson["first_losses"])
    distance = np.abs(losses - np.log(27))
    assert distance[0] < distance[1] < distance[2] and losses[2] > np.log(27) + 1
    # the weights were put back: the model trained is the one the seed made
    lesson["grad"].tensor.manual_seed(0)
    fresh = lesson["CharMLP"](27, dim=2, hidden=100)
    assert np.allclose(fresh.out.weight.data, lesson["start_weights"])
