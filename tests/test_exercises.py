"""Every exercise checker accepts its reference answer, rejects its typical mistakes, and
offers its help in three steps (nudge, hint, solution) that check() never prints."""
import importlib
import pkgutil
import threading

import pytest

import grad.exercises
from grad.exercises import Exercise, define

MODULES = [importlib.import_module(f"grad.exercises.{m.name}")
           for m in pkgutil.iter_modules(grad.exercises.__path__) if not m.name.startswith("_")]
EXERCISES = [(f"{mod.__name__.rsplit('.', 1)[1]}.{name}", ex) for mod in MODULES
             for name, ex in vars(mod).items() if isinstance(ex, Exercise)]
IDS = [name for name, _ in EXERCISES]


def test_each_notebook_has_its_own_exercise_module():
    """One module per notebook, each imported by exactly one notebook (`from grad.exercises
    import NAME`), and every module has its notebook."""
    import json
    import pathlib
    import re
    imported = {}
    for path in sorted(pathlib.Path(__file__).parents[1].glob("notebooks/[0-9][0-9]_*.ipynb")):
        source = "\n".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"])
        names = set(re.findall(r"from grad\.exercises import (\w+)", source))
        assert len(names) == 1, f"{path.name} imports {sorted(names) or 'no exercise module'}"
        imported[path.name] = names.pop()
    assert len(set(imported.values())) == len(imported), imported
    assert sorted(imported.values()) == sorted(m.__name__.rsplit(".", 1)[1] for m in MODULES)
    assert len(EXERCISES) >= 3 * len(MODULES)


# warm-ups of the sections that teach what the lessons need (01's Python, 07's NumPy)
PRIMERS = {"derivatives": {"one_input"}, "training": {"column_means", "predict_all", "line_losses"}}


def test_each_lesson_has_three_to_five_exercises():
    for mod in MODULES:
        short = mod.__name__.rsplit(".", 1)[1]
        if short == "start_here":
            continue  # the map, with one warm-up exercise
        names = {k for k, v in vars(mod).items() if isinstance(v, Exercise)}
        assert PRIMERS.get(short, set()) <= names, (short, PRIMERS[short] - names)
        n = len(names - PRIMERS.get(short, set()))
        assert 3 <= n <= 5, f"{mod.__name__} has {n} lesson exercises"


def _help_texts(ex):
    return [ex.hint_text, ex.nudge_text] + [line.strip() for line in ex.code().splitlines()
                                            if len(line.strip()) >= 14
                                            and not line.strip().startswith(("def ", "import ", "from "))]


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_accepts_the_reference_solution(name, ex, capsys):
    assert ex.verdict(ex.reference()) is None
    ex.check(ex.reference())
    out = capsys.readouterr().out
    assert out == f"✅ {ex.title}: correct!\n"


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_rejects_typical_mistakes(name, ex, capsys):
    assert ex.mistakes, f"{name} lists no typical mistake to reject"
    for mistake in ex.mistake_cases():
        wrong = define(mistake.code, ex.answer_name)
        problem = ex.verdict(wrong)
        assert problem is not None, f"{name} accepted a wrong answer:\n{mistake.code}"
        assert "the checker itself failed" not in problem, problem
        assert mistake.says in problem, f"{name}: expected {mistake.says!r} in {problem!r}"
        ex.check(wrong)
        out = capsys.readouterr().out
        assert out.startswith(f"❌ {ex.title}: not yet. {problem}")
        assert f"Stuck? ex.{ex.name}.nudge(), then .hint(), then .solution()" in out
        for text in _help_texts(ex):
            assert text not in out, f"check() printed help it was not asked for: {text!r}"


