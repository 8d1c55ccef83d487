"""What the Typer commands share: the options of a layer query, the commands generated from the
layer specs (one per layer type, options named after its arguments), and the root command group.

Reading shapes, printing and the one place errors are shown live in :mod:`paramcalc.clicore`
(no Typer there: a plain ``paramcalc layer`` query runs without it) and are re-exported here.
Nothing here imports Rich, the renderer or the explanations at module level: a command imports
what it needs when it runs, so ``paramcalc --help`` and a single query start fast.
"""

from __future__ import annotations

import difflib
import inspect
import os
import re
import sys
import types
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from typer.core import TyperGroup

from paramcalc.clicore import (  # noqa: F401 - re-exported for the command modules
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_WRONG,
    MAX_WIDTH,
    Convention,
    boundary,
    fail,
    internal_error,
    make_console,
    one_line,
    parse_shape,
    parse_shapes,
    print_json,
    print_rich,
    show_layer,
)
from paramcalc.errors import ParamcalcError

try:  # typer >= 0.20 ships its own copy of click
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer runs on click itself
    import click  # type: ignore[no-redef]

# -- The options of a layer query ---------------------------------------------------------------

INPUT_SHAPE_HELP = (
    "Input shape with the batch dimension, as 32,50,100 or 32x50x100; several inputs "
    "(query;key;value, tgt;memory) separated by ';'."
)
CONVENTION_HELP = "Count as pytorch, keras or textbook. Default: keras for Keras layers, else pytorch."
ALL_CONVENTIONS_HELP = "Also show the count under every convention, side by side, with the reason for each difference."
JSON_HELP = "Print one JSON document (the schema is in the README) and nothing else."



# -- Layer types and their commands ------------------------------------------------------------


def keras_layers() -> dict[str, type]:
    """Keras layer specs by Keras class name, or {} while the Keras names are not available."""
    try:
        from paramcalc import keras_layers as module
    except ImportError:
        return {}
    return dict(getattr(module, "KERAS_LAYERS", {}))


def layer_commands() -> dict[str, tuple[str, type]]:
    """Command name → (layer name, spec class): PyTorch's names lowercased, then Keras's.

    A Keras name whose lowercase form is taken by a PyTorch layer (Conv2D and Conv2d, LSTM)
    becomes ``keras-<name>``.
    """
    from paramcalc.specs import TORCH_LAYERS

    commands = {name.lower(): (name, cls) for name, cls in TORCH_LAYERS.items()}
    for name, cls in keras_layers().items():
        key = name.lower()
        if key in commands:
            if commands[key][1] is cls:
                continue
            key = f"keras-{key}"
        commands[key] = (name, cls)
    return commands


def command_for(name: str) -> str | None:
    """The command of a layer given by its class name (``Conv2D`` → ``keras-conv2d``), command name, or any case."""
    commands = layer_commands()
    for key, (layer, _) in commands.items():
        if layer == name:
            return key
    key = name.lower()
    return key if key in commands else None


