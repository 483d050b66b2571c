"""Notebook 15 (gpt): a block's residual forward, the parameters of a tiny GPT, temperature,
and top-k sampling.

References are computed independently of the answers: the block with its two sums written
out, the parameter count on real `nn` layers, the probabilities with an explicit stable
softmax; the test data are chosen so that the typical slips give different numbers.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from grad.exercises import (Exercise, Mistake, allclose, array, fresh, function, number, run, whole,
                            with_cause)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


# ---- 1. a block's residual forward -------------------------------------------------------------
BLOCK_SHAPES = [(5, 4), (1, 6), (7, 3), (4, 8)]      # (T, C)


def _block_parts(T: int, C: int, seed: int):
    """Four plain NumPy functions standing in for the block's parts, all different."""
    rng = _rng(seed)
    g1, b1, g2, b2 = (rng.normal(size=C) for _ in range(4))
    A, M1, M2 = rng.normal(size=(C, C)), rng.normal(size=(C, 2 * C)), rng.normal(size=(2 * C, C))

    def norm(x, g, b):
        xc = x - x.mean(axis=-1, keepdims=True)
        return xc / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + 1e-5) * g + b

    def ln1(x):
        return norm(np.asarray(x, dtype=float), g1, b1)

    def ln2(x):
        return norm(np.asarray(x, dtype=float), g2, b2)

    def attn(x):                       # each position: the mean of the positions so far, mixed
        x = np.asarray(x, dtype=float)
        past = np.cumsum(x, axis=0) / np.arange(1, len(x) + 1)[:, None]
        return past @ A / math.sqrt(C)

    def mlp(x):
        return np.tanh(np.asarray(x, dtype=float) @ M1) @ M2 / math.sqrt(2 * C)

    return attn, mlp, ln1, ln2


def _block_variants(x, attn, mlp, ln1, ln2) -> dict:
    h = x + attn(ln1(x))
    post = ln1(x + attn(x))
    return {
        "right": h + mlp(ln2(h)),
        "no residual": mlp(ln2(attn(ln1(x)))),
        "attention residual only": mlp(ln2(h)),
        "mlp residual only": attn(ln1(x)) + mlp(ln2(attn(ln1(x)))),
        "parallel": x + attn(ln1(x)) + mlp(ln2(x)),
        "post-norm": ln2(post + mlp(post)),
        "normalized residual": ln1(x) + attn(ln1(x)) + mlp(ln2(ln1(x) + attn(ln1(x)))),
        "swapped norms": (x + attn(ln2(x))) + mlp(ln1(x + attn(ln2(x)))),
        "stream normalized": _normalized_stream(x, attn, mlp, ln1, ln2),
        "mlp first": (x + mlp(ln2(x))) + attn(ln1(x + mlp(ln2(x)))),
        "mlp first, ln1": (x + mlp(ln1(x))) + attn(ln2(x + mlp(ln1(x)))),
    }


def _normalized_stream(x, attn, mlp, ln1, ln2):
    """x = ln1(x); x = x + attn(x); x = ln2(x); x = x + mlp(x): the stream itself normalized."""
    a = ln1(x)
    b = ln2(a + attn(a))
    return b + mlp(b)


_BLOCK_SLIPS = [
    ("no residual", "there is no residual connection: the output is mlp(...) of attention's "
                    "output, and x itself is not added back"),
    ("attention residual only", "x + attention is computed, but the MLP's output replaces it "
                                "instead of being added to it"),
    ("mlp residual only", "attention's output replaces x instead of being added to it"),
    ("parallel", "the MLP reads ln2(x), the block's input; it should read the sum after "
                 "attention has been added"),
    ("post-norm", "the layer norms are applied after the sums (the original 2017 "
                  "transformer's order); the notebook's block normalizes what goes into "
                  "attention and the MLP, and adds their outputs to the unnormalized stream"),
    ("normalized residual", "what is added back is ln1(x), the normalized input; the "
                            "residual carries x itself"),
    ("swapped norms", "ln1 and ln2 are swapped: ln1 goes before attention, ln2 before the MLP"),
    ("stream normalized", "the stream itself is normalized: the sums are built on ln1(x) and "
                          "ln2(h), the normalized copies, so x and h are not carried through"),
    ("mlp first", "the MLP comes first and attention second; in the block, attention comes "
                  "first"),
    ("mlp first, ln1", "the MLP comes first and attention second; in the block, attention "
                       "comes first"),
]


