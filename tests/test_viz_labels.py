"""draw_dot on adversarial input: any label or op text, learners' own Value-like classes."""
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grad import Value, _layout, draw_dot

SVG = "{http://www.w3.org/2000/svg}"


def engines():
    """The layout programs to check with: graphviz-pure always, a system dot if present."""
    found = {}
    pure = next((p for p in _layout._pure_candidates() if p.is_file()), None)
    found["graphviz-pure"] = str(pure) if pure else "graphviz-pure-is-not-installed"
    dot = shutil.which("dot") or ("/usr/bin/dot" if Path("/usr/bin/dot").exists() else None)
    if dot:
        found["system dot"] = dot
    return found


ENGINES = engines()


@pytest.fixture(params=sorted(ENGINES))
def engine(request, monkeypatch):
    monkeypatch.setenv("GRAD_DOT", ENGINES[request.param])
    return request.param


def node_texts(svg: str) -> dict:
    """{node name: [its lines of text]} from an SVG drawing (which must parse as XML)."""
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node":
            name = g.find(SVG + "title").text
            out[name] = [(t.text or "").replace("\xa0", " ") for t in g.iter(SVG + "text")]
    return out


NASTY = [
    "a\\b", "\\", "ends with \\", "\\n is not a newline", "\\l\\r\\N",
    "<lambda>", "<b>bold</b>", "<", ">", "{x|y}", "a|b", "{", "}", '"quoted"', '"',
    "nul\x00byte", "bell\x07 and del\x7f", "tab\there",
    "line1\nline2", "windows\r\nline", "old mac\rline", "  two  leading", "trailing  ",
    "&amp; &lt; &#65;", "a & b", "é²·−∂", "emoji 🙂", "\ud800 lone surrogate",
    "node", "graph", "-1.5", "",
]


def shown(text: str) -> list:
    """The lines a box should show for `text`: line breaks split it, control characters
    and text that cannot be encoded are shown as Python's escapes."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = re.sub(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]", lambda m: repr(m.group())[1:-1], text)
    return re.split(r"\r\n|\r|\n", text)


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_any_label_text_renders_as_written(engine, rankdir):
    leaves = [Value(float(i), label=text) for i, text in enumerate(NASTY)]
    root = leaves[0]
    for leaf in leaves[1:]:
        root = root + leaf
    root.label = "root"
    svg = draw_dot(root, rankdir=rankdir).pipe(format="svg", encoding="utf-8")
    texts = node_texts(svg)
    names = {id(v): f"v{i}" for i, v in enumerate(_order(root))}  # as draw_dot names them
    for leaf, text in zip(leaves, NASTY):
        lines = texts[names[id(leaf)]]
        expected = shown(text) if text else []
        assert lines == expected + [f"data {leaf.data:.4f}", "grad 0.0000"], (engine, text)


def _order(root):
    from grad.viz import _walk
    return _walk(root)[0]


class Node:
    """A learner's Value: op, label and data of any type, operands in any container."""

    def __init__(self, data, children=(), op="", label="", container=tuple):
        self.data, self.grad, self.label, self._op = data, 0.0, label, op
        self._prev = container(children)


def test_any_op_text_renders_as_written(engine):
    a = Node(1.0, label="a")
    tops = [Node(2.0, (a,), op=text) for text in NASTY if text]
    root = Node(3.0, tops, op="sum", label="root")
    graph = draw_dot(root)
    texts = node_texts(graph.pipe(format="svg", encoding="utf-8"))
    names = {id(v): f"v{i}" for i, v in enumerate(_order(root))}
    for top, text in zip(tops, [t for t in NASTY if t]):
        assert texts[names[id(top)] + "op"] == shown(text), (engine, text)
    assert texts[names[id(root)] + "op"] == ["sum"]
    assert graph.source.count("->") == 2 * len(tops) + len(tops) + 1


@pytest.mark.parametrize("label, text", [(5, "5"), (0, "0"), (3.5, "3.5"), (None, None),
                                         (("w", 1), "('w', 1)"), (b"x\x00", "b'x\\x00'")])
def test_labels_of_any_type(label, text):
    v = Node(1.0, label=label)
    src = draw_dot(v).source
    if text is None:
        assert 'label="data 1.0000 | grad 0.0000"' in src
    else:
        assert f'label="{text.replace(chr(92), chr(92) * 2)} | data 1.0000 | grad 0.0000"' in src
    svg = draw_dot(v).pipe(format="svg", encoding="utf-8")
    assert node_texts(svg)["v0"][0] == (text if text is not None else "data 1.0000")


def test_op_of_any_type_and_an_empty_op():
    a = Node(1.0, label="a")
    assert 'label="**2"' in draw_dot(Node(1.0, (a,), op="**2")).source
    assert "label=7" in draw_dot(Node(1.0, (a,), op=7)).source
    assert 'label="?"' in draw_dot(Node(1.0, (a,), op="")).source
    assert 'label="?"' in draw_dot(Node(1.0, (a,), op=None)).source


