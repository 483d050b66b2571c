"""Notebook 12 (convolution): output sizes, parameter counts, cross-correlation, max pooling
and where max pooling sends its gradient."""
from __future__ import annotations

import numpy as np

from grad.exercises import Exercise, Mistake, allclose, array, function, run, whole, with_cause
from grad.tensor import Tensor
from grad.tensor import functional as F


def _as_array(out, what: str) -> np.ndarray:
    """The answer as a 2-D float array (an array or a nested list)."""
    return array(out, what, ndim=2)


def _count(n: int) -> str:
    """A whole number for a message: in full unless it is huge."""
    return str(n) if abs(n) < 10 ** 12 else f"{n:.3e}"


# ---- 1. the output size of a convolution ----------------------------------------------------
SIZE_CASES = [  # (size, kernel, padding, stride)
    (28, 5, 2, 1), (8, 3, 1, 1), (8, 3, 0, 1), (28, 5, 0, 1), (32, 3, 1, 2), (7, 3, 0, 2),
    (224, 7, 3, 2), (10, 4, 1, 3), (5, 5, 0, 1), (9, 1, 0, 1),
]


# The typical slips as formulas, with what to tell the learner whose answer follows one of
# them (and no other) in every case.
_SIZE_SLIPS = {
    "padding adds p rows at the top *and* p at the bottom":
        lambda n, k, p, s: (n + p - k) // s + 1,
    "count the first window too: the kernel's first position is one more than the number of "
    "steps it takes": lambda n, k, p, s: (n + 2 * p - k) // s,
    "the stride divides the number of steps": lambda n, k, p, s: n + 2 * p - k + 1,
    "the padding is missing": lambda n, k, p, s: (n - k) // s + 1,
    "the padding makes the input larger, not smaller": lambda n, k, p, s: (n - 2 * p - k) // s + 1,
}


def _test_conv_output_size(conv_output_size):
    function(conv_output_size, "conv_output_size")
    got = []
    for n, k, p, s in SIZE_CASES:
        shown = f"conv_output_size({n}, {k}, {p}, {s})"
        got.append(whole(run(conv_output_size, n, k, p, s, what=shown), shown,
                         advice="use // to divide"))
    for (n, k, p, s), mine in zip(SIZE_CASES, got):
        want = (n + 2 * p - k) // s + 1
        # an independent check of the formula: the shape of a real convolution
        assert F.conv2d(Tensor(np.zeros((1, 1, n, n))), Tensor(np.zeros((1, 1, k, k))),
                        stride=s, padding=p).shape[2] == want
        if mine == want:
            continue
        said = (f"conv_output_size({n}, {k}, {p}, {s}) = {_count(mine)}, but a {k}x{k} "
                f"convolution with padding {p} and stride {s} over {n} rows gives {want} rows")
        return with_cause(said, (message for message, formula in _SIZE_SLIPS.items()
                                 if all(x == formula(*case) for x, case in zip(got, SIZE_CASES))))
    return None


conv_output_size = Exercise(
    title="The output size of a convolution",
    answer_name="conv_output_size",
    test=_test_conv_output_size,
    nudge_text=("picture the kernel sliding along the padded rows: how many positions can its "
                "top edge take, in steps of `stride`?"),
    hint_text=("pad (size + 2 * padding), count how many steps of `stride` the kernel can take "
               "((padded - kernel) // stride), and add 1 for the first position."),
    solution_code='''
        def conv_output_size(size, kernel, padding, stride):
            return (size + 2 * padding - kernel) // stride + 1
    ''',
    mistakes=[Mistake("def conv_output_size(size, kernel, padding, stride):\n    return " + body,
                      says=says)
              for body, says in [
                  ("(size + padding - kernel) // stride + 1", "at the top *and* p at the bottom"),
                  ("(size + 2 * padding - kernel) // stride", "count the first window too"),
                  ("(size + 2 * padding - kernel + 1) // stride", ""),
                  ("(size + 2 * padding - kernel) / stride + 1", "not a whole number"),
                  ("size + 2 * padding - kernel + 1", "the stride divides"),
                  ("(size - kernel) // stride + 1", "the padding is missing"),
                  ("(size - 2 * padding - kernel) // stride + 1", "larger, not smaller"),
                  ("(size + 2 * padding - kernel) // stride - 1", ""),
                  ("round((size + 2 * padding - kernel) / stride) + 1", ""),
              ]],
)


