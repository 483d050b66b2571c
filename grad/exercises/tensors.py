"""Notebook 11 (tensors): undoing broadcasting, a linear layer's backward pass, a vectorized
double loop, and the gradient of a broadcast product.

References are computed independently of the answers, with explicit Python loops over
the entries, on several shapes (rectangular and square, so that a transposed answer
cannot pass by accident).
"""
from __future__ import annotations

import re
from typing import Optional

import numpy as np

from grad.exercises import Exercise, LearnerFailed, Mistake, array, function, items, run, run_counting
from grad.exercises._run import learner_line


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _as_array(x, what: str) -> np.ndarray:
    return array(x, what)


# ---- 1. undo broadcasting ---------------------------------------------------------------------
UNBROADCAST_CASES = [
    ((5, 3), (3,)),        # a bias added to every row
    ((5, 3), (5, 1)),      # a column stretched across
    ((5, 3), (1, 3)),      # a row stretched down (kept as 2-D)
    ((2, 3, 4), (4,)),     # two leading axes added
    ((2, 3, 4), (3, 1)),   # one axis added, one stretched
    ((2, 3, 4), (2, 1, 4)),
    ((2, 3, 4), (1, 3, 1)),
    ((4, 3), (1, 1)),
    ((6,), ()),            # a scalar
    ((3, 4), (3, 4)),      # nothing to undo
]


