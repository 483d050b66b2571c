"""Which program lays out the drawings: graphviz-pure from PyPI, found without PATH."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grad import Value, _layout, draw_dot
from grad.viz import layout_engine

ROOT = Path(__file__).resolve().parents[1]


def lecture_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    return c


@pytest.fixture
def no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder
    monkeypatch.delenv("GRAD_DOT", raising=False)
    assert shutil.which("dot") is None and shutil.which("graphviz-pure") is None
    return tmp_path


def test_graphviz_pure_from_pypi_draws_by_default(monkeypatch):
    monkeypatch.delenv("GRAD_DOT", raising=False)
    description = layout_engine()
    assert description.startswith("graphviz-pure ") and description.endswith("(from PyPI)")
    assert Path(_layout.find_engine()[0]).name.startswith("graphviz-pure")


def test_drawing_works_with_no_dot_on_path(no_dot_on_path):
    graph = draw_dot(lecture_graph())
    assert layout_engine().startswith("graphviz-pure")
    svg = graph.pipe(format="svg", encoding="utf-8")
    assert svg.rstrip().endswith("</svg>") and "data &#45;6.0000" in svg
    assert graph.pipe(format="png").startswith(b"\x89PNG")
    bundle = graph._repr_mimebundle_()
    assert bundle["image/svg+xml"] == svg and graph._repr_svg_() == svg
    target = graph.render(no_dot_on_path / "graph", format="png", cleanup=True)
    assert target == str(no_dot_on_path / "graph.png")
    assert Path(target).read_bytes().startswith(b"\x89PNG")
    assert not (no_dot_on_path / "graph").exists()  # cleanup removed the DOT source
    out = graph.render(outfile=no_dot_on_path / "pic.svg")
    assert Path(out).read_text().rstrip().endswith("</svg>")
    assert (no_dot_on_path / "pic.gv").read_text() == graph.source


def test_a_kernel_whose_path_lacks_the_environment_still_draws():
    # Jupyter may start the kernel's Python without the environment's bin folder on PATH
    code = ("from grad import Value, draw_dot; from grad.viz import layout_engine; "
            "print(layout_engine()); "
            "print(draw_dot(Value(1.0, label='x')).pipe(format='svg', encoding='utf-8')[-7:])")
    env = {k: v for k, v in os.environ.items() if k != "GRAD_DOT"}
    env["PATH"] = "/nonexistent"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("graphviz-pure ") and "</svg>" in proc.stdout


def test_a_system_dot_is_used_only_when_graphviz_pure_cannot_run(monkeypatch, no_dot_on_path):
    pure = _layout.find_engine()[0]
    monkeypatch.setattr(_layout, "_pure_candidates", lambda: [])
    monkeypatch.setattr(_layout, "SYSTEM_DOT_FOLDERS", [])
    dot = no_dot_on_path / "dot"  # a `dot` on PATH (here: graphviz-pure under that name)
    dot.write_text(f"#!/bin/sh\nexec {pure} \"$@\"\n")
    dot.chmod(0o755)
    _layout._find.cache_clear()  # the program found is remembered for the same PATH
    assert layout_engine() == f"system Graphviz dot {pure_version(pure)} ({dot})"
    assert draw_dot(lecture_graph()).pipe(format="svg").rstrip().endswith(b"</svg>")


def pure_version(program):
    proc = subprocess.run([program, "-V"], capture_output=True, text=True, timeout=60)
    return (proc.stderr + proc.stdout).split("version")[1].split()[0]


def test_the_step_through_widget_draws_through_the_same_path(monkeypatch, tmp_path):
    from grad.widgets.backprop import BackpropStepper
    fake = tmp_path / "fake-dot"  # answers like Graphviz, draws a marked picture
    fake.write_text(f"#!{sys.executable}\nimport sys\n"
                    "if '-V' in sys.argv:\n"
                    "    sys.stderr.write('dot - graphviz version 1.0'); sys.exit(0)\n"
                    "sys.stdin.read()\n"
                    "print('<svg width=\"10pt\" height=\"10pt\"><!-- marked --></svg>')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("GRAD_DOT", str(fake))
    stepper = BackpropStepper(lecture_graph(), step=1)
    assert "marked" in stepper.svg and "marked" in stepper.view.value


def test_layout_engine_describes_a_system_dot_chosen_by_grad_dot(monkeypatch):
    dot = shutil.which("dot") or "/usr/bin/dot"
    if not Path(dot).exists():
        pytest.skip("this machine has no system Graphviz to choose")
    monkeypatch.setenv("GRAD_DOT", dot)
    assert layout_engine().startswith("dot ") and f"GRAD_DOT={dot}" in layout_engine()
    assert draw_dot(lecture_graph()).pipe(format="svg").rstrip().endswith(b"</svg>")
