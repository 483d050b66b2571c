"""draw_dot: the DOT source (no Graphviz needed), highlighting, rendering, missing `dot`."""
import re

import graphviz
import numpy as np
import pytest

from grad import Value, _layout, draw_dot
from grad.viz import GraphvizNotFound, layout_engine


def lecture_graph():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b; e.label = "e"
    d = e + c; d.label = "d"
    f = Value(-2.0, label="f")
    L = d * f; L.label = "L"
    L.backward()
    return L, (a, b, c, d, e, f)


def record_nodes(source):
    return re.findall(r'(v\d+) \[label="(?:\{ )?(.*?)(?: \})?"', source)


def test_a_record_per_value_and_a_node_per_op():
    L, _ = lecture_graph()
    dot = draw_dot(L)
    assert isinstance(dot, graphviz.Digraph)
    records = dict(record_nodes(dot.source))
    assert len(records) == 7
    assert "L | data -8.0000 | grad 1.0000" in records.values()
    assert "a | data 2.0000 | grad 6.0000" in records.values()
    ops = re.findall(r'v\d+op \[label="?([^" ]+)"?', dot.source)
    assert sorted(ops) == ["*", "*", "+"]
    assert dot.source.count("->") == 3 * 3  # each op: two operands in, one result out
    assert "rankdir=LR" in dot.source


def test_source_is_deterministic_and_free_of_ids():
    first = draw_dot(lecture_graph()[0]).source
    second = draw_dot(lecture_graph()[0]).source
    assert first == second
    assert not re.search(r"\d{8,}", first)  # no id() numbers in node names


def test_highlight_colours_the_chosen_nodes():
    L, (a, b, c, d, e, f) = lecture_graph()
    plain = draw_dot(L).source
    assert "#fde047" not in plain
    src = draw_dot(L, highlight=[d]).source
    line = next(l for l in src.splitlines() if '"d |' in l)
    assert "#fde047" in line and "penwidth=2.5" in line
    src = draw_dot(L, highlight={a: "orange", e: "#90ee90"}).source
    assert "orange" in next(l for l in src.splitlines() if '"a |' in l)
    assert "#90ee90" in next(l for l in src.splitlines() if '"e |' in l)


def test_options_and_unlabelled_values():
    x = Value(3.0)
    y = (x * 2).relu()
    src = draw_dot(y, rankdir="TB", show_grad=False).source
    assert "rankdir=TB" in src and "grad" not in src
    assert "{ data 6.0000 }" in src and "ReLU" in src  # braces stack fields in a TB graph
    assert '"data 3.0000 | grad 0.0000"' in draw_dot(x).source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(y, rankdir="sideways")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_dot(3.0)


def test_labels_with_record_characters_are_escaped():
    v = Value(1.0, label="a|b {c}")
    assert r"a\|b \{c\}" in draw_dot(v).source


def test_a_value_used_twice_gets_two_edges():
    a = Value(3.0, label="a")
    src = draw_dot(a + a).source
    assert src.count("v0 -> v1op") == 2


def test_renders_to_svg():
    svg = draw_dot(lecture_graph()[0])._repr_image_svg_xml()
    assert "<svg" in svg and "data 2.0000" in svg and "grad 6.0000" in svg


def test_no_layout_program_explains_how_to_install(monkeypatch, tmp_path):
    # no graphviz-pure where pip puts it, no system dot anywhere
    monkeypatch.setattr(_layout, "_pure_candidates", lambda: [])
    monkeypatch.setattr(_layout, "SYSTEM_DOT_FOLDERS", [])
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder
    monkeypatch.delenv("GRAD_DOT", raising=False)
    graph = draw_dot(lecture_graph()[0])
    for render in (lambda: graph.pipe(format="svg"), graph._repr_image_svg_xml,
                   lambda: graph.render(tmp_path / "g"), layout_engine):
        with pytest.raises(GraphvizNotFound) as info:
            render()
        message = str(info.value)
        assert "pip install graphviz-pure" in message
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "conda-forge graphviz" in message
    # in a notebook: a short message instead of the picture, not a traceback
    bundle = graph._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "pip install graphviz-pure" in bundle["text/plain"]
    assert graph._repr_svg_() is None


