"""Forward-pass compute: multiply-accumulates (MACs) and the other operations, per layer family.

One MAC is one multiplication followed by one addition into an accumulator, so a dot product of
length n costs n MACs and 2·n FLOPs. Everything that is not part of such a product (bias adds,
normalisation, activations, softmax, pooling, residual adds) is counted separately, in FLOPs,
never folded into the MACs. Every count is for one forward pass over the given input, batch
included, on the dense computation (masks and zero padding save nothing).
"""

from __future__ import annotations

from math import gcd, prod
from typing import NamedTuple

from paramcalc.formulas.recurrent import GATES

#: Per-element operations of one recurrent cell step, as torch computes it, in units of H.
#: RNN: act(·). LSTM: σ(i), σ(f), tanh(g), σ(o), tanh(c') = 5 activations; c' = f⊙c + i⊙g
#: and h' = o⊙tanh(c') = 4 products and sums. GRU: σ(r), σ(z), tanh(n) = 3 activations;
#: r⊙(W_hn·h + b_hn), the sum with the input part of n, and h' = n + z⊙(h − n) = 5.
CELL_ACTIVATIONS = {"RNN": 1, "LSTM": 5, "GRU": 3}
CELL_ELEMENTWISE = {"RNN": 0, "LSTM": 4, "GRU": 5}

#: Per-element FLOPs of the non-MAC operations (the conventions paramcalc counts with).
SOFTMAX_OPS_PER_ELEMENT = 3  # exponential, add to the sum, divide by the sum
NORM_STATS_OPS_PER_ELEMENT = 4  # mean: 1 add; variance: subtract, square, add
NORMALISE_OPS_PER_ELEMENT = 2  # subtract the mean, multiply by 1/σ
RMS_STATS_OPS_PER_ELEMENT = 2  # square, add
RMS_NORMALISE_OPS_PER_ELEMENT = 1  # multiply by 1/rms


def linear_macs(*, rows: int, in_features: int, out_features: int) -> int:
    """MACs of a fully connected layer applied to ``rows`` input vectors.

    Formula: rows · in_features · out_features, where rows is the product of every input
    dimension but the last (the batch and sequence positions). The bias adds are apart:
    rows · out_features (see :func:`bias_adds`).
    """
    return rows * in_features * out_features


def bias_adds(*, outputs: int) -> int:
    """FLOPs of adding a bias: one addition per output element.

    Formula: outputs (the number of output elements that receive a bias).
    """
    return outputs


