"""Notebook 14 (attention): the averaging matrix, scaled scores, one causal head, and the
parameters of a multi-head attention layer.

References are computed independently of the answers: with explicit Python loops over the
positions, and with `F.scaled_dot_product_attention` or real `nn.Linear` layers, on shapes
where the slips differ (T, S, d and C all different, plus square cases where a transposed
answer would have the right shape).
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from grad.exercises import Exercise, Mistake, allclose, array, function, run, whole, with_cause
from grad.tensor import Tensor
from grad.tensor import functional as F


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _count(n: int) -> str:
    """A whole number for a message: in full unless it is huge."""
    return str(n) if abs(n) < 10 ** 12 else f"{n:.3e}"


def _softmax_rows(s: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(s - s.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ---- 1. the averaging matrix ----------------------------------------------------------------
AVERAGE_SIZES = [4, 1, 2, 5, 8]


def _reference_average(T: int) -> np.ndarray:
    W = np.zeros((T, T))
    for t in range(T):
        for s in range(t + 1):
            W[t, s] = 1.0 / (t + 1)          # rows 0..t, each with the same share
    return W


def _test_average_weights(average_weights) -> Optional[str]:
    function(average_weights, "average_weights")
    for T in AVERAGE_SIZES:
        what = f"average_weights({T})"
        got = array(run(average_weights, T, what=what), what, finite=False)
        want = _reference_average(T)
        if got.shape != (T, T):
            return f"{what} has shape {got.shape}; it should be ({T}, {T}): one row per position"
        if np.isnan(got).any():
            bad = np.flatnonzero(np.isnan(got).any(axis=1))
            if bad.tolist() == [0]:
                return (f"row 0 of {what} holds NaN: a position with nothing to average (0 / 0)? "
                        "Every position averages the rows up to and including itself")
            return (f"row {bad[0]} of {what} holds NaN: a right answer here has only finite "
                    "numbers")
        if not np.isfinite(got).all():
            return f"{what} contains inf or -inf: a right answer here has only finite numbers"
        if allclose(got, want):
            continue
        lower = np.tril(np.ones((T, T)))
        if allclose(got, lower):
            return (f"{what} adds the rows up: row t of W @ x would be the sum of t + 1 rows, "
                    "not their average")
        if allclose(got * T, lower):
            return (f"{what} divides every row by {T}: the rows of W @ x are sums of the past "
                    f"divided by {T}, but position t has only t + 1 rows to average")
        if allclose(got, lower / np.arange(1, T + 1)):
            return (f"row t of {what} is not divided by its own count: each row's sum has to "
                    "line up with that row (broadcasting matches shapes from the right)")
        if allclose(got, want.T) or allclose(got, want[::-1, ::-1]):
            return (f"{what} mixes in rows that come later: a row of W @ x would average the "
                    "future")
        if allclose(got, np.full((T, T), 1.0 / T)):
            return (f"with {what}, every row of W @ x is the average of all {T} rows: each "
                    "position also sees the ones after it")
        if allclose(got.sum(axis=0), np.ones(T)) and not allclose(got.sum(axis=1), np.ones(T)):
            return (f"the columns of {what} add up to 1, not its rows: row t of W holds the "
                    "weights of position t")
        if (np.abs(np.triu(got, k=1)) > 1e-12).any():
            return f"{what} has non-zero entries above the diagonal, where the future is"
        return (f"{what} is zero above the diagonal, but its other entries are not the "
                "weights of an average")
    return None


average_weights = Exercise(
    title="The averaging matrix",
    answer_name="average_weights",
    test=_test_average_weights,
    nudge_text=("row t of W says how much of each row of x goes into output t: which rows "
                "may it use, and with what share each?"),
    hint_text=("start from a (T, T) matrix that is 1 on and below the diagonal and 0 above "
               "it (np.tril), then make each row an average instead of a sum: divide the row "
               "by the number of ones in it."),
    solution_code='''
        import numpy as np

        def average_weights(T):
            lower = np.tril(np.ones((T, T)))
            return lower / lower.sum(axis=1, keepdims=True)
    ''',
    mistakes=[Mistake("import numpy as np\ndef average_weights(T):\n" + body, says=says)
              for body, says in [
                  ("    return np.tril(np.ones((T, T)))", "adds the rows up"),
                  ("    return np.tril(np.ones((T, T))) / T", "divides every row by 4"),
                  ("    upper = np.triu(np.ones((T, T)))\n"
                   "    return upper / upper.sum(axis=1, keepdims=True)", "average the future"),
                  ("    return np.ones((T, T)) / T", "also sees the ones after it"),
                  ("    lower = np.tril(np.ones((T, T)))\n    return lower / lower.sum(axis=0)",
                   "add up to 1, not its rows"),
                  ("    lower = np.tril(np.ones((T, T)), k=-1)\n"
                   "    return lower / lower.sum(axis=1, keepdims=True)", "holds NaN"),
                  ("    lower = np.tril(np.ones((T, T)))\n    return lower / lower.sum(axis=1)",
                   "not divided by its own count"),
                  ("    return np.tril(np.ones((T, T))) / np.arange(1, T + 1)",
                   "not divided by its own count"),
                  ("    return np.eye(T)", "not the weights of an average"),
                  ("    return np.tril(np.ones(T)).sum(axis=1)", "has shape"),
              ]],
)


# ---- 2. scaled scores -----------------------------------------------------------------------
SCORE_SHAPES = [(3, 5, 4), (5, 5, 2), (1, 3, 9), (6, 2, 16), (4, 4, 4)]   # (T, S, d)


def _reference_scores(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    T, d = q.shape
    out = np.zeros((T, len(k)))
    for t in range(T):
        for s in range(len(k)):
            out[t, s] = sum(q[t, i] * k[s, i] for i in range(d)) / math.sqrt(d)
    return out


def _test_scaled_scores(scaled_scores) -> Optional[str]:
    function(scaled_scores, "scaled_scores")
    rng = _rng(14)
    for T, S, d in SCORE_SHAPES:
        q, k = rng.normal(size=(T, d)), rng.normal(size=(S, d))
        want = _reference_scores(q, k)
        what = "scaled_scores(q, k)"
        got = array(run(scaled_scores, q, k, what=what), what, finite=False)
        where = f"for q of shape {q.shape} and k of shape {k.shape}"
        if got.shape == want.shape and got.ndim == 2 and np.array_equal(
                np.isneginf(got), ~np.tri(T, S, dtype=bool)) and T * S > 1:
            return (f"{where} your scores are -inf above the diagonal: this exercise asks for "
                    "the scores without the mask")
        if not np.isfinite(got).all():
            return (f"{where} your scores contain inf, -inf or NaN: a right answer here has "
                    "only finite numbers")
        if got.shape != want.shape:
            if got.shape == want.T.shape:
                return (f"{where} your result has shape {got.shape}, the transpose: entry [t, s] "
                        "is query t against key s, so there is one row per query")
            return (f"{where} your result has shape {got.shape}; it should be {want.shape}: one "
                    "score per (query, key) pair")
        if allclose(got, want):
            continue
        root = math.sqrt(d)
        if d > 1 and allclose(got, want * root):
            return (f"{where} your scores are √d = {root:g} times larger than attention's: "
                    "they are not scaled")
        if d > 1 and allclose(got, want / root):
            return (f"{where} your scores are √d = {root:g} times smaller than attention's: "
                    "scaled too strongly")
        if d > 1 and allclose(got, want * d):
            return (f"{where} your scores are d = {d} times larger than attention's: the "
                    "scale works the wrong way round")
        if T != d and allclose(got, want * root / math.sqrt(T)):
            return (f"{where} your scores are scaled by the number of queries (T = {T}), not "
                    "by the size d of a query")
        if S != d and allclose(got, want * root / math.sqrt(S)):
            return (f"{where} your scores are scaled by the number of keys (S = {S}), not "
                    "by the size d of a query")
        if allclose(got, _softmax_rows(want)):
            return (f"{where} each row of yours sums to 1: these are the softmax weights; "
                    "the scores are what goes into the softmax, before it")
        if allclose(got, want.T):
            return (f"{where} your result is the transpose (the shapes only matched because "
                    "there are as many queries as keys): entry [t, s] is query t against key s")
        return f"{where} the numbers differ from the scaled dot products of the queries and keys"
    return None


scaled_scores = Exercise(
    title="Scaled attention scores",
    answer_name="scaled_scores",
    test=_test_scaled_scores,
    nudge_text=("every entry is one query's dot product with one key: which matrix product "
                "gives all of them at once, and what keeps their variance near 1?"),
    hint_text=("q has one query per row and k one key per row; a product of q with the "
               "transpose of k pairs every row of q with every row of k. Then scale by one "
               "over the square root of the query size, q.shape[1]."),
    solution_code='''
        import math

        def scaled_scores(q, k):
            return q @ k.T / math.sqrt(q.shape[1])
    ''',
    mistakes=[Mistake("import math\nimport numpy as np\ndef scaled_scores(q, k):\n    return " + body,
                      says=says)
              for body, says in [
                  ("q @ k.T", "they are not scaled"),
                  ("q @ k.T / q.shape[1]", "scaled too strongly"),
                  ("q @ k.T * math.sqrt(q.shape[1])", "the wrong way round"),
                  ("q @ k.T / math.sqrt(len(q))", "the number of queries"),
                  ("q @ k.T / math.sqrt(len(k))", "the number of keys"),
                  ("k @ q.T / math.sqrt(q.shape[1])", "the transpose"),
                  ("(q * k).sum(axis=1) / math.sqrt(q.shape[1])", "raised ValueError"),
                  ("np.exp(q @ k.T / math.sqrt(q.shape[1])) / np.exp(q @ k.T / math.sqrt(q.shape[1]))"
                   ".sum(axis=1, keepdims=True)", "before it"),
                  ("np.where(np.tri(len(q), len(k), dtype=bool), q @ k.T / math.sqrt(q.shape[1]), -np.inf)",
                   "without the mask"),
                  ("q.T @ k / math.sqrt(q.shape[1])", "raised ValueError"),
              ]],
)


# ---- 3. one causal head ---------------------------------------------------------------------
HEAD_SHAPES = [(5, 4, 3), (1, 3, 2), (7, 6, 4), (4, 2, 5), (6, 8, 6)]     # (T, C, d)


def _head_variants(x, Wq, Wk, Wv) -> dict:
    """The right output and the typical slips, each computed with loops over the positions."""
    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T
    T, d = q.shape
    out = {}
    for name, values, scale, causal, axis in [("right", v, math.sqrt(d), True, 1),
                                             ("no mask", v, math.sqrt(d), False, 1),
                                             ("no scale", v, 1.0, True, 1),
                                             ("keys as values", k, math.sqrt(d), True, 1),
                                             ("columns", v, math.sqrt(d), True, 0)]:
        s = np.array([[q[t] @ k[j] / scale for j in range(T)] for t in range(T)])
        if causal:
            s = np.where(np.tri(T, dtype=bool), s, -np.inf)
        out[name] = _softmax_rows(s, axis=axis) @ values
        if name == "right":
            out["weights"] = _softmax_rows(s)
    out["plain average"] = (np.tri(T) / np.arange(1, T + 1)[:, None]) @ v
    s = np.array([[q[t] @ k[j] / math.sqrt(d) for j in range(T)] for t in range(T)])
    out["zero mask"] = _softmax_rows(np.where(np.tri(T, dtype=bool), s, 0.0)) @ v
    out["mask after"] = (_softmax_rows(s) * np.tri(T)) @ v
    # the diagonal hidden too: each position t > 0 averages positions 0..t-1 only
    past = np.where(np.tri(T, k=-1, dtype=bool), s, -np.inf)
    past[0] = s[0]                              # row 0 has nothing left; only rows 1.. compared
    out["diagonal"] = _softmax_rows(past) @ v
    return out


def _test_attention_head(attention_head) -> Optional[str]:
    function(attention_head, "attention_head")
    rng = _rng(41)
    for T, C, d in HEAD_SHAPES:
        x = rng.normal(size=(T, C))
        Wq, Wk, Wv = (rng.normal(size=(d, C)) / math.sqrt(C) * 2 for _ in range(3))
        variants = _head_variants(x, Wq, Wk, Wv)
        want = F.scaled_dot_product_attention(Tensor(x @ Wq.T), Tensor(x @ Wk.T), Tensor(x @ Wv.T),
                                              is_causal=True).data
        assert np.allclose(want, variants["right"], rtol=1e-10, atol=1e-12)
        what = "attention_head(x, Wq, Wk, Wv)"
        got = array(run(attention_head, x, Wq, Wk, Wv, what=what), what, finite=False)
        where = f"for x of shape {x.shape} and weights of shape {Wq.shape}"
        if got.shape != want.shape:
            if got.shape == (T, T) and allclose(got, variants["weights"]):
                return (f"{where} you return the ({T}, {T}) attention weights; the head's output "
                        f"is the weighted average of the values, shape {want.shape}")
            if got.shape == (T, C):
                return (f"{where} your output has shape {got.shape}, one row of C = {C} numbers "
                        f"per position; a head's output has the size of a value, d = {d}")
            return f"{where} your output has shape {got.shape}; it should be {want.shape}"
        if np.isnan(got).any():
            bad = np.flatnonzero(np.isnan(got).any(axis=1))
            if bad.tolist() == [0]:
                return (f"{where} your output holds NaN in row 0: a softmax over nothing but "
                        "-inf gives NaN, and every position may look at itself")
            return (f"{where} your output holds NaN (in row {bad[0]}): a right answer here has "
                    "only finite numbers")
        if not np.isfinite(got).all():
            return (f"{where} your output contains inf or -inf: a right answer here has only "
                    "finite numbers")
        if allclose(got, want, rtol=1e-7, atol=1e-10):
            continue
        for name, says in [("no mask", "positions look at the future: the causal mask is missing"),
                           ("no scale", "the scores are not scaled"),
                           ("columns", "your softmax normalizes the columns (over the queries); "
                                       "each position's weights, a row, must sum to 1"),
                           ("keys as values", "you average the keys; the output averages the values"),
                           ("plain average", "your output is the plain average of the past values: "
                                             "the scores play no part")]:
            if T > 1 and allclose(got, variants[name], rtol=1e-7, atol=1e-10):
                return f"{where} {says}"
        if T > 1 and allclose(got, variants["zero mask"], rtol=1e-7, atol=1e-10):
            return (f"{where} the masked scores became 0, not -inf: after the softmax the later "
                    "positions still get weight (e to the 0 is 1)")
        if T > 1 and allclose(got, variants["mask after"], rtol=1e-7, atol=1e-10):
            return (f"{where} the weights of the later positions were set to 0 after the "
                    "softmax, so each row's remaining weights no longer sum to 1")
        if T > 2 and allclose(got[1:], variants["diagonal"][1:], rtol=1e-7, atol=1e-10):
            return (f"{where} the mask also hides the diagonal: each position gives no weight "
                    "to itself, only to the positions before it")
        return f"{where} your output differs from attention's"
    return None


attention_head = Exercise(
    title="One causal attention head",
    answer_name="attention_head",
    test=_test_attention_head,
    nudge_text=("follow section 2 step by step: queries, keys and values; scores; the mask; "
                "softmax weights; the weighted average."),
    hint_text=("q = x @ Wq.T, and likewise k and v. The scores q @ k.T are divided by the "
               "square root of d; entries above the diagonal become -inf (np.triu(..., k=1) "
               "marks them); a softmax along each row turns the scores into weights, which "
               "multiply v."),
    solution_code='''
        import math
        import numpy as np

        def attention_head(x, Wq, Wk, Wv):
            q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T
            T, d = q.shape
            scores = q @ k.T / math.sqrt(d)
            scores = np.where(np.triu(np.ones((T, T), dtype=bool), k=1), -np.inf, scores)
            weights = np.exp(scores - scores.max(axis=1, keepdims=True))
            weights = weights / weights.sum(axis=1, keepdims=True)
            return weights @ v
    ''',
    mistakes=[Mistake("import math\nimport numpy as np\n"
                      "def softmax(s, axis=1):\n"
                      "    e = np.exp(s - s.max(axis=axis, keepdims=True))\n"
                      "    return e / e.sum(axis=axis, keepdims=True)\n"
                      "def attention_head(x, Wq, Wk, Wv):\n"
                      "    q, k, v = x @ Wq.T, x @ Wk.T, x @ Wv.T\n"
                      "    T, d = q.shape\n"
                      "    mask = np.triu(np.ones((T, T), dtype=bool), k=1)\n" + body, says=says)
              for body, says in [
                  ("    return softmax(q @ k.T / math.sqrt(d)) @ v", "the causal mask is missing"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T)) @ v", "not scaled"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T / math.sqrt(d))) @ k",
                   "you average the keys"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T / math.sqrt(d)), axis=0) @ v",
                   "normalizes the columns"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T / math.sqrt(d)))",
                   "attention weights"),
                  ("    return softmax(np.where(np.triu(np.ones((T, T), dtype=bool)), -np.inf,"
                   " q @ k.T / math.sqrt(d))) @ v", "holds NaN"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T / math.sqrt(d))) @ x",
                   "the size of a value"),
                  ("    w = np.tril(np.ones((T, T)))\n    return w / w.sum(axis=1, keepdims=True) @ v",
                   "the plain average"),
                  ("    return softmax(np.where(mask, -np.inf, (x @ Wq) @ (x @ Wk).T / math.sqrt(d))) @ v",
                   "raised ValueError"),
                  ("    return softmax(np.where(mask, -np.inf, q @ k.T * math.sqrt(d))) @ v",
                   "differs from attention's"),
                  ("    return softmax(np.where(mask, 0, q @ k.T / math.sqrt(d))) @ v",
                   "became 0, not -inf"),
                  ("    return (softmax(q @ k.T / math.sqrt(d)) * np.tril(np.ones((T, T)))) @ v",
                   "set to 0 after the softmax"),
                  ("    return softmax(np.where(np.triu(np.ones((T, T), dtype=bool)), -1e9,"
                   " q @ k.T / math.sqrt(d))) @ v", "also hides the diagonal"),
              ]],
)


# ---- 4. the parameters of a multi-head attention layer ---------------------------------------
MHA_CASES = [(16, 4), (32, 4), (64, 8), (12, 3), (8, 1), (30, 5)]   # (C, n_heads)

# The typical slips as formulas, with what to tell the learner whose answer follows one of
# them (and no other) in every case.
_MHA_SLIPS = [
    ("the output projection (a Linear layer from C to C, with a bias) is missing",
     lambda C, H: 3 * C * C),
    ("the output projection has a bias too", lambda C, H: 4 * C * C),
    ("the query, key and value layers have no bias; only the output projection has one",
     lambda C, H: 4 * C * C + 4 * C),
    ("the heads share the C numbers between them: n_heads does not multiply the weights",
     lambda C, H: H * (4 * C * C + C)),
    ("the heads share the C numbers between them: n_heads does not multiply the weights",
     lambda C, H: H * 3 * C * C + C * C + C),
    ("the heads together use every row of each C x C layer: splitting shares the rows "
     "out between the heads, it does not make the layers smaller",
     lambda C, H: 4 * C * C // H + C),
    ("the heads together use every row of each C x C layer: splitting shares the rows "
     "out between the heads, it does not make the layers smaller",
     lambda C, H: 3 * C * C // H + C * C + C),
]


def _real_count(C: int) -> int:
    """The parameters of the notebook's layer, counted on real Linear layers."""
    from grad.tensor import nn
    state = np.random.get_state()
    try:
        layers = [nn.Linear(C, C, bias=False) for _ in range(3)] + [nn.Linear(C, C)]
    finally:
        np.random.set_state(state)
    return sum(p.size for layer in layers for p in layer.parameters())


