"""Drawing computation graphs (Graphviz's `dot` language, laid out by grad._layout)."""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

import graphviz

from grad import _layout
from grad._layout import (INSTALL_GRAPHVIZ, GraphvizNotFound, LayoutError,  # noqa: F401
                          LayoutTimeout, layout_engine)
from grad.engine import Value, _short

# Graphs up to this size (see graph_size) lay out in a few seconds at most; bigger ones can take
# minutes, so draw_dot refuses them.
MAX_LAYOUT_SIZE = 3000
LAYOUT_TIMEOUT = 20.0   # seconds: a safety net; graphs within the limit take far less
MAX_TEXT = 300          # characters shown of one label, op name or number

DRAWING_ERRORS = (GraphvizNotFound, LayoutTimeout, LayoutError)


class GraphTooLarge(ValueError):
    """Raised by draw_dot for a graph too big to lay out quickly (or to read)."""


class Digraph(graphviz.Digraph):
    """A graphviz.Digraph drawn by the course's layout program (see grad._layout).

    `pipe`, `render` and the notebook display all run that program, stopped after
    `timeout` seconds (default LAYOUT_TIMEOUT). In a notebook a drawing that fails shows
    a short message instead of the picture.
    """

    timeout: Optional[float] = None

    def pipe(self, format: Optional[str] = None, renderer: Optional[str] = None,
             formatter: Optional[str] = None, neato_no_op: Union[bool, int, None] = None,
             quiet: bool = False, *, engine: Optional[str] = None,
             encoding: Optional[str] = None) -> Union[bytes, str]:
        """The drawing as bytes in `format` (default: the graph's), or text if `encoding`.

        The layout program's warnings are never shown (`quiet` is accepted for
        graphviz.Digraph's sake); its message is part of the error when it fails."""
        output = ":".join(p for p in (format or self.format, renderer, formatter) if p)
        extra = (f"-n{int(neato_no_op)}",) if neato_no_op else ()
        data = _layout.run(self.source, output, engine or self.engine,
                           timeout=self.timeout or LAYOUT_TIMEOUT, encoding=self.encoding,
                           extra_args=extra)
        return data.decode(encoding) if encoding else data

    def render(self, filename=None, directory=None, view: bool = False, cleanup: bool = False,
               format: Optional[str] = None, renderer: Optional[str] = None,
               formatter: Optional[str] = None, neato_no_op=None, quiet: bool = False,
               quiet_view: bool = False, *, outfile=None, engine: Optional[str] = None,
               raise_if_result_exists: bool = False, overwrite_source: bool = False) -> str:
        """Save the DOT source to `filename`, draw it next to it (`filename.format`, or
        `outfile`), and return the drawing's path; as graphviz.Digraph.render."""
        if outfile is not None:
            outfile = Path(outfile)
            format = format or outfile.suffix.lstrip(".") or None
            if filename is None:
                filename = outfile.with_suffix(".gv")
            if directory is None:
                outfile = Path(self.directory, outfile)
        source = Path(self.save(filename, directory=directory))
        fmt = format or self.format
        suffix = ".".join(p for p in (fmt, renderer, formatter) if p)
        target = outfile if outfile is not None else source.with_name(f"{source.name}.{suffix}")
        if target.resolve() == source.resolve() and not overwrite_source:
            raise ValueError(f"outfile {target.name!r} must differ from the source file")
        if raise_if_result_exists and target.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(target)!r}")
        target.write_bytes(self.pipe(fmt, renderer, formatter, neato_no_op, quiet,
                                     engine=engine))
        if cleanup:
            source.unlink()
        if view or quiet_view:
            self._view(target, format=fmt, quiet=quiet_view)
        return os.fspath(target)

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except DRAWING_ERRORS as e:  # a short message in the notebook, not a traceback
            return {"text/plain": f"{type(e).__name__}: {e}"}

    def _repr_svg_(self) -> Optional[str]:
        return self._repr_mimebundle_(include=["image/svg+xml"]).get("image/svg+xml")


# Colours chosen to read well on a projector and to keep black text legible.
LEAF_COLOR = "#dbeafe"        # leaves that get gradients: inputs and parameters
NODE_COLOR = "#ffffff"        # computed values
OP_COLOR = "#eeeeee"
HIGHLIGHT_COLOR = "#fde047"   # default colour for highlighted nodes

Highlight = Union[Value, Iterable[Value], Mapping[Value, str]]


