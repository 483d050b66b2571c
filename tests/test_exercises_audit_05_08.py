"""The exercises of notebooks 05-08 tried as a newcomer would: correct answers written
differently are accepted, silly answers get a short, true verdict (never the checker's own
failure), and the causes the verdicts name are the real ones (the typical mistakes with
their `says=` are checked for every exercise by tests/test_exercises.py)."""
import math

import numpy as np
import pytest

from grad.exercises import classification, define, more_ops, neurons, training

MODULES = [more_ops, neurons, training, classification]
EXERCISES = [(f"{m.__name__.rsplit('.', 1)[1]}.{name}", ex) for m in MODULES
             for name, ex in vars(m).items() if type(ex).__name__ == "Exercise"]

# ---- correct answers, written differently -----------------------------------------------------
ACCEPTED = {
    (more_ops, "exp_op"): ['''
        import math
        def exp_op(x):
            out = type(x)(math.exp(x.data), (x,), 'exp')
            def _backward():
                x.grad = x.grad + math.exp(x.data) * out.grad
            out._backward = _backward
            return out
    '''],
    (more_ops, "pow_op"): ['''
        def pow_op(x, k):
            out = type(x)(x.data ** k, (x,), 'pow')
            def _backward():
                x.grad += k * out.data / x.data * out.grad    # x**k / x = x**(k-1)
            out._backward = _backward
            return out
    '''],
    (more_ops, "sigmoid_op"): ['''
        import math
        def sigmoid_op(x):
            s = 1 / (1 + math.exp(-x.data))
            out = type(x)(s, (x,), 'sigmoid')
            def _backward():
                x.grad += s * (1 - s) * out.grad
            out._backward = _backward
            return out
    '''],
    (more_ops, "max_grad_error"): ['''
        import numpy as np
        from grad import Value
        from grad.check import numerical_grad
        def max_grad_error(f, xs, h=1e-6):
            values = [Value(x) for x in xs]
            f(*values).backward()
            numeric = numerical_grad(f, *[Value(x) for x in xs], h=h)
            return np.max(np.abs(np.array([v.grad for v in values]) - np.array(numeric)))
    ''', '''
        from grad import Value
        def max_grad_error(f, xs, h=1e-5):
            values = [Value(x) for x in xs]
            f(*values).backward()
            errors = []
            for i in range(len(xs)):
                up, down = list(xs), list(xs)
                up[i] += h
                down[i] -= h
                slope = (f(*map(Value, up)).data - f(*map(Value, down)).data) / (2 * h)
                errors.append(abs(slope - values[i].grad))
            return max(errors)
    '''],
    (more_ops, "broken_ops"): ['''
        from grad import Value
        def broken_ops(ops):
            found = set()
            for name, op in ops.items():
                for x0 in (-1.3, 0.7, 2.2):
                    x = Value(x0)
                    op(x).backward()
                    h = 1e-5
                    slope = (op(Value(x0 + h)).data - op(Value(x0 - h)).data) / (2 * h)
                    if abs(slope - x.grad) > 1e-4:
                        found.add(name)
            return found                        # a set of names
    '''],
    (neurons, "neuron"): ['''
        import random
        from grad import Value
        class TanhNeuron:
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)
            def __call__(self, x):
                total = self.b
                for wi, xi in zip(self.w, x):
                    total = total + wi * xi
                return total.tanh()
    ''', '''
        import random
        import grad
        from grad import Value
        class TanhNeuron:
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)
            def __call__(self, x):
                return grad.weighted_sum(self.w, x, self.b).tanh()
    '''],
    (neurons, "count"): ['''
        def count_parameters(nin, nouts):
            total = 0
            for nout in nouts:
                total += nout * nin + nout
                nin = nout
            return total
    ''', '''
        import numpy as np
        def count_parameters(nin, nouts):
            sizes = np.array([nin] + list(nouts))
            return np.sum((sizes[:-1] + 1) * sizes[1:])
    '''],
    (neurons, "layer_parameters"): ['''
        from grad.nn import Neuron as PackageNeuron
        class TanhLayer:
            def __init__(self, nin, nout):
                self.neurons = [PackageNeuron(nin, activation="tanh") for _ in range(nout)]
            def parameters(self):
                params = []
                for n in self.neurons:
                    params.extend(n.parameters())
                return params
    ''', '''
        from grad.nn import Neuron as PackageNeuron
        class TanhLayer:
            def __init__(self, nin, nout):
                self.neurons = [PackageNeuron(nin, activation="tanh") for _ in range(nout)]
            def parameters(self):
                return sum((n.parameters() for n in self.neurons), [])
    '''],
    (neurons, "mlp_call"): ['''
        from functools import reduce
        from grad.nn import Layer as PackageLayer
        class MyMLP:
            def __init__(self, nin, nouts):
                sizes = [nin] + list(nouts)
                last = len(nouts) - 1
                self.layers = [PackageLayer(sizes[i], sizes[i + 1],
                                            activation="linear" if i == last else "tanh")
                               for i in range(len(nouts))]
            def __call__(self, x):
                return reduce(lambda h, layer: layer(h), self.layers, x)
    '''],
    (training, "mse"): ['''
        def my_mse(preds, targets):
            return sum((y - p) * (y - p) for p, y in zip(preds, targets)) * (1 / len(preds))
    ''', '''
        def my_mse(preds, targets):
            total = 0
            for p, y in zip(preds, targets):
                total = total + (p - y) ** 2
            return total / len(targets)
    '''],
    (training, "gd_step"): ['''
        def gd_step(params, lr):
            for i in range(len(params)):
                params[i].data = params[i].data - lr * params[i].grad
    '''],
    (training, "train"): ['''
        def train(model, xs, ys, steps, lr):
            losses = []
            for _ in range(steps):
                loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(xs)
                losses.append(loss.data)
                for p in model.parameters():
                    p.grad = 0.0
                loss.backward()
                for p in model.parameters():
                    p.data += -lr * p.grad
            return losses
    '''],
    (training, "pick_lr"): ['''
        def pick_lr(xs):
            return 0.5 / (sum(x * x for x in xs) / len(xs))     # the same 1 / curvature
    ''', '''
        import numpy as np
        def pick_lr(xs):
            return 0.8 / (2 * np.mean(np.square(xs)))           # a little below 1 / c
    ''', '''
        def pick_lr(xs):
            return 1.3 / (2 * sum(x * x for x in xs) / len(xs))  # above 1 / c, below 2 / c
    '''],
    (training, "column_means"): ['''
        import numpy as np
        def column_means(M):
            return np.mean(M, axis=0)
    ''', '''
        def column_means(M):
            return M.sum(axis=0) / M.shape[0]
    ''', '''
        def column_means(M):
            return [sum(col) / len(col) for col in M.T]     # a list is fine
    '''],
    (training, "predict_all"): ['''
        import numpy as np
        def predict_all(A, p):
            return np.dot(A, p)
    ''', '''
        def predict_all(A, p):
            return (A * p).sum(axis=1)
    ''', '''
        def predict_all(A, p):
            return p[0] * A[:, 0] + p[1]
    '''],
    (training, "line_losses"): ['''
        import numpy as np
        def line_losses(ws, bs, x, y):
            return np.mean((np.outer(ws, x) + bs[:, None] - y) ** 2, axis=-1)
    ''', '''
        def line_losses(ws, bs, x, y):
            return ((ws[:, None] * x[None, :] + bs[:, None] - y[None, :]) ** 2).mean(axis=1)
    ''', '''
        import numpy as np
        def line_losses(ws, bs, x, y):
            return np.array([np.mean((w * x + b - y) ** 2) for w, b in zip(ws, bs)])  # a loop works too
    '''],
    (classification, "hinge_one"): ['''
        def hinge_one(score, label):
            return (-label * score + 1).relu()
    ''', '''
        def hinge_one(score, label):
            return (1 - score * label).relu()
    '''],
    (classification, "bce_from_prob"): ['''
        import math
        def bce_from_prob(p, y):
            return -math.log(p) if y == 1 else -math.log(1 - p)
    ''', '''
        import numpy as np
        def bce_from_prob(p, y):
            return -(y * np.log(p) + (1 - y) * np.log1p(-p))
    '''],
    (classification, "accuracy01"): ['''
        import numpy as np
        def accuracy01(logits, labels):
            return np.mean((np.array(logits) > 0) == np.array(labels))
    ''', '''
        def accuracy01(logits, labels):
            return sum(int(z > 0) == y for z, y in zip(logits, labels)) / len(logits)
    '''],
    (classification, "stable_softmax"): ['''
        import math
        def stable_softmax(scores):
            m = max(scores)
            lse = m + math.log(sum(math.exp(s - m) for s in scores))
            return [math.exp(s - lse) for s in scores]
    ''', '''
        import numpy as np
        def stable_softmax(scores):
            e = np.exp(np.array(scores) - np.max(scores))
            return list(e / e.sum())
    '''],
    (classification, "predict_class"): ['''
        def predict_class(scores):
            return scores.index(max(scores))
    ''', '''
        def predict_class(scores):
            return max(range(len(scores)), key=scores.__getitem__)
    ''', '''
        import numpy as np
        def predict_class(scores):
            return np.argmax(scores)
    ''', '''
        def predict_class(scores):
            best, best_score = 0, scores[0]
            for k, s in enumerate(scores):
                if s > best_score:
                    best, best_score = k, s
            return best
    '''],
}
ACCEPTED_IDS = [f"{m.__name__.rsplit('.', 1)[1]}.{name}" for m, name in ACCEPTED]


