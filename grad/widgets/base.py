"""What the course's widgets share: a picture of their state for places widgets cannot run."""
from __future__ import annotations

import base64
import io

import ipywidgets as widgets


class Explorer(widgets.VBox):
    """A VBox that also carries a picture of its current state.

    JupyterLab shows the live widget; GitHub, nbviewer and a notebook opened before its
    kernel runs show the picture instead, so the default state is a lesson on its own.
    Subclasses override `snapshot()` to return a MIME bundle such as `png_bundle(fig)`.
    """

    def snapshot(self) -> dict[str, str]:
        return {}

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        data["text/plain"] = f"{type(self).__name__}: run this notebook in Jupyter to use the sliders"
        try:
            data.update(self.snapshot())
        except Exception:  # a picture is a nicety; never let it hide the widget
            pass
        return data


def png_bundle(fig) -> dict[str, str]:
    """A matplotlib figure as a MIME bundle entry (base64 PNG)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return {"image/png": base64.b64encode(buffer.getvalue()).decode("ascii")}


class DivergenceMarker:
    """A red line and label, "diverged at step k", on a loss plot; hidden until needed."""

    def __init__(self, ax, fontsize: int = 11):
        self.line = ax.axvline(1, color="#b91c1c", lw=1.5, ls="--", visible=False)
        self.text = ax.text(1, 0.5, "", transform=ax.get_xaxis_transform(), color="#b91c1c",
                            fontsize=fontsize, va="center", visible=False)

    def show(self, step, steps: int) -> None:
        """Mark `step` (None hides the marker); the label stays inside a plot of `steps`."""
        visible = step is not None
        self.line.set_visible(visible)
        self.text.set_visible(visible)
        if visible:
            self.line.set_xdata([step, step])
            self.text.set_x(step)
            self.text.set_text(f" diverged at \n step {step} ")
            self.text.set_horizontalalignment("right" if step > 0.6 * steps else "left")
