"""The Keras convention: the weights Keras 3 creates and what ``count_params()`` reports.

For Keras specs this follows the layer itself, sized from its input shape. A PyTorch spec is
counted as its Keras equivalent (:func:`equivalent`): Linear as Dense, a stacked bidirectional
LSTM as stacked ``Bidirectional(LSTM)`` layers, a Transformer layer as the Keras layers it is made
of (named as ``keras_hub``'s TransformerEncoder/Decoder name them), and so on. Counts come from
:mod:`paramcalc.formulas.keras`; the tensor lists are enumerated here, weight by weight, and the
tests hold the two equal and both equal to real Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

from paramcalc import blocks as B
from paramcalc import keras_layers as K
from paramcalc import specs as S
from paramcalc.conventions.shapes import KShape, fmt_shape
from paramcalc.errors import SpecError
from paramcalc.formulas import keras as fk
from paramcalc.formulas.conv import DIM_NAMES, conv_params
from paramcalc.formulas.embedding import embedding_params
from paramcalc.formulas.linear import linear_params
from paramcalc.results import Count, Tensor

CONVS = (K.Conv1D, K.Conv2D, K.Conv3D)
CONV_TRANSPOSES = (K.Conv1DTranspose, K.Conv2DTranspose, K.Conv3DTranspose)
POOLS = (K.MaxPooling1D, K.MaxPooling2D, K.MaxPooling3D, K.AveragePooling1D, K.AveragePooling2D, K.AveragePooling3D)
GLOBAL_POOLS = (K.GlobalAveragePooling1D, K.GlobalAveragePooling2D, K.GlobalAveragePooling3D)
RECURRENT = (K.SimpleRNN, K.LSTM, K.GRU)
GATE_NAMES = {"SimpleRNN": "", "LSTM": " of the 4 gates (i, f, c, o)", "GRU": " of the 3 gates (z, r, h)"}


# -- Input sizes -----------------------------------------------------------------------------


def require_shapes(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> tuple[KShape, ...]:
    """The input shapes, or a SpecError saying that Keras needs them to size the weights."""
    if not shapes:
        flag = str(spec.example_shape).strip("()").replace(" ", "")
        raise SpecError(
            f"{spec.name}: the input shape is missing; a Keras layer takes its input size from it. "
            f"Give the input shape, batch dimension first, shaped like {spec.example_shape} "
            f"(--input-shape {flag} in the terminal), or the "
            f"layer's own input_shape= argument without the batch dimension"
        )
    return shapes


def _rank(spec: K.KerasLayer, shape: KShape, rank: int, layout: str, *, at_least: bool = False) -> None:
    ok = len(shape) >= rank if at_least else len(shape) == rank
    if not ok:
        need = f"at least {rank}-D" if at_least else f"a {rank}-D"
        raise SpecError(
            f"{spec.name}: expected {need} input {layout} (batch dimension first), got {len(shape)}-D. "
            f"Received: input_shape={fmt_shape(shape)}"
        )


def _known(spec: K.KerasLayer, shape: KShape, axis: int, what: str) -> int:
    size = shape[axis]
    if size is None:
        raise SpecError(
            f"{spec.name}: the {what} (axis {axis}) must be known to size the weights. "
            f"Received: input_shape={fmt_shape(shape)}"
        )
    return size


def _layout(spec: K.KerasLayer) -> str:
    nd = getattr(spec, "nd", 2)
    spatial = ", ".join(DIM_NAMES[nd]) if nd > 1 else "steps"
    if getattr(spec, "data_format", "channels_last") == "channels_first":
        return f"(batch, channels, {spatial})"
    return f"(batch, {spatial}, channels)"


def dense_input(spec: K.Dense, shapes: tuple[KShape, ...]) -> int:
    """The features a Dense layer reads: the input's last dimension."""
    x = require_shapes(spec, shapes)[0]
    _rank(spec, x, 2, "(batch, ..., features)", at_least=True)
    return _known(spec, x, -1, "number of input features")