#: What each constructor argument means, for the generated options' help (specs may override with
#: a Field description).
ARGUMENT_HELP = {
    "in_features": "size of each input sample (the last dimension)",
    "out_features": "size of each output sample",
    "bias": "learn an additive bias",
    "in_channels": "channels of the input",
    "out_channels": "channels of the output (number of filters)",
    "kernel_size": "size of the window",
    "stride": "step between windows",
    "padding": "zeros added on both sides of each spatial dimension",
    "dilation": "spacing between kernel elements",
    "groups": "split the channels into this many blocked groups",
    "padding_mode": "how the padding values are made",
    "output_padding": "extra size added to one side of each output dimension",
    "return_indices": "also return the positions of the maxima",
    "ceil_mode": "round output sizes up instead of down",
    "count_include_pad": "count the zero-padding in the average",
    "divisor_override": "divide by this instead of the window size",
    "output_size": "target output size; none keeps the input size",
    "num_features": "channels C of an (N, C, ...) input",
    "eps": "added to the variance for numerical stability",
    "momentum": "weight of the newest batch in the running statistics; none for a plain average",
    "affine": "learn a scale (gamma) and a shift (beta)",
    "track_running_stats": "keep a running mean and variance (buffers)",
    "normalized_shape": "trailing dimensions to normalise over",
    "num_groups": "groups the channels are split into (must divide num_channels)",
    "num_channels": "channels C of an (N, C, ...) input",
    "elementwise_affine": "learn a scale (and a shift, with bias) per value",
    "num_embeddings": "size of the vocabulary",
    "embedding_dim": "size of each embedding vector",
    "padding_idx": "index whose vector gets no gradient",
    "max_norm": "renormalise vectors longer than this",
    "norm_type": "p of the p-norm for max_norm",
    "scale_grad_by_freq": "scale gradients by inverse word frequency",
    "sparse": "sparse gradients",
    "input_size": "features of each input step",
    "hidden_size": "features of the hidden state",
    "num_layers": "number of stacked layers",
    "nonlinearity": "activation of the cell",
    "batch_first": "inputs and outputs are (N, L, H) instead of (L, N, H)",
    "dropout": "dropout probability",
    "bidirectional": "also run over the reversed sequence",
    "proj_size": "project the hidden state to this size (0: no projection)",
    "embed_dim": "model dimension E (query features)",
    "num_heads": "parallel attention heads (embed_dim must divide evenly)",
    "add_bias_kv": "learn a bias key and value appended to the sequence",
    "add_zero_attn": "append a zero key and value",
    "kdim": "key features (default: embed_dim)",
    "vdim": "value features (default: embed_dim)",
    "d_model": "model dimension d",
    "nhead": "attention heads",
    "dim_feedforward": "hidden size of the feed-forward block",
    "activation": "activation function",
    "layer_norm_eps": "eps of the LayerNorms",
    "norm_first": "normalise before attention and feed-forward (pre-norm)",
    "encoder_layer": "the layer to stack, as an expression such as 'TransformerEncoderLayer(512, 8)'",
    "decoder_layer": "the layer to stack, as an expression such as 'TransformerDecoderLayer(512, 8)'",
    "norm": "a final norm, as an expression such as 'LayerNorm(512)'",
    "enable_nested_tensor": "use nested tensors for padded batches (no effect on counts)",
    "mask_check": "check the mask (no effect on counts)",
    "start_dim": "first dimension to flatten",
    "end_dim": "last dimension to flatten",
    "p": "probability of zeroing an element",
    "inplace": "operate in place",
    "approximate": "tanh approximation of GELU",
    "dim": "dimension along which softmax sums to 1",
    "units": "output features (Keras)",
    "filters": "output channels (Keras)",
    "use_bias": "learn an additive bias (Keras)",
    "strides": "step between windows (Keras)",
    "dilation_rate": "spacing between kernel elements (Keras)",
    "pool_size": "size of the pooling window (Keras)",
    "data_format": "channels_last (N, ..., C) or channels_first (N, C, ...)",
    "input_dim": "size of the vocabulary (Keras)",
    "output_dim": "size of each embedding vector (Keras)",
    "return_sequences": "return the whole sequence, not only the last output",
    "return_state": "also return the final states",
    "reset_after": "apply the reset gate after the matrix product (two bias vectors)",
    "key_dim": "size of each attention head for query and key (Keras)",
    "value_dim": "size of each attention head for value (Keras)",
    "center": "learn a shift (beta)",
    "scale": "learn a scale (gamma)",
    "merge_mode": "how the two directions are combined",
    "layer": "the wrapped layer, as an expression such as 'layers.LSTM(64)'",
    "num_kv_heads": "key/value heads for grouped-query attention (default: num_heads)",
    "head_dim": "size of each head (default: embed_dim / num_heads)",
    "out_bias": "bias on the output projection (default: bias)",
    "causal": "mask future positions",
    "hidden_features": "hidden size of the feed-forward block",
    "style": "block layout: gpt2 (LayerNorm, GELU MLP) or llama (RMSNorm, SwiGLU)",
    "norm_eps": "eps of the norms",
    "patch_size": "side of each square patch",
    "image_size": "side of the input image",
    "class_token": "prepend a learned class token",
    "position_embedding": "add learned position embeddings",
    "max_len": "longest sequence the encoding table covers",
    "index": "index to take along dim",
    "num_encoder_layers": "encoder layers",
    "num_decoder_layers": "decoder layers",
    "trainable": "train the weights (false: Keras counts them all as non-trainable)",
    "keepdims": "keep the pooled dimensions with size 1",
    "axis": "axis or axes to normalise over (Keras)",
    "epsilon": "added to the variance for numerical stability (Keras)",
    "mask_zero": "treat index 0 as padding to mask",
    "recurrent_dropout": "dropout on the recurrent state",
    "go_backwards": "process the sequence backwards",
    "stateful": "carry the state over between batches",
    "unroll": "unroll the loop",
    "seed": "random seed for dropout",
    "recurrent_activation": "activation of the gates",
    "unit_forget_bias": "start the forget-gate bias at 1",
    "output_shape": "output features (default: the query's features)",
    "rate": "fraction of the inputs to drop (Keras)",
    "noise_shape": "shape of the dropout mask",
}