@pytest.mark.parametrize("data, text", [
    (complex(1, 2), "(1+2j)"), ("text", "'text'"), (None, "None"), (True, "1.0000"),
    (10 ** 400, "1000000000"), (float("nan"), "nan"), (float("-inf"), "-inf"), (7, "7.0000"),
])
def test_data_of_any_type(data, text):
    svg = draw_dot(Node(data, label="x")).pipe(format="svg", encoding="utf-8")
    line = node_texts(svg)["v0"][1]
    assert line.startswith("data " + text)
    assert len(line) < 400  # a 400-digit number is shortened


def test_a_huge_label_is_shortened():
    src = draw_dot(Node(1.0, label="x" * 100_000)).source
    assert "x" * 300 + "… (100,000 characters)" in src and len(src) < 2000


def test_the_dot_source_keeps_record_syntax_balanced():
    # every special character is escaped, so the record has exactly its three fields
    for text in NASTY:
        src = draw_dot(Node(1.0, label=text)).source
        label = re.search(r'v0 \[label="(.*)" fillcolor', src).group(1)
        unescaped = re.sub(r"\\.", "", label)
        assert unescaped.count("|") == (2 if text else 1), text
        assert not re.search(r'[{}<>"]', unescaped), text
        assert "\x00" not in src and "\n" not in label


# ---- learners' classes --------------------------------------------------------------------
class GeneratorValue:
    """_prev is a generator: it can be read once."""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._op, self.label = data, 0.0, op, label
        self._prev = (c for c in children)

    def __add__(self, other):
        return GeneratorValue(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        return GeneratorValue(self.data * other.data, (self, other), "*")


def counts(src):
    records = len(re.findall(r"^\s*v\d+ \[label=", src, re.M))
    ops = len(re.findall(r"^\s*v\d+op \[label=", src, re.M))
    return records, ops, src.count("->")


def test_a_generator_prev_is_drawn_whole_and_not_used_up():
    a, b = GeneratorValue(2.0, label="a"), GeneratorValue(3.0, label="b")
    c = a * b
    d = c + a
    src = draw_dot(d).source
    assert counts(src) == (4, 2, 6)  # a, b, c, d; * and +; 2 + 1 arrows per op
    assert draw_dot(d).source == src  # a second drawing sees the same graph
    assert list(d._prev) == [c, a] and list(c._prev) == [a, b]  # still there for backward


class DataEqualValue:
    """== and hash on data, as a learner might write: equal leaves are still two values.
    (_prev is a tuple: a set would itself merge equal operands.)"""

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._op, self.label = data, 0.0, op, label
        self._prev = tuple(children)

    def __eq__(self, other):
        return isinstance(other, DataEqualValue) and self.data == other.data

    def __hash__(self):
        return hash(self.data)


def test_equal_valued_leaves_are_not_merged():
    a, b = DataEqualValue(2.0, label="a"), DataEqualValue(2.0, label="b")
    c = DataEqualValue(4.0, (a, b), "+", label="c")
    d = DataEqualValue(4.0, (c, DataEqualValue(0.0, label="z")), "+", label="d")  # d == c
    src = draw_dot(d, highlight=[b]).source
    assert counts(src) == (5, 2, 6)
    assert re.search(r'"a \| data', src) and re.search(r'"b \| data', src)
    assert sum("#fde047" in line for line in src.splitlines()) == 1  # only b, not a


class ArrayLikeValue:
    """== returns something that is not a bool, and the class is unhashable."""

    __hash__ = None

    def __init__(self, data, children=(), op="", label=""):
        self.data, self.grad, self._op, self.label = data, 0.0, op, label
        self._prev = list(children)

    def __eq__(self, other):
        raise TypeError("ambiguous comparison")


def test_unhashable_values_with_strange_equality_are_drawn():
    a = ArrayLikeValue(1.0, label="a")
    b = ArrayLikeValue(2.0, (a, a), "+", label="b")
    c = ArrayLikeValue(3.0, (b, a), "*", label="c")
    src = draw_dot(c, highlight=[b]).source
    assert counts(src) == (3, 2, 6)
    assert src.count("v0 -> v1op") == 2  # a used twice by b
    assert "#fde047" in next(line for line in src.splitlines() if '"b |' in line)


def test_operands_that_are_not_values_get_a_clear_error():
    with pytest.raises(TypeError, match="not a Value: a float"):
        draw_dot(Node(1.0, (2.0,), op="+"))
    with pytest.raises(TypeError, match="collection of its operands"):
        draw_dot(Node(1.0, 5, op="+", container=lambda x: x))


def test_draw_dot_never_copies_or_changes_a_graph():
    a = Node(1.0, label="a")
    b = Node(2.0, [a, a], op="+", label="b", container=list)
    prev = b._prev
    draw_dot(b)
    assert b._prev is prev and b.label == "b" and a.grad == 0.0
