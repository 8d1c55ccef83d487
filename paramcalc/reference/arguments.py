"""What the reference knows of each layer's constructor, apart from the specs: torch's argument
names and defaults, the kind of value each argument takes, and what torch refuses.

A layer is read as data: a mapping such as ``{"type": "Conv2d", "in_channels": 3, ...}``, or an
object with a ``type`` and attributes. Of a pydantic spec only the arguments it was given are read
(its ``model_fields_set``): a value the spec filled in or derived itself is never taken, so every
default and derived size comes from here. :func:`read` checks each argument and the rules between
them, fills torch's defaults and gives a namespace (``args.kernel_size`` is always a tuple, a
pooling ``args.stride`` None when torch takes the kernel size).

A new layer type gets an entry in :data:`SIGNATURES` (and in :data:`~paramcalc.reference.refusals.RULES`
when some arguments must fit together); the tests enumerate the registry of layer types and fail
for one missing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any, Callable

from paramcalc.errors import SpecError, short_repr
from paramcalc.reference.refusals import RULES, dims, refuse

#: Marks an argument without a default.
REQUIRED = object()

Kind = Callable[[str, str, Any], Any]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# -- Kinds of argument: each checks a given value and returns it in the form the listings read --


def integer(minimum: int | None = None) -> Kind:
    """An int (never a bool), at least ``minimum``."""
    def check(tag: str, name: str, value: Any) -> int:
        if not _is_int(value):
            raise refuse(tag, f"{name} must be an int", **{name: value})
        if minimum is not None and value < minimum:
            raise refuse(tag, f"{name} must be >= {minimum}", **{name: value})
        return value
    return check


def flag(tag: str, name: str, value: Any) -> bool:
    """True or False (not 0 or 1)."""
    if not isinstance(value, bool):
        raise refuse(tag, f"{name} must be True or False", **{name: value})
    return value


def number(low: float | None = None, high: float | None = None, above: float | None = None) -> Kind:
    """A real number within [low, high], or above ``above``."""
    def check(tag: str, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise refuse(tag, f"{name} must be a number", **{name: value})
        if (low is not None and value < low) or (high is not None and value > high) or (
            above is not None and value <= above
        ):
            raise refuse(tag, f"{name} is out of range", **{name: value})
        return value
    return check


PROBABILITY = number(0.0, 1.0)


def one_of(*options: str) -> Kind:
    def check(tag: str, name: str, value: Any) -> str:
        if value not in options:
            raise refuse(tag, f"{name} must be one of {', '.join(map(repr, options))}", **{name: value})
        return value
    return check


def optional(kind: Kind) -> Kind:
    """None, or a value of ``kind``."""
    def check(tag: str, name: str, value: Any) -> Any:
        return None if value is None else kind(tag, name, value)
    return check


def ints(minimum: int | None = None, *, single: bool = True, none: bool = False) -> Kind:
    """An int for every spatial dimension, or a tuple with one per dimension (a one-entry tuple
    stands for all when ``single``; entries may be None when ``none``)."""
    def check(tag: str, name: str, value: Any) -> tuple[Any, ...]:
        n = dims(tag)
        if _is_int(value):
            value = (value,) * n
        if not isinstance(value, (tuple, list)) or any(not (_is_int(v) or (none and v is None)) for v in value):
            raise refuse(tag, f"{name} must be an int or a tuple of {n} ints", **{name: value})
        value = tuple(value)
        if len(value) == 1 and n > 1 and single:
            value = value * n
        if len(value) != n:
            raise refuse(tag, f"{name} must be an int or a tuple of {n} ints", **{name: value})
        if minimum is not None and any(v is not None and v < minimum for v in value):
            raise refuse(tag, f"{name} must be >= {minimum}", **{name: value})
        return value
    return check


def conv_padding(tag: str, name: str, value: Any) -> Any:
    """'same', 'valid', or ints (their sign is checked with padding_mode, see :data:`RULES`)."""
    if isinstance(value, str):
        return one_of("same", "valid")(tag, name, value)
    return ints()(tag, name, value)


def shape(tag: str, name: str, value: Any) -> tuple[int, ...]:
    """A normalized shape: an int, or a non-empty tuple of sizes."""
    value = (value,) if _is_int(value) else value
    if not isinstance(value, (tuple, list)) or any(not _is_int(v) or v < 0 for v in value):
        raise refuse(tag, f"{name} must be a size or a tuple of sizes", **{name: value})
    if not value:
        raise refuse(tag, f"{name} must have at least one dimension", **{name: tuple(value)})
    return tuple(value)


def output_size(tag: str, name: str, value: Any) -> tuple[int | None, ...]:
    """Adaptive pooling's output size: an int, or a tuple whose entries may be None (2-D and 3-D)."""
    if value is None:
        raise refuse(tag, f"{name} must be an int or a tuple", **{name: value})
    return ints(0, single=False, none=dims(tag) > 1)(tag, name, value)


