"""Worked formulas: each layer's general formula with the user's numbers put in, step by step.

Every explanation is a list of lines ``label: expression = expression = number``. The numbers a
line ends on come from :mod:`paramcalc.formulas` (through the spec's ``count`` and
``output_shapes``, or the family's formula function); the steps in between only substitute and
multiply out, so a reader can follow them with pencil and paper. ``FAMILIES`` holds the general
formulas once, for the worked lines and for ``paramcalc formula``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from paramcalc import formulas as f
from paramcalc.dispatch import as_shape, first_shape
from paramcalc.errors import SpecError
from paramcalc.specs import (
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
    GELU,
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

Shape = tuple[int, ...]
CONVENTIONS = ("pytorch", "keras", "textbook")

# -- The general formulas, once ---------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    """A layer family's general formulas: parameters under each convention, and the output shape."""

    name: str
    title: str
    layers: tuple[str, ...]
    params: dict[str, str]
    shape: str
    symbols: str = ""


_NO_PARAMS = {c: "0 (no weights)" for c in CONVENTIONS}

FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        Family(
            "linear", "Fully connected (Linear, Dense)", ("Linear", "Dense"),
            {
                "pytorch": "I·O + O (weight O×I, bias O if bias)",
                "keras": "I·U + U (kernel I×U, bias U if use_bias)",
                "textbook": "I·O + O",
            },
            "(*, I) → (*, O)",
            "I = in_features, O = out_features (Keras: U = units)",
        ),
        Family(
            "conv", "Convolution (Conv1d/2d/3d, Conv1D/2D/3D)",
            ("Conv1d", "Conv2d", "Conv3d", "Conv1D", "Conv2D", "Conv3D"),
            {
                "pytorch": "k_1·…·k_n·(C_in/g)·C_out + C_out (bias)",
                "keras": "k_1·…·k_n·(C_in/g)·F + F (kernel, bias if use_bias)",
                "textbook": "(K_h·K_w·C_in/g + 1)·C_out",
            },
            "out = (n + 2·p − d·(k − 1) − 1) // s + 1 per spatial dimension "
            "(torch padding='same' keeps n; Keras 'same' gives ⌈n / s⌉)",
            "k = kernel size, C_in/C_out = channels, g = groups, F = filters, n = input size, "
            "p = padding, d = dilation, s = stride",
        ),
        Family(
            "conv_transpose", "Transposed convolution (ConvTranspose1d/2d/3d, Conv2DTranspose)",
            ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Conv1DTranspose", "Conv2DTranspose",
             "Conv3DTranspose"),
            {
                "pytorch": "k_1·…·k_n·C_in·(C_out/g) + C_out (bias)",
                "keras": "k_1·…·k_n·C_in·F + F (kernel, bias if use_bias)",
                "textbook": "(K_h·K_w·C_in/g + 1)·C_out",
            },
            "out = (n − 1)·s − 2·p + d·(k − 1) + output_padding + 1 per spatial dimension",
            "k = kernel size, C_in/C_out = channels, g = groups, n = input size, p = padding, "
            "d = dilation, s = stride",
        ),
        Family(
            "pool", "Max and average pooling",
            ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
             "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
             "AveragePooling3D"),
            _NO_PARAMS,
            "out = (n + 2·p − d·(k − 1) − 1) // s + 1, or ⌈(n + 2·p − d·(k − 1) − 1) / s⌉ + 1 with "
            "ceil_mode (a last window starting in the right padding is dropped); channels pass through",
            "k = kernel size, n = input size, p = padding, d = dilation, s = stride (default k)",
        ),
        Family(
            "adaptive_pool", "Adaptive and global pooling",
            ("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "GlobalAveragePooling1D",
             "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
             "GlobalMaxPooling3D"),
            _NO_PARAMS,
            "spatial sizes become output_size (None keeps the input size); channels pass through",
        ),
        Family(
            "batchnorm", "Batch normalisation (BatchNorm1d/2d/3d, BatchNormalization)",
            ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "BatchNormalization"),
            {
                "pytorch": "2·C (weight γ, bias β if affine; C with bias=False); buffers apart: 2·C + 1 "
                           "(running_mean, running_var, num_batches_tracked)",
                "keras": "2·C trainable (gamma, beta; C with only one) + 2·C non-trainable "
                         "(moving_mean, moving_variance)",
                "textbook": "2·C (γ and β; C for γ alone)",
            },
            "output = input",
            "C = num_features (channels)",
        ),
        Family(
            "layernorm", "Layer normalisation (LayerNorm, LayerNormalization)",
            ("LayerNorm", "LayerNormalization"),
            {
                "pytorch": "2·d with d = prod(normalized_shape) (weight, bias); d without bias; "
                           "0 without elementwise_affine",
                "keras": "2·d (gamma, beta) over the normalised axes",
                "textbook": "2·d (γ and β)",
            },
            "output = input",
            "d = number of normalised values",
        ),
        Family(
            "embedding", "Embedding table", ("Embedding",),
            {
                "pytorch": "V·d (one d-vector per token; padding_idx does not change it)",
                "keras": "V·d (input_dim·output_dim)",
                "textbook": "V·d",
            },
            "(*) → (*, d)",
            "V = num_embeddings (vocabulary), d = embedding_dim",
        ),
        Family(
            "rnn", "Elman recurrent layer (RNN, SimpleRNN)", ("RNN", "SimpleRNN"),
            {
                "pytorch": "H·I + H·H + 2·H per layer and direction (bias_ih and bias_hh)",
                "keras": "H·I + H·H + H (one bias)",
                "textbook": "H·I + H·H + H",
            },
            "output (L, N, D·H); h_n (D·num_layers, N, H)",
            "H = hidden size (units), I = input size (D·H for stacked layers), D = 2 if bidirectional",
        ),
        Family(
            "lstm", "Long short-term memory (LSTM)", ("LSTM",),
            {
                "pytorch": "4·(H·I + H·H + 2·H) per layer and direction; with proj_size P: "
                           "4·(H·I + H·P + 2·H) + P·H",
                "keras": "4·(H·I + H·H + H) (one bias per gate)",
                "textbook": "4 × RNN = 4·(H·I + H·H + H)",
            },
            "output (L, N, D·H_out); h_n (D·num_layers, N, H_out); c_n (D·num_layers, N, H)",
            "H = hidden size (units), I = input size (D·H_out for stacked layers), "
            "D = 2 if bidirectional, H_out = proj_size or H",
        ),
        Family(
            "gru", "Gated recurrent unit (GRU)", ("GRU",),
            {
                "pytorch": "3·(H·I + H·H + 2·H) per layer and direction",
                "keras": "3·(H·I + H·H + 2·H) with reset_after=True (the default); "
                         "3·(H·I + H·H + H) with reset_after=False",
                "textbook": "3 × RNN = 3·(H·I + H·H + H)",
            },
            "output (L, N, D·H); h_n (D·num_layers, N, H)",
            "H = hidden size (units), I = input size (D·H for stacked layers), D = 2 if bidirectional",
        ),
        Family(
            "attention", "Multi-head attention (MultiheadAttention, MultiHeadAttention)",
            ("MultiheadAttention", "MultiHeadAttention"),
            {
                "pytorch": "E·(E + kdim + vdim) + E·E + 4·E (biases) + 2·E (add_bias_kv); "
                           "4·E² + 4·E when kdim = vdim = E",
                "keras": "query d_q·h·k + h·k, key d_k·h·k + h·k, value d_v·h·v + h·v, "
                         "output h·v·d_o + d_o (biases if use_bias)",
                "textbook": "4·d² (Q, K, V and output projections, no biases)",
            },
            "attn_output (L, N, E); attn_output_weights (N, L, S)",
            "E = d = embed_dim, h = num_heads, k = key_dim, v = value_dim, L = target length, "
            "S = source length",
        ),
        Family(
            "transformer", "Transformer layers (TransformerEncoderLayer, DecoderLayer, Encoder)",
            ("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder"),
            {
                "pytorch": "encoder layer: (4·d² + 4·d) + (2·d·d_ff + d_ff + d) + 2·2·d; decoder layer: "
                           "2·(4·d² + 4·d) + (2·d·d_ff + d_ff + d) + 3·2·d; encoder: N × layer + final norm",
                "keras": "no Transformer layer in Keras; built from MultiHeadAttention, Dense and "
                         "LayerNormalization it has PyTorch's weights",
                "textbook": "encoder layer: 4·d² + 2·d·d_ff (= 12·d² when d_ff = 4·d); decoder layer: "
                            "8·d² + 2·d·d_ff; no biases, no LayerNorm",
            },
            "output = input (S, N, d)",
            "d = d_model, d_ff = dim_feedforward",
        ),
        Family(
            "no_params", "Layers without parameters",
            ("Flatten", "Dropout", "Identity", "ReLU", "GELU", "Tanh", "Sigmoid", "Softmax", "Activation"),
            _NO_PARAMS,
            "output = input (Flatten merges start_dim..end_dim into one)",
        ),
    )
}

