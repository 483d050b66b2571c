"""Silly answers every checker must turn down with a short, true verdict that gives no help
away (hangs and exceptions are covered for every exercise by test_exercises_adversarial)."""
import numpy as np

from grad.engine import Value

SILLY = [lambda *a, **k: "3", lambda *a, **k: None, lambda *a, **k: 1e300, lambda *a, **k: -1,
         lambda: 0, lambda a: a, lambda *a, **k: [], print, lambda *a, **k: float("nan"),
         lambda *a, **k: np.full((4, 4), np.nan), lambda *a, **k: np.full((4, 4), np.inf),
         lambda *a, **k: 10 ** 400, lambda *a, **k: [[1, 2], [3]],
         lambda *a, **k: np.zeros((4, 4), dtype=bool), lambda *a, **k: {"a": 1},
         lambda *a, **k: a[0], "a string", 3, Value(2.0), np.zeros(3)]


def assert_silly_answers_turned_down(name: str, ex) -> None:
    for answer in SILLY + [ex]:
        verdict = ex.verdict(answer)
        assert verdict is not None, (name, answer)
        assert "the checker itself failed" not in verdict, verdict
        assert len(verdict) < 400, verdict
        assert ex.hint_text not in verdict and ex.nudge_text not in verdict
