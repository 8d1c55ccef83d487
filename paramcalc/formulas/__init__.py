"""Pure formulas: plain ints and int tuples in, ints and tuples out. No pydantic, no printing, no framework.

Each function states its formula in its docstring. Invalid results (an output length below 1, a
kernel larger than its padded input) raise :class:`paramcalc.SpecError` with the arithmetic.
"""

from paramcalc.formulas.attention import mha_output_shapes, mha_params
from paramcalc.formulas.conv import (
    conv_output_shape,
    conv_output_size,
    conv_params,
    conv_transpose_output_shape,
    conv_transpose_output_size,
    is_exact_division,
    padded_size,
    same_padding,
)
from paramcalc.formulas.embedding import embedding_output_shape, embedding_params
from paramcalc.formulas.linear import linear_output_shape, linear_params
from paramcalc.formulas.norm import (
    batchnorm_buffers,
    batchnorm_params,
    groupnorm_params,
    instancenorm_buffers,
    instancenorm_params,
    layernorm_params,
)
from paramcalc.formulas.pool import (
    adaptive_max_pool_output_shape,
    adaptive_pool_output_shape,
    pool_output_shape,
    pool_output_size,
)
from paramcalc.formulas.recurrent import (
    GATES,
    gru_params,
    lstm_params,
    recurrent_output_shapes,
    recurrent_params,
    rnn_params,
)
from paramcalc.formulas.transformer import (
    feed_forward_params,
    transformer_decoder_layer_params,
    transformer_encoder_layer_params,
    transformer_output_shape,
)

__all__ = [
    "GATES",
    "adaptive_max_pool_output_shape",
    "adaptive_pool_output_shape",
    "batchnorm_buffers",
    "batchnorm_params",
    "conv_output_shape",
    "conv_output_size",
    "conv_params",
    "conv_transpose_output_shape",
    "conv_transpose_output_size",
    "embedding_output_shape",
    "feed_forward_params",
    "embedding_params",
    "groupnorm_params",
    "instancenorm_buffers",
    "instancenorm_params",
    "gru_params",
    "is_exact_division",
    "layernorm_params",
    "linear_output_shape",
    "linear_params",
    "lstm_params",
    "mha_output_shapes",
    "mha_params",
    "padded_size",
    "pool_output_shape",
    "pool_output_size",
    "recurrent_output_shapes",
    "recurrent_params",
    "rnn_params",
    "same_padding",
    "transformer_decoder_layer_params",
    "transformer_encoder_layer_params",
    "transformer_output_shape",
]