def test_course_style_sets_readable_fonts():
    import matplotlib as mpl

    from grad.viz import use_course_style
    use_course_style()
    assert mpl.rcParams["font.size"] >= 12 and mpl.rcParams["axes.grid"]


def test_draws_any_value_shaped_object():
    class MyValue:  # the kind of class a learner writes in the notebooks
        def __init__(self, data, _children=(), _op="", label=""):
            self.data, self.grad, self._prev, self._op, self.label = data, 0.0, set(_children), _op, label

    a, b = MyValue(2.0, label="a"), MyValue(3.0, label="b")
    c = MyValue(6.0, (a, b), "*", label="c")
    src = draw_dot(c).source
    assert '"c | data 6.0000 | grad 0.0000"' in src and 'label="*"' in src


def test_draws_tensor_graphs_with_shapes():
    import numpy as np

    from grad.tensor import Tensor
    x = Tensor(np.ones((4, 3)), requires_grad=True, label="x")
    w = Tensor([1.0, 2.0, 3.0], requires_grad=True, label="w")
    loss = (x * w).sum()
    loss.backward()
    src = draw_dot(loss).source
    assert '"x | data shape (4, 3) | grad shape (4, 3)"' in src
    assert '"w | data [1.0000, 2.0000, 3.0000] | grad [4.0000, 4.0000, 4.0000]"' in src
    assert "data [24.0000]" not in src and "data 24.0000" in src
    constant = draw_dot((Tensor([1.0, 2.0, 3.0], label="c") * w).sum()).source
    assert "#dbeafe" in next(l for l in constant.splitlines() if '"w |' in l)
    assert "#dbeafe" not in next(l for l in constant.splitlines() if '"c |' in l)


def test_a_highlighted_step_lights_its_operation_too():
    L, (a, b, c, d, e, f) = lecture_graph()

    def op_lines(src):
        return [line for line in src.splitlines() if "op [" in line and "ellipse" in line]

    src = draw_dot(L, highlight=[a, b, e]).source   # the step e = a * b
    lit = [line for line in op_lines(src) if "#fde047" in line]
    assert len(lit) == 1 and 'label="*"' in lit[0] and "penwidth=2.5" in lit[0]
    assert not any("#fde047" in line for line in op_lines(draw_dot(L, highlight=[a, e]).source))
    assert not any("#fde047" in line for line in op_lines(draw_dot(L, highlight=[e]).source))


def test_course_style_margins_fixed_or_tight():
    import matplotlib as mpl

    from grad.viz import use_course_style
    use_course_style(margins="fixed")
    assert mpl.rcParams["axes.titley"] == 1.0
    use_course_style()
    assert mpl.rcParams["axes.titley"] == mpl.rcParamsDefault["axes.titley"]
    with pytest.raises(ValueError, match="margins must be 'tight' or 'fixed'"):
        use_course_style(margins="loose")


def test_fixed_margins_show_figures_as_laid_out_in_a_notebook():
    """In a kernel, 'fixed' shows the whole canvas (figsize x dpi) and 'tight' trims it."""
    import base64
    import struct

    import nbformat
    from nbclient import NotebookClient
    draw = "fig, ax = plt.subplots(figsize=(4, 3)); ax.plot([1, 2])"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in [
        f"import matplotlib.pyplot as plt\nfrom grad.viz import use_course_style\n"
        f"use_course_style(margins='fixed')\n{draw}", f"use_course_style()\n{draw}"]]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    sizes = [struct.unpack(">II", base64.b64decode(out["data"]["image/png"])[16:24])
             for cell in nb.cells for out in cell.outputs if "image/png" in out.get("data", {})]
    assert sizes[0] == (400, 300)
    assert sizes[1][0] < 400 and sizes[1][1] < 300


def test_power_of_ten_labels_log_ticks_in_plain_text():
    from grad.viz import power_of_ten
    assert [power_of_ten(v) for v in (1e-3, 1.0, 10.0, 1e16)] == ["10⁻³", "10⁰", "10¹", "10¹⁶"]
    assert [power_of_ten(v) for v in (0.5, 0.0, -1.0, float("nan"), float("inf"))] == \
        ["0.5", "0", "-1", "nan", "inf"]  # anything else as it is, never an error
    assert power_of_ten(np.float32(1e-3)) == "10⁻³" and power_of_ten(10 ** 400) == "1e+400"
