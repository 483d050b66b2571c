"""Running the learner's code for a checker: a time limit, short prints, clear blame.

Every call of code the learner wrote goes through `run(fn, *args)`. It

- stops the call after a time limit (a watchdog thread interrupts the main thread with
  `_thread.interrupt_main`, which works in a plain Python and in a Jupyter kernel on every
  OS), and interrupts again if the code swallows the first interruption;
- captures what the code prints (the verdict shows the first lines only);
- turns anything the code raises, `SystemExit` included, into `LearnerFailed`, whose
  message is the verdict ("mse(preds, targets) raised ZeroDivisionError: ...");
- compares the arguments before and after the call, so an answer that changes its inputs
  gets a verdict that says so (`NotYet`), unless the checker allows it (`changes=`).

A real interrupt (Kernel -> Interrupt) is told apart from the watchdog's and still
interrupts. In a thread other than the main one there is no time limit, but the rest works.
"""
from __future__ import annotations

import _thread
import contextlib
import copy
import functools
import inspect
import linecache
import os
import random
import signal
import sys
import sysconfig
import threading
import time
import types
from typing import Any, Callable, Iterable, Iterator, Optional

import numpy as np

DEFAULT_LIMIT = 5.0          # seconds per call of the learner's code
RETRY = 0.25                 # seconds between interruptions when the first one is swallowed
TRIES = 8                    # interruptions before the watchdog gives up on a call
SHOWN_LINES = 20             # lines of the learner's own output that the verdict shows


