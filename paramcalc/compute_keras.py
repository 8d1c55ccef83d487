"""Compute of Keras layers' forward pass: the same rules as :mod:`paramcalc.compute`, Keras layouts.

Keras inputs are (batch, ..., features) and channels_last by default; a layer's ``activation``
argument is counted as activations of its output. A batch size left unknown (``None``) is
counted as one sample, and said so.
"""

from __future__ import annotations

from math import prod
from typing import Any

from paramcalc.compute import Compute, _dot, _elements, _join, _op
from paramcalc.conventions.shapes import check_shape
from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc

Shape = tuple[int, ...]
_SPATIAL = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}
_KERNEL = {1: ("k",), 2: ("kH", "kW"), 3: ("kD", "kH", "kW")}
_LINEAR = (None, "linear")
UNKNOWN_BATCH_NOTE = "the batch size is unknown (None): counted for one sample"


def concrete_shapes(spec: Any, shapes: tuple[Any, ...]) -> tuple[tuple[Shape, ...], tuple[str, ...]]:
    """Keras shapes with an unknown (None) batch counted as 1; any other unknown size is an error."""
    out, notes = [], ()
    for i, shape in enumerate(shapes):
        shape = check_shape(shape, "input_shape" if i == 0 else f"input_shape[{i}]")
        if shape and shape[0] is None:
            shape = (1, *shape[1:])
            notes = (UNKNOWN_BATCH_NOTE,)
        if any(d is None for d in shape):
            raise SpecError(
                f"{spec.name}: counting MACs needs every size but the batch. Received: input_shape={tuple(shape)}"
            )
        out.append(shape)
    return tuple(out), notes


def _activation(name: Any, out: Shape, what: str = "activation") -> Compute:
    if name in _LINEAR:
        return Compute()
    elements, work = _elements(out)
    if name == "softmax":
        return _op(f"{what} (softmax)", "softmax", fc.softmax_ops(elements=elements), "3·elements", f"3·{work}")
    return _op(f"{what} ({name})", "activation", fc.activation_ops(elements=elements), "elements", work)


def _split(spec: Any, shape: Shape) -> tuple[Shape, int]:
    """(spatial sizes, channels) in the spec's data_format."""
    if getattr(spec, "data_format", "channels_last") == "channels_last":
        return shape[1:-1], shape[-1]
    return shape[2:], shape[1]


def _conv(spec: Any, x: Shape, out: Shape, transposed: bool) -> Compute:
    nd = spec.nd
    n = x[0]
    in_spatial, c_in = _split(spec, x)
    out_spatial, _ = _split(spec, out)
    f = spec.filters
    kernel_sym, kernel_work = _dot(*_KERNEL[nd]), _dot(*spec.kernel_size)
    if transposed:
        macs = fc.conv_transpose_macs(batch=n, in_channels=c_in, in_spatial=in_spatial, out_channels=f,
                                      kernel_size=spec.kernel_size)
        items = _op(
            "scatter (each input element through the kernel)", "mac", macs,
            _join("N", _dot(*(f"{s}_in" for s in _SPATIAL[nd])), "C_in", "filters", kernel_sym),
            _dot(n, _dot(*in_spatial), c_in, f, kernel_work),
        )
    else:
        g = spec.groups
        macs = fc.conv_macs(batch=n, out_channels=f, out_spatial=out_spatial, in_channels=c_in,
                            kernel_size=spec.kernel_size, groups=g)
        items = _op(
            "convolution (one dot product per output element)", "mac", macs,
            _join("N", _dot(*(f"{s}_out" for s in _SPATIAL[nd])), "filters",
                  "(C_in/groups)" if g > 1 else "C_in", kernel_sym),
            _dot(n, _dot(*out_spatial), f, c_in // g, kernel_work),
        )
    if spec.use_bias:
        items += _op("bias", "bias", prod(out), _join("N", _dot(*(f"{s}_out" for s in _SPATIAL[nd])), "filters"),
                     _dot(n, _dot(*out_spatial), f))
    return items + _activation(spec.activation, out)


def _pool(spec: Any, out: Shape, global_in: Shape | None = None) -> Compute:
    if global_in is not None:
        elements, work = _elements(global_in)
        return _op("average (adds and one divide per output)", "pool", fc.avg_pool_ops(window_elements=elements),
                   "N·C·spatial elements", work)
    window = fc.pool_window_elements(out_elements=prod(out), kernel_size=spec.pool_size)
    _, work = _elements(out)
    kernel_sym, kernel_work = _dot(*_KERNEL[spec.nd]), _dot(*spec.pool_size)
    if "Max" in spec.name:
        return _op("max (K − 1 comparisons per window)", "pool",
                   fc.max_pool_compares(window_elements=window, out_elements=prod(out)),
                   f"out_elements·({kernel_sym} − 1)", f"{work}·({kernel_work} − 1)")
    return _op("average (K − 1 adds and 1 divide per window)", "pool", fc.avg_pool_ops(window_elements=window),
               f"out_elements·{kernel_sym}", f"{work}·{kernel_work}")


def _recurrent(layer: Any, x: Shape, directions: int = 1) -> Compute:
    n, t, features = x[0], x[1], x[2]
    h = layer.units
    cell = layer.name
    g = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cell]
    reset_after = getattr(layer, "reset_after", True)
    w_ih, w_hh, _ = fc.recurrent_macs(gates=g, input_size=features, hidden_size=h, steps=t, batch=n)
    bias, act, elem = fc.keras_recurrent_ops(cell=cell, hidden_size=h, steps=t, batch=n, bias=layer.use_bias,
                                             reset_after=reset_after)
    d_sym, d_work = ("D·", f"{directions}·") if directions > 1 else ("", "")
    vectors = 2 if cell == "GRU" and reset_after else 1
    items = _op("input-to-hidden (kernel)", "mac", directions * w_ih, f"{d_sym}T·N·G·H·F", f"{d_work}{_dot(t, n, g, h, features)}")
    items += _op("hidden-to-hidden (recurrent_kernel)", "mac", directions * w_hh, f"{d_sym}T·N·G·H·H",
                 f"{d_work}{_dot(t, n, g, h, h)}")
    items += _op("gate biases", "bias", directions * bias, f"{d_sym}T·N·{vectors}·G·H", f"{d_work}{_dot(t, n, vectors, g, h)}")
    a = act // (t * n * h) if t * n * h else 0
    e = elem // (t * n * h) if t * n * h else 0
    items += _op("gate activations", "activation", directions * act, f"{d_sym}T·N·{a}·H", f"{d_work}{_dot(t, n, a, h)}")
    items += _op("gate products and sums", "elementwise", directions * elem, f"{d_sym}T·N·{e}·H",
                 f"{d_work}{_dot(t, n, e, h)}")
    return items