# ---- 2. the number of parameters of a Conv2d ------------------------------------------------
PARAM_CASES = [(1, 16, 3), (16, 32, 3), (3, 64, 7), (64, 64, 1), (2, 5, 4), (1, 1, 5)]


_PARAM_SLIPS = {
    "each output channel also has a bias": lambda i, o, k: o * i * k * k,
    "a kernel spans every input channel": lambda i, o, k: o * k * k + o,
    "a k x k kernel has k * k weights": lambda i, o, k: o * i * k + o,
    "there is one bias per output channel, not per input channel":
        lambda i, o, k: o * i * k * k + i,
    "there is one bias per output channel, not one for the whole layer":
        lambda i, o, k: o * i * k * k + 1,
    "that is one kernel's parameters; the layer has one kernel per output channel":
        lambda i, o, k: i * k * k + 1,
    "the biases are counted for every output channel but the weights for only one kernel: each "
    "output channel has its own kernel": lambda i, o, k: i * k * k + o,
}


def _test_conv_params(conv_params):
    function(conv_params, "conv_params")
    from grad.tensor import nn
    got = []
    for c_in, c_out, k in PARAM_CASES:
        shown = f"conv_params({c_in}, {c_out}, {k})"
        got.append(whole(run(conv_params, c_in, c_out, k, what=shown), shown))
    for (c_in, c_out, k), mine in zip(PARAM_CASES, got):
        layer = nn.Conv2d(c_in, c_out, k)
        want = sum(p.size for p in layer.parameters())   # counted on a real layer
        if mine == want:
            continue
        said = (f"conv_params({c_in}, {c_out}, {k}) = {_count(mine)}, but "
                f"nn.Conv2d({c_in}, {c_out}, {k}) has {want}")
        return with_cause(said, (message for message, formula in _PARAM_SLIPS.items()
                                 if all(x == formula(*case) for x, case in zip(got, PARAM_CASES))))
    return None


conv_params = Exercise(
    title="Counting the parameters of a Conv2d",
    answer_name="conv_params",
    test=_test_conv_params,
    nudge_text=("count the numbers in the layer's two tensors, the weight and the bias: what "
                "shape does each have?"),
    hint_text=("the weight has shape (out_channels, in_channels, k, k); the bias has one "
               "number per output channel."),
    solution_code='''
        def conv_params(in_channels, out_channels, k):
            return out_channels * in_channels * k * k + out_channels
    ''',
    mistakes=[Mistake("def conv_params(in_channels, out_channels, k):\n    return " + body,
                      says=says)
              for body, says in [
                  ("out_channels * in_channels * k * k", "also has a bias"),
                  ("out_channels * k * k + out_channels", "spans every input channel"),
                  ("out_channels * in_channels * k + out_channels", "has k * k weights"),
                  ("out_channels * in_channels * k * k + in_channels", "not per input channel"),
                  ("out_channels * in_channels * k * k + 1", "not one for the whole layer"),
                  ("in_channels * k * k + 1", "one kernel per output channel"),
                  ("in_channels * k * k + out_channels", "its own kernel"),
                  ("str(out_channels * in_channels * k * k + out_channels)", "is the string"),
              ]],
)


# ---- 3. a naive single-channel cross-correlation, with a stride -----------------------------
_CORR_LOOP = ("import numpy as np\ndef corr2d_strided(x, w, stride=1):\n    H, W = x.shape\n"
              "    kh, kw = w.shape\n    out = np.zeros(({rows}, {cols}))\n"
              "    for i in range(out.shape[0]):\n        for j in range(out.shape[1]):\n"
              "            out[i, j] = {cell}\n    return out")
_ROWS, _COLS = "(H - kh) // stride + 1", "(W - kw) // stride + 1"
def _corr_cases():
    rng = np.random.default_rng(12)
    cases = [((5, 5), (3, 3), 1), ((6, 4), (2, 3), 1), ((7, 7), (3, 3), 2), ((4, 6), (1, 2), 1),
             ((3, 3), (3, 3), 1), ((8, 8), (4, 2), 2), ((9, 7), (3, 3), 3), ((6, 6), (2, 2), 2)]
    return [(rng.normal(size=xs), rng.normal(size=ws), s) for xs, ws, s in cases]


def _sliding_reference(x, w, stride):
    """Every kh x kw window of x times w, summed: written with strides, not with loops."""
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape)[::stride, ::stride]
    return np.einsum("ijab,ab->ij", windows, w)