def _stub(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_checker_tolerates_unfinished_answers(name, ex, capsys):
    for unfinished in (None, ..., lambda *a, **k: None, _stub, 42, "text", [], {}):
        ex.check(unfinished)  # must not raise
        out = capsys.readouterr().out
        assert out.startswith("❌"), out
        assert "the checker itself failed" not in out, out
        for text in _help_texts(ex):
            assert text not in out, f"check() printed help it was not asked for: {text!r}"


def test_the_stub_gets_the_same_verdict_every_time(capsys):
    from grad.exercises import start_here as ex
    ex.square.check(...)
    first = capsys.readouterr().out
    ex.square.check(...)
    assert capsys.readouterr().out == first == (
        "❌ Warm-up: square: not yet. there is no answer yet (the cell still returns None or ...)\n"
        "   Stuck? ex.square.nudge(), then .hint(), then .solution()\n")


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_help_comes_in_three_steps(name, ex, capsys):
    assert ex.nudge_text and ex.nudge_text != ex.hint_text, f"{name} has no nudge of its own"
    ex.nudge()
    assert capsys.readouterr().out == f"Nudge for {ex.title}: {ex.nudge_text}\n"
    ex.hint()
    assert capsys.readouterr().out == f"Hint for {ex.title}: {ex.hint_text}\n"
    ex.solution()
    out = capsys.readouterr().out
    assert out.startswith(f"# One solution for {ex.title}:\n") and ex.code() in out
    # the nudge gives nothing away: no line of the solution in it
    for line in ex.code().splitlines():
        code = line.split("#")[0].strip()
        if len(code) >= 10 and not code.startswith(("def ", "import ", "from ", "return")):
            assert code not in ex.nudge_text and code not in ex.hint_text, (name, code)


@pytest.mark.parametrize("name, ex", EXERCISES, ids=IDS)
def test_the_exercise_knows_its_name(name, ex):
    assert name.endswith("." + ex.name)


def test_the_learners_prints_are_shown_short(capsys):
    from grad.exercises import start_here as ex

    def square(x):
        for i in range(1000):
            print("step", i)
        return x * x

    ex.square.check(square)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "✅ Warm-up: square: correct!"
    assert out[1] == "   Your code printed 4000 lines, the first 20:"
    assert out[2:22] == [f"   │ step {i}" for i in range(20)] and len(out) == 22


def test_check_works_from_another_thread(capsys):
    from grad.exercises import derivatives as ex
    results = []

    def worker():
        results.append(ex.backward_slope.verdict(ex.backward_slope.reference()))
        results.append(ex.backward_slope.verdict(lambda f, x, h: 1 / 0))

    t = threading.Thread(target=worker)
    t.start()
    t.join(60)
    assert results[0] is None
    assert results[1].startswith("backward_slope(f, 2.0, 0.25) raised ZeroDivisionError")


def test_close_is_finite_aware():
    from grad.exercises import close
    inf, nan = float("inf"), float("nan")
    assert close(1.0, 1.0 + 1e-9) and not close(1.0, 1.1)
    assert not close(inf, 1e300) and not close(1e300, inf) and not close(-inf, inf)
    assert close(inf, inf) and close(-inf, -inf)
    assert not close(nan, nan) and not close(nan, 1.0) and not close(1.0, nan)


def test_numpy_numbers_count_as_numbers():
    import numpy as np
    from grad.exercises import training, value
    count, pick, train = (value.count_nodes.reference(), training.pick_lr.reference(),
                          training.train.reference())
    assert value.count_nodes.verdict(lambda root: np.int64(count(root))) is None
    assert value.count_nodes.verdict(lambda root: float(count(root))) is None
    assert training.pick_lr.verdict(lambda xs: np.float32(pick(xs))) is None
    assert training.train.verdict(lambda *a: np.array(train(*a))) is None


def test_a_string_for_a_number_gets_one_wording_everywhere():
    from grad.exercises import autograd, classification, regularization
    for ex, answer in [(autograd.a_grad, "13"),
                       (classification.bce_from_prob, lambda p, y: "0.1"),
                       (regularization.xavier_std, lambda a, b: "0.1")]:
        assert "is the string" in ex.verdict(answer) and "not a number" in ex.verdict(answer)


def test_answers_that_only_empty_their_inputs_are_rejected():
    from grad import Value
    from grad.exercises import optimizers, training
    assert "the list params went from 5 to 0 items" in training.gd_step.verdict(
        lambda params, lr: params.clear())
    assert "went from 3 to 0 items" in optimizers.momentum_step.verdict(
        lambda params, velocity, lr, momentum: params.clear())

    def mse(preds, targets):          # a detached number, and the evidence removed
        out = Value(sum((p.data - y) ** 2 for p, y in zip(preds, targets)) / len(targets))
        preds.clear()
        return out

    assert "changed its input preds" in training.mse.verdict(mse)