class NotYet(Exception):
    """Raise `NotYet(message)` anywhere in a checker: the message becomes the verdict."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class LearnerFailed(NotYet):
    """The learner's code raised, exited or ran out of time. `.error` is the exception it
    raised (None for a timeout), so a checker can react to a particular one:

        try:
            out = run(stable_softmax, scores)
        except LearnerFailed as e:
            if isinstance(e.error, OverflowError):
                return "exp overflowed: ..."
            raise
    """

    def __init__(self, message: str, error: Optional[BaseException] = None):
        super().__init__(message)
        self.error = error


class _TimeUp(BaseException):
    """Raised in the main thread by our SIGINT handler when a deadline has passed."""

    def __init__(self, deadline: "_Deadline"):
        super().__init__("time limit")
        self.deadline = deadline


class _Deadline:
    __slots__ = ("when", "seconds", "active", "fires", "gave_up", "label")

    def __init__(self, seconds: float, label: str):
        self.seconds = seconds
        self.when = time.monotonic() + seconds
        self.active = True
        self.fires = 0
        self.gave_up = False
        self.label = label


_local = threading.local()


def _interrupt_main() -> None:
    """Deliver SIGINT to the main thread. A real signal (POSIX) also wakes a blocking call
    such as time.sleep; elsewhere _thread.interrupt_main interrupts running Python code."""
    if hasattr(signal, "pthread_kill"):
        try:
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            return
        except (OSError, ValueError):
            pass
    _thread.interrupt_main()


def current_session() -> Optional["Session"]:
    return getattr(_local, "session", None)


class Session:
    """The surroundings of one check: a watchdog, a SIGINT handler and the captured output.

    `with Session(limit=5.0):` around a checker; `run()` opens one by itself when none is open.
    Sessions nest (an inner one reuses the outer one).
    """

    def __init__(self, limit: float = DEFAULT_LIMIT):
        self.limit = limit
        self.stack: list[_Deadline] = []
        self.pending: Optional[_Deadline] = None
        self.user_interrupted = False
        self.depth = 0                       # learner calls in progress (capture at depth 1)
        self.lines: list[str] = []           # the learner's output, first SHOWN_LINES lines
        self.n_lines = 0
        self._partial = ""
        self._outer: Optional[Session] = None
        self._thread: Optional[threading.Thread] = None
        self._stop = threading.Event()
        self._previous: Any = None
        self.watched = False                 # True when a time limit is enforced
        self._stdout = sys.stdout

    # ---- entering and leaving ------------------------------------------------------------
    def __enter__(self) -> "Session":
        self._outer = current_session()
        if self._outer is not None:
            return self._outer
        self._stdout = sys.stdout
        try:
            self._start_watching()
        except BaseException:                # a real interrupt while starting: undo it all
            self.__exit__()
            raise
        _local.session = self
        return self

    def _start_watching(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return                           # signals reach the main thread only: no limit
        previous = signal.getsignal(signal.SIGINT)
        # None: a handler set outside Python; Python's own is the best stand-in
        self._previous = signal.default_int_handler if previous is None else previous
        self.watched = True                  # (first: __exit__ then restores `previous`)
        try:
            signal.signal(signal.SIGINT, self._on_sigint)
        except (ValueError, OSError):        # not the main interpreter: no time limit
            self.watched = False
            return
        self._thread = threading.Thread(target=self._watch, name="exercise-watchdog",
                                        daemon=True)
        self._thread.start()

    def __exit__(self, *exc: Any) -> None:
        if self._outer is not None:
            return
        _local.session = None
        for d in list(self.stack):
            d.active = False
        if not self.watched:
            return
        self._stop.set()
        try:
            if self._thread is not None and self._thread.is_alive():
                self._thread.join()
            # An interruption sent just before the last call returned is still on its way:
            # let it arrive here, where the handler quietly absorbs it.
            give_up = time.monotonic() + 1.0
            while self.pending is not None and time.monotonic() < give_up:
                time.sleep(0.001)
        finally:
            signal.signal(signal.SIGINT, self._previous)

    # ---- the watchdog and the handler ------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            due = None
            for d in reversed(list(self.stack)):          # the innermost expired one
                if d.active and not d.gave_up and d.when <= now:
                    due = d
                    break
            if due is None:
                self._stop.wait(0.01)
                continue
            if due.fires >= TRIES:
                due.gave_up = True
                self._warn(due)
                continue
            due.fires += 1
            due.when = now + RETRY
            self.pending = due
            _interrupt_main()

    def _warn(self, d: _Deadline) -> None:
        try:
            self._stdout.write(
                f"\n⏳ {d.label} has not returned after {d.seconds:g} s and ignores every "
                "interruption (a bare `except:` inside a loop?). Interrupt or restart the "
                "kernel (Kernel → Restart) to stop it.\n")
            self._stdout.flush()
        except Exception:
            pass

    def _on_sigint(self, signum: int, frame: Any) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            if pending.active:
                raise _TimeUp(pending)
            return                                      # late: that call is over
        self.user_interrupted = True                    # a real Kernel -> Interrupt
        previous = self._previous
        if callable(previous):
            previous(signum, frame)
            return
        if previous == signal.SIG_IGN:
            return
        raise KeyboardInterrupt

    # ---- deadlines -------------------------------------------------------------------------
    def push(self, seconds: Optional[float], label: str) -> _Deadline:
        d = _Deadline(self.limit if seconds is None else seconds, label)
        self.stack.append(d)
        return d

    def pop(self, d: _Deadline) -> None:
        d.active = False
        try:
            self.stack.remove(d)
        except ValueError:
            pass

    # ---- the learner's output --------------------------------------------------------------
    def write(self, text: str) -> int:
        text = str(text)
        pieces = (self._partial + text).split("\n")
        self._partial = pieces.pop()
        if len(self._partial) > 2000:                   # a line without end
            pieces.append(self._partial)
            self._partial = ""
        for line in pieces:
            self.n_lines += 1
            if len(self.lines) < SHOWN_LINES:
                self.lines.append(line if len(line) <= 200 else line[:197] + "...")
        return len(text)

    def printed(self) -> tuple[list[str], int]:
        """The first lines the learner's code printed, and how many lines it printed."""
        lines, n = list(self.lines), self.n_lines
        if self._partial:
            n += 1
            if len(lines) < SHOWN_LINES:
                lines.append(self._partial[:200])
        return lines, n


class _Capture:
    """A stand-in for sys.stdout and sys.stderr that hands the text to the session."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, session: Session):
        self._session = session

    def write(self, text: str) -> int:
        return self._session.write(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


# ---- whose code is it? -------------------------------------------------------------------
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARIES = tuple(sorted({os.path.abspath(p) for k in ("stdlib", "platstdlib", "purelib", "platlib")
                           if (p := sysconfig.get_paths().get(k))}))


def is_course_file(filename: str) -> bool:
    """True for the package's own files, the standard library and installed packages."""
    if filename.startswith("<frozen") or filename in ("<__array_function__ internals>",):
        return True
    if filename.startswith("<"):
        return False                                  # <string>, <ipython-input-...>, <stdin>
    path = os.path.abspath(filename)
    return path.startswith(_PACKAGE + os.sep) or path.startswith(_LIBRARIES)


