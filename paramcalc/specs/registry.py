"""Every layer class by its ``type`` tag, and the family module that defines it, loaded on first use.

A query loads only the families it uses. A family module that needs a class of another framework
(the Keras layers a PyTorch layer is counted as, or the torch.nn module a Keras layer stands for)
looks it up here by tag instead of importing that family: families never import each other in a
cycle. A new PyTorch layer type is listed in ``_TORCH`` with its family module.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Every PyTorch layer (torch.nn's and the building blocks) in the order listings show them → its family module.
_TORCH = {
    "Linear": "linear",
    "Bilinear": "linear",
    **dict.fromkeys(("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"), "conv"),
    **dict.fromkeys((
        "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
        "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
        "AdaptiveMaxPool3d",
    ), "pool"),
    **dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm"), "norm"),
    **dict.fromkeys(("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"), "instance_norm"),
    "LocalResponseNorm": "response_norm",
    "Embedding": "linear",
    "EmbeddingBag": "linear",
    **dict.fromkeys(("RNN", "LSTM", "GRU"), "recurrent"),
    **dict.fromkeys(("RNNCell", "LSTMCell", "GRUCell"), "cells"),
    **dict.fromkeys(
        ("MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer"), "attention"
    ),
    **dict.fromkeys(("Flatten", "Unflatten", "Dropout", "Identity"), "linear"),
    **dict.fromkeys(("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"), "dropout"),
    **dict.fromkeys((
        "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "GELU", "Mish", "Hardswish", "Hardsigmoid", "Tanh",
        "Sigmoid", "Softmax", "LogSoftmax", "PReLU",
    ), "activation"),
    **dict.fromkeys((
        f"{kind}{n}d" for kind in ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
        for n in (1, 2, 3)
    ), "padding"),
    **dict.fromkeys(("PixelShuffle", "PixelUnshuffle"), "pixel_shuffle"),
    **dict.fromkeys(("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"), "upsample"),
    "RMSNorm": "blocks.norm",
    **dict.fromkeys(("SelfAttention", "CausalSelfAttention"), "blocks.attention"),
    **dict.fromkeys(("FeedForward", "SwiGLU"), "blocks.mlp"),
    "DecoderBlock": "blocks.decoder",
    **dict.fromkeys(("PatchEmbedding", "SinusoidalPositionalEncoding", "Select"), "blocks.vision"),
    **dict.fromkeys(("TransformerDecoder", "Transformer"), "blocks.transformer"),
    **dict.fromkeys(("Subsampling2d", "SparseConv2d", "RBFOutput"), "classic"),
}


def names(framework: str) -> tuple[str, ...]:
    """The layer names of ``framework`` ("pytorch" or "keras"), in listing order, without loading them."""
    if framework == "pytorch":
        return tuple(_TORCH)
    return tuple(layers("keras"))


def layers(framework: str) -> dict[str, Any]:
    """Every layer class of ``framework`` ("pytorch" or "keras") by class name (all families loaded)."""
    if framework == "pytorch":
        return {name: _torch_class(name) for name in _TORCH}
    return dict(import_module("paramcalc.specs.keras").KERAS_LAYERS)


def layer_class(tag: str) -> Any:
    """The class of a ``type`` tag: ``"LSTM"`` is torch.nn's, ``"keras.LSTM"`` Keras's.

    Raises:
        KeyError: no layer has that tag.
    """
    if tag.startswith("keras."):
        return layers("keras")[tag.removeprefix("keras.")]
    return _torch_class(tag)


def _torch_class(name: str) -> Any:
    return getattr(import_module(f"paramcalc.specs.{_TORCH[name]}"), name)