def _attention_sizes(shapes: tuple[Shape, ...]) -> tuple[int, int, int, int, int, int]:
    """(N, T, S, d_q, d_v, d_k) of an attention call on (query, value, key); value defaults to query, key to value."""
    query = shapes[0]
    value = shapes[1] if len(shapes) > 1 else query
    key = shapes[2] if len(shapes) > 2 else value
    return query[0], prod(query[1:-1]), prod(key[1:-1]), query[-1], value[-1], key[-1]


def _mha(spec: Any, shapes: tuple[Shape, ...]) -> Compute:
    """Keras MultiHeadAttention, called on (query, value, key): H heads of key_dim and value_dim."""
    n, t, s, dq, dv, dk = _attention_sizes(shapes)
    h, kd, vd = spec.num_heads, spec.key_dim, spec.values_dim
    out = prod(spec.output_dims) if spec.output_dims else dq
    items = _op("query projection", "mac", n * t * dq * h * kd, "N·T·d_q·H·key_dim", _dot(n, t, dq, h, kd))
    items += _op("key projection", "mac", n * s * dk * h * kd, "N·S·d_k·H·key_dim", _dot(n, s, dk, h, kd))
    items += _op("value projection", "mac", n * s * dv * h * vd, "N·S·d_v·H·value_dim", _dot(n, s, dv, h, vd))
    items += _op("QKᵀ scores", "mac", n * h * t * s * kd, "N·H·T·S·key_dim", _dot(n, h, t, s, kd))
    items += _op("softmax(QKᵀ)·V", "mac", n * h * t * s * vd, "N·H·T·S·value_dim", _dot(n, h, t, s, vd))
    items += _op("output projection", "mac", n * t * h * vd * out, "N·T·H·value_dim·d_out", _dot(n, t, h, vd, out))
    if spec.use_bias:
        items += _op(
            "projection biases", "bias", n * (t * h * kd + s * h * kd + s * h * vd + t * out),
            "N·(T·H·key_dim + S·H·key_dim + S·H·value_dim + T·d_out)",
            f"{n}·({t}·{h}·{kd} + {s}·{h}·{kd} + {s}·{h}·{vd} + {t}·{out})",
        )
    items += _op("scaling the query by 1/√key_dim", "elementwise", n * t * h * kd, "N·T·H·key_dim", _dot(n, t, h, kd))
    items += _op("softmax over the keys", "softmax", fc.softmax_ops(elements=n * h * t * s), "3·N·H·T·S",
                 _dot(3, n, h, t, s))
    return items


