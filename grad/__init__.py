"""grad: automatic differentiation and neural networks, built from scratch to be read."""
from grad.engine import Value, topological_order, weighted_sum
from grad.viz import draw_dot

__version__ = "0.1.0"
__all__ = ["Value", "draw_dot", "topological_order", "weighted_sum"]
