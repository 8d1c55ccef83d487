"""The textbook convention: the course formulas (one bias per layer or gate, no buffers), for every spec.

Counts come from :mod:`paramcalc.formulas.textbook`, whose docstrings cite the course notes; the
tensor lists here name the matrices as lectures write them (W_xi, W_hi, b_i for an LSTM's input
gate; W_Q, W_K, W_V, W_O for attention; W_1, W_2 for the feed-forward block). Where the notes
give no formula (an LSTM projection, grouped or transposed convolutions, attention with other key
and value sizes) the same rules are carried over, as each formula's docstring says.
"""

from __future__ import annotations

from paramcalc import blocks as B
from paramcalc import keras_layers as K
from paramcalc import specs as S
from paramcalc.conventions import keras as ck
from paramcalc.conventions.shapes import KShape
from paramcalc.errors import SpecError
from paramcalc.formulas import textbook as tb
from paramcalc.results import Count, Tensor

#: Gate letters as the notes write them: LSTM input, forget, output gates and the cell candidate;
#: GRU update, reset gates and the candidate state; a simple RNN's single block.
GATE_LETTERS = {1: ("h",), 3: ("z", "r", "h"), 4: ("i", "f", "o", "c")}
GATE_WORDS = {
    "h": "hidden state", "z": "update gate", "r": "reset gate", "i": "input gate", "f": "forget gate",
    "o": "output gate", "c": "cell candidate",
}
ZERO_PARAMETER_TORCH = ck.ZERO_PARAMETER_TORCH  # torch layers without parameters: 0 here too


# -- Counting --------------------------------------------------------------------------------