def pads(tag: str, name: str, value: Any) -> tuple[int, ...]:
    """A padding layer's (left, right, top, bottom, front, back): an int for all, or 2 per dimension
    (negative ones crop)."""
    n = 2 * dims(tag)
    value = (value,) * n if _is_int(value) else value
    if not isinstance(value, (tuple, list)) or len(value) != n or not all(_is_int(v) for v in value):
        raise refuse(tag, f"{name} must be an int or a tuple of {n} ints", **{name: value})
    return tuple(value)


def split_sizes(tag: str, name: str, value: Any) -> tuple[int, ...]:
    """Unflatten's sizes: a non-empty tuple of sizes, one of which may be -1 (inferred)."""
    if not isinstance(value, (tuple, list)) or not value or not all(_is_int(v) and v >= -1 for v in value):
        raise refuse(tag, f"{name} must be a non-empty tuple of sizes (one may be -1)", **{name: value})
    if list(value).count(-1) > 1:
        raise refuse(tag, f"{name} may infer one size only", **{name: tuple(value)})
    return tuple(value)


def lenet5_table() -> tuple[tuple[int, ...], ...]:
    """LeNet-5's C3 connections by the paper's rule: six maps read 3 neighbouring maps of S2, six read 4
    neighbouring ones, three read 4 in two separated pairs, the last reads all 6 (indices mod 6)."""
    def near(start: int, offsets: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted((start + o) % 6 for o in offsets))
    return (*(near(i, (0, 1, 2)) for i in range(6)), *(near(i, (0, 1, 2, 3)) for i in range(6)),
            *(near(i, (0, 1, 3, 4)) for i in range(3)), tuple(range(6)))


def connection_table(tag: str, name: str, value: Any) -> tuple[tuple[int, ...], ...]:
    """"lenet5", or one tuple of input-map indices per output map."""
    if value == "lenet5":
        return lenet5_table()
    if not isinstance(value, (tuple, list)) or not all(
        isinstance(m, (tuple, list)) and m and all(_is_int(i) and i >= 0 for i in m) for m in value
    ):
        raise refuse(tag, f"{name} must be 'lenet5' or a list of input-map lists", **{name: value})
    return tuple(tuple(m) for m in value)


def layer(expected: str, *, open_sizes: tuple[str, ...] = ()) -> Kind:
    """A nested layer of type ``expected``; ``open_sizes`` may be left out (the outer layer fills them)."""
    def check(tag: str, name: str, value: Any) -> SimpleNamespace:
        return read(value, expected=expected, open_sizes=open_sizes, within=f"{tag}.{name}")
    return check


POS, SIZE, FLAG = integer(1), integer(0), flag


def out_sizes(tag: str, name: str, value: Any) -> Any:
    """Upsample's size: None, an int, or a non-empty tuple of ints (their signs are checked with the mode)."""
    if value is None or _is_int(value):
        return value
    if isinstance(value, (tuple, list)) and value and all(_is_int(v) for v in value):
        return tuple(value)
    raise refuse(tag, f"{name} must be an int or a tuple of ints", **{name: value})


