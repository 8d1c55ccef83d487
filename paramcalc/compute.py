"""Compute of a layer's forward pass: MACs, FLOPs and every non-MAC operation, itemised.

What is counted (the rules, for every layer family):

- **MACs** are the multiply-accumulates of the products a layer computes: matrix products
  (Linear, attention projections, recurrent gates), convolutions, and attention's two batched
  products. One MAC = one multiplication + one addition; **FLOPs = 2 × MACs + the non-MAC
  operations**, each listed as its own item (bias adds, normalisation, activations, softmax,
  pooling, element-wise products and residual adds), never folded into the MACs.
- **Attention** counts the Q, K, V and output projections **and** the QKᵀ and softmax·V products
  (N·L·S·E MACs each). Leaving the products out is how ViT-B/16 gets reported at 0.17 GMACs
  instead of about 17.6 GMACs.
- **Recurrent layers** count every gate at every time step, in both directions and in every
  layer of the stack: the sequence length multiplies everything.
- **Convolutions** honour groups, stride and dilation: MACs = out_elements · (C_in/groups) ·
  prod(kernel). **Transposed convolutions** scatter each input element through the kernel:
  MACs = in_elements · (C_out/groups) · prod(kernel).
- **Biases** are listed apart (one addition per output element that gets one).
- Counts are for one forward pass in inference mode (BatchNorm with running statistics, dropout
  off), batch included, on the dense computation (a causal mask saves nothing).
- Training: forward + backward ≈ 3 × forward FLOPs (:func:`training_flops`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from math import prod
from typing import TYPE_CHECKING, Any, Literal

from paramcalc.dispatch import as_shape, output_shapes, resolve
from paramcalc.errors import SpecError
from paramcalc.results import KIND_LABELS, NON_MAC_KINDS, Compute, Op, OpKind, total  # noqa: F401 - re-exported
from paramcalc.specs.ops import (  # noqa: F401 - the item builders every family shares
    dot as _dot,
    op as _op,
    batch as _batch,
    join as _join,
    SPATIAL as _SPATIAL,
    KERNEL as _KERNEL,
    linear as _linear,
    elements as _elements,
    layernorm_ops as _layernorm_ops,
    attention as _attention,
    ATTENTION_NOTE as _ATTENTION_NOTE,
    seq_batch as _seq_batch,
    feed_forward as _feed_forward,
    transformer_layer as _transformer_layer,
    CAUSAL_NOTE as _CAUSAL_NOTE,
    rmsnorm_ops as _rmsnorm_ops,
    row_vectors as _rows,
    feature_items as _feature_items,
    mlp as _mlp,
    swiglu as _swiglu,
    sequence as _sequence,
)
from paramcalc.formulas import compute as fc
from paramcalc.specs import (
    GELU,
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

if TYPE_CHECKING:
    from paramcalc.blocks import DecoderBlock, PatchEmbedding

Shape = tuple[int, ...]


# -- building items --------------------------------------------------------------------------


# -- per family ------------------------------------------------------------------------------


def _conv(spec: Any, x: Shape, out: Shape) -> Compute:
    nd = spec.nd
    batch_dims = out[: len(out) - nd - 1]
    n_sym, n_work = _batch(batch_dims)
    g = spec.groups
    c_in_sym = "(C_in/groups)" if g > 1 else "C_in"
    c_out_sym = "(C_out/groups)" if g > 1 else "C_out"
    kernel_sym = _dot(*_KERNEL[nd])
    kernel_work = _dot(*spec.kernel_size)
    if isinstance(spec, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)):
        in_spatial = x[len(x) - nd:]
        macs = fc.conv_transpose_macs(
            batch=prod(batch_dims), in_channels=spec.in_channels, in_spatial=in_spatial,
            out_channels=spec.out_channels, kernel_size=spec.kernel_size, groups=g,
        )
        items = _op(
            "scatter (each input element through the kernel)", "mac", macs,
            _join(n_sym, "C_in", _dot(*(f"{s}_in" for s in _SPATIAL[nd])), c_out_sym, kernel_sym),
            _join(n_work, str(spec.in_channels), _dot(*in_spatial), str(spec.out_channels // g), kernel_work),
        )
    else:
        out_spatial = out[len(out) - nd:]
        macs = fc.conv_macs(
            batch=prod(batch_dims), out_channels=spec.out_channels, out_spatial=out_spatial,
            in_channels=spec.in_channels, kernel_size=spec.kernel_size, groups=g,
        )
        items = _op(
            "convolution (one dot product per output element)", "mac", macs,
            _join(n_sym, "C_out", _dot(*(f"{s}_out" for s in _SPATIAL[nd])), c_in_sym, kernel_sym),
            _join(n_work, str(spec.out_channels), _dot(*out_spatial), str(spec.in_channels // g), kernel_work),
        )
    if spec.bias:
        out_spatial = out[len(out) - nd:]
        items += _op(
            "bias", "bias", fc.bias_adds(outputs=prod(out)),
            _join(n_sym, "C_out", _dot(*(f"{s}_out" for s in _SPATIAL[nd]))),
            _join(n_work, str(spec.out_channels), _dot(*out_spatial)),
        )
    return items


def _pool(spec: Any, x: Shape, out: Shape) -> Compute:
    nd = spec.nd
    lead = out[: len(out) - nd]  # batch and channels
    n_sym = "N·C" if len(lead) == 2 else "C"
    lead_work = _dot(*lead)
    out_sym = _dot(*(f"{s}_out" for s in _SPATIAL[nd]))
    out_spatial = out[len(out) - nd:]
    if isinstance(spec, (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d)):
        in_spatial = x[len(x) - nd:]
        sums = [fc.adaptive_window_sum(in_size=n, out_size=o) for n, o in zip(in_spatial, out_spatial)]
        window = fc.adaptive_pool_window_elements(channels=prod(lead), in_spatial=in_spatial, out_spatial=out_spatial)
        return _op(
            "average (window adds and one divide per output)", "pool", fc.avg_pool_ops(window_elements=window),
            _join(n_sym, _dot(*(f"Σ{s}_window" for s in _SPATIAL[nd]))), _join(lead_work, _dot(*sums)),
        )
    out_elements = prod(out)
    window = fc.pool_window_elements(out_elements=out_elements, kernel_size=spec.kernel_size)
    kernel_sym = _dot(*_KERNEL[nd])
    kernel_work = _dot(*spec.kernel_size)
    if isinstance(spec, (MaxPool1d, MaxPool2d, MaxPool3d)):
        return _op(
            "max (K − 1 comparisons per window)", "pool",
            fc.max_pool_compares(window_elements=window, out_elements=out_elements),
            _join(n_sym, out_sym, f"({kernel_sym} − 1)"), _join(lead_work, _dot(*out_spatial), f"({kernel_work} − 1)"),
        )
    return _op(
        "average (K − 1 adds and 1 divide per window)", "pool", fc.avg_pool_ops(window_elements=window),
        _join(n_sym, out_sym, kernel_sym), _join(lead_work, _dot(*out_spatial), kernel_work),
    )


def _batchnorm(spec: Any, x: Shape) -> Compute:
    n, work = _elements(x)
    normalise, affine = fc.batchnorm_ops(elements=n, affine=spec.affine, bias=spec.bias)
    if not affine:  # affine=False, or no elements
        per, what = "2", ""
    elif spec.bias:
        per, what = "(2 + 2)", ", scale and shift ·γ + β"
    else:
        per, what = "(2 + 1)", ", scale ·γ (bias=False)"
    return _op("normalise (x − μ)/σ" + what, "norm", normalise + affine, f"{per}·elements", f"{per}·{work}")


def _recurrent(spec: Any, x: Shape) -> Compute:
    if len(x) == 3:
        (n, t) = (x[0], x[1]) if spec.batch_first else (x[1], x[0])
    else:
        n, t = 1, x[0]
    g, h, p = spec.gates, spec.hidden_size, spec.proj
    d = 2 if spec.bidirectional else 1
    layers = spec.num_layers
    h_out = p or h
    w_ih, w_hh, w_hr = fc.recurrent_macs(
        gates=g, input_size=spec.input_size, hidden_size=h, steps=t, batch=n, num_layers=layers,
        bidirectional=spec.bidirectional, proj_size=p,
    )
    bias, act, elem = fc.recurrent_ops(
        cell=spec.name, hidden_size=h, steps=t, batch=n, num_layers=layers,
        bidirectional=spec.bidirectional, bias=spec.bias,
    )
    h_out_sym = "P" if p else "H"
    cells_sym, cells_work = "D·T·N", _dot(d, t, n)
    if layers > 1:
        in_sym = f"(I + (layers−1)·D·{h_out_sym})"
        in_work = f"({spec.input_size} + {layers - 1}·{d}·{h_out})"
    else:
        in_sym, in_work = "I", str(spec.input_size)
    items = _op(
        "input-to-hidden W_ih·x", "mac", w_ih, _dot(cells_sym, "G", "H", in_sym), _dot(cells_work, g, h, in_work)
    )
    items += _op(
        "hidden-to-hidden W_hh·h", "mac", w_hh,
        _dot(cells_sym, "layers", "G", "H", h_out_sym), _dot(cells_work, layers, g, h, h_out),
    )
    items += _op("projection W_hr", "mac", w_hr, _dot(cells_sym, "layers", "P", "H"), _dot(cells_work, layers, p, h))
    items += _op(
        "gate biases b_ih + b_hh", "bias", bias, _dot(cells_sym, "layers", "2", "G", "H"),
        _dot(cells_work, layers, 2, g, h),
    )
    a, e = fc.CELL_ACTIVATIONS[spec.name], fc.CELL_ELEMENTWISE[spec.name]
    what = {"RNN": spec.nonlinearity if isinstance(spec, RNN) else "tanh", "LSTM": "3 σ, 2 tanh", "GRU": "2 σ, 1 tanh"}
    items += _op(
        f"gate activations ({what[spec.name]})", "activation", act,
        _dot(cells_sym, "layers", a, "H"), _dot(cells_work, layers, a, h),
    )
    items += _op(
        "gate products and sums", "elementwise", elem, _dot(cells_sym, "layers", e, "H"), _dot(cells_work, layers, e, h)
    )
    return items


def _mha(spec: MultiheadAttention, shapes: tuple[Shape, ...]) -> Compute:
    q = shapes[0]
    k = shapes[1] if len(shapes) > 1 else q
    if len(q) == 3:
        seq, batch = (1, 0) if spec.batch_first else (0, 1)
        n, target, source = q[batch], q[seq], k[seq]
    else:
        n, target, source = 1, q[0], k[0]
    items = _attention(
        n=n, target=target, source=source, embed_dim=spec.embed_dim, num_heads=spec.num_heads,
        kdim=spec.kdim, vdim=spec.vdim, bias=spec.bias,
        extra_keys=int(spec.add_bias_kv) + int(spec.add_zero_attn), batched=len(q) == 3,
    )
    return Compute(items.ops, (_ATTENTION_NOTE,))


def _activation(spec: LayerSpec, x: Shape) -> Compute:
    n, work = _elements(x)
    what = {"ReLU": "max(0, x)", "GELU": "x·Φ(x)", "Tanh": "tanh(x)", "Sigmoid": "1/(1+e^−x)"}.get(spec.name, spec.name)
    return _op(f"{spec.name} {what}", "activation", fc.activation_ops(elements=n), "elements", work)


# -- the building blocks of modern architectures (paramcalc.blocks) -------------------------


def _decoder_block(spec: DecoderBlock, x: Shape) -> Compute:
    n, length, batched = _sequence(x)
    d, heads = spec.d_model, spec.nhead
    elements, work = _elements(x)
    ns, nw = ("N", str(n)) if batched else ("", "")
    if spec.style == "gpt2":
        items = _layernorm_ops(elements, work, True, True, "ln_1, ln_2", times=2)
        items += _attention(n=n, target=length, source=length, embed_dim=d, num_heads=heads, bias=spec.bias,
                            batched=batched, fused=True).prefixed("attn")
        items += _mlp(x, d, spec.dim_feedforward, d, spec.bias, "gelu").prefixed("mlp")
    else:
        kv_heads = spec.num_kv_heads or heads
        head = d // heads
        items = _rmsnorm_ops(elements, work, True, "input_layernorm, post_attention_layernorm", times=2)
        items += _attention(n=n, target=length, source=length, embed_dim=d, num_heads=heads, bias=spec.bias,
                            batched=batched, kv_heads=kv_heads, head_dim=head).prefixed("self_attn")
        items += _op(
            "self_attn rotary embedding of Q and K", "elementwise",
            fc.rotary_ops(rows=n * length, width=(heads + kv_heads) * head),
            _join("3", ns, "L", "(H + K)·d"), _join("3", nw, str(length), f"({heads} + {kv_heads})·{head}"),
        )
        items += _swiglu(x, d, spec.dim_feedforward, d, spec.bias).prefixed("mlp")
    items += _op("residual adds", "elementwise", 2 * elements, "2·elements", f"2·{work}")
    return Compute(items.ops, (_CAUSAL_NOTE,))


def _patch_embedding(spec: PatchEmbedding, x: Shape, out: Shape) -> Compute:
    batch_dims = x[: len(x) - 3]
    n_sym, n_work = _batch(batch_dims)
    grid = [i // p for i, p in zip(spec.image_size, spec.patch_size)]
    c_in, e = spec.in_channels, spec.embed_dim
    macs = fc.conv_macs(batch=prod(batch_dims), out_channels=e, out_spatial=tuple(grid), in_channels=c_in,
                        kernel_size=spec.patch_size)
    items = _op("patch convolution", "mac", macs, _join(n_sym, "E", "patches", "C", "pH·pW"),
                _join(n_work, str(e), _dot(*grid), str(c_in), _dot(*spec.patch_size)))
    if spec.bias:
        items += _op("patch convolution bias", "bias", prod(batch_dims) * e * prod(grid),
                     _join(n_sym, "E", "patches"), _join(n_work, str(e), _dot(*grid)))
    if spec.position_embedding:
        elements, work = _elements(out)
        items += _op("adding position embeddings", "elementwise", elements, "tokens·E elements", work)
    return items


def _block_compute(spec: LayerSpec, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
    from paramcalc.blocks import (
        CausalSelfAttention,
        DecoderBlock,
        FeedForward,
        PatchEmbedding,
        RMSNorm,
        Select,
        SelfAttention,
        SinusoidalPositionalEncoding,
        SwiGLU,
        Transformer,
        TransformerDecoder,
    )

    x = shapes[0]
    match spec:
        case RMSNorm():
            n, work = _elements(x)
            return _rmsnorm_ops(n, work, spec.elementwise_affine)
        case SelfAttention():
            n, length, batched = _sequence(x)
            items = _attention(
                n=n, target=length, source=length, embed_dim=spec.embed_dim, num_heads=spec.num_heads,
                bias=spec.bias, out_bias=spec.has_out_bias, batched=batched, kv_heads=spec.num_kv_heads,
                head_dim=spec.head_dim,
            )
            return Compute(items.ops, (_CAUSAL_NOTE,)) if spec.causal else items
        case CausalSelfAttention():
            n, length, batched = _sequence(x)
            items = _attention(n=n, target=length, source=length, embed_dim=spec.embed_dim,
                               num_heads=spec.num_heads, bias=spec.bias, batched=batched, fused=True)
            return Compute(items.ops, (_CAUSAL_NOTE,))
        case FeedForward():
            return _mlp(x, spec.in_features, spec.hidden_features, spec.outputs, spec.bias, spec.activation)
        case SwiGLU():
            return _swiglu(x, spec.in_features, spec.hidden_features, spec.outputs, spec.bias)
        case DecoderBlock():
            return _decoder_block(spec, x)
        case PatchEmbedding():
            return _patch_embedding(spec, x, outs["output"])
        case SinusoidalPositionalEncoding():
            n, work = _elements(x)
            return _op("adding the encodings", "elementwise", n, "elements", work)
        case Select():
            return Compute()
        case TransformerDecoder():
            memory = shapes[1] if len(shapes) > 1 else x
            stack = _transformer_layer(spec.decoder_layer, x, memory).times(spec.num_layers, "layers")
            if spec.norm is not None:
                norm = resolve(spec.norm, (spec.decoder_layer.d_model,))
                n, work = _elements(x)
                stack += _layernorm_ops(n, work, norm.elementwise_affine, norm.bias, "final norm")
            return stack
        case Transformer():
            src, tgt = x, shapes[1] if len(shapes) > 1 else x
            enc = _transformer_layer(spec, src, None).times(spec.num_encoder_layers, "encoder_layers")
            n, work = _elements(src)
            enc += _layernorm_ops(n, work, True, spec.bias, "encoder norm")
            dec = _transformer_layer(spec, tgt, src).times(spec.num_decoder_layers, "decoder_layers")
            n, work = _elements(tgt)
            dec += _layernorm_ops(n, work, True, spec.bias, "decoder norm")
            return enc.prefixed("encoder") + dec.prefixed("decoder")
    raise SpecError(f"{spec.name}: no compute formula for this layer type yet")


# -- dispatch --------------------------------------------------------------------------------


def _compute(spec: LayerSpec, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
    if hasattr(spec, "_compute"):  # the family knows it
        return spec._compute(shapes, outs)
    x = shapes[0]
    match spec:
        case Linear():
            return _linear(x[:-1], spec.in_features, spec.out_features, spec.bias)
        case Conv1d() | Conv2d() | Conv3d() | ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            return _conv(spec, x, outs["output"])
        case (
            MaxPool1d() | MaxPool2d() | MaxPool3d() | AvgPool1d() | AvgPool2d() | AvgPool3d()
            | AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d()
        ):
            return _pool(spec, x, outs["output"])
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            return Compute(_batchnorm(spec, x).ops, ("BatchNorm: inference mode (running statistics)",))
        case LayerNorm():
            n, work = _elements(x)
            return _layernorm_ops(n, work, spec.elementwise_affine, spec.bias)
        case Embedding():
            return Compute(notes=("Embedding: a table lookup, no arithmetic",))
        case RNN() | LSTM() | GRU():
            return _recurrent(spec, x)
        case MultiheadAttention():
            return _mha(spec, shapes)
        case TransformerEncoderLayer():
            return _transformer_layer(spec, x, None)
        case TransformerDecoderLayer():
            return _transformer_layer(spec, x, shapes[1] if len(shapes) > 1 else x)
        case TransformerEncoder():
            stack = _transformer_layer(spec.encoder_layer, x, None).times(spec.num_layers, "layers")
            if spec.norm is not None:
                norm = resolve(spec.norm, (spec.encoder_layer.d_model,))
                n, work = _elements(x)
                stack += _layernorm_ops(n, work, norm.elementwise_affine, norm.bias, "final norm")
            return stack
        case ReLU() | GELU() | Tanh() | Sigmoid():
            return _activation(spec, x)
        case Softmax():
            n, work = _elements(x)
            return _op("softmax (exp, sum, divide)", "softmax", fc.softmax_ops(elements=n), "3·elements", f"3·{work}")
        case Dropout():
            return Compute(notes=("Dropout: identity at inference",))
        case Flatten() | Identity():
            return Compute()
        case _:
            return _block_compute(spec, shapes, outs)


def layer_compute(spec: LayerSpec, *input_shapes: Any) -> Compute:
    """MACs and FLOPs of one forward pass of ``spec`` on inputs of these shapes.

    Args:
        spec: a layer spec (its left-out input size is filled from the first shape).
        input_shapes: the input shape(s), batch included, in torch's forward order
            (attention: query, key, value; decoder layer: tgt, memory).

    Returns:
        A :class:`Compute` with every counted item, ``macs`` and ``flops``.

    Raises:
        SpecError: no input shape, or one that does not fit the layer.
    """
    if not input_shapes:
        raise SpecError(f"{spec.name}: an input shape is needed to count MACs and FLOPs")
    if getattr(spec, "framework", "pytorch") != "pytorch":
        from paramcalc.compute_keras import concrete_shapes, keras_compute

        shapes, notes = concrete_shapes(spec, input_shapes)
        result = keras_compute(spec, shapes, output_shapes(spec, *shapes))
        return Compute(result.ops, result.notes + notes)
    outs = output_shapes(spec, *input_shapes)
    shapes = tuple(as_shape(s) for s in input_shapes)
    return _compute(resolve(spec, shapes[0]), shapes, outs)


# -- whole models ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelCompute:
    """A model's forward-pass compute: per summary row (layers and blocks) and in total.

    Attributes:
        total: every counted item of every layer, names prefixed with the layer's path, plus the
            adds that join residual shortcuts and parallel branches.
        rows: the compute of each summary row by path; a block's is the sum of what it contains.
        params: the model's parameters (N of the training rules of thumb).
        embedding_params: parameters of the embedding tables (excluded from N in 6·N·D).
        tokens: the tokens one forward pass reads (batch × sequence) when the model reads token
            ids, else None.
    """

    total: Compute
    rows: dict[str, Compute]
    params: int
    embedding_params: int = 0
    tokens: int | None = None

    @property
    def macs(self) -> int:
        return self.total.macs

    @property
    def flops(self) -> int:
        return self.total.flops

    @property
    def training_flops(self) -> int:
        """Forward + backward ≈ 3 × forward FLOPs."""
        return fc.training_flops(forward_flops=self.total.flops)

    @property
    def six_n_d(self) -> int | None:
        """6·N·D training FLOPs (N without embeddings, D = tokens), for models that read tokens."""
        if self.tokens is None:
            return None
        return fc.six_n_d(params=self.params - self.embedding_params, tokens=self.tokens)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: totals, by kind, per row, and the training estimates."""
        data: dict[str, Any] = {
            "macs": self.macs,
            "flops": self.flops,
            "non_mac_flops": self.total.by_kind(),
            "rows": {path: {"macs": c.macs, "flops": c.flops} for path, c in self.rows.items()},
            "training_flops_estimate": {"rule": "3 × forward FLOPs", "flops": self.training_flops},
            "notes": list(self.total.notes),
        }
        if self.tokens is not None:
            n = self.params - self.embedding_params
            data["six_n_d"] = {
                "rule": "6 · N · D (N: parameters outside embedding tables; D: tokens)",
                "params": n, "tokens": self.tokens, "flops": self.six_n_d,
                "forward_flops_per_token": self.flops // self.tokens if self.tokens else None,
            }
        return data


