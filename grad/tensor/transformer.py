"""The operations a small GPT needs, each one node with its own backward rule, as PyTorch's.

    embedding(input, weight)                         rows of a table, picked by index
    layer_norm(input, normalized_shape, weight, bias, eps)
    gelu(input, approximate='none')                  x * P(N(0, 1) < x), or its tanh fit
    scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal, scale)

They are re-exported by `grad.tensor.functional` (as `F.embedding`, ...); the layers
`nn.Embedding`, `nn.LayerNorm` and `nn.GELU` call them. Attention could be written with
`@`, `masked_fill` and `softmax` (notebook 14 does); as one node it is a smaller graph,
and a step of a tiny GPT spends much of its time on the number of nodes.
"""
from __future__ import annotations

import math
import numbers
from functools import partial
from typing import Any, Optional, Sequence, Union

import numpy as np

from grad.tensor.functional import _is_int, _layer_hint, _parameter
from grad.tensor.tensor import (DtypeError, ShapeError, Tensor, _accumulate, _lift, _same_dtype,
                                _shown, _unbroadcast)


def _floating_input(x: Tensor, op: str) -> None:
    if x.dtype.kind != "f":
        raise DtypeError(f"{op} needs a floating input, got {x.dtype}: convert it, x.double()")


# ---- embedding -------------------------------------------------------------------------------
def embedding(input: Any, weight: Tensor) -> Tensor:
    """Row `i` of `weight` (num_embeddings, embedding_dim) for every index `i` in `input`:
    indices of shape S give a result of shape S + (embedding_dim,). The gradient of a row
    is the sum of the gradients of every place that picked it."""
    weight = _parameter(weight, "weight", "embedding")
    if weight is None:
        raise TypeError("embedding: weight must be a Tensor of shape (num_embeddings, embedding_dim)")
    idx = np.array(input.data if isinstance(input, Tensor) else input)
    if idx.dtype.kind not in "iu":
        raise DtypeError(f"embedding: indices must be integers (int64 or int32), got {idx.dtype} "
                         f"indices: {_shown(input)} (convert whole numbers with .long())")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got "
                         f"shape {weight.shape}")
    n = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for a table of {n} rows "
                         f"(indices go from 0 to {n - 1}; negative ones are not allowed)")
    return Tensor._result(weight.data[idx], (weight,), "embedding", partial(_embedding_rule, idx=idx))


def _embedding_rule(out: Tensor, idx: np.ndarray) -> None:
    w, = out._prev
    g = np.zeros_like(w.data)
    picks = idx.reshape(-1)
    if picks.size:  # a row picked twice gets both gradients: sum each row's run of picks,
        order = np.argsort(picks, kind="stable")           # in order (as np.add.at, but faster)
        rows = picks[order]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        g[rows[starts]] = np.add.reduceat(out.grad.reshape(-1, w.shape[1])[order], starts, axis=0)
    _accumulate(w, g)


# ---- layer normalization ---------------------------------------------------------------------
def _normalized_shape(shape: Union[int, Sequence[int]]) -> tuple[int, ...]:
    dims = (shape,) if _is_int(shape) else tuple(shape) if isinstance(shape, (tuple, list)) else None
    if dims is None or not all(_is_int(n) for n in dims):
        raise TypeError(f"normalized_shape must be an int or a tuple of ints, got {shape!r}")
    if not dims or min(dims) < 1:
        raise ValueError(f"normalized_shape must list one or more positive sizes, got {shape!r}")
    return tuple(int(n) for n in dims)