def factors(tag: str, name: str, value: Any) -> Any:
    """Upsample's scale_factor: None, a number or a non-empty tuple of numbers, kept as floats;
    torch keeps a zero as None (``float(scale_factor) if scale_factor else None``)."""
    if value is None:
        return None
    entries = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not entries or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in entries):
        raise refuse(tag, f"{name} must be a number or a tuple of numbers", **{name: value})
    if any(v != v or v in (float("inf"), float("-inf")) for v in entries):
        raise refuse(tag, f"{name} must be finite", **{name: value})
    if isinstance(value, (tuple, list)):
        return tuple(float(v) for v in entries)
    return float(value) if value != 0 else None

# -- Signatures: torch's argument names and defaults (keyword-only ones included) ----------------


def _conv() -> dict[str, tuple[Any, Kind]]:
    return {
        "in_channels": (REQUIRED, POS), "out_channels": (REQUIRED, POS),
        "kernel_size": (REQUIRED, ints(1, single=False)), "stride": (1, ints(1)), "padding": (0, conv_padding),
        "dilation": (1, ints(1)), "groups": (1, POS), "bias": (True, FLAG),
        "padding_mode": ("zeros", one_of("zeros", "reflect", "replicate", "circular")),
    }


def _conv_transpose() -> dict[str, tuple[Any, Kind]]:
    return {
        "in_channels": (REQUIRED, POS), "out_channels": (REQUIRED, POS),
        "kernel_size": (REQUIRED, ints(1, single=False)), "stride": (1, ints(1)), "padding": (0, ints(0)),
        "output_padding": (0, ints(0)), "groups": (1, POS), "bias": (True, FLAG), "dilation": (1, ints(1)),
        "padding_mode": ("zeros", one_of("zeros")),
    }


def _pool(kind: str, n: int) -> dict[str, tuple[Any, Kind]]:
    out: dict[str, tuple[Any, Kind]] = {
        "kernel_size": (REQUIRED, ints(1)), "stride": (None, optional(ints(1))), "padding": (0, ints(0)),
    }
    if kind == "Max":
        out |= {"dilation": (1, ints(1)), "return_indices": (False, FLAG), "ceil_mode": (False, FLAG)}
    else:
        out |= {"ceil_mode": (False, FLAG), "count_include_pad": (True, FLAG)}
        if n > 1:
            out["divisor_override"] = (None, optional(integer()))
    return out


def _batch_norm() -> dict[str, tuple[Any, Kind]]:
    return {
        "num_features": (REQUIRED, SIZE), "eps": (1e-5, number(above=0.0)), "momentum": (0.1, optional(number())),
        "affine": (True, FLAG), "track_running_stats": (True, FLAG), "bias": (True, FLAG),
    }


def _recurrent(kind: str) -> dict[str, tuple[Any, Kind]]:
    out: dict[str, tuple[Any, Kind]] = {
        "input_size": (REQUIRED, POS), "hidden_size": (REQUIRED, POS), "num_layers": (1, POS),
    }
    if kind == "RNN":
        out["nonlinearity"] = ("tanh", one_of("tanh", "relu"))
    out |= {"bias": (True, FLAG), "batch_first": (False, FLAG), "dropout": (0.0, PROBABILITY),
            "bidirectional": (False, FLAG)}
    if kind == "LSTM":
        out["proj_size"] = (0, SIZE)
    return out


def _transformer_layer() -> dict[str, tuple[Any, Kind]]:
    return {
        "d_model": (REQUIRED, POS), "nhead": (REQUIRED, POS), "dim_feedforward": (2048, SIZE),
        "dropout": (0.1, PROBABILITY), "activation": ("relu", one_of("relu", "gelu")),
        "layer_norm_eps": (1e-5, number()), "batch_first": (False, FLAG), "norm_first": (False, FLAG),
        "bias": (True, FLAG),
    }


_FINAL_NORM = (None, optional(layer("LayerNorm", open_sizes=("normalized_shape",))))

