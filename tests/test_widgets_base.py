"""The widgets' shared parts: static snapshots and the live loss plot."""
import base64

import matplotlib
import matplotlib.pyplot as plt

from grad.widgets import LiveLoss
from grad.widgets.base import Explorer, png_bundle

matplotlib.use("Agg")


class Square(Explorer):
    def snapshot(self):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        bundle = png_bundle(fig)
        plt.close(fig)
        return bundle


def test_explorer_carries_a_picture_of_its_state():
    data = Square()._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert "run this notebook" in data["text/plain"]


def test_a_failing_snapshot_still_shows_the_widget():
    class Broken(Explorer):
        def snapshot(self):
            raise RuntimeError("no picture")
    assert "application/vnd.jupyter.widget-view+json" in Broken()._repr_mimebundle_()


def test_live_loss_records_every_step_and_draws_the_last():
    live = LiveLoss(total=5, interval=0.0)
    for k in range(5):
        live.update(1.0 / (k + 1))
    live.done()
    assert live.losses == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert live.ax.get_title() == "training: step 5 of 5, loss 0.2000"
    line = live.ax.get_lines()[0]
    assert list(line.get_ydata()) == live.losses


def test_live_loss_without_a_total_extends_its_axis():
    live = LiveLoss(interval=0.0)
    for k in range(7):
        live.update(2.0 - k * 0.1)
    live.done()
    assert live.ax.get_xlim()[1] == 7 and live.ax.get_title().startswith("training: step 7, loss")
