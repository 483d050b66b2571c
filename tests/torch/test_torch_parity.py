"""Optional cross-check against PyTorch itself: `make test-torch` (installs torch 2.13.0 CPU).

The default suite checks every rule against its written formula and does not need
PyTorch; these tests run the same cases through torch.optim and torch.nn.functional.
"""
import numpy as np
import pytest

import torch

from grad import Value, losses
from grad.optim import SGD, Adam, AdamW, RMSprop

torch.set_default_dtype(torch.float64)

CASES = [
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    (SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.3, centered=True, weight_decay=0.1)),
    (RMSprop, torch.optim.RMSprop, dict()),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    (Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.3, 0.4))),
    (AdamW, torch.optim.AdamW, dict(lr=0.05)),
]


def loss_fn(x):
    return ((x - 1.5) ** 2 * x.new_tensor([1.0, 4.0, 0.5])).sum() + 0.1 * (x ** 4).sum()


@pytest.mark.parametrize("ours, theirs, kwargs", CASES)
def test_optimizer_trajectories_match_torch(ours, theirs, kwargs):
    start = [-1.0, 1.0, 3.0]
    xt = torch.tensor(start, requires_grad=True)
    opt_t = theirs([xt], **kwargs)
    xs = [Value(v) for v in start]
    opt_o = ours(xs, **kwargs)
    for step in range(60):
        opt_t.zero_grad()
        loss_fn(xt).backward()
        opt_t.step()
        grads = torch.autograd.functional.jacobian(loss_fn, torch.tensor([v.data for v in xs]))
        opt_o.zero_grad()
        for v, g in zip(xs, grads.tolist()):
            v.grad = g
        opt_o.step()
        np.testing.assert_allclose([v.data for v in xs], xt.detach().numpy(), rtol=1e-12, atol=1e-13,
                                   err_msg=f"step {step}")


def test_losses_match_torch():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(5, 4)) * 3
    labels = [0, 3, 1, 1, 2]
    vs = [[Value(s) for s in row] for row in scores]
    ours = losses.cross_entropy(vs, labels)
    st = torch.tensor(scores, requires_grad=True)
    theirs = torch.nn.functional.cross_entropy(st, torch.tensor(labels))
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose([[v.grad for v in row] for row in vs], st.grad.numpy(), rtol=1e-10, atol=1e-14)

    z, y = rng.normal(size=6) * 5, rng.uniform(size=6)
    zv = [Value(v) for v in z]
    ours = losses.binary_cross_entropy_with_logits(zv, y.tolist())
    zt = torch.tensor(z, requires_grad=True)
    theirs = torch.nn.functional.binary_cross_entropy_with_logits(zt, torch.tensor(y))
    ours.backward()
    theirs.backward()
    assert ours.data == pytest.approx(theirs.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in zv], zt.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_value_ops_match_torch():
    a, b = Value(0.7), Value(-1.3)
    out = ((a * b).tanh() + a.exp() / (b * b) - (a ** 3).sigmoid() + (a + 2).log() + (b // 0.4)) * a.relu()
    out.backward()
    at, bt = torch.tensor(0.7, requires_grad=True), torch.tensor(-1.3, requires_grad=True)
    ot = (torch.tanh(at * bt) + torch.exp(at) / (bt * bt) - torch.sigmoid(at ** 3)
          + torch.log(at + 2) + torch.div(bt, 0.4, rounding_mode="floor")) * torch.relu(at)
    ot.backward()
    assert out.data == pytest.approx(ot.item(), rel=1e-12)
    assert (a.grad, b.grad) == pytest.approx((at.grad.item(), bt.grad.item()), rel=1e-12)
