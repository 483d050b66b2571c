"""Neural-network operations on Tensors, each one node with its own backward rule.

`linear` and `conv2d` could be written with `@`, `reshape` and `+`; as single nodes they
make smaller graphs, and at small sizes the number of nodes is what costs time.
Convolution uses im2col: every kernel-sized window of the input is a row of a strided
view (made without copying), so the whole convolution becomes one matrix product, for
which NumPy gathers the rows into one contiguous matrix, once. Convolution and pooling
read their input channels-last, (N, H, W, C), and leave their output in that order in
memory; the shapes stay PyTorch's, (N, C, H, W).
"""
from __future__ import annotations

import numbers
from functools import partial
from typing import Any, Optional, Union

import numpy as np
from numpy.lib.stride_tricks import as_strided

from grad.tensor.tensor import DtypeError, ShapeError, Tensor, _accumulate, _lift, _same_dtype, _shown

IntPair = Union[int, tuple[int, int]]


def _is_int(n: Any) -> bool:
    return isinstance(n, numbers.Integral) and not isinstance(n, bool)


def _pair(v: IntPair, name: str, low: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each at least `low` (TypeError / ValueError otherwise)."""
    pair = (v, v) if _is_int(v) else tuple(v) if isinstance(v, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(_is_int(n) for n in pair):
        raise TypeError(f"{name} must be an int or a pair of ints, got {v!r}")
    if min(pair) < low:
        raise ValueError(f"{name} must be at least {low}, got {v!r}")
    return int(pair[0]), int(pair[1])


def _parameter(t: Any, name: str, op: str) -> Optional[Tensor]:
    """A weight or bias must be a Tensor (or None): a NumPy array would get no gradient."""
    if t is None or isinstance(t, Tensor):
        return t
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}; wrap it: "
                    f"Tensor({name}, requires_grad=True) to train it, Tensor({name}) as a constant")


def _layer_hint(x: Tensor, layer: str) -> str:
    if x.dtype.kind != "f":
        return ""
    return f", or make the layer in {x.dtype}: nn.{layer}(..., dtype=np.{x.dtype})"


def _unbatched(f, x: Tensor, *args) -> Tensor:
    """f on a batch of one: (C, H, W) in, (C', H', W') out, as PyTorch does."""
    out = f(x.reshape((1,) + x.shape), *args)
    return out.reshape(out.shape[1:])


# ---- linear --------------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    x = _lift(x)
    weight, bias = _parameter(weight, "weight", "linear"), _parameter(bias, "bias", "linear")
    if weight.ndim != 2 or (bias is not None and bias.shape != weight.shape[:1]):
        raise ValueError(f"linear: weight must be (out_features, in_features) and bias "
                         f"(out_features,), got {weight.shape} and {None if bias is None else bias.shape}")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} does not fit a weight of shape "
                         f"{weight.shape} (the last dimension must be {weight.shape[1]})")
    _same_dtype("linear", lambda: _layer_hint(x, "Linear"), input=x, weight=weight, bias=bias)
    data = x.data @ weight.data.T
    if bias is not None:
        data += bias.data
        return Tensor._result(data, (x, weight, bias), "linear", _linear_rule)
    return Tensor._result(data, (x, weight), "linear", _linear_rule)


def _linear_rule(out: Tensor) -> None:
    x, w, *b = out._prev
    g = out.grad
    if x.requires_grad:
        _accumulate(x, g @ w.data)
    if w.requires_grad:
        g2, x2 = g.reshape(-1, g.shape[-1]), x.data.reshape(-1, x.shape[-1])
        _accumulate(w, g2.T @ x2)
    if b and b[0].requires_grad:
        _accumulate(b[0], g.reshape(-1, g.shape[-1]).sum(axis=0))


