"""Set up the course and run it, on any OS, with nothing but Python 3.9+ (no make, no bash).

    python scripts/course.py setup       # a virtual environment in .venv with everything
    python scripts/course.py lab         # set up, then open the course in JupyterLab
    python scripts/course.py test        # set up, then run the whole test suite
    python scripts/course.py test-unit   # ... the unit tests only
    python scripts/course.py test-browser      # the course in JupyterLab and Notebook 7, in Chromium
    python scripts/course.py test-torch        # cross-checks against PyTorch (installs it)
    python scripts/course.py test-nonroot      # set-up and a drawing as a normal user without
                                               # Graphviz on PATH, in a fresh clone
    python scripts/course.py test-pythons      # unit tests + notebooks on the oldest and
                                               # newest supported Python found here

Nothing that is already done is done again. As root on Debian or Ubuntu, missing system
packages (Python's venv module; Chromium for the browser tests) are installed with
apt-get; otherwise the exact command to run is printed. pip's progress is kept in
.venv/setup.log and shown in full only when something fails. Environment variables:
VENV (default .venv), PYTHON (the interpreter for a new environment; default this one).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / os.environ.get("VENV", ".venv")
WINDOWS = os.name == "nt"
BIN = VENV / ("Scripts" if WINDOWS else "bin")
PY = BIN / ("python.exe" if WINDOWS else "python")
STAMP = VENV / ".grad-installed"
LOG = VENV / "setup.log"
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg"]
# The suite runs on up to 4 cores (pytest-xdist); each test file and each notebook stays
# whole on one worker, so a notebook's cells run in order in one kernel.
PARALLEL = ["-n", str(max(1, min(4, os.cpu_count() or 1))), "--dist", "loadscope"]
CHECK_IMPORTS = "import grad, numpy, matplotlib, ipywidgets, jupyterlab, notebook, nbval, hypothesis, xdist, micrograd"


def say(message: str) -> None:
    print(f"[setup] {message}", flush=True)


class SetupFailed(Exception):
    """A step failed; the message says what to do."""


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def can_apt() -> bool:
    return is_root() and shutil.which("apt-get") is not None


_apt_updated = False


def apt_install(*packages: str) -> bool:
    """Install Debian packages quietly; True when it worked."""
    global _apt_updated
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        subprocess.run(["apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        _apt_updated = True
    result = subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        print(result.stdout[-3000:])
    return result.returncode == 0


def quiet(command: list, what: str) -> None:
    """Run a noisy command with its output in the log; show the log if it fails."""
    LOG.parent.mkdir(parents=True, exist_ok=True)
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(map(str, command))}\n")
        log.flush()
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    if result.returncode != 0:
        print(LOG.read_text(encoding="utf-8", errors="replace")[-6000:])
        raise SetupFailed(f"{what} failed (exit {result.returncode}); the messages above are "
                          f"its last lines, the whole log is {LOG.relative_to(ROOT)}")


def base_python() -> str:
    python = os.environ.get("PYTHON") or sys.executable
    version = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True)
    if version.returncode != 0:
        raise SetupFailed(f"cannot run the Python {python!r}")
    major, minor = map(int, version.stdout.split())
    if (major, minor) < (3, 9):
        raise SetupFailed(f"the course needs Python 3.9 or newer; {python} is {major}.{minor}")
    return python


def make_venv() -> None:
    if PY.exists():
        return
    python = base_python()
    has_venv = subprocess.run([python, "-c", "import venv, ensurepip"], capture_output=True).returncode == 0
    if not has_venv:
        version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True).stdout.strip()
        if can_apt():
            say(f"installing python{version}-venv (apt-get)")
            if not (apt_install(f"python{version}-venv") or apt_install("python3-venv")):
                raise SetupFailed("installing Python's venv module with apt-get failed")
        else:
            raise SetupFailed("Python's venv module is missing. Install it with:  "
                              f"sudo apt-get install python{version}-venv   (then run this again)")
    say(f"creating {VENV.name}")
    result = subprocess.run([python, "-m", "venv", str(VENV)], capture_output=True, text=True)
    if result.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        raise SetupFailed(f"creating the virtual environment failed:\n{result.stdout}{result.stderr}")


def install_package() -> None:
    if STAMP.exists() and STAMP.stat().st_mtime >= (ROOT / "pyproject.toml").stat().st_mtime:
        return
    say(f"installing the grad package and the course's dependencies into {VENV.name} "
        "(a few minutes the first time)")
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "--no-input"]
    quiet(pip + ["install", "--upgrade", "pip"], "upgrading pip")
    quiet(pip + ["install", "-e", ".[course,test]"], "installing the package and its dependencies")
    quiet([str(PY), "-c", CHECK_IMPORTS], "importing what was installed")
    STAMP.touch()


def check_drawing() -> None:
    """Say which program draws the graphs."""
    result = subprocess.run([str(PY), "-c", "from grad.viz import layout_engine; print(layout_engine())"],
                            capture_output=True, text=True, cwd=ROOT)
    if result.returncode == 0:
        say(f"graphs are drawn by {result.stdout.strip()}")
    else:
        say("no program to draw graphs was found: drawn graphs will show an error with what to "
            "install. " + (result.stderr.strip().splitlines() or [""])[-1])


def setup_browser() -> None:
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        if can_apt():
            say("installing Chromium (apt-get)")
            if not apt_install("chromium"):
                raise SetupFailed("installing Chromium with apt-get failed")
        else:
            raise SetupFailed("the browser tests need Chromium. Install it with:  sudo apt-get install chromium")
    if subprocess.run([str(PY), "-c", "import playwright"], capture_output=True).returncode != 0:
        say(f"installing Playwright for Python into {VENV.name} (it drives the system's Chromium)")
        quiet([str(PY), "-m", "pip", "--disable-pip-version-check", "install", "playwright"],
              "installing Playwright")


def setup(browser: bool = False) -> None:
    make_venv()
    install_package()
    if browser:
        setup_browser()


def run(command: list, env: dict | None = None) -> int:
    print("$ " + " ".join(map(str, command)), flush=True)
    return subprocess.call(command, cwd=ROOT, env=env)


SUPPORTED = ("3.9", "3.13")  # the oldest and newest Python the course supports


def find_python(version: str) -> str | None:
    """An interpreter of `version`: python3.X on PATH, or one of pyenv's."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True).stdout.strip()
        candidates += sorted(Path(root, "versions").glob(f"{version}.*/bin/python{version}"), reverse=True)
    for candidate in candidates:
        if candidate and subprocess.run([str(candidate), "-c", "import venv"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


def test_pythons(rest: list[str]) -> int:
    """Set up a separate environment per Python and run the unit tests and the notebooks."""
    failed = []
    for version in SUPPORTED:
        python = os.environ.get(f"PYTHON{version.replace('.', '')}") or find_python(version)
        if python is None:
            say(f"Python {version} was not found (set PYTHON{version.replace('.', '')}=/path/to/python{version})")
            failed.append(version)
            continue
        say(f"Python {version}: {python}")
        env = dict(os.environ, PYTHON=python, VENV=f".venv-{version}")
        code = subprocess.call([sys.executable, __file__, "test", *rest], cwd=ROOT, env=env)
        if code != 0:
            failed.append(version)
    if failed:
        say("failed on Python " + ", ".join(failed))
        return 1
    say("passed on Python " + ", ".join(SUPPORTED))
    return 0


def main(argv: list[str]) -> int:
    commands = ("setup", "lab", "test", "test-unit", "test-notebooks", "reset", "test-pythons",
                "test-browser", "test-torch", "test-nonroot")
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    command, rest = argv[0], [a for a in argv[1:] if a != "--browser"]
    if command == "test-pythons":
        return test_pythons(rest)
    try:
        setup(browser="--browser" in argv or command == "test-browser")
    except SetupFailed as e:
        say(str(e))
        return 1
    if command == "setup":
        check_drawing()
        say(f"ready. Open the course with:  {'make lab' if shutil.which('make') else 'python scripts/course.py lab'}")
        return 0
    say(f"ready; now: {command}")
    if command == "lab":
        return run([str(PY), "-m", "grad.workspace", "lab", *rest])
    if command == "reset":
        return run([str(PY), "-m", "grad.workspace", "reset", *rest])
    if command == "test-torch":
        if subprocess.run([str(PY), "-c", "import torch"], capture_output=True).returncode != 0:
            say(f"installing PyTorch 2.13 (CPU) into {VENV.name}, for the cross-checks only")
            try:
                quiet([str(PY), "-m", "pip", "--disable-pip-version-check", "install", "torch==2.13.0"],
                      "installing PyTorch")
            except SetupFailed as e:
                say(str(e))
                return 1
        return run([str(PY), "-m", "pytest", "-q", "tests/torch", *rest],
                   env=dict(os.environ, GRAD_TEST_TORCH="1"))
    if command == "test-browser":
        return run([str(PY), "-m", "pytest", "-q", "tests/browser", *rest],
                   env=dict(os.environ, GRAD_TEST_BROWSER="1"))
    if command == "test-nonroot":
        return run([str(PY), "-m", "pytest", "-q", "tests/test_nonroot.py", *rest],
                   env=dict(os.environ, GRAD_TEST_NONROOT="1"))
    paths = {"test": ["tests", "notebooks"], "test-unit": ["tests"], "test-notebooks": ["notebooks"]}[command]
    # a debugger needs one process; `-n` chooses the workers itself
    own = any(a in ("--pdb", "--trace") or a.startswith("-n") or a == "--numprocesses" for a in rest)
    return run([str(PY), "-m", "pytest", "-q", *([] if own else PARALLEL), *paths,
                *(NBVAL if "notebooks" in paths else []), *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