#: Layer name (PyTorch or Keras) → family name.
FAMILY_OF: dict[str, str] = {layer: fam.name for fam in FAMILIES.values() for layer in fam.layers}
FAMILY_OF["Bidirectional"] = "rnn"


def find_family(name: str) -> Family:
    """The family called ``name``, or the family of a layer called ``name`` (any case).

    Raises:
        SpecError: no family or layer has that name; the message names the closest ones.
    """
    key = name.strip().lower().replace("-", "_")
    for fam in FAMILIES.values():
        if key == fam.name:
            return fam
    for layer, fam_name in FAMILY_OF.items():
        if key == layer.lower():
            return FAMILIES[fam_name]
    import difflib

    known = list(FAMILIES) + sorted({n.lower() for n in FAMILY_OF})
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else f" Known families: {', '.join(FAMILIES)}."
    raise SpecError(f"formula: unknown family or layer {name!r}.{hint}")


# -- Writing steps ----------------------------------------------------------------------------


from paramcalc.specs.working import chain, n, shape_str  # noqa: E402,F401 - re-exported
from paramcalc.specs.working import sum_line as _sum_line  # noqa: E402
from paramcalc.specs.working import times as _times  # noqa: E402


# -- Parameters -------------------------------------------------------------------------------


def explain_params(spec: LayerSpec, convention: str = "pytorch", *, input_shape: Any = None) -> list[str]:
    """The parameter count worked out step by step, ending on the total.

    The first line gives the general formula in symbols (``formula: ...``); the following lines
    put in the layer's numbers and end, on the last line, with ``spec.count(convention).total``.

    Args:
        spec: the layer.
        convention: "pytorch", "keras" or "textbook".
        input_shape: the input shape, when the layer leaves its input size out.

    Returns:
        The lines, without markup.

    Raises:
        SpecError: the layer cannot be counted under that convention (or needs an input shape).
    """
    fam = FAMILIES.get(FAMILY_OF.get(spec.name, ""))
    head = [f"formula: {fam.params[convention]}"] if fam and convention in fam.params else []
    lines = worked_params(spec, convention, input_shape=input_shape)
    if lines is None:
        lines = tensor_sum(spec, convention, input_shape=input_shape)
    return head + lines