def _test_mha_params(mha_params) -> Optional[str]:
    function(mha_params, "mha_params")
    got = []
    for C, H in MHA_CASES:
        shown = f"mha_params({C}, {H})"
        got.append(whole(run(mha_params, C, H, what=shown), shown))
    for (C, H), mine in zip(MHA_CASES, got):
        want = _real_count(C)
        if mine == want:
            continue
        said = (f"mha_params({C}, {H}) = {_count(mine)}: that is too "
                f"{'many' if mine > want else 'few'} for MultiHeadAttention({C}, {H})")
        return with_cause(said, (message for message, formula in _MHA_SLIPS
                                 if all(x == formula(*case) for x, case in zip(got, MHA_CASES))))
    return None


mha_params = Exercise(
    title="The parameters of multi-head attention",
    answer_name="mha_params",
    test=_test_mha_params,
    nudge_text=("list the layers MultiHeadAttention makes, with their shapes, and count the "
                "numbers in each weight and bias; then ask what n_heads changes."),
    hint_text=("there are four Linear layers from C to C: query, key and value without a "
               "bias, and the output projection with one. Splitting into heads only reshapes "
               "the queries, keys and values; it creates no new weights."),
    solution_code='''
        def mha_params(C, n_heads):
            return 3 * C * C + (C * C + C)   # query, key, value; the output projection
    ''',
    mistakes=[Mistake("def mha_params(C, n_heads):\n    return " + body, says=says)
              for body, says in [
                  ("3 * C * C", "the output projection (a Linear layer"),
                  ("4 * C * C", "has a bias too"),
                  ("4 * C * C + 4 * C", "have no bias"),
                  ("n_heads * (4 * C * C + C)", "n_heads does not multiply"),
                  ("n_heads * 3 * C * C + C * C + C", "n_heads does not multiply"),
                  ("4 * (C // n_heads) * C + C", "does not make the layers smaller"),
                  ("4 * C * C + C + n_heads", ""),
                  ("str(4 * C * C + C)", "is the string"),
                  ("(4 * C * C + C) / 1.5", "not a whole number"),
              ]],
)
