"""The course's interactive pieces (they need matplotlib and ipywidgets).

Each lives in its own module, next to the notebook that uses it:

| widget | notebook |
|---|---|
| `TangentExplorer` | 01 derivatives: secant and tangent for a slider over x and h |
| `BackpropStepper` | 04 autograd: the backward pass, one node at a time, in the drawn graph |
| `HiddenUnitsExplorer` | 06 neurons: fitting a curve with more or fewer hidden units |
| `LearningRateExplorer` | 07 training: too small, good, too large, diverging |
| `OptimizerExplorer` | 09 optimizers: paths of SGD, momentum, RMSprop, Adam on 2-D surfaces |
| `RegularizationExplorer` | 10 regularization: L2 strength against over-fitting |
| `AttentionExplorer` | 15 gpt: a trained model's attention weights, per layer, head and query |
| `SamplingExplorer` | 15 gpt: temperature and top-k over the next-token distribution, and a sample |
| `LiveLoss`, `LiveRace` | any training loop: a loss curve that redraws while it runs |
"""
import importlib

# each widget's module, imported when the widget is first asked for: a lesson that uses one
# widget does not pay for the others' imports (the attention explorer's tensor engine, ...)
_MODULES = {"AttentionExplorer": "attention", "BackpropStepper": "backprop",
            "HiddenUnitsExplorer": "hidden_units", "LearningRateExplorer": "learning_rate",
            "LiveLoss": "progress", "LiveRace": "progress", "OptimizerExplorer": "optimizers",
            "RegularizationExplorer": "regularization", "SamplingExplorer": "sampling",
            "TangentExplorer": "tangent"}
__all__ = sorted(_MODULES)


_SUBMODULES = {*_MODULES.values(), "base", "_arrays"}


def __getattr__(name: str):
    if name in _SUBMODULES:  # grad.widgets.progress, ...: the module itself
        return importlib.import_module(f"grad.widgets.{name}")
    if name not in _MODULES:
        raise AttributeError(f"module 'grad.widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"grad.widgets.{_MODULES[name]}"), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *_SUBMODULES})