def worked_params(spec: LayerSpec, convention: str = "pytorch", *, input_shape: Any = None) -> list[str] | None:
    """The family's worked formula ending on the count, or None where there is none to show.

    Raises:
        SpecError: the layer cannot be counted under that convention (or needs an input shape).
    """
    total = spec.count(convention, input_shape=input_shape).total  # type: ignore[arg-type]
    if is_core_torch(spec):
        resolved = spec.resolve(first_shape(input_shape))
        if hasattr(resolved, "_worked_params"):  # the family knows it
            lines = resolved._worked_params(convention)
        else:
            builder = {"pytorch": _pytorch_params, "textbook": _textbook_params, "keras": _keras_params_of_torch}
            lines = builder[convention](resolved)
    else:
        lines = _keras_spec_params(spec, convention, input_shape)
    if lines is None or last_number(lines[-1]) != total:
        return None
    return lines


def last_number(line: str) -> int | None:
    """The int a line ends on (``... = 117,760`` → 117760), or None."""
    tail = line.rsplit("=", 1)[-1].rsplit(":", 1)[-1].strip().replace(",", "")
    return int(tail) if tail.isdigit() else None


def is_core_torch(spec: LayerSpec) -> bool:
    """Whether the spec is one of the core PyTorch layers the worked formulas below know."""
    from paramcalc.specs import TORCH_LAYERS

    return spec.name in _TORCH_NAMES and TORCH_LAYERS.get(spec.name) is type(spec)


_TORCH_NAMES = {
    "Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "Embedding", "RNN", "LSTM", "GRU",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
    "Flatten", "Dropout", "Identity", "ReLU", "GELU", "Tanh", "Sigmoid", "Softmax",
}


def tensor_sum(spec: LayerSpec, convention: str = "pytorch", *, input_shape: Any = None) -> list[str]:
    """The count as the sum of the tensors' sizes (each the product of its shape), buffers apart,
    trainable and non-trainable weights summed separately when a layer has both."""
    tensors = spec.param_tensors(convention, input_shape=input_shape)  # type: ignore[arg-type]
    total = spec.count(convention, input_shape=input_shape).total  # type: ignore[arg-type]
    buffers = [t for t in tensors if t.kind == "buffer"]
    groups = [(kind, [t for t in tensors if t.kind == kind]) for kind in ("trainable", "non_trainable")]
    groups = [(kind, group) for kind, group in groups if group]
    lines = []
    if buffers:
        names = ", ".join(t.name for t in buffers)
        lines.append(_sum_line(f"buffers, not parameters ({names})", [t.numel for t in buffers],
                               sum(t.numel for t in buffers)))
    if not groups:
        return [*lines, chain("no parameters", 0)]
    if len(groups) == 1:
        return [*lines, *_tensor_lines(groups[0][1], "", total)]
    sums = []
    for kind, group in groups:
        value = sum(t.numel for t in group)
        sums.append(value)
        lines += _tensor_lines(group, kind.replace("_", "-"), value)
    return [*lines, _sum_line("total", sums, total)]


def _tensor_lines(tensors: list[Any], kind: str, total: int) -> list[str]:
    """``a + b: 100·64 + 64 = 6,400 + 64 = 6,464`` for a few tensors; one line each for many."""
    if len(tensors) <= 4:
        label = " + ".join(t.name for t in tensors)
        exprs = " + ".join(_times(*t.shape) if t.shape else "1" for t in tensors)
        values = " + ".join(n(t.numel) for t in tensors)
        return [chain(f"{kind} ({label})" if kind else label, exprs, values, total)]
    lines = [chain(f"{t.name} {shape_str(t.shape)}", _times(*t.shape) if t.shape else "1", t.numel) for t in tensors]
    return [*lines, _sum_line(kind or "total", [t.numel for t in tensors], total)]