# ---- text: numbers, and any text made safe for a record label -----------------------------
def _number(x: float) -> str:
    if x == 0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _describe(x: Any) -> str:
    """A number, or for an array (a Tensor's data or grad) its entries when there are
    at most three of them, else its shape; anything else as Python prints it."""
    if x is None:
        return "None"
    try:
        if hasattr(x, "shape") and getattr(x, "ndim", 0) > 0:
            if x.size <= 3:
                return "[" + ", ".join(_number(float(v)) for v in x.reshape(-1)) + "]"
            return f"shape {tuple(x.shape)}"
        return _number(float(x))
    except (TypeError, ValueError, OverflowError, AttributeError):
        return _shorten(repr(x))


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… ({len(text):,} characters)"


_SPECIAL = re.compile(r'[\\{}|<>"&]|\r\n?|\n|(?<= ) |^ | $|[\x00-\x09\x0b-\x1f\x7f]', re.M)


def _escape_char(m: re.Match) -> str:
    ch = m.group()
    if ch in ("\r\n", "\r", "\n"):
        return r"\n"                          # a line break in the drawing
    if ch == " ":
        return "\u00a0"   # Graphviz drops a space next to a space or an edge: no-break space
    if ch == "&":
        return "&amp;"                        # Graphviz reads &...; as an HTML entity
    if ch < " " or ch == "\x7f":              # control characters: as Python writes them
        return "\\" + repr(ch)[1:-1]          # a NUL byte shows as \x00, a tab as \t
    return "\\" + ch


def _text(value: Any) -> str:
    """Any label or op name as text that a Graphviz label shows exactly as written.

    One rule for every field: backslashes, braces, bars, angle brackets, quotes and
    ampersands are escaped, newlines become line breaks, control characters (a NUL byte,
    a tab) and text that cannot be encoded are shown as Python's escapes (\\x00, \\t),
    and spaces that Graphviz would drop become no-break spaces.
    """
    text = _shorten(value if isinstance(value, str) else str(value))
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _SPECIAL.sub(_escape_char, text)


def _label_of(node: Any) -> str:
    label = getattr(node, "label", "")
    return "" if label is None else _text(label)


def _op_of(node: Any) -> str:
    op = getattr(node, "_op", "")
    return _text(op) if op not in (None, "") else "?"


# ---- the graph, walked by identity -------------------------------------------------------
def _operands(node: Any) -> tuple:
    """node's operands, read once. An iterator (a generator) can be read only once, so
    the node keeps the tuple that was read, and drawing does not use up its graph."""
    prev = getattr(node, "_prev", ())
    try:
        items = tuple(prev)
    except TypeError:
        raise TypeError(f"draw_dot needs each node's _prev to be a collection of its "
                        f"operands; a {type(node).__name__} has _prev = {prev!r}") from None
    if iter(prev) is prev:
        try:
            node._prev = items
        except AttributeError:
            pass
    for child in items:
        if not hasattr(child, "data"):
            raise TypeError(f"draw_dot found an operand that is not a Value: a "
                            f"{type(child).__name__} ({_shorten(repr(child))}) in the _prev "
                            f"of a {type(node).__name__}")
    return items


def _walk(root: Any) -> tuple[list, dict]:
    """Every node `root` depends on, operands first (root last), and each node's operands.

    Nodes are told apart by identity, never by ==, so two equal leaves stay two boxes.
    """
    order, operands, seen = [], {}, set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = operands[id(node)] = _operands(node)
        stack.append((node, True))
        for child in reversed(children):
            if id(child) not in seen:
                stack.append((child, False))
    return order, operands


def graph_size(root: Any) -> dict:
    """How much work laying out `root`'s drawing is, by a fixed rule (no clock involved).

    `boxes` (values), `ops` (op ovals) and `arrows` are counted; `detour` adds, for every
    arrow, the ranks it must cross because its value is made far from where it is used
    (a weight shared by every data point, an operand reused down a long chain): these
    long arrows are what make Graphviz slow. `size` = boxes + ops + arrows + 2 * detour.
    """
    return _size(*_walk(root))