def test_every_exercise_has_accepted_alternatives():
    assert sorted(ACCEPTED_IDS) == sorted(name for name, _ in EXERCISES)


@pytest.mark.parametrize("key", list(ACCEPTED), ids=ACCEPTED_IDS)
def test_correct_answers_written_differently_are_accepted(key):
    module, name = key
    ex = getattr(module, name)
    for code in ACCEPTED[key]:
        assert ex.verdict(define(code, ex.answer_name)) is None, code


# ---- silly answers --------------------------------------------------------------------------
def _silly(ex):
    yield "a string", "exp_op"
    yield "None returned", lambda *a, **k: None
    yield "a huge number returned", lambda *a, **k: 1e308
    yield "no arguments taken", lambda: 1.0
    yield "a string returned", lambda *a, **k: "0.5"
    yield "a class where a function is asked", type("Thing", (), {})


@pytest.mark.parametrize("name, ex", EXERCISES, ids=[n for n, _ in EXERCISES])
def test_silly_answers_get_a_short_true_verdict(name, ex, capsys):
    for what, answer in _silly(ex):
        problem = ex.verdict(answer)
        assert problem is not None, f"{name} accepted {what}"
        assert "the checker itself failed" not in problem, (what, problem)
        assert len(problem) < 400, (what, problem)
        if what == "no arguments taken":
            assert ("takes 0 positional arguments" in problem if ex.answer_name.islower()
                    else "pass the class itself" in problem), problem
        ex.check(answer)
        out = capsys.readouterr().out
        assert out.startswith("❌") and ex.hint_text not in out and ex.code() not in out


