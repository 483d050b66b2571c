"""Every exercise checker accepts its reference answer and rejects its typical mistakes."""
import importlib
import pkgutil

import pytest

import grad.exercises
from grad.exercises import Exercise, define

MODULES = [importlib.import_module(f"grad.exercises.{m.name}")
           for m in pkgutil.iter_modules(grad.exercises.__path__)]
EXERCISES = [(f"{mod.__name__.rsplit('.', 1)[1]}.{name}", ex) for mod in MODULES
             for name, ex in vars(mod).items() if isinstance(ex, Exercise)]
IDS = [name for name, _ in EXERCISES]


def test_each_lesson_has_three_to_five_exercises():
    for mod in MODULES:
        if mod.__name__.endswith("start_here"):
            continue  # the map, with one warm-up exercise
        n = sum(isinstance(v, Exercise) for v in vars(mod).values())
        assert 3 <= n <= 5, f"{mod.__name__} has {n} exercises"


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_accepts_the_reference_solution(name, ex, capsys):
    assert ex.verdict(ex.reference()) is None
    ex.check(ex.reference())
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_rejects_typical_mistakes(name, ex, capsys):
    assert ex.mistakes, f"{name} lists no typical mistake to reject"
    for code in ex.mistakes:
        wrong = define(code, ex.answer_name)
        assert ex.verdict(wrong) is not None, f"{name} accepted a wrong answer:\n{code}"
        ex.check(wrong)
        out = capsys.readouterr().out
        assert "❌" in out and "Hint:" in out


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_tolerates_unfinished_answers(name, ex, capsys):
    for unfinished in (None, ..., lambda *a, **k: None, _stub, 42, "text"):
        ex.check(unfinished)  # must not raise
        assert "❌" in capsys.readouterr().out
    ex.hint()
    ex.solution()
    out = capsys.readouterr().out
    assert ex.code().splitlines()[0] in out
