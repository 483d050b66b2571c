"""Finding and running the program that lays out drawn graphs (Graphviz's `dot` language).

The course draws with `graphviz-pure`, a port of Graphviz shipped on PyPI as an ordinary
dependency, so no learner needs a system package, and every machine draws the same
picture. It is looked for where pip put it for this Python (not on PATH: a notebook
kernel's PATH often lacks the environment's scripts folder). Only when it cannot run is
a system Graphviz `dot` used. Setting the environment variable GRAD_DOT to a program
(a path, or a name on PATH, such as `dot`) makes the course use that one instead.
"""
from __future__ import annotations

import functools
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Optional

PURE = "graphviz-pure"
# where a system Graphviz usually lives when a kernel's PATH does not say
SYSTEM_DOT_FOLDERS = ["/opt/homebrew/bin", "/usr/local/bin", "/opt/local/bin", "/usr/bin",
                      r"C:\Program Files\Graphviz\bin", r"C:\Program Files (x86)\Graphviz\bin"]

INSTALL_GRAPHVIZ = """\
Drawing a graph needs a layout program, and none could run here.
The course installs one from PyPI; install it into the Python this notebook runs, then
restart the kernel:
  python -m pip install graphviz-pure     (in a notebook: %pip install graphviz-pure)
Or install Graphviz itself:
  Debian/Ubuntu:  sudo apt-get install graphviz
  macOS:          brew install graphviz
  conda/mamba:    conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add its bin folder to PATH)
The graph's DOT text is still available as `graph.source`."""


class GraphvizNotFound(RuntimeError):
    """Raised when a graph is drawn on a machine where no layout program can run."""


class LayoutTimeout(TimeoutError):
    """Raised when the layout program takes longer than the time-out; it has been stopped."""


class LayoutError(RuntimeError):
    """Raised when the layout program fails on a graph (its message is included)."""


def _exe(name: str) -> str:
    return name + ".exe" if sys.platform == "win32" else name


def _pure_candidates() -> list[Path]:
    """Where pip may have put graphviz-pure's program for this Python, best first."""
    found = []
    try:
        for f in importlib.metadata.distribution(PURE).files or ():
            if f.name == _exe(PURE):
                found.append(Path(f.locate()).resolve())
    except importlib.metadata.PackageNotFoundError:
        pass
    folders = [sysconfig.get_path("scripts"), Path(sys.executable).parent]
    try:
        folders.append(sysconfig.get_path("scripts", f"{os.name}_user"))
    except KeyError:
        pass
    found += [Path(folder, _exe(PURE)) for folder in folders if folder]
    on_path = shutil.which(PURE)
    if on_path:
        found.append(Path(on_path))
    return found


def _system_dot_candidates() -> list[Path]:
    on_path = shutil.which("dot")
    found = [Path(on_path)] if on_path else []
    return found + [Path(folder, _exe("dot")) for folder in SYSTEM_DOT_FOLDERS]


def _version(program: Path) -> Optional[str]:
    """The program's `-V` line if it runs and is a Graphviz, else None."""
    try:
        proc = subprocess.run([str(program), "-V"], capture_output=True, timeout=20,
                              **_hidden_window())
    except (OSError, subprocess.SubprocessError):
        return None
    text = (proc.stderr + proc.stdout).decode("utf-8", "replace")
    m = re.search(r"version\s+(\S+)", text)
    return m.group(1) if proc.returncode == 0 and m and "graphviz" in text.lower() else None


@functools.lru_cache(maxsize=16)
def _find(path_env: Optional[str], chosen: Optional[str]) -> tuple[str, str]:
    """(program, description) for these PATH and GRAD_DOT values; GraphvizNotFound if none."""
    if chosen:
        program = shutil.which(chosen) or chosen
        version = _version(Path(program))
        if version is None:
            raise GraphvizNotFound(f"GRAD_DOT is set to {chosen!r}, which does not run as a "
                                   "Graphviz layout program. Unset it to use the course's "
                                   "own, or point it at a working `dot`.\n" + INSTALL_GRAPHVIZ)
        return program, f"{Path(program).name} {version} (GRAD_DOT={chosen})"
    for program in dict.fromkeys(_pure_candidates()):
        if program.is_file():
            version = _version(program)
            if version is not None:
                return str(program), f"graphviz-pure {version} (from PyPI)"
    for program in dict.fromkeys(_system_dot_candidates()):
        if program.is_file():
            version = _version(program)
            if version is not None:
                return str(program), f"system Graphviz dot {version} ({program})"
    raise GraphvizNotFound(INSTALL_GRAPHVIZ)


def find_engine() -> tuple[str, str]:
    """The layout program to run and a description of it (see the module's docstring)."""
    return _find(os.environ.get("PATH"), os.environ.get("GRAD_DOT") or None)


def layout_engine() -> str:
    """Which program draws the graphs here, e.g. 'graphviz-pure 0.2.2 (from PyPI)'.

    Raises GraphvizNotFound, with install instructions, when no program can run.
    """
    return find_engine()[1]


def _hidden_window() -> dict:
    # on Windows, run the program without flashing a console window
    return {"creationflags": subprocess.CREATE_NO_WINDOW} if sys.platform == "win32" else {}


def run(source: str, output_format: str, engine: str = "dot", timeout: float = 20.0,
        encoding: str = "utf-8", extra_args: tuple = ()) -> bytes:
    """Lay out DOT `source` with Graphviz's `engine` and return the `output_format` bytes.

    The program is stopped after `timeout` seconds (LayoutTimeout); a failure raises
    LayoutError with the program's message.
    """
    program, description = find_engine()
    cmd = [program, f"-K{engine}", f"-T{output_format}", *extra_args]
    try:
        proc = subprocess.run(cmd, input=source.encode(encoding), capture_output=True,
                              timeout=timeout, **_hidden_window())
    except subprocess.TimeoutExpired:
        raise LayoutTimeout(
            f"laying out this graph took more than {timeout:g} s, so it was stopped. "
            "Draw a smaller part of it, or its summary: draw_dot(root, summary=True)."
        ) from None
    except OSError as e:
        raise GraphvizNotFound(f"{description} could not be started ({e}).\n"
                               + INSTALL_GRAPHVIZ) from None
    if proc.returncode != 0:
        message = proc.stderr.decode(encoding, "replace").strip()
        raise LayoutError(f"{description} could not draw this graph (exit status "
                          f"{proc.returncode}): {message[:500] or 'no message'}")
    # Warnings on success are dropped: they are about the program's estimates of text
    # widths (for any non-ASCII character), nothing a learner can act on.
    return proc.stdout
