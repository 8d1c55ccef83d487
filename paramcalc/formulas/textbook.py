"""The classic lecture formulas: one bias vector per layer or gate, no buffers, no framework details.

Sources: the course notes in the project's shared seeds. ``004_e222c4b361d4517b.txt`` ("Calculate #
params") lists Linear (I × O) + O, Conv ((K_w × K_h × C_in) + 1) × C_out, Batch Norm C × 2, pooling 0,
RNN H × I + H × H + H, LSTM 4 × (RNN), GRU 3 × (RNN) and the Transformer encoder as multi-head
attention 4·d² (K, Q, V, Out) plus feed-forward 2·(d × 4d) = 8·d², with the embedding V × d; it also
works the simple RNN example Embedding 1000 × 64, RNN H × (H + I) + B, Linear (I × D) + B.
``002_67d2029579abb0ed.txt`` ("Calculation of # Parameters in RNN") counts W_x = 100 × 128,
W_h = 128 × 128, one bias of 128 and the output weights 128 + 1 (total 529,441).
"""

from __future__ import annotations

from math import prod


def linear_params(*, in_features: int, out_features: int, bias: bool = True) -> int:
    """A fully connected layer.

    Formula: I·O + O (notes 004: "Linear: (I × O) + O"); without bias I·O.
    """
    return in_features * out_features + (out_features if bias else 0)