#: Example queries by command: the expression and an input shape. A layer command's example options
#: are derived from the expression, so both forms of every example stay in step (tests run them).
EXAMPLES: dict[str, tuple[str, str]] = {
    # PyTorch
    "linear": ("Linear(100, 10)", "32,100"),
    "conv1d": ("Conv1d(16, 33, 3, stride=2)", "20,16,50"),
    "conv2d": ("Conv2d(3, 64, kernel_size=3, padding=1)", "1,3,224,224"),
    "conv3d": ("Conv3d(16, 33, kernel_size=3, stride=2)", "20,16,10,50,100"),
    "convtranspose1d": ("ConvTranspose1d(16, 33, 3, stride=2)", "20,16,50"),
    "convtranspose2d": ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", "1,16,28,28"),
    "convtranspose3d": ("ConvTranspose3d(16, 33, 3, stride=2)", "20,16,10,50,100"),
    "maxpool1d": ("MaxPool1d(3, stride=2)", "20,16,50"),
    "maxpool2d": ("MaxPool2d(3, stride=2, ceil_mode=True)", "1,64,112,112"),
    "maxpool3d": ("MaxPool3d(3, stride=2)", "20,16,50,44,31"),
    "avgpool1d": ("AvgPool1d(3, stride=2)", "20,16,50"),
    "avgpool2d": ("AvgPool2d(2)", "1,64,32,32"),
    "avgpool3d": ("AvgPool3d(3, stride=2)", "20,16,50,44,31"),
    "adaptiveavgpool1d": ("AdaptiveAvgPool1d(5)", "1,64,8"),
    "adaptiveavgpool2d": ("AdaptiveAvgPool2d((7, 7))", "1,512,13,13"),
    "adaptiveavgpool3d": ("AdaptiveAvgPool3d((5, 7, 9))", "1,64,8,9,10"),
    "batchnorm1d": ("BatchNorm1d(100)", "20,100"),
    "batchnorm2d": ("BatchNorm2d(64)", "8,64,32,32"),
    "batchnorm3d": ("BatchNorm3d(100)", "20,100,35,45,10"),
    "layernorm": ("LayerNorm(512)", "32,10,512"),
    "groupnorm": ("GroupNorm(32, 256)", "8,256,32,32"),
    "embedding": ("nn.Embedding(10000, 300)", "32,50"),
    "rnn": ("RNN(64, 64)", "32,20,64"),
    "lstm": ("LSTM(100, 128, num_layers=2)", "32,50,100"),
    "gru": ("GRU(100, 128, bidirectional=True)", "32,50,100"),
    "multiheadattention": ("MultiheadAttention(512, 8)", "10,32,512"),
    "transformerencoderlayer": ("TransformerEncoderLayer(512, 8)", "10,32,512"),
    "transformerencoder": ("TransformerEncoder(TransformerEncoderLayer(512, 8), num_layers=6)", "10,32,512"),
    "transformerdecoderlayer": ("TransformerDecoderLayer(512, 8)", "20,32,512;10,32,512"),
    "flatten": ("nn.Flatten()", "32,64,7,7"),
    "dropout": ("nn.Dropout(0.2)", "32,100"),
    "identity": ("Identity()", "32,100"),
    "relu": ("ReLU()", "32,100"),
    "gelu": ("GELU()", "32,100"),
    "tanh": ("Tanh()", "32,100"),
    "sigmoid": ("Sigmoid()", "32,100"),
    "softmax": ("Softmax(dim=1)", "32,10"),
    # PyTorch building blocks
    "rmsnorm": ("RMSNorm(4096)", "1,16,4096"),
    "selfattention": ("SelfAttention(4096, 32)", "1,16,4096"),
    "causalselfattention": ("CausalSelfAttention(768, 12)", "1,16,768"),
    "feedforward": ("FeedForward(768, 3072)", "1,16,768"),
    "swiglu": ("SwiGLU(4096, 11008)", "1,16,4096"),
    "decoderblock": ("DecoderBlock(768, 12)", "1,16,768"),
    "patchembedding": ("PatchEmbedding(3, 768, 16, 224)", "1,3,224,224"),
    "sinusoidalpositionalencoding": ("SinusoidalPositionalEncoding(512)", "1,16,512"),
    "select": ("Select(1, 0)", "1,197,768"),
    "transformerdecoder": ("TransformerDecoder(TransformerDecoderLayer(512, 8), num_layers=6)", "20,32,512;10,32,512"),
    "transformer": ("Transformer()", "10,32,512;20,32,512"),
    # Keras
    "dense": ("layers.Dense(64)", "32,100"),
    "keras-conv1d": ("layers.Conv1D(32, 3)", "8,100,16"),
    "keras-conv2d": ("layers.Conv2D(32, 3)", "8,28,28,1"),
    "keras-conv3d": ("layers.Conv3D(8, 3)", "2,16,16,16,1"),
    "conv1dtranspose": ("layers.Conv1DTranspose(16, 3, strides=2)", "8,50,32"),
    "conv2dtranspose": ("layers.Conv2DTranspose(16, 3, strides=2, padding='same')", "8,14,14,32"),
    "conv3dtranspose": ("layers.Conv3DTranspose(8, 3, strides=2)", "2,8,8,8,16"),
    "maxpooling1d": ("layers.MaxPooling1D(2)", "8,100,16"),
    "maxpooling2d": ("layers.MaxPooling2D(2)", "8,28,28,32"),
    "maxpooling3d": ("layers.MaxPooling3D(2)", "2,16,16,16,8"),
    "averagepooling1d": ("layers.AveragePooling1D(2)", "8,100,16"),
    "averagepooling2d": ("layers.AveragePooling2D(2)", "8,28,28,32"),
    "averagepooling3d": ("layers.AveragePooling3D(2)", "2,16,16,16,8"),
    "globalaveragepooling1d": ("layers.GlobalAveragePooling1D()", "8,100,16"),
    "globalaveragepooling2d": ("layers.GlobalAveragePooling2D()", "8,7,7,512"),
    "globalaveragepooling3d": ("layers.GlobalAveragePooling3D()", "2,4,4,4,64"),
    "batchnormalization": ("layers.BatchNormalization()", "8,28,28,32"),
    "layernormalization": ("layers.LayerNormalization()", "8,10,64"),
    "rmsnormalization": ("layers.RMSNormalization()", "8,10,64"),
    "keras-embedding": ("layers.Embedding(5000, 100)", "32,50"),
    "simplernn": ("layers.SimpleRNN(128)", "32,50,100"),
    "keras-lstm": ("layers.LSTM(128)", "32,50,100"),
    "keras-gru": ("layers.GRU(128)", "32,50,100"),
    "bidirectional": ("layers.Bidirectional(layers.LSTM(64))", "32,50,100"),
    "keras-multiheadattention": ("layers.MultiHeadAttention(num_heads=8, key_dim=64)", "32,10,512;32,20,512"),
    "groupqueryattention": (
        "layers.GroupQueryAttention(head_dim=64, num_query_heads=8, num_key_value_heads=2)", "2,10,512;2,20,512"
    ),
    "keras-flatten": ("layers.Flatten()", "8,7,7,64"),
    "keras-dropout": ("layers.Dropout(0.5)", "32,100"),
    "activation": ("layers.Activation('relu')", "32,100"),
}


