"""Drawing computation graphs with Graphviz."""
from __future__ import annotations

import functools
from typing import Iterable, Mapping, Union

import graphviz

from grad.engine import Value, topological_order  # noqa: F401 (Value: for readers)

INSTALL_GRAPHVIZ = """\
Drawing a graph needs Graphviz's `dot` program, which is not installed (or not on PATH).
Install it, then restart the kernel:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda/mamba:    conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add its bin folder to PATH)
The graph's DOT text is still available as `graph.source`."""


class GraphvizNotFound(RuntimeError):
    """Raised when a graph is rendered on a machine without Graphviz's `dot` program."""


def _explain_missing_dot(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            raise GraphvizNotFound(INSTALL_GRAPHVIZ) from e
    return wrapper


class Digraph(graphviz.Digraph):
    """A graphviz.Digraph whose rendering says how to install Graphviz when `dot` is missing."""
    pipe = _explain_missing_dot(graphviz.Digraph.pipe)
    render = _explain_missing_dot(graphviz.Digraph.render)


# Colours chosen to read well on a projector and to keep black text legible.
LEAF_COLOR = "#dbeafe"        # leaves that get gradients: inputs and parameters
NODE_COLOR = "#ffffff"        # computed values
OP_COLOR = "#eeeeee"
HIGHLIGHT_COLOR = "#fde047"   # default colour for highlighted nodes

Highlight = Union[Iterable[Value], Mapping[Value, str]]


def _number(x: float) -> str:
    if x == 0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _describe(x) -> str:
    """A number, or for an array (a Tensor's data or grad) its entries when there are
    at most three of them, else its shape."""
    if x is None:
        return "None"
    if not hasattr(x, "shape") or x.ndim == 0:
        return _number(float(x))
    if x.size <= 3:
        return "[" + ", ".join(_number(float(v)) for v in x.reshape(-1)) + "]"
    return f"shape {tuple(x.shape)}"


def _escape(text: str) -> str:
    """Escape the characters that have a meaning inside a Graphviz record label."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def draw_dot(root: Value, rankdir: str = "LR", highlight: Highlight = (),
             show_grad: bool = True) -> Digraph:
    """Draw the graph that produced `root`: a box per value, a small oval per operation.

    `root` is a `Value`, a `Tensor` (boxes show shapes, or the entries of tiny arrays), or
    any object shaped like one (`data`, `grad`, `_prev`, `_op`, `label`), such as the
    Value classes written in the notebooks. Each box shows the
    value's label, data and grad, one above the other. `highlight` is a collection of values to colour, or a
    mapping from value to a colour (any Graphviz colour). Node names come from the
    drawing order, so the same graph gives the same `.source`.
    """
    missing = [a for a in ("data", "_prev") if not hasattr(root, a)]
    if missing:
        raise TypeError(f"draw_dot needs a Value (something with data and _prev), "
                        f"got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    colors = dict(highlight) if isinstance(highlight, Mapping) else {v: HIGHLIGHT_COLOR for v in highlight}

    dot = Digraph(format="svg", graph_attr={"rankdir": rankdir, "bgcolor": "white",
                                            "nodesep": "0.25", "ranksep": "0.35"},
                  node_attr={"fontname": "Helvetica", "fontsize": "14"},
                  edge_attr={"color": "#555555", "arrowsize": "0.7"})
    nodes = topological_order(root)
    names = {node: f"v{i}" for i, node in enumerate(nodes)}
    for node in nodes:
        name = names[node]
        label = getattr(node, "label", "")
        fields = [_escape(label)] if label else []
        fields.append(f"data {_describe(node.data)}")
        if show_grad:
            fields.append(f"grad {_describe(getattr(node, 'grad', 0.0))}")
        # blue: the leaves gradients are for (inputs, parameters); a tensor that needs
        # no gradient (data, constants) is drawn like a computed value
        is_parameter = not node._prev and getattr(node, "requires_grad", True)
        fill = colors.get(node, LEAF_COLOR if is_parameter else NODE_COLOR)
        record = " | ".join(fields)  # stacked top to bottom: narrow boxes, readable graphs
        if rankdir in ("TB", "BT"):
            record = "{ " + record + " }"  # in a top-to-bottom graph, braces stack the fields
        dot.node(name, label=record, shape="record",
                 style="rounded,filled", fillcolor=fill,
                 penwidth="2.5" if node in colors else "1")
        if node._prev:
            dot.node(name + "op", label=getattr(node, "_op", "") or "?", shape="ellipse",
                     style="filled", fillcolor=OP_COLOR, fontsize="14",
                     width="0.3", height="0.3", margin="0.02")
            dot.edge(name + "op", name)
            for child in node._prev:
                dot.edge(names[child], name + "op")
    return dot


def use_course_style() -> None:
    """Matplotlib settings that read well on a laptop and on a projector."""
    import matplotlib as mpl
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 100,
        "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 11,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "lines.linewidth": 2.0,
    })
