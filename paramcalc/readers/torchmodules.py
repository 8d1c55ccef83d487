"""The modules of torchvision and transformers that ``print(model)`` shows, as far as the text allows.

Three kinds matter for counting a printout:

- modules printed like a torch.nn built-in (``LlamaRMSNorm((4096,), eps=1e-06)`` is an RMSNorm,
  ``LayerNorm2d((96,), ...)`` a LayerNorm, ``WhisperPositionalEmbedding(448, 384)`` an Embedding);
- containers known to hold no parameter of their own (``BasicBlock``, ``GPT2Block``): their
  children hold every parameter, so they are no reason to doubt a total;
- modules holding parameters of their own, which the text does not list: counted where the printed
  children give their size (ConvNeXt's ``layer_scale``, ViT's class token, ``T5LayerNorm``'s weight),
  otherwise named as what makes the total a lower bound.

Which transformers classes hold parameters of their own was read from the modules themselves
(``named_parameters(recurse=False)``) for every class the Hugging Face reader builds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

#: transformers model families whose module classes are known (class names begin with these).
TRANSFORMERS_PREFIXES = ("GPTNeoX", "GPT2", "Llama", "Mistral", "Qwen2", "Gemma", "Mixtral", "DistilBert", "Roberta",
                         "Bert", "T5", "ViT", "Whisper")

#: Suffixes (after a family prefix) of transformers classes holding no parameter of their own.
FREE_SUFFIXES = (
    "Model", "ForCausalLM", "LMHeadModel", "ForMaskedLM", "ForSequenceClassification", "ForConditionalGeneration",
    "ForImageClassification", "EncoderModel", "Attention", "SelfAttention", "SelfOutput", "Intermediate", "Output",
    "Pooler", "Layer", "DecoderLayer", "EncoderLayer", "Block", "MLP", "Encoder", "Decoder", "Stack", "OnlyMLMHead",
    "LMPredictionHead", "PredictionHeadTransform", "LMHead", "ClassificationHead", "SparseMoeBlock", "DenseActDense",
    "DenseGatedActDense", "LayerFF", "LayerSelfAttention", "LayerCrossAttention", "PatchEmbeddings", "Embeddings",
    "RotaryEmbedding", "DecoderWrapper",
)

#: torchvision (and DistilBERT's unprefixed) containers holding no parameter of their own.
FREE_CONTAINERS = frozenset({
    "ResNet", "BasicBlock", "Bottleneck", "VGG", "AlexNet", "DenseNet", "_DenseLayer", "_DenseBlock", "_Transition",
    "MobileNetV2", "MobileNetV3", "InvertedResidual", "Conv2dNormActivation", "Conv3dNormActivation",
    "SqueezeExcitation", "EfficientNet", "MBConv", "FusedMBConv", "ConvNeXt", "SwinTransformer",
    "SwinTransformerBlock", "SwinTransformerBlockV2", "PatchMerging", "PatchMergingV2", "MLP", "MLPBlock",
    "EncoderBlock", "GoogLeNet", "BasicConv2d", "Inception", "InceptionAux", "Inception3", "InceptionA", "InceptionB",
    "InceptionC", "InceptionD", "InceptionE", "SqueezeNet", "Fire", "ShuffleNetV2", "RegNet", "AnyStage",
    "ResBottleneckBlock", "BottleneckTransform", "SimpleStemIN", "MNASNet", "_InvertedResidual",
    "Embeddings", "FFN", "Transformer", "TransformerBlock", "MultiHeadSelfAttention",
})

#: One-line modules without parameters that torch.nn's list in the reader does not hold.
FREE_LEAVES = frozenset({"StochasticDepth", "Permute", "Sequential", "ModuleList", "ModuleDict"})


def renamed(cls: str) -> str | None:
    """The torch.nn layer a class prints like, or None."""
    if cls in ("NonDynamicallyQuantizableLinear",):
        return "Linear"
    if cls == "LayerNorm2d":
        return "LayerNorm"
    if cls.startswith(TRANSFORMERS_PREFIXES):
        if cls.endswith("RMSNorm"):
            return "RMSNorm"
        if cls.endswith(("PositionalEmbedding", "ScaledWordEmbedding")):
            return "Embedding"
    return None


def holds_nothing(cls: str, parent: str | None) -> bool:
    """Whether a container of this class is known to hold no parameter of its own."""
    if cls in OWN or (cls == "Encoder" and parent == "VisionTransformer"):
        return False
    if cls in FREE_CONTAINERS:
        return True
    for prefix in TRANSFORMERS_PREFIXES:
        if cls.startswith(prefix) and cls[len(prefix):].endswith(FREE_SUFFIXES):
            return True
    return False


def free_leaf(cls: str) -> bool:
    """Whether a one-line module of this class is known to have no parameters."""
    return cls in FREE_LEAVES or (cls.startswith(TRANSFORMERS_PREFIXES) and cls.endswith("RotaryEmbedding"))


# -- Modules with parameters of their own ---------------------------------------------------------

_INTS = re.compile(r"\d+")


def _walk(module: Any) -> Iterator[Any]:
    for child in module.children:
        yield child
        yield from _walk(child)


def _first(module: Any, classes: tuple[str, ...]) -> Any:
    return next((m for m in _walk(module) if m.cls in classes and m.args is not None), None)


def _ints(args: str | None, *keys: str) -> list[int]:
    """The leading positional integers of an argument text, or the values of ``keys`` when given."""
    text = args or ""
    if keys:
        found = [re.search(rf"{k}=(\d+)", text) for k in keys]
        return [int(m[1]) for m in found if m]
    return [int(d) for d in _INTS.findall(text.split("kernel_size")[0])]


#: (count, what it is) of parameters counted exactly, and why the rest is not known (None: all known).
Own = tuple[int, str, str | None]


def _conv_out(module: Any) -> int | None:
    conv = _first(module, ("Conv2d",))
    sizes = _ints(conv.args) if conv is not None else []
    return sizes[1] if len(sizes) >= 2 else None


def _vision_transformer(module: Any, parent: Any) -> Own | None:
    if not any(c.cls == "Encoder" for c in module.children):  # not torchvision's (its Encoder holds the positions)
        return None
    hidden = _conv_out(module)
    if hidden is None:
        return None
    return hidden, f"class_token (1, 1, {hidden})", None


def _vit_encoder(module: Any, parent: Any) -> Own | None:
    norm = next((c for c in module.children if c.cls == "LayerNorm" and c.args is not None), None)
    hidden = _ints(norm.args)[0] if norm is not None and _ints(norm.args) else None
    shown = f"(1, seq_length, {hidden})" if hidden else "(1, seq_length, hidden_dim)"
    return 0, "", (f"its pos_embedding {shown}: seq_length = (image_size / patch_size)² + 1 is not printed "
                   f"(197 for 224×224 images in 16×16 patches)")


def _hf_vit_embeddings(module: Any, parent: Any) -> Own | None:
    hidden = _conv_out(module)
    if hidden is None:
        return None
    return hidden, f"cls_token (1, 1, {hidden})", (f"its position_embeddings (1, patches + 1, {hidden}): the number of "
                                                   "patches (image size / patch size)² is not printed")


def _cn_block(module: Any, parent: Any) -> Own | None:
    conv = _first(module, ("Conv2d",))
    sizes = _ints(conv.args) if conv is not None else []
    if not sizes:
        return None
    return sizes[0], f"layer_scale ({sizes[0]}, 1, 1)", None


def _window_attention(module: Any, parent: Any) -> Own | None:
    return 0, "", ("its relative_position_bias_table ((2·window_h − 1)·(2·window_w − 1), heads): the window size and "
                   "heads are not printed")


def _experts(module: Any, parent: Any) -> Own | None:
    return 0, "", "the experts' gate_up_proj and down_proj: the number of experts and their sizes are not printed"


#: Modules with children that hold parameters of their own, by class.
OWN: dict[str, Callable[[Any, Any], Own | None]] = {
    "VisionTransformer": _vision_transformer,
    "ViTEmbeddings": _hf_vit_embeddings,
    "CNBlock": _cn_block,
    "ShiftedWindowAttention": _window_attention,
    "ShiftedWindowAttentionV2": _window_attention,
    "MixtralExperts": _experts,
}


def own_parameters(module: Any, parent: Any) -> Own | None:
    """What a module with children holds itself: (values counted, their description, what is unknown).

    None when the class is not one known to hold parameters of its own.
    """
    if module.cls == "Encoder" and parent is not None and parent.cls == "VisionTransformer":
        return _vit_encoder(module, parent)
    found = OWN.get(module.cls)
    return found(module, parent) if found is not None else None


def own_leaf(module: Any, parent: Any) -> Own | None:
    """What a one-line module holds that its line does not give: T5LayerNorm's weight, a router's."""
    if module.cls == "T5LayerNorm" and parent is not None:
        for other in _walk(parent):
            if other is module or other.args is None:
                continue
            if other.cls == "Linear":
                sizes = _ints(other.args, "in_features")
            elif other.cls == "Embedding":
                sizes = _ints(other.args)[1:2]
            else:
                continue
            if sizes:
                return sizes[0], f"weight ({sizes[0]},): d_model, read from {other.cls} {other.name}", None
        return 0, "", "T5LayerNorm's weight (d_model,): no sibling layer gives d_model"
    if module.cls.startswith(TRANSFORMERS_PREFIXES) and module.cls.endswith(("TopKRouter", "Router")):
        return 0, "", "the router's weight (experts, hidden): the number of experts is not printed"
    return None
