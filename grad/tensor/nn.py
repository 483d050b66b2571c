"""Layers for the Tensor engine, with PyTorch's names, shapes and default initialization.

Each layer holds its parameters as Tensors with requires_grad=True (`weight`, `bias`),
shaped as in PyTorch: Linear's weight is (out_features, in_features), Conv2d's is
(out_channels, in_channels, kh, kw). Initialization draws from NumPy's global generator,
so `np.random.seed` (or `grad.tensor.manual_seed`) reproduces it. Parameters are float64
unless a layer is made with `dtype=np.float32`; an input of another dtype is refused (as
in PyTorch), never silently converted. Arguments are checked when the layer is made.
`state_dict()` copies a model's arrays out under PyTorch's names ('0.weight',
'blocks.1.ln.bias'), and `load_state_dict` copies them back (or in from a torch model).
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterator

import numpy as np

import grad.nn
from grad.tensor import functional as F
from grad.tensor.tensor import Tensor, _axis, _shown


def _uniform(shape: tuple, bound: float, label: str, dtype: Any) -> Tensor:
    return Tensor(np.random.uniform(-bound, bound, size=shape), requires_grad=True, label=label,
                  dtype=dtype)


def _float_dtype(dtype: Any) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise TypeError(f"dtype must be a floating dtype such as np.float64 or np.float32, got {dtype!r}")
    return dtype


def _positive_int(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{name} must be a positive whole number, got {n!r}")
    return int(n)


class Module(grad.nn.Module):
    """A layer or a model: `parameters()` finds every Tensor that needs a gradient among
    its attributes and sub-modules; `zero_grad()` clears their gradients (to None);
    `train()`/`eval()` switch modes (Dropout and BatchNorm care)."""

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):
        raise NotImplementedError

    def parameters(self) -> list[Tensor]:
        params: list[Tensor] = []
        for value in vars(self).values():
            if isinstance(value, Tensor) and value.requires_grad:
                params.append(value)
        for child in self.children():
            params.extend(p for p in child.parameters() if all(p is not q for q in params))
        return params

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: None (as PyTorch), or arrays of zeros if set_to_none=False."""
        for p in self.parameters():
            p.grad = None if set_to_none else np.zeros_like(p.data)

    # state_dict() and load_state_dict() come from grad.nn.Module; these say what the
    # state of a Tensor model is and how one entry is copied out and back in.
    def _named_state(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, Tensor or array) for each Tensor (a parameter, trainable or not) and
        NumPy array (such as BatchNorm's running statistics) held here, then in sub-modules."""
        for name, value in vars(self).items():
            if isinstance(value, (Tensor, np.ndarray)):
                yield prefix + name, value
        for name, child in self.named_children():
            if not isinstance(child, Module):
                raise TypeError(f"state_dict: {prefix + name} is a {type(child).__name__}, a module "
                                f"of Values (grad.nn): keep Value and Tensor models apart")
            yield from child._named_state(f"{prefix}{name}.")

    def _saved(self, value: Any) -> np.ndarray:
        return (value.data if isinstance(value, Tensor) else value).copy()

    def _converted(self, name: str, target: Any, value: Any) -> tuple[np.ndarray, str]:
        """An array (from an array, a Tensor or a torch tensor), and a size mismatch if any."""
        try:
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
        except (TypeError, ValueError, RuntimeError):
            array = None
        if array is None or array.dtype.kind not in "biuf":
            raise TypeError(f"load_state_dict: {name} must be an array of numbers, got {_shown(value)}")
        if array.shape != target.shape:
            return array, (f"size mismatch for {name}: copying an array of shape {array.shape} from "
                           f"the state dict, the shape in the current model is {target.shape}.")
        return array, ""

    def _write(self, target: Any, array: np.ndarray) -> None:
        (target.data if isinstance(target, Tensor) else target)[...] = array  # in place, as PyTorch

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) for each Tensor that needs a gradient, once each, named
        as in state_dict(): ('tok.weight', ...), ('blocks.0.ln1.weight', ...)."""
        seen = set()
        for name, value in self._named_state():
            if isinstance(value, Tensor) and value.requires_grad and id(value) not in seen:
                seen.add(id(value))
                yield name, value

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Linear(Module):
    """y = x @ weight.T + bias; weight and bias start uniform in ±1/sqrt(in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64):
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        dtype = _float_dtype(dtype)
        bound = 1 / math.sqrt(in_features)
        self.weight = _uniform((out_features, in_features), bound, "weight", dtype)
        self.bias = _uniform((out_features,), bound, "bias", dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None})"