def _reference_unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Each entry of g is added to the entry of the small operand it was copied from."""
    out = np.zeros(shape)
    extra = g.ndim - len(shape)
    for idx in np.ndindex(*g.shape):
        source = tuple(0 if n == 1 else i for i, n in zip(idx[extra:], shape))
        out[source] += g[idx]
    return out


def _test_unbroadcast(unbroadcast) -> Optional[str]:
    function(unbroadcast, "unbroadcast")
    rng = _rng(11)
    for gshape, shape in UNBROADCAST_CASES:
        g = rng.normal(size=gshape)
        want = _reference_unbroadcast(g, shape)
        what = f"unbroadcast(grad of shape {gshape}, {shape})"
        got = _as_array(run(unbroadcast, g, shape, what=what), what)
        where = f"for a gradient of shape {gshape} and an operand of shape {shape}"
        if got.shape != tuple(shape):
            if got.ndim > len(shape):
                extra = got.ndim - len(shape)
                return (f"{where} you returned shape {got.shape}: also sum over the "
                        f"{'leading axis' if extra == 1 else f'{extra} leading axes'} "
                        "that broadcasting added")
            if got.ndim == len(shape) and any(m == 1 and n != 1 for n, m in zip(shape, got.shape)):
                return (f"{where} you returned shape {got.shape}, with size 1 where the operand "
                        "has more: the operand's axes line up with the gradient's last axes "
                        "(shapes are matched from the right)")
            if got.ndim == len(shape) and any(n == 1 and m != 1 for n, m in zip(shape, got.shape)):
                return (f"{where} you returned shape {got.shape}: also sum over every axis "
                        "where the operand has size 1 but the gradient does not "
                        "(keepdims=True keeps the axis)")
            extra = g.ndim - len(shape)
            dropped = tuple(n for i, n in enumerate(shape) if n != 1 or gshape[extra + i] == 1)
            if got.shape == dropped:
                return (f"{where} you returned shape {got.shape}: when you sum over an axis "
                        "where the operand had size 1, keep that axis (keepdims=True)")
            return f"{where} you returned shape {got.shape}; the gradient must have the operand's shape {shape}"
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            n_copies = g.size // max(want.size, 1)
            if n_copies > 1 and np.allclose(got * n_copies, want, rtol=1e-10, atol=1e-12):
                return (f"{where} your numbers are {n_copies} times too small: every copy "
                        "contributes its whole gradient, so sum, do not average")
            return (f"{where} the shape is right but the numbers are not: each entry should be "
                    "the sum of the gradients of all its copies")
    return None


unbroadcast = Exercise(
    title="Undo broadcasting",
    answer_name="unbroadcast",
    test=_test_unbroadcast,
    nudge_text=("every entry of the small operand was copied to several places of the big "
                "result, and each copy sends back its own gradient: where did the copies go?"),
    hint_text=("first sum over the leading axes that broadcasting added "
               "(grad.ndim - len(shape) of them); then, for every axis where shape has a 1 but "
               "grad does not, sum over that axis with keepdims=True."),
    solution_code='''
        import numpy as np

        def unbroadcast(grad, shape):
            extra = grad.ndim - len(shape)
            if extra > 0:
                grad = grad.sum(axis=tuple(range(extra)))
            stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
            if stretched:
                grad = grad.sum(axis=stretched, keepdims=True)
            return grad
    ''',
    mistakes=[Mistake("import numpy as np\ndef unbroadcast(grad, shape):\n" + body, says=says)
              for body, says in [
                  ("    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n"
                   "    return grad", "also sum over every axis where the operand has size 1"),
                  ("    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n"
                   "    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)\n"
                   "    return grad.sum(axis=stretched) if stretched else grad", "keep that axis"),
                  ("    while grad.ndim > len(shape):\n        grad = grad.mean(axis=0)\n"
                   "    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)\n"
                   "    return grad.mean(axis=stretched, keepdims=True) if stretched else grad",
                   "times too small"),
                  ("    return grad", "leading axis"),
                  ("    for i, n in enumerate(shape):\n        if n == 1:\n"
                   "            grad = grad.sum(axis=i, keepdims=True)\n"
                   "    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n    return grad",
                   "matched from the right"),
                  ("    return grad.sum(axis=0)", "the gradient must have the operand's shape"),
                  ("    while grad.ndim > len(shape):\n        grad = grad.sum(axis=-1)\n    return grad",
                   "the gradient must have the operand's shape"),
              ]],
)


# ---- 2. a linear layer written the other way round ---------------------------------------------
LINEAR_SHAPES = [(5, 3, 4), (1, 2, 2), (7, 4, 1), (4, 3, 3), (6, 1, 5)]   # (N, in, out)


def _reference_linear_backward(G, X, W):
    n, d_in = X.shape
    d_out = W.shape[1]
    dX, dW, db = np.zeros((n, d_in)), np.zeros((d_in, d_out)), np.zeros(d_out)
    for r in range(n):
        for i in range(d_in):
            for j in range(d_out):
                dX[r, i] += G[r, j] * W[i, j]     # Z[r, j] = sum_i X[r, i] W[i, j] + b[j]
                dW[i, j] += G[r, j] * X[r, i]
    for r in range(n):
        for j in range(d_out):
            db[j] += G[r, j]
    return dX, dW, db


def _is_product_mismatch(e: ValueError) -> bool:
    """NumPy's complaint about a matrix product (@, np.matmul or np.dot) of unfit shapes."""
    text = str(e)
    return (text.startswith("matmul: Input operand")
            or re.match(r"shapes \(.*\) and \(.*\) not aligned", text) is not None)