# ---- convolution and pooling ---------------------------------------------------------------
# Both view their input channels-last, (N, H, W, C) (a transpose, no copy): when the C numbers
# of a pixel are neighbours in memory, as in their own outputs, a kernel-sized window is kh
# runs of kw * C consecutive numbers.
def _windows(x: np.ndarray, kernel: tuple, stride: tuple) -> np.ndarray:
    """Every kernel-sized window of x (N, H, W, C), as a read-only view of shape
    (N, H', W', kh, kw, C): window (n, i, j) starts at row i * sh, column j * sw. No copy."""
    (kh, kw), (sh, sw) = kernel, stride
    n, h, w, c = x.shape
    s_n, s_h, s_w, s_c = x.strides
    return as_strided(x, (n, (h - kh) // sh + 1, (w - kw) // sw + 1, kh, kw, c),
                      (s_n, s_h * sh, s_w * sw, s_h, s_w, s_c), writeable=False)


def _add_windows(into: np.ndarray, windows: np.ndarray, stride: tuple) -> np.ndarray:
    """The backward of `_windows`: add each window's entries (N, H', W', kh, kw, C) back
    where they came from in `into` (N, H, W, C), one kernel offset at a time (kh * kw
    vectorized adds; overlapping windows add up)."""
    sh, sw = stride
    oh, ow, kh, kw = windows.shape[1:5]
    for i in range(kh):
        for j in range(kw):
            into[:, i:i + sh * oh:sh, j:j + sw * ow:sw] += windows[:, :, :, i, j]
    return into


def _channels_last_padded(x: np.ndarray, ph: int, pw: int) -> np.ndarray:
    """x (N, C, H, W) as (N, H + 2 ph, W + 2 pw, C), zero-padded; a view when there is no padding."""
    x = x.transpose(0, 2, 3, 1)
    if ph == 0 and pw == 0:
        return x
    n, h, w, c = x.shape
    out = np.zeros((n, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w] = x
    return out


def conv2d(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None, stride: IntPair = 1,
           padding: IntPair = 0) -> Tensor:
    """2-D cross-correlation, as PyTorch's conv2d: x (N, C, H, W), weight (O, C, kh, kw),
    bias (O,); the output is (N, O, H', W') with H' = (H + 2*padding - kh) // stride + 1.
    An unbatched input (C, H, W) gives an unbatched output (O, H', W').

    im2col: every kernel-sized window of the (padded, channels-last) input becomes a row
    of a matrix (N*H'*W', kh*kw*C), gathered in one copy, and every output channel's
    kernel a row of the weight matrix (O, kh*kw*C), in the same order. The convolution
    is then one matrix product, rows @ weights.T: (N*H'*W', O), a channels-last output,
    returned as an (N, O, H', W') view. Backward reuses the rows: the weight's gradient
    is g.T @ rows, and the input's is g @ weights, each row added back to its window.
    """
    x = _lift(x)
    weight, bias = _parameter(weight, "weight", "conv2d"), _parameter(bias, "bias", "conv2d")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding", low=0)
    if x.ndim == 3:
        return _unbatched(conv2d, x, weight, bias, stride, padding)
    if x.ndim != 4:
        raise ValueError(f"conv2d needs a 4-D input (N, C, H, W) or an unbatched 3-D one "
                         f"(C, H, W), got shape {x.shape}")
    if weight.ndim != 4 or weight.shape[1] != x.shape[1]:
        raise ValueError(f"conv2d: input with {x.shape[1]} channels (shape {x.shape}) does not fit "
                         f"a weight of shape {weight.shape} (expected (out, {x.shape[1]}, kh, kw))")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"conv2d: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    _same_dtype("conv2d", lambda: _layer_hint(x, "Conv2d"), input=x, weight=weight, bias=bias)
    if x.data.dtype == bool:  # as in PyTorch: a matrix product of bools would be OR/AND, not a sum
        raise NotImplementedError("conv2d is not defined for a bool tensor (as in PyTorch); "
                                  "convert it first, e.g. x.float()")
    o, c, kh, kw = weight.shape
    xp = _channels_last_padded(x.data, ph, pw)                       # N H W C
    if xp.shape[1] < kh or xp.shape[2] < kw:
        raise ValueError(f"conv2d: the kernel ({kh}x{kw}) is larger than the padded input "
                         f"({xp.shape[1]}x{xp.shape[2]})")
    windows = _windows(xp, (kh, kw), (sh, sw))                       # N H' W' kh kw C
    n, oh, ow = windows.shape[:3]
    rows = windows.reshape(n * oh * ow, kh * kw * c)                 # the one copy
    kernels = weight.data.transpose(0, 2, 3, 1).reshape(o, kh * kw * c)
    data = rows @ kernels.T
    if bias is not None:
        data += bias.data
    data = data.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)
    operands = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._result(data, operands, "conv2d",
                          partial(_conv2d_rule, rows=rows, kernels=kernels, padded=xp.shape,
                                  stride=(sh, sw), padding=(ph, pw)))


def _conv2d_rule(out: Tensor, rows: np.ndarray, kernels: np.ndarray, padded: tuple,
                 stride: tuple, padding: tuple) -> None:
    x, w, *b = out._prev
    o, c, kh, kw = w.shape
    n, _, oh, ow = out.shape
    g = out.grad.transpose(0, 2, 3, 1).reshape(n * oh * ow, o)      # one row per window
    if w.requires_grad:
        gw = (g.T @ rows).reshape(o, kh, kw, c).transpose(0, 3, 1, 2)
        _accumulate(w, np.ascontiguousarray(gw), own=True)
    if b and b[0].requires_grad:
        _accumulate(b[0], g.sum(axis=0), own=True)
    if x.requires_grad:
        (ph, pw), (h, wd) = padding, x.shape[2:]
        g_windows = (g @ kernels).reshape(n, oh, ow, kh, kw, c)
        gx = _add_windows(np.zeros(padded, dtype=g.dtype), g_windows, stride)
        _accumulate(x, gx[:, ph:ph + h, pw:pw + wd].transpose(0, 3, 1, 2), own=True)


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: Optional[IntPair] = None) -> Tensor:
    """The largest value in each window (stride defaults to the kernel size), as PyTorch's:
    a window holding a NaN gives NaN. An unbatched input (C, H, W) gives an unbatched output.

    The kernel's offsets are visited in reading order, each for all windows at once: the
    value there takes over a window's maximum if it is larger, or if it is NaN, and the
    same windows over the input's positions say where the maximum is. So each window's
    gradient goes to its first largest entry, or to its last NaN, as in PyTorch.
    """
    x = _lift(x)
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else (kh, kw), "stride")
    if x.ndim == 3:
        return _unbatched(max_pool2d, x, kernel_size, stride)
    if x.ndim != 4:
        raise ValueError(f"max_pool2d needs a 4-D input (N, C, H, W) or an unbatched 3-D one "
                         f"(C, H, W), got shape {x.shape}")
    if x.data.dtype == bool:  # PyTorch refuses it too: True/False have no largest to keep
        raise NotImplementedError("max_pool2d is not defined for a bool tensor (as in PyTorch); "
                                  "convert it first, e.g. x.float()")
    if kh > x.shape[2] or kw > x.shape[3]:
        raise ValueError(f"max_pool2d: kernel {kh}x{kw} with stride {sh}x{sw} does not fit an "
                         f"input of {x.shape[2]}x{x.shape[3]}")
    xl = x.data.transpose(0, 2, 3, 1)                                 # N H W C
    windows = _windows(xl, (kh, kw), (sh, sw))                        # N H' W' kh kw C
    positions = _windows(np.arange(xl.size).reshape(xl.shape), (kh, kw), (sh, sw))
    best, at = windows[:, :, :, 0, 0], positions[:, :, :, 0, 0]
    for k in range(1, kh * kw):
        i, j = divmod(k, kw)
        v = windows[:, :, :, i, j]
        takes = v > best
        takes |= np.isnan(v)
        best = np.where(takes, v, best)
        at = np.where(takes, positions[:, :, :, i, j], at)
    if kh * kw == 1:                   # still views of x and of the positions
        best, at = best.copy(), at.copy()
    return Tensor._result(best.transpose(0, 3, 1, 2), (x,), "max_pool2d",
                          partial(_max_pool_rule, at=at))