def _test_corr2d_strided(corr2d_strided):
    function(corr2d_strided, "corr2d_strided")
    for x, w, s in _corr_cases():
        want = _sliding_reference(x, w, s)
        by_conv2d = F.conv2d(Tensor(x[None, None]), Tensor(w[None, None]), stride=s).data[0, 0]
        assert np.allclose(want, by_conv2d)
        shown = f"corr2d_strided(x of shape {x.shape}, w of shape {w.shape}, stride={s})"
        got = _as_array(run(corr2d_strided, x, w, s, what=shown), shown)
        if got.shape != want.shape:
            hint = ""
            if got.shape == _sliding_reference(x, w, 1).shape:
                hint = ": with a stride the kernel jumps s pixels, so there are fewer positions"
            return f"{shown} has shape {got.shape}, but should be {want.shape}{hint}"
        if allclose(got, want, rtol=1e-5, atol=1e-8):
            continue
        if allclose(got, _sliding_reference(x, w[::-1, ::-1], s), rtol=1e-5, atol=1e-8):
            return ("your answer flips the kernel: that is a true convolution. Cross-correlation "
                    "(what conv2d computes) multiplies x[i*s + a, j*s + b] by w[a, b], unflipped")
        if w.shape[0] == w.shape[1] and allclose(got, _sliding_reference(x, w.T, s),
                                                 rtol=1e-5, atol=1e-8):
            return "your answer uses the kernel transposed: pair x[i*s + a, j*s + b] with w[a, b]"
        if allclose(got * w.size, want, rtol=1e-5, atol=1e-8):
            return (f"{shown} is {w.size} times too small: your windows average the products; "
                    "cross-correlation adds them up")
        i, j = np.argwhere(~np.isclose(got, want, rtol=1e-5, atol=1e-8))[0]
        return (f"{shown} differs from conv2d's result: entry ({i}, {j}) is {got[i, j]:.4f}, "
                f"but should be {want[i, j]:.4f}")
    return None


corr2d_strided = Exercise(
    title="A naive 2-D cross-correlation with a stride",
    answer_name="corr2d_strided",
    test=_test_corr2d_strided,
    nudge_text=("a stride only changes where each window starts, and so how many windows fit; "
                "the sum inside a window is the same as without a stride."),
    hint_text=("the output has (H - kh) // stride + 1 rows (and likewise columns); output "
               "(i, j) is the window whose top-left corner is x[i·stride, j·stride], "
               "multiplied entry by entry with w and summed."),
    solution_code='''
        import numpy as np
        def corr2d_strided(x, w, stride=1):
            H, W = x.shape
            kh, kw = w.shape
            out = np.zeros(((H - kh) // stride + 1, (W - kw) // stride + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    r, c = i * stride, j * stride
                    out[i, j] = (x[r:r + kh, c:c + kw] * w).sum()
            return out
    ''',
    mistakes=[Mistake(_CORR_LOOP.format(rows=rows, cols=cols, cell=cell), says=says)
              for rows, cols, cell, says in [
                  (_ROWS, _COLS, "(x[i*stride:i*stride + kh, j*stride:j*stride + kw] * w[::-1, ::-1]).sum()",
                   "flips the kernel"),
                  ("H - kh + 1", "W - kw + 1", "(x[i:i + kh, j:j + kw] * w).sum()",
                   "with a stride the kernel jumps"),
                  (_ROWS, _COLS, "(x[i:i + kh, j:j + kw] * w).sum()", "differs from conv2d's result"),
                  (_ROWS, _COLS, "(x[i*stride:i*stride + kh, j*stride:j*stride + kw] * w).mean()",
                   "times too small"),
                  (_ROWS, _COLS, "(x[i*stride:i*stride + kh, j*stride:j*stride + kw] * w.T).sum() "
                   "if kh == kw else 0.0", "the kernel transposed"),
                  ("(H - kh) // stride", "(W - kw) // stride",
                   "(x[i*stride:i*stride + kh, j*stride:j*stride + kw] * w).sum()", "has shape (2, 2), but should be (3, 3)"),
              ]],
)




# ---- 4. max pooling 2x2 ---------------------------------------------------------------------
def _pool_cases():
    rng = np.random.default_rng(4)
    return [rng.normal(size=s) for s in [(4, 4), (2, 6), (6, 2), (8, 8), (2, 2)]] + [
        -np.abs(rng.normal(size=(4, 6)))]   # all negative: max(0, ...) would be wrong


