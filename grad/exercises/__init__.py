"""Self-checking exercises, one module per notebook (`grad.exercises.derivatives`, ...).

In a notebook
-------------
    from grad.exercises import derivatives as ex
    def backward_slope(f, x, h):
        ...                               # your code
    ex.backward_slope.check(backward_slope)   # ✅ or ❌ and what is wrong; never raises
    ex.backward_slope.nudge()             # help, step 1: which idea to think about
    ex.backward_slope.hint()              # step 2: the hint, one step short of the answer
    ex.backward_slope.solution()          # step 3: one reference answer, as code

`check()` prints only the verdict ("✅ title: correct!" or "❌ title: not yet. <what is
wrong>"), then what the learner's code printed (the first 20 lines), then on a ❌ one line
naming the three kinds of help. It never prints a nudge, a hint or a solution: each is its
own call, so a cell's output never depends on how often it ran.

Writing an exercise
-------------------
    slope = Exercise(
        title="The backward difference",      # shown in every verdict
        answer_name="backward_slope",         # the name the solution code defines
        test=_test_slope,                     # answer -> None (right) or a message
        nudge_text="...",                     # points at the idea, gives nothing away
        hint_text="...",                      # a real hint, a step short of the solution
        solution_code='''def backward_slope(f, x, h): ...''',
        mistakes=[Mistake("<code>", says="forward difference"), "<code>", ...],
        adversaries=["<code>", ...],          # extra wrong answers (see below)
        limit=5.0,                            # seconds per call of the learner's code
    )

A test receives the answer and returns None when it is right, or one sentence saying
what is wrong. It may also raise `NotYet(message)` anywhere (the policy helpers do).
Any other exception from the checker's own code is reported as the course's bug ("the
checker itself failed ..."), or as the learner's when the traceback passes through the
learner's code; so checkers must not let the answer's failures look like their own.

Rules for a checker (the tests in tests/test_exercises*.py enforce them on every exercise):

1. Call the learner's code only through `run(fn, *args, what="f(2.0)")`. It enforces the
   time limit, captures prints, turns an exception, `SystemExit` or a timeout into the
   verdict (`LearnerFailed`, a `NotYet`; `.error` is the exception, for checkers that
   react to one kind: `except LearnerFailed as e: if isinstance(e.error, OverflowError)`),
   and refuses an answer that changes its arguments (or, for a method or a callable
   object, the object itself). When changing them is the task (an update step), say which,
   by position: `run(gd_step, params, lr, changes=(0,))` lets the numbers inside
   `params` change, but not the list itself (names work too, but the learner may name
   the parameter differently). `changes=True` turns the comparison off (for methods
   like `opt.step()`). The answer's methods count as its code: `run(operator.sub, a, b,
   what="a - b")`, `run(line, t)`, `run(out._backward)`, `run(out.backward, changes=True)`.
   The limit cannot stop code that never gives control back to Python (one long C call),
   nor a loop that catches every exception (`except:` around the loop body): after a few
   tries the watchdog prints a warning and gives up.
2. Read every answer through the policy (`grad.exercises._policy`, re-exported here).
   Each helper returns a plain value or raises NotYet with the course's one wording:
   - `number(x, what, finite=True, advice="")`: a real number as a plain float. NumPy
     numbers and 0-d arrays count; bools, strings, None, `...`, Values ("return `.data`,
     the number, not the Value"), 1-element lists and arrays, complex numbers, inf and NaN
     do not. Read with `float.__float__`/`int.__index__`, so a lying subclass gains nothing.
   - `whole(x, what)`: a count, an index or a size as an int (3, 3.0, np.int64(3); not 2.9999).
   - `array(x, what, ndim=2)`: a finite float copy (lists of numbers are fine; a Tensor or
     a Value, True/False, ragged lists, inf and NaN are refused).
   - `floats(x, what, n)`: a list, tuple or 1-D array of numbers, as a list of floats.
   - `items(x, what, 3, "dX, dW, db")`: a tuple or list of n things (a list where a tuple
     was asked is fine: it unpacks the same).
   - `entries(d, what, keys)`: a dictionary's values for the keys (missing keys refused).
   - `attr(obj, "w", what)`: an attribute of an object the learner made.
   - `function(x, name)`, `a_class(x, name)`: the answer is a function / a class.
   - `is_number(x)`, `is_value(x)`, `to_float(x)` (None if not a number): tests, no message.
   - `describe(x)` ("an array of shape (200,)", "the string '3'") and `shown(x)` (a short,
     safe repr) for messages: never put a raw `{x!r}` of an answer in a message.
   Compare with `close(a, b, rel=1e-6, abs_=1e-9)` and `allclose(a, b, rtol, atol)`: never
   true for NaN, and inf is only close to the same inf.
   `run_counting(fn, *args)` returns (result, Python steps taken): a loop over n rows
   takes at least n steps, a vectorized NumPy answer a few dozen.
3. Never trust the answer with the checker's state: hand it `fresh(data)` (a deep copy),
   and read what you compare from your own references or copies taken before the call
   (keep `mine = list(params)` before `run(gd_step, params, ...)`). `check()` also puts
   back `random`, NumPy's global generator and the module's data afterwards.
4. Each message states a fact about the answer; where it names a cause, a `Mistake` with
   `says=` proves that this cause produces it (tests/test_exercises.py checks that the
   verdict contains `says`). A message says what is wrong, not the code that fixes it:
   the tests fail when check() prints a line of the solution, the hint or the nudge.

`ex.verdict(answer, limit=None)` returns the message (None when right) without printing;
`ex.check(answer, limit=None)` prints it. `limit` overrides the exercise's seconds per
call (the tests use 0.25 s for answers that never return). The whole check also has a
budget of max(30 s, 10 × limit), for learner code that runs outside run().

Tests run for every exercise automatically: the reference is accepted; the stub and,
built from the reference, answers returning inf, -inf or NaN (as values, in arrays,
tuples, dictionaries and Values), lying int/float subclasses, Values or 1-element lists
where a number is asked, answers that wreck their inputs, never return, raise
`SystemExit` or an exception whose `str()` fails, are all rejected without a hint or
solution being printed, and `random`/NumPy's state are unchanged. Where those automatic
answers do not fit (an answer that is an optimizer object, a list of names), list extra
wrong answers as code in `adversaries`: each must be rejected, and must not make the
checker fail.
"""
from __future__ import annotations