def _gqa(spec: Any, shapes: tuple[Shape, ...]) -> Compute:
    """Keras GroupQueryAttention on (query, value, key): Hq query heads share Hkv key/value heads of head_dim."""
    n, t, s, dq, dv, dk = _attention_sizes(shapes)
    hq, hkv, hd = spec.num_query_heads, spec.num_key_value_heads, spec.head_dim
    items = _op("query projection", "mac", n * t * dq * hq * hd, "N·T·d_q·Hq·head_dim", _dot(n, t, dq, hq, hd))
    items += _op("key projection", "mac", n * s * dk * hkv * hd, "N·S·d_k·Hkv·head_dim", _dot(n, s, dk, hkv, hd))
    items += _op("value projection", "mac", n * s * dv * hkv * hd, "N·S·d_v·Hkv·head_dim", _dot(n, s, dv, hkv, hd))
    items += _op("QKᵀ scores", "mac", n * hq * t * s * hd, "N·Hq·T·S·head_dim", _dot(n, hq, t, s, hd))
    items += _op("softmax(QKᵀ)·V", "mac", n * hq * t * s * hd, "N·Hq·T·S·head_dim", _dot(n, hq, t, s, hd))
    items += _op("output projection", "mac", n * t * hq * hd * dq, "N·T·Hq·head_dim·d_q", _dot(n, t, hq, hd, dq))
    if spec.use_bias:
        items += _op(
            "projection biases", "bias", n * (t * hq * hd + 2 * s * hkv * hd + t * dq),
            "N·(T·Hq·head_dim + 2·S·Hkv·head_dim + T·d_q)", f"{n}·({t}·{hq}·{hd} + 2·{s}·{hkv}·{hd} + {t}·{dq})",
        )
    items += _op("scaling the query by 1/√head_dim", "elementwise", n * t * hq * hd, "N·T·Hq·head_dim",
                 _dot(n, t, hq, hd))
    items += _op("softmax over the keys", "softmax", fc.softmax_ops(elements=n * hq * t * s), "3·N·Hq·T·S",
                 _dot(3, n, hq, t, s))
    return items


def keras_compute(spec: Any, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
    """MACs and FLOPs of a Keras layer on concrete input shapes (the rules of :mod:`paramcalc.compute`)."""
    if hasattr(spec, "_keras_compute"):  # the family knows it
        return spec._keras_compute(shapes, outs)
    from paramcalc import keras_layers as K

    x = shapes[0]
    out = next(iter(outs.values()))
    match spec:
        case K.Dense():
            rows_dims = x[:-1]
            rows = prod(rows_dims)
            work = _dot(*rows_dims) if len(rows_dims) == 1 else f"({_dot(*rows_dims)})"
            items = _op("x·kernel", "mac", fc.linear_macs(rows=rows, in_features=x[-1], out_features=spec.units),
                        "rows·features·units", _dot(work, x[-1], spec.units))
            if spec.use_bias:
                items += _op("bias", "bias", rows * spec.units, "rows·units", _dot(work, spec.units))
            return items + _activation(spec.activation, out)
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            return _conv(spec, x, out, transposed=False)
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            return _conv(spec, x, out, transposed=True)
        case (K.MaxPooling1D() | K.MaxPooling2D() | K.MaxPooling3D()
              | K.AveragePooling1D() | K.AveragePooling2D() | K.AveragePooling3D()):
            return _pool(spec, out)
        case K.GlobalAveragePooling1D() | K.GlobalAveragePooling2D() | K.GlobalAveragePooling3D():
            return _pool(spec, out, global_in=x)
        case K.BatchNormalization():
            elements, work = _elements(x)
            per = 2 + int(spec.scale) + int(spec.center)
            return Compute(
                _op("normalise (x − μ)/σ" + (", scale and shift" if per > 2 else ""), "norm", per * elements,
                    f"{per}·elements", f"{per}·({work})").ops,
                ("BatchNormalization: inference mode (moving statistics)",),
            )
        case K.LayerNormalization():
            elements, work = _elements(x)
            per = 6 + int(spec.scale) + int(spec.center)
            return _op("LayerNormalization: statistics, normalise" + (", affine" if per > 6 else ""), "norm",
                       per * elements, f"{per}·elements", f"{per}·({work})")
        case K.RMSNormalization():
            elements, work = _elements(x)
            return _op("RMSNormalization: mean square, normalise, scale", "norm", 4 * elements,
                       "(2 + 1 + 1)·elements", f"(2 + 1 + 1)·({work})")
        case K.Embedding():
            return Compute(notes=("Embedding: a table lookup, no arithmetic",))
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            return _recurrent(spec, x)
        case K.Bidirectional():
            items = _recurrent(spec.layer, x, directions=2)
            if spec.merge_mode in ("sum", "mul", "ave"):
                elements, work = _elements(out)
                per = 2 if spec.merge_mode == "ave" else 1
                items += _op(f"merging the directions ({spec.merge_mode})", "elementwise", per * elements,
                             f"{per}·elements", f"{per}·({work})")
            return items
        case K.MultiHeadAttention():
            return _mha(spec, shapes)
        case K.GroupQueryAttention():
            return _gqa(spec, shapes)
        case K.Activation():
            return _activation(spec.activation, out, "activation")
        case K.Flatten():
            return Compute()
        case K.Dropout():
            return Compute(notes=("Dropout: identity at inference",))
    raise SpecError(f"{spec.name}: no compute formula for this layer type yet")