def _pytorch_params(spec: LayerSpec) -> list[str]:
    match spec:
        case Linear():
            i, o = spec.in_features, spec.out_features
            total = f.linear_params(in_features=i, out_features=o, bias=spec.bias)
            if spec.bias:
                return [chain("weight + bias", f"{_times(i, o)} + {n(o)}", f"{n(i * o)} + {n(o)}", total)]
            return [chain("weight", _times(i, o), total)]
        case Conv1d() | Conv2d() | Conv3d() | ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            return _conv_lines(spec, textbook=False)
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            c = spec.num_features
            lines = []
            if spec.track_running_stats:
                buffers = f.batchnorm_buffers(num_features=c, track_running_stats=True)
                lines.append(chain(
                    "buffers, not parameters (running_mean, running_var, num_batches_tracked)",
                    f"{n(c)} + {n(c)} + 1", buffers,
                ))
            params = f.batchnorm_params(num_features=c, affine=spec.affine, bias=spec.bias)
            if not spec.affine:
                return [*lines, chain("no weight or bias (affine=False)", params)]
            if not spec.bias:
                return [*lines, chain("weight γ only (bias=False)", params)]
            return [*lines, chain("weight γ + bias β", f"2·{n(c)}", params)]
        case LayerNorm():
            return _layernorm_lines("weight + bias", spec.normalized_shape, spec.elementwise_affine, spec.bias)
        case Embedding():
            v, d = spec.num_embeddings, spec.embedding_dim
            return [chain("weight", _times(v, d), f.embedding_params(num_embeddings=v, embedding_dim=d))]
        case RNN() | LSTM() | GRU():
            return _recurrent_lines(spec, bias_vectors=2 if spec.bias else 0, total=spec.count().total)
        case MultiheadAttention():
            return _mha_lines(spec.embed_dim, spec.kdim, spec.vdim, spec.bias, spec.add_bias_kv)
        case TransformerEncoderLayer() | TransformerDecoderLayer():
            return _transformer_lines(spec)
        case TransformerEncoder():
            layer = spec.encoder_layer
            per_layer = spec.encoder_layer.count().total
            lines = [f"each layer, {line}" for line in _transformer_lines(layer)]
            stack = per_layer * spec.num_layers
            lines.append(chain(f"{spec.num_layers} layers", f"{spec.num_layers} × {n(per_layer)}", stack))
            if spec.norm is None:
                return lines
            norm = spec.norm.resolve((layer.d_model,))
            norm_lines = _layernorm_lines(
                "final norm", norm.normalized_shape, norm.elementwise_affine, norm.bias
            )
            norm_total = norm.count().total
            return [*lines, *norm_lines, _sum_line("total", [stack, norm_total], spec.count().total)]
        case (
            MaxPool1d() | MaxPool2d() | MaxPool3d() | AvgPool1d() | AvgPool2d() | AvgPool3d()
            | AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d()
            | Flatten() | Dropout() | Identity() | ReLU() | GELU() | Tanh() | Sigmoid() | Softmax()
        ):
            return [chain("no parameters", 0)]
    raise SpecError(f"{spec.name}: no worked formula")  # pragma: no cover


def _conv_lines(spec: Any, *, textbook: bool) -> list[str]:
    k, c_in, c_out, g = spec.kernel_size, spec.in_channels, spec.out_channels, spec.groups
    transposed = spec.name.startswith("ConvTranspose")
    per_filter = c_in // g
    kernel = _times(*k)
    if textbook:  # (K_h·K_w·C_in/g + 1)·C_out, as the notes write it
        ratio = n(c_in) if g == 1 else f"{n(c_in)}/{g}"
        inner = prod(k) * per_filter
        if not spec.bias:
            return [chain("kernel·filters (no bias)", f"{kernel}·{ratio}·{n(c_out)}", inner * c_out)]
        return [chain("(kernel + 1 bias)·filters", f"({kernel}·{ratio} + 1)·{n(c_out)}",
                      f"({n(inner)} + 1)·{n(c_out)}", f"{n(inner + 1)}·{n(c_out)}", (inner + 1) * c_out)]
    total = f.conv_params(in_channels=c_in, out_channels=c_out, kernel_size=k, groups=g, bias=spec.bias)
    if transposed:  # weight (C_in, C_out/g, *k): the same number of values
        channels = f"{n(c_in)}·{n(c_out)}" if g == 1 else f"{n(c_in)}·({n(c_out)}/{g})"
    else:
        channels = f"{n(c_in)}·{n(c_out)}" if g == 1 else f"({n(c_in)}/{g})·{n(c_out)}"
    weight = prod(k) * per_filter * c_out
    if spec.bias:
        return [chain("weight + bias", f"{kernel}·{channels} + {n(c_out)}", f"{n(weight)} + {n(c_out)}", total)]
    return [chain("weight", f"{kernel}·{channels}", total)]


def _layernorm_lines(label: str, shape: Shape, affine: bool, bias: bool) -> list[str]:
    total = f.layernorm_params(normalized_shape=shape, elementwise_affine=affine, bias=bias)
    if not affine:
        return [chain(f"{label} (none: elementwise_affine=False)", total)]
    d = prod(shape)
    d_expr = n(d) if len(shape) == 1 else f"({_times(*shape)})"
    if not bias:
        return [chain(f"{label.split(' + ')[0]} (bias=False)", d_expr, total)]
    if len(shape) == 1:
        return [chain(label, f"2·{d_expr}", total)]
    return [chain(label, f"2·{d_expr}", f"2·{n(d)}", total)]


def _recurrent_lines(spec: Any, *, bias_vectors: int, total: int) -> list[str]:
    """The worked formula of a PyTorch RNN/LSTM/GRU spec with ``bias_vectors`` per gate block."""
    return _stack_lines(
        gates=spec.gates, hidden=spec.hidden_size, input_size=spec.input_size, num_layers=spec.num_layers,
        directions=2 if spec.bidirectional else 1, proj=getattr(spec, "proj_size", 0),
        bias_vectors=bias_vectors, total=total,
    )