def conv_macs(
    *,
    batch: int,
    out_channels: int,
    out_spatial: tuple[int, ...],
    in_channels: int,
    kernel_size: tuple[int, ...],
    groups: int = 1,
) -> int:
    """MACs of a convolution (Conv1d/2d/3d): each output element is one dot product.

    Each output value sees in_channels/groups input channels through the whole kernel, wherever
    the kernel lands (positions over zero padding are computed as well). Stride and dilation
    enter through the output size, which the caller computes.
    Formula: N · C_out · prod(out_spatial) · (C_in / groups) · prod(kernel_size)
    = out_elements · (C_in / groups) · prod(kernel_size).
    """
    return batch * out_channels * prod(out_spatial) * (in_channels // groups) * prod(kernel_size)


def conv_transpose_macs(
    *,
    batch: int,
    in_channels: int,
    in_spatial: tuple[int, ...],
    out_channels: int,
    kernel_size: tuple[int, ...],
    groups: int = 1,
) -> int:
    """MACs of a transposed convolution: every input element is scattered through the kernel.

    Each input value is multiplied by every kernel tap of the out_channels/groups output
    channels of its group and accumulated into the output; contributions that land in the
    cropped border (padding) are computed as well. Counting per output element instead gets
    strided transposed convolutions wrong (most output positions receive fewer taps).
    Formula: N · C_in · prod(in_spatial) · (C_out / groups) · prod(kernel_size)
    = in_elements · (C_out / groups) · prod(kernel_size).
    """
    return batch * in_channels * prod(in_spatial) * (out_channels // groups) * prod(kernel_size)


def pool_window_elements(*, out_elements: int, kernel_size: tuple[int, ...]) -> int:
    """Input values read by max or average pooling, every window taken at its full size.

    Formula: out_elements · prod(kernel_size) (padded and ceil_mode positions included).
    """
    return out_elements * prod(kernel_size)


def adaptive_window_sum(*, in_size: int, out_size: int) -> int:
    """Sum of the window lengths of adaptive pooling along one dimension.

    Window i spans [floor(i·n/o), ceil((i+1)·n/o)), so windows overlap when o does not divide n.
    Formula: Σ_{i<o} (ceil((i+1)·n/o) − floor(i·n/o)) = n + o − gcd(n, o) for n, o ≥ 1 (0 when
    either is 0); equal to n when o divides n. The closed form costs nothing for a huge o:
    ceil((i+1)·n/o) is floor((i+1)·n/o) plus one unless o divides (i+1)·n (true for gcd(n, o) of
    the o windows), and Σ_{i<o} (floor((i+1)·n/o) − floor(i·n/o)) telescopes to n.
    """
    if in_size == 0 or out_size == 0:
        return 0
    return in_size + out_size - gcd(in_size, out_size)


def adaptive_pool_window_elements(
    *, channels: int, in_spatial: tuple[int, ...], out_spatial: tuple[int, ...]
) -> int:
    """Input values read by adaptive average pooling, over all windows (windows are separable).

    Formula: N·C · Π_d adaptive_window_sum(in_d, out_d).
    """
    return channels * prod(
        adaptive_window_sum(in_size=n, out_size=o) for n, o in zip(in_spatial, out_spatial)
    )


def max_pool_compares(*, window_elements: int, out_elements: int) -> int:
    """Comparisons of max pooling: a window of K values needs K − 1 comparisons.

    Formula: Σ_windows (K − 1) = window_elements − out_elements.
    """
    return window_elements - out_elements


def avg_pool_ops(*, window_elements: int) -> int:
    """Additions and divisions of average pooling: K − 1 adds and 1 divide per window of K.

    Formula: Σ_windows K = window_elements.
    """
    return window_elements


def batchnorm_ops(*, elements: int, affine: bool = True, bias: bool = True) -> tuple[int, int]:
    """FLOPs of BatchNorm in inference (running statistics): (normalise, affine).

    Formula: normalise (x − μ)·1/σ = 2 · elements; affine ·γ + β = 2 · elements, ·γ alone
    (bias=False) 1 · elements, 0 without affine.
    """
    return NORMALISE_OPS_PER_ELEMENT * elements, ((2 if bias else 1) * elements if affine else 0)


def layernorm_ops(*, elements: int, elementwise_affine: bool = True, bias: bool = True) -> tuple[int, int, int]:
    """FLOPs of LayerNorm: (statistics, normalise, affine).

    Formula: statistics 4 · elements (mean: add; variance: subtract, square, add);
    normalise 2 · elements; affine 2 · elements (·γ + β), 1 · elements without β, 0 without
    affine. Per-vector work (divide by d, add eps, square root) is not counted.
    """
    affine = (2 if bias else 1) * elements if elementwise_affine else 0
    return NORM_STATS_OPS_PER_ELEMENT * elements, NORMALISE_OPS_PER_ELEMENT * elements, affine


def groupnorm_ops(*, elements: int, affine: bool = True, bias: bool = True) -> tuple[int, int, int]:
    """FLOPs of GroupNorm: (statistics, normalise, affine), as LayerNorm's over each group.

    Formula: statistics 4 · elements (mean: add; variance: subtract, square, add);
    normalise 2 · elements; affine 2 · elements (·γ + β per channel), 1 · elements without β,
    0 without affine. Per-group work (divide by the group's size, add eps, square root) is not counted.
    """
    scale_shift = (2 if bias else 1) * elements if affine else 0
    return NORM_STATS_OPS_PER_ELEMENT * elements, NORMALISE_OPS_PER_ELEMENT * elements, scale_shift


def rmsnorm_ops(*, elements: int, elementwise_affine: bool = True) -> tuple[int, int, int]:
    """FLOPs of RMSNorm: (statistics, normalise, affine).

    Formula: statistics 2 · elements (square, add); normalise 1 · elements (·1/rms);
    affine 1 · elements (·γ), 0 without affine. Per-vector work is not counted.
    """
    return (
        RMS_STATS_OPS_PER_ELEMENT * elements,
        RMS_NORMALISE_OPS_PER_ELEMENT * elements,
        elements if elementwise_affine else 0,
    )


def local_response_norm_ops(*, elements: int, size: int) -> int:
    """FLOPs of LocalResponseNorm, from torch's definition b_c = a_c · (k + α/n · Σ_{c'} a_{c'}²)^(−β).

    The sum runs over a window of n = ``size`` channels around c; torch pads the channels with zeros
    (⌊n/2⌋ before, ⌊(n − 1)/2⌋ after), so every window holds n terms (padding saves nothing). Per
    output element: the square a_{c'}² (1: each value is squared once and the square shared by the n
    windows that read it), the window sum (n − 1 adds), the scale by the constant α/n (1), the add
    of k (1), the power −β (1) and the product with a_c (1).

    Formula: (n + 4) · elements. torch computes the sum as an average pool (a divide by n) and
    then multiplies by α: one operation more per element than the definition, not counted, as
    BatchNorm's 1/σ and LayerNorm's per-vector work are not.
    """
    return (size + 4) * elements


def rotary_ops(*, rows: int, width: int) -> int:
    """FLOPs of rotary position embeddings on ``rows`` vectors of ``width`` values (queries and keys).

    Formula: 3 · rows · width: x·cos + rotate_half(x)·sin is two products and a sum per value
    (the sign flip of rotate_half and the cos/sin tables are not counted).
    """
    return 3 * rows * width


def activation_ops(*, elements: int) -> int:
    """FLOPs of an element-wise activation (ReLU, GELU, tanh, sigmoid, SiLU): one per element.

    Formula: elements. An activation counts as one operation whatever its cost in the maths
    library (a GELU is dearer than a ReLU, but no FLOP count agrees on by how much).
    """
    return elements


def softmax_ops(*, elements: int) -> int:
    """FLOPs of a softmax: exponential, sum and division per element.

    Formula: 3 · elements (the max subtracted for numerical stability is not counted).
    """
    return SOFTMAX_OPS_PER_ELEMENT * elements


class AttentionMacs(NamedTuple):
    """MACs of multi-head attention by part."""

    q_proj: int
    k_proj: int
    v_proj: int
    scores: int
    context: int
    out_proj: int

    @property
    def total(self) -> int:
        """All parts together."""
        return sum(self)


def attention_macs(
    *,
    batch: int,
    target: int,
    source: int,
    embed_dim: int,
    kdim: int | None = None,
    vdim: int | None = None,
    extra_keys: int = 0,
    q_width: int | None = None,
    kv_width: int | None = None,
) -> AttentionMacs:
    """MACs of multi-head attention: the four projections and the two attention products.

    With N = batch, L = target (query) length, S = source (key/value) length, E = embed_dim,
    S' = S + extra_keys (add_bias_kv and add_zero_attn each add one key after projection) and
    h heads of d = E/h (the head count cancels out):
    Q projection N·L·E·E; K projection N·S·kdim·E; V projection N·S·vdim·E;
    scores QKᵀ: h · N·L·S'·d = N·L·S'·E; context softmax(QKᵀ)·V: N·L·S'·E;
    output projection N·L·E·E.
    Formula: N·(2·L·E² + S·(kdim + vdim)·E + 2·L·S'·E); self-attention (S = L, kdim = vdim = E):
    4·N·L·E² + 2·N·L²·E.

    Grouped-query attention (LLaMA-2-70B, Mistral) has H query heads and K < H key/value heads of
    size d: q_width = H·d and kv_width = K·d (both default to E). Then Q and output projections
    cost N·L·E·H·d each, K and V N·S·E·K·d each, and the products N·L·S'·H·d each (every query
    head still scores every key; shared heads save projections and cache, not products).
    """
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    q_width = embed_dim if q_width is None else q_width
    kv_width = embed_dim if kv_width is None else kv_width
    keys = source + extra_keys
    return AttentionMacs(
        q_proj=batch * target * embed_dim * q_width,
        k_proj=batch * source * kdim * kv_width,
        v_proj=batch * source * vdim * kv_width,
        scores=batch * target * keys * q_width,
        context=batch * target * keys * q_width,
        out_proj=batch * target * q_width * embed_dim,
    )


def recurrent_macs(
    *,
    gates: int,
    input_size: int,
    hidden_size: int,
    steps: int,
    batch: int = 1,
    num_layers: int = 1,
    bidirectional: bool = False,
    proj_size: int = 0,
) -> tuple[int, int, int]:
    """MACs of a recurrent stack, every gate at every step, direction and layer: (W_ih, W_hh, W_hr).

    With G gates (RNN 1, GRU 3, LSTM 4), H hidden, P = proj_size, H_out = P or H,
    D = 2 if bidirectional else 1, T steps, N sequences, and layer l taking I_l inputs
    (I_0 = input_size, later layers D·H_out), each cell step costs G·H·I_l (input to hidden),
    G·H·H_out (hidden to hidden, h_0 included) and P·H (projection).
    Formula: input-to-hidden D·T·N·G·H·Σ_l I_l; hidden-to-hidden D·T·N·layers·G·H·H_out;
    projection D·T·N·layers·P·H.
    """
    directions = 2 if bidirectional else 1
    h_out = proj_size or hidden_size
    cells = directions * steps * batch
    inputs = input_size + (num_layers - 1) * directions * h_out
    return (
        cells * gates * hidden_size * inputs,
        cells * num_layers * gates * hidden_size * h_out,
        cells * num_layers * proj_size * hidden_size,
    )


def recurrent_ops(
    *,
    cell: str,
    hidden_size: int,
    steps: int,
    batch: int = 1,
    num_layers: int = 1,
    bidirectional: bool = False,
    bias: bool = True,
) -> tuple[int, int, int]:
    """Non-MAC FLOPs of a recurrent stack: (gate biases, gate activations, gate products and sums).

    With C = D·T·N·layers cell steps: biases C·2·G·H (b_ih and b_hh, both added by torch);
    activations C·a·H with a = 1 (RNN), 5 (LSTM), 3 (GRU); products and sums C·e·H with e = 0
    (RNN), 4 (LSTM: f⊙c, i⊙g, their sum, o⊙tanh(c)), 5 (GRU: r⊙(W_hn·h + b_hn), the sum with
    the input part, h − n, z⊙(h − n), n + z⊙(h − n)).
    """
    directions = 2 if bidirectional else 1
    cells = directions * steps * batch * num_layers
    return (
        cells * 2 * GATES[cell] * hidden_size if bias else 0,
        cells * CELL_ACTIVATIONS[cell] * hidden_size,
        cells * CELL_ELEMENTWISE[cell] * hidden_size,
    )


def keras_recurrent_ops(
    *,
    cell: str,
    hidden_size: int,
    steps: int,
    batch: int = 1,
    bias: bool = True,
    reset_after: bool = True,
) -> tuple[int, int, int]:
    """Non-MAC FLOPs of a Keras recurrent layer (one direction): (biases, activations, products and sums).

    With C = T·N cell steps and H = units: biases C·b·G·H with b = 1 bias vector per gate (2 for
    a GRU with reset_after=True); activations C·a·H with a = 1 (SimpleRNN), 5 (LSTM), 3 (GRU);
    products and sums C·e·H as Keras computes them: SimpleRNN 0; LSTM 4 (f·c, i·g, +, o·act(c));
    GRU 6 with reset_after (r·(U_h·h + b), +, and h = z·h + (1 − z)·h̃: 4) and 5 without
    (r·h before its product, then the same 4).
    """
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cell]
    activations = {"SimpleRNN": 1, "LSTM": 5, "GRU": 3}[cell]
    elementwise = {"SimpleRNN": 0, "LSTM": 4, "GRU": 6 if reset_after else 5}[cell]
    vectors = 2 if cell == "GRU" and reset_after else 1
    cells = steps * batch
    return (
        cells * vectors * gates * hidden_size if bias else 0,
        cells * activations * hidden_size,
        cells * elementwise * hidden_size,
    )


def six_n_d(*, params: int, tokens: int) -> int:
    """Training FLOPs of a transformer by the 6·N·D approximation (Kaplan et al. 2020).

    Formula: 6 · N · D, with N parameters (Kaplan: non-embedding) and D tokens: 2·N·D for the
    forward pass (one MAC per parameter per token) and 4·N·D for the backward pass. It leaves
    out the attention products (2·n_layers·L·d per token forward), which grow with the context.
    """
    return 6 * params * tokens