_EMBEDDINGS = ("Embedding", "keras.Embedding")


def _row_spec(row: Any) -> LayerSpec:
    from paramcalc.specs.parse import parse_layer

    return parse_layer(row.layer)


def _row_inputs(row: Any) -> tuple[Any, ...]:
    shapes = tuple(getattr(row, "input_shapes", None) or (row.input_shape,))
    if any(s is None for s in shapes):
        raise SpecError(f"{row.path}: the input shape is unknown; MACs and FLOPs need the model's input shape")
    return shapes


def _merge_adds(row: Any, rows: tuple[Any, ...], index: int) -> Compute:
    """The adds that join a residual block's shortcut or a parallel node's branches."""
    if row.output_shape is None:
        return Compute()
    elements, work = _elements(row.output_shape)
    if row.type == "Residual":
        repetitions = (
            r for r in rows[index + 1:]
            if r.depth == row.depth + 1 and r.type == "Residual" and r.path.startswith(row.path + "[")
            and "." not in r.path[len(row.path):]
        )
        if any(repetitions):
            return Compute()  # its repetitions have rows of their own
        return _op("shortcut add", "elementwise", row.repeat * elements,
                   "elements" if row.repeat == 1 else "repeats·elements",
                   work if row.repeat == 1 else f"{row.repeat}·{work}")
    if row.type == "Parallel":
        branches = sum(1 for r in rows[index + 1:] if r.depth == row.depth + 1 and r.path.startswith(row.path + "."))
        adds = (branches - 1) * row.repeat
        return _op("adding the branches", "elementwise", adds * elements, f"{adds}·elements", f"{adds}·{work}")
    return Compute()