def learner_line(tb: Any) -> str:
    """' (line 3 of your code: `return 1 / 0`)' for the last frame of the learner's, or ''."""
    found = None
    while tb is not None:
        if not is_course_file(tb.tb_frame.f_code.co_filename):
            found = tb
        tb = tb.tb_next
    if found is None:
        return ""
    filename, lineno = found.tb_frame.f_code.co_filename, found.tb_lineno
    source = linecache.getline(filename, lineno).strip()
    if source:
        if len(source) > 70:
            source = source[:67] + "..."
        return f" (line {lineno} of your code: `{source}`)"
    return f" (line {lineno} of your code)"


def has_learner_frame(tb: Any) -> bool:
    while tb is not None:
        if not is_course_file(tb.tb_frame.f_code.co_filename):
            return True
        tb = tb.tb_next
    return False


def safe_text(fn: Callable[[], Any], fallback: str) -> str:
    """str of fn() (a repr, an exception's message...) or `fallback` if that fails or hangs."""
    try:
        text = run(fn, what="showing a value", check_inputs=False, limit=1.0)
        return text if isinstance(text, str) else fallback
    except (NotYet, Exception):
        return fallback


def error_message(what: str, e: BaseException) -> str:
    """What to tell the learner about an exception their code raised."""
    name = type(e).__name__
    where = learner_line(e.__traceback__)
    if isinstance(e, NotImplementedError):
        return f"your answer is not written yet ({what} raises NotImplementedError)"
    if isinstance(e, SystemExit):
        return (f"{what} raised SystemExit{where}: exit() and sys.exit() stop the whole "
                "program; return the result instead")
    text = safe_text(lambda: str(e), "(its message could not be shown)")
    if len(text) > 300:
        text = text[:297] + "..."
    said = f"{name}: {text}" if text else name
    extra = ""
    if isinstance(e, RecursionError):
        extra = " (a function that keeps calling itself without end?)"
    return f"{what} raised {said}{where}{extra}"


def _short(x: Any) -> str:
    if type(x) in (int, float):
        return repr(x)
    if isinstance(x, np.ndarray):
        return f"<array {x.shape}>"
    if type(x) in (list, tuple):
        return f"<{type(x).__name__} of {len(x)}>"
    if type(x) is str and len(x) < 20:
        return repr(x)
    return type(x).__name__


def call_name(fn: Any, args: tuple = ()) -> str:
    """`name(arg, ...)` for messages, without running any of the learner's code."""
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)):
        name = getattr(fn, "__name__", "your function")
    else:
        name = type(fn).__name__
    shown = ", ".join(_short(a) for a in args)
    return f"{name}({shown if len(shown) < 60 else '...'})"


def _arg_names(fn: Any, n: int) -> list[str]:
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"argument {i + 1}" for i in range(n)]


# ---- run ----------------------------------------------------------------------------------
def run(fn: Callable, *args: Any, what: Optional[str] = None, limit: Optional[float] = None,
        changes: Any = (), check_inputs: bool = True, **kwargs: Any) -> Any:
    """Call the learner's `fn(*args, **kwargs)` safely and return its result.

    - `what`: how the verdict names the call ("backward_slope(f, 2.0, 0.25)"); by default
      the function's name and short arguments.
    - `limit`: seconds before the call is stopped (default: the session's, 5 s).
    - `changes`: the positions (or names; "self" for the object of a method) of arguments
      whose numbers the call may change in place (an update step: `changes=(0,)`), or True
      when anything may change; every other argument must be left exactly as it was.
      Containers must keep their length and their items, even under `changes`.
    Raises LearnerFailed (the call raised or ran out of time) or NotYet (it changed its
    inputs); a real interrupt by the learner propagates as KeyboardInterrupt.
    """
    session = current_session()
    if session is None:
        with Session(DEFAULT_LIMIT if limit is None else limit):
            return run(fn, *args, what=what, limit=limit, changes=changes,
                       check_inputs=check_inputs, **kwargs)
    if session.depth > 0:            # called from inside the learner's code: already guarded
        return fn(*args, **kwargs)
    what = what or call_name(fn, args)
    watch_inputs = check_inputs and changes is not True
    if watch_inputs:
        names = _arg_names(fn, len(args)) + list(kwargs)
        values = list(args) + list(kwargs.values())
        owner = _owner(fn)
        if owner is not None:
            names.append("self")
            values.append(owner)
        before = [snapshot(v, n) for v, n in zip(values, names)]
    d = session.push(limit, what)
    saved = sys.stdout, sys.stderr
    capture = _Capture(session)
    session.depth = 1
    user_before = session.user_interrupted
    try:
        try:
            sys.stdout = sys.stderr = capture
            result = fn(*args, **kwargs)
        finally:
            d.active = False
            sys.stdout, sys.stderr = saved
            session.depth = 0
    except _TimeUp as e:
        d.active = False
        if e.deadline is not d:
            raise
        raise LearnerFailed(_timeout(what, d.seconds)) from None
    except KeyboardInterrupt as e:
        if session.user_interrupted and not user_before:
            raise                                           # the learner's own interrupt
        raise LearnerFailed(error_message(what, e), e) from None
    except BaseException as e:                              # SystemExit and every exception
        raise LearnerFailed(error_message(what, e), e) from None
    finally:
        session.pop(d)
    if d.fires:                     # it caught the interruption and returned anyway
        raise LearnerFailed(_timeout(what, d.seconds))
    if watch_inputs:
        allowed = {i for i, n in enumerate(names) if n in changes or i in changes}
        for i, (v, n, old) in enumerate(zip(values, names, before)):
            problem = compare(old, snapshot(v, n), numbers_may_change=i in allowed)
            if not problem:
                continue
            if i in allowed:
                raise NotYet(f"{what} changed more than the numbers: {problem}. Update the "
                             "numbers in place, but keep every list and object as it was")
            whose = "the object itself" if n == "self" else f"its input {n}"
            raise NotYet(f"{what} changed {whose}: {problem}. Leave the inputs as they are "
                         "and return a new result")
    return result


