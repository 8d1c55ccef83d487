"""What torch refuses about a layer's arguments taken together (groups dividing the channels, a
pooling padding of at most half the kernel, ...), as the reference knows it: the rules
:func:`paramcalc.reference.arguments.read` applies once each argument has been checked alone."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Callable

from paramcalc.errors import SpecError, short_repr


def refuse(tag: str, rule: str, **values: Any) -> SpecError:
    """``Conv2d: groups must divide in_channels. Received: in_channels=4, groups=3``."""
    received = ", ".join(f"{k}={short_repr(v)}" for k, v in values.items())
    return SpecError(f"{tag}: {rule}. Received: {received}")


def dims(tag: str) -> int:
    """Spatial dimensions of a windowed layer: ``Conv2d`` → 2 (a patch embedding is 2-D)."""
    return int(tag[-2]) if tag[-1:] == "d" and tag[-2:-1].isdigit() else 2


def _groups(a: SimpleNamespace) -> None:
    for name in ("in_channels", "out_channels"):
        if getattr(a, name) % a.groups:
            raise refuse(a.type, f"groups must divide {name}", **{name: getattr(a, name), "groups": a.groups})


def _conv_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    _groups(a)
    if a.padding == "same" and any(s != 1 for s in a.stride):
        raise refuse(a.type, "padding='same' is not supported for strided convolutions", stride=a.stride)
    if isinstance(a.padding, tuple) and a.padding_mode == "zeros" and min(a.padding) < 0:
        raise refuse(a.type, "padding must be >= 0", padding=a.padding)
    raw = given.get("padding")
    if dims(a.type) > 1 and a.padding_mode != "zeros" and isinstance(raw, (tuple, list)) and len(raw) == 1:
        # torch pads with F.pad then, which reads a one-entry padding as the last dimension's only
        raise refuse(a.type, "padding must give every dimension with a padding_mode", padding=tuple(raw))


def _conv_transpose_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    _groups(a)
    if any(op >= s and op >= d for op, s, d in zip(a.output_padding, a.stride, a.dilation)):
        raise refuse(a.type, "output_padding must be smaller than either stride or dilation",
                     output_padding=a.output_padding, stride=a.stride, dilation=a.dilation)


def _pool_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    # torch wants a padding of at most half the kernel, in every dimension
    if any(2 * p > k for p, k in zip(a.padding, a.kernel_size)):
        raise refuse(a.type, "padding should be at most half of kernel_size", padding=a.padding,
                     kernel_size=a.kernel_size)
    if getattr(a, "divisor_override", None) == 0:
        raise refuse(a.type, "divisor_override must not be zero", divisor_override=0)


def _batch_norm_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if a.affine and a.num_features == 0:
        raise refuse(a.type, "num_features must be positive with a scale and shift", num_features=0)


def _group_norm_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if a.num_channels % a.num_groups:
        raise refuse(a.type, "num_groups must be positive and divide num_channels", num_groups=a.num_groups,
                     num_channels=a.num_channels)


def _embedding_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if a.padding_idx is not None and not -a.num_embeddings <= a.padding_idx < a.num_embeddings:
        raise refuse(a.type, "padding_idx must index the table", padding_idx=a.padding_idx,
                     num_embeddings=a.num_embeddings)


def _embedding_bag_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    _embedding_rules(a, given)
    for name in ("scale_grad_by_freq", "sparse"):
        if a.mode == "max" and getattr(a, name):
            raise refuse(a.type, f"max mode does not support {name}", mode=a.mode, **{name: True})


#: The modes that weigh neighbours (and take align_corners), and the spatial dimensions each mode runs on.
_INTERPOLATING = {"linear": (1,), "bilinear": (2,), "bicubic": (2,), "trilinear": (3,)}
_MODE_DIMS = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "area": (1, 2, 3), **_INTERPOLATING}


def upsample_mode(a: SimpleNamespace) -> str:
    """The mode of an Upsample, or the one its alias fixes."""
    return {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}.get(a.type) or a.mode


def _upsample_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    mode = upsample_mode(a)
    if a.size is not None and a.scale_factor is not None:
        raise refuse(a.type, "only one of size or scale_factor should be defined", size=a.size,
                     scale_factor=a.scale_factor)
    if a.size is None and a.scale_factor is None:
        raise refuse(a.type, "either size or scale_factor should be defined", size=None, scale_factor=None)
    if getattr(a, "align_corners", None) is not None and mode not in _INTERPOLATING:
        raise refuse(a.type, "align_corners only with the interpolating modes", mode=mode)
    if getattr(a, "recompute_scale_factor", None) and a.size is not None:
        raise refuse(a.type, "recompute_scale_factor is not meaningful with an explicit size", size=a.size)
    what = "size" if a.size is not None else "scale_factor"
    value = getattr(a, what)
    if isinstance(value, tuple) and len(value) not in _MODE_DIMS[mode]:
        raise refuse(a.type, f"{what} does not fit the spatial dimensions of mode {mode}", **{what: value})
    values = value if isinstance(value, tuple) else (value,)
    if mode != "area" and any(v <= 0 for v in values):  # an output size below 1 for every input
        raise refuse(a.type, f"{what} leaves no output", **{what: value})
    if mode == "area" and what == "size" and any(v < 0 for v in values):
        raise refuse(a.type, "an adaptive pooling to a negative size", size=value)


def _lstm_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if a.proj_size >= a.hidden_size:
        raise refuse(a.type, "proj_size must be smaller than hidden_size", proj_size=a.proj_size,
                     hidden_size=a.hidden_size)


def _divisible(width: str, heads: str) -> Callable[[SimpleNamespace, Mapping[str, Any]], None]:
    def rule(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
        if getattr(a, width) % getattr(a, heads):
            raise refuse(a.type, f"{width} must be divisible by {heads}", **{width: getattr(a, width),
                                                                            heads: getattr(a, heads)})
    return rule


def _stack_rules(layer_field: str) -> Callable[[SimpleNamespace, Mapping[str, Any]], None]:
    def rule(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
        d = getattr(a, layer_field).d_model
        if a.norm is not None:
            if a.norm.normalized_shape is None:  # left to the stack: the layers' width
                a.norm.normalized_shape = (d,)
            # a norm over more than the last dimension: the encoder stack checks its trailing
            # dimensions on the input, as torch does; paramcalc's decoder stack takes (d_model,) only
            if a.norm.normalized_shape[-1] != d or (layer_field == "decoder_layer" and len(a.norm.normalized_shape) > 1):
                raise refuse(a.type, "norm must normalize over d_model", normalized_shape=a.norm.normalized_shape,
                             d_model=d)
    return rule


def _self_attention_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if a.head_dim is None:
        _divisible("embed_dim", "num_heads")(a, given)
    if a.num_kv_heads is not None and a.num_heads % a.num_kv_heads:
        raise refuse(a.type, "num_heads must be a multiple of num_kv_heads", num_heads=a.num_heads,
                     num_kv_heads=a.num_kv_heads)


def _decoder_block_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    _divisible("d_model", "nhead")(a, given)
    if a.num_kv_heads is not None:
        if a.style == "gpt2" and a.num_kv_heads != a.nhead:
            raise refuse(a.type, "GPT-2 has as many key/value heads as heads", num_kv_heads=a.num_kv_heads)
        if a.nhead % a.num_kv_heads:
            raise refuse(a.type, "nhead must be a multiple of num_kv_heads", nhead=a.nhead, num_kv_heads=a.num_kv_heads)


def _patch_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    if any(i % p for i, p in zip(a.image_size, a.patch_size)):
        raise refuse(a.type, "patch_size must divide image_size", image_size=a.image_size, patch_size=a.patch_size)


#: Rules between a layer's arguments, by type.
def _table_rules(a: SimpleNamespace, given: Mapping[str, Any]) -> None:
    """A connection table: one entry per output map, each naming distinct existing input maps."""
    if len(a.table) != a.out_channels:
        raise refuse(a.type, "the table needs one entry per output map", out_channels=a.out_channels)
    for maps in a.table:
        if len(set(maps)) != len(maps) or max(maps) >= a.in_channels:
            raise refuse(a.type, "each table entry names distinct input maps below in_channels", table=a.table)


RULES: dict[str, Callable[[SimpleNamespace, Mapping[str, Any]], None]] = {
    **{f"Conv{n}d": _conv_rules for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_transpose_rules for n in (1, 2, 3)},
    **{f"{kind}Pool{n}d": _pool_rules for kind in ("Max", "Avg") for n in (1, 2, 3)},
    **{f"BatchNorm{n}d": _batch_norm_rules for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": _batch_norm_rules for n in (1, 2, 3)},
    "GroupNorm": _group_norm_rules,
    "Embedding": _embedding_rules,
    "EmbeddingBag": _embedding_bag_rules,
    **dict.fromkeys(("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"), _upsample_rules),
    "LSTM": _lstm_rules,
    "MultiheadAttention": _divisible("embed_dim", "num_heads"),
    "TransformerEncoderLayer": _divisible("d_model", "nhead"),
    "TransformerDecoderLayer": _divisible("d_model", "nhead"),
    "TransformerEncoder": _stack_rules("encoder_layer"),
    "TransformerDecoder": _stack_rules("decoder_layer"),
    "Transformer": _divisible("d_model", "nhead"),
    "SelfAttention": _self_attention_rules,
    "CausalSelfAttention": _divisible("embed_dim", "num_heads"),
    "DecoderBlock": _decoder_block_rules,
    "PatchEmbedding": _patch_rules,
    "SparseConv2d": _table_rules,
}