def _size(order: list, operands: dict) -> dict:
    ops = arrows = 0
    rank: dict = {}          # computed values: one rank below their deepest operand
    uses = defaultdict(list)  # id(value) -> ranks of the op ovals that use it
    for node in order:
        children = operands[id(node)]
        if children:
            oval = 1 + max(rank.get(id(c), 0) for c in children)
            rank[id(node)] = oval + 1
            ops += 1
            arrows += 1 + len(children)
            for c in children:
                uses[id(c)].append(oval)
    detour = 0
    for key, ovals in uses.items():
        start = rank[key] if key in rank else min(ovals) - 1  # leaves sit just above a use
        detour += sum(oval - start - 1 for oval in ovals)
    size = len(order) + ops + arrows + 2 * detour
    return {"boxes": len(order), "ops": ops, "arrows": arrows, "detour": detour, "size": size}


def _refuse(size: dict, limit: int) -> None:
    raise GraphTooLarge(
        f"this graph is too big to draw quickly: {size['boxes']:,} values, {size['ops']:,} "
        f"ops and {size['arrows']:,} arrows, plus {size['detour']:,} steps of long arrows "
        "(values used far from where they are made, like a weight shared by every data "
        f"point): a layout size of {size['size']:,}; draw_dot draws up to {limit:,}, which "
        "lays out in a few seconds at most.\n"
        "Draw a part of it instead: draw_dot(v) of a sub-expression (one neuron's output, "
        "one data point's prediction), a loss over a smaller batch (2 or 3 points), or the "
        "whole graph summarized, one box per kind of step: draw_dot(root, summary=True). "
        "(max_size=... raises the limit; a layout that takes more than "
        f"{LAYOUT_TIMEOUT:g} s is stopped.)")


def _new_graph(rankdir: str) -> Digraph:
    return Digraph(format="svg", graph_attr={"rankdir": rankdir, "bgcolor": "white",
                                             "nodesep": "0.25", "ranksep": "0.35"},
                   node_attr={"fontname": "Helvetica", "fontsize": "14"},
                   edge_attr={"color": "#555555", "arrowsize": "0.7"})


def _record(fields: list[str], rankdir: str) -> str:
    record = " | ".join(fields)  # stacked top to bottom: narrow boxes, readable graphs
    # in a top-to-bottom graph, braces stack the fields
    return graphviz.nohtml("{ " + record + " }" if rankdir in ("TB", "BT") else record)


