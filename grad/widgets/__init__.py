"""The course's interactive pieces (they need matplotlib and ipywidgets).

Each lives in its own module; the names below are the ones notebooks use.
"""
from grad.widgets.progress import LiveLoss

__all__ = ["LiveLoss"]