# -- From a spec field to an option ------------------------------------------------------------


class FieldOption:
    """How one spec field becomes a command-line option: its kind, metavar and reader."""

    def __init__(self, field: str, annotation: Any, default: Any, required: bool, description: str | None,
                 alias: str | None = None):
        self.field = field
        #: The constructor's name for the argument (a field may be stored under another name).
        self.argument = alias or field
        self.flag = "--" + self.argument.replace("_", "-")
        self.default = default
        self.required = required
        self.description = description
        self.kind, self.metavar, self.choices = _classify(annotation)
        self.annotation = annotation

    def read(self, text: str) -> Any:
        """The value of the option's text, for the spec constructor (the spec validates it)."""
        return _read(self.annotation, text.strip(), self.flag)


def _strip(annotation: Any) -> tuple[Any, bool]:
    """Drop Annotated metadata and Optional; say whether None is allowed."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        if len(args) == 1:
            inner, more = _strip(args[0])
            return inner, optional or more
        return typing.Union[tuple(args)], optional  # type: ignore[return-value]
    return annotation, False


def _is_spec(annotation: Any) -> bool:
    from paramcalc.specs import LayerSpec

    return isinstance(annotation, type) and issubclass(annotation, LayerSpec)


def _classify(annotation: Any) -> tuple[str, str, tuple[str, ...]]:
    """("flag" | "choice" | "value", metavar, choices)."""
    base, optional = _strip(annotation)
    if base is bool and not optional:
        return "flag", "", ()
    if typing.get_origin(base) is typing.Literal and not optional:
        choices = typing.get_args(base)
        if all(isinstance(c, str) for c in choices):
            return "choice", "", tuple(choices)
    return "value", _metavar(base, optional), ()


def _metavar(base: Any, optional: bool) -> str:
    origin = typing.get_origin(base)
    if base is int:
        mv = "INT"
    elif base is float:
        mv = "FLOAT"
    elif base is bool:
        mv = "BOOL"
    elif base is str:
        mv = "TEXT"
    elif origin is tuple:
        args = typing.get_args(base)
        inner, inner_optional = _strip(args[0]) if args else (int, False)
        item = "INT" if inner is int else "VALUE"
        if len(args) == 2 and args[1] is Ellipsis:
            mv = f"{item}[,{item}…]"
        else:
            mv = ",".join([item] * len(args))
        if inner_optional:
            mv += " (or none)"
    elif origin is typing.Literal:
        mv = "|".join(str(a) for a in typing.get_args(base))
    elif origin is typing.Union:
        mv = "|".join(_metavar(a, False) for a in typing.get_args(base))
    elif _is_spec(base):
        mv = "EXPR"
    else:
        mv = "VALUE"
    return f"{mv}|none" if optional else mv


_INT = re.compile(r"[+-]?\d{1,30}")
_FLOAT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?inf")


def _read(annotation: Any, text: str, flag: str) -> Any:
    """Read ``text`` as a value of ``annotation``; anything that does not fit is an error naming ``flag``."""
    base, optional = _strip(annotation)
    if optional and text.lower() == "none":
        return None
    return _read_base(base, text, flag)


def _read_base(base: Any, text: str, flag: str) -> Any:
    origin = typing.get_origin(base)
    if base is int:
        if not _INT.fullmatch(text):
            raise ParamcalcError(f"{flag}: must be an integer. Received: {text!r}")
        return int(text)
    if base is float:
        if not _FLOAT.fullmatch(text):
            raise ParamcalcError(f"{flag}: must be a number. Received: {text!r}")
        return float(text)
    if base is bool:
        lowered = text.lower()
        if lowered in ("true", "yes", "1"):
            return True
        if lowered in ("false", "no", "0"):
            return False
        raise ParamcalcError(f"{flag}: must be true or false. Received: {text!r}")
    if base is str:
        return text
    if origin is typing.Literal:
        choices = typing.get_args(base)
        for c in choices:
            if str(c) == text:
                return c
        raise ParamcalcError(f"{flag}: must be one of {', '.join(map(str, choices))}. Received: {text!r}")
    if origin is typing.Union:
        errors = []
        for option in typing.get_args(base):
            try:
                return _read_base(option, text, flag)
            except ParamcalcError as exc:
                errors.append(str(exc).removeprefix(f"{flag}: "))
        raise ParamcalcError(f"{flag}: {' or '.join(dict.fromkeys(e.split('. Received')[0] for e in errors))}. "
                             f"Received: {text!r}")
    if origin is tuple:
        return _read_tuple(base, text, flag)
    if _is_spec(base):
        from paramcalc.parse import parse_layer

        spec = parse_layer(text)
        if not isinstance(spec, base):
            raise ParamcalcError(f"{flag}: must be a {base.__name__}. Received: {text!r}")
        return spec
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text


def _read_tuple(base: Any, text: str, flag: str) -> Any:
    """``3`` → 3 (the spec expands it), ``3,3`` / ``3x3`` / ``(3, 3)`` → (3, 3); items may be none."""
    args = typing.get_args(base)
    item, item_optional = _strip(args[0]) if args else (int, False)
    body = text.strip().strip("()[]").strip()
    parts = [p for p in re.split(r"\s*[,x×]\s*|\s+", body) if p]
    if not parts:
        raise ParamcalcError(f"{flag}: empty; write an int or comma-separated ints such as 3,3")
    values: list[Any] = []
    for p in parts:
        if item_optional and p.lower() == "none":
            values.append(None)
        elif item is int and _INT.fullmatch(p):
            values.append(int(p))
        elif item is not int:
            values.append(_read_base(item, p, flag))
        else:
            allowed = "integers or none" if item_optional else "integers"
            raise ParamcalcError(f"{flag}: must be {allowed}, comma-separated. Received: {text!r}")
    single = len(values) == 1 and "," not in text and not text.strip().startswith("(")
    return values[0] if single and values[0] is not None else tuple(values)


def spec_options(cls: type) -> list[FieldOption]:
    """One option per constructor argument of a spec class, in the constructor's order."""
    options = []
    for field, info in cls.model_fields.items():  # type: ignore[attr-defined]
        if field == "type":
            continue
        options.append(FieldOption(
            field, info.annotation, info.default, info.is_required(), info.description, info.alias
        ))
    return options


