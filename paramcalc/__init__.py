"""paramcalc: exact parameter counts and output shapes of neural-network layers and models.

No deep-learning framework needed; every count equals what PyTorch (or Keras, or the textbook
formula) gives, as an exact Python int, and the working is shown.
"""

from __future__ import annotations

from paramcalc.errors import ModelError, ParamcalcError, ShapeMismatchError, SpecError

#: PyTorch layer specs (``paramcalc.specs``), loaded on first use like everything below.
_TORCH_EXPORTS = (
    "GELU",
    "GRU",
    "LSTM",
    "RNN",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Dropout",
    "Embedding",
    "Flatten",
    "GroupNorm",
    "Identity",
    "LayerNorm",
    "LayerSpec",
    "Linear",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "MultiheadAttention",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    # activations, dropouts, padding and reshaping
    "Bilinear",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "PixelShuffle",
    "PixelUnshuffle",
    "ReLU6",
    "LeakyReLU",
    "ELU",
    "SELU",
    "SiLU",
    "Mish",
    "Hardswish",
    "Hardsigmoid",
    "LogSoftmax",
    "PReLU",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "Unflatten",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LocalResponseNorm",
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "EmbeddingBag",
)

__version__ = "0.1.0"

__all__ = [
    "GELU", "GRU", "LSTM", "RNN",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "Count", "Dropout", "Embedding", "Flatten", "GroupNorm", "Identity", "LayerNorm", "LayerSpec", "Linear",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "ModelError", "MultiheadAttention", "ParamcalcError",
    "ReLU", "ShapeMismatchError", "Sigmoid", "Softmax", "SpecError", "Tanh", "Tensor",
    "TransformerDecoderLayer", "TransformerEncoder", "TransformerEncoderLayer",
    "__version__", "check", "formulas", "parse_layer",
    "RNNCell", "LSTMCell", "GRUCell", "PixelShuffle", "PixelUnshuffle",
    "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d", "Bilinear",
    "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "LogSoftmax", "PReLU",
    "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout", "Unflatten",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d",
    "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LocalResponseNorm",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "EmbeddingBag",
]

#: Keras layer specs whose names PyTorch does not use; the shared ones (LSTM, GRU, Embedding,
#: Flatten, Dropout) are PyTorch's here and Keras's as ``paramcalc.keras_layers.LSTM`` etc.
_KERAS_EXPORTS = (
    "Activation", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "BatchNormalization",
    "Bidirectional", "Conv1D", "Conv1DTranspose", "Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose",
    "Dense", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GroupNormalization",
    "GroupQueryAttention", "LayerNormalization", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "MultiHeadAttention",
    "RMSNormalization", "SimpleRNN",
    # merge layers, called on a list of inputs
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
)
__all__ += ["Comparison", "compare", "keras_layers", *_KERAS_EXPORTS]

#: Every other public name, loaded on first use: name → module. ``import paramcalc`` stays cheap,
#: so a terminal query pays only for what it uses.
_LAZY = {
    **{name: "paramcalc.specs" for name in _TORCH_EXPORTS},
    "formulas": "paramcalc.formulas", "parse_layer": "paramcalc.specs.parse", "check": "paramcalc.checking",
    "check_sheet": "paramcalc.checking.sheet",
    "mistakes": "paramcalc.checking.mistakes",
    "Count": "paramcalc.results", "Tensor": "paramcalc.results",
    "Comparison": "paramcalc.conventions", "compare": "paramcalc.conventions",
    # Compute and memory.
    "Compute": "paramcalc.results", "layer_compute": "paramcalc.analysis.compute",
    "model_compute": "paramcalc.analysis.compute",
    "Memory": "paramcalc.analysis.memory", "layer_memory": "paramcalc.analysis.memory",
    "model_memory": "paramcalc.analysis.memory", "plan_memory": "paramcalc.analysis.planning",
    "LoRA": "paramcalc.analysis.adapters", "layer_activations": "paramcalc.analysis.activations",
    # Convolution arithmetic: one window, receptive fields, inverse questions.
    **dict.fromkeys(("window_report", "receptive_field", "solve", "output_neurons"), "paramcalc.analysis.window"),
    "closed_form": "paramcalc.formulas.closed_forms",
    # Whole models: model files, summaries, presets, print(model) text.
    "Model": "paramcalc.models.format", "load_model": "paramcalc.models.format", "Summary": "paramcalc.models.summary",
    "summarize": "paramcalc.readers", "load_preset": "paramcalc.models.presets",
    "list_presets": "paramcalc.models.presets", "summarize_torch_print": "paramcalc.readers.torchprint",
    # The building blocks of modern architectures.
    **{name: "paramcalc.specs.blocks" for name in (
        "RMSNorm", "SelfAttention", "CausalSelfAttention", "FeedForward", "SwiGLU", "DecoderBlock",
        "PatchEmbedding", "SinusoidalPositionalEncoding", "Select", "TransformerDecoder", "Transformer",
    )},
}
__all__ += [name for name in _LAZY if name not in __all__]

#: Modules loaded as a whole under their own name (``paramcalc.mistakes.CATALOGUE``).
_MODULES = ("formulas", "mistakes")

#: The renderer loaded with a name whose results it draws, so that ``rich.print(result)`` shows what
#: the CLI shows (paramcalc.forms): summaries, and checked answers.
_RENDERERS = {
    **{name: "paramcalc.render.summary" for name in (
        "Model", "load_model", "Summary", "summarize", "load_preset", "summarize_torch_print",
    )},
    **dict.fromkeys(("check", "check_sheet"), "paramcalc.render.check"),
    **dict.fromkeys(("Memory", "layer_memory", "model_memory", "plan_memory"), "paramcalc.render.memory"),
    **dict.fromkeys(("Compute", "layer_compute", "model_compute"), "paramcalc.render.compute"),
}


def __getattr__(name: str) -> object:
    """Load a public name on first use (a PyTorch-only query never pays for Keras, models or checking)."""
    if name in _LAZY:
        import importlib

        module = importlib.import_module(_LAZY[name])
        value = module if name in _MODULES else getattr(module, name)
        if name in _RENDERERS:
            importlib.import_module(_RENDERERS[name])
        globals()[name] = value
        return value
    if name == "keras_layers" or name in _KERAS_EXPORTS:
        import importlib

        keras_layers = importlib.import_module("paramcalc.keras_layers")
        return keras_layers if name == "keras_layers" else getattr(keras_layers, name)
    raise AttributeError(f"module 'paramcalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, the ones loaded on first use included (for completion and ``dir(paramcalc)``)."""
    return sorted(set(globals()) | set(__all__))
