"""Notebook 13 (language models): counting bigrams, probabilities with smoothing, the
negative log-likelihood of a bigram model, and the gradient of an embedding lookup.

References are written independently of the answers (explicit loops over the words and the
entries), on small vocabularies of several sizes, so that a transposed table or a division
by the wrong sums cannot pass by accident.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from grad.exercises import Exercise, Mistake, array, fresh, function, number, run
from grad.tensor import Tensor


def _vocab(letters: str) -> dict:
    """A vocabulary as notebook 13 builds it: '.' first, then the letters."""
    return {ch: i for i, ch in enumerate("." + letters)}


# Word lists with repeated letters, one-letter words and words that start or end alike, on
# vocabularies where some letters never occur (so that their rows and columns stay 0).
_WORD_CASES = [
    (["emma", "ava", "anna"], _vocab("aemnv")),
    (["ab", "ba", "a", "bbb"], _vocab("abc")),
    (["olivia", "liam", "mia", "noah", "lola"], _vocab("ahilmnorv")),
    (["x"], _vocab("xyz")),
    (["kay", "yak", "ky", "aaaa"], _vocab("akyz")),
]


def _marked(word: str, stoi: dict) -> list:
    return [stoi["."]] + [stoi[ch] for ch in word] + [stoi["."]]


def _counts(words, stoi, start: bool = True, end: bool = True) -> np.ndarray:
    n = len(stoi)
    out = np.zeros((n, n))
    for w in words:
        ids = _marked(w, stoi)
        ids = ids[(0 if start else 1):(len(ids) if end else -1)]
        for a, b in zip(ids, ids[1:]):
            out[a, b] += 1
    return out


# ---- 1. counting bigrams ---------------------------------------------------------------------
def _times(n: float) -> str:
    return "once" if n == 1 else f"{n:g} times"


def _repeated_pair(words, stoi, got, want) -> Optional[str]:
    """What happened when each distinct pair was counted once (per word or over all words,
    as an indexed `N[a, b] += 1` does: it adds 1 once per distinct index pair), or None."""
    once_per_word = sum((_counts([w], stoi) > 0).astype(float) for w in words)
    if not (np.array_equal(got, once_per_word) or np.array_equal(got, (want > 0).astype(float))):
        return None
    itos = {i: ch for ch, i in stoi.items()}
    a, b = np.argwhere(got != want)[0]
    pair = itos[a] + itos[b]
    times = {w: list(zip("." + w, w + ".")).count((itos[a], itos[b])) for w in words}
    word = max(times, key=times.get)
    inside = f" ({times[word]} times in {word!r})" if times[word] > 1 else ""
    return (f"your table counts the pair {pair!r} {_times(got[a, b])}, but it occurs "
            f"{_times(want[a, b])}{inside}: a pair that occurs several times was counted once")


def _test_bigram_counts(bigram_counts) -> Optional[str]:
    function(bigram_counts, "bigram_counts")
    for words, stoi in _WORD_CASES:
        want = _counts(words, stoi)
        shown = f"bigram_counts({words}, stoi)"
        got = array(run(bigram_counts, fresh(words), fresh(stoi), what=shown), shown, ndim=2)
        where = f"for the words {words} ({len(stoi)} symbols in stoi),"
        if got.shape != want.shape:
            return (f"{where} your table has shape {got.shape}; it should have one row and one "
                    f"column per symbol of stoi, {want.shape}")
        if np.array_equal(got, want):
            continue
        rows = got.sum(axis=1) > 0
        if rows.any() and np.allclose(got.sum(axis=1)[rows], 1) and not np.allclose(
                want.sum(axis=1)[want.sum(axis=1) > 0], 1):
            return (f"{where} the rows of your table sum to 1: those are probabilities; "
                    "the exercise asks for the counts")
        if np.array_equal(got, want.T):
            return (f"{where} your table is transposed: entry [i, j] counts character j "
                    "following character i (row: the first character)")
        if np.array_equal(got, _counts(words, stoi, start=False, end=False)):
            return (f"{where} your table counts only the pairs inside the words: every word "
                    "also starts and ends with the marker '.'")
        if np.array_equal(got, _counts(words, stoi, end=False)):
            return (f"{where} your table has the bigrams that start the words, but not the "
                    "ones that end them (last letter, then '.')")
        if np.array_equal(got, _counts(words, stoi, start=False)):
            return (f"{where} your table has the bigrams that end the words, but not the "
                    "ones that start them ('.', then the first letter)")
        repeated = _repeated_pair(words, stoi, got, want)
        if repeated:
            return f"{where} {repeated}"
        if got.sum() != want.sum():
            return (f"{where} your table holds {got.sum():g} bigrams, but the words have "
                    f"{want.sum():g} (a word of n letters has n + 1, markers included)")
        return f"{where} the total is right, but some entries are not the counts"
    return None


bigram_counts = Exercise(
    title="Counting bigrams",
    answer_name="bigram_counts",
    test=_test_bigram_counts,
    nudge_text=("put the marker around each word first; then every pair of neighbours in the "
                "marked word is one bigram to count."),
    hint_text=("start from a table of zeros of shape (len(stoi), len(stoi)); for each word, turn "
               "'.' + word + '.' into a list of positions with stoi, and add 1 to the entry "
               "[first, second] of every pair of neighbours (zip the list with itself shifted "
               "by one)."),
    solution_code='''
        import numpy as np

        def bigram_counts(words, stoi):
            N = np.zeros((len(stoi), len(stoi)), dtype=int)
            for w in words:
                ids = [stoi[ch] for ch in "." + w + "."]
                for a, b in zip(ids, ids[1:]):
                    N[a, b] += 1
            return N
    ''',
    mistakes=[Mistake("import numpy as np\ndef bigram_counts(words, stoi):\n"
                      "    N = np.zeros((len(stoi), len(stoi)))\n    for w in words:\n"
                      f"        ids = [stoi[ch] for ch in {marked}]\n"
                      "        for a, b in zip(ids, ids[1:]):\n"
                      f"            N[{cell}] += 1\n    return N{after}", says=says)
              for marked, cell, after, says in [
                  ('w', "a, b", "", "only the pairs inside the words"),
                  ('"." + w', "a, b", "", "but not the ones that end them"),
                  ('w + "."', "a, b", "", "but not the ones that start them"),
                  ('"." + w + "."', "b, a", "", "your table is transposed"),
                  ('"." + w + "."', "a, b", " / N.sum(axis=1, keepdims=True).clip(1)",
                   "those are probabilities"),
                  ('"." + w + "."', "a, b", "[:-1, :-1]", "it should have one row and one column"),
                  ('"." + w + "."', "a, b", " * 2", "your table holds"),
              ]] + [
        Mistake("import numpy as np\ndef bigram_counts(words, stoi):\n"
                "    N = np.zeros((len(stoi), len(stoi)))\n    for w in words:\n"
                "        ids = [stoi[ch] for ch in '.' + w + '.']\n"
                "        N[ids[:-1], ids[1:]] += 1      # a pair seen twice in a word counts once\n"
                "    return N", says="was counted once"),
        Mistake("import numpy as np\ndef bigram_counts(words, stoi):\n"
                "    N = np.zeros((len(stoi), len(stoi)))\n"
                "    ids = [[stoi[ch] for ch in '.' + w + '.'] for w in words]\n"
                "    a = [i for w in ids for i in w[:-1]]\n"
                "    b = [i for w in ids for i in w[1:]]\n"
                "    N[a, b] += 1\n"
                "    return N", says="was counted once"),
    ],
)


# ---- 2. probabilities with smoothing ---------------------------------------------------------
def _count_tables() -> list:
    rng = np.random.default_rng(13)
    tables = [(rng.integers(0, 9, size=(n, n)).astype(float), alpha)
              for n, alpha in [(4, 1.0), (6, 0.5), (5, 0.01), (27, 1.0), (3, 2.0)]]
    with_zero_row = rng.integers(0, 5, size=(5, 5)).astype(float)
    with_zero_row[2] = 0                       # a character never followed by anything
    tables.append((with_zero_row, 1.0))
    tables.append((rng.integers(1, 9, size=(4, 4)).astype(float), 0.0))   # no smoothing
    return tables


def _reference_probs(N: np.ndarray, alpha: float) -> np.ndarray:
    out = np.zeros(N.shape)
    for i in range(N.shape[0]):
        row = [c + alpha for c in N[i]]
        for j in range(N.shape[1]):
            out[i, j] = row[j] / sum(row)
    return out


def _test_bigram_probs(bigram_probs) -> Optional[str]:
    function(bigram_probs, "bigram_probs")
    for N, alpha in _count_tables():
        want = _reference_probs(N, alpha)
        shown = f"bigram_probs(N of shape {N.shape}, alpha={alpha:g})"
        got = array(run(bigram_probs, N.copy(), alpha, what=shown), shown, ndim=2)
        if got.shape != want.shape:
            return f"{shown} has shape {got.shape}; it should have the shape of N, {N.shape}"
        if np.allclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        S = N + alpha
        rows_sum_to_one = np.allclose(got.sum(axis=1), 1)
        if np.allclose(got, S / S.sum(axis=1)[None, :], rtol=1e-9, atol=1e-12):
            return (f"{shown}: each entry [i, j] was divided by the sum of row j, not of its "
                    "own row i (the row sums, as a 1-D array, broadcast along the columns), so "
                    "the rows do not add up to 1")
        if np.allclose(got, S / S.sum(axis=0, keepdims=True), rtol=1e-9, atol=1e-12):
            return f"{shown}: your columns sum to 1, not your rows"
        if alpha and np.allclose(got, _reference_probs(N, 0.0), rtol=1e-9, atol=1e-12):
            return f"{shown} equals the table without smoothing: alpha is not added"
        if alpha and np.allclose(got, S / N.sum(axis=1, keepdims=True), rtol=1e-9, atol=1e-12):
            return (f"{shown}: alpha is added to the counts, but the sums you divide by are of "
                    "the counts without it")
        if not rows_sum_to_one:
            return f"{shown}: your rows do not sum to 1"
        return f"{shown}: your rows sum to 1, but the probabilities are not those of the counts plus alpha"
    return None


bigram_probs = Exercise(
    title="Probabilities with smoothing",
    answer_name="bigram_probs",
    test=_test_bigram_probs,
    nudge_text=("two steps: make the fake counts, then turn each row into a distribution. "
                "Which sums must each entry be divided by?"),
    hint_text=("add alpha to the whole table first; then divide by the sums of the rows, kept "
               "as a column of shape (n, 1) so that broadcasting divides every entry of row i "
               "by the sum of row i."),
    solution_code='''
        def bigram_probs(N, alpha):
            counts = N + alpha
            return counts / counts.sum(axis=1, keepdims=True)
    ''',
    mistakes=[Mistake(f"def bigram_probs(N, alpha):\n    return {body}", says=says)
              for body, says in [
                  ("(N + alpha) / (N + alpha).sum(axis=1)", "broadcast along the columns"),
                  ("(N + alpha) / (N + alpha).sum(axis=0, keepdims=True)", "your columns sum to 1"),
                  ("N / N.sum(axis=1, keepdims=True)", "alpha is not added"),
                  ("(N + alpha) / N.sum(axis=1, keepdims=True)", "the sums you divide by"),
                  ("N / N.sum(axis=1, keepdims=True) + alpha", "your rows do not sum to 1"),
                  ("(N + alpha) / (N + alpha).sum()", "your rows do not sum to 1"),
                  ("(N + alpha) / (N + alpha).sum(axis=1, keepdims=True) ** 2",
                   "your rows do not sum to 1"),
              ]] + [
        Mistake("import numpy as np\ndef bigram_probs(N, alpha):\n"
                "    e = np.exp(N + alpha)\n    return e / e.sum(axis=1, keepdims=True)",
                says="not those of the counts plus alpha"),
    ],
)


# ---- 3. the negative log-likelihood ----------------------------------------------------------
def _prob_table(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = rng.uniform(0.05, 1.0, size=(n, n))
    return raw / raw.sum(axis=1, keepdims=True)


def _nll_parts(P, words, stoi) -> list:
    return [[-math.log(P[a, b]) for a, b in zip(ids, ids[1:])]
            for ids in (_marked(w, stoi) for w in words)]


def _test_mean_nll(mean_nll) -> Optional[str]:
    function(mean_nll, "mean_nll")
    for k, (words, stoi) in enumerate(_WORD_CASES):
        P = _prob_table(len(stoi), seed=k)
        parts = _nll_parts(P, words, stoi)
        flat = [x for p in parts for x in p]
        want = sum(flat) / len(flat)
        shown = f"mean_nll(P, {words}, stoi)"
        got = number(run(mean_nll, P.copy(), fresh(words), fresh(stoi), what=shown), shown)
        if math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12):
            continue
        said = f"{shown} = {got:.6g}, but it should be {want:.6g}"
        if math.isclose(got, -want, rel_tol=1e-9):
            return f"{said}: the sign is wrong (the log of a probability is at most 0)"
        if math.isclose(got, sum(flat), rel_tol=1e-9):
            return f"{said}: that is the sum over the {len(flat)} bigrams; the loss is their mean"
        if math.isclose(got, math.exp(-sum(flat)), rel_tol=1e-9):
            return (f"{said}: that is the probability of all the bigrams (the likelihood); the "
                    "loss is the mean of minus their logs")
        if math.isclose(got, sum(sum(p) / len(p) for p in parts) / len(parts), rel_tol=1e-9):
            return (f"{said}: you average each word's mean; the mean runs over all the bigrams "
                    "together, so a long word counts more than a short one")
        for base in (2, 10):
            if math.isclose(got, want / math.log(base), rel_tol=1e-9):
                return f"{said}: that is the log in base {base}; the loss uses the natural log"
        inner = [x for p in _nll_parts(P, words, stoi) for x in p[1:-1]]
        if inner and math.isclose(got, sum(inner) / len(inner), rel_tol=1e-9):
            return (f"{said}: your bigrams are only those inside the words; the markers at the "
                    "start and the end count too")
        flipped = [x for p in _nll_parts(P.T, words, stoi) for x in p]
        if math.isclose(got, sum(flipped) / len(flipped), rel_tol=1e-9):
            return (f"{said}: P[a, b] is the probability of b after a (row: the character "
                    "before), and you read P the other way round")
        return said
    return None


mean_nll = Exercise(
    title="The loss of a bigram model",
    answer_name="mean_nll",
    test=_test_mean_nll,
    nudge_text=("list the probability the model gives to every bigram of every marked word; "
                "the loss is one number made from all of them."),
    hint_text=("for each word, turn '.' + word + '.' into positions with stoi; for every pair of "
               "neighbours (a, b) keep math.log(P[a, b]) in one list for all the words. The "
               "loss is minus the mean of that list."),
    solution_code='''
        import math

        def mean_nll(P, words, stoi):
            logs = []
            for w in words:
                ids = [stoi[ch] for ch in "." + w + "."]
                for a, b in zip(ids, ids[1:]):
                    logs.append(math.log(P[a, b]))
            return -sum(logs) / len(logs)
    ''',
    mistakes=[Mistake("import math\nimport numpy as np\ndef mean_nll(P, words, stoi):\n"
                      "    logs = []\n    for w in words:\n"
                      f"        ids = [stoi[ch] for ch in {marked}]\n"
                      "        for a, b in zip(ids, ids[1:]):\n"
                      f"            logs.append({log})\n    return {ret}", says=says)
              for marked, log, ret, says in [
                  ('"." + w + "."', "math.log(P[a, b])", "sum(logs) / len(logs)", "the sign is wrong"),
                  ('"." + w + "."', "math.log(P[a, b])", "-sum(logs)", "the loss is their mean"),
                  ('"." + w + "."', "math.log(P[a, b])", "math.exp(sum(logs))", "the likelihood"),
                  ('"." + w + "."', "math.log10(P[a, b])", "-sum(logs) / len(logs)", "base 10"),
                  ('"." + w + "."', "math.log2(P[a, b])", "-sum(logs) / len(logs)", "base 2"),
                  ('w', "math.log(P[a, b])", "-sum(logs) / len(logs)", "only those inside the words"),
                  ('"." + w + "."', "math.log(P[b, a])", "-sum(logs) / len(logs)", "the other way round"),
                  ('"." + w + "."', "math.log(P[a, b] + 1)", "-sum(logs) / len(logs)", ""),
              ]] + [
        Mistake("import numpy as np\ndef mean_nll(P, words, stoi):\n    per_word = []\n"
                "    for w in words:\n        ids = [stoi[ch] for ch in '.' + w + '.']\n"
                "        per_word.append(-np.mean([np.log(P[a, b]) for a, b in zip(ids, ids[1:])]))\n"
                "    return np.mean(per_word)", says="you average each word's mean"),
    ],
)


# ---- 4. the gradient of an embedding lookup --------------------------------------------------
def _lookup_cases() -> list:
    rng = np.random.default_rng(4)
    cases = [(np.array([0, 2, 2, 1]), 5, 2),                  # row 2 twice, rows 3, 4 never
             (rng.integers(0, 5, size=(6, 3)), 7, 4),         # (batch, context): rows 5, 6 unused
             (np.array([[1, 1, 1], [1, 0, 1]]), 2, 3),        # many repeats
             (rng.integers(0, 27, size=(32, 3)), 27, 2),
             (np.array([3]), 5, 1)]
    return [(X, n_rows, rng.normal(size=X.shape + (dim,))) for X, n_rows, dim in cases]


def _reference_embedding_grad(X: np.ndarray, G: np.ndarray, n_rows: int) -> np.ndarray:
    out = np.zeros((n_rows, G.shape[-1]))
    for pos in np.ndindex(*X.shape):
        out[X[pos]] += G[pos]               # every use of a row adds its gradient
    return out


def _test_embedding_grad(embedding_grad) -> Optional[str]:
    function(embedding_grad, "embedding_grad")
    for X, n_rows, G in _lookup_cases():
        want = _reference_embedding_grad(X, G, n_rows)
        C = Tensor(np.zeros((n_rows, G.shape[-1])), requires_grad=True)   # the engine agrees
        (C[X] * Tensor(G)).sum().backward()
        assert np.allclose(C.grad, want)
        shown = f"embedding_grad(X of shape {X.shape}, G of shape {G.shape}, {n_rows})"
        got = array(run(embedding_grad, X.copy(), G.copy(), n_rows, what=shown), shown)
        if got.shape != want.shape:
            if got.shape == G.shape:
                return (f"{shown} has the shape of G, {G.shape}: that is the gradient of the "
                        f"looked-up rows E; the gradient of C has one row per row of C, {want.shape}")
            return f"{shown} has shape {got.shape}; the gradient of C has C's shape, {want.shape}"
        if np.allclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        last = np.zeros_like(want)
        last[X.reshape(-1)] = G.reshape(-1, G.shape[-1])
        uses = np.bincount(X.reshape(-1), minlength=n_rows)
        if np.allclose(got, last, rtol=1e-9, atol=1e-12):
            row = int(np.argmax(uses))
            return (f"{shown}: row {row} is looked up {uses[row]} times, and its gradient should "
                    "be the sum of the gradients of all its uses; yours keeps only one of them")
        mean = np.divide(want, np.maximum(uses, 1)[:, None])
        if np.allclose(got, mean, rtol=1e-9, atol=1e-12):
            return (f"{shown}: you average the gradients of the uses of each row; they add up "
                    "(each use changes the loss on its own)")
        if np.allclose(got, -want, rtol=1e-9, atol=1e-12):
            return f"{shown} has the wrong sign"
        unused = uses == 0
        if unused.any() and not np.allclose(got[unused], 0):
            return (f"{shown}: rows that X never looks up (such as row {int(np.argmax(unused))}) "
                    "do not change the loss, so their gradient is 0")
        return f"{shown}: the shape is right, but the numbers are not the gradient of C"
    return None


embedding_grad = Exercise(
    title="The gradient of an embedding lookup",
    answer_name="embedding_grad",
    test=_test_embedding_grad,
    nudge_text=("E[pos] is a copy of row X[pos] of C: which rows of C does the gradient G[pos] "
                "belong to? Think of notebook 04: a value used twice."),
    hint_text=("start from zeros of shape (n_rows, dim); for every position pos of X (np.ndindex "
               "walks through them), add G[pos] to row X[pos]. Beware: dC[X] += G in one line "
               "does not add twice for an index that appears twice."),
    solution_code='''
        import numpy as np

        def embedding_grad(X, G, n_rows):
            dC = np.zeros((n_rows, G.shape[-1]))
            for pos in np.ndindex(*X.shape):
                dC[X[pos]] += G[pos]
            return dC
    ''',
    mistakes=[Mistake("import numpy as np\ndef embedding_grad(X, G, n_rows):\n" + body, says=says)
              for body, says in [
                  ("    dC = np.zeros((n_rows, G.shape[-1]))\n    dC[X] += G\n    return dC",
                   "yours keeps only one of them"),
                  ("    dC = np.zeros((n_rows, G.shape[-1]))\n    dC[X] = G\n    return dC",
                   "yours keeps only one of them"),
                  ("    return G", "that is the gradient of the looked-up rows"),
                  ("    dC = np.zeros((n_rows, G.shape[-1]))\n    np.add.at(dC, X, G)\n"
                   "    uses = np.bincount(X.ravel(), minlength=n_rows)\n"
                   "    return dC / np.maximum(uses, 1)[:, None]", "you average the gradients"),
                  ("    dC = np.zeros((n_rows, G.shape[-1]))\n    np.add.at(dC, X, -G)\n    return dC",
                   "the wrong sign"),
                  ("    dC = np.ones((n_rows, G.shape[-1]))\n    np.add.at(dC, X, G)\n    return dC",
                   "rows that X never looks up"),
                  ("    return G.reshape(-1, G.shape[-1]).sum(axis=0)", "has shape"),
                  ("    dC = np.zeros((n_rows, G.shape[-1]))\n    np.add.at(dC, X, G * 2)\n    return dC",
                   "the numbers are not the gradient of C"),
              ]],
)