def layer_norm(input: Tensor, normalized_shape: Union[int, Sequence[int]],
               weight: Optional[Tensor] = None, bias: Optional[Tensor] = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the last dimensions (those of `normalized_shape`) of each example to
    zero mean and unit variance (the biased variance, dividing by n, as PyTorch does), then
    scale by `weight` and shift by `bias` (both of shape `normalized_shape`)."""
    x = _lift(input)
    shape = _normalized_shape(normalized_shape)
    weight, bias = _parameter(weight, "weight", "layer_norm"), _parameter(bias, "bias", "layer_norm")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"layer_norm: eps must be a number, got {eps!r}")
    k = len(shape)
    if x.shape[x.ndim - k:] != shape or x.ndim < k:
        raise ShapeError(f"layer_norm: normalized_shape={list(shape)} needs an input of shape "
                         f"(*, {', '.join(map(str, shape))}), got {x.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.shape != shape:
            raise ShapeError(f"layer_norm: {name} must have shape {shape}, got {t.shape}")
    _floating_input(x, "layer_norm")
    _same_dtype("layer_norm", lambda: _layer_hint(x, "LayerNorm"), input=x, weight=weight, bias=bias)
    axes = tuple(range(x.ndim - k, x.ndim))
    with np.errstate(invalid="ignore"):  # a row holding nan or inf gives nan, as in PyTorch
        xc = x.data - x.data.mean(axis=axes, keepdims=True)
        inv_std = 1.0 / np.sqrt((xc * xc).mean(axis=axes, keepdims=True) + eps)
        x_hat = xc * inv_std
    data = x_hat * weight.data if weight is not None else x_hat
    if bias is not None:
        data = data + bias.data
    operands = tuple(t for t in (x, weight, bias) if t is not None)
    return Tensor._result(data, operands, "layer_norm",
                          partial(_layer_norm_rule, x_hat=x_hat, inv_std=inv_std, axes=axes,
                                  has_weight=weight is not None, has_bias=bias is not None))


def _layer_norm_rule(out, x_hat, inv_std, axes, has_weight, has_bias):
    x, *rest = out._prev
    weight = rest.pop(0) if has_weight else None
    bias = rest.pop(0) if has_bias else None
    g = out.grad
    lead = tuple(range(x.ndim - len(axes)))   # the axes weight and bias are shared over
    if weight is not None and weight.requires_grad:
        _accumulate(weight, (g * x_hat).sum(axis=lead))
    if bias is not None and bias.requires_grad:
        _accumulate(bias, g.sum(axis=lead))
    if x.requires_grad:  # through x_hat, whose mean and variance depend on x too
        g_hat = g * weight.data if weight is not None else g
        _accumulate(x, inv_std * (g_hat - g_hat.mean(axis=axes, keepdims=True)
                                  - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)))


# ---- GELU ------------------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), with Phi the standard normal's distribution function: 0.5 * (1 + erf(x / sqrt 2))
    (approximate='none', PyTorch's default), or its fit 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    (approximate='tanh', GPT-2's)."""
    x = _lift(input)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    _floating_input(x, "gelu")
    a = x.data
    if approximate == "tanh":
        t = np.tanh(_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a))
        cdf = 0.5 * (1.0 + t)
    else:
        from scipy.special import ndtr  # Phi, 0.5 * (1 + erf(x / sqrt 2)); NumPy has no erf
        t, cdf = None, ndtr(a)
    with np.errstate(invalid="ignore"):  # gelu(-inf) is -inf * 0, nan, as in PyTorch
        data = a * cdf
    return Tensor._result(data, (x,), "gelu", partial(_gelu_rule, cdf=cdf, t=t))


def _gelu_rule(out: Tensor, cdf: np.ndarray, t: Optional[np.ndarray]) -> None:
    x, = out._prev
    a = x.data
    if t is None:       # d/dx x Phi(x) = Phi(x) + x phi(x)
        slope = cdf + a * np.exp(-0.5 * a * a) * (1 / math.sqrt(2 * math.pi))
    else:
        slope = cdf + 0.5 * a * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * a * a)
    _accumulate(x, out.grad * slope)


