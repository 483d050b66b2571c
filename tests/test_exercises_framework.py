"""The exercise framework itself: the comparison policy (_policy) and run() (_run)."""
from __future__ import annotations

import contextlib
import ctypes
import math
import random
import signal
import sys
import threading
import time
import types
from fractions import Fraction

import numpy as np
import pytest

from grad.engine import Value
from grad.exercises import (Exercise, LearnerFailed, NotYet, array, attr, close, describe,
                            entries, floats, items, number, run, run_counting, to_float, whole)
from grad.exercises._run import Session, budget, preserved
from grad.tensor import Tensor

GUARD = 60.0


class Hung(BaseException):
    pass


@contextlib.contextmanager
def hard_deadline(seconds: float = GUARD):
    """Fail (instead of hanging the suite) if the block runs longer than `seconds`."""
    main, done = threading.main_thread().ident, threading.Event()

    def fire():
        if not done.wait(seconds):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(main), ctypes.py_object(Hung))

    t = threading.Thread(target=fire, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()


def verdict_of(fn, *args, **kwargs) -> str:
    """The message run() gives for a call that fails."""
    with hard_deadline():
        with pytest.raises(NotYet) as e:
            run(fn, *args, **kwargs)
    return e.value.message


class LyingFloat(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __float__(self): return 1.0
    def __hash__(self): return 0


class LyingInt(int):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __index__(self): return 3
    def __int__(self): return 3
    def __hash__(self): return 0


# ---- the policy -------------------------------------------------------------------------
def test_close_never_matches_nan_and_inf_only_matches_itself():
    inf, nan = math.inf, math.nan
    assert close(2.0, 2.0 + 1e-12) and not close(2.0, 2.1)
    assert not close(inf, 5.0) and not close(5.0, inf) and not close(inf, -inf)
    assert close(inf, inf) and not close(nan, nan) and not close(nan, 0.0)
    assert close(np.float32(0.5), 0.5) and close(np.array(0.25), 0.25)
    assert not close(True, 1.0) and not close(Value(2.0), 2.0) and not close("2", 2.0)


def test_numbers_are_read_as_plain_floats():
    for x in (3, 3.0, np.int64(3), np.float32(3.0), np.array(3.0), np.array(3), Fraction(3)):
        got = number(x, "x")
        assert type(got) is float and got == 3.0
    assert number(LyingFloat(7.0), "x") == 7.0          # its own __eq__/__float__ do not count
    assert to_float(LyingInt(8)) == 8.0


@pytest.mark.parametrize("x, says", [
    (None, "x is None, not a number (is a `return` missing?)"),
    (..., "x is ..., not filled in yet"),
    (True, "x is True, a bool (True/False), not a number"),
    ("3.5", "x is the string '3.5', not a number: give the number itself, without quotes"),
    (Value(3.0), "x is a Value with data 3.0: return `.data`, the number, not the Value"),
    ([3.0], "x is a list with one element: return the number itself, not a list"),
    ((3.0,), "x is a tuple with one element: return the number itself, not a tuple"),
    (np.array([3.0]), "x is an array with one element: return the number itself (`.item()`)"),
    (np.zeros(200), "x is an array of shape (200,), not a single number"),
    (1 + 2j, "x is the complex number (1+2j), not a real number"),
    (math.inf, "x is inf: a right answer here is a finite number"),
    (-math.inf, "x is -inf: a right answer here is a finite number"),
    (math.nan, "x is nan: a right answer here is a finite number"),
    ({"a": 1}, "x is a dictionary with keys 'a', not a number"),
])
def test_one_wording_for_each_slip(x, says):
    with pytest.raises(NotYet) as e:
        number(x, "x")
    assert e.value.message.startswith(says), e.value.message


def test_whole_numbers_accept_3_0_but_not_2_9999():
    for x in (3, 3.0, np.int64(3), np.float64(3.0), np.array(3)):
        got = whole(x, "n")
        assert type(got) is int and got == 3
    assert whole(LyingInt(5), "n") == 5
    with pytest.raises(NotYet, match="is 2.9999, not a whole number"):
        whole(2.9999, "n")
    with pytest.raises(NotYet, match="a bool"):
        whole(True, "n")
    with pytest.raises(NotYet, match="use //"):
        whole(16.5, "n", advice="use // to divide")


def test_arrays_are_finite_float_copies():
    a = np.arange(6).reshape(2, 3)
    got = array(a, "out", ndim=2)
    assert got.dtype == float and np.array_equal(got, a) and got is not a
    assert np.array_equal(array([[1, 2], [3, 4]], "out"), [[1.0, 2.0], [3.0, 4.0]])
    assert array([LyingFloat(2.0)], "out")[0] == 2.0    # read by value, not by __float__
    for bad, says in [(None, "is None, not an array"), ("abc", "not an array of numbers"),
                      (np.array([True, False]), "holds True/False"),
                      (Tensor(np.ones(2)), "not the Tensor (its `.data` is the NumPy array)"),
                      (Value(1.0), "not the Value (its `.data` is the number)"),
                      ([[1, 2], [3]], "not a rectangular array"),
                      (np.array([1.0, np.nan]), "contains nan"),
                      (np.ones(3), "it should be a 2-D array")]:
        with pytest.raises(NotYet, match=None) as e:
            array(bad, "out", ndim=2 if bad is not None and says.endswith("2-D array") else None)
        assert says in e.value.message, (bad, e.value.message)


def test_sequences_and_dictionaries():
    assert items([1, 2, 3], "t", 3) == (1, 2, 3) and items((1, 2), "t", 2) == (1, 2)
    with pytest.raises(NotYet, match="holds 2 items; return 3 things"):
        items((1, 2), "t", 3, "p, m, v")
    with pytest.raises(NotYet, match="not a tuple or a list"):
        items({1, 2, 3}, "t", 3)
    assert floats(np.array([1, 2]), "xs") == [1.0, 2.0]
    with pytest.raises(NotYet, match=r"xs\[1\] is a Value with data 2.0: return `.data`"):
        floats([1.0, Value(2.0)], "xs")

    class Sneaky(dict):
        def __getitem__(self, key):
            return 42.0

    assert entries(Sneaky(a=1.0), "d", ["a"]) == {"a": 1.0}
    with pytest.raises(NotYet, match="d has no entry for 'b'"):
        entries({"a": 1}, "d", ["a", "b"])
    with pytest.raises(NotYet, match="should be a dictionary like"):
        entries([1], "d", ["a"])


def test_descriptions_are_short():
    assert describe(np.zeros(200)) == "an array of shape (200,)"
    assert describe(list(range(100))) == "a list of 100 items"
    assert describe(np.float32(0.5)) == "0.5 (a float32)"
    assert describe("x" * 500).endswith("...") and len(describe("x" * 500)) < 60


def test_attr_reads_without_trusting_the_object():
    class Thing:
        def __init__(self):
            self.w = [1]

        @property
        def broken(self):
            raise ZeroDivisionError("no")

    t = Thing()
    assert attr(t, "w", "t") == [1]
    with pytest.raises(NotYet, match="t has no attribute `b`"):
        attr(t, "b", "t")
    with pytest.raises(LearnerFailed, match="ZeroDivisionError"):
        attr(t, "broken", "t")


# ---- run(): failures, prints and inputs ------------------------------------------------
def test_exceptions_are_reported_as_the_learners():
    def divide():
        return 1 / 0

    msg = verdict_of(divide, what="divide()")
    assert msg.startswith("divide() raised ZeroDivisionError: division by zero (line ")
    assert "`return 1 / 0`" in msg

    class Unprintable(Exception):
        def __str__(self):
            raise RuntimeError

    def bad():
        raise Unprintable()

    assert "raised Unprintable: (its message could not be shown)" in verdict_of(bad)
    assert "raised SystemExit" in verdict_of(sys.exit, 3)

    def raises_keyboard_interrupt():     # raised by the code itself: not the learner's key
        raise KeyboardInterrupt

    assert "raised KeyboardInterrupt" in verdict_of(raises_keyboard_interrupt)

    def recurse():
        return recurse()

    assert "RecursionError" in verdict_of(recurse) and "calling itself" in verdict_of(recurse)

    def stub():
        raise NotImplementedError

    assert verdict_of(stub).startswith("your answer is not written yet")
    with pytest.raises(LearnerFailed) as e:
        run(divide)
    assert isinstance(e.value.error, ZeroDivisionError)


def test_an_answer_that_changes_its_inputs_is_told_so():
    def clears(xs):
        xs.clear()
        return 0

    assert verdict_of(clears, [1, 2]) == (
        "clears(<list of 2>) changed its input xs: the list xs went from 2 to 0 items. "
        "Leave the inputs as they are and return a new result")

    def moves(v):
        v.data += 1

    assert "v.data went from 1.0 to 2.0" in verdict_of(moves, Value(1.0))
    run(moves, Value(1.0), changes=(0,))                    # allowed: only numbers change
    run(moves, Value(1.0), changes=("v",))

    def swaps(params):
        params[0] = Value(0.0)

    assert "changed more than the numbers" in verdict_of(swaps, [Value(1.0)], changes=(0,))

    def zeroes(a):
        a[0] = 0.0

    assert "the entries of a changed" in verdict_of(zeroes, np.ones(3))

    class Counter:
        def __init__(self):
            self.n = 0

        def __call__(self):
            self.n += 1

    assert "changed the object itself" in verdict_of(Counter())


def test_prints_are_captured_and_cut_short(capsys):
    def chatty():
        for i in range(100):
            print("line", i)
        print("no newline", end="")
        return 7

    with Session() as s:
        assert run(chatty) == 7
        lines, n = s.printed()
    assert capsys.readouterr().out == ""
    assert n == 101 and len(lines) == 20 and lines[0] == "line 0"


# ---- run(): the time limit --------------------------------------------------------------
def _spin():
    while True:
        pass


def _work():
    x = 0.0
    while True:
        x += math.sin(x)


def _numpy_loop():
    a = np.zeros(100)
    while True:
        a = np.sqrt(a + 1.0)


def _catches_keyboard_interrupt():
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass


def _catches_everything_twice():
    caught = 0
    while True:
        try:
            while True:
                pass
        except BaseException:
            caught += 1
            if caught > 2:
                raise


def _sleeps():
    time.sleep(60)


@pytest.mark.parametrize("fn", [_spin, _work, _numpy_loop, _catches_keyboard_interrupt,
                                _catches_everything_twice, _sleeps])
def test_a_call_that_never_returns_is_stopped(fn):
    msg = verdict_of(fn, limit=0.3, what="it")
    assert msg == "it did not return within 0.3 s (an endless loop?)"


def test_an_interruption_near_the_end_of_a_call_never_escapes():
    with hard_deadline():
        for i in range(100):
            try:
                run(time.sleep, 0.01 + (i % 5) * 0.0005, limit=0.011, check_inputs=False)
            except NotYet:
                pass
        time.sleep(0.2)         # a leaked interruption would surface here


@pytest.fixture
def python_handles_sigint():
    """Python's own SIGINT handler, as in a kernel: a process started in the background
    (a CI job, for instance) inherits SIGINT ignored, and the checks then ignore it too."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_real_interrupt_still_interrupts(python_handles_sigint):
    if not hasattr(signal, "pthread_kill"):
        pytest.skip("needs signal.pthread_kill to send a real SIGINT")
    main, spinning = threading.main_thread().ident, threading.Event()

    def spin():
        spinning.set()
        while True:
            pass

    def interrupt_once_spinning():   # as Kernel -> Interrupt does, however late the start
        spinning.wait(GUARD)
        signal.pthread_kill(main, signal.SIGINT)

    with hard_deadline():
        threading.Thread(target=interrupt_once_spinning, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            run(spin, limit=GUARD + 5)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    threading.Timer(0.1, signal.pthread_kill, (main, signal.SIGINT)).start()
    with hard_deadline(), pytest.raises(KeyboardInterrupt):   # and after the check, as usual
        time.sleep(10)


def test_an_interrupt_while_a_check_starts_leaves_no_handler_behind(monkeypatch,
                                                                     python_handles_sigint):
    def interrupted_start(thread):   # Kernel -> Interrupt just as the watchdog starts
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Thread, "start", interrupted_start)
    with pytest.raises(KeyboardInterrupt):
        with Session(5.0):
            pass
    monkeypatch.undo()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert run(lambda: 6 * 7) == 42      # and the next check works as usual


def test_without_the_main_thread_there_is_no_limit_but_no_crash():
    results = []

    def worker():
        results.append(run(lambda: 6 * 7))
        try:
            run(lambda: 1 / 0, what="f()")
        except LearnerFailed as e:
            results.append(e.message)

    t = threading.Thread(target=worker)
    t.start()
    t.join(GUARD)
    assert results[0] == 42 and results[1].startswith("f() raised ZeroDivisionError")


def test_the_budget_covers_code_outside_run():
    with hard_deadline(), Session(5.0), pytest.raises(NotYet, match="too slow"):
        with budget(0.3, "too slow"):
            _spin()


def test_counting_steps_tells_loops_from_vectorized_code():
    A = np.ones((300, 2))
    _, vectorized = run_counting(lambda A: (A ** 2).sum(axis=1), A)
    _, looped = run_counting(lambda A: [sum(row) for row in A.tolist()], A)
    assert vectorized < 50 and looped >= 300


# ---- check(): blame, state, output ----------------------------------------------------
def test_a_checkers_own_failure_is_reported_as_the_courses(capsys):
    ex = Exercise(title="T", answer_name="f", test=int, hint_text="h", solution_code="f = 1",
                  nudge_text="n")
    problem = ex.verdict("not a number")
    assert problem.startswith("the checker itself failed (ValueError: invalid literal")
    assert problem.endswith("this is a bug in the course, not in your answer; please report it")


def test_a_learners_failure_inside_checker_code_is_the_learners():
    class Weird:
        def __add__(self, other):
            raise ZeroDivisionError("mine")

    def test(answer):
        return answer + 1            # not wrapped in run(): the traceback shows whose it is

    ex = Exercise(title="T", answer_name="f", test=test, hint_text="h", solution_code="f = 1")
    assert ex.verdict(Weird()).startswith("your code raised ZeroDivisionError: mine")


def test_check_leaves_random_and_module_data_alone():
    module = types.ModuleType("fake_exercises")
    module.DATA = [1, 2, 3]
    sys.modules["fake_exercises"] = module
    try:
        random.seed(5)
        np.random.seed(5)
        state, np_state = random.getstate(), np.random.get_state()
        with preserved(module):
            random.seed(1)
            np.random.seed(1)
            module.DATA.clear()
        assert module.DATA == [1, 2, 3]
        assert random.getstate() == state and np.array_equal(np.random.get_state()[1], np_state[1])
    finally:
        del sys.modules["fake_exercises"]


def test_a_cause_is_named_only_when_exactly_one_slip_fits():
    from grad.exercises import with_cause
    assert with_cause("f(2) = 5, but it is 4", ["you added 1"]) == "f(2) = 5, but it is 4: you added 1"
    assert with_cause("f(2) = 5", ["you added 1", "you doubled"]) == "f(2) = 5"
    assert with_cause("f(2) = 5", []) == "f(2) = 5"
    assert with_cause("f(2) = 5", iter(["same", "same"])) == "f(2) = 5: same"  # one message, one cause