# ---- the causes named are the real ones -------------------------------------------------------
@pytest.mark.parametrize("ex, code", [
    (more_ops.sigmoid_op, "def sigmoid_op(x):\n    return 1 / (1 + (-x).exp())"),
    (more_ops.sigmoid_op, "def sigmoid_op(x):\n    return (1 + (-x).exp()) ** -1"),
    (more_ops.sigmoid_op, "def sigmoid_op(x):\n    return 0.5 * ((0.5 * x).tanh() + 1)"),
    (more_ops.sigmoid_op, "def sigmoid_op(x):\n    return 1 / (1 + (-x).exp()) + 0 * x"),
    (more_ops.pow_op, "def pow_op(x, k):\n    return (x.log() * k).exp()"),
    (more_ops.pow_op, "def pow_op(x, k):\n    return x ** k * 1"),
    (more_ops.exp_op, "def exp_op(x):\n    return (x * 0.5).exp() * (x * 0.5).exp()"),
])
def test_one_rule_for_all_three_ops_an_answer_built_from_value_operations_is_refused(ex, code):
    # each exercise asks for the operation's own backward step: one new Value whose only
    # operand is x; a composite has the right numbers, but no step of the learner's
    verdict = ex.verdict(define(code, ex.answer_name))
    assert verdict is not None
    assert ("is built on other Value operations" in verdict
            or "the very operation it is meant to build" in verdict), verdict
    assert "2.718" not in verdict and "right one" not in verdict


