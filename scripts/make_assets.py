"""Regenerate the images in assets/ from the package (`make assets`).

    python scripts/make_assets.py [output folder, default: assets]
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

from grad import Value, draw_dot  # noqa: E402
from grad.losses import hinge  # noqa: E402
from grad.nn import MLP, l2_penalty  # noqa: E402
from grad.optim import SGD  # noqa: E402
from grad.viz import use_course_style  # noqa: E402


def lecture_neuron() -> tuple[Value, Value]:
    """The lecture's tanh neuron: its output o and its pre-activation n."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1; x1w1.label = "x1*w1"
    x2w2 = x2 * w2; x2w2.label = "x2*w2"
    s = x1w1 + x2w2; s.label = "x1w1 + x2w2"
    n = s + b; n.label = "n"
    o = n.tanh(); o.label = "o"
    return o, n


def neuron_graph(folder: Path) -> Path:
    """The lecture's tanh neuron after backward(): every box shows data and grad."""
    o, n = lecture_neuron()
    o.backward()
    target = folder / "neuron_graph"
    draw_dot(o, highlight={n: "#fde047"}).render(target, format="png", cleanup=True)
    return target.with_suffix(".png")


def backprop_step(folder: Path) -> Path:
    """Notebook 04's step-through widget, mid-way through the backward pass."""
    from grad.widgets import BackpropStepper
    o, _ = lecture_neuron()
    stepper = BackpropStepper(o, step=3)
    target = folder / "backprop_step"
    stepper.graph.render(target, format="png", cleanup=True)
    return target.with_suffix(".png")


def moons_training(folder: Path) -> Path:
    """micrograd's demo trained with grad: the loss curve and the decision boundary."""
    use_course_style()
    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    y = y * 2 - 1
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    opt = SGD(model.parameters(), lr=1.0)
    losses = []
    for k in range(60):
        scores = [model(row) for row in X]
        loss = hinge(scores, y) + 1e-4 * l2_penalty(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / 100
        opt.step()
        losses.append(loss.data)
    accuracy = np.mean([(s.data > 0) == (t > 0) for s, t in zip(scores, y)])

    xx, yy = np.meshgrid(np.linspace(-1.6, 2.6, 70), np.linspace(-1.1, 1.6, 50))
    zz = np.array([model(p).data for p in np.c_[xx.ravel(), yy.ravel()]]).reshape(xx.shape)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(range(1, len(losses) + 1), losses)
    ax1.set(xlabel="step", ylabel="loss (hinge + L2)", title="training with grad")
    ax2.contourf(xx, yy, zz > 0, levels=1, colors=["#bfdbfe", "#fecaca"], alpha=0.9)  # score < 0: blue class, > 0: red
    ax2.contour(xx, yy, zz, levels=[0], colors="k", linewidths=1)
    ax2.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolors="k", s=30)
    ax2.set(xlabel="$x_1$", ylabel="$x_2$", title=f"decision boundary, accuracy {accuracy:.0%}")
    ax2.grid(False)
    fig.tight_layout()
    target = folder / "moons_training.png"
    fig.savefig(target)
    plt.close(fig)
    return target


def main(folder: str = "assets") -> list[Path]:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    return [neuron_graph(out), backprop_step(out), moons_training(out)]


if __name__ == "__main__":
    for path in main(*sys.argv[1:]):
        print("wrote", path)