_RESERVED = {"input_shape", "convention", "all_conventions", "json", "help"}


def _option_help(cls: type, opt: FieldOption) -> str:
    parts = [opt.description or ARGUMENT_HELP.get(opt.argument, opt.argument.replace("_", " "))]
    if opt.field == getattr(cls, "infer_field", None):
        parts.append("(left out: read from --input-shape)")
    if opt.kind == "value" and not opt.required and opt.default is not None:
        shown = opt.default
        if isinstance(shown, tuple) and len(set(shown)) == 1:
            shown = shown[0]
        parts.append(f"\\[default: {shown}]")
    elif opt.kind == "value" and opt.required and opt.field != getattr(cls, "infer_field", None):
        parts.append("\\[required]")
    return " ".join(parts)


def _example_options(command: str) -> tuple[str, str] | None:
    """The layer command's options for its example, and the example's input shape."""
    from paramcalc.parse import parse_layer
    from paramcalc.specs import LayerSpec

    example = EXAMPLES.get(command)
    if example is None:
        return None
    spec = parse_layer(example[0])
    kinds = {opt.field: opt.kind for opt in spec_options(type(spec))}
    words = []
    for field, info in type(spec).model_fields.items():
        value, default = getattr(spec, field), info.default
        if field in ("type", *_RESERVED) or value == default:
            continue
        if isinstance(value, tuple) and value and len(set(value)) == 1:
            if value[0] == default:
                continue
            value = value[0]
        flag = "--" + (info.alias or field).replace("_", "-")
        if isinstance(value, bool) and kinds.get(field) == "flag":
            words.append(flag if value else f"--no-{flag[2:]}")
        elif isinstance(value, bool):
            words.append(f"{flag} {str(value).lower()}")
        elif isinstance(value, LayerSpec):
            words.append(f"{flag} '{value}'")
        elif isinstance(value, tuple):
            words.append(f"{flag} {','.join('none' if v is None else str(v) for v in value)}")
        elif isinstance(value, str) and not re.fullmatch(r"[\w.-]+", value):
            words.append(f"{flag} '{value}'")
        else:
            words.append(f"{flag} {'none' if value is None else value}")
    return " ".join(words), example[1]


