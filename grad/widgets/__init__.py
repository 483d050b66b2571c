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
from grad.widgets.attention import AttentionExplorer
from grad.widgets.backprop import BackpropStepper
from grad.widgets.hidden_units import HiddenUnitsExplorer
from grad.widgets.learning_rate import LearningRateExplorer
from grad.widgets.optimizers import OptimizerExplorer
from grad.widgets.progress import LiveLoss, LiveRace
from grad.widgets.regularization import RegularizationExplorer
from grad.widgets.sampling import SamplingExplorer
from grad.widgets.tangent import TangentExplorer

__all__ = ["AttentionExplorer", "BackpropStepper", "HiddenUnitsExplorer", "LearningRateExplorer",
           "LiveLoss", "LiveRace", "OptimizerExplorer", "RegularizationExplorer", "SamplingExplorer",
           "TangentExplorer"]