def _owner(fn: Any) -> Any:
    """The object a call may change besides its arguments: a bound method's self, or a
    callable object itself."""
    if isinstance(fn, types.MethodType):
        return fn.__self__
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType, type, functools.partial)):
        return None
    return fn


def _timeout(what: str, seconds: float) -> str:
    return f"{what} did not return within {seconds:g} s (an endless loop?)"


def run_counting(fn: Callable, *args: Any, **kwargs: Any) -> tuple[Any, int]:
    """run(fn, ...) that also counts the Python steps (calls and lines) it takes.

    A vectorized NumPy function takes a few dozen steps whatever the size of its arrays; a
    Python loop over n rows takes at least n. Returns (result, steps).
    """
    steps = [0]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        steps[0] += 1
        return tracer

    def counted(*a: Any, **k: Any) -> Any:
        previous = sys.gettrace()
        sys.settrace(tracer)
        try:
            return fn(*a, **k)
        finally:
            sys.settrace(previous)

    functools.update_wrapper(counted, fn)
    kwargs.setdefault("what", call_name(fn, args))
    result = run(counted, *args, **kwargs)
    return result, steps[0]


# ---- snapshots: did the call change its inputs? ------------------------------------------
_OPAQUE = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type,
           types.ModuleType, types.CodeType)