def test_a_wrong_local_derivative_is_named_without_the_right_one():
    for ex, code, says, hidden in [
            (more_ops.exp_op, "x.grad += x.data * out.grad", "which is x itself", "2.71828"),
            (more_ops.pow_op, "x.grad += x.data ** (k - 1) * out.grad", "which is x ** (k - 1)", "is 3"),
            (more_ops.exp_op, "x.grad += 2 * out.data * out.grad", "is larger than the slope", "2.718"),
            (more_ops.exp_op, "x.grad -= out.data * out.grad", "has the wrong sign", "right one")]:
        head = ("def pow_op(x, k):\n    out = type(x)(x.data ** k, (x,), 'pow')\n"
                if ex is more_ops.pow_op else
                "import math\ndef exp_op(x):\n    out = type(x)(math.exp(x.data), (x,), 'exp')\n")
        code = (head + "    def _backward():\n        " + code + "\n"
                "    out._backward = _backward\n    return out\n")
        verdict = ex.verdict(define(code, ex.answer_name))
        assert says in verdict and hidden not in verdict and "right" not in verdict, verdict


def test_a_gradient_check_that_always_says_0_is_not_blamed_on_a_sign():
    for stub in (lambda f, xs: 0, lambda f, xs: 0.0):
        verdict = more_ops.max_grad_error.verdict(stub)
        assert "it returned 0, as if backward and the numerical slope agreed" in verdict
        assert "absolute value" not in verdict


def test_a_composite_sigmoid_is_not_told_it_cannot_reach_x():
    cut_off = '''
        import math
        from grad import Value
        def sigmoid_op(x):
            inner = Value(1 + math.exp(-x.data))     # a node not linked to x
            return 1 / inner
    '''
    problem = more_ops.sigmoid_op.verdict(define(cut_off, "sigmoid_op"))
    assert "backward() would never reach x" in problem


def test_an_op_built_on_an_intermediate_node_is_refused_by_the_same_rule():
    code = '''
        def sigmoid_op(x):
            e = (-x).exp()                              # e**-x, a node of its own
            out = type(x)(1 / (1 + e.data), (e,), 'sigmoid')
            def _backward():
                e.grad += -out.data ** 2 * out.grad     # d/de 1/(1 + e) = -1/(1 + e)**2
            out._backward = _backward
            return out
    '''
    assert "is built on other Value operations (exp, neg)" in more_ops.sigmoid_op.verdict(
        define(code, "sigmoid_op"))


@pytest.mark.parametrize("code, says", [
    ("def accuracy01(logits, labels):\n"
     "    return sum((z >= 0) == (y == 1) for z, y in zip(logits, labels)) / len(labels)",
     "a logit of exactly 0 should predict class 0"),
    ("def accuracy01(logits, labels):\n"
     "    return 1 - sum((z > 0) == (y == 1) for z, y in zip(logits, labels)) / len(labels)",
     "the error rate"),
])
def test_accuracy01_slips_are_not_blamed_on_signs(code, says):
    problem = classification.accuracy01.verdict(define(code, "accuracy01"))
    assert says in problem and "sign" not in problem


def test_predict_class_one_based_is_not_called_the_smallest_score():
    for code in ("def predict_class(scores):\n    return scores.index(max(scores)) + 1",
                 "def predict_class(scores):\n"
                 "    return max(range(1, len(scores) + 1), key=lambda k: scores[k - 1])"):
        problem = classification.predict_class.verdict(define(code, "predict_class"))
        assert "numbered from 0" in problem and "smallest" not in problem


