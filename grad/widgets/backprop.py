"""Step through a backward pass, one node at a time, in the drawn graph.

    from grad.widgets.backprop import BackpropStepper
    BackpropStepper(o)        # o: the output of a small graph (grad.Value or your own Value)

The slider walks through the nodes in the order `backward()` visits them (reversed
topological order). At step k the picture shows the gradients exactly as they are after
the first k backward steps: the node being processed in yellow and tagged "► now", the
operands it just passed gradient to in orange and tagged "← receives", and the nodes
already done in green and tagged "• done" (colours from the colour-blind-safe Okabe–Ito
palette; the tags say the same without colour, on any screen or projector). The text
under the slider writes out that step's chain rule with its numbers.
"""
from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any, Optional

import ipywidgets as widgets

from grad.engine import _pow_slope, topological_order
from grad.viz import draw_dot
from grad.widgets.base import ORANGE, YELLOW, Explorer

CURRENT_COLOR = YELLOW       # the node whose backward step runs now
RECEIVING_COLOR = ORANGE     # its operands, which receive gradient in this step
DONE_COLOR = "#A3DCC9"       # nodes whose step has already run: Okabe–Ito's bluish green, lightened
# the second cue, written in the box: what each colour means, without the colour
# (symbols that Graphviz's usual fonts have, so that PNG renderings show them too)
TAGS = {CURRENT_COLOR: "► now", RECEIVING_COLOR: "← receives", DONE_COLOR: "• done"}


def _num(x: float) -> str:
    """A number as the drawing shows it (4 decimals), without a negative zero."""
    if x == 0:
        return "0.0000"
    if 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.3e}"


def _op_name(op: str) -> str:
    return op or "?"


def _agree(got: float, expected: float) -> bool:
    """Whether a gradient is the chain rule's (close, or NaN where the chain rule gives NaN)."""
    both_nan = math.isnan(got) and math.isnan(expected)
    return both_nan or math.isclose(got, expected, rel_tol=1e-7, abs_tol=1e-12)


def _neuron_activation(op: str) -> Optional[str]:
    """'' for a weighted-sum node (op 'w·x+b'), 'tanh' for 'tanh(w·x+b)', ...; None otherwise."""
    if op == "w·x+b":
        return ""
    if op.endswith("(w·x+b)"):
        return op[:-len("(w·x+b)")]
    return None


def fit_width(svg: str) -> str:
    """The SVG drawing scaled to the width it is shown in, never above its natural size.

    Graphviz gives the drawing a fixed size in points; a wide graph would then overflow
    the notebook and scroll. Width 100% (capped at the natural width) with the height
    following the viewBox keeps the whole graph in view, its text scaled with it.
    """
    return re.sub(r'(<svg\b[^>]*?)\swidth="([\d.]+)pt"\s+height="[\d.]+pt"',
                  r'\1 width="100%" style="max-width: \2pt; height: auto"', svg, count=1)


@dataclass
class Contribution:
    """What one operand receives in one backward step: local derivative x out.grad."""
    operand: Any
    formula: str          # the local derivative written with names, e.g. "w1" or "1 − o²"
    local: Optional[float]  # its value (None when the op is unknown to the stepper)


@dataclass
class StepRecord:
    """One backward step as it ran: the node, its grad, and its operands' grads before/after."""
    node: Any
    out_grad: float
    before: dict          # id(operand) -> grad before the step
    after: dict           # id(operand) -> grad after the step
    error: Optional[str] = None
    index: int = 0        # the step's number (1 for the first node processed)