def _torch_count(spec: S.LayerSpec) -> int:
    match spec:
        case S.Linear():
            return tb.linear_params(in_features=spec.in_features, out_features=spec.out_features, bias=spec.bias)
        case S.Conv1d() | S.Conv2d() | S.Conv3d() | S.ConvTranspose1d() | S.ConvTranspose2d() | S.ConvTranspose3d():
            return tb.conv_params(
                kernel_size=spec.kernel_size, in_channels=spec.in_channels, out_channels=spec.out_channels,
                groups=spec.groups, bias=spec.bias,
            )
        case S.BatchNorm1d() | S.BatchNorm2d() | S.BatchNorm3d():
            # bias=False keeps gamma alone: C, as the notes' rule counts one of gamma, beta
            return tb.batchnorm_params(channels=spec.num_features, scale=spec.affine, center=spec.affine and spec.bias)
        case S.LayerNorm():
            affine = spec.elementwise_affine
            return tb.layernorm_params(normalized_shape=spec.normalized_shape, scale=affine, center=affine and spec.bias)
        case S.Embedding():
            return tb.embedding_params(vocab_size=spec.num_embeddings, embedding_dim=spec.embedding_dim)
        case S.RNN() | S.LSTM() | S.GRU():
            return tb.recurrent_params(
                gates=spec.gates, input_size=spec.input_size, hidden_size=spec.hidden_size,
                num_layers=spec.num_layers, bidirectional=spec.bidirectional, bias=spec.bias, proj_size=spec.proj,
            )
        case S.MultiheadAttention():
            return tb.mha_params(embed_dim=spec.embed_dim, kdim=spec.kdim, vdim=spec.vdim)
        case S.TransformerEncoderLayer():
            return tb.transformer_encoder_layer_params(d_model=spec.d_model, dim_feedforward=spec.dim_feedforward)
        case S.TransformerDecoderLayer():
            return tb.transformer_decoder_layer_params(d_model=spec.d_model, dim_feedforward=spec.dim_feedforward)
        case S.TransformerEncoder():
            return spec.num_layers * _torch_count(spec.encoder_layer)
        case B.TransformerDecoder():
            return spec.num_layers * _torch_count(spec.decoder_layer)
        case B.Transformer():
            d, ff = spec.d_model, spec.dim_feedforward
            return (spec.num_encoder_layers * tb.transformer_encoder_layer_params(d_model=d, dim_feedforward=ff)
                    + spec.num_decoder_layers * tb.transformer_decoder_layer_params(d_model=d, dim_feedforward=ff))
        case B.RMSNorm():
            return tb.rmsnorm_params(normalized_shape=spec.normalized_shape) if spec.elementwise_affine else 0
        case B.SelfAttention():
            return _gqa(spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size)
        case B.CausalSelfAttention():
            return tb.mha_params(embed_dim=spec.embed_dim)
        case B.FeedForward():
            return tb.feed_forward_params(
                d_model=spec.in_features, dim_feedforward=spec.hidden_features, out_features=spec.outputs)
        case B.SwiGLU():
            return tb.swiglu_params(d_model=spec.in_features, dim_feedforward=spec.hidden_features, out_features=spec.outputs)
        case B.DecoderBlock():
            d, ff = spec.d_model, spec.dim_feedforward
            if spec.style == "gpt2":
                return tb.transformer_encoder_layer_params(d_model=d, dim_feedforward=ff)
            kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
            return _gqa(d, spec.nhead, kv, d // spec.nhead) + tb.swiglu_params(d_model=d, dim_feedforward=ff)
        case B.PatchEmbedding():
            e = spec.embed_dim
            patches = _product(tuple(n // p for n, p in zip(spec.image_size, spec.patch_size)))
            conv = tb.conv_params(kernel_size=spec.patch_size, in_channels=spec.in_channels, out_channels=e, bias=spec.bias)
            tokens = patches + int(spec.class_token)
            return (conv + (e if spec.class_token else 0)
                    + (tb.embedding_params(vocab_size=tokens, embedding_dim=e) if spec.position_embedding else 0))
        case _ if isinstance(spec, ZERO_PARAMETER_TORCH):
            return 0
    return _unknown(spec)


def _gqa(d: int, heads: int, kv_heads: int, head: int) -> int:
    return tb.attention_projection_params(
        num_heads=heads, num_kv_heads=kv_heads, key_dim=head, value_dim=head, query_features=d, key_features=d,
        value_features=d, output_features=d,
    )


def _unknown(spec: S.LayerSpec) -> int:
    from paramcalc.dispatch import pytorch_count

    if pytorch_count(spec).total == 0:
        return 0
    raise SpecError(f"{spec.name}: no textbook formula is defined; count it with convention='pytorch'")


def _keras_count(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> int:
    match spec:
        case K.Dense():
            return tb.linear_params(in_features=ck.dense_input(spec, shapes), out_features=spec.units, bias=spec.use_bias)
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            return tb.conv_params(
                kernel_size=spec.kernel_size, in_channels=ck.conv_channels(spec, shapes), out_channels=spec.filters,
                groups=spec.groups, bias=spec.use_bias,
            )
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            return tb.conv_params(
                kernel_size=spec.kernel_size, in_channels=ck.conv_channels(spec, shapes), out_channels=spec.filters,
                bias=spec.use_bias,
            )
        case K.BatchNormalization():
            (channels,) = ck.norm_shape(spec, shapes)
            return tb.batchnorm_params(channels=channels, scale=spec.scale, center=spec.center)
        case K.LayerNormalization():
            return tb.layernorm_params(normalized_shape=ck.norm_shape(spec, shapes), scale=spec.scale, center=spec.center)
        case K.RMSNormalization():
            return tb.rmsnorm_params(normalized_shape=ck.norm_shape(spec, shapes))
        case K.Embedding():
            return tb.embedding_params(vocab_size=spec.input_dim, embedding_dim=spec.output_dim)
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            return tb.recurrent_params(
                gates=spec.gates, input_size=ck.rnn_input(spec, shapes), hidden_size=spec.units, bias=spec.use_bias
            )
        case K.Bidirectional():
            layer = spec.layer
            return tb.recurrent_params(
                gates=layer.gates, input_size=ck.rnn_input(spec, shapes), hidden_size=layer.units,
                bidirectional=True, bias=layer.use_bias,
            )
        case K.MultiHeadAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            output = spec.output_dims
            out_features = query[-1] if not output else _product(output)
            return tb.attention_projection_params(
                num_heads=spec.num_heads, key_dim=spec.key_dim, value_dim=spec.values_dim,
                query_features=query[-1], key_features=key[-1], value_features=value[-1],
                output_features=out_features,
            )
        case K.GroupQueryAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            return tb.attention_projection_params(
                num_heads=spec.num_query_heads, num_kv_heads=spec.num_key_value_heads, key_dim=spec.head_dim,
                value_dim=spec.head_dim, query_features=query[-1], key_features=key[-1],
                value_features=value[-1], output_features=query[-1],
            )
    return 0


def _product(dims: tuple[int, ...]) -> int:
    out = 1
    for d in dims:
        out *= d
    return out


def count(spec: S.LayerSpec, shapes: tuple[KShape, ...]) -> Count:
    """The textbook count: every weight trainable, no buffers. Torch specs must be resolved."""
    if hasattr(spec, "_textbook_count"):  # the family knows it
        return spec._textbook_count(shapes)
    if spec.framework == "keras":
        return Count(_keras_count(spec, shapes))
    return Count(_torch_count(spec))


# -- Tensors ---------------------------------------------------------------------------------


def _t(name: str, shape: tuple[int, ...], description: str) -> Tensor:
    return Tensor(name, tuple(shape), "trainable", description)


def _dense(prefix: str, n_in: int, n_out: int, bias: bool, what: str, index: str = "") -> list[Tensor]:
    out = [_t(f"{prefix}W{index}", (n_in, n_out), f"{what} weights: {n_in} × {n_out}")]
    if bias:
        out.append(_t(f"{prefix}b{index}", (n_out,), f"{what} bias"))
    return out


def _conv(kernel: tuple[int, ...], c_in: int, c_out: int, groups: int, bias: bool) -> list[Tensor]:
    per = "K × C_in/groups" if groups > 1 else "K × C_in"
    out = [_t("W", (*kernel, c_in // groups, c_out), f"filters: {per} weights each, C_out filters")]
    if bias:
        out.append(_t("b", (c_out,), "one bias per filter"))
    return out


def _norm(shape: tuple[int, ...], scale: bool, center: bool) -> list[Tensor]:
    out = []
    if scale:
        out.append(_t("gamma", shape, "scale"))
    if center:
        out.append(_t("beta", shape, "shift"))
    return out


def _recurrent(
    gates: int, input_size: int, hidden: int, num_layers: int, bidirectional: bool, bias: bool, proj: int = 0
) -> list[Tensor]:
    directions = ("forward", "backward") if bidirectional else ("forward",)
    h_out = proj or hidden
    plain = num_layers == 1 and not bidirectional
    out = []
    for layer in range(num_layers):
        n_in = input_size if layer == 0 else len(directions) * h_out
        for direction in directions:
            prefix = "" if plain else f"layer{layer}.{direction}."
            where = "" if plain else f", layer {layer} {direction}"
            for g in GATE_LETTERS[gates]:
                word = GATE_WORDS[g]
                out.append(_t(f"{prefix}W_x{g}", (hidden, n_in), f"input weights of the {word}{where}"))
                out.append(_t(f"{prefix}W_h{g}", (hidden, h_out), f"recurrent weights of the {word}{where}"))
                if bias:
                    out.append(_t(f"{prefix}b_{g}", (hidden,), f"bias of the {word}{where}"))
            if proj:
                out.append(_t(f"{prefix}W_hr", (proj, hidden), f"projection of the hidden state{where}"))
    return out


def _attention(
    prefix: str, q: int, k: int, v: int, qk: int, vv: int, out: tuple[int, ...], kk: int | None = None,
    kv: int | None = None,
) -> list[Tensor]:
    """W_Q: q → qk, W_K: k → kk, W_V: v → kv, W_O: vv → out (kk = qk and kv = vv unless key/value heads are shared)."""
    return [
        _t(f"{prefix}W_Q", (q, qk), "query projection"),
        _t(f"{prefix}W_K", (k, qk if kk is None else kk), "key projection"),
        _t(f"{prefix}W_V", (v, vv if kv is None else kv), "value projection"),
        _t(f"{prefix}W_O", (vv, *out), "output projection"),
    ]


def _gqa_tensors(prefix: str, d: int, heads: int, kv_heads: int, head: int) -> list[Tensor]:
    return _attention(prefix, d, d, d, heads * head, heads * head, (d,), kv_heads * head, kv_heads * head)


def _swiglu_tensors(prefix: str, n_in: int, hidden: int, n_out: int) -> list[Tensor]:
    return [
        _t(f"{prefix}W", (n_in, hidden), "gate projection (through Swish)"),
        _t(f"{prefix}V", (n_in, hidden), "up projection"),
        _t(f"{prefix}W_2", (hidden, n_out), "down projection"),
    ]


def _transformer(prefix: str, spec: S.TransformerEncoderLayer | S.TransformerDecoderLayer) -> list[Tensor]:
    d, ff = spec.d_model, spec.dim_feedforward
    if isinstance(spec, S.TransformerEncoderLayer):
        out = _attention(f"{prefix}attention.", d, d, d, d, d, (d,))
    else:
        out = _attention(f"{prefix}self_attention.", d, d, d, d, d, (d,))
        out += _attention(f"{prefix}cross_attention.", d, d, d, d, d, (d,))
    out += _dense(f"{prefix}ffn.", d, ff, False, "feed-forward expansion", "_1")
    out += _dense(f"{prefix}ffn.", ff, d, False, "feed-forward contraction", "_2")
    return out


def _torch_tensors(spec: S.LayerSpec) -> list[Tensor]:
    match spec:
        case S.Linear():
            return _dense("", spec.in_features, spec.out_features, spec.bias, "connection")
        case S.Conv1d() | S.Conv2d() | S.Conv3d() | S.ConvTranspose1d() | S.ConvTranspose2d() | S.ConvTranspose3d():
            return _conv(spec.kernel_size, spec.in_channels, spec.out_channels, spec.groups, spec.bias)
        case S.BatchNorm1d() | S.BatchNorm2d() | S.BatchNorm3d():
            return _norm((spec.num_features,), spec.affine, spec.affine and spec.bias)
        case S.LayerNorm():
            affine = spec.elementwise_affine
            return _norm(spec.normalized_shape, affine, affine and spec.bias)
        case S.Embedding():
            return [_t("E", (spec.num_embeddings, spec.embedding_dim), "one vector per token: V × d")]
        case S.RNN() | S.LSTM() | S.GRU():
            return _recurrent(spec.gates, spec.input_size, spec.hidden_size, spec.num_layers, spec.bidirectional,
                              spec.bias, spec.proj)
        case S.MultiheadAttention():
            e = spec.embed_dim
            return _attention("", e, spec.kdim or e, spec.vdim or e, e, e, (e,))
        case S.TransformerEncoderLayer() | S.TransformerDecoderLayer():
            return _transformer("", spec)
        case S.TransformerEncoder():
            out = []
            for i in range(spec.num_layers):
                out += _transformer(f"layer{i}.", spec.encoder_layer)
            return out
        case B.TransformerDecoder():
            out = []
            for i in range(spec.num_layers):
                out += _transformer(f"layer{i}.", spec.decoder_layer)
            return out
        case B.Transformer():
            common = {"d_model": spec.d_model, "nhead": spec.nhead, "dim_feedforward": spec.dim_feedforward}
            out = []
            for i in range(spec.num_encoder_layers):
                out += _transformer(f"encoder.layer{i}.", S.TransformerEncoderLayer(**common))
            for i in range(spec.num_decoder_layers):
                out += _transformer(f"decoder.layer{i}.", S.TransformerDecoderLayer(**common))
            return out
        case B.RMSNorm():
            return [_t("gamma", spec.normalized_shape, "scale")] if spec.elementwise_affine else []
        case B.SelfAttention():
            return _gqa_tensors("", spec.embed_dim, spec.num_heads, spec.kv_heads, spec.head_size)
        case B.CausalSelfAttention():
            e = spec.embed_dim
            return _attention("", e, e, e, e, e, (e,))
        case B.FeedForward():
            return (_dense("", spec.in_features, spec.hidden_features, False, "feed-forward expansion", "_1")
                    + _dense("", spec.hidden_features, spec.outputs, False, "feed-forward contraction", "_2"))
        case B.SwiGLU():
            return _swiglu_tensors("", spec.in_features, spec.hidden_features, spec.outputs)
        case B.DecoderBlock():
            d, ff = spec.d_model, spec.dim_feedforward
            if spec.style == "gpt2":
                return _transformer("", S.TransformerEncoderLayer(d_model=d, nhead=spec.nhead, dim_feedforward=ff))
            kv = spec.nhead if spec.num_kv_heads is None else spec.num_kv_heads
            return _gqa_tensors("attention.", d, spec.nhead, kv, d // spec.nhead) + _swiglu_tensors("ffn.", d, ff, d)
        case B.PatchEmbedding():
            e = spec.embed_dim
            out = _conv(spec.patch_size, spec.in_channels, e, 1, spec.bias)
            if spec.class_token:
                out.append(_t("class_token", (1, 1, e), "learned class token"))
            if spec.position_embedding:
                tokens = _product(tuple(n // p for n, p in zip(spec.image_size, spec.patch_size))) + int(spec.class_token)
                out.append(_t("E_pos", (tokens, e), "one learned position vector per token"))
            return out
    _unknown(spec)
    return []


def _keras_tensors(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> list[Tensor]:
    match spec:
        case K.Dense():
            return _dense("", ck.dense_input(spec, shapes), spec.units, spec.use_bias, "connection")
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            return _conv(spec.kernel_size, ck.conv_channels(spec, shapes), spec.filters, spec.groups, spec.use_bias)
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            return _conv(spec.kernel_size, ck.conv_channels(spec, shapes), spec.filters, 1, spec.use_bias)
        case K.BatchNormalization() | K.LayerNormalization() | K.RMSNormalization():
            return _norm(ck.norm_shape(spec, shapes), spec.scale, spec.center)
        case K.Embedding():
            return [_t("E", (spec.input_dim, spec.output_dim), "one vector per token: V × d")]
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            return _recurrent(spec.gates, ck.rnn_input(spec, shapes), spec.units, 1, False, spec.use_bias)
        case K.Bidirectional():
            layer = spec.layer
            return _recurrent(layer.gates, ck.rnn_input(spec, shapes), layer.units, 1, True, layer.use_bias)
        case K.MultiHeadAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            h = spec.num_heads
            output = spec.output_dims or (query[-1],)
            return _attention("", query[-1], key[-1], value[-1], h * spec.key_dim, h * spec.values_dim, output)
        case K.GroupQueryAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            h, g, k = spec.num_query_heads, spec.num_key_value_heads, spec.head_dim
            return _attention("", query[-1], key[-1], value[-1], h * k, h * k, (query[-1],), g * k, g * k)
    return []


def tensors(spec: S.LayerSpec, shapes: tuple[KShape, ...]) -> list[Tensor]:
    """The matrices and vectors the course formulas count, named as lectures write them."""
    if hasattr(spec, "_textbook_tensors"):  # the family knows it
        return spec._textbook_tensors(shapes)
    if spec.framework == "keras":
        return _keras_tensors(spec, shapes)
    return _torch_tensors(spec)
