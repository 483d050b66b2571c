"""A NumPy Tensor engine with the same backward machinery as `grad.Value`.

    from grad.tensor import Tensor, nn, functional as F
"""
import numpy as np

from grad.tensor import functional, nn
from grad.tensor.tensor import AxisError, DtypeError, ShapeError, Tensor, is_grad_enabled, no_grad


def manual_seed(seed: int) -> None:
    """Seed the generator that layer initialization and dropout draw from."""
    np.random.seed(seed)


__all__ = ["Tensor", "AxisError", "DtypeError", "ShapeError", "nn", "functional", "manual_seed",
           "no_grad", "is_grad_enabled"]