def draw_dot(root: Value, rankdir: str = "LR", highlight: Highlight = (),
             show_grad: bool = True, summary: bool = False,
             max_size: int = MAX_LAYOUT_SIZE) -> Digraph:
    """Draw the graph that produced `root`: a box per value, a small oval per operation.

    `root` is a `Value`, a `Tensor` (boxes show shapes, or the entries of tiny arrays), or
    any object shaped like one (`data`, `grad`, `_prev`, `_op`, `label`), such as the
    Value classes written in the notebooks. Each box shows the value's label, data and
    grad, one above the other. `highlight` is a value or a collection of values to colour,
    or a mapping from value to a colour (any Graphviz colour); a highlighted value whose
    operands are all highlighted has its operation's oval coloured too. Node names come from the
    drawing order, so the same graph gives the same `.source`.

    A graph bigger than `max_size` (see graph_size) raises GraphTooLarge at once: its
    layout could take minutes. `summary=True` draws any graph, however big, in a bounded
    form: one box per kind of step (see draw_summary).

    Values are told apart by identity (`is`), never by `==`. Drawing reads a graph and
    never copies it; a `_prev` that can be read only once (a generator) is replaced by a
    tuple of the same operands.
    """
    missing = [a for a in ("data", "_prev") if not hasattr(root, a)]
    if missing:
        raise TypeError(f"draw_dot needs a Value (something with data and _prev), "
                        f"got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    colors = _colors(highlight)
    order, operands = _walk(root)
    if summary:
        return _draw_summary(order, operands, rankdir, colors, show_grad)
    size = _size(order, operands)
    if size["size"] > max_size:
        _refuse(size, max_size)

    dot = _new_graph(rankdir)
    names = {id(node): f"v{i}" for i, node in enumerate(order)}
    for node in order:
        name, children = names[id(node)], operands[id(node)]
        label = _label_of(node)
        fields = [label] if label else []
        fields.append(f"data {_text(_describe(node.data))}")
        if show_grad:
            fields.append(f"grad {_text(_describe(getattr(node, 'grad', 0.0)))}")
        # blue: the leaves gradients are for (inputs, parameters); a tensor that needs
        # no gradient (data, constants) is drawn like a computed value
        is_parameter = not children and getattr(node, "requires_grad", True)
        fill = colors.get(id(node), LEAF_COLOR if is_parameter else NODE_COLOR)
        dot.node(name, label=_record(fields, rankdir), shape="record",
                 style="rounded,filled", fillcolor=fill,
                 penwidth="2.5" if id(node) in colors else "1")
        if children:
            # a highlighted step (the value and all its operands) lights its operation too
            step = id(node) in colors and all(id(c) in colors for c in children)
            dot.node(name + "op", label=graphviz.nohtml(_op_of(node)), shape="ellipse",
                     style="filled", fillcolor=colors[id(node)] if step else OP_COLOR,
                     fontsize="14", width="0.3", height="0.3", margin="0.02",
                     penwidth="2.5" if step else "1")
            dot.edge(name + "op", name)
            for child in children:
                dot.edge(names[id(child)], name + "op")
    return dot


def _colors(highlight: Highlight) -> dict:
    if hasattr(highlight, "data") and hasattr(highlight, "_prev"):
        highlight = [highlight]  # one value
    if isinstance(highlight, Mapping):
        return {id(v): str(color) for v, color in highlight.items()}
    return {id(v): HIGHLIGHT_COLOR for v in highlight}


# ---- the summary: one box per kind of step ------------------------------------------------
MAX_SUMMARY_BOXES = 40
SUMMARY_BANDS = 8


def draw_summary(root: Value, rankdir: str = "LR", highlight: Highlight = (),
                 show_grad: bool = True) -> Digraph:
    """`root`'s graph, however big, with one box per kind of step; the same as
    draw_dot(root, summary=True).

    Computed values are grouped by operation and by how deep in the graph they are, so
    that the steps of an MLP show as one box each ("800 × ReLU" for 16 neurons and 50 data
    points); a run of the same operation feeding itself (a long sum) is one box. Leaves
    are grouped by the boxes that use them and by how many times each is used: a weight
    used by every data point says "each used 50×". Boxes show the range of their data and
    grads; arrows show how many operand arrows they stand for. If that still gives more
    than MAX_SUMMARY_BOXES boxes, coarser groups are used (by operation alone, then by
    depth alone), so the drawing stays small for any graph.
    """
    return draw_dot(root, rankdir=rankdir, highlight=highlight, show_grad=show_grad,
                    summary=True)


def _depths(order: list, operands: dict) -> dict:
    depth = {}
    for node in order:
        children = operands[id(node)]
        depth[id(node)] = 1 + max(depth.get(id(c), 0) for c in children) if children else 0
    return depth


def _group_keys(order: list, operands: dict, depth: dict, level: int) -> dict:
    """A group key for every node: level 0 by (op, start of its run), 1 by op, 2 by depth."""
    deepest = max(depth.values())
    key: dict = {}
    for node in order:
        children = operands[id(node)]
        if not children:
            continue
        op = _op_of(node)
        if level == 0:
            starts = [key[id(c)][2] for c in children if key.get(id(c), (None, None))[1] == op]
            key[id(node)] = ("op", op, min(starts) if starts else depth[id(node)])
        elif level == 1:
            key[id(node)] = ("op", op, 0)
        else:
            key[id(node)] = ("depth", "", depth[id(node)] * SUMMARY_BANDS // (deepest + 1))
    consumers = defaultdict(list)
    for node in order:
        for c in operands[id(node)]:
            consumers[id(c)].append(key[id(node)])
    for node in order:
        if operands[id(node)]:
            continue
        used_by = consumers[id(node)]
        if level == 2:
            key[id(node)] = ("leaves", "", min(used_by)[2] if used_by else -1)
        else:
            times = len(used_by) if level == 0 else ("shared" if len(used_by) > 1 else 1)
            key[id(node)] = ("leaves", tuple(sorted(set(used_by))), times)
    return key


def _summary_groups(order: list, operands: dict) -> tuple[dict, dict]:
    depth = _depths(order, operands)
    for level in (0, 1, 2):
        key = _group_keys(order, operands, depth, level)
        edges = defaultdict(int)
        for node in order:
            for c in operands[id(node)]:
                edges[key[id(c)], key[id(node)]] += 1
        groups = len(set(key.values()))
        if level == 2 or (groups <= MAX_SUMMARY_BOXES and len(edges) <= 3 * MAX_SUMMARY_BOXES):
            return key, edges


def _span(values: list, what: str) -> Optional[str]:
    numbers = []
    for v in values:
        if getattr(v, "ndim", 0) > 0:
            return None  # arrays: no range to show
        try:
            numbers.append(float(v))
        except (TypeError, ValueError, OverflowError):
            return None  # not numbers
    lo, hi = min(numbers), max(numbers)
    return f"{what} {_number(lo)}" if lo == hi else f"{what} {_number(lo)} … {_number(hi)}"


def _draw_summary(order: list, operands: dict, rankdir: str, colors: dict,
                  show_grad: bool) -> Digraph:
    key, edges = _summary_groups(order, operands)
    members = defaultdict(list)
    for node in order:
        members[key[id(node)]].append(node)
    dot = _new_graph(rankdir)
    names = {k: f"g{i}" for i, k in enumerate(members)}
    for k, nodes in members.items():
        kind, op, extra = k
        labels = [_label_of(n) for n in nodes[:4]]
        if len(nodes) <= 4 and all(labels):  # a few named values: their names
            title = ", ".join(labels) + (f" ({op})" if kind == "op" else "")
        elif kind == "op":
            title = f"{len(nodes):,} × {op}" if len(nodes) > 1 else op
            if nodes[-1] is order[-1]:
                title += " (the output)"
        elif kind == "depth":
            title = f"{len(nodes):,} computed values"
        else:
            title = f"{len(nodes):,} lea{'f' if len(nodes) == 1 else 'ves'}"
            if extra == "shared":
                title += ", each used more than once"
            elif isinstance(op, tuple) and extra > 1:
                title += f", each used {extra:,}×"
        fields = [title]
        for what, attr in (("data", "data"), ("grad", "grad")):
            if what == "grad" and not show_grad:
                continue
            text = _span([getattr(n, attr, 0.0) for n in nodes], what)
            if text:
                fields.append(_text(text))
        marked = [colors[id(n)] for n in nodes if id(n) in colors]
        fill = marked[0] if marked else (LEAF_COLOR if kind == "leaves" else NODE_COLOR)
        dot.node(names[k], label=_record(fields, rankdir), shape="record",
                 style="rounded,filled", fillcolor=fill,
                 penwidth="2.5" if marked else "1")
    for (a, b), count in edges.items():
        dot.edge(names[a], names[b], label=f"×{count:,}" if count > 1 else None,
                 fontsize="11", fontname="Helvetica")
    return dot


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(value: float, position: object = None) -> str:
    """A log-axis tick label such as 10⁻³, in plain text (`ax.xaxis.set_major_formatter(
    power_of_ten)`): Matplotlib's own labels are typeset as formulas, which takes much
    longer to draw. A tick that is not a power of ten is written as it is (0.5)."""
    try:
        value = float(value)             # a NumPy float32 too, whose 1e-3 is not 0.001 exactly
    except (OverflowError, TypeError, ValueError):
        return _short(value)             # 10**400, as 1e+400
    exponent = round(math.log10(value)) if value > 0 and math.isfinite(value) else None
    if exponent is None or not math.isclose(value, 10.0 ** exponent, rel_tol=1e-6):
        return f"{value:g}"
    return "10" + str(exponent).translate(_SUPERSCRIPTS)


def use_course_style(margins: str = "tight") -> None:
    """Matplotlib settings that read well on a laptop and on a projector.

    margins="tight" (the default): a notebook trims each figure's margins to what it
    holds, which draws the figure twice. margins="fixed": each figure is drawn once, as
    laid out, and titles sit at a fixed height, so a figure draws in about half the time;
    every figure must then leave room for its labels itself (`fig.subplots_adjust`).
    """
    import matplotlib as mpl
    if margins not in ("tight", "fixed"):
        raise ValueError(f"margins must be 'tight' or 'fixed', got {margins!r}")
    mpl.rcParams.update({
        "figure.figsize": (6.4, 4.0), "figure.dpi": 100, "savefig.dpi": 100,
        "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "legend.fontsize": 11,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "lines.linewidth": 2.0,
        # a title's height found from the tick labels (None) costs a search at every drawing
        "axes.titley": 1.0 if margins == "fixed" else mpl.rcParamsDefault["axes.titley"],
    })
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell":  # a notebook's kernel
        trim = "'tight'" if margins == "tight" else "None"
        shell.run_line_magic("config", f"InlineBackend.print_figure_kwargs = {{'bbox_inches': {trim}}}")