def test_neuron_slips_named_right():
    base = '''
        import random
        from grad import Value
        class TanhNeuron:
            def __init__(self, nin):
                self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
                self.b = Value(0.0)
            def __call__(self, x):
                z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
                return {}
    '''
    relu = neurons.neuron.verdict(define(base.format("z.relu()"), "TanhNeuron"))
    assert "ReLU" in relu and "missing" not in relu
    sigmoid = neurons.neuron.verdict(define(base.format("z.sigmoid()"), "TanhNeuron"))
    assert "sigmoid" in sigmoid and "missing" not in sigmoid


def test_counting_neurons_is_not_called_weights_only():
    problem = neurons.count.verdict(lambda nin, nouts: sum(nouts))
    assert "the number of neurons" in problem and "weights only" not in problem


def test_a_loop_without_learning_rate_is_not_told_to_subtract():
    code = '''
        def train(model, xs, ys, steps, lr):
            losses = []
            for _ in range(steps):
                loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= 10 * lr * p.grad           # a step 10 times too big
                losses.append(loss.data)
            return losses
    '''
    problem = training.train.verdict(define(code, "train"))
    assert "subtract" not in problem and "uphill" not in problem


def test_a_wrong_first_loss_is_not_always_blamed_on_the_order():
    code = '''
        def train(model, xs, ys, steps, lr):
            losses = []
            for _ in range(steps):
                loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys)) / len(ys)
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= lr * p.grad
                losses.append(abs(loss.data - 0.01))     # some other number
            return losses
    '''
    problem = training.train.verdict(define(code, "train"))
    assert problem.startswith("the first loss is") and "before updating" not in problem


def test_infinite_or_huge_losses_are_refused_by_the_answers_fault():
    assert "checker" not in classification.bce_from_prob.verdict(lambda p, y: math.inf)
    assert "checker" not in classification.bce_from_prob.verdict(lambda p, y: np.float64(1e308))


def test_max_grad_error_names_a_cause_only_when_it_is_the_cause():
    assert "not accurate enough" not in more_ops.max_grad_error.verdict(lambda f, xs: 5.0)
    assert "agree to within 1e-6" in more_ops.max_grad_error.verdict(lambda f, xs: 5.0)


def test_max_grad_error_with_gradients_added_up_twice_is_asked_about_a_second_backward():
    from grad import Value

    def twice(f, xs, h=1e-6):
        values = [Value(x) for x in xs]
        f(*values).backward()
        f(*values).backward()           # the gradients add up: twice the true ones
        worst = 0.0
        for i, v in enumerate(values):
            up = [Value(x + h if j == i else x) for j, x in enumerate(xs)]
            down = [Value(x - h if j == i else x) for j, x in enumerate(xs)]
            worst = max(worst, abs(v.grad - (f(*up).data - f(*down).data) / (2 * h)))
        return worst
    assert "backward() run more than once" in more_ops.max_grad_error.verdict(twice)


def test_broken_ops_missing_a_broken_square_is_not_told_to_test_negative_points():
    code = """
        from grad import Value
        def broken_ops(ops):            # a tolerance so loose that only big errors count
            broken = []
            for name, op in ops.items():
                x = Value(-1.3)
                op(x).backward()
                slope = (op(Value(-1.3 + 1e-6)).data - op(Value(-1.3 - 1e-6)).data) / 2e-6
                if abs(slope - x.grad) > 5.0:
                    broken.append(name)
            return broken
    """
    problem = more_ops.broken_ops.verdict(define(code, "broken_ops"))
    assert "missed the broken" in problem and "negative points" not in problem


def test_pick_lr_verdicts_tell_small_steps_from_slow_bounces_and_keep_the_formula_hidden():
    small = training.pick_lr.verdict(lambda xs: 0.05 / (2 * sum(x * x for x in xs) / len(xs)))
    bouncy = training.pick_lr.verdict(lambda xs: 1.95 / (2 * sum(x * x for x in xs) / len(xs)))
    assert "covers only part of the way" in small and "overshoots" in bouncy
    for problem in (small, bouncy, training.pick_lr.verdict(lambda xs: 0.1)):
        assert "1 / curvature" not in problem and "mean(x" not in problem
        assert "curvature" not in problem and "×" not in problem   # neither c nor lr·c is given