def _test_block_forward(block_forward) -> Optional[str]:
    function(block_forward, "block_forward")
    for i, (T, C) in enumerate(BLOCK_SHAPES):
        x = _rng(100 + i).normal(size=(T, C))
        parts = _block_parts(T, C, seed=200 + i)
        variants = _block_variants(x.copy(), *parts)
        what = "block_forward(x, attn, mlp, ln1, ln2)"
        got = array(run(block_forward, fresh(x), *parts, what=what), what, finite=False)
        where = f"for x of shape {x.shape}"
        want = variants["right"]
        if got.shape != want.shape:
            return f"{where} your output has shape {got.shape}; a block keeps the shape, {want.shape}"
        if not np.isfinite(got).all():
            return f"{where} your output holds inf or NaN: a right answer here has only finite numbers"
        if allclose(got, want, rtol=1e-9, atol=1e-12):
            continue
        for name, says in _BLOCK_SLIPS:
            if allclose(got, variants[name], rtol=1e-9, atol=1e-12):
                return f"{where} {says}"
        return f"{where} your output differs from the block's"
    return None


block_forward = Exercise(
    title="A block's residual forward",
    answer_name="block_forward",
    test=_test_block_forward,
    nudge_text=("the block has two steps, each of the same shape: normalize the stream, "
                "transform it, add the result back to the stream."),
    hint_text=("first h = x plus attention of the normalized x (ln1); then the output is h "
               "plus the MLP of the normalized h (ln2). Only what goes into attn and mlp is "
               "normalized."),
    solution_code='''
        def block_forward(x, attn, mlp, ln1, ln2):
            h = x + attn(ln1(x))          # positions exchange information
            return h + mlp(ln2(h))        # each position computes on its own
    ''',
    mistakes=[Mistake("def block_forward(x, attn, mlp, ln1, ln2):\n" + body, says=says)
              for body, says in [
                  ("    return mlp(ln2(attn(ln1(x))))", "there is no residual connection"),
                  ("    h = x + attn(ln1(x))\n    return mlp(ln2(h))", "replaces it instead"),
                  ("    a = attn(ln1(x))\n    return a + mlp(ln2(a))", "attention's output replaces x"),
                  ("    return x + attn(ln1(x)) + mlp(ln2(x))", "reads ln2(x), the block's input"),
                  ("    x = ln1(x)\n    x = x + attn(x)\n    x = ln2(x)\n    return x + mlp(x)",
                   "the stream itself is normalized"),
                  ("    h = x + mlp(ln2(x))\n    return h + attn(ln1(h))", "the MLP comes first"),
                  ("    h = ln1(x + attn(x))\n    return ln2(h + mlp(h))", "after the sums"),
                  ("    h = ln1(x) + attn(ln1(x))\n    return h + mlp(ln2(h))", "the normalized input"),
                  ("    h = x + attn(ln2(x))\n    return h + mlp(ln1(h))", "are swapped"),
                  ("    return x", "differs from the block's"),
                  ("    return (x + attn(ln1(x)))[-1]", "has shape"),
              ]],
)


# ---- 2. the parameters of the tiny GPT -------------------------------------------------------
GPT_CASES = [(74, 32, 48, 4, 2), (27, 16, 32, 4, 1), (65, 8, 16, 2, 3), (10, 64, 24, 3, 4),
             (50, 20, 40, 8, 2)]                      # (vocab, block, C, n_heads, n_layers)


