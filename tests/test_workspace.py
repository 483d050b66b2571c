"""The learner's workspace: copies of the lessons that learning edits instead of the originals."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from grad.workspace import Workspace, lab_command, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def course(tmp_path) -> Path:
    """A small course: two lessons in notebooks/."""
    (tmp_path / "notebooks").mkdir()
    for name in ("00_start_here.ipynb", "01_derivatives.ipynb"):
        shutil.copyfile(ROOT / "notebooks" / name, tmp_path / "notebooks" / name)
    return tmp_path


def edit(path: Path, text: str) -> None:
    nb = json.loads(path.read_text())
    nb["cells"][0]["source"] = text
    path.write_text(json.dumps(nb))


def test_the_workspace_is_made_from_the_originals(course):
    w = Workspace(course)
    report = w.update()
    assert report.created and report.added == ["00_start_here.ipynb", "01_derivatives.ipynb"]
    for name in report.added:
        assert (w.folder / name).read_bytes() == (course / "notebooks" / name).read_bytes()
    assert "made my-notebooks/" in report.lines()[0]


def test_a_new_lesson_is_added_and_edits_are_kept(course):
    w = Workspace(course)
    w.update()
    edit(w.folder / "00_start_here.ipynb", "my own notes")
    shutil.copyfile(ROOT / "notebooks" / "02_value.ipynb", course / "notebooks" / "02_value.ipynb")
    report = w.update()
    assert not report.created and report.added == ["02_value.ipynb"]
    assert report.newer_original == []  # an edited copy is not an out-of-date one
    assert "my own notes" in (w.folder / "00_start_here.ipynb").read_text()
    assert "new lessons added" in report.lines()[0]


def test_a_changed_original_is_named_by_content_not_time(course):
    w = Workspace(course)
    w.update()
    original = course / "notebooks" / "01_derivatives.ipynb"
    edit(original, "a corrected lesson")
    edit(w.folder / "01_derivatives.ipynb", "learner's answer")
    report = w.update()
    assert report.newer_original == ["01_derivatives.ipynb"]
    assert "learner's answer" in (w.folder / "01_derivatives.ipynb").read_text()  # never overwritten
    assert any("reset 01" in line for line in report.lines())
    # touching a file changes its time, not its content: nothing is reported
    w2 = Workspace(course, name="other")
    w2.update()
    (course / "notebooks" / "00_start_here.ipynb").touch()
    assert w2.update().newer_original == []


def test_reset_restores_one_lesson_and_keeps_a_backup(course):
    w = Workspace(course)
    w.update()
    edit(w.folder / "01_derivatives.ipynb", "learner's answer")
    edit(course / "notebooks" / "01_derivatives.ipynb", "a corrected lesson")
    backup = w.reset("1")
    assert "learner's answer" in backup.read_text() and backup.parent.name == "backups"
    assert (w.folder / "01_derivatives.ipynb").read_bytes() == \
        (course / "notebooks" / "01_derivatives.ipynb").read_bytes()
    assert w.update().newer_original == []
    assert w.reset("01_derivatives") != backup  # a second backup does not replace the first
    with pytest.raises(ValueError, match="no lesson '7'.*00_start_here"):
        w.reset("7")


def test_the_workspace_is_git_ignored():
    probe = ROOT / "my-notebooks" / "00_start_here.ipynb"
    result = subprocess.run(["git", "check-ignore", "-q", str(probe)], cwd=ROOT)
    assert result.returncode == 0, "my-notebooks/ is not in .gitignore"


def test_the_command_line(course, monkeypatch, capsys):
    monkeypatch.setattr("grad.workspace.course_root", lambda: course)
    assert main(["update"]) == 0
    assert "made my-notebooks/" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["reset", "00"]) == 0
    assert "is the course's original again" in capsys.readouterr().out
    assert main(["reset", "99"]) == 2
    assert "no lesson '99'" in capsys.readouterr().err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_lab_is_rooted_at_the_course_with_the_originals_hidden(course, tmp_path_factory):
    (course / "grad").mkdir()
    shutil.copyfile(ROOT / "grad" / "engine.py", course / "grad" / "engine.py")
    w = Workspace(course)
    w.update()
    port, runtime = free_port(), tmp_path_factory.mktemp("runtime")
    command = lab_command(w, ["--no-browser", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                              "--IdentityProvider.token=t", "--LabApp.news_url=None"])
    assert "my-notebooks/00_start_here.ipynb" in command
    server = subprocess.Popen(command, cwd=course, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              env={**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)})

    def get(path: str):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/{path}?token=t", timeout=5) as r:
            return json.load(r)

    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                listing = get("")
                break
            except OSError:
                assert server.poll() is None, "JupyterLab exited"
                assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
                time.sleep(0.5)
        names = {item["name"] for item in listing["content"]}
        assert {"grad", "my-notebooks"} <= names and "notebooks" not in names
        assert "class Value" in get("grad/engine.py")["content"]
    finally:
        server.terminate()
        server.wait(30)


def test_the_workspace_tool_needs_only_the_standard_library(course):
    """The module runs in an isolated interpreter with nothing but the standard library
    (for a hub or Windows, before anything is installed)."""
    program = (
        "import importlib.util, pathlib, sys\n"
        f"spec = importlib.util.spec_from_file_location('workspace', {str(ROOT / 'grad' / 'workspace.py')!r})\n"
        "module = importlib.util.module_from_spec(spec); sys.modules['workspace'] = module\n"
        "spec.loader.exec_module(module)\n"
        f"module.course_root = lambda: pathlib.Path({str(course)!r})\n"
        "sys.exit(module.main(['update']))\n")
    result = subprocess.run([sys.executable, "-I", "-S", "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (course / "my-notebooks" / "00_start_here.ipynb").exists()


def test_copies_are_trusted_so_their_saved_drawings_show(course, tmp_path_factory, monkeypatch):
    """JupyterLab renders saved SVG (every draw_dot) only in trusted notebooks."""
    import nbformat
    from nbformat.sign import NotebookNotary
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("jupyter-data")))
    w = Workspace(course)
    copy = w.folder / "00_start_here.ipynb"

    def trusted(path: Path) -> bool:
        return NotebookNotary().check_signature(nbformat.read(path, as_version=4))

    assert not trusted(course / "notebooks" / "00_start_here.ipynb")  # a fresh store knows nothing
    w.update()
    assert trusted(copy) and trusted(w.folder / "01_derivatives.ipynb")
    edit(copy, "a learner's change")  # their own edits are theirs to trust, not the course's
    w.update()
    assert not trusted(copy)
    w.reset("00")
    assert trusted(copy)


def test_lab_hands_further_options_to_jupyterlab(course, monkeypatch, capsys):
    monkeypatch.setattr("grad.workspace.course_root", lambda: course)
    launched = {}
    monkeypatch.setattr(os, "execv", lambda path, command: launched.setdefault("command", command))
    monkeypatch.setattr(os, "chdir", lambda path: None)
    main(["lab", "--no-browser", "--ServerApp.port=8890"])
    assert launched["command"][-2:] == ["--no-browser", "--ServerApp.port=8890"]
    launched.clear()
    main(["lab", "--", "--no-browser"])  # a "--" separator is not handed on
    assert launched["command"][-1] == "--no-browser" and "--" not in launched["command"]
    with pytest.raises(SystemExit):
        main(["lab", "--help"])
    assert "jupyter lab --help" in capsys.readouterr().out  # says where JupyterLab's own are
    with pytest.raises(SystemExit):
        main(["status", "--no-browser"])  # only lab takes JupyterLab's options
    assert "unrecognized arguments: --no-browser" in capsys.readouterr().err