# ---- attention -------------------------------------------------------------------------------
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Optional[Tensor] = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: Optional[float] = None) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value, as PyTorch's: query (..., L, E),
    key (..., S, E), value (..., S, Ev) give (..., L, Ev); the batch dimensions (for example
    (B, H) or (B,)) broadcast. `scale` defaults to 1/sqrt(E).

    is_causal=True lets position i attend to positions 0..i only (the mask is the lower
    triangle from the top-left corner, as in PyTorch when L != S). `attn_mask`, broadcast
    to (..., L, S), is boolean (True: may attend) or floating (added to the scores); not
    both with is_causal. A row that may attend to nothing gives zeros, as PyTorch's CPU
    kernel does. dropout_p > 0 zeroes attention weights with that probability (and scales
    the others by 1/(1 - dropout_p)), drawing from NumPy's global generator.
    """
    q, k, v = _lift(query), _lift(key), _lift(value)
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ShapeError(f"scaled_dot_product_attention: query, key and value need at least 2 "
                         f"dimensions (..., length, features), got shapes {q.shape}, {k.shape}, {v.shape}")
    _floating_input(q, "scaled_dot_product_attention")
    _same_dtype("scaled_dot_product_attention", None, query=q, key=k, value=v)
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"scaled_dot_product_attention: query {q.shape}, key {k.shape} and value "
                         f"{v.shape} do not fit: query and key need the same last size (E), key and "
                         f"value the same second-to-last (S)")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ShapeError(f"scaled_dot_product_attention: the batch dimensions of query {q.shape}, "
                         f"key {k.shape} and value {v.shape} do not broadcast") from None
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, numbers.Real) or not 0 <= dropout_p <= 1:
        raise ValueError(f"dropout probability must be between 0 and 1, got {dropout_p!r}")
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, numbers.Real)):
        raise TypeError(f"scale must be a number or None, got {scale!r}")
    L, S = q.shape[-2], k.shape[-2]
    mask = None if attn_mask is None else _lift(attn_mask)
    if mask is not None:
        if is_causal:
            raise RuntimeError("scaled_dot_product_attention: give attn_mask or is_causal=True, "
                               "not both (fold the causal triangle into the mask)")
        if mask.dtype != np.bool_ and mask.dtype != q.dtype:
            raise DtypeError(f"scaled_dot_product_attention: attn_mask must be bool or of the "
                             f"query's dtype ({q.dtype}), got {mask.dtype}")
        try:
            np.broadcast_shapes(mask.shape, batch + (L, S))
        except ValueError:
            raise ShapeError(f"scaled_dot_product_attention: attn_mask of shape {mask.shape} does "
                             f"not broadcast to the scores' shape {batch + (L, S)}") from None
    s = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    scores = (q.data @ np.swapaxes(k.data, -1, -2)) * q.dtype.type(s)
    if is_causal:
        scores = np.where(np.tri(L, S, dtype=bool), scores, -np.inf)
    elif mask is not None and mask.dtype == np.bool_:
        scores = np.where(mask.data, scores, -np.inf)
    elif mask is not None:
        scores = scores + mask.data
    top = scores.max(axis=-1, keepdims=True, initial=-np.inf)
    with np.errstate(invalid="ignore"):
        e = np.exp(scores - np.where(np.isneginf(top), 0.0, top))   # a row of -inf stays 0
    total = e.sum(axis=-1, keepdims=True)
    probs = e / np.where(total == 0, 1.0, total)
    keep = None
    if dropout_p > 0:
        keep = (np.random.random_sample(probs.shape) >= dropout_p) * (
            1.0 / (1.0 - dropout_p) if dropout_p < 1 else 0.0)
        keep = keep.astype(q.dtype)
    weights = probs if keep is None else probs * keep
    operands = (q, k, v) if mask is None or mask.dtype == np.bool_ else (q, k, v, mask)
    return Tensor._result(weights @ v.data, operands, "attention",
                          partial(_attention_rule, probs=probs, keep=keep, scale=s))


def _attention_rule(out: Tensor, probs: np.ndarray, keep: Optional[np.ndarray], scale: float) -> None:
    q, k, v, *mask = out._prev
    g = out.grad
    weights = probs if keep is None else probs * keep
    if v.requires_grad:
        _accumulate(v, _unbroadcast(np.swapaxes(weights, -1, -2) @ g, v.shape))
    if not (q.requires_grad or k.requires_grad or (mask and mask[0].requires_grad)):
        return
    g_w = g @ np.swapaxes(v.data, -1, -2)                   # (..., L, S)
    if keep is not None:
        g_w = g_w * keep
    g_s = probs * (g_w - (g_w * probs).sum(axis=-1, keepdims=True))  # through the softmax
    if mask and mask[0].requires_grad:
        _accumulate(mask[0], _unbroadcast(g_s, mask[0].shape))
    g_s = g_s * scale
    if q.requires_grad:
        _accumulate(q, _unbroadcast(g_s @ k.data, q.shape))
    if k.requires_grad:
        _accumulate(k, _unbroadcast(np.swapaxes(g_s, -1, -2) @ q.data, k.shape))