def _real_gpt_count(vocab: int, block: int, C: int, n_layers: int) -> int:
    """The parameters of the notebook's GPT, counted on real layers of grad.tensor.nn."""
    from grad.tensor import nn
    state = np.random.get_state()
    try:
        layers = [nn.Embedding(vocab, C), nn.Embedding(block, C)]
        for _ in range(n_layers):
            layers += [nn.LayerNorm(C)]
            layers += [nn.Linear(C, C, bias=False) for _ in range(3)] + [nn.Linear(C, C)]
            layers += [nn.LayerNorm(C), nn.Linear(C, 4 * C), nn.Linear(4 * C, C)]
        layers += [nn.LayerNorm(C), nn.Linear(C, vocab)]
    finally:
        np.random.set_state(state)
    return sum(p.size for layer in layers for p in layer.parameters())


_GPT_SLIPS = [
    ("the position embedding (a table of block rows of C numbers) is missing",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - T * C),
    ("the layer norms have parameters too: a weight and a bias of C numbers each, two "
     "per block and one at the end",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - (4 * L + 2) * C),
    ("the last layer norm (before the head) is missing",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - 2 * C),
    ("the MLP widens to 4 * C numbers before it comes back to C",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - L * (6 * C * C + 3 * C)),
    ("the head (a Linear layer from C to vocab, with a bias) is missing or counted without "
     "its weights",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - V * C - V),
    ("the query, key and value layers have no bias",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) + 3 * L * C),
    ("the heads share the C numbers between them: n_heads does not multiply any weights",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) + (H - 1) * L * (4 * C * C + C)),
    ("the MLP's two layers have biases too (4 * C and C numbers)",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - L * 5 * C),
    ("the head has a bias too (one number per character of the vocabulary)",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - V),
    ("the output projection of the attention layer has a bias too (C numbers)",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - L * C),
    ("the blocks do not share weights: each of the n_layers blocks has its own",
     lambda V, T, C, H, L: _gpt_formula(V, T, C, L) - (L - 1) * (12 * C * C + 10 * C)),
]


def _gpt_formula(V: int, T: int, C: int, L: int) -> int:
    block = 2 * C + (4 * C * C + C) + 2 * C + (4 * C * C + 4 * C) + (4 * C * C + C)
    return V * C + T * C + L * block + 2 * C + C * V + V


def _test_gpt_params(gpt_params) -> Optional[str]:
    function(gpt_params, "gpt_params")
    got = []
    for case in GPT_CASES:
        shown_call = "gpt_params({}, {}, {}, {}, {})".format(*case)
        got.append(whole(run(gpt_params, *case, what=shown_call), shown_call))
    for case, mine in zip(GPT_CASES, got):
        want = _real_gpt_count(case[0], case[1], case[2], case[4])
        if mine == want:
            continue
        said = ("gpt_params({}, {}, {}, {}, {}) = ".format(*case)
                + (str(mine) if abs(mine) < 10 ** 12 else f"{mine:.3e}")
                + f": that is too {'many' if mine > want else 'few'} for that GPT")
        return with_cause(said, (message for message, formula in _GPT_SLIPS
                                 if all(x == formula(*c) for x, c in zip(got, GPT_CASES))))
    return None


