"""Keras 3 arithmetic: weight counts where Keras differs from PyTorch, and Keras's shape rules.

Counts that Keras shares with PyTorch (Dense = Linear, Conv*D, Embedding) use the core formulas;
this module holds what is Keras's own: one bias per gate, GRU's reset_after, BatchNormalization's
non-trainable moving statistics, MultiHeadAttention's key_dim / value_dim / output_shape
parameterisation, and the "valid" / "same" output lengths (a ``None`` size stays ``None``).
"""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError


def rnn_params(*, gates: int, input_dim: int, units: int, use_bias: bool = True, bias_rows: int = 1) -> int:
    """Weights of a Keras recurrent cell with ``gates`` gate blocks (SimpleRNN 1, GRU 3, LSTM 4).

    kernel (I, G·U), recurrent_kernel (U, G·U) and a bias of ``bias_rows`` × G·U.
    Formula: G·U·(I + U) + bias_rows·G·U·use_bias.
    """
    return gates * units * (input_dim + units) + (bias_rows * gates * units if use_bias else 0)


def simple_rnn_params(*, input_dim: int, units: int, use_bias: bool = True) -> int:
    """Weights of ``keras.layers.SimpleRNN``: one bias vector.

    Formula: U·I + U·U + U.
    """
    return rnn_params(gates=1, input_dim=input_dim, units=units, use_bias=use_bias)


def lstm_params(*, input_dim: int, units: int, use_bias: bool = True) -> int:
    """Weights of ``keras.layers.LSTM``: one bias vector for the 4 gates.

    Formula: 4·(U·I + U·U + U).
    """
    return rnn_params(gates=4, input_dim=input_dim, units=units, use_bias=use_bias)


def gru_params(*, input_dim: int, units: int, use_bias: bool = True, reset_after: bool = True) -> int:
    """Weights of ``keras.layers.GRU``.

    With reset_after=True (the default) the bias has two rows, input and recurrent, shape (2, 3U),
    as PyTorch's bias_ih and bias_hh; with reset_after=False one row (3U).
    Formula: 3·(U·I + U·U) + (2 if reset_after else 1)·3·U.
    """
    return rnn_params(gates=3, input_dim=input_dim, units=units, use_bias=use_bias, bias_rows=2 if reset_after else 1)


def batchnorm_params(*, channels: int, center: bool = True, scale: bool = True) -> tuple[int, int]:
    """(trainable, non-trainable) weights of ``keras.layers.BatchNormalization``.

    gamma (C) if scale and beta (C) if center are trainable; moving_mean and moving_variance (C each)
    are always created, as non-trainable weights.
    Formula: trainable = C·(scale + center); non-trainable = 2·C.
    """
    return channels * (int(scale) + int(center)), 2 * channels


def layernorm_params(*, normalized_shape: tuple[int, ...], center: bool = True, scale: bool = True) -> int:
    """Weights of ``keras.layers.LayerNormalization`` over the axes of ``normalized_shape``.

    Formula: d·(scale + center), d = product of the normalised dimensions.
    """
    return prod(normalized_shape) * (int(scale) + int(center))


def rmsnorm_params(*, normalized_shape: tuple[int, ...]) -> int:
    """Weights of ``keras.layers.RMSNormalization``: one scale per normalised feature, no shift.

    Formula: d, the product of the normalised dimensions.
    """
    return prod(normalized_shape)


def groupnorm_params(*, channels: int, center: bool = True, scale: bool = True) -> int:
    """Weights of ``keras.layers.GroupNormalization``: gamma and beta per channel (the groups share nothing).

    Formula: C·(scale + center), C = the size of the channel axis.
    """
    return channels * (int(scale) + int(center))


def gqa_params(
    *,
    head_dim: int,
    num_query_heads: int,
    num_key_value_heads: int,
    query_features: int,
    key_features: int | None = None,
    value_features: int | None = None,
    use_bias: bool = True,
) -> int:
    """Weights of ``keras.layers.GroupQueryAttention``.

    With head size k, h query heads and g key/value heads, feature sizes Dq, Dv (default Dq) and Dk
    (default Dv): query/kernel (Dq, h, k), key/kernel (Dk, g, k), value/kernel (Dv, g, k),
    attention_output/kernel (h, k, Dq), and with use_bias the biases (h, k), (g, k), (g, k), (Dq).
    Formula: 2·h·k·Dq + g·k·(Dk + Dv) + use_bias·(h·k + 2·g·k + Dq).
    """
    dv = query_features if value_features is None else value_features
    dk = dv if key_features is None else key_features
    h, g, k = num_query_heads, num_key_value_heads, head_dim
    weights = 2 * h * k * query_features + g * k * (dk + dv)
    return weights + (h * k + 2 * g * k + query_features if use_bias else 0)


def mha_params(
    *,
    num_heads: int,
    key_dim: int,
    value_dim: int | None = None,
    query_features: int,
    key_features: int | None = None,
    value_features: int | None = None,
    output_shape: tuple[int, ...] | None = None,
    use_bias: bool = True,
) -> int:
    """Weights of ``keras.layers.MultiHeadAttention``.

    With h heads, key_dim k, value_dim v (default k), feature sizes Dq, Dv (default Dq) and Dk (default
    Dv: Keras uses the value as key when no key is given) and output size O = prod(output_shape)
    (default Dq): query/kernel (Dq, h, k), key/kernel (Dk, h, k), value/kernel (Dv, h, v),
    attention_output/kernel (h, v, O), and with use_bias the biases (h, k), (h, k), (h, v), (O).
    Formula: h·k·(Dq + Dk) + h·v·Dv + h·v·O + use_bias·(2·h·k + h·v + O).
    """
    v = value_dim or key_dim
    dv = query_features if value_features is None else value_features
    dk = dv if key_features is None else key_features
    out = prod(output_shape) if output_shape else query_features
    weights = num_heads * key_dim * (query_features + dk) + num_heads * v * dv + num_heads * v * out
    biases = 2 * num_heads * key_dim + num_heads * v + out
    return weights + (biases if use_bias else 0)