def _stack_lines(
    *, gates: int, hidden: int, input_size: int, num_layers: int, directions: int, proj: int,
    bias_vectors: int, total: int,
) -> list[str]:
    """One line per layer of a recurrent stack: D × G × (H·I_l + H·H_out + b·H) [+ P·H].

    PyTorch has two bias vectors per gate block (bias_ih, bias_hh), Keras and the course notes one
    (a Keras GRU with reset_after=True has two); b = ``bias_vectors``. Layer l > 0 takes
    I_l = D·H_out. ``total`` is the count the lines end on.
    """
    h, d = hidden, directions
    h_out = proj or h
    layers = []
    for layer in range(num_layers):
        i = input_size if layer == 0 else d * h_out
        terms = [_times(h, i), _times(h, h_out)]
        if bias_vectors:
            terms.append(n(h) if bias_vectors == 1 else f"{bias_vectors}·{n(h)}")
        inner = h * i + h * h_out + bias_vectors * h
        expr, value = " + ".join(terms), n(inner)
        if gates > 1:
            expr, value = f"{gates} × ({expr})", f"{gates} × {value}"
        if proj:
            expr, value = f"{expr} + {_times(proj, h)}", f"{value} + {n(proj * h)}"
        if d == 2:
            expr = f"2 × ({expr})" if proj or gates == 1 else f"2 × {expr}"
            value = f"2 × ({value})" if proj else f"2 × {value}"
        if bias_vectors in (0, 2):  # PyTorch's own layout: its formula gives the layer's count
            result = f.recurrent_params(
                gates=gates, input_size=i, hidden_size=h, num_layers=1, bias=bias_vectors == 2,
                bidirectional=d == 2, proj_size=proj,
            )
        else:
            result = d * (gates * inner + proj * h)
        layers.append((expr, value, result))
    if len(layers) == 1:
        return [chain("weights + biases" if bias_vectors else "weights", *layers[0][:2], total)]
    first, rest = layers[0], layers[1:]
    lines = [chain("layer 0", *first)]
    if len(rest) == 1:
        lines.append(chain("layer 1", *rest[0]))
        return [*lines, _sum_line("total", [first[2], rest[0][2]], total)]
    lines.append(chain(f"layers 1–{len(layers) - 1}, each", *rest[0]))
    return [*lines, chain("total", f"{n(first[2])} + {len(rest)} × {n(rest[0][2])}", total)]


def _mha_lines(e: int, kdim: int | None, vdim: int | None, bias: bool, add_bias_kv: bool) -> list[str]:
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    qkv = e * (e + kdim + vdim)
    lines = [chain("Q, K, V projections", f"{n(e)}·({n(e)} + {n(kdim)} + {n(vdim)})", qkv)]
    lines.append(chain("output projection", _times(e, e), e * e))
    parts = [qkv, e * e]
    if bias:
        lines.append(chain("biases (in_proj_bias, out_proj.bias)", f"3·{n(e)} + {n(e)}", 4 * e))
        parts.append(4 * e)
    if add_bias_kv:
        lines.append(chain("bias_k + bias_v", f"2·{n(e)}", 2 * e))
        parts.append(2 * e)
    total = f.mha_params(embed_dim=e, kdim=kdim, vdim=vdim, bias=bias, add_bias_kv=add_bias_kv)
    return [*lines, _sum_line("total", parts, total)]


def _transformer_lines(spec: Any) -> list[str]:
    d, ff, bias = spec.d_model, spec.dim_feedforward, spec.bias
    attention = f.mha_params(embed_dim=d, bias=bias)
    feed = f.feed_forward_params(d_model=d, dim_feedforward=ff, bias=bias)
    norm = f.layernorm_params(normalized_shape=(d,), bias=bias)
    decoder = isinstance(spec, TransformerDecoderLayer)
    att_expr = f"4·{_times(d, d)} + 4·{n(d)}" if bias else f"4·{_times(d, d)}"
    lines = [chain("self-attention", att_expr, attention)]
    if decoder:
        lines.append(chain("cross-attention", att_expr, attention))
    ff_expr = (
        f"{_times(d, ff)} + {n(ff)} + {_times(ff, d)} + {n(d)}" if bias else f"{_times(d, ff)} + {_times(ff, d)}"
    )
    lines.append(chain("feed-forward", ff_expr, feed))
    norms = 3 if decoder else 2
    norm_expr = f"{norms} × 2·{n(d)}" if bias else f"{norms} × {n(d)}"
    lines.append(chain(f"{norms} LayerNorms", norm_expr, norms * norm))
    parts = [attention] * (2 if decoder else 1) + [feed, norms * norm]
    return [*lines, _sum_line("total", parts, spec.count().total)]


# -- Other conventions for the PyTorch specs ---------------------------------------------------