def layer_epilog(command: str, name: str) -> str:
    """Examples for a layer command: the options form and the expression form of the same query."""
    example = EXAMPLES.get(command)
    options = _example_options(command) if example else None
    lines = ["[bold]Examples[/bold]"]
    if example and options:
        words, shape = options
        query = " ".join(f"paramcalc {command} {words}".split())
        lines.append(f"{query} --input-shape {shape}")
        lines.append(f"{query} --input-shape {shape} --all-conventions")
        lines.append(f"paramcalc layer \"{example[0]}\" --input-shape {shape} --json")
    else:
        lines.append(f"paramcalc layer \"{name}(...)\" --input-shape ...")
    lines.append(f"paramcalc formula {name}")
    return "\n\n".join(lines)


def build_layer_command(command: str, name: str, cls: type) -> Any:
    """A click command for one layer type: options from the spec's fields, then the common ones."""
    options = spec_options(cls)
    params = []
    for opt in options:
        py_name = f"arg_{opt.field}"
        if opt.argument in _RESERVED:
            continue
        help_text = _option_help(cls, opt)
        if opt.kind == "flag":
            annotation: Any = Annotated[bool, typer.Option(
                f"{opt.flag}/--no-{opt.flag[2:]}", help=help_text, show_default=True,
            )]
            default: Any = bool(opt.default) if not opt.required else False
        elif opt.kind == "choice":
            choice = Enum(f"{name}_{opt.field}", {c: c for c in opt.choices}, type=str)  # type: ignore[misc]
            annotation = Annotated[Optional[choice], typer.Option(  # type: ignore[valid-type]
                opt.flag, help=help_text, case_sensitive=False,
            )]
            default = None if opt.required else choice(opt.default)
        else:
            annotation = Annotated[Optional[str], typer.Option(
                opt.flag, help=help_text, metavar=opt.metavar, show_default=False,
            )]
            default = None
        params.append(inspect.Parameter(py_name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default))
    common = [
        ("pc_input_shape", Annotated[Optional[str], typer.Option(
            "--input-shape", "-i", help=INPUT_SHAPE_HELP, metavar="SHAPE", rich_help_panel="Query")], None),
        ("pc_convention", Annotated[Optional[Convention], typer.Option(
            "--convention", "-c", help=CONVENTION_HELP, rich_help_panel="Query")], None),
        ("pc_all_conventions", Annotated[bool, typer.Option(
            "--all-conventions", help=ALL_CONVENTIONS_HELP, rich_help_panel="Query")], False),
        ("pc_json", Annotated[bool, typer.Option("--json", help=JSON_HELP, rich_help_panel="Query")], False),
    ]
    for py_name, annotation, default in common:
        params.append(inspect.Parameter(py_name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default))
    by_field = {opt.field: opt for opt in options}

    @boundary
    def run(**given: Any) -> None:
        values: dict[str, Any] = {}
        for key, value in given.items():
            if not key.startswith("arg_"):
                continue
            opt = by_field[key[4:]]
            if value is None:
                continue
            if opt.kind == "choice":
                values[opt.argument] = value.value if isinstance(value, Enum) else value
            elif opt.kind == "flag":
                values[opt.argument] = value
            else:
                values[opt.argument] = opt.read(value)
        missing = [o.flag for o in options if o.required and o.argument not in values]
        if missing:
            fail(f"{name}: missing required option {', '.join(missing)} (see paramcalc {command} --help)")
        spec = cls(**values)
        show_layer(spec, given["pc_input_shape"], given["pc_convention"], given["pc_all_conventions"], given["pc_json"])

    run.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    run.__annotations__ = {}
    doc = (cls.__doc__ or name).strip().splitlines()[0].rstrip(".")
    summary = getattr(cls, "summary", "")
    more = f"\n\n{summary[0].upper()}{summary[1:]}." if summary and summary.rstrip(".") != doc else ""
    sub = typer.Typer(add_completion=False, rich_markup_mode="rich")
    sub.command(
        name=command,
        help=f"{name}: {doc}.{more}\n\nOptions are the constructor's arguments, with its defaults.",
        short_help=summary or doc,
        epilog=layer_epilog(command, name),
    )(run)
    return typer.main.get_command(sub)