def _test_linear_backward(linear_backward) -> Optional[str]:
    function(linear_backward, "linear_backward")
    rng = _rng(7)
    for n, d_in, d_out in LINEAR_SHAPES:
        X, W = rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out))
        G = rng.normal(size=(n, d_out))
        want = _reference_linear_backward(G, X, W)
        what = "linear_backward(G, X, W)"
        where = f"with X of shape {X.shape} and W of shape {W.shape}"
        try:
            got = items(run(linear_backward, G, X, W, what=what), what, 3, "dX, dW, db")
        except LearnerFailed as e:
            if isinstance(e.error, ValueError) and _is_product_mismatch(e.error):
                return (f"{where}, one of your matrix products multiplies shapes that do not fit"
                        f"{learner_line(e.error.__traceback__)}. A @ B needs the last axis of A "
                        "to be as long as the first axis of B: (a, k) @ (k, b) gives (a, b). Here "
                        f"G is {G.shape}, X is {X.shape} and W is {W.shape}; dX must come out "
                        f"{X.shape}, dW {W.shape} and db {(d_out,)}")
            raise
        for name, value, right, operand in zip(("dX", "dW", "db"), got, want,
                                               ("X", "W", "b")):
            value = _as_array(value, name)
            if value.shape != right.shape:
                if name == "dW" and value.shape == right.shape[::-1]:
                    return (f"{where}, your dW has shape {value.shape}, the transpose of W's: "
                            "G.T @ X is the rule for PyTorch's layout (out, in); here W is (in, out)")
                if name == "db" and value.shape == G.shape:
                    return (f"{where}, your db has shape {value.shape}: each b[j] is used by every "
                            "row, so sum the rows of G")
                return (f"{where}, your {name} has shape {value.shape}, but {operand} has shape "
                        f"{right.shape}: a gradient always has the shape of what it is the gradient of")
            if not np.allclose(value, right, rtol=1e-9, atol=1e-12):
                if (name == "dW" and value.shape == right.T.shape
                        and np.allclose(value, right.T, rtol=1e-9, atol=1e-12)):
                    return (f"{where}, your dW is the transpose of the right one (the shapes only "
                            "matched because W is square)")
                if n > 1 and np.allclose(value * n, right, rtol=1e-9, atol=1e-12):
                    return (f"{where}, your {name} is {n} times too small: the rows of the batch "
                            "add up, do not average them")
                if np.allclose(value, -right, rtol=1e-9, atol=1e-12):
                    return f"{where}, your {name} has the wrong sign"
                return f"{where}, {name} has the right shape but wrong numbers"
    return None


linear_backward = Exercise(
    title="A linear layer's backward pass, (in, out) layout",
    answer_name="linear_backward",
    test=_test_linear_backward,
    nudge_text=("a gradient always has the shape of what it is the gradient of; let the "
                "shapes tell you which products to take."),
    hint_text=("let the shapes guide you: G is (N, out), X is (N, in), W is (in, out). dW must be "
               "(in, out): which product of X and G gives that? dX must be (N, in), db must be (out,)."),
    solution_code='''
        def linear_backward(G, X, W):
            dX = G @ W.T          # (N, out) @ (out, in) -> (N, in)
            dW = X.T @ G          # (in, N) @ (N, out) -> (in, out)
            db = G.sum(axis=0)    # every row used b
            return dX, dW, db
    ''',
    mistakes=[Mistake(f"def linear_backward(G, X, W):\n    return {body}", says=says)
              for body, says in [
                  ("G @ W.T, G.T @ X, G.sum(axis=0)", "the transpose of W's"),   # PyTorch's rule
                  ("G @ W.T, X.T @ G, G", "sum the rows of G"),
                  ("G @ W.T, X.T @ G, G.mean(axis=0)", "db is 5 times too small"),
                  ("G @ W.T, X.T @ G / len(X), G.sum(axis=0)", "dW is 5 times too small"),
                  ("G @ W, X.T @ G, G.sum(axis=0)", "matrix products multiplies shapes that do not fit"),
                  ("G @ W.T, G.T @ X.T, G.sum(axis=0)", "matrix products multiplies shapes that do not fit"),
                  ("G @ W.T, X.T @ G, G.sum(axis=1)", "but b has shape"),
                  ("G @ W.T, X.T @ G, G.sum()", "but b has shape"),
                  ("(G @ W.T).T, X.T @ G, G.sum(axis=0)", "but X has shape"),
                  ("-(G @ W.T), X.T @ G, G.sum(axis=0)", "dX has the wrong sign"),
                  ("G @ W.T, X.T @ G", "holds 2 items"),
              ]] + [Mistake("""
        def linear_backward(G, X, W):   # dW transposed another way
            return G @ W.T, (X.T @ G).T, G.sum(axis=0)
    """, says="the transpose of W's")],
)


