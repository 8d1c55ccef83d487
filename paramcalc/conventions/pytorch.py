"""The PyTorch convention for Keras specs: count the torch.nn module that does what the Keras layer does.

Keras's channels_last layouts and "same" padding do not change a count, so a Conv2D is counted as
the Conv2d with the same kernel, channels, groups and bias. Where torch has no such module (a GRU
with reset_after=False, a SimpleRNN with a sigmoid, a BatchNormalization with beta but no
gamma, attention whose heads do not tile the query size), the count is a SpecError saying so.
"""

from __future__ import annotations

from paramcalc import blocks as B
from paramcalc import keras_layers as K
from paramcalc import specs as S
from paramcalc.conventions import keras as ck
from paramcalc.conventions.shapes import KShape
from paramcalc.errors import SpecError
from paramcalc.results import Count, Tensor


def _none(spec: K.KerasLayer, rule: str, **values: object) -> SpecError:
    received = ", ".join(f"{k}={v!r}" for k, v in values.items())
    return SpecError(f"{spec.name}: no PyTorch equivalent ({rule}). Received: {received}")


def _trailing_norm_shape(
    spec: K.LayerNormalization | K.RMSNormalization, shapes: tuple[KShape, ...], torch_name: str
) -> tuple[int, ...]:
    """The normalised shape; ``axis`` must name trailing dimensions, the only ones a torch norm normalises."""
    normalized = ck.norm_shape(spec, shapes)
    rank = len(shapes[0])
    axes = sorted(a % rank for a in spec.axes)
    if axes != list(range(rank - len(axes), rank)):
        raise _none(spec, f"{torch_name} normalises the trailing dimensions", axis=spec.axis, input_shape=shapes[0])
    return normalized


def _recurrent(layer: K.SimpleRNN | K.LSTM | K.GRU, input_dim: int, bidirectional: bool) -> S.LayerSpec:
    common = {"input_size": input_dim, "hidden_size": layer.units, "bias": layer.use_bias,
              "batch_first": True, "bidirectional": bidirectional}
    if isinstance(layer, K.SimpleRNN):
        if layer.activation not in ("tanh", "relu"):
            raise _none(layer, "torch.nn.RNN offers tanh or relu", activation=layer.activation)
        return S.RNN(nonlinearity=layer.activation, **common)
    if layer.activation != "tanh" or layer.recurrent_activation != "sigmoid":
        raise _none(
            layer, f"torch.nn.{layer.name} uses tanh and sigmoid",
            activation=layer.activation, recurrent_activation=layer.recurrent_activation,
        )
    if isinstance(layer, K.GRU):
        if not layer.reset_after:
            raise _none(
                layer, "torch.nn.GRU applies the reset gate after the recurrent product, as reset_after=True does",
                reset_after=False,
            )
        return S.GRU(**common)
    return S.LSTM(**common)


