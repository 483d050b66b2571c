"""Every checker against wrong answers built automatically from its reference answer.

For each exercise the reference's results are twisted (inf, -inf or NaN put in; a lying
int/float subclass; a Value, a 1-element list or array, or a string where a number was
asked), its inputs are wrecked after it ran, or it never returns, exits or raises an
exception that cannot be printed. Every such answer must get a ❌ (with the course's
wording where the slip has one), without the checker failing, hanging or printing any
help, and with `random`, NumPy's generator and the module's data left as they were.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib
import math
import pkgutil
import random
import sys
import textwrap
import threading
import types

import numpy as np
import pytest

import grad.exercises
from grad.engine import Value
from grad.exercises import Exercise, define
from grad.exercises._run import snapshot, compare

MODULES = [importlib.import_module(f"grad.exercises.{m.name}")
           for m in pkgutil.iter_modules(grad.exercises.__path__) if not m.name.startswith("_")]
EXERCISES = [(f"{mod.__name__.rsplit('.', 1)[1]}.{name}", ex) for mod in MODULES
             for name, ex in vars(mod).items() if isinstance(ex, Exercise)]
IDS = [name for name, _ in EXERCISES]
SHORT = 0.25          # the time limit for answers that never return
GUARD = 60.0          # a hang of check() itself fails the test after this long


# ---- running a check under guard ----------------------------------------------------------
class Hung(BaseException):
    """Raised in the main thread when check() itself has not returned in GUARD seconds."""


@contextlib.contextmanager
def hard_deadline(seconds: float):
    main = threading.main_thread().ident
    done = threading.Event()

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


def _module_of(ex):
    return sys.modules[ex.test.__module__]


def _module_data(module) -> dict:
    return {k: snapshot(v, k) for k, v in vars(module).items()
            if not k.startswith("__") and isinstance(v, (list, dict, set, tuple, np.ndarray))}


def _solution_lines(ex) -> list[str]:
    """Lines of the reference code long enough that a message quoting them gives it away."""
    out = []
    for line in ex.code().splitlines():
        code = line.split("#")[0].strip()
        if code.startswith("return "):
            code = code[len("return "):]
        if len(code) >= 14 and not code.startswith(("def ", "class ", "import ", "from ")):
            out.append(code)
    return out


def checked(ex, answer, capsys, limit=None) -> str:
    """Run ex.check(answer) under a hard deadline; assert what holds for every answer; return
    the verdict line (and what follows)."""
    module = _module_of(ex)
    py_state, np_state = random.getstate(), np.random.get_state()
    data_before = _module_data(module)
    capsys.readouterr()
    with hard_deadline(GUARD):
        ex.check(answer, limit=limit)
    out = capsys.readouterr().out
    assert random.getstate() == py_state, f"{ex.title}: check() changed random's state"
    np_after = np.random.get_state()
    assert np_after[0] == np_state[0] and np.array_equal(np_after[1], np_state[1]) \
        and np_after[2:] == np_state[2:], f"{ex.title}: check() changed NumPy's global state"
    data_after = _module_data(module)
    for k, tokens in data_before.items():
        assert k in data_after and compare(tokens, data_after[k]) is None, \
            f"{ex.title}: the module's {k} changed"
    assert out.startswith(("✅", "❌")), out
    assert "the checker itself failed" not in out, out
    assert ex.hint_text not in out and (not ex.nudge_text or ex.nudge_text not in out), out
    for line in _solution_lines(ex):
        assert line not in out, f"check() printed a line of the solution, {line!r}:\n{out}"
    return out


def rejected(ex, answer, capsys, says: str = "", limit=None) -> str:
    out = checked(ex, answer, capsys, limit=limit)
    assert out.startswith("❌"), f"{ex.title} accepted a wrong answer:\n{out}"
    first = out.splitlines()[0]
    assert says in first, f"{ex.title}: the verdict should say {says!r}:\n{first}"
    return first


# ---- building answers from the reference ---------------------------------------------------
def _namespace(ex) -> dict:
    ns: dict = {}
    exec(textwrap.dedent(ex.code()), ns)
    return ns


def kind(ex) -> str:
    ref = ex.reference()
    if isinstance(ref, type):
        return "class"
    return "function" if callable(ref) else "data"


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _has_numeric_data(x) -> bool:
    if isinstance(x, (type, types.FunctionType)):
        return False
    try:
        return _is_number(object.__getattribute__(x, "data"))
    except AttributeError:
        return False


SKIP = object()


class Twist:
    """Replace numbers in an answer's results: leaf(x, where) gives the replacement (or SKIP),
    where is 'number', 'array' or 'value'; pick='all' or 'last' (only the last number of each
    result). Functions among the results are twisted the same way when called."""

    def __init__(self, leaf, pick="all"):
        self.leaf, self.pick, self.hits = leaf, pick, 0
        self.plain_hits = 0          # Python numbers replaced (NumPy scalars mean an array was asked)

    def __call__(self, obj):
        if self.pick == "all":
            return self._walk(obj, None, [0])
        n = [0]
        self._walk(obj, "count", n)                # count the leaves it applies to
        return self._walk(obj, n[0] - 1, [0])     # -1: no number, but functions twisted

    def _leaf(self, x, where, target, i):
        """(replaced?, replacement) for one candidate leaf; numbers the applicable ones."""
        new = self.leaf(x, where)
        if new is SKIP:
            return False, x
        index = i[0]
        i[0] += 1
        if target == "count" or (target is not None and index != target):
            return False, x
        self.hits += 1
        self.plain_hits += type(x) in (int, float)
        return True, new

    def _walk(self, obj, target, i):
        if _is_number(obj):
            return self._leaf(obj, "number", target, i)[1]
        if isinstance(obj, np.ndarray) and obj.dtype.kind in "iuf" and obj.size:
            return self._leaf(obj, "array", target, i)[1]
        if type(obj) in (list, tuple):
            items = [self._walk(v, target, i) for v in obj]
            return items if type(obj) is list else tuple(items)
        if type(obj) is dict:
            return {k: self._walk(v, target, i) for k, v in obj.items()}
        if _has_numeric_data(obj):
            replaced, new = self._leaf(obj.data, "value", target, i)
            if replaced:
                obj.data = new
            return obj
        if isinstance(obj, types.FunctionType) and target != "count":
            return self.function(obj)
        return obj

    def function(self, fn):
        @functools.wraps(fn)
        def twisted(*args, **kwargs):
            return self(fn(*args, **kwargs))
        return twisted


def _subclass(ex, wrap_method, include_init=False):
    """The reference class with every method passed through wrap_method (the solution's own
    name for the class then means the subclass too, so its methods build subclass objects)."""
    ns = _namespace(ex)
    cls = ns[ex.answer_name]
    members = {}
    for name, member in vars(cls).items():
        if isinstance(member, types.FunctionType) and (include_init or name != "__init__"):
            members[name] = wrap_method(member)
    sub = type(cls.__name__, (cls,), members)
    ns[ex.answer_name] = sub
    return sub


def twisted_answer(ex, twist: Twist):
    """The reference with its results twisted, or None if it has no results to twist."""
    k = kind(ex)
    if k == "data":
        return twist(ex.reference())
    if k == "function":
        return twist.function(ex.reference())
    return _subclass(ex, lambda m: (lambda *a, **kw: twist(m(*a, **kw))))


def wrecking(ex, mode: str):
    """The reference, followed by wrecking its inputs ('wreck': NaN in every number and every
    list emptied; 'tidy': only the lists emptied), or 'only' wrecking without computing."""
    k = kind(ex)
    if k == "data":
        return None, None
    counter = [0]

    def after(args, kwargs):
        memo: set = set()
        for a in list(args) + list(kwargs.values()):
            counter[0] += vandalize(a, nan=mode == "wreck", memo=memo)

    def wrap(fn):
        @functools.wraps(fn)
        def wrecked(*a, **kw):
            result = None if mode == "only" else fn(*a, **kw)
            after(a, kw)
            return result
        return wrecked

    if k == "function":
        return wrap(ex.reference()), counter
    return _subclass(ex, wrap), counter


def vandalize(x, nan: bool, memo: set) -> int:
    """Wreck x in place; return how many things were wrecked."""
    if id(x) in memo or isinstance(x, (type, types.FunctionType, types.ModuleType,
                                       types.BuiltinFunctionType, types.MethodType, str)):
        return 0
    memo.add(id(x))
    n = 0
    if isinstance(x, list):
        for v in x:
            n += vandalize(v, nan, memo)
        if x:
            x.clear()
            n += 1
    elif isinstance(x, dict):
        for v in list(x.values()):
            n += vandalize(v, nan, memo)
        if x:
            x.clear()
            n += 1
    elif isinstance(x, tuple):
        for v in x:
            n += vandalize(v, nan, memo)
    elif isinstance(x, set):
        if x:
            x.clear()
            n += 1
    elif isinstance(x, np.ndarray):
        if nan and x.flags.writeable and x.size:
            x[...] = np.nan if x.dtype.kind == "f" else 0
            n += 1
    elif _has_numeric_data(x):
        if nan:
            x.data = math.nan
            x.grad = math.nan
            n += 1
        n += vandalize(getattr(x, "_prev", ()), nan, memo)
    elif hasattr(x, "__dict__"):
        for v in list(vars(x).values()):
            n += vandalize(v, nan, memo)
    return n


class LiarFloat(float):
    """A wrong number that claims, in every way it can, to be `claim`."""
    claim = 0.0

    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __le__(self, other): return True
    def __ge__(self, other): return True
    def __hash__(self): return hash(self.claim)
    def __float__(self): return float(self.claim)
    def __int__(self): return int(self.claim)
    def __repr__(self): return repr(self.claim)
    def __str__(self): return str(self.claim)
    def __format__(self, spec): return format(self.claim, spec)
    def __abs__(self): return abs(self.claim)
    def __neg__(self): return -self.claim
    def __round__(self, *a): return round(self.claim, *a)
    def __add__(self, o): return self.claim + o
    def __radd__(self, o): return o + self.claim
    def __sub__(self, o): return self.claim - o
    def __rsub__(self, o): return o - self.claim
    def __mul__(self, o): return self.claim * o
    def __rmul__(self, o): return o * self.claim
    def __truediv__(self, o): return self.claim / o
    def __rtruediv__(self, o): return o / self.claim


class LiarInt(int):
    claim = 0

    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return False
    def __gt__(self, other): return False
    def __le__(self, other): return True
    def __ge__(self, other): return True
    def __hash__(self): return hash(self.claim)
    def __index__(self): return self.claim
    def __int__(self): return self.claim
    def __float__(self): return float(self.claim)
    def __repr__(self): return repr(self.claim)
    def __str__(self): return str(self.claim)
    def __format__(self, spec): return format(self.claim, spec)
    def __add__(self, o): return self.claim + o
    def __radd__(self, o): return o + self.claim
    def __sub__(self, o): return self.claim - o
    def __rsub__(self, o): return o - self.claim


def liar(x):
    if isinstance(x, (int, np.integer)):
        v = LiarInt(int(x) + 1)
        v.claim = int(x)
    else:
        v = LiarFloat(float(x) + 1.0 + abs(float(x)))
        v.claim = float(x)
    return v


def _poison(bad):
    def leaf(x, where):
        if where == "array":
            y = np.array(x, dtype=float)
            y.flat[-1] = bad
            return y
        return bad
    return leaf


LEAVES = {
    "inf": (_poison(math.inf), ""),
    "-inf": (_poison(-math.inf), ""),
    "nan": (_poison(math.nan), ""),
    "liar": (lambda x, where: SKIP if where == "array" else liar(x), ""),
    "Value": (lambda x, where: Value(float(x)) if where == "number" else SKIP, ".data"),
    "list": (lambda x, where: [x] if where == "number" else SKIP, "one element"),
    "array": (lambda x, where: np.array([x]) if where == "number" else SKIP, "one element"),
    "string": (lambda x, where: str(x) if where == "number" else SKIP, "string"),
}
CASES = [(name, ex, leaf, pick) for name, ex in EXERCISES for leaf in LEAVES
         for pick in (("all", "last") if leaf in ("inf", "-inf", "nan", "liar") else ("all",))]


@pytest.mark.parametrize("name, ex, leaf, pick", CASES,
                         ids=[f"{n}-{leaf}-{pick}" for n, _, leaf, pick in CASES])
def test_twisted_results_are_rejected(name, ex, leaf, pick, capsys):
    fn, says = LEAVES[leaf]
    twist = Twist(fn, pick)
    answer = twisted_answer(ex, twist)
    out = checked(ex, answer, capsys)
    if twist.hits == 0:
        assert out.startswith("✅"), f"{name}: nothing was twisted, yet:\n{out}"
        return                          # no number of that kind in the results: nothing to test
    assert out.startswith("❌"), f"{name} accepted its reference with {leaf} ({pick}):\n{out}"
    if twist.plain_hits:
        assert says in out.splitlines()[0], f"{name}: the verdict should say {says!r}:\n{out}"


# Answers that are data (a number, a dictionary) have no inputs and run no code.
CODE = [(name, ex) for name, ex in EXERCISES if kind(ex) != "data"]
WRECKS = [(name, ex, mode) for name, ex in CODE for mode in ("wreck", "tidy", "only")]


@pytest.mark.parametrize("name, ex, mode", WRECKS, ids=[f"{n}-{m}" for n, _, m in WRECKS])
def test_answers_that_wreck_their_inputs_are_rejected(name, ex, mode, capsys):
    answer, counter = wrecking(ex, mode)
    out = checked(ex, answer, capsys)
    if counter[0] == 0 and mode != "only":
        assert out.startswith("✅"), out            # nothing to wreck: still the reference
        return
    assert out.startswith("❌"), f"{name} accepted an answer that wrecks its inputs ({mode}):\n{out}"


def _failing(ex, body):
    """An answer of the exercise's kind whose every call runs body()."""
    k = kind(ex)
    if k == "function":
        ref = ex.reference()

        @functools.wraps(ref)
        def answer(*a, **kw):
            return body()
        return answer
    if k == "class":
        return _subclass(ex, lambda m: functools.wraps(m)(lambda *a, **kw: body()),
                         include_init=True)
    return None