def _slots(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        s = klass.__dict__.get("__slots__", ())
        names.extend([s] if isinstance(s, str) else s)
    return [n for n in names if n not in ("__dict__", "__weakref__")]


def fields(obj: Any) -> list[tuple[str, Any]]:
    """An object's attributes (instance __dict__ and slots), read without running its code."""
    out = []
    try:
        d = object.__getattribute__(obj, "__dict__")
    except AttributeError:
        d = {}
    if isinstance(d, dict):
        out.extend(sorted(((k, v) for k, v in d.items() if isinstance(k, str)),
                          key=lambda kv: kv[0]))
    for name in _slots(type(obj)):
        descriptor = inspect.getattr_static(type(obj), name, None)
        if isinstance(descriptor, types.MemberDescriptorType):
            try:
                out.append((name, descriptor.__get__(obj, type(obj))))
            except AttributeError:
                pass
    return out


def _number_token(x: Any) -> str:
    if isinstance(x, (np.number, np.bool_)):
        return repr(x.item())
    if isinstance(x, int):
        return repr(int.__index__(x))
    if isinstance(x, float):
        return repr(float.__float__(x))
    return complex.__repr__(x) if isinstance(x, complex) else type(x).__name__


def snapshot(obj: Any, root: str = "x", budget: int = 5000) -> dict[str, tuple]:
    """A description of everything reachable from obj: {path: token}, compared by compare()."""
    tokens: dict[str, tuple] = {}
    seen: dict[int, str] = {}
    keep = []                                   # so that no id is reused during the walk
    todo = [(root, obj)]
    while todo and len(tokens) < budget:
        path, x = todo.pop()
        if x is None or isinstance(x, (str, bytes)):
            tokens[path] = ("const", type(x).__name__, repr(x)[:60])
            continue
        if isinstance(x, (bool, np.bool_)):
            tokens[path] = ("const", "bool", repr(bool(x)))
            continue
        if isinstance(x, (int, float, complex, np.number)):
            tokens[path] = ("num", _number_token(x))
            continue
        if id(x) in seen:
            tokens[path] = ("same as", seen[id(x)])
            continue
        seen[id(x)] = path
        keep.append(x)
        if isinstance(x, np.ndarray):
            tokens[path] = ("array", x.shape, x.dtype.str)
            if x.dtype.kind in "biufc" and x.size <= 100_000:
                tokens[path + " (entries)"] = ("num", x.tobytes())
            continue
        if isinstance(x, (list, tuple)):
            tokens[path] = ("seq", type(x).__name__, len(x))
            todo.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(x))))
            continue
        if isinstance(x, dict):
            keys = list(x.keys())
            tokens[path] = ("map", type(x).__name__, len(keys),
                            tuple(repr(k)[:40] if isinstance(k, (str, int, float, tuple)) else id(k) for k in keys))
            todo.extend((f"{path}[{k!r}]", dict.get(x, k)) for k in reversed(keys))
            continue
        if isinstance(x, (set, frozenset)):
            tokens[path] = ("set", len(x), tuple(sorted(id(v) for v in x)))
            continue
        if isinstance(x, _OPAQUE) or callable(x) and not fields(x):
            tokens[path] = ("object", id(x))
            continue
        tokens[path] = ("object", type(x).__qualname__, id(x))
        todo.extend((f"{path}.{name}", v) for name, v in reversed(fields(x)))
    return tokens


def _show_token(tok: tuple) -> str:
    if tok[0] == "num" and isinstance(tok[1], str):
        return tok[1]
    if tok[0] == "const":
        return tok[2]
    return ""


def compare(before: dict, after: dict, numbers_may_change: bool = False) -> Optional[str]:
    """None if nothing changed, else a short description of the first change."""
    for path, old in before.items():
        new = after.get(path)
        if new == old:
            continue
        if new is None:
            return f"{path} is gone"
        if numbers_may_change and old[0] == new[0] == "num":
            continue
        if old[0] == new[0] == "seq":
            return f"the {old[1]} {path} went from {old[2]} to {new[2]} items"
        if old[0] == new[0] == "map":
            return f"the dictionary {path} went from {old[2]} to {new[2]} entries" if old[2] != new[2] else f"the keys of {path} changed"
        if old[0] == new[0] == "num" and isinstance(old[1], bytes):
            return f"the entries of {path.replace(' (entries)', '')} changed"
        a, b = _show_token(old), _show_token(new)
        if a and b:
            return f"{path} went from {a} to {b}"
        return f"{path} was replaced by another object"
    return None



# ---- the whole check: a time budget, and the learner's state left as it was --------------
@contextlib.contextmanager
def budget(seconds: float, message: str) -> Iterator[None]:
    """A time limit for a whole block (checker code and learner calls); NotYet(message)
    when it passes. It catches learner code that runs outside run(), e.g. in a property."""
    session = current_session()
    if session is None or not session.watched:
        yield
        return
    d = session.push(seconds, "checking your answer")
    try:
        yield
    except _TimeUp as e:
        d.active = False
        if e.deadline is not d:
            raise
        raise NotYet(message) from None
    finally:
        session.pop(d)


def _is_data(v: Any) -> bool:
    return isinstance(v, (list, dict, set, tuple, np.ndarray))


@contextlib.contextmanager
def preserved(module: Optional[types.ModuleType]) -> Iterator[None]:
    """Leave `random`, NumPy's global generator and `module`'s data as they were."""
    py_state, np_state = random.getstate(), np.random.get_state()
    saved = {}
    if module is not None:
        for name, v in list(vars(module).items()):
            if not name.startswith("__") and _is_data(v):
                try:
                    saved[name] = (snapshot(v, name), copy.deepcopy(v))
                except Exception:           # something that cannot be copied: leave it
                    pass
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        for name, (before, kept) in saved.items():
            current = vars(module).get(name)
            if current is None or compare(before, snapshot(current, name)):
                vars(module)[name] = kept