def model_compute(summary: Any) -> ModelCompute:
    """MACs and FLOPs of a summarised model: each layer's, × its repeats, and the joining adds.

    Args:
        summary: a :class:`~paramcalc.models.summary.Summary` with known input shapes, or anything
            :func:`paramcalc.memory.model_memory` takes (a model, a model file, a preset's name),
            summarised with its own input shape.

    Raises:
        SpecError: an input shape is unknown.
    """
    if not hasattr(summary, "rows"):
        from paramcalc.memory import load_model_or_preset
        from paramcalc.models.evaluate import evaluate

        summary = evaluate(load_model_or_preset(summary))
    rows = tuple(summary.rows)
    own: list[Compute] = []
    embedding = 0
    for i, row in enumerate(rows):
        if row.leaf and row.layer is not None:
            c = layer_compute(_row_spec(row), *_row_inputs(row))
            if row.repeat > 1:
                c = c.times(row.repeat, "repeats")
            if row.type in _EMBEDDINGS:
                embedding += row.count.total
        else:
            c = _merge_adds(row, rows, i)
        own.append(c.prefixed(row.path))
    per_row: dict[str, Compute] = {}
    for i, row in enumerate(rows):
        c = own[i]
        for j in range(i + 1, len(rows)):
            if rows[j].depth <= row.depth:
                break
            c = c + own[j]
        per_row[row.path] = c
    tokens = None
    first_leaf = next((r for r in rows if r.leaf), None)
    first_input = next(iter(summary.input_shapes.values()), None)
    if first_leaf is not None and first_leaf.type in _EMBEDDINGS and first_input is not None:
        tokens = prod(first_input)
    return ModelCompute(
        total=total(own), rows=per_row, params=summary.totals.total, embedding_params=embedding, tokens=tokens,
    )


def try_layer_compute(spec: LayerSpec, *input_shapes: Any) -> tuple[Compute | None, str | None]:
    """``layer_compute``, or (None, why) when the shapes do not allow a count (an unknown size)."""
    from paramcalc.errors import ParamcalcError

    if not input_shapes:
        return None, None
    try:
        return layer_compute(spec, *input_shapes), None
    except ParamcalcError as exc:
        return None, f"MACs and FLOPs not counted: {exc}"
