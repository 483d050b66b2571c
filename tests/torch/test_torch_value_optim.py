"""PyTorch as the reference for Value's NaN/inf policy, the losses, and the optimizers'
argument checks and edge-case numbers (`make test-torch`, or GRAD_TEST_TORCH=1).

Where PyTorch answers, we give its answer (value and gradient, NaN for NaN); where an input
has no real answer (log of a number <= 0, division by zero, a negative base to a fractional
power, a result past the largest float), we refuse it, and PyTorch's answer is then not a
finite number either.

About the optimizer trajectories: PyTorch's CPU kernels fuse `a + b * c` into one rounding
(a fused multiply-add); Python floats and NumPy round twice. The edge cases below are chosen
so that every such step is exact (zeros, powers of two, NaN and inf), and there the numbers
agree bit for bit, NaN for NaN; elsewhere they agree to the last bit or two per step.
"""
import copy
import itertools
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grad import Value, losses, weighted_sum
from grad import optim
from grad.tensor import Tensor

torch.set_default_dtype(torch.float64)
nan, inf = math.nan, math.inf


def close(a: float, b: float, rel: float = 1e-15) -> bool:
    """The same number: NaN as NaN, inf with its sign, finite to 1e-15 relative (or both
    below the smallest normal float, where PyTorch's kernels may flush to 0)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b)) or abs(a - b) < 2.3e-308


def near(a: float, b: float) -> bool:
    """close() for results of several steps (softmax, log-sum-exp): 1e-13 relative."""
    return close(a, b, rel=1e-13)


def ours(f, *xs):
    """f on Values: ('refused', error) or (value, grad, grad, ...)."""
    vs = [Value(x) for x in xs]
    try:
        out = f(*vs)
    except (ValueError, ZeroDivisionError, OverflowError) as e:
        return "refused", e
    out.backward()
    return (out.data, *(v.grad for v in vs))


def theirs(f, *xs):
    ts = [torch.tensor(x, requires_grad=True) for x in xs]
    out = f(*ts)
    out.backward()
    return (out.item(), *(t.grad.item() for t in ts))


SPECIAL = [nan, inf, -inf, 0.0, -1.0, 2.0, 0.5, 1e-200, -1e-200, 700.0, 800.0, -800.0, 1e155]
UNARY = {
    "relu": lambda v: v.relu(), "tanh": lambda v: v.tanh(), "sigmoid": lambda v: v.sigmoid(),
    "exp": lambda v: v.exp(), "log": lambda v: v.log(), "neg": lambda v: -v,
    **{f"**{k}": (lambda v, k=k: v ** k) for k in (2, 3, -1, -2, 0, 1, 0.5, -0.5, 1 / 3, 1.5)},
}


def check_against_torch(f, *xs):
    mine, ref = ours(f, *xs), theirs(f, *xs)
    if mine[0] == "refused":
        # refused only where PyTorch's own answer is not a finite number, except that -inf to
        # a fractional power is refused as a negative base (torch's pow gives IEEE's 0 or inf
        # there, while its sqrt gives nan)
        assert not math.isfinite(ref[0]) or xs[0] == -inf, (xs, mine[1], ref)
        return
    assert all(map(close, mine, ref)), (xs, mine, ref)


@pytest.mark.parametrize("op", UNARY)
def test_unary_ops_with_nan_inf_and_edge_inputs_match_torch(op):
    for x in SPECIAL:
        check_against_torch(UNARY[op], x)


BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "/": lambda a, b: a / b, "**": lambda a, b: a ** b}


@pytest.mark.parametrize("op", BINARY)
def test_binary_ops_with_nan_inf_and_edge_inputs_match_torch(op):
    for a, b in itertools.product(SPECIAL, repeat=2):
        check_against_torch(BINARY[op], a, b)


def overflows(f) -> bool:
    try:
        f()
    except OverflowError:
        return True
    return False


def policy_refuses(op: str, x: float) -> bool:
    """grad.engine's rule: no real answer (log of x <= 0, a negative base to a fractional
    power, 0 to a negative power) or a finite input whose answer is past the largest float."""
    if op == "log":
        return x <= 0
    if op == "exp":
        return math.isfinite(x) and overflows(lambda: math.exp(x))
    if op.startswith("**"):
        k = float(op[2:])
        return ((x < 0 and not k.is_integer()) or (x == 0 and k < 0)
                or (math.isfinite(x) and overflows(lambda: x ** k)))
    return False


def test_refusals_are_exactly_the_policys():
    refused = {(op, x) for op, f in UNARY.items() for x in SPECIAL if ours(f, x)[0] == "refused"}
    assert refused == {(op, x) for op in UNARY for x in SPECIAL if policy_refuses(op, x)}
    for op, x, message in [("log", -1.0, "log(-1.0)"), ("**0.5", -1.0, "pow: -1.0 ** 0.5"),
                           ("exp", 800.0, "exp(800.0)"), ("**-1", 0.0, "pow: 0.0 ** -1.0")]:
        assert message in str(ours(UNARY[op], x)[1])  # the message names the op and the number


def test_floor_division_matches_torch_with_a_zero_gradient():
    for a, b in itertools.product(SPECIAL, repeat=2):
        mine = ours(lambda x, y: x // y, a, b)
        if b == 0:
            assert mine[0] == "refused"
            continue
        ref = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode="floor").item()
        assert close(mine[0], ref) and mine[1:] == (0.0, 0.0), (a, b, mine, ref)


def test_a_neuron_on_nan_and_inf_matches_torch():
    for x0, x1 in itertools.product([nan, inf, -inf, 1.0], repeat=2):
        ws, xs, b = [Value(0.5), Value(-2.0)], [Value(x0), Value(x1)], Value(0.1)
        pre = weighted_sum(ws, xs, b)
        out = pre.relu() + pre.tanh()
        out.backward()
        wt = torch.tensor([0.5, -2.0], requires_grad=True)
        xt = torch.tensor([x0, x1], requires_grad=True)
        bt = torch.tensor(0.1, requires_grad=True)
        pre = bt + (wt * xt).sum()
        ref = pre.relu() + pre.tanh()
        ref.backward()
        assert close(out.data, ref.item())
        got = [v.grad for v in ws + xs + [b]]
        want = wt.grad.tolist() + xt.grad.tolist() + [bt.grad.item()]
        assert all(map(close, got, want)), (x0, x1, got, want)


def test_neuron_nodes_on_nan_and_inf_match_torch():
    """Each activation applied inside its weighted-sum node (grad.nn's neurons), on
    weights and inputs that make w·x+b nan, +-inf, 0, negative and positive."""
    special = [nan, inf, -inf, 0.0, 1.0, -1.0]
    for act in ("relu", "tanh", "sigmoid"):
        for w0, x0 in itertools.product(special, repeat=2):
            ws, xs, b = [Value(w0), Value(0.5)], [Value(x0), Value(-2.0)], Value(0.25)
            out = weighted_sum(ws, xs, b, activation=act)
            out.backward()
            wt = torch.tensor([w0, 0.5], requires_grad=True)
            xt = torch.tensor([x0, -2.0], requires_grad=True)
            bt = torch.tensor(0.25, requires_grad=True)
            ref = getattr(torch, act)(bt + (wt * xt).sum())
            ref.backward()
            got = [out.data] + [v.grad for v in ws + xs + [b]]
            want = [ref.item()] + wt.grad.tolist() + xt.grad.tolist() + [bt.grad.item()]
            assert all(map(close, got, want)), (act, w0, x0, got, want)


# ---- losses with NaN and infinities -----------------------------------------------------
LOSS_INPUTS = [nan, inf, -inf, 0.0, -3.0, 2.0, 800.0, -800.0]


def test_cross_entropy_and_softmax_match_torch_on_special_scores():
    for row in itertools.product(LOSS_INPUTS, repeat=2):
        for label in (0, 1):
            vs = [Value(x) for x in row]
            loss = losses.cross_entropy(vs, label)
            loss.backward()
            t = torch.tensor(row, requires_grad=True)
            ref = F.cross_entropy(t, torch.tensor(label))
            ref.backward()
            assert all(map(near, [loss.data] + [v.grad for v in vs], [ref.item()] + t.grad.tolist()))
        vs = [Value(x) for x in row]
        probs = losses.softmax(vs)
        probs[0].backward()
        t = torch.tensor(row, requires_grad=True)
        ref = torch.softmax(t, 0)
        ref[0].backward()
        assert all(map(near, [p.data for p in probs] + [v.grad for v in vs],
                       ref.tolist() + t.grad.tolist())), row


def test_bce_and_mse_match_torch_on_special_inputs():
    for z in LOSS_INPUTS:
        for y in (0.0, 0.3, 1.0, nan):
            v = Value(z)
            loss = losses.binary_cross_entropy_with_logits(v, y)
            loss.backward()
            t = torch.tensor(z, requires_grad=True)
            ref = F.binary_cross_entropy_with_logits(t, torch.tensor(y))
            ref.backward()
            assert near(loss.data, ref.item()) and near(v.grad, t.grad.item()), (z, y)
        for y in (0.0, nan, inf):
            v = Value(z)
            loss = losses.mse([v], [y])
            loss.backward()
            t = torch.tensor([z], requires_grad=True)
            ref = F.mse_loss(t, torch.tensor([y]))
            ref.backward()
            assert near(loss.data, ref.item()) and near(v.grad, t.grad.item()), (z, y)


def test_loss_argument_errors_have_torchs_types():
    def same_type(ours_call, torch_call):
        with pytest.raises(Exception) as mine:
            ours_call()
        with pytest.raises(Exception) as ref:
            torch_call()
        assert type(mine.value) is type(ref.value), (mine.value, ref.value)

    z3 = torch.zeros(2, 3)
    same_type(lambda: losses.cross_entropy(np.zeros((2, 3)), [0, 3]),
              lambda: F.cross_entropy(z3, torch.tensor([0, 3])))  # IndexError
    same_type(lambda: losses.cross_entropy(np.zeros((2, 3)), [0, -1]),
              lambda: F.cross_entropy(z3, torch.tensor([0, -1])))
    same_type(lambda: losses.cross_entropy(np.zeros((2, 3)), [0]),
              lambda: F.cross_entropy(z3, torch.tensor([0])))  # ValueError: batch sizes differ
    for ours_loss, torch_loss in [(losses.cross_entropy, F.cross_entropy), (losses.mse, F.mse_loss),
                                  (losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits)]:
        args = ((np.zeros((2, 3)), [0, 1]) if ours_loss is losses.cross_entropy else ([0.0, 1.0], [0.0, 1.0]))
        targs = ((z3, torch.tensor([0, 1])) if ours_loss is losses.cross_entropy
                 else (torch.zeros(2), torch.tensor([0.0, 1.0])))
        same_type(lambda: ours_loss(*args, reduction="bogus"),
                  lambda: torch_loss(*targs, reduction="bogus"))  # ValueError


# ---- optimizer arguments: the same error types as torch.optim ---------------------------
PAIRS = [(optim.SGD, torch.optim.SGD), (optim.RMSprop, torch.optim.RMSprop),
         (optim.Adam, torch.optim.Adam), (optim.AdamW, torch.optim.AdamW)]

BAD_SETTINGS = {
    optim.SGD: [dict(lr=-0.1), dict(lr="0.1"), dict(lr=None), dict(momentum=-0.5),
                dict(weight_decay=-1.0), dict(nesterov=True), dict(lr=0.1, nesterov=True, momentum=0.9, dampening=0.1),
                dict(lr=0.1, nesterov=True, momentum=-1.0)],
    optim.RMSprop: [dict(lr=-0.1), dict(lr=float("nan")), dict(alpha=-0.5), dict(alpha=float("nan")),
                    dict(eps=-1e-8), dict(momentum=-1.0), dict(weight_decay=-1.0), dict(eps="x")],
    optim.Adam: [dict(lr=-0.1), dict(lr=float("nan")), dict(betas=(1.0, 0.999)), dict(betas=(0.9, 1.0)),
                 dict(betas=(-0.1, 0.9)), dict(betas=(float("nan"), 0.9)), dict(betas=0.9),
                 dict(betas=("a", 0.9)), dict(eps=-1e-8), dict(eps=float("nan")), dict(eps="x"),
                 dict(weight_decay=-1.0)],
    optim.AdamW: [dict(lr=-1.0), dict(betas=(0.9, 2.0)), dict(eps=-1.0), dict(weight_decay=-0.01)],
}


def error_of(make):
    try:
        make()
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return type(e)
    return None


@pytest.mark.parametrize("ours_cls, torch_cls", PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_bad_settings_raise_torchs_error_types(ours_cls, torch_cls):
    for kwargs in BAD_SETTINGS[ours_cls]:
        mine = error_of(lambda: ours_cls([Value(1.0)], **kwargs))
        ref = error_of(lambda: torch_cls([torch.zeros(1, requires_grad=True)], **kwargs))
        assert ref is not None and mine is ref, (kwargs, mine, ref)


# Where torch lets a setting through, we refuse it at construction instead (a bad value
# that torch only notices at step(), or never: it then computes nan or nonsense).
STRICTER = [
    (optim.Adam, torch.optim.Adam, dict(betas=(0.9, 0.99, 0.5)), ValueError),  # torch: at step()
    (optim.Adam, torch.optim.Adam, dict(betas=(0.9,)), ValueError),  # torch: IndexError
    (optim.SGD, torch.optim.SGD, dict(lr=float("nan")), ValueError),  # torch: every step nan
    (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=float("nan")), ValueError),
    (optim.SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=float("nan")), ValueError),
    (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening="a"), TypeError),
]


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs, error", STRICTER)
def test_settings_torch_lets_through_are_refused_at_construction(ours_cls, torch_cls, kwargs, error):
    ref = error_of(lambda: torch_cls([torch.zeros(1, requires_grad=True)], **kwargs))
    assert ref in (None, IndexError)
    with pytest.raises(error):
        ours_cls([Value(1.0)], **kwargs)


def test_settings_torch_accepts_are_accepted():
    for ours_cls, torch_cls, kwargs in [(optim.RMSprop, torch.optim.RMSprop, dict(alpha=1.5)),
                                        (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=-0.5)),
                                        (optim.Adam, torch.optim.Adam, dict(lr=0.0, betas=(0.0, 0.0), eps=0.0)),
                                        (optim.SGD, torch.optim.SGD, dict(lr=True))]:
        torch_cls([torch.zeros(1, requires_grad=True)], **kwargs)
        ours_cls([Value(1.0)], **kwargs)


def make_params(kind):
    """A factory of parameters of one kind, for ours (Value or Tensor) and for torch."""
    if kind == "torch":
        return lambda: torch.zeros(2, requires_grad=True)
    if kind == "Value":
        return lambda: Value(0.0)
    return lambda: Tensor(np.zeros(2), requires_grad=True)


PARAM_FORMS = {
    "a bare parameter": lambda p: p(),
    "a bare dict": lambda p: {"params": [p()]},
    "a dict with a bare parameter, in a list": lambda p: [{"params": p()}],
    "a set in a group": lambda p: [{"params": {p()}}],
    "one parameter in two groups": lambda p: (lambda w: [{"params": [w]}, {"params": [w]}])(p()),
    "an empty list": lambda p: [],
    "an empty group": lambda p: [{"params": []}],
    "a number among the parameters": lambda p: [p(), 1.0],
    "a group that is not a dict": lambda p: [{"params": [p()]}, p()],
    "a group without params": lambda p: [{"lr": 0.1}],
    "not iterable": lambda p: 5,
    "a string": lambda p: ["ab"],
}


@pytest.mark.parametrize("form", PARAM_FORMS)
@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_params_arguments_behave_as_in_torch(form, kind):
    mine = error_of(lambda: optim.SGD(PARAM_FORMS[form](make_params(kind)), lr=0.1))
    ref = error_of(lambda: torch.optim.SGD(PARAM_FORMS[form](make_params("torch")), lr=0.1))
    assert mine is ref, (form, mine, ref)


def test_non_leaf_parameters_are_refused_as_in_torch():
    ref = error_of(lambda: torch.optim.SGD([torch.zeros(1, requires_grad=True) * 2], lr=0.1))
    assert ref is ValueError
    assert error_of(lambda: optim.SGD([Value(1.0) * 2], lr=0.1)) is ValueError
    assert error_of(lambda: optim.SGD([Tensor(np.ones(2), requires_grad=True) * 2], lr=0.1)) is ValueError


def test_duplicates_within_a_group_warn_and_step_as_in_torch():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        ref = torch.optim.Adam([w, w], lr=0.1)
    p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = optim.Adam([p, p], lr=0.1)
    for g in ([0.5, -1.0], [2.0, 0.25], [1.0, 1.0]):
        w.grad, p.grad = torch.tensor(g), np.array(g)
        ref.step()
        opt.step()
        np.testing.assert_allclose(p.data, w.detach().numpy(), rtol=1e-14)


# ---- optimizer numbers at the edges, on Value and on Tensor parameters ------------------
def trajectories(ours_cls, torch_cls, kwargs, grads, start, state=None):
    """Every step's parameters: ours on Values, ours on a Tensor, and torch's."""
    values = [Value(s) for s in start]
    tensor = Tensor(np.array(start, dtype=float), requires_grad=True)
    ref = torch.tensor(start, requires_grad=True)
    opts = [ours_cls(values, **kwargs), ours_cls([tensor], **kwargs), torch_cls([ref], **kwargs)]
    if state:  # start from given running averages (as rounding can leave them)
        for v, *entries in zip(values, *state.values()):
            opts[0].state[v] = dict(zip(state, entries))
        opts[1].state[tensor] = {k: np.array(e, dtype=float) for k, e in state.items()}
        opts[2].state[ref] = {"step": torch.tensor(1.0),
                              **{k: torch.tensor(e) for k, e in state.items()}}
    paths = [[], [], []]
    with np.errstate(all="ignore"):
        for g in grads:
            for v, gi in zip(values, g):
                v.grad = gi
            tensor.grad, ref.grad = np.array(g, dtype=float), torch.tensor(g)
            for opt in opts:
                opt.step()
            paths[0].append([v.data for v in values])
            paths[1].append(tensor.data.tolist())
            paths[2].append(ref.detach().tolist())
    return [np.array(p) for p in paths]


EDGES = [
    ("Adam, eps=0, a zero gradient: 0/0", optim.Adam, torch.optim.Adam,
     dict(eps=0.0, lr=0.125, betas=(0.5, 0.75)), [[0.0, 1.0, -2.0]] * 5),
    ("AdamW, eps=0", optim.AdamW, torch.optim.AdamW,
     dict(eps=0.0, lr=0.125, betas=(0.5, 0.75), weight_decay=0.5), [[0.0, 0.0, 4.0]] * 4),
    ("RMSprop, eps=0, zero gradients", optim.RMSprop, torch.optim.RMSprop,
     dict(eps=0.0, alpha=0.5, lr=2 ** -7), [[0.0, 1.0, 0.0]] * 3),
    ("RMSprop, alpha > 1", optim.RMSprop, torch.optim.RMSprop, dict(alpha=1.5, lr=2 ** -7),
     [[0.5, -1.0, 2.0], [1.0, 1.0, 1.0], [4.0, 0.0, -1.0]]),
    ("centered RMSprop, alpha > 1, momentum", optim.RMSprop, torch.optim.RMSprop,
     dict(alpha=2.0, centered=True, momentum=0.5, lr=2 ** -7), [[0.5, -1.0, 2.0]] * 3),
    ("centered RMSprop: v - m² is exactly 0, eps=0: g / 0", optim.RMSprop, torch.optim.RMSprop,
     dict(centered=True, alpha=0.0, eps=0.0, lr=2 ** -6), [[1.0, 0.5, 0.0]] * 3),
    ("SGD with NaN and inf gradients", optim.SGD, torch.optim.SGD,
     dict(lr=0.125, momentum=0.5, nesterov=True, weight_decay=0.25),
     [[nan, inf, -inf], [1.0, 0.0, 2.0], [0.0, 0.5, 1.0]]),
    ("Adam with NaN and inf gradients", optim.Adam, torch.optim.Adam,
     dict(weight_decay=0.5, betas=(0.5, 0.75)), [[inf, nan, -inf], [1.0, 0.0, 0.0]]),
    ("centered RMSprop with NaN and inf gradients", optim.RMSprop, torch.optim.RMSprop,
     dict(centered=True, momentum=0.5, alpha=0.5, lr=2 ** -7), [[inf, nan, 0.0], [1.0, 1.0, 0.0]]),
]


@pytest.mark.parametrize("name, ours_cls, torch_cls, kwargs, grads", EDGES, ids=[e[0] for e in EDGES])
def test_edge_trajectories_equal_torchs_bit_for_bit(name, ours_cls, torch_cls, kwargs, grads):
    on_values, on_tensor, ref = trajectories(ours_cls, torch_cls, kwargs, grads, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(on_values, ref)
    np.testing.assert_array_equal(on_tensor, ref)
    assert not np.isfinite(ref).all()  # each case does reach a NaN or an infinity


def test_centered_rmsprop_with_v_just_below_m_squared_gives_nan_like_torch():
    # v = 0.25 - 2**-55 and m = 0.5: v - m² rounds below 0, where math.sqrt used to fail
    below = math.nextafter(0.25, 0.0)
    state = {"square_avg": [below, 0.25], "grad_avg": [0.5, 0.5]}
    on_values, on_tensor, ref = trajectories(
        optim.RMSprop, torch.optim.RMSprop, dict(alpha=0.75, centered=True, lr=0.125),
        [[0.5, 0.5]] * 3, [1.0, 2.0], state)
    np.testing.assert_array_equal(on_values, ref)
    np.testing.assert_array_equal(on_tensor, ref)
    assert np.isnan(ref[:, 0]).all() and np.isfinite(ref[:, 1]).all()


def test_ordinary_trajectories_agree_to_rounding():
    rng = np.random.default_rng(3)
    grads = rng.normal(size=(50, 3)).tolist()
    for (ours_cls, torch_cls), kwargs in zip(PAIRS, [dict(lr=0.05, momentum=0.9), dict(centered=True),
                                                      dict(lr=0.05), dict(lr=0.05)]):
        on_values, on_tensor, ref = trajectories(ours_cls, torch_cls, kwargs, grads, [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(on_values, on_tensor)
        np.testing.assert_allclose(on_values, ref, rtol=1e-12)


def test_set_to_none_skips_parameters_as_in_torch():
    w = torch.tensor([1.0], requires_grad=True)
    ref = torch.optim.Adam([w], lr=0.1)
    v = Value(1.0)
    opt = optim.Adam([v], lr=0.1)
    ref.zero_grad(set_to_none=True)
    opt.zero_grad(set_to_none=True)
    ref.step()
    opt.step()
    assert (w.grad, v.grad) == (None, None) and w.item() == v.data == 1.0
    assert len(ref.state) == len(opt.state) == 0
    (w * 3).sum().backward()
    (v * 3).backward()
    assert w.grad.item() == v.grad == 3.0


# ---- pickled and deep-copied graphs still give torch's gradients -------------------------
def expression(a, b, c):
    """The same expression in either engine (Values or tensors)."""
    h = (a * b).tanh() + a.exp() / (c * c) - (a ** 3).sigmoid() + (c + 2).log() + c ** a - (-b)
    return h + (1 - 2 * h).relu() + 2 ** a


@pytest.mark.parametrize("copy_graph", [lambda x: pickle.loads(pickle.dumps(x)), copy.deepcopy],
                         ids=["pickle", "deepcopy"])
def test_copied_graphs_backpropagate_torchs_gradients(copy_graph):
    start = (0.7, -1.3, 2.0)
    vs = [Value(x) for x in start]
    h = expression(*vs)
    loss = (losses.cross_entropy([[vs[0], vs[1], h], [h, vs[2], vs[0]]], [2, 0])
            + losses.binary_cross_entropy_with_logits([h, vs[0]], [1.0, 0.25])
            + losses.mse(losses.softmax(vs), [0.2, 0.3, 0.5]))
    loss2, vs2 = copy_graph((loss, vs))
    loss2.backward()
    ts = [torch.tensor(x, requires_grad=True) for x in start]
    ht = expression(*ts)
    ref = (F.cross_entropy(torch.stack([torch.stack([ts[0], ts[1], ht]), torch.stack([ht, ts[2], ts[0]])]),
                           torch.tensor([2, 0]))
           + F.binary_cross_entropy_with_logits(torch.stack([ht, ts[0]]), torch.tensor([1.0, 0.25]))
           + F.mse_loss(torch.softmax(torch.stack(ts), 0), torch.tensor([0.2, 0.3, 0.5])))
    ref.backward()
    assert loss2.data == pytest.approx(ref.item(), rel=1e-12)
    assert [v.grad for v in vs2] == pytest.approx([t.grad.item() for t in ts], rel=1e-10)
    assert [v.grad for v in vs] == [0.0, 0.0, 0.0]  # the originals are untouched