def depthwise_conv_params(*, kernel_size: tuple[int, ...], channels: int, depth_multiplier: int = 1,
                          use_bias: bool = True) -> int:
    """Weights of ``keras.layers.DepthwiseConv1D``/``2D``: one filter of its own per input channel and multiplier.

    kernel (k..., C, M) and a bias of C·M.
    Formula: prod(k)·C·M + C·M·use_bias.
    """
    return prod(kernel_size) * channels * depth_multiplier + (channels * depth_multiplier if use_bias else 0)


def separable_conv_params(*, kernel_size: tuple[int, ...], channels: int, filters: int, depth_multiplier: int = 1,
                          use_bias: bool = True) -> int:
    """Weights of ``keras.layers.SeparableConv1D``/``2D``: a depthwise then a 1×1 pointwise convolution.

    depthwise_kernel (k..., C, M), pointwise_kernel (1..., C·M, F) and a bias of F.
    Formula: prod(k)·C·M + C·M·F + F·use_bias.
    """
    return prod(kernel_size) * channels * depth_multiplier + channels * depth_multiplier * filters + (
        filters if use_bias else 0)


def conv_lstm_params(*, kernel_size: tuple[int, ...], channels: int, filters: int, use_bias: bool = True) -> int:
    """Weights of ``keras.layers.ConvLSTM1D``/``2D``: an LSTM whose matrix products are convolutions.

    kernel (k..., C, 4F) on the input, recurrent_kernel (k..., F, 4F) on the state, bias (4F).
    Formula: 4F·prod(k)·(C + F) + 4F·use_bias.
    """
    return 4 * filters * prod(kernel_size) * (channels + filters) + (4 * filters if use_bias else 0)


def normalization_params(*, kept_shape: tuple[int, ...], adapted: bool = True) -> int:
    """Weights of ``keras.layers.Normalization``, all non-trainable.

    Without a given mean and variance (to be learned by ``adapt``): mean and variance of the kept
    axes' shape and a scalar count; with them given: none.
    Formula: 2·prod(kept) + 1, or 0.
    """
    return 2 * prod(kept_shape) + 1 if adapted else 0


def prelu_params(*, alpha_shape: tuple[int, ...]) -> int:
    """Weights of ``keras.layers.PReLU``: one slope alpha per value of the input's non-batch axes,
    size 1 on the shared axes.

    Formula: prod(alpha_shape).
    """
    return prod(alpha_shape)


# -- Shapes ----------------------------------------------------------------------------------


def conv_output_length(
    *,
    size: int | None,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
    layer: str = "Conv",
    dim: str = "length",
) -> int | None:
    """Output length of a Keras convolution along one dimension.

    "valid": (n − d·(k − 1) − 1) // s + 1, which must be >= 1;
    "same" and "causal": (n − 1) // s + 1 = ceil(n / s) (Keras pads so that the output covers the input).
    """
    if size is None:
        return None
    if padding == "valid":
        out = (size - dilation * (kernel_size - 1) - 1) // stride + 1
        if out < 1:
            raise SpecError(
                f"{layer}: output {dim} ({size} - {dilation}*({kernel_size}-1) - 1)//{stride} + 1 = {out} "
                f"must be >= 1 (the kernel is larger than the input; padding='same' keeps it)"
            )
        return out
    return (size - 1) // stride + 1


def conv_transpose_output_length(
    *,
    size: int | None,
    kernel_size: int,
    stride: int = 1,
    padding: str = "valid",
    output_padding: int | None = None,
    dilation: int = 1,
) -> int | None:
    """Output length of a Keras transposed convolution along one dimension.

    With K = d·(k − 1) + 1: "valid" gives (n − 1)·s + K + op, where op defaults to max(K, s) − K
    (so (n − 1)·s + max(K, s)); "same" gives n·s, or (n − 1)·s + K mod 2 + op when output_padding is set.
    """
    if size is None:
        return None
    effective = dilation * (kernel_size - 1) + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        return (size - 1) * stride + effective + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + effective % 2 + output_padding


def pool_output_length(
    *,
    size: int | None,
    pool_size: int,
    stride: int,
    padding: str = "valid",
    layer: str = "Pooling",
    dim: str = "length",
) -> int | None:
    """Output length of Keras max or average pooling along one dimension.

    "valid": (n − p) // s + 1, which must be >= 1; "same": (n − 1) // s + 1 = ceil(n / s).
    """
    if size is None:
        return None
    if padding == "valid":
        out = (size - pool_size) // stride + 1
        if out < 1:
            raise SpecError(
                f"{layer}: output {dim} ({size} - {pool_size})//{stride} + 1 = {out} must be >= 1 "
                f"(the window is larger than the input; padding='same' keeps it)"
            )
        return out
    return (size - 1) // stride + 1
