"""The time limit of check() inside a real Jupyter kernel, and the learner's own interrupt.

A kernel runs the learner's cells in its main thread; the watchdog interrupts that thread
when an answer does not return, and a Kernel -> Interrupt by the learner must still stop
a cell, during a check and after it.
"""
from __future__ import annotations

import queue
import time
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

DEADLINE = 120.0   # generous: a hang fails the test instead of hanging the suite


@pytest.fixture(scope="module")
def kernel():
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=DEADLINE)
    try:
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def execute(kernel, code: str, interrupt_when: Path | None = None) -> tuple[str, dict]:
    """Run code in the kernel; return what it printed and the execute reply's content.
    With `interrupt_when`, interrupt the kernel (as Kernel -> Interrupt does) as soon as
    the code has created that file, i.e. once it is surely running."""
    km, kc = kernel
    msg_id = kc.execute(code)
    if interrupt_when is not None:
        give_up = time.monotonic() + DEADLINE
        while not interrupt_when.exists():
            assert time.monotonic() < give_up, "the code never started running"
            time.sleep(0.05)
        km.interrupt_kernel()
    out, give_up = [], time.monotonic() + DEADLINE
    while True:
        assert time.monotonic() < give_up, f"the kernel did not finish:\n{''.join(out)}"
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    while True:  # the reply to this request (an earlier one may still be waiting)
        reply = kc.get_shell_msg(timeout=DEADLINE)
        if reply["parent_header"].get("msg_id") == msg_id:
            return "".join(out), reply["content"]


def test_the_watchdog_stops_an_endless_answer_in_a_kernel(kernel):
    out, reply = execute(kernel, (
        "from grad.exercises import start_here as ex\n"
        "def square(x):\n"
        "    while True:\n"
        "        pass\n"
        "ex.square.check(square, limit=1)\n"))
    assert reply["status"] == "ok", reply
    assert "❌ Warm-up: square: not yet. square(0.0) did not return within 1 s" in out, out


def test_the_watchdog_wakes_a_sleeping_answer_in_a_kernel(kernel):
    out, reply = execute(kernel, (
        "import time\n"
        "def square(x):\n"
        "    time.sleep(100)\n"
        "ex.square.check(square, limit=1)\n"))
    assert reply["status"] == "ok", reply
    assert "did not return within 1 s" in out, out


def test_the_learners_interrupt_stops_a_check(kernel, tmp_path):
    started = tmp_path / "started"
    out, reply = execute(kernel, (
        "def square(x):\n"
        f"    open({str(started)!r}, 'w').close()\n"
        "    while True:\n"
        "        pass\n"
        "ex.square.check(square, limit=600)\n"), interrupt_when=started)
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    assert "✅" not in out and "❌" not in out, out


def test_an_interrupt_still_works_after_checks(kernel, tmp_path):
    started = tmp_path / "sleeping"
    out, reply = execute(kernel, (
        "ex.square.check(lambda x: x * x)\n"
        "import time\n"
        f"open({str(started)!r}, 'w').close()\n"
        "for _ in range(600):\n"
        "    time.sleep(0.1)\n"), interrupt_when=started)
    assert "✅ Warm-up: square: correct!" in out, out
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt", reply
    out, reply = execute(kernel, "ex.square.check(lambda x: x * x)\n")
    assert reply["status"] == "ok" and "✅" in out, (out, reply)