import os
import sys
import textwrap
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Union

from grad.exercises._policy import (a_class, allclose, array, attr, close, describe, entries,
                                    floats, fresh, function, is_number, is_value, items,
                                    number, shown, to_float, whole, with_cause)
from grad.exercises._run import (DEFAULT_LIMIT, LearnerFailed, NotYet, Session, budget,
                                 error_message, has_learner_frame, is_course_file, preserved,
                                 run, run_counting)

__all__ = ["Exercise", "Mistake", "define", "run", "run_counting", "NotYet", "LearnerFailed",
           "number", "whole", "array", "floats", "items", "entries", "attr", "close",
           "allclose", "is_number", "is_value", "to_float", "describe", "shown", "fresh",
           "function", "a_class", "with_cause"]

# A test receives the learner's answer and returns None when it is right, or a short
# sentence saying what is wrong (or raises NotYet with that sentence).
Test = Callable[[Any], Optional[str]]

NO_ANSWER = "there is no answer yet (the cell still returns None or ...)"


def _is_unfinished(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


@dataclass
class Mistake:
    """A typical wrong answer (code defining it) and, optionally, words its verdict must contain."""
    code: str
    says: str = ""


@dataclass
class Exercise:
    """One exercise: a test for the learner's answer, three steps of help, a reference."""
    title: str
    answer_name: str               # the name the solution code defines
    test: Test
    hint_text: str
    solution_code: str
    mistakes: list = field(default_factory=list)     # code strings or Mistake objects
    nudge_text: str = ""
    adversaries: list = field(default_factory=list)  # extra wrong answers, as code
    limit: float = DEFAULT_LIMIT   # seconds per call of the learner's code

    # ---- the verdict ----------------------------------------------------------------------
    def verdict(self, answer: Any, *, limit: Optional[float] = None) -> Optional[str]:
        """None when `answer` is right, else what is wrong. Never raises, never hangs
        (except that a real Kernel -> Interrupt still interrupts)."""
        return self._evaluate(answer, limit)[0]

    def check(self, answer: Any = None, *, limit: Optional[float] = None) -> None:
        """Print whether `answer` is right and, if not, what is wrong (never the answer)."""
        problem, lines, n = self._evaluate(answer, limit)
        if problem is None:
            print(f"✅ {self.title}: correct!")
        else:
            print(f"❌ {self.title}: not yet. {problem}")
        if n:
            more = f", the first {len(lines)}" if n > len(lines) else ""
            print(f"   Your code printed {n} line{'s' if n != 1 else ''}{more}:")
            for line in lines:
                print(f"   │ {line}")
        if problem is not None:
            me = f"ex.{self.name}" if self.name else "this exercise's"
            print(f"   Stuck? {me}.nudge(), then .hint(), then .solution()")

    def _evaluate(self, answer: Any, limit: Optional[float]) -> tuple:
        if _is_unfinished(answer):
            return NO_ANSWER, [], 0
        seconds = self.limit if limit is None else limit
        module = sys.modules.get(getattr(self.test, "__module__", ""))
        with preserved(module), Session(seconds) as s:
            problem = self._judge(answer, seconds, s)
            lines, n = s.printed()
        return problem, lines, n

    def _judge(self, answer: Any, seconds: float, session: Session) -> Optional[str]:
        total = max(30.0, 10 * seconds)
        try:
            with budget(total, f"checking your answer took more than {total:g} s: is your "
                               "code very slow, or does it loop without end?"):
                problem = self.test(answer)
            if problem is not None and not isinstance(problem, str):
                return _checker_failed(TypeError(f"the test returned {type(problem).__name__}"))
            return problem
        except NotYet as e:
            return e.message
        except KeyboardInterrupt as e:
            if session.user_interrupted:
                raise
            return error_message("your code", e)
        except (Exception, SystemExit) as e:
            if has_learner_frame(e.__traceback__):
                return error_message("your code", e)
            return _checker_failed(e)

    # ---- help, in three steps ---------------------------------------------------------------
    def nudge(self) -> None:
        """Step 1: which idea to think about (gives nothing away)."""
        print(f"Nudge for {self.title}: {self.nudge_text}")

    def hint(self) -> None:
        """Step 2: the hint, a step short of the solution."""
        print(f"Hint for {self.title}: {self.hint_text}")

    def solution(self) -> None:
        """Step 3: one reference answer."""
        print(f"# One solution for {self.title}:")
        print(self.code())

    # ---- for the tests and the notebooks ----------------------------------------------------
    @property
    def name(self) -> str:
        """The exercise's name in its module (`ex.<name>`), or '' if it has none."""
        module = sys.modules.get(getattr(self.test, "__module__", ""))
        for key, value in vars(module).items() if module else ():
            if value is self:
                return key
        return ""

    def code(self) -> str:
        return textwrap.dedent(self.solution_code).strip("\n")

    def reference(self) -> Any:
        """The reference answer: the solution code run in a fresh namespace."""
        return define(self.code(), self.answer_name)

    def mistake_cases(self) -> list:
        """The typical mistakes as Mistake objects."""
        return [m if isinstance(m, Mistake) else Mistake(m) for m in self.mistakes]


def _checker_failed(e: BaseException) -> str:
    where = ""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for frame in reversed(traceback.extract_tb(e.__traceback__)):
        if os.path.abspath(frame.filename).startswith(package + os.sep):
            where = f", {os.path.relpath(frame.filename, os.path.dirname(package))} line {frame.lineno}"
            break
    try:
        text = str(e)
    except Exception:
        text = "?"
    return (f"the checker itself failed ({type(e).__name__}: {text[:200]}{where}): this is a "
            "bug in the course, not in your answer; please report it")


def define(code: str, name: str) -> Any:
    """Run `code` in a fresh namespace and return what it defines as `name`."""
    namespace: dict = {}
    exec(textwrap.dedent(code), namespace)
    return namespace[name]