def _textbook_params(spec: LayerSpec) -> list[str] | None:
    """The course-notes formulas with the layer's numbers: one bias per layer or gate, no buffers,
    attention and feed-forward without biases or LayerNorm (None: no textbook form to show)."""
    match spec:
        case Linear():
            i, o = spec.in_features, spec.out_features
            if not spec.bias:
                return [chain("W", _times(i, o), i * o)]
            return [chain("W + b", f"{_times(i, o)} + {n(o)}", f"{n(i * o)} + {n(o)}", i * o + o)]
        case Conv1d() | Conv2d() | Conv3d() | ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            return _conv_lines(spec, textbook=True)
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            if not spec.affine:
                return [chain("no γ or β (affine=False)", 0)]
            if not spec.bias:
                return [chain("γ only (bias=False)", spec.num_features)]
            return [chain("γ + β", f"2·{n(spec.num_features)}", 2 * spec.num_features)]
        case LayerNorm():
            return _layernorm_lines("γ + β", spec.normalized_shape, spec.elementwise_affine, spec.bias)
        case Embedding():
            v, d = spec.num_embeddings, spec.embedding_dim
            return [chain("V·d", _times(v, d), v * d)]
        case RNN() | LSTM() | GRU():
            bias = 1 if spec.bias else 0
            return _recurrent_lines(spec, bias_vectors=bias, total=_recurrent_total(spec, bias))
        case MultiheadAttention():
            return [_textbook_attention("Q, K, V and output projections", spec.embed_dim, spec.kdim, spec.vdim)]
        case TransformerEncoderLayer() | TransformerDecoderLayer():
            return _textbook_transformer(spec)
        case TransformerEncoder():
            layer = _textbook_transformer(spec.encoder_layer)
            per_layer = last_number(layer[-1]) or 0
            lines = [f"each layer, {line}" for line in layer]
            return [*lines, chain(f"{spec.num_layers} layers (no final norm in the notes)",
                                  f"{spec.num_layers} × {n(per_layer)}", spec.num_layers * per_layer)]
        case _:
            return None


def _textbook_attention(label: str, e: int, kdim: int | None, vdim: int | None) -> str:
    kdim = e if kdim is None else kdim
    vdim = e if vdim is None else vdim
    if kdim == vdim == e:
        return chain(label, f"4·{_times(e, e)}", 4 * e * e)
    qkv = e * (e + kdim + vdim)
    return chain(label, f"{n(e)}·({n(e)} + {n(kdim)} + {n(vdim)}) + {_times(e, e)}", f"{n(qkv)} + {n(e * e)}",
                 qkv + e * e)


def _textbook_transformer(spec: Any) -> list[str]:
    d, ff = spec.d_model, spec.dim_feedforward
    blocks = ["self-attention"] + (["cross-attention"] if isinstance(spec, TransformerDecoderLayer) else [])
    lines = [_textbook_attention(block, d, None, None) for block in blocks]
    lines.append(chain("feed-forward", f"2·{_times(d, ff)}", 2 * d * ff))
    parts = [4 * d * d] * len(blocks) + [2 * d * ff]
    return [*lines, _sum_line("total", parts, sum(parts))]


def _recurrent_total(spec: Any, bias_vectors: int) -> int:
    """A stack's count with ``bias_vectors`` bias vectors per gate block (projection included)."""
    d, h, g = (2 if spec.bidirectional else 1), spec.hidden_size, spec.gates
    proj = getattr(spec, "proj_size", 0)
    h_out = proj or h
    sizes = [spec.input_size] + [d * h_out] * (spec.num_layers - 1)
    return sum(d * (g * (h * i + h * h_out + bias_vectors * h) + proj * h) for i in sizes)


_KERAS_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


def _keras_spec_params(spec: LayerSpec, convention: str, input_shape: Any) -> list[str] | None:
    """Worked formulas of the Keras recurrent layers (others: None, the tensor sum shows them)."""
    if hasattr(spec, "_keras_worked_params"):  # the family knows it
        return spec._keras_worked_params(convention, input_shape)
    if getattr(type(spec), "framework", None) != "keras":
        return None
    cell = getattr(spec, "layer", spec)  # Bidirectional wraps one
    gates = _KERAS_GATES.get(cell.name)
    if gates is None or not hasattr(cell, "units"):
        return None
    kernels = [t for t in spec.param_tensors("keras", input_shape=input_shape)  # type: ignore[arg-type]
               if t.name.endswith("kernel") and not t.name.endswith("recurrent_kernel")]
    if not kernels:
        return None
    if not cell.use_bias:
        bias_vectors = 0
    elif convention == "pytorch":
        bias_vectors = 2
    elif convention == "keras" and getattr(cell, "reset_after", False):
        bias_vectors = 2
    else:
        bias_vectors = 1
    total = spec.count(convention, input_shape=input_shape).total  # type: ignore[arg-type]
    return _stack_lines(
        gates=gates, hidden=cell.units, input_size=kernels[0].shape[0], num_layers=1,
        directions=2 if cell is not spec else 1, proj=0, bias_vectors=bias_vectors, total=total,
    )


def _keras_params_of_torch(spec: LayerSpec) -> list[str] | None:
    """Keras's count of the equivalent Keras layer: one bias per gate (two for a GRU with
    reset_after), BatchNormalization's moving statistics counted as non-trainable parameters."""
    match spec:
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            c = spec.num_features
            moving = chain("moving_mean + moving_variance (non-trainable)", f"2·{n(c)}", 2 * c)
            if not spec.affine:
                return [moving]
            if not spec.bias:  # Keras's BatchNormalization(center=False)
                return [chain("gamma (trainable; center=False for bias=False)", c), moving,
                        _sum_line("total", [c, 2 * c], 3 * c)]
            return [chain("gamma + beta (trainable)", f"2·{n(c)}", 2 * c), moving,
                    _sum_line("total", [2 * c, 2 * c], 4 * c)]
        case RNN() | LSTM() | GRU():
            per_gate = 2 if isinstance(spec, GRU) else 1  # GRU: reset_after=True, input and recurrent biases
            bias = per_gate if spec.bias else 0
            return _recurrent_lines(spec, bias_vectors=bias, total=_recurrent_total(spec, bias))
        case _:
            return _pytorch_params(spec)