def _test_max_pool_2x2(max_pool_2x2):
    function(max_pool_2x2, "max_pool_2x2")
    for x in _pool_cases():
        h, w = x.shape
        want = np.array([[x[2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(w // 2)]
                         for i in range(h // 2)])
        assert np.allclose(want, F.max_pool2d(Tensor(x[None, None]), 2).data[0, 0])
        shown = f"max_pool_2x2(x of shape {x.shape})"
        got = _as_array(run(max_pool_2x2, x, what=shown), shown)
        if got.shape != want.shape:
            hint = (" (windows of 2x2 with stride 2 do not overlap)"
                    if got.shape == (h - 1, w - 1) else "")
            return f"{shown} has shape {got.shape}, but should be {want.shape}{hint}"
        if allclose(got, want, rtol=1e-5, atol=1e-8):
            continue
        mean = x.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        if allclose(got, mean, rtol=1e-5, atol=1e-8):
            return "that is average pooling: keep the largest entry of each window, not the mean"
        blocks = x.reshape(h // 2, 2, w // 2, 2)
        if allclose(got, blocks.min(axis=(1, 3)), rtol=1e-5, atol=1e-8):
            return "that is the smallest entry of each window; max pooling keeps the largest"
        if allclose(got, blocks.sum(axis=(1, 3)), rtol=1e-5, atol=1e-8):
            return "that is the sum of each window; max pooling keeps its largest entry"
        i, j = np.argwhere(~np.isclose(got, want, rtol=1e-5, atol=1e-8))[0]
        return (f"{shown}: entry ({i}, {j}) is {got[i, j]:.4f}, but the largest of "
                f"x[{2 * i}:{2 * i + 2}, {2 * j}:{2 * j + 2}] is {want[i, j]:.4f}")
    return None


max_pool_2x2 = Exercise(
    title="Max pooling 2x2",
    answer_name="max_pool_2x2",
    test=_test_max_pool_2x2,
    nudge_text=("the windows do not overlap: each 2x2 block of x gives one number of the "
                "output."),
    hint_text=("the output has one entry per 2x2 block, shape (H // 2, W // 2); entry (i, j) is "
               "the largest value of the block that starts at row 2i, column 2j."),
    solution_code='''
        import numpy as np
        def max_pool_2x2(x):
            H, W = x.shape
            out = np.zeros((H // 2, W // 2))
            for i in range(H // 2):
                for j in range(W // 2):
                    out[i, j] = x[2 * i:2 * i + 2, 2 * j:2 * j + 2].max()
            return out
    ''',
    mistakes=[Mistake("import numpy as np\ndef max_pool_2x2(x):\n    H, W = x.shape\n" + body,
                      says=says)
              for body, says in [
                  ("    return x.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))", "average pooling"),
                  ("    return np.array([[x[i:i + 2, j:j + 2].max() for j in range(W - 1)]\n"
                   "                     for i in range(H - 1)])", "do not overlap"),
                  ("    return x.reshape(H // 2, 2, W // 2, 2).min(axis=(1, 3))", "the smallest entry"),
                  ("    return x.reshape(H // 2, 2, W // 2, 2).sum(axis=(1, 3))", "the sum of each window"),
                  ("    return np.maximum(x.reshape(H // 2, 2, W // 2, 2).max(axis=(1, 3)), 0)",
                   "entry (0, 0)"),
                  ("    return x.reshape(H // 2, 2, W // 2, 2).max(axis=(1, 3)).T", "entry (0, 1)"),
                  ("    return x[::2, ::2]", "entry (0, 0)"),
              ]],
)


# ---- 5. where max pooling sends the gradient
_GRAD_LOOP = ("import numpy as np\ndef max_pool_grad(x):\n    g = np.zeros_like(x, dtype=float)\n"
              "    for i in range(0, x.shape[0], 2):\n        for j in range(0, x.shape[1], 2):\n")


def _grad_cases():
    rng = np.random.default_rng(5)
    cases = [np.array([[1.0, 3.0, 2.0, 0.0], [3.0, 2.0, 1.0, 5.0],
                       [0.0, 4.0, 6.0, 6.0], [2.0, 1.0, 6.0, 2.0]]),
             np.ones((2, 2)), np.array([[0.0, 1.0], [1.0, 1.0]])]
    # small whole numbers, so that ties are frequent
    cases += [rng.integers(0, 3, size=s).astype(float) for s in [(4, 4), (2, 6), (6, 6)]]
    return cases


def _test_max_pool_grad(max_pool_grad):
    function(max_pool_grad, "max_pool_grad")
    for x in _grad_cases():
        t = Tensor(x[None, None], requires_grad=True)
        F.max_pool2d(t, 2).sum().backward()
        want = t.grad[0, 0]
        shown = f"max_pool_grad({x.astype(int).tolist()})"
        got = _as_array(run(max_pool_grad, x.copy(), what=shown), shown)
        if got.shape != x.shape:
            return f"{shown} has shape {got.shape}; the gradient has the shape of x, {x.shape}"
        if allclose(got, want, rtol=1e-5, atol=1e-8):
            continue
        windows = x.reshape(x.shape[0] // 2, 2, x.shape[1] // 2, 2)
        is_max = (windows == windows.max(axis=(1, 3), keepdims=True)).reshape(x.shape)
        if allclose(got, is_max, rtol=1e-5, atol=1e-8):
            return (f"{shown}: with ties your answer gives 1 to every maximum; max pooling "
                    "sends the whole gradient to the first maximum of each window (row by row)")
        share = (windows == windows.max(axis=(1, 3), keepdims=True))
        share = (share / share.sum(axis=(1, 3), keepdims=True)).reshape(x.shape)
        if allclose(got, share, rtol=1e-5, atol=1e-8):
            return (f"{shown}: your answer shares the gradient among tied maxima (that is what "
                    "Tensor.max does); max_pool2d gives all of it to the first maximum")
        flipped = x[::-1, ::-1].copy()
        t = Tensor(flipped[None, None], requires_grad=True)
        F.max_pool2d(t, 2).sum().backward()
        if allclose(got, t.grad[0, 0][::-1, ::-1], rtol=1e-5, atol=1e-8):
            return (f"{shown}: with ties your answer picks the last maximum of a window; the "
                    "gradient goes to the first one, reading the window row by row")
        if allclose(got, want * x, rtol=1e-5, atol=1e-8):
            return (f"{shown}: your answer puts the entry's value where the gradient goes; the "
                    "gradient passed on to the kept entry is 1 (the output's own gradient)")
        wrong = np.argwhere(~np.isclose(got, want, rtol=1e-5, atol=1e-8))[0]
        r, c = (int(k) - int(k) % 2 for k in wrong)            # the window's top-left corner
        window = x[r:r + 2, c:c + 2].astype(int).tolist()
        yours = np.round(got[r:r + 2, c:c + 2], 4).tolist()
        return (f"{shown}: in the window at rows {r}:{r + 2}, columns {c}:{c + 2} ({window}) "
                f"your gradient is {yours}, not max_pool2d's")
    return None


max_pool_grad = Exercise(
    title="Where max pooling sends the gradient",
    answer_name="max_pool_grad",
    test=_test_max_pool_grad,
    nudge_text=("only one entry of each window made it into the output, so only that entry "
                "gets the gradient; with ties, section 7 says which one."),
    hint_text=("start from np.zeros_like(x); in each 2x2 window, window.argmax() is the position "
               "of the first maximum (row by row): divmod(index, 2) turns it into (row, column)."),
    solution_code='''
        import numpy as np
        def max_pool_grad(x):
            g = np.zeros_like(x, dtype=float)
            for i in range(0, x.shape[0], 2):
                for j in range(0, x.shape[1], 2):
                    a, b = divmod(int(x[i:i + 2, j:j + 2].argmax()), 2)
                    g[i + a, j + b] = 1.0
            return g
    ''',
    mistakes=[Mistake(_GRAD_LOOP + body + "\n    return g", says=says)
              for body, says in [
                  ("            window = x[i:i + 2, j:j + 2]\n"
                   "            g[i:i + 2, j:j + 2] = window == window.max()", "gives 1 to every maximum"),
                  ("            window = x[i:i + 2, j:j + 2]\n            winners = window == window.max()\n"
                   "            g[i:i + 2, j:j + 2] = winners / winners.sum()", "shares the gradient"),
                  ("            flat = x[i:i + 2, j:j + 2].ravel()\n            k = 3 - int(flat[::-1].argmax())\n"
                   "            g[i + k // 2, j + k % 2] = 1.0", "picks the last maximum"),
                  ("            a, b = divmod(int(x[i:i + 2, j:j + 2].argmax()), 2)\n"
                   "            g[i + a, j + b] = x[i + a, j + b]", "the entry's value"),
                  ("            a, b = divmod(int(x[i:i + 2, j:j + 2].argmax()), 2)\n"
                   "            g[i + b, j + a] = 1.0", "not max_pool2d's"),
                  ("            g[i, j] = 1.0", "not max_pool2d's"),
              ]] + [Mistake(_GRAD_LOOP + "            g[i, j] = 1.0\n    return g[::2, ::2]",
                            says="the gradient has the shape of x")],
)