gpt_params = Exercise(
    title="The parameters of the tiny GPT",
    answer_name="gpt_params",
    test=_test_gpt_params,
    nudge_text=("go through the GPT class and its Block, MultiHeadAttention and MLP: list "
                "every layer with the shapes of its weight and bias."),
    hint_text=("two embedding tables (vocab x C and block x C); per block, two layer norms "
               "(2C each), query, key and value without bias (C x C each), the output "
               "projection and the MLP's two layers (C -> 4C -> C) with biases; then the last "
               "layer norm and the head, C -> vocab with a bias. n_heads changes no count."),
    solution_code='''
        def gpt_params(vocab, block, C, n_heads, n_layers):
            attention = 3 * C * C + (C * C + C)            # query, key, value; projection
            mlp = (C * 4 * C + 4 * C) + (4 * C * C + C)    # C -> 4C -> C
            per_block = 2 * C + attention + 2 * C + mlp    # two layer norms
            return vocab * C + block * C + n_layers * per_block + 2 * C + (C * vocab + vocab)
    ''',
    mistakes=[Mistake("def gpt_params(vocab, block, C, n_heads, n_layers):\n"
                      "    per_block = 4 * C + 3 * C * C + (C * C + C) + (8 * C * C + 5 * C)\n"
                      "    return " + body, says=says)
              for body, says in [
                  ("vocab * C + n_layers * per_block + 2 * C + C * vocab + vocab",
                   "position embedding"),
                  ("vocab * C + block * C + n_layers * (per_block - 4 * C) + C * vocab + vocab",
                   "the layer norms have parameters too"),
                  ("vocab * C + block * C + n_layers * per_block + C * vocab + vocab",
                   "the last layer norm"),
                  ("vocab * C + block * C + n_layers * (per_block - 6 * C * C - 3 * C) + 2 * C"
                   " + C * vocab + vocab", "widens to 4 * C"),
                  ("vocab * C + block * C + n_layers * per_block + 2 * C", "the head (a Linear layer"),
                  ("vocab * C + block * C + n_layers * (per_block + 3 * C) + 2 * C + C * vocab"
                   " + vocab", "have no bias"),
                  ("vocab * C + block * C + n_layers * (per_block + (n_heads - 1) * (4 * C * C + C))"
                   " + 2 * C + C * vocab + vocab", "n_heads does not multiply"),
                  ("vocab * C + block * C + per_block + 2 * C + C * vocab + vocab",
                   "each of the n_layers blocks"),
                  ("vocab * C + block * C + n_layers * (per_block - 5 * C) + 2 * C + C * vocab"
                   " + vocab", "the MLP's two layers have biases"),
                  ("vocab * C + block * C + n_layers * per_block + 2 * C + C * vocab",
                   "the head has a bias"),
                  ("vocab * C + block * C + n_layers * (per_block - C) + 2 * C + C * vocab"
                   " + vocab", "the output projection of the attention layer"),
                  ("vocab * C + block * C + n_layers * per_block + 2 * C + C * vocab + vocab + 1",
                   ""),
                  ("str(vocab * C + block * C + n_layers * per_block + 2 * C + C * vocab + vocab)",
                   "is the string"),
                  ("(vocab * C + block * C + n_layers * per_block + 2 * C + C * vocab + vocab) / 7",
                   "not a whole number"),
              ]],
)


# ---- 3. temperature -----------------------------------------------------------------------------
TEMPERATURE_CASES = [([2.0, 1.0, 0.0, -1.0], 1.0), ([2.0, 1.0, 0.0, -1.0], 0.5),
                     ([0.3, -1.2, 2.5, 0.0, 1.1], 2.0), ([1000.0, 999.0, 990.0], 1.0),
                     ([5.0, 4.0, 1.0], 0.1), ([0.5, 0.5, -0.5], 3.0)]


