"""paramcalc: exact parameter counts and output shapes of neural-network layers and models.

No deep-learning framework needed; every count equals what PyTorch (or Keras, or the textbook
formula) gives, as an exact Python int, and the working is shown.
"""

from __future__ import annotations

from paramcalc import formulas
from paramcalc.check import check
from paramcalc.errors import ModelError, ParamcalcError, SpecError
from paramcalc.parse import parse_layer
from paramcalc.results import Count, Tensor
from paramcalc.specs import (
    GELU,
    GRU,
    LSTM,
    RNN,
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LayerNorm,
    LayerSpec,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MultiheadAttention,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

__version__ = "0.1.0"

__all__ = [
    "GELU", "GRU", "LSTM", "RNN",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "Count", "Dropout", "Embedding", "Flatten", "Identity", "LayerNorm", "LayerSpec", "Linear",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "ModelError", "MultiheadAttention", "ParamcalcError",
    "ReLU", "Sigmoid", "Softmax", "SpecError", "Tanh", "Tensor",
    "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    "__version__", "check", "formulas", "parse_layer",
]
