"""The course's set-up and a drawing, as a normal user on a machine without Graphviz on PATH.

A fresh clone of this repository's committed HEAD, owned by that user, is set up with the
README's `bash scripts/course.sh setup`; then the user's own environment draws a small graph.
Run as root, the test uses (and creates when missing) the user `learner` (GRAD_TEST_USER
names another); run as anyone else, it runs as that user. Slow (a virtual environment and a
pip install from the package index), so it runs only on request:

    bash scripts/course.sh test-nonroot       (GRAD_TEST_NONROOT=1 pytest tests/test_nonroot.py)
"""
from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
AS_ROOT = os.geteuid() == 0
# What reaches the package index from this machine (proxies, certificates, pip's index); the
# rest of the caller's environment (a virtual environment, PYTHONPATH, pyenv) stays behind.
PASSED_ON = ("LANG", "LC_ALL", "TERM", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
             "CURL_CA_BUNDLE", "PIP_CERT", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
             "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT", "PIP_PROXY")
SETUP_DEADLINE = 40 * 60   # seconds; only a guard against a hang
DRAW = r"""
import json, shutil
from grad import Value, draw_dot
from grad.viz import layout_engine
a = Value(2.0, label="a"); b = Value(-3.0, label="b")
c = a * b; c.label = "c"
c.backward()
graph = draw_dot(c)
print(json.dumps({"dot_on_path": shutil.which("dot"), "engine": layout_engine(),
                  "svg": graph.pipe(format="svg").decode(),
                  "notebook": graph._repr_mimebundle_().get("image/svg+xml")}))
"""


class User:
    """Who runs the course: name, home, and how to run a command as them."""

    def __init__(self, name: str):
        entry = pwd.getpwnam(name)
        self.name, self.uid, self.gid, self.home = name, entry.pw_uid, entry.pw_gid, entry.pw_dir

    def run(self, command: list, env: dict, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        switch = dict(user=self.uid, group=self.gid, extra_groups=[]) if AS_ROOT else {}
        return subprocess.run(command, env=env, cwd=cwd, timeout=timeout, capture_output=True,
                              text=True, **switch)


def the_user() -> User:
    if not AS_ROOT:
        return User(pwd.getpwuid(os.geteuid()).pw_name)
    name = os.environ.get("GRAD_TEST_USER", "learner")
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
    return User(name)


def path_without_dot(folder: Path) -> str:
    """This PATH with every `dot` taken out: a folder holding one is replaced by a folder of
    links to everything else in it (so /usr/bin's bash, git and python3 stay)."""
    parts = []
    for entry in os.environ.get("PATH", os.defpath).split(os.pathsep):
        if not entry or entry.startswith("/root") or not os.path.isdir(entry):
            continue   # root's own tools (pyenv, cargo) are not the user's
        if os.path.lexists(os.path.join(entry, "dot")):
            shadow = folder / f"path{len(parts)}"
            shadow.mkdir()
            for name in os.listdir(entry):
                if name != "dot":
                    (shadow / name).symlink_to(os.path.join(entry, name))
            entry = str(shadow)
        parts.append(entry)
    return os.pathsep.join(parts)


def user_python(user: User, env: dict, cwd: Path) -> str:
    """A Python 3.9+ with venv that the user can run; as root, installed with apt-get if none."""
    check = ["-c", "import sys, venv, ensurepip; assert sys.version_info >= (3, 9)"]
    candidates = ["/usr/bin/python3", shutil.which("python3", path=env["PATH"]),
                  getattr(sys, "_base_executable", None)]
    for attempt in range(2):
        for python in dict.fromkeys(c for c in candidates if c):
            if user.run([python, *check], env, cwd, timeout=120).returncode == 0:
                return python
        if attempt == 0 and AS_ROOT and shutil.which("apt-get"):
            apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], env=apt_env, check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "python3", "python3-venv"],
                           env=apt_env, check=True, stdout=subprocess.DEVNULL)
    raise AssertionError(f"no Python 3.9+ with venv that {user.name} can run among {candidates}")


def drawn(svg: str) -> tuple[set, set, list]:
    """(node names, edges, texts) of a Graphviz SVG."""
    ns = {"svg": "http://www.w3.org/2000/svg"}
    tree = ET.fromstring(svg.encode())
    def titles(kind):
        return {g.find("svg:title", ns).text for g in tree.iter("{http://www.w3.org/2000/svg}g")
                if g.get("class") == kind}
    texts = [t.text for t in tree.iter("{http://www.w3.org/2000/svg}text")]
    return titles("node"), titles("edge"), texts


def test_setup_and_drawing_as_a_normal_user_without_dot():
    user = the_user()
    work = Path(tempfile.mkdtemp(prefix="grad-nonroot-"))
    try:
        clone = work / "course"
        subprocess.run(["git", "clone", "--quiet", f"file://{ROOT}", str(clone)], check=True)
        env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
        env.update(HOME=user.home, USER=user.name, LOGNAME=user.name, PATH=path_without_dot(work))
        if AS_ROOT:
            subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(work)], check=True)
        assert user.run(["sh", "-c", "command -v dot"], env, clone, timeout=60).returncode != 0
        env["PYTHON"] = user_python(user, env, clone)

        setup = user.run(["bash", "scripts/course.sh", "setup"], env, clone, timeout=SETUP_DEADLINE)
        output = setup.stdout + setup.stderr
        assert setup.returncode == 0, output
        assert "graphs are drawn by graphviz-pure" in output, output
        assert "sudo" not in output and "apt-get" not in output, output  # nothing to ask an admin

        script = clone / "draw_check.py"
        script.write_text(DRAW)
        if AS_ROOT:
            os.chown(script, user.uid, user.gid)
        # the environment's own Python, not activated: its scripts folder is not on PATH,
        # as in a notebook kernel
        result = user.run([str(clone / ".venv" / "bin" / "python"), str(script)], env, work, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        report = json.loads(result.stdout)
        assert report["dot_on_path"] is None
        assert report["engine"].startswith("graphviz-pure "), report["engine"]
        for svg in (report["svg"], report["notebook"]):
            nodes, edges, texts = drawn(svg)
            assert nodes == {"v0", "v1", "v2", "v2op"}, nodes
            assert edges == {"v0->v2op", "v1->v2op", "v2op->v2"}, edges
            for text in ("a", "data 2.0000", "grad -3.0000", "b", "data -3.0000", "grad 2.0000",
                         "c", "data -6.0000", "grad 1.0000", "*"):
                assert text in texts, (text, texts)
            assert "(graphviz-pure)" in svg
    finally:
        shutil.rmtree(work, ignore_errors=True)