def _test_temperature_probs(temperature_probs) -> Optional[str]:
    function(temperature_probs, "temperature_probs")
    for logits, t in TEMPERATURE_CASES:
        z = np.array(logits)
        want = _softmax(z / t)
        what = f"temperature_probs(logits, {t:g})"
        where = f"for the logits {np.array2string(z, separator=', ')} and temperature {t:g}"
        got = array(run(temperature_probs, z.copy(), t, what=what), what, finite=False)
        if got.shape != want.shape:
            return f"{where} your result has shape {got.shape}; it should be {want.shape}: one probability per character"
        if np.isnan(got).any() or np.isinf(got).any():
            if z.max() > 700:
                return (f"{where} your result holds NaN or inf: exp of a logit near 1000 "
                        "overflows; the softmax of notebook 08 shifts the scores first")
            return f"{where} your result holds NaN or inf: a right answer here has only finite numbers"
        if allclose(got, want, rtol=1e-7, atol=1e-12):
            continue
        if t != 1 and allclose(got, _softmax(z * t), rtol=1e-7, atol=1e-12):
            return (f"{where} your probabilities are those of temperature {1 / t:g}: the "
                    "logits are multiplied by the temperature instead of divided by it")
        if t != 1 and allclose(got, _softmax(z), rtol=1e-7, atol=1e-12):
            return f"{where} your probabilities are those of temperature 1: the temperature plays no part"
        if t != 1 and allclose(got, _softmax(z) / t, rtol=1e-7, atol=1e-12):
            return (f"{where} your probabilities add up to {got.sum():.4g}, not 1: dividing "
                    "the probabilities by the temperature changes their sum, not their shape")
        if allclose(got, z / t, rtol=1e-7, atol=1e-12):
            return f"{where} you return the scaled logits; the task asks for probabilities"
        if not math.isclose(float(got.sum()), 1.0, rel_tol=1e-7):
            return f"{where} your result adds up to {got.sum():.4g}, not 1: it is not a distribution"
        return f"{where} your probabilities differ from the softmax of the logits at that temperature"
    return None


temperature_probs = Exercise(
    title="Sampling temperature",
    answer_name="temperature_probs",
    test=_test_temperature_probs,
    nudge_text=("the temperature changes the scores before the softmax: what must it do to "
                "the logits so that a low temperature sharpens the distribution?"),
    hint_text=("divide the logits by the temperature, then take the softmax as in notebook "
               "08: subtract the largest scaled logit, exponentiate, divide by the sum."),
    solution_code='''
        import numpy as np

        def temperature_probs(logits, temperature):
            z = logits / temperature
            e = np.exp(z - z.max())
            return e / e.sum()
    ''',
    mistakes=[Mistake("import numpy as np\ndef temperature_probs(logits, temperature):\n" + body, says=says)
              for body, says in [
                  ("    z = logits * temperature\n    e = np.exp(z - z.max())\n    return e / e.sum()",
                   "multiplied by the temperature"),
                  ("    e = np.exp(logits - logits.max())\n    return e / e.sum()", "plays no part"),
                  ("    e = np.exp(logits - logits.max())\n    return e / e.sum() / temperature",
                   "changes their sum"),
                  ("    e = np.exp(logits / temperature)\n    return e / e.sum()", "overflows"),
                  ("    return logits / temperature", "scaled logits"),
                  ("    z = logits / temperature\n    e = np.exp(z - z.max())\n    return e",
                   "adds up to"),
                  ("    z = logits / temperature\n    return z - np.log(np.exp(z - z.max()).sum()) - z.max()",
                   "adds up to"),
                  ("    return np.ones(len(logits)) / len(logits)", "differ from the softmax"),
              ]],
)


# ---- 4. top-k ------------------------------------------------------------------------------------
TOP_K_CASES = [([2.0, 1.0, 0.0, -1.0, 0.5], 2), ([0.3, -1.2, 2.5, 0.0, 1.1, -0.4], 3),
               ([1.0, 3.0, 2.0], 1), ([0.1, 0.4, -0.3, 0.2], 4), ([4.0, -2.0, 0.0, 1.0, 3.0, 2.0, -1.0], 5)]


def _top_k_variants(z: np.ndarray, k: int) -> dict:
    order = np.argsort(-z, kind="stable")
    out = {}
    for name, keep in [("right", order[:k]), ("smallest", order[::-1][:k]),
                       ("one more", order[:k + 1]), ("one fewer", order[:max(k - 1, 0)])]:
        masked = np.full_like(z, -np.inf)
        masked[keep] = z[keep]
        out[name] = np.zeros_like(z) if len(keep) == 0 else _softmax(masked)
    p = _softmax(z)
    unnormalized = np.zeros_like(z)
    unnormalized[order[:k]] = p[order[:k]]
    out["not renormalized"] = unnormalized
    out["k uniform"] = np.where(np.isin(np.arange(len(z)), order[:k]), 1.0 / k, 0.0)
    return out