# -- Typer's coercion of values, without pydantic where it is not needed ----------------------

_NOT_PLAIN = object()
_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")


class PlainCoercion:
    """Typer's coercion of one parameter's value, with the plain cases answered without pydantic.

    Typer (0.2x) coerces every parameter it processes, given or not, with a pydantic TypeAdapter
    that it builds on first use; importing pydantic's validation machinery for that
    (``typer._adapters``) and building the adapters costs tens of milliseconds a run. Here the plain
    cases get what Typer's adapters return for them: a left-out value stays None; a string for a
    ``str`` parameter stays itself; an enum's choice becomes that member (by Typer's rule: the value
    as text, folded for case when the option is case-insensitive); a plain integer within the
    option's range is that int; a path that exists and can be read (Typer's default checks) is that
    Path. Anything else, every error among them (so each message stays Typer's), goes to Typer's
    own coercion.
    """

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self.typer_coercion: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        plain = self._plain(value, param, ctx)
        if plain is not _NOT_PLAIN:
            return plain
        if self.typer_coercion is None:
            from typer._coercion import build_runtime_param

            self.typer_coercion = build_runtime_param(self.descriptor)
        return self.typer_coercion.coerce(value, param=param, ctx=ctx)

    def _plain(self, value: Any, param: Any, ctx: Any) -> Any:
        if param.multiple or param.nargs != 1:
            return _NOT_PLAIN
        if value is None:
            return None
        annotation, info = self.descriptor.annotation, self.descriptor.parameter_info
        if getattr(info, "parser", None) is not None or type(value) not in (str, annotation):
            return _NOT_PLAIN
        if annotation is str:
            return value
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            if isinstance(value, annotation):
                return value
            if ctx.token_normalize_func is None:
                fold = (lambda text: text) if info.case_sensitive else str.casefold
                for member in annotation:
                    if fold(str(member.value)) == fold(value):
                        return member
        if annotation is int and type(value) is str and _DIGITS.fullmatch(value) and not info.clamp:
            number = int(value)
            if (info.min is None or number >= info.min) and (info.max is None or number <= info.max):
                return number
        if annotation is Path and type(value) is str and _plain_path(info) and "\x00" not in value:
            if os.access(value, os.R_OK):  # it exists and can be read: nothing for Typer to object to
                return Path(value)
        return _NOT_PLAIN


