"""grad: automatic differentiation and neural networks, built from scratch to be read."""
from grad.engine import Value, topological_order, weighted_sum
from grad.viz import GraphTooLarge, draw_dot, draw_summary

__version__ = "0.1.0"
__all__ = ["GraphTooLarge", "Value", "draw_dot", "draw_summary", "topological_order", "weighted_sum"]