class Conv2d(Module):
    """2-D convolution (cross-correlation) over (N, C, H, W) inputs; weight and bias start
    uniform in ±1/sqrt(in_channels * kh * kw), as in PyTorch."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, dtype: Any = np.float64):
        self.in_channels = _positive_int(in_channels, "in_channels")
        self.out_channels = _positive_int(out_channels, "out_channels")
        self.kernel_size = F._pair(kernel_size, "kernel_size")
        self.stride = F._pair(stride, "stride")
        self.padding = F._pair(padding, "padding", low=0)
        dtype = _float_dtype(dtype)
        kh, kw = self.kernel_size
        bound = 1 / math.sqrt(in_channels * kh * kw)
        self.weight = _uniform((out_channels, in_channels, kh, kw), bound, "weight", dtype)
        self.bias = _uniform((out_channels,), bound, "bias", dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")


class MaxPool2d(Module):
    """The largest value of each kernel_size window, moving by stride (the kernel size by default)."""

    def __init__(self, kernel_size, stride=None):
        F._pair(kernel_size, "kernel_size")
        if stride is not None:
            F._pair(stride, "stride")
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size})"


class _BatchNorm(Module):
    dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 dtype: Any = np.float64):
        self.num_features = _positive_int(num_features, "num_features")
        self.eps, self.momentum = eps, momentum
        dtype = _float_dtype(dtype)
        self.weight = Tensor(np.ones(num_features, dtype), requires_grad=True, label="weight") if affine else None
        self.bias = Tensor(np.zeros(num_features, dtype), requires_grad=True, label="bias") if affine else None
        self.running_mean = np.zeros(num_features, dtype)
        self.running_var = np.ones(num_features, dtype)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__} expects {' or '.join(f'{d}-D' for d in self.dims)} "
                             f"input, got shape {x.shape}")
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, self.momentum, self.eps)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.num_features}, eps={self.eps}, momentum={self.momentum})"


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) or (N, C, L) inputs, one mean/variance per feature C."""
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over (N, C, H, W) inputs, one mean/variance per channel C."""
    dims = (4,)


class Dropout(Module):
    def __init__(self, p: float = 0.5):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be between 0 and 1, got {p!r}")
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Flatten(Module):
    """Flatten every dimension from `start_dim` on: (N, C, H, W) -> (N, C*H*W)."""

    def __init__(self, start_dim: int = 1):
        if isinstance(start_dim, bool) or not isinstance(start_dim, numbers.Integral):
            raise TypeError(f"start_dim must be an int, got {start_dim!r}")
        self.start_dim = int(start_dim)

    def forward(self, x: Tensor) -> Tensor:
        start = _axis(self.start_dim, x.ndim)
        return x.reshape(x.shape[:start] + (math.prod(x.shape[start:]),))


class Sequential(Module):
    """Modules applied one after the other: Sequential(Linear(2, 16), ReLU(), Linear(16, 1))."""

    def __init__(self, *modules: Module):
        for i, m in enumerate(modules):
            if not isinstance(m, grad.nn.Module):
                raise TypeError(f"Sequential takes modules; item {i} is a {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def named_children(self) -> Iterator[tuple[str, grad.nn.Module]]:
        """The layers named by position, as in PyTorch: '0', '1', ... (so '0.weight')."""
        return ((str(i), layer) for i, layer in enumerate(self.layers))

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"


class Embedding(Module):
    """A table of `num_embeddings` vectors of size `embedding_dim`: `emb(idx)` picks the row
    of each integer index, so indices of shape (B, T) give (B, T, embedding_dim). The
    weight (num_embeddings, embedding_dim) starts normal N(0, 1), as in PyTorch."""

    def __init__(self, num_embeddings: int, embedding_dim: int, dtype: Any = np.float64):
        self.num_embeddings = _positive_int(num_embeddings, "num_embeddings")
        self.embedding_dim = _positive_int(embedding_dim, "embedding_dim")
        self.weight = Tensor(np.random.normal(size=(num_embeddings, embedding_dim)), requires_grad=True,
                             label="weight", dtype=_float_dtype(dtype))

    def forward(self, idx) -> Tensor:
        return F.embedding(idx, self.weight)

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"


class LayerNorm(Module):
    """Normalize each example over its last dimensions (`normalized_shape`, an int for the
    last one) to zero mean and unit variance, then scale by `weight` (starting at 1) and
    shift by `bias` (starting at 0), as PyTorch's. elementwise_affine=False: neither;
    bias=False: no shift."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, dtype: Any = np.float64):
        from grad.tensor.transformer import _normalized_shape
        self.normalized_shape = _normalized_shape(normalized_shape)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
            raise TypeError(f"eps must be a number, got {eps!r}")
        self.eps, self.elementwise_affine = float(eps), bool(elementwise_affine)
        dtype = _float_dtype(dtype)
        shape, self.weight, self.bias = self.normalized_shape, None, None
        if elementwise_affine:
            self.weight = Tensor(np.ones(shape, dtype), requires_grad=True, label="weight")
            if bias:
                self.bias = Tensor(np.zeros(shape, dtype), requires_grad=True, label="bias")

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def __repr__(self) -> str:
        return (f"LayerNorm({self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine})")


class GELU(Module):
    """x * Phi(x) (approximate='none') or its tanh approximation (approximate='tanh')."""

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate!r})"
