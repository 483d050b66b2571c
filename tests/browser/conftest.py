"""Fixtures for the browser tests: a JupyterLab server and a headless Chromium, each
started here on 127.0.0.1 and stopped by PID (process group) whatever happens."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SCREENSHOTS = ROOT / "browser-screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited early; its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; log:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    """Stop a process and everything it started (it leads its own process group)."""
    if process.poll() is not None:
        return
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session", autouse=True)
def busy_core():
    """With GRAD_BROWSER_LOAD=1, keep one core busy for the whole run (a busy-loop process
    started here and stopped by its process id), to prove the checks do not depend on a
    quiet machine."""
    if not os.environ.get("GRAD_BROWSER_LOAD"):
        yield None
        return
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
    try:
        yield process.pid
    finally:
        stop(process)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """A Jupyter server (JupyterLab, and Notebook 7 beside it) serving a copy of notebooks/,
    so nothing is saved over the course."""
    work = tmp_path_factory.mktemp("lab")
    course = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", course, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    # no "would you like news?" toast over the notebook
    settings = work / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # every cell attached to the page, so a widget far from the viewport still renders
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(work / "runtime"),
               JUPYTERLAB_WORKSPACES_DIR=str(work / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(work / "settings"), JUPYTER_CONFIG_DIR=str(work / "config"))
    command = [str(Path(sys.executable).parent / "jupyter"), "lab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course}",
               "--LabApp.expose_app_in_browser=True", "--JupyterNotebookApp.expose_app_in_browser=True",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if IS_ROOT:
        command.append("--allow-root")
    log = work / "lab.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   cwd=course, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/status?token={token}", 90, process, log)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "log": log, "root": course}
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Debian's Chromium, headless, driven by Playwright over the DevTools protocol."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test-browser` (as root it "
                    "installs Debian's chromium) or `sudo apt-get install chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: run `make test-browser`, or "
                    "`.venv/bin/pip install playwright` (no browser download is needed)")
    work = tmp_path_factory.mktemp("chromium")
    port = free_port()
    command = [CHROMIUM, "--headless=new", f"--remote-debugging-port={port}",
               "--remote-debugging-address=127.0.0.1", f"--user-data-dir={work / 'profile'}",
               "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
               "--window-size=1400,1000", "about:blank"]
    if IS_ROOT:
        command.insert(1, "--no-sandbox")
    log = work / "chromium.log"
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/json/version", 30, process, log)
        with sync_playwright() as p:
            connected = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
            try:
                yield connected
            finally:
                connected.close()
    finally:
        stop(process)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS

