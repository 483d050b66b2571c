"""One comparison policy for every checker: what counts as a number, an array, a tuple.

The helpers that read an answer (`number`, `whole`, `array`, `floats`, `items`, `entries`,
`attr`) either return a plain Python value that is safe to compare, or raise `NotYet` with
the course's one wording for the slip ("... is a Value (data 3.0): return `.data`, the
number, not the Value"). The answer's own methods are never trusted: numbers are read
with `int.__index__`/`float.__float__` or copied by NumPy, so a subclass with a lying
`__eq__` or `__float__` gains nothing.
"""
from __future__ import annotations

import copy
import math
import numbers
import types
from typing import Any, Optional, Sequence

import numpy as np

from grad.exercises._run import LearnerFailed, NotYet, fields, run, safe_text

_MISSING = object()


def _field(obj: Any, name: str) -> Any:
    """obj.name read from its instance dict or slots, without running its code (or _MISSING)."""
    if isinstance(obj, type):
        return _MISSING
    for key, v in fields(obj):
        if key == name:
            return v
    return _MISSING


def is_number(x: Any) -> bool:
    """A real number: int, float, NumPy numbers, 0-d numeric arrays. Not bool, not complex."""
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (int, float, np.integer, np.floating)):
        return True
    if isinstance(x, np.ndarray):
        return x.ndim == 0 and x.dtype.kind in "iuf"
    return isinstance(x, numbers.Real)


def is_value(x: Any) -> bool:
    """Anything with a `.data` that is a number: grad.Value, the notebooks' own Value classes."""
    return is_number(_field(x, "data"))


def to_float(x: Any) -> Optional[float]:
    """x as a plain float if it is a number (see is_number), else None. Never trusts x's methods."""
    if not is_number(x):
        return None
    if isinstance(x, int):
        try:
            return float(int.__index__(x))
        except OverflowError:
            return math.inf if int.__index__(x) > 0 else -math.inf
    if isinstance(x, float):
        return float.__float__(x)
    if isinstance(x, (np.integer, np.floating, np.ndarray)):
        with np.errstate(over="ignore"):
            return float(np.array(x, dtype=float))
    try:                                           # another Real type, e.g. Fraction
        got = run(float, x, what="converting your number", check_inputs=False)
    except NotYet:
        return None
    return float.__float__(got) if isinstance(got, float) else None


def _to_int(x: Any) -> Optional[int]:
    """x as a plain int if it is a whole number (3, 3.0, np.int64(3)), else None."""
    if isinstance(x, int) and not isinstance(x, bool):
        return int.__index__(x)
    if isinstance(x, (np.integer,)) or isinstance(x, np.ndarray) and x.dtype.kind in "iu":
        return int(np.array(x).item())
    f = to_float(x)
    if f is None or not math.isfinite(f) or f != math.floor(f):
        return None
    return int(f)


# ---- describing an answer -----------------------------------------------------------------
def _float_text(f: float) -> str:
    return repr(f) if math.isfinite(f) or math.isnan(f) else ("inf" if f > 0 else "-inf")


def describe(x: Any) -> str:
    """A short phrase for what x is, for messages ("the string '3'", "an array of shape (200,)")."""
    if x is None:
        return "None"
    if x is Ellipsis:
        return "... (not filled in yet)"
    if isinstance(x, (bool, np.bool_)):
        return f"{bool(x)} (a bool)"
    if isinstance(x, str):
        return f"the string {x[:40]!r}" + ("..." if len(x) > 40 else "")
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return f"a 0-d array holding {x.item()!r}"
        if x.size <= 6 and x.dtype.kind in "biuf":
            return f"the array {np.array2string(np.array(x), separator=', ')}"
        return f"an array of shape {x.shape}"
    if is_number(x):
        f = to_float(x)
        plain = type(x) in (int, float)
        if isinstance(x, int):
            digits = repr(int.__index__(x))
            shown = digits if len(digits) <= 20 else f"a whole number of {len(digits.lstrip('-'))} digits"
        else:
            shown = _float_text(f) if f is not None else "?"
        return shown if plain else f"{shown} (a {type(x).__name__})"
    if isinstance(x, complex):
        return f"the complex number {complex.__repr__(x)}"
    data = _field(x, "data")
    if is_number(data):
        return f"a {type(x).__name__} with data {_float_text(to_float(data))}"
    if isinstance(data, np.ndarray):
        return f"a {type(x).__name__} of shape {data.shape}"
    if isinstance(x, (list, tuple)):
        kind = type(x).__name__
        inner = list.__iter__(x) if isinstance(x, list) else tuple.__iter__(x)
        parts = [describe(v) if (is_number(v) and type(v) in (int, float)) or v is None
                 else None for v in inner]
        if len(parts) <= 6 and None not in parts:
            return f"the {kind} [{', '.join(parts)}]" if kind == "list" else f"the tuple ({', '.join(parts)}{',' if len(parts) == 1 else ''})"
        return f"a {kind} of {len(parts)} items"
    if isinstance(x, dict):
        keys = [repr(k) for k in list(dict.keys(x))[:6]]
        return f"a dictionary with keys {', '.join(keys)}" if keys else "an empty dictionary"
    if isinstance(x, type):
        return f"the class {x.__name__}"
    if isinstance(x, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return f"the function {x.__name__}"
    return f"a {type(x).__name__} object"


def _with(message: str, advice: str) -> str:
    return f"{message} ({advice})" if advice else message


# ---- numbers ------------------------------------------------------------------------------
def _not_a_number(x: Any, what: str) -> str:
    """The course's one wording for an answer that should have been a single number."""
    if x is None:
        return f"{what} is None, not a number (is a `return` missing?)"
    if x is Ellipsis:
        return f"{what} is ..., not filled in yet"
    if isinstance(x, (bool, np.bool_)):
        return f"{what} is {bool(x)}, a bool (True/False), not a number"
    if isinstance(x, str):
        return (f"{what} is {describe(x)}, not a number: give the number itself, "
                "without quotes")
    if is_value(x):
        return (f"{what} is {describe(x)}: return `.data`, the number, not the "
                f"{type(x).__name__}")
    if isinstance(x, np.ndarray):
        if x.size == 1:
            return (f"{what} is an array with one element: return the number itself "
                    "(`.item()`), not an array")
        return f"{what} is {describe(x)}, not a single number"
    if isinstance(x, (list, tuple)):
        kind = type(x).__name__
        if len(x) == 1:
            return f"{what} is a {kind} with one element: return the number itself, not a {kind}"
        return f"{what} is {describe(x)}, not a single number"
    if isinstance(x, complex):
        return f"{what} is {describe(x)}, not a real number"
    return f"{what} is {describe(x)}, not a number"


def number(x: Any, what: str, *, finite: bool = True, advice: str = "") -> float:
    """The answer x as a plain float, or NotYet saying why it is not a number.

    `what` names it in the message ("backward_slope(f, 2.0, 0.25)"). With finite=True (the
    default) inf and NaN are refused: no exercise has an infinite right answer.
    """
    f = to_float(x)
    if f is None:
        raise NotYet(_with(_not_a_number(x, what), "" if x is None or x is Ellipsis else advice))
    if finite and not math.isfinite(f):
        raise NotYet(_with(f"{what} is {_float_text(f)}: a right answer here is a finite "
                           "number", advice))
    return f


def whole(x: Any, what: str, *, advice: str = "") -> int:
    """A whole-number answer (a count, an index, a size) as a plain int: 3, 3.0, np.int64(3)
    are accepted, 2.9999 is not."""
    f = number(x, what, advice=advice)
    n = _to_int(x)
    if n is None:
        raise NotYet(_with(f"{what} is {describe(x)}, not a whole number", advice))
    return n


def close(a: Any, b: Any, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """Are two numbers equal up to rounding? Never for NaN; inf only equals the same inf."""
    x, y = to_float(a), to_float(b)
    if x is None or y is None or math.isnan(x) or math.isnan(y):
        return False
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= max(abs_, rel * max(abs(x), abs(y)))


# ---- arrays and sequences -----------------------------------------------------------------
def array(x: Any, what: str, *, ndim: Optional[int] = None, finite: bool = True,
          advice: str = "") -> np.ndarray:
    """The answer as a new float NumPy array (a copy; lists of numbers are fine), or NotYet."""
    if x is None:
        raise NotYet(_with(f"{what} is None, not an array (is a `return` missing?)", advice))
    if isinstance(x, (str, bytes)) or x is Ellipsis or isinstance(x, (bool, np.bool_)):
        raise NotYet(_with(f"{what} is {describe(x)}, not an array of numbers", advice))
    data = _field(x, "data")
    if data is not _MISSING and (is_number(data) or isinstance(data, np.ndarray)):
        held = "the NumPy array" if isinstance(data, np.ndarray) else "the number"
        raise NotYet(_with(f"{what} is {describe(x)}: return the array of numbers itself, "
                           f"not the {type(x).__name__} (its `.data` is {held})", advice))
    try:
        plain = _plain(x)
        if type(plain) in (np.ndarray, list, float, int, bool):
            raw = np.array(plain)
        else:                                       # its own methods may run: guard them
            raw = run(np.array, plain, what=f"converting {what} to an array", check_inputs=False)
    except LearnerFailed as e:
        raise NotYet(_with(f"{what} could not be turned into an array ({e.message})", advice))
    except (TypeError, ValueError):
        raise NotYet(_with(f"{what} is {describe(x)}, not a rectangular array of numbers",
                           advice))
    if raw.dtype.kind == "b":
        raise NotYet(_with(f"{what} holds True/False, not numbers (`.astype(float)` turns "
                           "them into 1.0 and 0.0)", advice))
    if raw.dtype.kind not in "iuf":
        raise NotYet(_with(f"{what} is {describe(x)}, not an array of numbers", advice))
    with np.errstate(over="ignore"):
        a = np.array(raw, dtype=float)
    if ndim is not None and a.ndim != ndim:
        raise NotYet(_with(f"{what} has {a.ndim} dimension{'s' if a.ndim != 1 else ''} "
                           f"(shape {a.shape}); it should be a {ndim}-D array", advice))
    if finite and not np.isfinite(a).all():
        bad = a[~np.isfinite(a)].flat[0]
        raise NotYet(_with(f"{what} contains {_float_text(float(bad))}: a right answer here "
                           "has only finite numbers", advice))
    return a


def _plain(x: Any) -> Any:
    """x with every number in it (nested lists, tuples, object arrays) read by to_float, so
    that NumPy never asks a number's own __float__."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if is_number(x) and not (isinstance(x, np.ndarray) and x.dtype.kind in "iuf"):
        return to_float(x)
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in _plain_items(x)]
    if isinstance(x, np.ndarray) and x.dtype == object:
        return [_plain(v) for v in x.tolist()]
    return x


def allclose(a: np.ndarray, b: np.ndarray, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Same shape and every entry close; NaN and inf are never close to a finite number."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _plain_items(x: Any) -> Optional[list]:
    if isinstance(x, list):
        return list(list.__iter__(x))
    if isinstance(x, tuple):
        return list(tuple.__iter__(x))
    return None


def items(x: Any, what: str, n: Optional[int] = None, names: str = "",
          advice: str = "") -> tuple:
    """A tuple of the n things the answer should hold (a list where a tuple was asked is
    fine: it unpacks the same). `names` ("dX, dW, db") is shown when the shape is off."""
    got = _plain_items(x)
    wanted = f"{n} things" if n is not None else "several things"
    shown = f" ({names})" if names else ""
    if got is None:
        if x is None:
            raise NotYet(f"{what} is None (is a `return` missing?)"
                         + (f"; return {wanted}{shown}" if n is not None else ""))
        raise NotYet(_with(f"{what} is {describe(x)}, not a tuple or a list{shown}", advice))
    if n is not None and len(got) != n:
        raise NotYet(_with(f"{what} holds {len(got)} item{'s' if len(got) != 1 else ''}; "
                           f"return {wanted}{shown}", advice))
    return tuple(got)


def floats(x: Any, what: str, n: Optional[int] = None, *, finite: bool = True,
           advice: str = "") -> list[float]:
    """A list, tuple or 1-D array of numbers, as a list of plain floats."""
    if isinstance(x, np.ndarray) and x.ndim == 1 and x.dtype.kind in "iuf":
        got = list(np.array(x, dtype=float))
    else:
        got = _plain_items(x)
        if got is None:
            if x is None:
                raise NotYet(f"{what} is None, not a list of numbers (is a `return` missing?)")
            raise NotYet(_with(f"{what} is {describe(x)}, not a list of numbers", advice))
    if n is not None and len(got) != n:
        raise NotYet(_with(f"{what} holds {len(got)} number{'s' if len(got) != 1 else ''}, "
                           f"but there should be {n}", advice))
    return [number(v, f"{what}[{i}]", finite=finite, advice=advice) for i, v in enumerate(got)]


def entries(x: Any, what: str, keys: Sequence[str], advice: str = "") -> dict:
    """The answer's entries for `keys` (a dictionary is expected), read without trusting
    any method a dict subclass may override. Missing keys get NotYet."""
    if not isinstance(x, dict):
        example = ", ".join(f"{k!r}: ..." for k in keys)
        raise NotYet(_with(f"{what} should be a dictionary like {{{example}}}, not "
                           f"{describe(x)}", advice))
    out = {}
    for k in keys:
        if not dict.__contains__(x, k):
            raise NotYet(_with(f"{what} has no entry for {k!r}", advice))
        out[k] = dict.__getitem__(x, k)
    return out


def attr(obj: Any, name: str, what: str) -> Any:
    """obj.name for an object the learner made; NotYet if it has no such attribute."""
    got = _field(obj, name)
    if got is not _MISSING:
        return got
    try:
        return run(getattr, obj, name, what=f"reading {what}.{name}", check_inputs=False)
    except LearnerFailed as e:
        if isinstance(e.error, AttributeError):
            raise NotYet(f"{what} has no attribute `{name}`") from None
        raise


def function(x: Any, name: str) -> None:
    """NotYet unless the answer is a function (the learner passed `name` itself)."""
    if isinstance(x, type) or not callable(x):
        raise NotYet(f"{name} should be a function (define it with `def {name}(...)`), "
                     f"not {describe(x)}")


def a_class(x: Any, name: str) -> None:
    """NotYet unless the answer is a class."""
    if not isinstance(x, type):
        raise NotYet(f"pass the class itself ({name}, without parentheses), not {describe(x)}")


def fresh(x: Any) -> Any:
    """A deep copy of test data, to hand to the learner's code."""
    return copy.deepcopy(x)


def shown(x: Any) -> str:
    """repr(x) for a message, short, without trusting x's __repr__ more than a second."""
    if type(x) in (int, float, str, bool, type(None)):
        text = repr(x)
    elif isinstance(x, np.ndarray) or type(x) in (list, tuple, dict):
        text = describe(x)
    else:
        text = safe_text(lambda: repr(x), describe(x))
    return text if len(text) <= 80 else text[:77] + "..."


def with_cause(said: str, fits: Any) -> str:
    """`said`, followed by the cause of the mistake when exactly one typical slip explains
    the answer on every case; `fits` holds the messages of the slips that do. With none,
    or with several that fit equally well, the verdict names no cause: it never guesses."""
    fits = sorted(set(fits))
    return f"{said}: {fits[0]}" if len(fits) == 1 else said