# -- Output shapes ----------------------------------------------------------------------------


def explain_shape(spec: LayerSpec, *input_shapes: Any) -> list[str]:
    """The output shape worked out per dimension, ending with one line per named output.

    Conv and pooling layers show ``(n + 2·p − d·(k − 1) − 1) // s + 1`` per spatial dimension;
    the numbers each line ends on come from the formulas (``spec.output_shapes``).

    Raises:
        SpecError: the input shape does not fit the layer.
    """
    outputs = spec.output_shapes(*input_shapes)
    if spec.framework == "pytorch":
        shapes = [as_shape(s) for s in input_shapes]
    else:  # Keras shapes may hold None (an unknown size)
        shapes = [tuple(s) for s in input_shapes]
    spec = spec.resolve(shapes[0])
    x = shapes[0]
    if is_core_torch(spec):
        steps = _shape_steps(spec, shapes, outputs)
    elif spec.name in _KERAS_WINDOWS and getattr(type(spec), "framework", None) == "keras":
        steps = _keras_window_lines(spec, x, outputs[next(iter(outputs))])
    else:
        steps = []
    given = f"input: {shape_str(x)}" if len(shapes) == 1 else f"inputs: {' ; '.join(map(shape_str, shapes))}"
    lines = steps if any(s.startswith("input") for s in steps) else [given, *steps]
    missing = [
        f"{name}: {shape_str(shape)}"
        for name, shape in outputs.items()
        if not any(line.startswith(f"{name}: ") and line.endswith(f" {shape_str(shape)}") for line in lines)
    ]
    return [*lines, *missing]


def _shape_steps(spec: LayerSpec, shapes: list[Shape], outputs: dict[str, Shape]) -> list[str]:
    if hasattr(spec, "_worked_shape"):  # the family knows it
        return spec._worked_shape(shapes, outputs)
    x = shapes[0]
    out = outputs[next(iter(outputs))]
    match spec:
        case Conv1d() | Conv2d() | Conv3d():
            return _window_lines(spec, x, out, conv=True)
        case MaxPool1d() | MaxPool2d() | MaxPool3d() | AvgPool1d() | AvgPool2d() | AvgPool3d():
            return _window_lines(spec, x, out, conv=False)
        case ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            lines = []
            spatial = x[len(x) - spec.nd:]
            for name, size, k, s, p, op, d in zip(
                f.conv.DIM_NAMES[spec.nd], spatial, spec.kernel_size, spec.stride, spec.padding,
                spec.output_padding, spec.dilation,
            ):
                value = f.conv_transpose_output_size(
                    size=size, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d, layer=spec.name
                )
                lines.append(chain(name, f"({size} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1", str(value)))
            return [*lines, f"channels: out_channels = {spec.out_channels}"]
        case AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d():
            spatial = x[len(x) - spec.nd:]
            lines = []
            for name, size, o, got in zip(f.conv.DIM_NAMES[spec.nd], spatial, spec.output_size, out[len(out) - spec.nd:]):
                lines.append(f"{name}: {got} (" + ("None keeps the input size" if o is None else "output_size") + ")")
            return lines
        case Linear():
            return [f"last dimension: in_features {spec.in_features} → out_features {spec.out_features}"]
        case Embedding():
            return [f"each index becomes a vector of embedding_dim {spec.embedding_dim}: (*) → (*, {spec.embedding_dim})"]
        case RNN() | LSTM() | GRU():
            return _recurrent_shape_lines(spec, x, outputs)
        case MultiheadAttention():
            return _mha_shape_lines(spec, shapes, outputs)
        case Flatten():
            rank = max(len(x), 1)
            start, end = spec.start_dim % rank, spec.end_dim % rank
            if not x:
                return []
            merged = "·".join(str(d) for d in x[start:end + 1])
            dims = [*map(str, x[:start]), merged, *map(str, x[end + 1:])]
            return [chain("output", f"({', '.join(dims)}{',' if len(dims) == 1 else ''})", shape_str(out))]
        case _:
            return ["output = input (the layer keeps the shape)"]