def _spin():
    while True:
        pass


def _swallow():
    while True:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            pass


def _exit():
    sys.exit("bye")


class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")

    def __repr__(self):
        raise RuntimeError("no")


def _unprintable():
    raise Unprintable()


FAILURES = {
    "never returns": (_spin, "did not return within"),
    "catches KeyboardInterrupt": (_swallow, "did not return within"),
    "SystemExit": (_exit, "SystemExit"),
    "unprintable exception": (_unprintable, "Unprintable"),
}
FAILS = [(name, ex, f) for name, ex in CODE for f in FAILURES]


@pytest.mark.parametrize("name, ex, failure", FAILS, ids=[f"{n}-{f}" for n, _, f in FAILS])
def test_answers_that_hang_or_fail_are_rejected(name, ex, failure, capsys):
    body, says = FAILURES[failure]
    answer = _failing(ex, body)
    rejected(ex, answer, capsys, says=says, limit=SHORT)


@pytest.mark.parametrize("name, ex", CODE, ids=[n for n, _ in CODE])
def test_answers_that_play_with_random_leave_it_alone(name, ex, capsys):
    ref_ns = _namespace(ex)
    ref = ref_ns[ex.answer_name]

    def reseed():
        random.seed(123)
        np.random.seed(123)
        random.random()
        np.random.rand()

    if kind(ex) == "function":
        @functools.wraps(ref)
        def answer(*a, **kw):
            result = ref(*a, **kw)
            reseed()
            return result
    else:
        answer = _subclass(ex, lambda m: functools.wraps(m)(
            lambda *a, **kw: (m(*a, **kw), reseed())[0]), include_init=True)
    out = checked(ex, answer, capsys)
    assert out.startswith("✅"), out


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_declared_adversaries_are_rejected(name, ex, capsys):
    for code in ex.adversaries:
        rejected(ex, define(code, ex.answer_name), capsys, limit=SHORT)


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_some_wrong_result_reaches_every_checker(name, ex, capsys):
    """Each exercise meets at least one automatic wrong result, or declares its own."""
    hits = 0
    for leaf in ("inf", "nan", "liar"):
        twist = Twist(LEAVES[leaf][0])
        capsys.readouterr()
        ex.verdict(twisted_answer(ex, twist))
        hits += twist.hits
    wrecked = 0
    answer, counter = wrecking(ex, "wreck")
    if answer is not None:
        ex.verdict(answer)
        wrecked = counter[0]
    assert hits or wrecked or ex.adversaries, (
        f"{name}: no automatic wrong answer applies; list some in `adversaries`")