def conv_channels(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> int:
    """The input channels of a Keras convolution (checked against groups)."""
    x = require_shapes(spec, shapes)[0]
    _rank(spec, x, spec.nd + 2, _layout(spec))
    channels = _known(spec, x, spec.channel_axis, "number of input channels")
    groups = getattr(spec, "groups", 1)
    if channels % groups:
        raise SpecError(
            f"{spec.name}: the input channels must be divisible by groups. "
            f"Received: groups={groups}, input_shape={fmt_shape(x)}"
        )
    return channels


def _axis(spec: K.KerasLayer, shape: KShape, axis: int) -> int:
    if not -len(shape) <= axis < len(shape):
        raise SpecError(
            f"{spec.name}: axis {axis} is out of range for a {len(shape)}-D input. "
            f"Received: axis={axis}, input_shape={fmt_shape(shape)}"
        )
    return axis % len(shape)


def norm_shape(
    spec: K.BatchNormalization | K.LayerNormalization | K.RMSNormalization, shapes: tuple[KShape, ...]
) -> tuple[int, ...]:
    """The shape of gamma and beta: the sizes of the normalised axes."""
    x = require_shapes(spec, shapes)[0]
    axes = (spec.axis,) if isinstance(spec, K.BatchNormalization) else spec.axes
    resolved = sorted(_axis(spec, x, a) for a in axes)
    if len(set(resolved)) != len(resolved):
        raise SpecError(f"{spec.name}: axis names the same axis twice. Received: axis={spec.axis}")
    return tuple(_known(spec, x, a, "normalised axis") for a in resolved)


def rnn_input(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> int:
    """The features per step a recurrent layer reads, from (batch, time, features)."""
    x = require_shapes(spec, shapes)[0]
    _rank(spec, x, 3, "(batch, time, features)")
    return _known(spec, x, -1, "number of input features")


def mha_inputs(
    spec: K.MultiHeadAttention | K.GroupQueryAttention, shapes: tuple[KShape, ...]
) -> tuple[KShape, KShape, KShape]:
    """(query, value, key) shapes: the value defaults to the query, the key to the value."""
    shapes = require_shapes(spec, shapes)
    if len(shapes) > 3:
        raise SpecError(
            f"{spec.name}: takes at most 3 inputs (query, value, key). Received: {len(shapes)} input shapes"
        )
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    for name, shape in (("query", query), ("value", value), ("key", key)):
        if len(shape) < 3:
            raise SpecError(
                f"{spec.name}: the {name} must be at least 3-D (batch, ..., features). "
                f"Received: {name}_shape={fmt_shape(shape)}"
            )
        _known(spec, shape, -1, f"{name}'s feature size")
    if value[1:-1] != key[1:-1]:
        raise SpecError(
            f"{spec.name}: all dimensions of value and key except the last must be equal. "
            f"Received: value_shape={fmt_shape(value)}, key_shape={fmt_shape(key)}"
        )
    return query, value, key


# -- Counting --------------------------------------------------------------------------------


def _recurrent_count(layer: K.SimpleRNN | K.LSTM | K.GRU, input_dim: int) -> int:
    match layer:
        case K.SimpleRNN():
            return fk.simple_rnn_params(input_dim=input_dim, units=layer.units, use_bias=layer.use_bias)
        case K.LSTM():
            return fk.lstm_params(input_dim=input_dim, units=layer.units, use_bias=layer.use_bias)
        case K.GRU():
            return fk.gru_params(
                input_dim=input_dim, units=layer.units, use_bias=layer.use_bias, reset_after=layer.reset_after
            )
    raise AssertionError(layer)  # pragma: no cover


def count(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> Count:
    """What Keras's ``count_params()`` gives, split into trainable and non-trainable weights."""
    if hasattr(spec, "_keras_count"):  # the family knows it
        return spec._keras_count(shapes)
    match spec:
        case K.Dense():
            result = Count(linear_params(in_features=dense_input(spec, shapes), out_features=spec.units, bias=spec.use_bias))
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            result = Count(conv_params(
                in_channels=conv_channels(spec, shapes), out_channels=spec.filters,
                kernel_size=spec.kernel_size, groups=spec.groups, bias=spec.use_bias,
            ))
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            result = Count(conv_params(
                in_channels=conv_channels(spec, shapes), out_channels=spec.filters,
                kernel_size=spec.kernel_size, bias=spec.use_bias,
            ))
        case K.BatchNormalization():
            (channels,) = norm_shape(spec, shapes)
            result = Count(*fk.batchnorm_params(channels=channels, center=spec.center, scale=spec.scale))
        case K.LayerNormalization():
            result = Count(fk.layernorm_params(
                normalized_shape=norm_shape(spec, shapes), center=spec.center, scale=spec.scale))
        case K.RMSNormalization():
            result = Count(fk.rmsnorm_params(normalized_shape=norm_shape(spec, shapes)))
        case K.Embedding():
            result = Count(embedding_params(num_embeddings=spec.input_dim, embedding_dim=spec.output_dim))
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            result = Count(_recurrent_count(spec, rnn_input(spec, shapes)))
        case K.Bidirectional():
            result = Count(2 * _recurrent_count(spec.layer, rnn_input(spec, shapes)))
            if not spec.layer.trainable:
                result = Count(0, result.total)
        case K.MultiHeadAttention():
            query, value, key = mha_inputs(spec, shapes)
            result = Count(fk.mha_params(
                num_heads=spec.num_heads, key_dim=spec.key_dim, value_dim=spec.value_dim,
                query_features=query[-1], key_features=key[-1], value_features=value[-1],
                output_shape=spec.output_dims, use_bias=spec.use_bias,
            ))
        case K.GroupQueryAttention():
            query, value, key = mha_inputs(spec, shapes)
            result = Count(fk.gqa_params(
                head_dim=spec.head_dim, num_query_heads=spec.num_query_heads,
                num_key_value_heads=spec.num_key_value_heads, query_features=query[-1], key_features=key[-1],
                value_features=value[-1], use_bias=spec.use_bias,
            ))
        case _:
            result = Count(0)
    return result if spec.trainable else Count(0, result.total)


# -- Tensors ---------------------------------------------------------------------------------


def _t(name: str, shape: tuple[int, ...], description: str, trainable: bool = True) -> Tensor:
    return Tensor(name, tuple(shape), "trainable" if trainable else "non_trainable", description)


def _recurrent_tensors(layer: K.SimpleRNN | K.LSTM | K.GRU, input_dim: int, prefix: str) -> list[Tensor]:
    units, gates = layer.units, layer.gates
    of = GATE_NAMES[layer.name]
    cell = f"{prefix}{layer.cell_name}/"
    out = [
        _t(f"{cell}kernel", (input_dim, gates * units), f"input weights{of}"),
        _t(f"{cell}recurrent_kernel", (units, gates * units), f"recurrent weights{of}"),
    ]
    if layer.use_bias:
        if isinstance(layer, K.GRU) and layer.reset_after:
            out.append(_t(f"{cell}bias", (2, gates * units), f"input and recurrent biases{of} (reset_after=True)"))
        else:
            out.append(_t(f"{cell}bias", (gates * units,), f"one bias per unit{of}"))
    return out


def tensors(spec: K.KerasLayer, shapes: tuple[KShape, ...], *, inner_name: str | None = None) -> list[Tensor]:
    """The weights Keras creates, named by their paths without the layer's own name.

    ``inner_name`` names the layer a Bidirectional wrapper copies (Keras derives ``forward_<name>``
    and ``backward_<name>`` from it; by default the Keras default name, such as ``lstm``).
    """
    if hasattr(spec, "_keras_tensors"):  # the family knows it
        return spec._keras_tensors(shapes, inner_name=inner_name)
    out: list[Tensor]
    match spec:
        case K.Dense():
            features = dense_input(spec, shapes)
            out = [_t("kernel", (features, spec.units), "weights: input features × units")]
            if spec.use_bias:
                out.append(_t("bias", (spec.units,), "one bias per unit"))
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            channels = conv_channels(spec, shapes)
            out = [_t("kernel", (*spec.kernel_size, channels // spec.groups, spec.filters),
                      "filters: kernel × input channels/groups × filters")]
            if spec.use_bias:
                out.append(_t("bias", (spec.filters,), "one bias per filter"))
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            channels = conv_channels(spec, shapes)
            out = [_t("kernel", (*spec.kernel_size, spec.filters, channels), "filters: kernel × filters × input channels")]
            if spec.use_bias:
                out.append(_t("bias", (spec.filters,), "one bias per filter"))
        case K.BatchNormalization():
            shape = norm_shape(spec, shapes)
            out = []
            if spec.scale:
                out.append(_t("gamma", shape, "scale per channel"))
            if spec.center:
                out.append(_t("beta", shape, "shift per channel"))
            out += [
                _t("moving_mean", shape, "moving mean per channel (non-trainable)", False),
                _t("moving_variance", shape, "moving variance per channel (non-trainable)", False),
            ]
        case K.LayerNormalization():
            shape = norm_shape(spec, shapes)
            out = []
            if spec.scale:
                out.append(_t("gamma", shape, "scale per normalised feature"))
            if spec.center:
                out.append(_t("beta", shape, "shift per normalised feature"))
        case K.RMSNormalization():
            out = [_t("scale", norm_shape(spec, shapes), "scale per normalised feature (no shift)")]
        case K.Embedding():
            out = [_t("embeddings", (spec.input_dim, spec.output_dim), "one vector per token")]
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            out = _recurrent_tensors(spec, rnn_input(spec, shapes), "")
        case K.Bidirectional():
            features = rnn_input(spec, shapes)
            name = inner_name or spec.layer.layer_name
            out = []
            for direction in ("forward", "backward"):
                for t in _recurrent_tensors(spec.layer, features, f"{direction}_{name}/"):
                    kind = t.kind if spec.layer.trainable else "non_trainable"
                    out.append(Tensor(t.name, t.shape, kind, f"{t.description}, {direction} layer"))
        case K.MultiHeadAttention():
            query, value, key = mha_inputs(spec, shapes)
            h, k, v = spec.num_heads, spec.key_dim, spec.values_dim
            output = spec.output_dims or (query[-1],)
            out = [_t("query/kernel", (query[-1], h, k), "query projection: features × heads × key_dim")]
            if spec.use_bias:
                out.append(_t("query/bias", (h, k), "query bias per head"))
            out.append(_t("key/kernel", (key[-1], h, k), "key projection: features × heads × key_dim"))
            if spec.use_bias:
                out.append(_t("key/bias", (h, k), "key bias per head"))
            out.append(_t("value/kernel", (value[-1], h, v), "value projection: features × heads × value_dim"))
            if spec.use_bias:
                out.append(_t("value/bias", (h, v), "value bias per head"))
            out.append(_t("attention_output/kernel", (h, v, *output), "output projection: heads × value_dim × output"))
            if spec.use_bias:
                out.append(_t("attention_output/bias", tuple(output), "output bias"))
        case K.GroupQueryAttention():
            query, value, key = mha_inputs(spec, shapes)
            h, g, k = spec.num_query_heads, spec.num_key_value_heads, spec.head_dim
            out = []
            for name, features, heads, what in (("query", query[-1], h, "query heads"),
                                                ("key", key[-1], g, "key/value heads"),
                                                ("value", value[-1], g, "key/value heads")):
                out.append(_t(f"{name}/kernel", (features, heads, k), f"{name} projection: features × {what} × head_dim"))
                if spec.use_bias:
                    out.append(_t(f"{name}/bias", (heads, k), f"{name} bias per head"))
            out.append(_t("attention_output/kernel", (h, k, query[-1]), "output projection: query heads × head_dim × features"))
            if spec.use_bias:
                out.append(_t("attention_output/bias", (query[-1],), "output bias"))
        case _:
            out = []
    if not spec.trainable:
        out = [Tensor(t.name, t.shape, "non_trainable", t.description) for t in out]
    return out


# -- Output shapes ---------------------------------------------------------------------------


def _spatial(spec: K.KerasLayer, x: KShape) -> tuple[tuple[int | None, ...], int | None]:
    """(spatial sizes, channels) of a channels_last or channels_first input."""
    if spec.data_format == "channels_last":
        return x[1:-1], x[-1]
    return x[2:], x[1]


def _assemble(spec: K.KerasLayer, x: KShape, spatial: tuple[int | None, ...], channels: int | None) -> KShape:
    if spec.data_format == "channels_last":
        return (x[0], *spatial, channels)
    return (x[0], channels, *spatial)


def _recurrent_shapes(layer: K.SimpleRNN | K.LSTM | K.GRU, x: KShape, width: int, prefix: str = "") -> dict[str, KShape]:
    """Output and states of one recurrent layer; ``width`` is the output's feature size."""
    batch, steps = x[0], x[1]
    shapes = {f"{prefix}output": (batch, steps, width) if layer.return_sequences else (batch, width)}
    return shapes


def _states(layer: K.SimpleRNN | K.LSTM | K.GRU, x: KShape, prefix: str = "") -> dict[str, KShape]:
    names = ("state_h", "state_c") if isinstance(layer, K.LSTM) else ("state_h",)
    return {f"{prefix}{n}": (x[0], layer.units) for n in names}


def output_shapes(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
    """Every named output of a Keras layer: ``output``, and states or attention scores where Keras returns them."""
    if hasattr(spec, "_keras_output_shapes"):  # the family knows it
        return spec._keras_output_shapes(shapes)
    shapes = require_shapes(spec, shapes)
    x = shapes[0]
    match spec:
        case K.Dense():
            dense_input(spec, shapes)
            return {"output": (*x[:-1], spec.units)}
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            conv_channels(spec, shapes)
            spatial, _ = _spatial(spec, x)
            out = tuple(
                fk.conv_output_length(size=n, kernel_size=k, stride=s, padding=spec.padding, dilation=d,
                                      layer=spec.name, dim=dim)
                for n, k, s, d, dim in zip(spatial, spec.kernel_size, spec.strides, spec.dilation_rate,
                                           DIM_NAMES[spec.nd])
            )
            return {"output": _assemble(spec, x, out, spec.filters)}
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            conv_channels(spec, shapes)
            spatial, _ = _spatial(spec, x)
            pads = spec.output_padding or (None,) * spec.nd
            out = tuple(
                fk.conv_transpose_output_length(size=n, kernel_size=k, stride=s, padding=spec.padding,
                                                output_padding=op, dilation=d)
                for n, k, s, op, d in zip(spatial, spec.kernel_size, spec.strides, pads, spec.dilation_rate)
            )
            return {"output": _assemble(spec, x, out, spec.filters)}
        case K.MaxPooling1D() | K.MaxPooling2D() | K.MaxPooling3D() | K.AveragePooling1D() | K.AveragePooling2D() | K.AveragePooling3D():
            _rank(spec, x, spec.nd + 2, _layout(spec))
            spatial, channels = _spatial(spec, x)
            out = tuple(
                fk.pool_output_length(size=n, pool_size=p, stride=s, padding=spec.padding, layer=spec.name, dim=dim)
                for n, p, s, dim in zip(spatial, spec.pool_size, spec.strides, DIM_NAMES[spec.nd])
            )
            return {"output": _assemble(spec, x, out, channels)}
        case K.GlobalAveragePooling1D() | K.GlobalAveragePooling2D() | K.GlobalAveragePooling3D():
            _rank(spec, x, spec.nd + 2, _layout(spec))
            _, channels = _spatial(spec, x)
            if not spec.keepdims:
                return {"output": (x[0], channels)}
            return {"output": _assemble(spec, x, (1,) * spec.nd, channels)}
        case K.BatchNormalization() | K.LayerNormalization() | K.RMSNormalization():
            norm_shape(spec, shapes)
            return {"output": x}
        case K.Embedding():
            return {"output": (*x, spec.output_dim)}
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            rnn_input(spec, shapes)
            out = _recurrent_shapes(spec, x, spec.units)
            return {**out, **_states(spec, x)} if spec.return_state else out
        case K.Bidirectional():
            rnn_input(spec, shapes)
            layer = spec.layer
            if spec.merge_mode is None:
                out = {**_recurrent_shapes(layer, x, layer.units, "forward_"),
                       **_recurrent_shapes(layer, x, layer.units, "backward_")}
            else:
                width = 2 * layer.units if spec.merge_mode == "concat" else layer.units
                out = _recurrent_shapes(layer, x, width)
            if layer.return_state:
                out = {**out, **_states(layer, x, "forward_"), **_states(layer, x, "backward_")}
            return out
        case K.MultiHeadAttention():
            query, value, key = mha_inputs(spec, shapes)
            output = spec.output_dims or (query[-1],)
            scores = (query[0], spec.num_heads, *query[1:-1], *key[1:-1])
            return {"output": (*query[:-1], *output), "attention_scores": scores}
        case K.GroupQueryAttention():
            query, value, key = mha_inputs(spec, shapes)
            if query[-1] != value[-1]:
                raise SpecError(
                    f"{spec.name}: the query and the value must have the same feature size. "
                    f"Received: query_shape={fmt_shape(query)}, value_shape={fmt_shape(value)}"
                )
            return {"output": query, "attention_scores": (query[0], spec.num_query_heads, *query[1:-1], *key[1:-1])}
        case K.Flatten():
            if not x:
                raise SpecError(f"Flatten: expected an input with a batch dimension. Received: input_shape={fmt_shape(x)}")
            rest = x[1:]
            merged = None if None in rest else prod(rest)
            return {"output": (x[0], merged)}
        case K.Dropout() | K.Activation():
            return {"output": x}
    raise SpecError(f"{spec.name}: no shape rule")  # pragma: no cover


def shape_notes(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> list[str]:
    """Remarks on Keras's output-length arithmetic: a floored "valid" division, "same"'s ceil(n / s)."""
    if hasattr(spec, "_keras_shape_notes"):  # the family knows it
        return spec._keras_shape_notes(shapes)
    shapes = require_shapes(spec, shapes)
    output_shapes(spec, shapes)  # the same checks first
    if isinstance(spec, CONVS):
        kernel, dilation = spec.kernel_size, spec.dilation_rate
    elif isinstance(spec, POOLS):
        kernel, dilation = spec.pool_size, (1,) * spec.nd
    else:
        return []
    spatial, _ = _spatial(spec, shapes[0])
    notes = []
    for dim, n, k, s, d in zip(DIM_NAMES[spec.nd], spatial, kernel, spec.strides, dilation):
        if n is None or s == 1:
            continue
        if spec.padding == "valid":
            num = n - d * (k - 1) - 1
            if num % s:
                notes.append(
                    f"{spec.name}: output {dim} ({n} - {d}*({k}-1) - 1)/{s} + 1 is not a whole number; "
                    f"floored to {num // s + 1}"
                )
        elif n % s:
            notes.append(f"{spec.name}: output {dim} with padding='{spec.padding}' is ceil({n}/{s}) = {(n - 1) // s + 1}")
    return notes


# -- PyTorch specs as Keras layers -----------------------------------------------------------


from paramcalc.specs.parts import Part  # noqa: E402,F401 - re-exported


#: PyTorch layers without parameters; their Keras equivalents (pooling, Flatten, Dropout, Activation) have none.
ZERO_PARAMETER_TORCH = (
    S.MaxPool1d, S.MaxPool2d, S.MaxPool3d, S.AvgPool1d, S.AvgPool2d, S.AvgPool3d,
    S.AdaptiveAvgPool1d, S.AdaptiveAvgPool2d, S.AdaptiveAvgPool3d,
    S.Flatten, S.Dropout, S.Identity, S.ReLU, S.GELU, S.Tanh, S.Sigmoid, S.Softmax,
)


def _suffix(i: int) -> str:
    return "" if i == 0 else f"_{i}"


def _recurrent_parts(spec: S.RNN | S.LSTM | S.GRU) -> list[Part]:
    if spec.proj:
        raise SpecError(
            f"{spec.name}: Keras has no LSTM with a projection (proj_size); no Keras equivalent. "
            f"Received: proj_size={spec.proj}"
        )
    cls = {"RNN": K.SimpleRNN, "LSTM": K.LSTM, "GRU": K.GRU}[spec.name]
    extra = {"activation": "relu"} if isinstance(spec, S.RNN) and spec.nonlinearity == "relu" else {}
    directions = 2 if spec.bidirectional else 1
    parts = []
    for i in range(spec.num_layers):
        n_in = spec.input_size if i == 0 else directions * spec.hidden_size
        layer = cls(units=spec.hidden_size, use_bias=spec.bias, return_sequences=i < spec.num_layers - 1, **extra)
        inner = f"{cls.layer_name}{_suffix(i)}"
        shapes = ((None, None, n_in),)
        if spec.bidirectional:
            name = "" if spec.num_layers == 1 else f"bidirectional{_suffix(i)}"
            parts.append(Part(name, K.Bidirectional(layer=layer), shapes, inner))
        else:
            parts.append(Part("" if spec.num_layers == 1 else inner, layer, shapes))
    return parts


def _mha_part(name: str, d: int, heads: int, bias: bool, kdim: int | None = None, vdim: int | None = None) -> Part:
    shapes = ((None, None, d), (None, None, vdim or d), (None, None, kdim or d))
    return Part(name, K.MultiHeadAttention(num_heads=heads, key_dim=d // heads, use_bias=bias), shapes)


def _transformer_parts(spec: S.TransformerEncoderLayer | S.TransformerDecoderLayer, prefix: str = "") -> list[Part]:
    d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
    seq = ((None, None, d),)
    norm = K.LayerNormalization(epsilon=spec.layer_norm_eps, center=b)
    dense_in = Part(f"{prefix}feedforward_intermediate_dense", K.Dense(units=ff, use_bias=b), seq)
    dense_out = Part(f"{prefix}feedforward_output_dense", K.Dense(units=d, use_bias=b), ((None, None, ff),))
    ff_norm = Part(f"{prefix}feedforward_layer_norm", norm, seq)
    if isinstance(spec, S.TransformerEncoderLayer):  # keras_hub.layers.TransformerEncoder's sublayers
        return [
            _mha_part(f"{prefix}self_attention_layer", d, spec.nhead, b),
            Part(f"{prefix}self_attention_layer_norm", norm, seq),
            ff_norm, dense_in, dense_out,
        ]
    return [  # keras_hub.layers.TransformerDecoder's sublayers
        _mha_part(f"{prefix}self_attention", d, spec.nhead, b),
        Part(f"{prefix}self_attention_layer_norm", norm, seq),
        _mha_part(f"{prefix}cross_attention", d, spec.nhead, b),
        Part(f"{prefix}cross_attention_layer_norm", norm, seq),
        dense_in, dense_out, ff_norm,
    ]


def _stack_parts(
    layer: S.TransformerEncoderLayer | S.TransformerDecoderLayer, num_layers: int, kind: str,
    norm: S.LayerNorm | None = None,
) -> list[Part]:
    """``num_layers`` copies of ``layer`` named transformer_<kind>, transformer_<kind>_1, ..., then ``norm``."""
    parts: list[Part] = []
    for i in range(num_layers):
        parts += _transformer_parts(layer, f"transformer_{kind}{_suffix(i)}/")
    if norm is not None:
        parts += [Part("layer_normalization", p.spec, p.shapes) for p in equivalent(resolve_norm(norm, layer.d_model))]
    return parts


def resolve_norm(norm: S.LayerNorm, d_model: int) -> S.LayerNorm:
    """A stack's final LayerNorm with its size filled in."""
    from paramcalc.dispatch import resolve

    return resolve(norm, (d_model,))


def _attention_part(name: str, d: int, heads: int, kv_heads: int, head: int, bias: bool) -> Part:
    seq = ((None, None, d),)
    if kv_heads == heads:
        return Part(name, K.MultiHeadAttention(num_heads=heads, key_dim=head, use_bias=bias), seq)
    layer = K.GroupQueryAttention(head_dim=head, num_query_heads=heads, num_key_value_heads=kv_heads, use_bias=bias)
    return Part(name, layer, seq)


def _mlp_parts(prefix: str, n_in: int, hidden: int, n_out: int, bias: bool, *, gated: bool) -> list[Part]:
    """Dense layers as keras_hub names them (its Llama decoder adds feedforward_gate_dense)."""
    parts = []
    if gated:
        parts.append(Part(f"{prefix}feedforward_gate_dense", K.Dense(units=hidden, use_bias=bias), ((None, n_in),)))
    parts += [
        Part(f"{prefix}feedforward_intermediate_dense", K.Dense(units=hidden, use_bias=bias), ((None, n_in),)),
        Part(f"{prefix}feedforward_output_dense", K.Dense(units=n_out, use_bias=bias), ((None, hidden),)),
    ]
    return parts


def _decoder_block_parts(spec: B.DecoderBlock) -> list[Part]:
    d, ff, b = spec.d_model, spec.dim_feedforward, spec.bias
    seq = ((None, None, d),)
    if spec.style == "gpt2":  # keras_hub's GPT-2: a TransformerDecoder without cross-attention
        norm = K.LayerNormalization(epsilon=spec.norm_eps)
        return [
            Part("self_attention_layer_norm", norm, seq),
            _mha_part("self_attention", d, spec.nhead, b),
            Part("feedforward_layer_norm", norm, seq),
            *_mlp_parts("", d, ff, d, b, gated=False),
        ]
    kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
    norm = K.RMSNormalization(epsilon=spec.norm_eps)
    return [  # keras_hub's Llama decoder layer
        Part("self_attention_layernorm", norm, seq),
        _attention_part("self_attention", d, spec.nhead, kv, d // spec.nhead, b),
        Part("feedforward_layernorm", norm, seq),
        *_mlp_parts("", d, ff, d, b, gated=True),
    ]


def _patch_parts(spec: B.PatchEmbedding) -> list[Part]:
    """keras_hub's ViT patching: a class token weight, a strided Conv2D, an Embedding of positions."""
    e = spec.embed_dim
    patches = prod(n // p for n, p in zip(spec.image_size, spec.patch_size))
    parts = []
    if spec.class_token:
        parts.append(Part("", None, raw=(Tensor("class_token", (1, 1, e), "trainable", "learned class token"),)))
    conv = K.Conv2D(filters=e, kernel_size=spec.patch_size, strides=spec.patch_size, use_bias=spec.bias)
    parts.append(Part("patch_embedding", conv, ((None, *spec.image_size, spec.in_channels),)))
    if spec.position_embedding:
        tokens = patches + int(spec.class_token)
        parts.append(Part("position_embedding", K.Embedding(input_dim=tokens, output_dim=e), ((None, tokens),)))
    return parts


def equivalent(spec: S.LayerSpec) -> list[Part]:
    """The Keras layers that do what a (resolved) PyTorch spec does, with the inputs they are built on.

    Raises:
        SpecError: Keras has no such layer (an LSTM projection, a grouped transposed convolution,
            attention with add_bias_kv, a layer this module does not know).
    """
    if hasattr(spec, "_keras_parts"):  # the family knows it
        return spec._keras_parts()
    match spec:
        case S.Linear():
            return [Part("", K.Dense(units=spec.out_features, use_bias=spec.bias), ((None, spec.in_features),))]
        case S.Conv1d() | S.Conv2d() | S.Conv3d():
            cls = {1: K.Conv1D, 2: K.Conv2D, 3: K.Conv3D}[spec.nd]
            layer = cls(filters=spec.out_channels, kernel_size=spec.kernel_size, groups=spec.groups, use_bias=spec.bias)
            return [Part("", layer, ((None,) + (None,) * spec.nd + (spec.in_channels,),))]
        case S.ConvTranspose1d() | S.ConvTranspose2d() | S.ConvTranspose3d():
            if spec.groups != 1:
                raise SpecError(
                    f"{spec.name}: Keras transposed convolutions have no groups; no Keras equivalent. "
                    f"Received: groups={spec.groups}"
                )
            cls = {1: K.Conv1DTranspose, 2: K.Conv2DTranspose, 3: K.Conv3DTranspose}[spec.nd]
            layer = cls(filters=spec.out_channels, kernel_size=spec.kernel_size, use_bias=spec.bias)
            return [Part("", layer, ((None,) + (None,) * spec.nd + (spec.in_channels,),))]
        case S.BatchNorm1d() | S.BatchNorm2d() | S.BatchNorm3d():
            layer = K.BatchNormalization(center=spec.affine and spec.bias, scale=spec.affine, epsilon=spec.eps)
            return [Part("", layer, ((None, spec.num_features),))]
        case S.LayerNorm():
            n = len(spec.normalized_shape)
            axis = -1 if n == 1 else tuple(range(-n, 0))
            affine = spec.elementwise_affine
            layer = K.LayerNormalization(axis=axis, epsilon=spec.eps, scale=affine, center=affine and spec.bias)
            return [Part("", layer, ((None, *spec.normalized_shape),))]
        case S.Embedding():
            return [Part("", K.Embedding(input_dim=spec.num_embeddings, output_dim=spec.embedding_dim), ((None, None),))]
        case S.RNN() | S.LSTM() | S.GRU():
            return _recurrent_parts(spec)
        case S.MultiheadAttention():
            if spec.add_bias_kv:
                raise SpecError(
                    "MultiheadAttention: Keras MultiHeadAttention has no bias_k/bias_v (add_bias_kv); "
                    "no Keras equivalent. Received: add_bias_kv=True"
                )
            return [_mha_part("", spec.embed_dim, spec.num_heads, spec.bias, spec.kdim, spec.vdim)]
        case S.TransformerEncoderLayer() | S.TransformerDecoderLayer():
            return _transformer_parts(spec)
        case S.TransformerEncoder():
            return _stack_parts(spec.encoder_layer, spec.num_layers, "encoder", spec.norm)
        case B.TransformerDecoder():
            return _stack_parts(spec.decoder_layer, spec.num_layers, "decoder", spec.norm)
        case B.Transformer():
            common = {"d_model": spec.d_model, "nhead": spec.nhead, "dim_feedforward": spec.dim_feedforward,
                      "layer_norm_eps": spec.layer_norm_eps, "bias": spec.bias}
            norm = [p.spec for p in equivalent(S.LayerNorm(spec.d_model, eps=spec.layer_norm_eps, bias=spec.bias))][0]
            seq = ((None, None, spec.d_model),)
            parts = _stack_parts(S.TransformerEncoderLayer(**common), spec.num_encoder_layers, "encoder")
            parts.append(Part("layer_normalization", norm, seq))
            parts += _stack_parts(S.TransformerDecoderLayer(**common), spec.num_decoder_layers, "decoder")
            parts.append(Part("layer_normalization_1", norm, seq))
            return parts
        case B.RMSNorm():
            if not spec.elementwise_affine:
                raise SpecError(
                    "RMSNorm: Keras RMSNormalization always has a scale; no Keras equivalent. "
                    "Received: elementwise_affine=False"
                )
            n = len(spec.normalized_shape)
            axis = -1 if n == 1 else tuple(range(-n, 0))
            layer = K.RMSNormalization(axis=axis, **({} if spec.eps is None else {"epsilon": spec.eps}))
            return [Part("", layer, ((None, *spec.normalized_shape),))]
        case B.SelfAttention():
            if spec.has_out_bias != spec.bias:
                raise SpecError(
                    f"SelfAttention: Keras attention layers have one use_bias for every projection; no Keras "
                    f"equivalent. Received: bias={spec.bias}, out_bias={spec.out_bias}"
                )
            return [_attention_part("", spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size, spec.bias)]
        case B.CausalSelfAttention():
            return [_mha_part("", spec.embed_dim, spec.num_heads, spec.bias)]
        case B.FeedForward():
            return _mlp_parts("", spec.in_features, spec.hidden_features, spec.outputs, spec.bias, gated=False)
        case B.SwiGLU():
            return _mlp_parts("", spec.in_features, spec.hidden_features, spec.outputs, spec.bias, gated=True)
        case B.DecoderBlock():
            return _decoder_block_parts(spec)
        case B.PatchEmbedding():
            return _patch_parts(spec)
        case _ if isinstance(spec, ZERO_PARAMETER_TORCH):
            return []
    from paramcalc.dispatch import pytorch_count

    if pytorch_count(spec).total == 0:
        return []
    raise SpecError(f"{spec.name}: no Keras equivalent is defined; count it with convention='pytorch'")


def torch_count(spec: S.LayerSpec) -> Count:
    """A (resolved) PyTorch spec counted as its Keras equivalent."""
    total = Count(0)
    for part in equivalent(spec):
        total = total + (Count.of_tensors(list(part.raw)) if part.spec is None else count(part.spec, part.shapes))
    return total


def torch_tensors(spec: S.LayerSpec) -> list[Tensor]:
    """The weights of a (resolved) PyTorch spec's Keras equivalent, with Keras's paths."""
    out = []
    for part in equivalent(spec):
        listed = list(part.raw) if part.spec is None else tensors(part.spec, part.shapes, inner_name=part.inner_name)
        for t in listed:
            name = f"{part.name}/{t.name}" if part.name else t.name
            out.append(Tensor(name, t.shape, t.kind, t.description))
    return out