def _max_pool_rule(out: Tensor, at: np.ndarray) -> None:
    x, = out._prev
    n, c, h, w = x.shape
    g = out.grad.transpose(0, 2, 3, 1)                                # N H' W' C, as `at`
    # each window's gradient to its maximum's position; an entry that is the maximum of
    # several (overlapping) windows gets their sum
    gx = np.bincount(at.ravel(), weights=g.ravel(), minlength=x.size).astype(g.dtype, copy=False)
    _accumulate(x, gx.reshape(n, h, w, c).transpose(0, 3, 1, 2), own=True)


# ---- normalization, dropout ----------------------------------------------------------------
def batch_norm(x: Tensor, running_mean: np.ndarray, running_var: np.ndarray,
               weight: Optional[Tensor], bias: Optional[Tensor], training: bool,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each feature (axis 1) to zero mean and unit variance, then scale and shift.

    Training: batch statistics, and the running statistics move towards them (in place;
    the running variance uses the unbiased estimate, as PyTorch does). Evaluation: the
    running statistics.
    """
    x = _lift(x)
    weight, bias = _parameter(weight, "weight", "batch_norm"), _parameter(bias, "bias", "batch_norm")
    if x.ndim < 2 or x.shape[1] != running_mean.shape[0]:
        raise ValueError(f"batch_norm: expected an input with {running_mean.shape[0]} features "
                         f"on axis 1, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise DtypeError(f"batch_norm needs a floating input, got {x.dtype}: convert it, x.double()")
    _same_dtype("batch_norm", lambda: _layer_hint(x, "BatchNorm1d"), input=x, weight=weight, bias=bias)
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        count = x.data.size // x.shape[1]
        if count < 2:
            raise ValueError(f"batch_norm in training needs more than one value per feature, "
                             f"got input shape {x.shape}")
        mean = x.data.mean(axis=axes)
        var = x.data.var(axis=axes)
        running_mean *= 1 - momentum
        running_mean += momentum * mean
        running_var *= 1 - momentum
        running_var += momentum * var * count / (count - 1)
    else:
        mean, var = running_mean.astype(x.dtype, copy=False), running_var.astype(x.dtype, copy=False)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x.data - mean.reshape(shape)) * inv_std.reshape(shape)
    gamma = weight.data.reshape(shape) if weight is not None else 1.0
    data = x_hat * gamma + (bias.data.reshape(shape) if bias is not None else 0.0)
    operands = tuple(t for t in (x, weight, bias) if t is not None)
    return Tensor._result(data, operands, "batch_norm",
                          partial(_batch_norm_rule, x_hat=x_hat, inv_std=inv_std, gamma=gamma,
                                  axes=axes, shape=shape, training=training,
                                  has_weight=weight is not None, has_bias=bias is not None))


def _batch_norm_rule(out, x_hat, inv_std, gamma, axes, shape, training, has_weight, has_bias):
    x, *rest = out._prev
    weight = rest.pop(0) if has_weight else None
    bias = rest.pop(0) if has_bias else None
    g = out.grad
    if weight is not None and weight.requires_grad:
        _accumulate(weight, (g * x_hat).sum(axis=axes))
    if bias is not None and bias.requires_grad:
        _accumulate(bias, g.sum(axis=axes))
    if x.requires_grad:
        g_hat = g * gamma
        if training:  # the batch statistics depend on x too
            g_hat = (g_hat - g_hat.mean(axis=axes, keepdims=True)
                     - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True))
        _accumulate(x, g_hat * inv_std.reshape(shape))


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each entry with probability p and scale the rest by 1/(1-p) (training only).
    The mask comes from NumPy's global generator: `np.random.seed` reproduces it."""
    x = _lift(x)
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be between 0 and 1, got {p!r}")
    if not training or p == 0:
        return x
    if x.dtype.kind != "f":
        raise DtypeError(f"dropout needs a floating input, got {x.dtype}: convert it, x.double()")
    keep = np.random.random_sample(x.shape) >= p
    mask = keep / (1.0 - p) if p < 1 else np.zeros(x.shape)
    return x * Tensor._wrap(mask.astype(x.dtype))


# ---- losses ----------------------------------------------------------------------------------
def cross_entropy(logits: Tensor, labels, reduction: str = "mean",
                  ignore_index: int = -100) -> Tensor:
    """Softmax cross-entropy of integer class labels against raw scores, as PyTorch's:
    logits (N, C) with labels (N,); one example, logits (C,) with a 0-d label; or logits
    (N, C, d1, ...) with labels (N, d1, ...), one class per position. `reduction` 'mean'
    (over the labels counted), 'sum' or 'none' (one loss per label, in the labels' shape).
    A label equal to `ignore_index` (-100 unless given, as in PyTorch) is not counted: its
    loss is 0 and it adds no gradient; 'mean' of nothing counted is nan. Any other label
    outside 0 .. C-1 is an IndexError."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be a whole number (a label to leave out), got "
                        f"{type(ignore_index).__name__}: {ignore_index!r}")
    logits = _lift(logits)
    y = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integer class indices, got {y.dtype} labels: "
                        f"{_shown(labels)} (convert whole numbers with .astype(int))")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if logits.dtype.kind != "f":
        raise DtypeError(f"cross_entropy needs floating logits, got {logits.dtype}: convert them, "
                         f"logits.double()")
    z = logits.data
    if z.ndim == 1:          # one example, one label
        wanted, z2 = ((),), z[None, :]
    elif z.ndim >= 2:        # the classes on axis 1, moved last and flattened with the rest
        positions = z.shape[:1] + z.shape[2:]
        wanted, z2 = (positions,), z.transpose(0, *range(2, z.ndim), 1).reshape(
            int(np.prod(positions)), z.shape[1])   # sizes spelled out: -1 is ambiguous with 0 classes
    else:
        raise ValueError("cross_entropy needs logits with a class axis, got a 0-d tensor")
    if y.shape not in wanted:
        last = (f"; for logits (B, T, classes) with labels (B, T) as a GPT makes them, move the "
                f"classes to axis 1, logits.transpose(1, 2), or flatten both: "
                f"logits.reshape(-1, {z.shape[-1]}) and labels.reshape(-1)"
                if z.ndim >= 3 and y.shape == z.shape[:-1] else "")
        raise ShapeError(f"cross_entropy: logits of shape {logits.shape} need labels of shape "
                         f"{wanted[0]} (PyTorch's layout: the classes on axis 1), got {y.shape}{last}")
    n_classes = z2.shape[1]
    y2 = y.reshape(-1)
    counted = y2 != ignore_index
    outside = counted & ((y2 < 0) | (y2 >= n_classes))
    if outside.any():
        raise IndexError(f"cross_entropy: label {y2[outside][0]} is out of range for {n_classes} "
                         f"classes (labels go from 0 to {n_classes - 1}; a label equal to "
                         f"ignore_index={ignore_index} is left out)")
    # NaN or inf logits: as in PyTorch; no classes at all: log(0), on rows never counted
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        shifted = z2 - z2.max(axis=1, keepdims=True, initial=-np.inf)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.flatnonzero(counted)                # the examples whose label is counted
    losses = np.zeros(len(y2), dtype=log_probs.dtype)
    losses[rows] = -log_probs[rows, y2[rows]]
    if reduction == "none":
        data = losses.reshape(y.shape if z.ndim > 1 else ())
    else:
        with np.errstate(invalid="ignore"):  # the mean of no losses is nan, as in PyTorch
            data = losses.sum() / (counted.sum() if reduction == "mean" else 1)
    return Tensor._result(np.asarray(data, dtype=z.dtype), (logits,), "cross_entropy",
                          partial(_cross_entropy_rule, log_probs=log_probs, y=y2,
                                  counted=counted, rows=rows, reduction=reduction))


def _cross_entropy_rule(out, log_probs, y, counted, rows, reduction):
    logits, = out._prev
    # softmax minus one-hot, on the rows counted; a row left out passes back softmax x 0
    # (0, or nan from a nan logit, as PyTorch's does)
    g = np.exp(log_probs) * counted[:, None]
    g[rows, y[rows]] -= 1
    if reduction == "mean":
        g *= out.grad / max(counted.sum(), 1)
    elif reduction == "sum":
        g *= out.grad
    else:
        g *= np.reshape(out.grad, (-1, 1))
    if logits.ndim > 2:                           # back to (N, C, d1, ...)
        moved = logits.shape[:1] + logits.shape[2:] + logits.shape[1:2]
        g = np.moveaxis(g.reshape(moved), -1, 1)
    _accumulate(logits, g.reshape(logits.shape), own=True)


def relu(x: Tensor) -> Tensor:
    return _lift(x).relu()


def tanh(x: Tensor) -> Tensor:
    return _lift(x).tanh()


def sigmoid(x: Tensor) -> Tensor:
    return _lift(x).sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _lift(x).softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return _lift(x).log_softmax(axis)


from grad.tensor.transformer import embedding, gelu, layer_norm, scaled_dot_product_attention  # noqa: E402