def _test_top_k_probs(top_k_probs) -> Optional[str]:
    function(top_k_probs, "top_k_probs")
    for logits, k in TOP_K_CASES:
        z = np.array(logits)
        variants = _top_k_variants(z, k)
        want = variants["right"]
        what = f"top_k_probs(logits, {k})"
        where = f"for the logits {np.array2string(z, separator=', ')} and k = {k}"
        got = array(run(top_k_probs, z.copy(), k, what=what), what, finite=False)
        if got.shape != want.shape:
            return (f"{where} your result has shape {got.shape}; it should be {want.shape}: one "
                    "probability per character, 0 for those left out")
        if not np.isfinite(got).all():
            return f"{where} your result holds inf or NaN: a right answer here has only finite numbers"
        if allclose(got, want, rtol=1e-7, atol=1e-12):
            continue
        for name, says in [("smallest", "you keep the k smallest logits; top-k keeps the k largest"),
                           ("one more", f"{int((got > 0).sum())} characters keep a chance, one more than k"),
                           ("one fewer", f"{int((got > 0).sum())} characters keep a chance, one fewer than k"),
                           ("not renormalized", f"the probabilities add up to {got.sum():.4g}, not 1: the "
                                                "kept ones are not scaled back up after the others are removed"),
                           ("k uniform", "the k kept characters all get the same probability; they "
                                         "keep the order of their logits")]:
            if k < len(z) and allclose(got, variants[name], rtol=1e-7, atol=1e-12):
                return f"{where} {says}"
        if not math.isclose(float(got.sum()), 1.0, rel_tol=1e-7):
            return f"{where} your result adds up to {got.sum():.4g}, not 1: it is not a distribution"
        return f"{where} your probabilities differ from the softmax over the k largest logits"
    return None


top_k_probs = Exercise(
    title="Top-k sampling",
    answer_name="top_k_probs",
    test=_test_top_k_probs,
    nudge_text=("which characters keep a chance, and how do you make a softmax give exactly 0 "
                "to the others?"),
    hint_text=("find the k-th largest logit (np.sort(logits)[-k]); set every logit below it to "
               "-inf (a masked score, as in notebook 14's causal mask), then take the softmax."),
    solution_code='''
        import numpy as np

        def top_k_probs(logits, k):
            kth = np.sort(logits)[-k]
            z = np.where(logits >= kth, logits, -np.inf)
            e = np.exp(z - z.max())
            return e / e.sum()
    ''',
    mistakes=[Mistake("import numpy as np\ndef softmax(z):\n    e = np.exp(z - z.max())\n    return e / e.sum()\n"
                      "def top_k_probs(logits, k):\n" + body, says=says)
              for body, says in [
                  ("    kth = np.sort(logits)[k - 1]\n    return softmax(np.where(logits <= kth, logits, -np.inf))",
                   "the k smallest"),
                  ("    kth = np.sort(logits)[-k - 1]\n    return softmax(np.where(logits >= kth, logits, -np.inf))",
                   "one more than k"),
                  ("    kth = np.sort(logits)[-k]\n    return softmax(np.where(logits > kth, logits, -np.inf))",
                   "one fewer than k"),
                  ("    kth = np.sort(logits)[-k]\n    return np.where(logits >= kth, softmax(logits), 0.0)",
                   "not scaled back up"),
                  ("    kth = np.sort(logits)[-k]\n    return np.where(logits >= kth, 1.0 / k, 0.0)",
                   "the same probability"),
                  ("    return softmax(logits)", "differ from the softmax over"),
                  ("    kth = np.sort(logits)[-k]\n    return np.where(logits >= kth, logits, 0.0)",
                   "adds up to"),
                  ("    return softmax(np.sort(logits)[-k:])", "has shape"),
              ]],
)