def conv_params(
    *, kernel_size: tuple[int, ...], in_channels: int, out_channels: int, groups: int = 1, bias: bool = True
) -> int:
    """A convolution (or transposed convolution): one bias per output channel.

    Formula: (K_h·K_w·C_in / groups + 1)·C_out (notes 004: "Conv: ((K_w × K_h × C_in) + 1) × C_out";
    the /groups and the other kernel ranks follow the same rule); without bias K·C_in/groups·C_out.
    """
    return (prod(kernel_size) * (in_channels // groups) + (1 if bias else 0)) * out_channels


def batchnorm_params(*, channels: int, scale: bool = True, center: bool = True) -> int:
    """Batch normalisation: a scale (gamma) and a shift (beta) per channel; running statistics are not parameters.

    Formula: 2·C (notes 004: "Batch Norm: C × 2"); C for only one of gamma, beta (gamma alone is
    PyTorch's ``bias=False`` or Keras's ``center=False``).
    """
    return channels * (int(scale) + int(center))


def layernorm_params(*, normalized_shape: tuple[int, ...], scale: bool = True, center: bool = True) -> int:
    """Layer normalisation: gamma and beta over the normalised features (d = their product).

    Formula: 2·d (the same gamma-and-beta rule as Batch Norm, per feature instead of per channel;
    notes 004 introduce LayerNorm "dimension-wise").
    """
    return prod(normalized_shape) * (int(scale) + int(center))


def embedding_params(*, vocab_size: int, embedding_dim: int) -> int:
    """An embedding table.

    Formula: V·d (notes 004: "Embedding layer: Vocab size × Embedding Dim (1000×64)").
    """
    return vocab_size * embedding_dim


def rnn_params(*, input_size: int, hidden_size: int, bias: bool = True) -> int:
    """A simple (Elman) RNN cell with one bias vector.

    Formula: H·I + H·H + H = H·(I + H) + H (notes 004: "RNN: H × I + H × H + H"; notes 002:
    W_x = 100 × 128, W_h = 128 × 128, bias 128).
    """
    return hidden_size * (input_size + hidden_size) + (hidden_size if bias else 0)


def lstm_params(*, input_size: int, hidden_size: int, bias: bool = True) -> int:
    """An LSTM cell: four gate blocks, each an RNN with one bias.

    Formula: 4·(H·(I + H) + H) (notes 004: "LSTM: 4 × (RNN) (∵ 4 gates)").
    """
    return 4 * rnn_params(input_size=input_size, hidden_size=hidden_size, bias=bias)


def gru_params(*, input_size: int, hidden_size: int, bias: bool = True) -> int:
    """A GRU cell: three gate blocks, each an RNN with one bias.

    Formula: 3·(H·(I + H) + H) (notes 004: "GRU: 3 × (RNN) (∵ 3 gates)").
    """
    return 3 * rnn_params(input_size=input_size, hidden_size=hidden_size, bias=bias)


def recurrent_params(
    *,
    gates: int,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    bias: bool = True,
    proj_size: int = 0,
) -> int:
    """A stack of recurrent layers counted the textbook way: one bias vector per gate.

    Layer l takes I_l = input_size for l = 0 and D·H_out after (D = 2 if bidirectional; H_out = P or H);
    each layer and direction has G·(H·(I_l + H_out) + H), plus P·H for an LSTM projection (a PyTorch
    extension the notes do not cover, counted as its weight matrix).
    Formula: D · Σ_l [G·(H·(I_l + H_out) + H·bias) + P·H].
    """
    directions = 2 if bidirectional else 1
    h_out = proj_size or hidden_size
    total = 0
    for layer in range(num_layers):
        n_in = input_size if layer == 0 else directions * h_out
        cell = gates * (hidden_size * (n_in + h_out) + (hidden_size if bias else 0)) + proj_size * hidden_size
        total += directions * cell
    return total


def mha_params(*, embed_dim: int, kdim: int | None = None, vdim: int | None = None) -> int:
    """Multi-head attention: the Q, K, V and output projections, no biases (heads do not change it).

    Formula: 4·d² (notes 004: "Multi-head Attention: 4 × d² (K, Q, V, Out)"); with key and value
    inputs of sizes d_k, d_v projected to d: d·d + d_k·d + d_v·d + d·d.
    """
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    return embed_dim * (2 * embed_dim + kdim + vdim)


def attention_projection_params(
    *,
    num_heads: int,
    key_dim: int,
    value_dim: int,
    query_features: int,
    key_features: int,
    value_features: int,
    output_features: int,
    num_kv_heads: int | None = None,
) -> int:
    """The 4·d² rule for attention whose heads have their own sizes, no biases.

    Q: D_q → h·k, K: D_k → g·k, V: D_v → g·v, Out: h·v → D_out, with g = num_kv_heads key/value heads
    (g = h unless grouped-query attention shares them, as Keras's GroupQueryAttention and LLaMA do).
    Formula: h·k·D_q + g·k·D_k + g·v·D_v + h·v·D_out; with one size d everywhere and g = h it is 4·d².
    """
    g = num_heads if num_kv_heads is None else num_kv_heads
    return (
        num_heads * key_dim * query_features + g * key_dim * key_features + g * value_dim * value_features
        + num_heads * value_dim * output_features
    )


def feed_forward_params(*, d_model: int, dim_feedforward: int, out_features: int | None = None) -> int:
    """The position-wise feed-forward block d → d_ff → d (or d_out), no biases.

    Formula: 2·d·d_ff (notes 004: "Feed Forward Network: 2(d × 4d) = 8d²" for d_ff = 4d);
    d·d_ff + d_ff·d_out when the output size differs.
    """
    out = d_model if out_features is None else out_features
    return d_model * dim_feedforward + dim_feedforward * out


def swiglu_params(*, d_model: int, dim_feedforward: int, out_features: int | None = None) -> int:
    """A gated (SwiGLU) feed-forward block: gate W and up V projections d → d_ff, down W_2: d_ff → d, no biases.

    Formula: 3·d·d_ff (Shazeer 2020, "GLU Variants Improve Transformer": FFN = (Swish(xW) ⊗ xV)·W_2,
    three matrices where the notes' feed-forward has two); 2·d·d_ff + d_ff·d_out in general.
    """
    out = d_model if out_features is None else out_features
    return 2 * d_model * dim_feedforward + dim_feedforward * out


def rmsnorm_params(*, normalized_shape: tuple[int, ...]) -> int:
    """RMS normalisation: a scale per feature and no shift (notes 004: "RMSNorm: simplify LN by removing mean stat").

    Formula: d.
    """
    return prod(normalized_shape)


def transformer_encoder_layer_params(*, d_model: int, dim_feedforward: int) -> int:
    """One Transformer encoder layer: attention and feed-forward, no biases and no LayerNorm.

    Formula: 4·d² + 2·d·d_ff; with d_ff = 4d this is the 12·d² rule (notes 004: "Each Encoder:
    Multi-head Attention 4 × d² + Feed Forward 8d²"). d = 512, d_ff = 2048: 3,145,728.
    """
    return mha_params(embed_dim=d_model) + feed_forward_params(d_model=d_model, dim_feedforward=dim_feedforward)


def transformer_decoder_layer_params(*, d_model: int, dim_feedforward: int) -> int:
    """One Transformer decoder layer: self-attention, cross-attention and feed-forward, no biases or LayerNorm.

    Formula: 8·d² + 2·d·d_ff (the encoder rule with a second 4·d² attention block; 16·d² for d_ff = 4d).
    """
    return 2 * mha_params(embed_dim=d_model) + feed_forward_params(d_model=d_model, dim_feedforward=dim_feedforward)
