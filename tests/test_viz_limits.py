"""draw_dot answers quickly for any graph: the size rule, the summary, the layout time-out."""
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grad import Value, draw_dot
from grad.viz import (MAX_LAYOUT_SIZE, MAX_SUMMARY_BOXES, GraphTooLarge, LayoutError,
                      LayoutTimeout, draw_summary, graph_size)

ROOT = Path(__file__).resolve().parents[1]
GUARD = 900  # seconds: a hang fails the test; no timing is asserted (busy 2-core machines are slow)


def run_guarded(code: str) -> list:
    """Run `code` in a fresh Python (killed after GUARD seconds); its printed JSON lines."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT,
                          capture_output=True, text=True, timeout=GUARD)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


GRAPHS = '''
import json, random
from grad import Value, draw_dot
from grad.losses import mse
from grad.nn import MLP
from grad.viz import GraphTooLarge, graph_size

def chain(n):
    x = Value(0.5, label="x")
    for _ in range(n):
        x = x.tanh()
    return x

def reuse(k):
    a, x = Value(0.1, label="a"), Value(0.5, label="x")
    for _ in range(k):
        x = x + a
    return x

def mlp_loss(points, sizes=(16, 16, 1)):
    random.seed(0)
    model = MLP(2, list(sizes))
    xs = [[random.uniform(-1, 1), random.uniform(-1, 1)] for _ in range(points)]
    return mse([model(x) for x in xs], [1.0] * points)

def alternating(n):
    x = Value(0.5)
    for i in range(n):
        x = x.tanh() if i % 2 else x + 1
    return x

def random_dag(n, seed=0):  # each step uses the last value and any earlier one
    rnd = random.Random(seed)
    nodes = [Value(rnd.uniform(-1, 1)) for _ in range(4)]
    for _ in range(n):
        a, b = nodes[-1], rnd.choice(nodes)
        nodes.append(a + b if rnd.random() < 0.5 else a * b)
    return nodes[-1]
'''


def test_chains_and_reuse_have_exact_sizes():
    def chain(n):
        x = Value(0.5)
        for _ in range(n):
            x = x.tanh()
        return x

    def reuse(k):
        a, x = Value(0.1), Value(0.5)
        for _ in range(k):
            x = x + a
        return x

    for n in (1, 10, 500):
        # n + 1 boxes, n ovals, 2n arrows, no long arrows
        assert graph_size(chain(n)) == {"boxes": n + 1, "ops": n, "arrows": 2 * n,
                                        "detour": 0, "size": 4 * n + 1}
    for k in (1, 10, 40):
        # `a` is used at ovals 1, 3, ..., 2k - 1 and sits above the first: the arrow to
        # the i-th use crosses 2i ranks, k(k - 1) in all
        assert graph_size(reuse(k)) == {"boxes": k + 2, "ops": k, "arrows": 3 * k,
                                        "detour": k * (k - 1), "size": 2 * k * k + 3 * k + 2}


def test_the_size_rule_decides_graphs_from_10_to_100000_nodes():
    results = run_guarded(GRAPHS + '''
cases = [("chain", chain, n) for n in (10, 100, 749, 750, 1000, 10_000, 50_000)]
cases += [("reuse", reuse, k) for k in (10, 37, 38, 100, 1000, 20_000)]
cases += [("mlp", mlp_loss, p) for p in (1, 3, 4, 50, 1500)]
cases += [("random", random_dag, n) for n in (50, 100, 100_000)]
for name, make, n in cases:
    decisions = []
    for _ in range(2):  # the same graph built twice: the same decision
        root = make(n)
        size = graph_size(root)
        try:
            draw_dot(root)
            decisions.append(("drawn", size))
        except GraphTooLarge as e:
            decisions.append((str(e), size))
    assert decisions[0] == decisions[1], name
    print(json.dumps({"case": f"{name} {n}", "message": decisions[0][0], **decisions[0][1]}))
''')
    by_case = {r["case"]: r for r in results}
    assert by_case["chain 50000"]["boxes"] == 50_001  # 100,001 boxes and ovals
    assert by_case["mlp 1500"]["boxes"] + by_case["mlp 1500"]["ops"] > 100_000
    assert by_case["random 100000"]["boxes"] == 100_004
    for r in results:
        assert (r["message"] == "drawn") == (r["size"] <= MAX_LAYOUT_SIZE), r["case"]
    drawn = {case for case, r in by_case.items() if r["message"] == "drawn"}
    assert drawn == {"chain 10", "chain 100", "chain 749", "reuse 10", "reuse 37", "mlp 1",
                     "mlp 3", "random 50"}
    refusal = by_case["mlp 50"]["message"]
    assert f"{by_case['mlp 50']['boxes']:,} values" in refusal
    assert f"{by_case['mlp 50']['arrows']:,} arrows" in refusal
    assert f"layout size of {by_case['mlp 50']['size']:,}" in refusal
    assert f"up to {MAX_LAYOUT_SIZE:,}" in refusal
    assert "smaller batch" in refusal and "summary=True" in refusal and "sub-expression" in refusal


def test_the_refusal_is_a_value_error_raised_by_draw_dot_and_max_size_moves_it():
    x = Value(1.0)
    for _ in range(800):
        x = x.tanh()
    with pytest.raises(ValueError) as info:
        draw_dot(x)
    assert isinstance(info.value, GraphTooLarge) and "3,201" in str(info.value)
    assert "v800op" in draw_dot(x, max_size=4000).source
    with pytest.raises(GraphTooLarge, match="layout size of 7; draw_dot draws up to 6"):
        draw_dot(Value(1.0) + 2, max_size=6)  # 3 boxes, 1 oval, 3 arrows


def test_summaries_of_100000_node_graphs_are_small_and_render():
    results = run_guarded(GRAPHS + '''
class Node:  # a learner's Value with a different op name at every step
    def __init__(self, data, children=(), op=""):
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, children, op, ""

def distinct_ops(n):
    x = Node(0.0)
    for i in range(n):
        x = Node(float(i), (x, Node(1.0)), f"op{i}")
    return x

for name, root in [("chain", chain(100_000)), ("alternating", alternating(100_000)),
                   ("distinct ops", distinct_ops(50_000)), ("mlp", mlp_loss(1500)),
                   ("reuse", reuse(50_000)), ("random", random_dag(100_000))]:
    graph = draw_dot(root, summary=True)
    svg = graph.pipe(format="svg", encoding="utf-8")
    ok = svg.rstrip().endswith("</svg>")
    print(json.dumps({"case": name, "source": graph.source, "svg_ok": ok}))
''')
    for r in results:
        src = r["source"]
        boxes = re.findall(r"^\s*g\d+ \[label=", src, re.M)
        arrows = src.count("->")
        assert 1 <= len(boxes) <= MAX_SUMMARY_BOXES, r["case"]
        assert arrows <= 3 * MAX_SUMMARY_BOXES, r["case"]
        assert r["svg_ok"] and len(src) < 20_000, r["case"]
    by_case = {r["case"]: r["source"] for r in results}
    assert "100,000 × tanh" in by_case["chain"]
    assert "50,000 × tanh" in by_case["alternating"] and "50,000 × +" in by_case["alternating"]
    assert "computed values" in by_case["distinct ops"]  # grouped by depth alone
    mlp = by_case["mlp"]
    # the two hidden layers' neurons are one run of the same op, 2 x 16 neurons x 1500
    # points (the second layer reads the first: a loop), each weight used by every point
    assert "48,000 × ReLU(w·x+b)" in mlp and 'label="×384,000"' in mlp and "1,500 × w·x+b" in mlp
    assert "each used 1,500×" in mlp and "1,499 × +" in mlp and "(the output)" in mlp


def test_a_summary_of_a_small_graph_keeps_its_labels():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    L = c + a
    L.label = "L"
    L.backward()
    src = draw_summary(L, highlight=[c]).source
    assert src == draw_dot(L, highlight=[c], summary=True).source
    assert 'label="a | data 2.0000 | grad -2.0000"' in src
    assert 'label="c (*) | data -6.0000 | grad 1.0000"' in src
    assert 'label="L (+) | data -4.0000 | grad 1.0000"' in src
    assert "#fde047" in next(line for line in src.splitlines() if '"c (*)' in line)
    assert "grad" not in draw_summary(L, show_grad=False).source


def fake_engine(tmp_path: Path, body: str) -> str:
    """A program that answers `-V` like Graphviz and otherwise runs `body`."""
    path = tmp_path / "fake-dot"
    path.write_text(f"#!{sys.executable}\nimport os, sys, time\n"
                    "if '-V' in sys.argv:\n"
                    "    sys.stderr.write('dot - graphviz version 99.0 (fake)\\n'); sys.exit(0)\n"
                    + body)
    path.chmod(0o755)
    return str(path)


def test_a_layout_that_runs_too_long_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    pid_file = tmp_path / "pid"
    monkeypatch.setenv("GRAD_DOT", fake_engine(
        tmp_path, f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(60)\n"))
    graph = draw_dot(Value(1.0) + 2)
    graph.timeout = 1.0
    with pytest.raises(LayoutTimeout) as info:
        graph.pipe(format="svg")
    assert isinstance(info.value, TimeoutError)
    assert "more than 1 s" in str(info.value) and "summary=True" in str(info.value)
    with pytest.raises(ProcessLookupError):  # the program was stopped, not left running
        os.kill(int(pid_file.read_text()), 0)
    bundle = graph._repr_mimebundle_()  # the notebook shows one short line
    assert list(bundle) == ["text/plain"] and bundle["text/plain"].startswith("LayoutTimeout:")
    assert graph._repr_svg_() is None
    with pytest.raises(LayoutTimeout):
        graph.render(tmp_path / "g", format="png")


def test_the_default_time_out_applies_to_every_drawing(tmp_path, monkeypatch):
    import grad.viz
    monkeypatch.setenv("GRAD_DOT", fake_engine(tmp_path, "time.sleep(60)\n"))
    monkeypatch.setattr(grad.viz, "LAYOUT_TIMEOUT", 0.5)
    with pytest.raises(LayoutTimeout, match="more than 0.5 s"):
        draw_dot(Value(1.0))._repr_image_svg_xml()


def test_a_failing_layout_program_gives_its_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAD_DOT", fake_engine(
        tmp_path, "sys.stderr.write('Error: syntax error in line 1'); sys.exit(3)\n"))
    graph = draw_dot(Value(1.0))
    with pytest.raises(LayoutError, match="exit status 3.*syntax error in line 1"):
        graph.pipe()
    assert "syntax error" in graph._repr_mimebundle_()["text/plain"]


def test_a_bad_grad_dot_setting_is_named(monkeypatch, tmp_path):
    from grad.viz import GraphvizNotFound, layout_engine
    monkeypatch.setenv("GRAD_DOT", str(tmp_path / "no-such-program"))
    with pytest.raises(GraphvizNotFound, match="GRAD_DOT is set to"):
        layout_engine()
    monkeypatch.setenv("GRAD_DOT", fake_engine(tmp_path, ""))
    assert layout_engine() == "fake-dot 99.0 (GRAD_DOT=" + os.environ["GRAD_DOT"] + ")"