# ---- 3. vectorize a double loop ------------------------------------------------------------------
def _reference_sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    D = np.zeros((len(A), len(B)))
    for i in range(len(A)):
        for j in range(len(B)):
            D[i, j] = sum((a - b) ** 2 for a, b in zip(A[i], B[j]))
    return D


def _test_sq_dist(sq_dist) -> Optional[str]:
    function(sq_dist, "sq_dist")
    rng = _rng(3)
    for n, m, d in ((3, 4, 2), (1, 5, 3), (6, 2, 1), (4, 4, 4), (5, 3, 7)):
        A, B = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        want = _reference_sq_dist(A, B)
        got = _as_array(run(sq_dist, A, B, what="sq_dist(A, B)"), "sq_dist(A, B)")
        where = f"for A of shape {A.shape} and B of shape {B.shape}"
        if got.shape != want.shape:
            if got.shape == want.T.shape and np.allclose(got.T, want, rtol=1e-10, atol=1e-12):
                return (f"{where} your result is the transpose, shape {got.shape}: entry (i, j) "
                        "pairs row i of A with row j of B")
            return (f"{where} the result has shape {got.shape}; it should be ({n}, {m}): one "
                    "entry per pair (row of A, row of B)")
        if not np.allclose(got, want, rtol=1e-10, atol=1e-12):
            if np.allclose(got ** 2, want, rtol=1e-9, atol=1e-12):
                return f"{where} you return distances; the loop computes squared distances (no square root)"
            if d > 1 and np.allclose(got * d, want, rtol=1e-9, atol=1e-12):
                return (f"{where} your numbers are {d} times too small: the squared differences "
                        "of the d coordinates add up, not average")
            return f"{where} the numbers differ from the double loop's"
    # A loop over the rows, in whatever form (A[i], A.tolist(), slices, a comprehension),
    # takes at least one Python step per row; a vectorized answer takes a few dozen steps.
    n_rows = 500
    A, B = rng.normal(size=(n_rows, 2)), rng.normal(size=(40, 2))
    _, steps = run_counting(sq_dist, A, B, what=f"sq_dist(A of shape {A.shape}, B)")
    if steps >= n_rows:
        return ("the numbers are right, but the function still walks through the rows in "
                f"Python (at least one Python step per row, for {n_rows} rows): compute every "
                "pair at once with broadcasting")
    return None


sq_dist = Exercise(
    title="Vectorize a double loop",
    answer_name="sq_dist",
    test=_test_sq_dist,
    nudge_text=("broadcasting can pair every row of A with every row of B at once, if the two "
                "arrays get extra axes of size 1 in the right places."),
    hint_text=("give A a new axis so that it has shape (n, 1, d), and B one so that it has "
               "shape (1, m, d): their difference broadcasts to every pair, (n, m, d). Then "
               "finish the squared distance over the last axis."),
    solution_code='''
        def sq_dist(A, B):
            diff = A[:, None, :] - B[None, :, :]   # (n, 1, d) - (1, m, d) -> (n, m, d)
            return (diff ** 2).sum(axis=-1)
    ''',
    mistakes=[Mistake("import numpy as np\ndef sq_dist(A, B):\n" + body, says=says)
              for body, says in [
                  ("    D = np.zeros((len(A), len(B)))   # right numbers, but still the double loop\n"
                   "    for i in range(len(A)):\n        for j in range(len(B)):\n"
                   "            D[i, j] = ((A[i] - B[j]) ** 2).sum()\n    return D",
                   "walks through the rows"),
                  ("    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=1)", "one entry per pair"),
                  ("    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=-1))",
                   "you return distances"),
                  ("    return (A[:, None, :] - B[None, :, :]).sum(axis=-1)", "the numbers differ"),
                  ("    return np.array([((a - B) ** 2).sum(axis=1) for a in A.tolist()])",
                   "walks through the rows"),
                  ("    A = A.view(np.ndarray)\n"
                   "    return np.array([[((A[i:i + 1] - B[j:j + 1]) ** 2).sum() for j in range(len(B))]\n"
                   "                     for i in range(len(A))])", "walks through the rows"),
                  ("    return ((A[None, :, :] - B[:, None, :]) ** 2).sum(axis=-1)", "the transpose"),
                  ("    return ((A[:, None, :] - B[None, :, :]) ** 2).mean(axis=-1)", "not average"),
                  ("    return ((A[:, None, :] - B[None, :, :]) ** 2).sum()", "one entry per pair"),
              ]],
)