def equivalent(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> S.LayerSpec | None:
    """The torch.nn spec equivalent to a Keras spec on these inputs; None for a layer without weights.

    Raises:
        SpecError: torch has no equivalent module, or the input shape is missing or does not fit.
    """
    if hasattr(spec, "_torch_equivalent"):  # the family knows it
        return spec._torch_equivalent(shapes)
    match spec:
        case K.Dense():
            return S.Linear(in_features=ck.dense_input(spec, shapes), out_features=spec.units, bias=spec.use_bias)
        case K.Conv1D() | K.Conv2D() | K.Conv3D():
            cls = {1: S.Conv1d, 2: S.Conv2d, 3: S.Conv3d}[spec.nd]
            return cls(
                in_channels=ck.conv_channels(spec, shapes), out_channels=spec.filters, kernel_size=spec.kernel_size,
                stride=spec.strides, dilation=spec.dilation_rate, groups=spec.groups, bias=spec.use_bias,
            )
        case K.Conv1DTranspose() | K.Conv2DTranspose() | K.Conv3DTranspose():
            cls = {1: S.ConvTranspose1d, 2: S.ConvTranspose2d, 3: S.ConvTranspose3d}[spec.nd]
            return cls(
                in_channels=ck.conv_channels(spec, shapes), out_channels=spec.filters, kernel_size=spec.kernel_size,
                stride=spec.strides, dilation=spec.dilation_rate, bias=spec.use_bias,
            )
        case K.BatchNormalization():
            (channels,) = ck.norm_shape(spec, shapes)
            if spec.center and not spec.scale:
                raise _none(spec, "torch.nn.BatchNorm has no bias without a weight", center=True, scale=False)
            rank = len(shapes[0])
            cls = {2: S.BatchNorm1d, 3: S.BatchNorm1d, 4: S.BatchNorm2d, 5: S.BatchNorm3d}.get(rank)
            if cls is None:
                raise _none(spec, "torch.nn.BatchNorm takes 2-D to 5-D inputs", input_shape=shapes[0])
            # center=False, scale=True is torch's bias=False (weight only); neither is affine=False
            return cls(num_features=channels, affine=spec.scale, bias=spec.center or not spec.scale, eps=spec.epsilon)
        case K.LayerNormalization():
            normalized = _trailing_norm_shape(spec, shapes, "torch.nn.LayerNorm")
            if spec.center and not spec.scale:
                raise _none(spec, "torch.nn.LayerNorm has no bias without a weight", center=True, scale=False)
            return S.LayerNorm(normalized_shape=normalized, eps=spec.epsilon, elementwise_affine=spec.scale,
                               bias=spec.center)
        case K.RMSNormalization():
            normalized = _trailing_norm_shape(spec, shapes, "torch.nn.RMSNorm")
            return B.RMSNorm(normalized_shape=normalized, eps=spec.epsilon)
        case K.GroupQueryAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            if not query[-1] == key[-1] == value[-1]:
                raise _none(spec, "the PyTorch block attends within one sequence of one feature size",
                            query_features=query[-1], key_features=key[-1], value_features=value[-1])
            return B.SelfAttention(
                embed_dim=query[-1], num_heads=spec.num_query_heads, num_kv_heads=spec.num_key_value_heads,
                head_dim=spec.head_dim, bias=spec.use_bias, dropout=spec.dropout,
            )
        case K.Embedding():
            return S.Embedding(num_embeddings=spec.input_dim, embedding_dim=spec.output_dim)
        case K.SimpleRNN() | K.LSTM() | K.GRU():
            return _recurrent(spec, ck.rnn_input(spec, shapes), False)
        case K.Bidirectional():
            return _recurrent(spec.layer, ck.rnn_input(spec, shapes), True)
        case K.MultiHeadAttention():
            query, value, key = ck.mha_inputs(spec, shapes)
            e = query[-1]
            if spec.num_heads * spec.key_dim != e or spec.num_heads * spec.values_dim != e:
                raise _none(
                    spec, "torch.nn.MultiheadAttention projects to num_heads × head size = the query's features",
                    num_heads=spec.num_heads, key_dim=spec.key_dim, value_dim=spec.value_dim, query_features=e,
                )
            if spec.output_dims not in (None, (e,)):
                raise _none(spec, "torch.nn.MultiheadAttention's output has the query's features",
                            output_shape=spec.output_dims, query_features=e)
            return S.MultiheadAttention(
                embed_dim=e, num_heads=spec.num_heads, dropout=spec.dropout, bias=spec.use_bias,
                kdim=key[-1], vdim=value[-1], batch_first=True,
            )
    return None


def count(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> Count:
    """A Keras spec counted as its torch.nn equivalent (buffers apart)."""
    from paramcalc.dispatch import pytorch_count

    torch_spec = equivalent(spec, shapes)
    return Count(0) if torch_spec is None else pytorch_count(torch_spec)


def tensors(spec: K.KerasLayer, shapes: tuple[KShape, ...]) -> list[Tensor]:
    """The parameters and buffers of a Keras spec's torch.nn equivalent, by their state_dict names."""
    from paramcalc import reference

    torch_spec = equivalent(spec, shapes)
    return [] if torch_spec is None else reference.param_tensors(torch_spec)
