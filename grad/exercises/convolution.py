"""Notebook 12 (convolution): output sizes, parameter counts, cross-correlation, max pooling
and where max pooling sends its gradient."""
from __future__ import annotations

import numpy as np

from grad.exercises import Exercise, allclose, array, function, run, whole
from grad.tensor import Tensor
from grad.tensor import functional as F


def _as_array(out, what: str) -> np.ndarray:
    """The answer as a 2-D float array (an array or a nested list)."""
    return array(out, what, ndim=2)


# ---- 1. the output size of a convolution ----------------------------------------------------
SIZE_CASES = [  # (size, kernel, padding, stride)
    (28, 5, 2, 1), (8, 3, 1, 1), (8, 3, 0, 1), (28, 5, 0, 1), (32, 3, 1, 2), (7, 3, 0, 2),
    (224, 7, 3, 2), (10, 4, 1, 3), (5, 5, 0, 1), (9, 1, 0, 1),
]


def _test_conv_output_size(conv_output_size):
    function(conv_output_size, "conv_output_size")
    for n, k, p, s in SIZE_CASES:
        want = (n + 2 * p - k) // s + 1
        # an independent check of the formula: the shape of a real convolution
        assert F.conv2d(Tensor(np.zeros((1, 1, n, n))), Tensor(np.zeros((1, 1, k, k))),
                        stride=s, padding=p).shape[2] == want
        shown = f"conv_output_size({n}, {k}, {p}, {s})"
        got = whole(run(conv_output_size, n, k, p, s, what=shown), shown,
                    advice="use // to divide")
        if got == want:
            continue
        if got == (n + p - k) // s + 1:
            return (f"{shown} = {got}, but should be {want}: padding adds p rows at the top "
                    "*and* p at the bottom, so it is 2 * p")
        if got == (n + 2 * p - k) // s:
            return (f"{shown} = {got}, but should be {want}: count the first window too "
                    "(the + 1 in the formula)")
        if got == n + 2 * p - k + 1:
            return f"{shown} = {got}, but should be {want}: the stride divides the number of steps"
        return f"{shown} = {got}, but (H + 2p - k) // s + 1 = {want}"
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
    mistakes=['''
        def conv_output_size(size, kernel, padding, stride):
            return (size + padding - kernel) // stride + 1   # padding on one side only
    ''', '''
        def conv_output_size(size, kernel, padding, stride):
            return (size + 2 * padding - kernel) // stride   # forgot the first window
    ''', '''
        def conv_output_size(size, kernel, padding, stride):
            return (size + 2 * padding - kernel) / stride + 1   # a float, and not floored
    '''],
)


# ---- 2. the number of parameters of a Conv2d ------------------------------------------------
PARAM_CASES = [(1, 16, 3), (16, 32, 3), (3, 64, 7), (64, 64, 1), (2, 5, 4), (1, 1, 5)]


def _test_conv_params(conv_params):
    function(conv_params, "conv_params")
    from grad.tensor import nn
    for c_in, c_out, k in PARAM_CASES:
        layer = nn.Conv2d(c_in, c_out, k)
        want = sum(p.size for p in layer.parameters())   # counted on a real layer
        assert want == c_out * c_in * k * k + c_out
        shown = f"conv_params({c_in}, {c_out}, {k})"
        got = whole(run(conv_params, c_in, c_out, k, what=shown), shown)
        if got == want:
            continue
        if got == c_out * c_in * k * k:
            return (f"{shown} = {got}, but should be {want}: each output channel also has a "
                    "bias, one number per output channel")
        if got == c_out * k * k + c_out:
            return (f"{shown} = {got}, but should be {want}: a kernel spans every input "
                    f"channel, so it has in_channels * k * k = {c_in * k * k} weights")
        if got == c_out * c_in * k + c_out:
            return f"{shown} = {got}, but should be {want}: a k x k kernel has k * k weights"
        return f"{shown} = {got}, but out * in * k * k + out = {want}"
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
    mistakes=['''
        def conv_params(in_channels, out_channels, k):
            return out_channels * in_channels * k * k   # forgot the bias
    ''', '''
        def conv_params(in_channels, out_channels, k):
            return out_channels * k * k + out_channels   # forgot the input channels
    '''],
)