#: Every layer type the reference reads: argument → (torch's default or REQUIRED, kind).
SIGNATURES: dict[str, dict[str, tuple[Any, Kind]]] = {
    "Linear": {"in_features": (REQUIRED, SIZE), "out_features": (REQUIRED, SIZE), "bias": (True, FLAG)},
    **{f"Conv{n}d": _conv() for n in (1, 2, 3)},
    **{f"ConvTranspose{n}d": _conv_transpose() for n in (1, 2, 3)},
    **{f"{kind}Pool{n}d": _pool(kind, n) for kind in ("Max", "Avg") for n in (1, 2, 3)},
    **{f"AdaptiveAvgPool{n}d": {"output_size": (REQUIRED, output_size)} for n in (1, 2, 3)},
    **{f"AdaptiveMaxPool{n}d": {"output_size": (REQUIRED, output_size), "return_indices": (False, FLAG)}
       for n in (1, 2, 3)},
    "Bilinear": {"in1_features": (REQUIRED, POS), "in2_features": (REQUIRED, POS), "out_features": (REQUIRED, SIZE),
                 "bias": (True, FLAG)},
    "RNNCell": {"input_size": (REQUIRED, SIZE), "hidden_size": (REQUIRED, SIZE), "bias": (True, FLAG),
                "nonlinearity": ("tanh", one_of("tanh", "relu"))},
    **{f"{kind}Cell": {"input_size": (REQUIRED, SIZE), "hidden_size": (REQUIRED, SIZE), "bias": (True, FLAG)}
       for kind in ("LSTM", "GRU")},
    "PixelShuffle": {"upscale_factor": (REQUIRED, POS)},
    "Upsample": {"size": (None, out_sizes), "scale_factor": (None, factors),
                 "mode": ("nearest", one_of("nearest", "linear", "bilinear", "bicubic", "trilinear", "area",
                                            "nearest-exact")),
                 "align_corners": (None, optional(FLAG)), "recompute_scale_factor": (None, optional(FLAG))},
    **{alias: {"size": (None, out_sizes), "scale_factor": (None, factors)}
       for alias in ("UpsamplingNearest2d", "UpsamplingBilinear2d")},
    "PixelUnshuffle": {"downscale_factor": (REQUIRED, POS)},
    "LocalResponseNorm": {"size": (REQUIRED, integer()), "alpha": (1e-4, number()), "beta": (0.75, number()),
                          "k": (1.0, number())},
    **{f"BatchNorm{n}d": _batch_norm() for n in (1, 2, 3)},
    **{f"InstanceNorm{n}d": {
        "num_features": (REQUIRED, SIZE), "eps": (1e-5, number()), "momentum": (0.1, optional(number())),
        "affine": (False, FLAG), "track_running_stats": (False, FLAG), "bias": (True, FLAG),
    } for n in (1, 2, 3)},
    "LayerNorm": {"normalized_shape": (REQUIRED, shape), "eps": (1e-5, number()), "elementwise_affine": (True, FLAG),
                  "bias": (True, FLAG)},
    "GroupNorm": {"num_groups": (REQUIRED, POS), "num_channels": (REQUIRED, SIZE), "eps": (1e-5, number()),
                  "affine": (True, FLAG), "bias": (True, FLAG)},
    "Embedding": {
        "num_embeddings": (REQUIRED, SIZE), "embedding_dim": (REQUIRED, SIZE), "padding_idx": (None, optional(integer())),
        "max_norm": (None, optional(number())), "norm_type": (2.0, number()), "scale_grad_by_freq": (False, FLAG),
        "sparse": (False, FLAG),
    },
    "EmbeddingBag": {
        "num_embeddings": (REQUIRED, POS), "embedding_dim": (REQUIRED, POS), "max_norm": (None, optional(number())),
        "norm_type": (2.0, number()), "scale_grad_by_freq": (False, FLAG), "mode": ("mean", one_of("sum", "mean", "max")),
        "sparse": (False, FLAG), "include_last_offset": (False, FLAG), "padding_idx": (None, optional(integer())),
    },
    **{kind: _recurrent(kind) for kind in ("RNN", "LSTM", "GRU")},
    "MultiheadAttention": {
        "embed_dim": (REQUIRED, POS), "num_heads": (REQUIRED, POS), "dropout": (0.0, PROBABILITY), "bias": (True, FLAG),
        "add_bias_kv": (False, FLAG), "add_zero_attn": (False, FLAG), "kdim": (None, optional(SIZE)),
        "vdim": (None, optional(SIZE)), "batch_first": (False, FLAG),
    },
    "TransformerEncoderLayer": _transformer_layer(),
    "TransformerDecoderLayer": _transformer_layer(),
    "TransformerEncoder": {
        "encoder_layer": (REQUIRED, layer("TransformerEncoderLayer")), "num_layers": (REQUIRED, POS),
        "norm": _FINAL_NORM, "enable_nested_tensor": (True, FLAG), "mask_check": (True, FLAG),
    },
    "Flatten": {"start_dim": (1, integer()), "end_dim": (-1, integer())},
    "Dropout": {"p": (0.5, PROBABILITY), "inplace": (False, FLAG)},
    "Identity": {},
    "ReLU": {"inplace": (False, FLAG)},
    "GELU": {"approximate": ("none", one_of("none", "tanh"))},
    "Tanh": {},
    "Sigmoid": {},
    "Softmax": {"dim": (None, optional(integer()))},
    "LogSoftmax": {"dim": (None, optional(integer()))},
    **{kind: {"inplace": (False, FLAG)} for kind in ("ReLU6", "SELU", "SiLU", "Mish", "Hardswish", "Hardsigmoid")},
    "LeakyReLU": {"negative_slope": (0.01, number()), "inplace": (False, FLAG)},
    "ELU": {"alpha": (1.0, number()), "inplace": (False, FLAG)},
    "PReLU": {"num_parameters": (1, SIZE), "init": (0.25, number())},
    **{kind: {"p": (0.5, PROBABILITY), "inplace": (False, FLAG)}
       for kind in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")},
    **{f"{kind}Pad{n}d": {"padding": (REQUIRED, pads)}
       for kind in ("Zero", "Reflection", "Replication", "Circular") for n in (1, 2, 3)},
    **{f"ConstantPad{n}d": {"padding": (REQUIRED, pads), "value": (REQUIRED, number())} for n in (1, 2, 3)},
    "Unflatten": {"dim": (REQUIRED, integer()), "unflattened_size": (REQUIRED, split_sizes)},
    # The building blocks: torch.nn.RMSNorm, and the modules of Hugging Face and torchvision.
    "RMSNorm": {"normalized_shape": (REQUIRED, shape), "eps": (None, optional(number(above=0.0))),
                "elementwise_affine": (True, FLAG)},
    "SelfAttention": {
        "embed_dim": (REQUIRED, POS), "num_heads": (REQUIRED, POS), "num_kv_heads": (None, optional(POS)),
        "head_dim": (None, optional(POS)), "bias": (True, FLAG), "out_bias": (None, optional(FLAG)),
        "causal": (False, FLAG), "dropout": (0.0, PROBABILITY),
    },
    "CausalSelfAttention": {"embed_dim": (REQUIRED, POS), "num_heads": (REQUIRED, POS), "bias": (True, FLAG),
                            "dropout": (0.0, PROBABILITY)},
    "FeedForward": {
        "in_features": (REQUIRED, POS), "hidden_features": (REQUIRED, POS), "out_features": (None, optional(POS)),
        "bias": (True, FLAG), "activation": ("gelu", one_of("gelu", "gelu_tanh", "gelu_new", "relu", "silu", "tanh")),
        "dropout": (0.0, PROBABILITY),
    },
    "SwiGLU": {"in_features": (REQUIRED, POS), "hidden_features": (REQUIRED, POS),
               "out_features": (None, optional(POS)), "bias": (False, FLAG)},
    "DecoderBlock": {
        "d_model": (REQUIRED, POS), "nhead": (REQUIRED, POS), "dim_feedforward": (None, optional(POS)),
        "style": ("gpt2", one_of("gpt2", "llama")), "num_kv_heads": (None, optional(POS)),
        "bias": (None, optional(FLAG)), "norm_eps": (1e-5, number(above=0.0)), "dropout": (0.0, PROBABILITY),
    },
    "PatchEmbedding": {
        "in_channels": (REQUIRED, POS), "embed_dim": (REQUIRED, POS), "patch_size": (REQUIRED, ints(1)),
        "image_size": (REQUIRED, ints(1)), "class_token": (True, FLAG), "position_embedding": (True, FLAG),
        "bias": (True, FLAG),
    },
    "SinusoidalPositionalEncoding": {"d_model": (REQUIRED, POS), "max_len": (None, optional(POS)),
                                     "dropout": (0.0, PROBABILITY)},
    "Select": {"dim": (1, integer()), "index": (0, integer())},
    "Subsampling2d": {"channels": (REQUIRED, POS), "kernel_size": (2, ints(1))},
    "SparseConv2d": {"in_channels": (REQUIRED, POS), "out_channels": (REQUIRED, POS), "kernel_size": (REQUIRED, ints(1)),
                     "table": ("lenet5", connection_table), "bias": (True, FLAG)},
    "RBFOutput": {"in_features": (REQUIRED, POS), "out_features": (REQUIRED, POS), "trainable": (False, FLAG)},
    "TransformerDecoder": {"decoder_layer": (REQUIRED, layer("TransformerDecoderLayer")),
                           "num_layers": (REQUIRED, POS), "norm": _FINAL_NORM},
    "Transformer": {
        "d_model": (512, POS), "nhead": (8, POS), "num_encoder_layers": (6, POS), "num_decoder_layers": (6, POS),
        "dim_feedforward": (2048, SIZE), "dropout": (0.1, PROBABILITY), "activation": ("relu", one_of("relu", "gelu")),
        "layer_norm_eps": (1e-5, number(above=0.0)), "batch_first": (False, FLAG), "norm_first": (False, FLAG),
        "bias": (True, FLAG),
    },
}

# -- Reading ---------------------------------------------------------------------------------


def _as_data(layer: Any) -> tuple[Any, dict[str, Any]]:
    """(type tag, the arguments given) of a mapping, a pydantic spec or a plain object."""
    if isinstance(layer, Mapping):
        return layer.get("type"), {k: v for k, v in layer.items() if k != "type"}
    tag = getattr(layer, "type", None)
    fields_set = getattr(layer, "model_fields_set", None)
    if fields_set is not None:  # a pydantic model: what it was given, not what it filled in
        return tag, {name: getattr(layer, name) for name in fields_set if name != "type"}
    if tag is None or not hasattr(layer, "__dict__"):
        raise SpecError(f"the reference reads a layer as a mapping or an object with a type. Received: {short_repr(layer)}")
    return tag, {k: v for k, v in vars(layer).items() if k != "type"}


def unknown(tag: Any) -> SpecError:
    if isinstance(tag, str) and tag.startswith("keras."):
        return SpecError(f"{tag}: the reference lists torch.nn tensors; a Keras layer is read through its torch.nn equivalent")
    name = tag if isinstance(tag, str) else short_repr(tag)
    return SpecError(f"{name}: the reference does not know this layer")


def read(layer: Any, *, expected: str | None = None, open_sizes: tuple[str, ...] = (), within: str = "") -> SimpleNamespace:
    """The layer's arguments, checked, with torch's defaults filled in.

    Raises:
        SpecError: an unknown type or argument, a missing or invalid argument, or arguments that do
            not fit together.
    """
    tag, given = _as_data(layer)
    if expected is not None:
        if tag not in (None, expected):
            raise SpecError(f"{within}: must be a {expected}. Received: type={short_repr(tag)}")
        tag = expected
    signature = SIGNATURES.get(tag) if isinstance(tag, str) else None
    if signature is None:
        raise unknown(tag)
    extra = sorted(set(given) - set(signature), key=str)
    if extra:
        raise SpecError(f"{tag}: unexpected argument {short_repr(extra[0])}")
    values: dict[str, Any] = {}
    for name, (default, kind) in signature.items():
        if name in given and not (given[name] is None and name in open_sizes):
            values[name] = kind(tag, name, given[name])
        elif default is REQUIRED:
            if name not in open_sizes:  # (a size left open stays None: the outer layer fills it)
                raise SpecError(f"{tag}: missing argument {name}")
            values[name] = None
        else:
            values[name] = default if default is None else kind(tag, name, default)
    args = SimpleNamespace(type=tag, **values)
    rule = RULES.get(tag)
    if rule is not None:
        rule(args, given)
    return args