def _plain_path(info: Any) -> bool:
    """A path option with Typer's defaults: it may exist or not, be a file or a directory."""
    return (not info.exists and info.file_okay and info.dir_okay and not info.writable
            and not info.resolve_path and not info.allow_dash and info.path_type is None)


def coerce_plainly(command: Any, ctx: Any) -> Any:
    """Give a command's Typer parameters, its help option among them, :class:`PlainCoercion`
    (where this Typer has the hook for it)."""
    for param in command.get_params(ctx):
        if getattr(param, "_runtime_param", False) is None and hasattr(param, "type_descriptor"):
            param._runtime_param = PlainCoercion(param.type_descriptor)
    return command


# -- The command group: lazy layer commands, one-line usage errors, completion ----------------


class CommandGroup(TyperGroup):
    """The root group: named commands, plus one command per layer type, each built when it is asked for.

    A run builds the command it runs, not every command's parameters (``--help`` and completion
    build the named ones). Layer commands are left out of the root ``--help`` (``paramcalc layers``
    lists them). Usage errors print one line, like library errors.
    """

    #: Named commands, in the order of the help: name → a Typer holding that one command (see :class:`App`).
    deferred: dict[str, typer.Typer] = {}
    _built: dict[str, Any] = {}

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        coerce_plainly(self, ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in self.deferred if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in self.deferred:
            named = self.__dict__.setdefault("_named", {})
            if cmd_name not in named:
                named[cmd_name] = typer.main.get_command(self.deferred[cmd_name])
            cmd = named[cmd_name]
        if cmd is not None:
            return coerce_plainly(cmd, ctx)
        key = command_for(cmd_name)
        if key is None:
            return None
        if key not in self._built:
            layer, cls = layer_commands()[key]
            self._built[key] = build_layer_command(key, layer, cls)
        return coerce_plainly(self._built[key], ctx)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            known = self.list_commands(ctx) + list(layer_commands())
            close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(close)}?" if close else " Run `paramcalc --help` or `paramcalc layers`."
            ctx.fail(f"no command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        items = super().shell_complete(ctx, incomplete)
        from importlib import import_module

        item_cls = import_module(click.__name__ + ".shell_completion").CompletionItem
        seen = {item.value for item in items}
        for key, (_, cls) in layer_commands().items():
            if key.startswith(incomplete) and key not in seen:
                items.append(item_cls(key, help=getattr(cls, "summary", "")))
        return items

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
                sys.exit(EXIT_BAD_INPUT)
            sys.stderr.write(f"error: {one_line(usage_message(exc))}\n")
            sys.exit(EXIT_BAD_INPUT)
        except click.exceptions.ClickException as exc:
            sys.stderr.write(f"error: {one_line(exc.format_message())}\n")
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.stderr.write("error: aborted\n")
            sys.exit(1)
        except Exception as exc:  # a bug, not bad input: one line, the traceback only on request
            internal_error(exc)
        sys.exit(status if isinstance(status, int) else 0)


class App(typer.Typer):
    """The Typer app: each command becomes a click command only when a run asks for it.

    Typer builds a click command for every registered command on every run, reading the
    annotations of all their parameters. Here ``command()`` keeps each command in a Typer of its
    own (with the app's markup and exception settings), and the app's :class:`CommandGroup`
    builds the one a run needs.
    """

    def __init__(self, **settings: Any) -> None:
        self.deferred: dict[str, typer.Typer] = {}
        group = type("CommandGroup", (CommandGroup,), {"deferred": self.deferred, "__module__": __name__})
        super().__init__(cls=group, **settings)

    def command(self, name: str | None = None, **options: Any) -> Any:
        def register(func: Any) -> Any:
            one = typer.Typer(add_completion=False, rich_markup_mode=self.rich_markup_mode,
                              pretty_exceptions_short=self.pretty_exceptions_short)
            one.command(name, **options)(func)
            self.deferred[name or typer.main.get_command_name(func.__name__)] = one
            return func

        return register


def usage_message(exc: Any) -> str:
    """One line for a usage error: the message and where to read the command's help."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message