# ---- 3. a naive single-channel cross-correlation, with a stride -----------------------------
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
            return (f"{shown} has shape {got.shape}, but should be {want.shape}, "
                    f"((H - kh) // stride + 1, (W - kw) // stride + 1){hint}")
        if allclose(got, want, rtol=1e-5, atol=1e-8):
            continue
        if allclose(got, _sliding_reference(x, w[::-1, ::-1], s), rtol=1e-5, atol=1e-8):
            return ("your answer flips the kernel: that is a true convolution. Cross-correlation "
                    "(what conv2d computes) multiplies x[i*s + a, j*s + b] by w[a, b], unflipped")
        if w.shape[0] == w.shape[1] and allclose(got, _sliding_reference(x, w.T, s),
                                                 rtol=1e-5, atol=1e-8):
            return "your answer uses the kernel transposed: pair x[i*s + a, j*s + b] with w[a, b]"
        return (f"{shown} differs from conv2d's result (first row {np.round(got[0], 4).tolist()}, "
                f"should be {np.round(want[0], 4).tolist()}); output (i, j) is the window whose "
                "top-left corner is x[i * stride, j * stride]")
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
    mistakes=['''
        import numpy as np
        def corr2d_strided(x, w, stride=1):   # a true convolution: the kernel is flipped
            H, W = x.shape
            kh, kw = w.shape
            out = np.zeros(((H - kh) // stride + 1, (W - kw) // stride + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    r, c = i * stride, j * stride
                    out[i, j] = (x[r:r + kh, c:c + kw] * w[::-1, ::-1]).sum()
            return out
    ''', '''
        import numpy as np
        def corr2d_strided(x, w, stride=1):   # the stride is ignored
            H, W = x.shape
            kh, kw = w.shape
            out = np.zeros((H - kh + 1, W - kw + 1))
            for i in range(H - kh + 1):
                for j in range(W - kw + 1):
                    out[i, j] = (x[i:i + kh, j:j + kw] * w).sum()
            return out
    ''', '''
        import numpy as np
        def corr2d_strided(x, w, stride=1):   # the right size, but windows one pixel apart
            H, W = x.shape
            kh, kw = w.shape
            out = np.zeros(((H - kh) // stride + 1, (W - kw) // stride + 1))
            for i in range(out.shape[0]):
                for j in range(out.shape[1]):
                    out[i, j] = (x[i:i + kh, j:j + kw] * w).sum()
            return out
    '''],
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
        return (f"{shown}: first entry {got.flat[0]:.4f}, but the largest of x[0:2, 0:2] is "
                f"{want.flat[0]:.4f}")
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
    mistakes=['''
        import numpy as np
        def max_pool_2x2(x):   # average pooling
            H, W = x.shape
            return x.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    ''', '''
        import numpy as np
        def max_pool_2x2(x):   # stride 1: the windows overlap
            H, W = x.shape
            return np.array([[x[i:i + 2, j:j + 2].max() for j in range(W - 1)]
                             for i in range(H - 1)])
    '''],
)


# ---- 5. where max pooling sends the gradient -------------------------------------------------
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
        return f"{shown} returned {got.tolist()}, but should be {want.tolist()}"
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
    mistakes=['''
        import numpy as np
        def max_pool_grad(x):   # every tied maximum gets the gradient
            g = np.zeros_like(x, dtype=float)
            for i in range(0, x.shape[0], 2):
                for j in range(0, x.shape[1], 2):
                    window = x[i:i + 2, j:j + 2]
                    g[i:i + 2, j:j + 2] = window == window.max()
            return g
    ''', '''
        import numpy as np
        def max_pool_grad(x):   # the gradient shared among ties, like Tensor.max
            g = np.zeros_like(x, dtype=float)
            for i in range(0, x.shape[0], 2):
                for j in range(0, x.shape[1], 2):
                    window = x[i:i + 2, j:j + 2]
                    winners = window == window.max()
                    g[i:i + 2, j:j + 2] = winners / winners.sum()
            return g
    ''', '''
        import numpy as np
        def max_pool_grad(x):   # the last maximum instead of the first
            g = np.zeros_like(x, dtype=float)
            for i in range(0, x.shape[0], 2):
                for j in range(0, x.shape[1], 2):
                    flat = x[i:i + 2, j:j + 2].ravel()
                    k = 3 - int(flat[::-1].argmax())
                    g[i + k // 2, j + k % 2] = 1.0
            return g
    '''],
)