class BackpropStepper(Explorer):
    """A slider (and ◀ ▶ buttons) over the steps of `root`'s backward pass.

    `root` is a `grad.Value` or any Value-shaped object (`data`, `grad`, `_prev`, `_op`,
    `label`, and a `_backward()` on every computed node), such as the Value classes
    written in the notebooks. Step 0 is the state just before the pass: only the output's
    grad is seeded to 1. Step k runs the k-th computed node's `_backward()`, in reversed
    topological order. Leaves (inputs and parameters) have no operands, so they have
    nothing to pass on: they are not steps (their `_backward()` does nothing).

    Each picture is replayed from scratch: every grad is set to 0, the root's to 1, the
    first k `_backward()` calls run, and the drawing and the text are taken from that
    state. Afterwards every node gets back the grad it had before the replay, so moving the
    slider never changes your graph's numbers (call `root.backward()` for that).

    Controls and state, for scripts and tests: `slider`, `prev_button`, `next_button`,
    `text` (HTML with the step's chain rule), `view` (HTML with the SVG drawing, scaled
    to fit the notebook's width),
    `steps` (the computed nodes in backward order), `graph` (the current
    `graphviz.Digraph`), `grads` (grad of every node at the current step), `update()`.

    Speed (p95 on a 2-core machine, from make bench, graphviz-pure laying out): a move (replay,
    drawing, SVG) answers in about 10 ms for notebook 04's tanh neuron (10 nodes), and the
    widget builds in about 15 ms; a bigger graph takes longer, nearly all of it in the
    layout program (the replay itself takes about 1 ms).
    """

    def __init__(self, root: Any, step: Optional[int] = None, rankdir: str = "LR",
                 max_nodes: int = 60):
        missing = [a for a in ("data", "grad", "_prev") if not hasattr(root, a)]
        if missing:
            raise TypeError(f"BackpropStepper needs a Value (something with data, grad and "
                            f"_prev), got {type(root).__name__} without {', '.join(missing)}")
        if not isinstance(root.data, numbers.Real):
            raise TypeError(f"BackpropStepper steps through graphs of numbers (Values); this "
                            f"root's data is a {type(root.data).__name__}. For a Tensor graph, "
                            "draw it with grad.viz.draw_dot(root) instead")
        if rankdir not in ("LR", "TB", "RL", "BT"):
            raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
        if isinstance(max_nodes, bool) or not isinstance(max_nodes, int):
            raise TypeError(f"max_nodes must be a whole number, got {max_nodes!r}")
        if max_nodes < 1:
            raise ValueError(f"max_nodes must be at least 1, got {max_nodes}")
        self.root = root
        self.rankdir = rankdir
        self.order = topological_order(root)
        if len(self.order) > max_nodes:
            raise ValueError(f"this graph has {len(self.order)} nodes; the stepper draws "
                             f"at most {max_nodes} (pass max_nodes=... to draw more, but "
                             "a big drawing is hard to read)")
        self.steps = [v for v in reversed(self.order) if v._prev]
        self._names = self._make_names()
        for v in self.steps:
            if not callable(getattr(v, "_backward", None)):
                raise TypeError(f"node {self.name(v)!r} (op {_op_name(v._op)!r}) has no "
                                "_backward() to call")
        n = len(self.steps)
        if step is None:
            step = min(2, n)
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= n:
            raise ValueError(f"step must be a whole number from 0 to {n}, got {step!r}")

        self.slider = widgets.IntSlider(value=step, min=0, max=n, description="step",
                                        continuous_update=True,
                                        layout=widgets.Layout(width="360px"))
        self.prev_button = widgets.Button(description="◀", tooltip="previous step",
                                          layout=widgets.Layout(width="44px"))
        self.next_button = widgets.Button(description="▶", tooltip="next step",
                                          layout=widgets.Layout(width="44px"))
        self.text = widgets.HTML()
        self.view = widgets.HTML()
        self.graph = None
        self.svg = ""
        self.grads: dict = {}
        self.prev_button.on_click(lambda _: self._move(-1))
        self.next_button.on_click(lambda _: self._move(+1))
        self.slider.observe(lambda _: self.update(), names="value")
        super().__init__([widgets.HBox([self.prev_button, self.slider, self.next_button]),
                          self.text, self.view])
        self.update()

    # ---- names and local derivatives ----------------------------------------------------
    def name(self, node: Any) -> str:
        """The node's label; unlabelled: t1, t2, ... for computed nodes, the number for leaves."""
        return self._names[node]

    def _make_names(self) -> dict:
        names, count = {}, 0
        for v in self.order:
            label = getattr(v, "label", "")
            if label:
                names[v] = str(label)
            elif v._prev:
                count += 1
                names[v] = f"t{count}"
            else:
                text = f"{v.data:.4g}"
                names[v] = f"({text})" if v.data < 0 else text
        return names

    def local_derivatives(self, node: Any) -> list[Contribution]:
        """d node / d operand for each operand, as (formula, value), from the op's name."""
        op = getattr(node, "_op", "")
        ops = tuple(node._prev)
        N = self.name
        out = node.data
        if op == "+" and len(ops) == 2:
            return [Contribution(p, "1", 1.0) for p in ops]
        if op == "-" and len(ops) == 2:
            return [Contribution(ops[0], "1", 1.0), Contribution(ops[1], "−1", -1.0)]
        if op == "*" and len(ops) == 2:
            a, b = ops
            return [Contribution(a, N(b), b.data), Contribution(b, N(a), a.data)]
        if op == "/" and len(ops) == 2:
            a, b = ops
            return [Contribution(a, f"1/{N(b)}", 1.0 / b.data),
                    Contribution(b, f"−{N(a)}/{N(b)}²", -(a.data / b.data) / b.data)]
        if op == "**" and len(ops) == 2:
            a, b = ops
            return [Contribution(a, f"{N(b)} × {N(a)}^({N(b)} − 1)", _pow_slope(a.data, b.data)),
                    Contribution(b, f"{N(node)} × log {N(a)}",
                                 out * math.log(a.data) if a.data > 0 else 0.0)]
        if op.startswith("**") and len(ops) == 1:
            try:
                k = float(op[2:])
            except ValueError:
                k = None
            if k is not None:
                (a,) = ops
                power = N(a) if k == 2 else f"{N(a)}^{k - 1:g}"
                return [Contribution(a, f"{k:g} × {power}", _pow_slope(a.data, k))]
        if len(ops) == 1:
            (a,) = ops
            slope = self._activation_slope(op, node) if op else None
            if slope is not None:
                return [Contribution(a, *slope)]
            if op == "neg":
                return [Contribution(a, "−1", -1.0)]
            if op == "exp":
                return [Contribution(a, N(node), out)]
            if op == "log":
                return [Contribution(a, f"1/{N(a)}", 1.0 / a.data if a.data else math.inf)]
        if op == "//":
            return [Contribution(p, "0", 0.0) for p in ops]
        act = _neuron_activation(op)
        slope = self._activation_slope(act, node) if act is not None else None
        if slope is not None and len(ops) % 2 == 1:  # w·x+b, or act(w·x+b): one neuron
            n = len(ops) // 2
            ws, xs, b = ops[:n], ops[n:-1], ops[-1]
            s_formula, s = slope
            times = (lambda f: f) if not act else (lambda f: f"{f} × ({s_formula})")
            return ([Contribution(w, times(N(x)), x.data * s) for w, x in zip(ws, xs)]
                    + [Contribution(x, times(N(w)), w.data * s) for w, x in zip(ws, xs)]
                    + [Contribution(b, s_formula, s)])
        return [Contribution(p, "?", None) for p in ops]

    def _activation_slope(self, act: str, node: Any) -> Optional[tuple[str, float]]:
        """d act(z)/dz for an activation ('' for none), written with the node's output o."""
        o, out = self.name(node), node.data
        if act == "":
            return "1", 1.0
        if act == "tanh":
            return f"1 − {o}²", 1.0 - out * out  # out * out: inf for a huge o, never an error
        if act == "sigmoid":
            return f"{o} × (1 − {o})", out * (1.0 - out)
        if act in ("ReLU", "relu"):  # a NaN passes, as in the engine and in PyTorch
            return f"0 if {o} ≤ 0 else 1", 0.0 if out <= 0 else 1.0
        return None

    def _equation(self, node: Any) -> str:
        """The forward computation of `node`, e.g. 'n = x1w1x2w2 + b'."""
        op = _op_name(getattr(node, "_op", ""))
        names = [self.name(p) for p in node._prev]
        act = _neuron_activation(op)
        if act is not None:
            n = len(names) // 2
            terms = [f"{w}·{x}" for w, x in zip(names[:n], names[n:-1])] + [names[-1]]
            rhs = " + ".join(terms)
            if act:
                rhs = f"{act}({rhs})"
        elif len(names) == 2 and not op[:1].isalpha():
            rhs = f"{names[0]} {op} {names[1]}"
        elif len(names) == 1 and op.startswith("**"):
            rhs = f"{names[0]}{op}"
        elif len(names) == 1 and op == "neg":
            rhs = f"−{names[0]}"
        elif len(names) == 1 and names[0].startswith("("):
            rhs = f"{op}{names[0]}"
        else:
            rhs = f"{op}({', '.join(names)})"
        return f"{self.name(node)} = {rhs} ({op})"

    # ---- replaying the backward pass ----------------------------------------------------
    def _replay(self, k: int) -> tuple[dict, Optional[StepRecord], Any]:
        """Run the first k backward steps from zero; return grads, the k-th step, the drawing.

        Every node's grad is put back as it was before, whatever happens.
        """
        saved = [(v, v.grad) for v in self.order]
        try:
            for v in self.order:
                v.grad = 0.0
            self.root.grad = 1.0
            record = None
            for i, node in enumerate(self.steps[:k]):
                ops = tuple(node._prev)
                before = {id(p): p.grad for p in ops}
                out_grad = node.grad
                error = None
                try:
                    node._backward()
                except Exception as e:  # a learner's half-written _backward: show, don't crash
                    error = f"{type(e).__name__}: {e}"
                if i == k - 1 or error:
                    record = StepRecord(node, out_grad, before, {id(p): p.grad for p in ops},
                                        error, i + 1)
                if error:
                    break
            grads = {v: v.grad for v in self.order}
            current = self.steps[k - 1] if k else None
            colors = {v: DONE_COLOR for v in self.steps[:max(k - 1, 0)]}
            if current is not None:
                for p in current._prev:
                    colors[p] = RECEIVING_COLOR
                colors[current] = CURRENT_COLOR
            else:
                colors[self.root] = RECEIVING_COLOR  # the seed: d root / d root = 1
            # for the drawing only: names on unlabelled steps (the text uses them) and the
            # tags that say what each colour means
            relabel = {v: self._names[v] for v in self.steps if not getattr(v, "label", "")}
            for v, color in colors.items():
                relabel[v] = f"{relabel.get(v, getattr(v, 'label', '') or self._names[v])} {TAGS[color]}"
            saved_labels = []
            try:
                for v, text in relabel.items():
                    saved_labels.append((v, getattr(v, "label", None)))
                    try:
                        v.label = text
                    except AttributeError:  # a class that cannot take a label keeps its own
                        saved_labels.pop()
                graph = draw_dot(self.root, rankdir=self.rankdir, highlight=colors)
            finally:
                for v, label in saved_labels:
                    v.label = label
        finally:
            for v, g in saved:
                v.grad = g
        return grads, record, graph

    def describe(self, k: Optional[int] = None, multiline: bool = False) -> str:
        """The chain-rule arithmetic of step k (default: the slider's step), as plain text.

        One line by default; `multiline=True` puts each operand's update on its own line.
        """
        k = self.slider.value if k is None else k
        n = len(self.steps)
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n:
            raise ValueError(f"step must be a whole number from 0 to {n}, got {k!r}")
        grads, record, _ = self._replay(k)
        head, items, notes = self._explain(k, record, grads)
        if multiline:
            notes = [t if t.endswith("?") else t + "." for t in notes]
            return "\n".join([head + ":"] + ["    " + t for t in items] + notes)
        text = head + (": " + "; ".join(items) if items else "")
        for note in notes:
            text += ("" if text.endswith(("?", ".")) else ".") + " " + note
        return text

    def chain_rule_grads(self) -> Optional[dict]:
        """Every node's gradient as the chain rule gives it, from the stepper's own local
        derivatives (not the nodes' _backward); None if an op's derivative is not known."""
        expected = {v: 0.0 for v in self.order}
        expected[self.root] = 1.0
        for node in self.steps:
            for c in self.local_derivatives(node):
                if c.local is None:
                    return None
                expected[c.operand] += c.local * expected[node]
        return expected

    def _explain(self, k: int, record: Optional[StepRecord],
                 grads: Optional[dict] = None) -> tuple[str, list[str], list[str]]:
        """Step k as (headline, one line per operand, remarks); grads: those after step k."""
        n = len(self.steps)
        root = self.name(self.root)
        if k == 0:
            return (f"step 0 of {n}: before backward, only the output's grad is seeded",
                    [f"{root}.grad = 1 (d{root}/d{root} = 1); every other grad is 0"], [])
        node = record.node
        me = self.name(node)
        head = (f"step {record.index} of {n}: {self._equation(node)}, "
                f"{me}.grad = {_num(record.out_grad)}")
        if record.error:
            return head, [f"its _backward() raised {record.error}"], []
        items, notes, total = [], [], {}
        for c in self.local_derivatives(node):
            key = id(c.operand)
            who = f"{self.name(c.operand)}.grad"
            if c.local is None:
                delta = record.after[key] - record.before[key]
                items.append(f"{who} += {_num(delta)} (op {_op_name(node._op)!r}: its local "
                             "derivative is not known to the stepper)")
                continue
            contribution = c.local * record.out_grad
            total[key] = total.get(key, 0.0) + contribution
            if c.formula in ("1", "−1", "0"):
                text = f"{who} += {c.formula} × {_num(record.out_grad)} = {_num(contribution)}"
            else:
                formula = f"({c.formula})" if " " in c.formula else c.formula
                text = (f"{who} += {formula} × {me}.grad = {_num(c.local)} × "
                        f"{_num(record.out_grad)} = {_num(contribution)}")
            if record.before[key] != 0 or sum(p is c.operand for p in node._prev) > 1:
                text += f" (in total {_num(record.before[key] + total[key])})"
            items.append(text)
        # Does the node's own _backward agree with the chain rule? (It may be a learner's.)
        for operand in dict.fromkeys(node._prev):
            key = id(operand)
            if key not in total:
                continue
            expected, got = record.before[key] + total[key], record.after[key]
            if not _agree(got, expected):
                overwrote = record.before[key] != 0 and _agree(got, total[key])
                reused = sum(p is operand for p in node._prev) > 1
                why = ("does it overwrite (=) instead of adding (+=)?" if overwrote or reused
                       else "is its local derivative right?")
                notes.append(f"⚠ but this node's _backward() left {self.name(operand)}.grad = "
                             f"{_num(got)}, not {_num(expected)}: {why}")
        if k == n:
            leaves = ", ".join(dict.fromkeys(self.name(v) for v in self.order if not v._prev))
            expected = self.chain_rule_grads() if grads else None
            wrong = [] if expected is None else [
                self.name(v) for v in self.order
                if not _agree(grads[v], expected[v])]
            if wrong:
                count = "1 gradient disagrees" if len(wrong) == 1 else f"{len(wrong)} gradients disagree"
                notes.append(f"Done: every step has run, as in {root}.backward(), but {count} "
                             f"with the chain rule ({', '.join(w + '.grad' for w in wrong)}): the steps "
                             "marked ⚠ show where")
            else:
                notes.append(f"Done: every gradient is filled in, as {root}.backward() would "
                             f"leave them. The leaves ({leaves}) have no operands, so they have "
                             "no step")
        return head, items, notes

    # ---- the widget -----------------------------------------------------------------------
    def _move(self, delta: int) -> None:
        self.slider.value = min(max(self.slider.value + delta, self.slider.min), self.slider.max)

    def update(self) -> None:
        """Replay up to the slider's step, then redraw the graph and rewrite the text."""
        k = self.slider.value
        self.grads, record, graph = self._replay(k)
        n = len(self.steps)
        head, items, notes = self._explain(k, record, self.grads)
        title = (f"step 0 of {n}: seed {self.name(self.root)}.grad = 1" if k == 0 else
                 f"step {k} of {n}: {self.name(record.node)} passes its grad to its operands")
        if any(t.startswith("⚠") for t in notes):
            title += " ⚠ (its _backward disagrees with the chain rule)"
        graph.attr(label=title, labelloc="t", labeljust="l", fontname="Helvetica",
                   fontsize="16")
        self.graph = graph
        self.svg = graph.pipe(format="svg", encoding="utf-8")
        self.view.value = fit_width(self.svg)
        esc = lambda t: html.escape(t, quote=False)  # noqa: E731
        lines = [f"<b>{esc(head)}</b>"] + [f"&emsp;{esc(t)}" for t in items]
        lines += [f"<i>{esc(t)}{'' if t.endswith('?') else '.'}</i>" for t in notes]
        key = "border:1px solid #333; padding:0 4px"
        legend = (f"<span style='background:{CURRENT_COLOR}; {key}'>{TAGS[CURRENT_COLOR]}</span> "
                  f"(yellow) runs its backward step now &ensp;"
                  f"<span style='background:{RECEIVING_COLOR}; {key}'>{TAGS[RECEIVING_COLOR]}</span> "
                  f"(orange) receives gradient &ensp;"
                  f"<span style='background:{DONE_COLOR}; {key}'>{TAGS[DONE_COLOR]}</span> "
                  "(green) step already done")
        self.text.value = ("<div style='font-size:14px;line-height:1.5;min-height:7em'>"
                           + "<br>".join(lines)
                           + f"<br><span style='font-size:12px'>{legend}</span></div>")

    def snapshot(self) -> dict[str, str]:
        return {"image/svg+xml": self.svg}
