"""Self-checking exercises, one module per notebook (`grad.exercises.derivatives`, ...).

In a notebook:

    from grad.exercises import derivatives as ex
    def slope(f, x, h=1e-6):
        ...                      # your code
    ex.slope.check(slope)        # prints a verdict; never raises
    ex.slope.hint()              # a nudge
    ex.slope.solution()          # the reference answer

Each exercise carries its reference solution as code (what `solution()` prints) and the
typical mistakes it must reject; the tests run every checker against both.
"""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

# A test receives the learner's answer and returns None when it is right, or a short
# sentence saying what is wrong. It may raise: check() turns that into a verdict too.
Test = Callable[[Any], Optional[str]]


def _is_unfinished(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


@dataclass
class Exercise:
    """One exercise: a test for the learner's answer, a hint, and a reference solution."""
    title: str
    answer_name: str               # the name the solution code defines
    test: Test
    hint_text: str
    solution_code: str
    mistakes: list[str] = field(default_factory=list)  # code defining typical wrong answers

    def verdict(self, answer: Any) -> Optional[str]:
        """None when `answer` is right, else what is wrong. Never raises."""
        if _is_unfinished(answer):
            return "there is no answer yet (the cell still returns None or ...)"
        try:
            return self.test(answer)
        except NotImplementedError:
            return "your answer is not written yet (it raises NotImplementedError)"
        except Exception as e:  # a learner's half-written code can fail in any way
            return f"running your answer raised {type(e).__name__}: {e}"

    def check(self, answer: Any = None) -> None:
        """Print whether `answer` is right, and a hint when it is not."""
        problem = self.verdict(answer)
        if problem is None:
            print(f"✅ {self.title}: correct!")
        else:
            print(f"❌ {self.title}: not yet. {problem}")
            print(f"   Hint: {self.hint_text}")

    def hint(self) -> None:
        print(f"Hint for {self.title}: {self.hint_text}")

    def solution(self) -> None:
        print(f"# One solution for {self.title}:")
        print(self.code())

    def code(self) -> str:
        return textwrap.dedent(self.solution_code).strip("\n")

    def reference(self) -> Any:
        """The reference answer: the solution code run in a fresh namespace."""
        return define(self.code(), self.answer_name)


def define(code: str, name: str) -> Any:
    """Run `code` in a fresh namespace and return what it defines as `name`."""
    namespace: dict = {}
    exec(textwrap.dedent(code), namespace)
    return namespace[name]


def close(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    """Are two numbers equal up to rounding? (Answers are checked with this tolerance.)"""
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))