def test_hinge_one_verdicts_name_the_wrong_value_not_the_formula():
    for wrong in (lambda s, y: (-y * s).relu(), lambda s, y: (1 + y * s).relu(),
                  lambda s, y: (0.5 - y * s).relu()):
        problem = classification.hinge_one.verdict(wrong)
        assert problem and ("should be" in problem or " is " in problem), problem
        assert "relu(1" not in problem and "1 - " not in problem, problem
    assert "margin 0.3" in classification.hinge_one.verdict(lambda s, y: (-y * s).relu())


# ---- the NumPy primer of notebook 07 ------------------------------------------------------------
def test_primer_verdicts_name_the_shape_and_keep_the_answer_hidden():
    rows = training.column_means.verdict(lambda M: M.mean(axis=1))
    assert "one number per row" in rows and "axis=0" not in rows
    product = training.predict_all.verdict(lambda A, p: A * p)
    assert "not added up" in product and "@" not in product
    table = training.line_losses.verdict(lambda ws, bs, x, y: (ws[:, None] * x + bs[:, None] - y) ** 2)
    assert "not yet averaged" in table and "axis=1" not in table and "None" not in table


def test_primer_answers_that_change_their_inputs_are_refused():
    def in_place(M):
        M -= M.mean(axis=0)          # centres the caller's array
        return M.mean(axis=0) + 0 * M[0]
    assert "changed its input" in training.column_means.verdict(in_place)


def test_primer_checkers_accept_lists_where_arrays_are_asked():
    assert training.predict_all.verdict(lambda A, p: (A @ p).tolist()) is None
    assert training.line_losses.verdict(
        lambda ws, bs, x, y: list(np.mean((ws[:, None] * x + bs[:, None] - y) ** 2, axis=1))) is None


def test_primer_wrong_axes_for_the_loss_table_are_caught():
    problem = training.line_losses.verdict(
        lambda ws, bs, x, y: np.mean((ws[:, None] * x + bs[:, None] - y) ** 2, axis=0))
    assert problem is not None and "shape" in problem


def test_a_class_number_written_as_a_float_is_not_called_a_score():
    # in one case the largest score (2.0) equals the right class (2): only the other cases
    # can tell the two readings apart
    as_float = lambda s: float(max(range(len(s)), key=lambda k: s[k]))  # noqa: E731
    assert classification.predict_class.verdict(as_float) is None
    assert "the largest score" in classification.predict_class.verdict(lambda s: max(s))


@pytest.mark.parametrize("ex, code", [
    (more_ops.exp_op, "def exp_op(x):\n    return x.exp()"),
    (more_ops.pow_op, "def pow_op(x, k):\n    return x ** k"),
    (more_ops.sigmoid_op, "def sigmoid_op(x):\n    return x.sigmoid()"),
])
def test_calling_the_operation_being_built_is_not_an_answer(ex, code):
    verdict = ex.verdict(define(code, ex.answer_name))
    assert verdict is not None and "the very operation it is meant to build" in verdict


def test_a_sigmoid_built_from_exp_is_refused_with_a_true_reason():
    code = "def sigmoid_op(x):\n    return 1 / (1 + (-x).exp())"
    verdict = more_ops.sigmoid_op.verdict(define(code, "sigmoid_op"))
    assert "is built on other Value operations" in verdict


def test_hinge_one_with_pythons_max_points_to_the_value_method_not_the_answer():
    for slip in (lambda s, y: max(0, 1 - y * s), lambda s, y: max(1 - y * s, 0.0)):
        problem = classification.hinge_one.verdict(slip)
        assert "TypeError" in problem and "max()" in problem and ".relu()" in problem, problem
        assert ").relu()" not in problem and "relu(1" not in problem, problem   # no solution
    other = classification.hinge_one.verdict(lambda s, y: 1 < "s")   # a TypeError of another kind
    assert "TypeError" in other and ".relu()" not in other, other
