"""Transformer encoder and decoder layers (torch.nn.TransformerEncoderLayer / DecoderLayer)."""

from __future__ import annotations

from paramcalc.errors import SpecError
from paramcalc.formulas.attention import mha_params
from paramcalc.formulas.linear import linear_params
from paramcalc.formulas.norm import layernorm_params


def feed_forward_params(*, d_model: int, dim_feedforward: int, bias: bool = True) -> int:
    """Parameters of the position-wise feed-forward block: Linear(d, d_ff) then Linear(d_ff, d).

    Formula: 2·d·d_ff + (d_ff + d if bias).
    """
    return linear_params(in_features=d_model, out_features=dim_feedforward, bias=bias) + linear_params(
        in_features=dim_feedforward, out_features=d_model, bias=bias
    )


def transformer_encoder_layer_params(*, d_model: int, dim_feedforward: int = 2048, bias: bool = True) -> int:
    """Parameters of ``torch.nn.TransformerEncoderLayer`` (norm_first does not change them).

    Formula: self-attention (4·d² + 4·d) + feed-forward (2·d·d_ff + d_ff + d) + two LayerNorms (2·2·d);
    without bias: 4·d² + 2·d·d_ff + 2·d (the LayerNorms keep their weights).
    """
    return (
        mha_params(embed_dim=d_model, bias=bias)
        + feed_forward_params(d_model=d_model, dim_feedforward=dim_feedforward, bias=bias)
        + 2 * layernorm_params(normalized_shape=(d_model,), bias=bias)
    )


def transformer_decoder_layer_params(*, d_model: int, dim_feedforward: int = 2048, bias: bool = True) -> int:
    """Parameters of ``torch.nn.TransformerDecoderLayer``.

    Formula: self-attention and cross-attention (2·(4·d² + 4·d)) + feed-forward (2·d·d_ff + d_ff + d)
    + three LayerNorms (3·2·d).
    """
    return (
        2 * mha_params(embed_dim=d_model, bias=bias)
        + feed_forward_params(d_model=d_model, dim_feedforward=dim_feedforward, bias=bias)
        + 3 * layernorm_params(normalized_shape=(d_model,), bias=bias)
    )


def transformer_output_shape(
    *, input_shape: tuple[int, ...], d_model: int, layer: str = "TransformerEncoderLayer", what: str = "src"
) -> tuple[int, ...]:
    """The output shape of a Transformer layer.

    Formula: output shape = input shape: (S, N, d_model), (N, S, d_model) or (S, d_model).
    """
    if len(input_shape) not in (2, 3):
        raise SpecError(
            f"{layer}: {what} should be unbatched 2D or batched 3D. Received: {what}_shape={tuple(input_shape)}"
        )
    if input_shape[-1] != d_model:
        raise SpecError(
            f"{layer}: {what} must have last dimension d_model={d_model}, got {input_shape[-1]}. "
            f"Received: {what}_shape={tuple(input_shape)}"
        )
    return tuple(input_shape)