def _window_lines(spec: Any, x: Shape, out: Shape, *, conv: bool) -> list[str]:
    nd = spec.nd
    spatial = x[len(x) - nd:]
    dilation = getattr(spec, "dilation", (1,) * nd)
    ceil_mode = getattr(spec, "ceil_mode", False)
    padding = spec.padding
    lines = []
    if padding == "same":
        for name, size, k, d, got in zip(f.conv.DIM_NAMES[nd], spatial, spec.kernel_size, dilation, out[len(out) - nd:]):
            left, right = f.same_padding(kernel_size=k, dilation=d)
            lines.append(chain(f"{name} (padding='same' pads {left} + {right})",
                               f"({size} + {left} + {right} − {d}·({k} − 1) − 1) // 1 + 1", str(got)))
    else:
        pads = (0,) * nd if padding == "valid" else padding
        for name, size, k, s, p, d in zip(f.conv.DIM_NAMES[nd], spatial, spec.kernel_size, spec.stride, pads, dilation):
            num = size + 2 * p - d * (k - 1) - 1
            body = f"({size} + 2·{p} − {d}·({k} − 1) − 1)"
            if conv:
                value = f.conv_output_size(size=size, kernel_size=k, stride=s, padding=p, dilation=d, layer=spec.name)
            else:
                value = f.pool_output_size(
                    size=size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, layer=spec.name
                )
            if ceil_mode:
                steps = [f"⌈{body} / {s}⌉ + 1", f"⌈{num} / {s}⌉ + 1"]
                if -(-num // s) + 1 != value:
                    steps = [f"{st} − 1" for st in steps]
                    name = f"{name} (the last window would start in the right padding, dropped)"
            else:
                steps = [f"{body} // {s} + 1"] + ([f"{num} // {s} + 1"] if s > 1 else [])
            lines.append(chain(name, *steps, str(value)))
    if conv:
        lines.append(f"channels: out_channels = {spec.out_channels}")
    else:
        lines.append(f"channels: {x[len(x) - nd - 1]} (unchanged)")
    return lines


_KERAS_WINDOWS = {
    f"{kind}{nd}D" for kind in ("Conv", "MaxPooling", "AveragePooling") for nd in (1, 2, 3)
}


def _keras_window_lines(spec: Any, x: Shape, out: Shape) -> list[str]:
    """Keras's rule per spatial dimension: valid (n − d·(k − 1) − 1) // s + 1; same ⌈n / s⌉."""
    if hasattr(spec, "_keras_worked_shape"):  # the family knows it
        return spec._keras_worked_shape(x, out)
    nd = spec.nd
    first = 1 if spec.data_format == "channels_last" else 2
    conv = spec.name.startswith("Conv")
    kernel = spec.kernel_size if conv else spec.pool_size
    dilation = getattr(spec, "dilation_rate", (1,) * nd)
    lines = []
    for name, size, k, s, d, got in zip(
        f.conv.DIM_NAMES[nd], x[first:first + nd], kernel, spec.strides, dilation, out[first:first + nd]
    ):
        if spec.padding == "valid":
            num = size - d * (k - 1) - 1
            body = f"({size} − {d}·({k} − 1) − 1)" if conv else f"({size} − {k})"
            lines.append(chain(name, f"{body} // {s} + 1", *([f"{num} // {s} + 1"] if s > 1 else []), str(got)))
        else:
            lines.append(chain(f"{name} (padding={spec.padding!r})", f"⌈{size} / {s}⌉", str(got)))
    channel = x[-1] if first == 1 else x[1]
    lines.append(f"channels: filters = {spec.filters}" if conv else f"channels: {channel} (unchanged)")
    return lines


def _recurrent_shape_lines(spec: Any, x: Shape, outputs: dict[str, Shape]) -> list[str]:
    d = 2 if spec.bidirectional else 1
    proj = getattr(spec, "proj_size", 0)
    h_out = proj or spec.hidden_size
    if len(x) == 2:
        layout = f"input (L, H_in) = {shape_str(x)}, unbatched"
        output_sym, state_sym = "(L, D·H_out)", "(D·num_layers, {h})"
        length, batch = x[0], None
    elif spec.batch_first:
        layout = f"input (N, L, H_in) = {shape_str(x)} with batch_first=True"
        output_sym, state_sym = "(N, L, D·H_out)", "(D·num_layers, N, {h})"
        batch, length = x[0], x[1]
    else:
        layout = f"input (L, N, H_in) = {shape_str(x)} with batch_first=False"
        output_sym, state_sym = "(L, N, D·H_out)", "(D·num_layers, N, {h})"
        length, batch = x[0], x[1]
    lead = [str(length)] if batch is None else ([str(batch), str(length)] if spec.batch_first else [str(length), str(batch)])
    lines = [layout]
    lines.append(chain("output", output_sym, f"({', '.join([*lead, f'{d}·{h_out}'])})", shape_str(outputs["output"])))
    states = [f"{d}·{spec.num_layers}"] + ([] if batch is None else [str(batch)])
    lines.append(chain("h_n", state_sym.format(h="H_out"), f"({', '.join([*states, str(h_out)])})",
                       shape_str(outputs["h_n"])))
    if "c_n" in outputs:
        lines.append(chain("c_n", state_sym.format(h="H"), f"({', '.join([*states, str(spec.hidden_size)])})",
                           shape_str(outputs["c_n"])))
    return lines


def _mha_shape_lines(spec: Any, shapes: list[Shape], outputs: dict[str, Shape]) -> list[str]:
    q = shapes[0]
    k = shapes[1] if len(shapes) > 1 else q
    extra = int(spec.add_bias_kv) + int(spec.add_zero_attn)
    if len(q) == 2:
        seq_axis = 0
        out_sym, w_sym = "(L, E)", "(L, S)"
    elif spec.batch_first:
        seq_axis = 1
        out_sym, w_sym = "(N, L, E)", "(N, L, S)"
    else:
        seq_axis = 0
        out_sym, w_sym = "(L, N, E)", "(N, L, S)"
    source = k[seq_axis]
    lines = [f"target length L = {q[seq_axis]} (query), source length S = {source} (key)"]
    lines.append(chain("attn_output", out_sym, shape_str(outputs["attn_output"])))
    weights = outputs["attn_output_weights"]
    if extra:
        lead = ", ".join(str(v) for v in weights[:-1])
        w_expr = f"({lead}, {source} + {extra})"
        lines.append(chain("attn_output_weights", w_sym.replace("S", "S + 1" if extra == 1 else "S + 2"),
                           w_expr, shape_str(weights)))
    else:
        lines.append(chain("attn_output_weights", w_sym, shape_str(weights)))
    return lines