# ---- 4. the gradient of a broadcast product --------------------------------------------------------
def _reference_grad_w(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """s[n] = sum_d x[n, d] * w[d], so ds[n]/dw[d] = x[n, d]; chain with g[n] and add up."""
    n_rows, d = x.shape
    out = np.zeros(d)
    for n in range(n_rows):
        for k in range(d):
            out[k] += g[n] * x[n, k]
    return out


def _test_grad_w(grad_w) -> Optional[str]:
    function(grad_w, "grad_w")
    rng = _rng(5)
    for n, d in ((4, 3), (1, 5), (6, 1), (3, 3), (7, 2)):
        x, w, g = rng.normal(size=(n, d)), rng.normal(size=d), rng.normal(size=n)
        want = _reference_grad_w(x, g)
        got = _as_array(run(grad_w, x, w, g, what="grad_w(x, w, g)"), "grad_w(x, w, g)")
        where = f"with x of shape {x.shape}"
        if got.shape != want.shape:
            if got.shape == x.shape and np.allclose(got, g[:, None] * w, rtol=1e-9, atol=1e-12):
                return (f"{where} you returned shape {got.shape}: that is the gradient with "
                        "respect to x, not w")
            if got.shape == x.shape:
                return (f"{where} you returned shape {got.shape}, one gradient per use of w; "
                        "w was broadcast over the rows, so sum over them to get w's shape "
                        f"({d},)")
            return f"{where} you returned shape {got.shape}; the gradient of w has w's shape ({d},)"
        if not np.allclose(got, want, rtol=1e-9, atol=1e-12):
            if np.allclose(got, x.sum(axis=0), rtol=1e-9, atol=1e-12) and not np.allclose(g, 1):
                return (f"{where} you returned x summed over the rows, which is right only when "
                        "every g[n] is 1: weight row n by g[n] (the chain rule)")
            if n > 1 and np.allclose(got * n, want, rtol=1e-9, atol=1e-12):
                return f"{where} your answer is {n} times too small: sum over the rows, do not average"
            if np.allclose(got, -want, rtol=1e-9, atol=1e-12):
                return f"{where} your answer has the wrong sign"
            return f"{where} the shape is right but the numbers are not"
    return None


grad_w = Exercise(
    title="The gradient of a broadcast product",
    answer_name="grad_w",
    test=_test_grad_w,
    nudge_text=("w was broadcast over the rows of x: every row used the same w, and every use "
                "sends back its own share of the gradient."),
    hint_text=("s[n] = sum over d of x[n, d] · w[d], so w[d] is used once in every row n, with "
               "local slope x[n, d]. Chain each use with that row's g[n], then add the "
               "contributions of all rows together: the result has w's shape (D,)."),
    solution_code='''
        def grad_w(x, w, g):
            return (g[:, None] * x).sum(axis=0)   # the same as x.T @ g
    ''',
    mistakes=[Mistake(f"def grad_w(x, w, g):\n    return {body}", says=says)
              for body, says in [
                  ("g[:, None] * x", "one gradient per use of w"),
                  ("x.sum(axis=0)", "right only when every g[n] is 1"),
                  ("(g[:, None] * x).mean(axis=0)", "do not average"),
                  ("x.T @ g / len(g)", "do not average"),
                  ("g[:, None] * w", "the gradient with respect to x"),
                  ("-(x.T @ g)", "the wrong sign"),
                  ("(g[:, None] * x).sum(axis=1)", "the gradient of w has w's shape"),
                  ("g.sum() * x.sum(axis=0)", "the shape is right but the numbers are not"),
              ]],
)
