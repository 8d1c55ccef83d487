"""From a spec to its formulas: the one place that maps each layer type to its arithmetic."""

from __future__ import annotations

from fractions import Fraction
from math import prod
from typing import Any

from paramcalc import formulas as f
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
from paramcalc.errors import SpecError, short_repr
from paramcalc.limits import check_shape_bounds
from paramcalc.formulas import blocks as fb
from paramcalc.formulas._shape import split_batch
from paramcalc.formulas.attention import mha_output_shapes
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.formulas.transformer import transformer_output_shape
from paramcalc.results import Count, Tensor
from paramcalc.specs import (
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
    GELU,
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

Shape = tuple[int, ...]
CONVENTIONS = ("pytorch", "keras", "textbook")


def as_shape(value: Any, what: str = "input_shape") -> Shape:
    """Check a shape: a sequence of non-negative ints (booleans are not ints here)."""
    if not isinstance(value, (tuple, list)):
        raise SpecError(f"{what} must be a tuple of non-negative ints. Received: {what}={short_repr(value)}")
    for d in value:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise SpecError(f"{what} must be a tuple of non-negative ints. Received: {what}={short_repr(tuple(value))}")
    return check_shape_bounds(tuple(value), what)


def first_shape(input_shape: Any) -> Shape | None:
    """The first input's shape, from one shape or a list of shapes (one per input)."""
    if input_shape is None:
        return None
    if isinstance(input_shape, (tuple, list)) and input_shape and isinstance(input_shape[0], (tuple, list)):
        return as_shape(input_shape[0])
    return as_shape(input_shape)


# -- Resolving inferred input sizes ----------------------------------------------------------


def _inferred_value(spec: LayerSpec, shape: Shape) -> Any:
    if hasattr(spec, "_infer_value"):  # the family knows it
        return spec._infer_value(shape)
    match spec:
        case Linear() | RNN() | LSTM() | GRU() | MultiheadAttention():
            if not shape:
                raise SpecError(f"{spec.name}: cannot infer {spec.infer_field} from a 0-dimensional input")
            return shape[-1]
        case LayerNorm() | RMSNorm():
            if not shape:
                raise SpecError(f"{spec.name}: cannot infer normalized_shape from a 0-dimensional input")
            return (shape[-1],)
        case SelfAttention() | CausalSelfAttention() | FeedForward() | SwiGLU() | SinusoidalPositionalEncoding():
            if not shape:
                raise SpecError(f"{spec.name}: cannot infer {spec.infer_field} from a 0-dimensional input")
            return shape[-1]
        case PatchEmbedding():
            batch, core = split_batch(spec.name, shape, 3)
            return core[0]
        case Conv1d() | Conv2d() | Conv3d() | ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            batch, core = split_batch(spec.name, shape, spec.nd + 1)
            return core[0]
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            _check_batchnorm_rank(spec, shape)
            return shape[1]
    raise SpecError(f"{spec.name}: has no input size to infer")  # pragma: no cover


def resolve(spec: LayerSpec, input_shape: Any = None) -> LayerSpec:
    """Fill a left-out input size (in_features, in_channels, ...) from the input shape."""
    if spec.is_resolved():
        return spec
    field = spec.infer_field
    shape = first_shape(input_shape)
    if shape is None:
        raise SpecError(
            f"{spec.name}: {field} is not set; give {field}, or an input shape to infer it from"
        )
    values = {k: v for k, v in spec if k != "type"}
    values[field] = _inferred_value(spec, shape)
    return type(spec)(**values)


# -- Counting --------------------------------------------------------------------------------


def count(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> Count:
    """Count a spec's parameters under a convention."""
    if convention == "pytorch" and spec.framework == "pytorch":
        return pytorch_count(resolve(spec, input_shape))
    if convention in CONVENTIONS:
        from paramcalc import conventions

        return conventions.count(spec, convention, input_shape)
    raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")


def param_tensors(spec: LayerSpec, convention: str = "pytorch", input_shape: Any = None) -> list[Tensor]:
    """The tensors a framework creates for a spec, by name, shape and kind."""
    if convention == "pytorch" and spec.framework == "pytorch":
        from paramcalc import reference

        return reference.param_tensors(resolve(spec, input_shape))
    if convention in CONVENTIONS:
        from paramcalc import conventions

        return conventions.param_tensors(spec, convention, input_shape)
    raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")


def pytorch_count(spec: LayerSpec) -> Count:
    """What ``sum(p.numel() for p in module.parameters())`` gives, with buffers apart."""
    if hasattr(spec, "_pytorch_count"):  # the family knows it
        return spec._pytorch_count()
    match spec:
        case Linear():
            return Count(f.linear_params(in_features=spec.in_features, out_features=spec.out_features, bias=spec.bias))
        case Conv1d() | Conv2d() | Conv3d() | ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            return Count(
                f.conv_params(
                    in_channels=spec.in_channels, out_channels=spec.out_channels,
                    kernel_size=spec.kernel_size, groups=spec.groups, bias=spec.bias,
                )
            )
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            return Count(
                f.batchnorm_params(num_features=spec.num_features, affine=spec.affine, bias=spec.bias),
                buffers=f.batchnorm_buffers(num_features=spec.num_features, track_running_stats=spec.track_running_stats),
            )
        case LayerNorm():
            return Count(
                f.layernorm_params(
                    normalized_shape=spec.normalized_shape, elementwise_affine=spec.elementwise_affine, bias=spec.bias
                )
            )
        case Embedding():
            return Count(f.embedding_params(num_embeddings=spec.num_embeddings, embedding_dim=spec.embedding_dim))
        case RNN() | LSTM() | GRU():
            return Count(
                f.recurrent_params(
                    gates=spec.gates, input_size=spec.input_size, hidden_size=spec.hidden_size,
                    num_layers=spec.num_layers, bias=spec.bias, bidirectional=spec.bidirectional,
                    proj_size=spec.proj,
                )
            )
        case MultiheadAttention():
            return Count(
                f.mha_params(
                    embed_dim=spec.embed_dim, kdim=spec.kdim, vdim=spec.vdim, bias=spec.bias,
                    add_bias_kv=spec.add_bias_kv,
                )
            )
        case TransformerEncoderLayer():
            return Count(
                f.transformer_encoder_layer_params(
                    d_model=spec.d_model, dim_feedforward=spec.dim_feedforward, bias=spec.bias
                )
            )
        case TransformerDecoderLayer():
            return Count(
                f.transformer_decoder_layer_params(
                    d_model=spec.d_model, dim_feedforward=spec.dim_feedforward, bias=spec.bias
                )
            )
        case TransformerEncoder():
            stack = pytorch_count(spec.encoder_layer) * spec.num_layers
            if spec.norm is None:
                return stack
            norm = resolve(spec.norm, (spec.encoder_layer.d_model,))
            return stack + pytorch_count(norm)
        case (
            MaxPool1d() | MaxPool2d() | MaxPool3d() | AvgPool1d() | AvgPool2d() | AvgPool3d()
            | AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d()
            | Flatten() | Dropout() | Identity() | ReLU() | GELU() | Tanh() | Sigmoid() | Softmax()
            | Select()
        ):
            return Count(0)
        case RMSNorm():
            return Count(fb.rmsnorm_params(
                normalized_shape=spec.normalized_shape, elementwise_affine=spec.elementwise_affine))
        case SelfAttention():
            return Count(fb.attention_params(
                embed_dim=spec.embed_dim, num_heads=spec.num_heads, num_kv_heads=spec.num_kv_heads,
                head_dim=spec.head_dim, bias=spec.bias, out_bias=spec.out_bias,
            ))
        case CausalSelfAttention():
            return Count(fb.fused_attention_params(embed_dim=spec.embed_dim, bias=spec.bias))
        case FeedForward():
            return Count(fb.mlp_params(
                in_features=spec.in_features, hidden_features=spec.hidden_features,
                out_features=spec.out_features, bias=spec.bias,
            ))
        case SwiGLU():
            return Count(fb.swiglu_params(
                in_features=spec.in_features, hidden_features=spec.hidden_features,
                out_features=spec.out_features, bias=spec.bias,
            ))
        case DecoderBlock():
            return Count(fb.decoder_block_params(
                d_model=spec.d_model, num_heads=spec.nhead, dim_feedforward=spec.dim_feedforward,
                style=spec.style, num_kv_heads=spec.num_kv_heads, bias=spec.bias,
            ))
        case PatchEmbedding():
            return Count(fb.patch_embedding_params(
                in_channels=spec.in_channels, embed_dim=spec.embed_dim, patch_size=spec.patch_size,
                image_size=spec.image_size, class_token=spec.class_token,
                position_embedding=spec.position_embedding, bias=spec.bias,
            ))
        case SinusoidalPositionalEncoding():
            return Count(0, buffers=0 if spec.max_len is None else spec.max_len * spec.d_model)
        case TransformerDecoder():
            stack = pytorch_count(spec.decoder_layer) * spec.num_layers
            if spec.norm is None:
                return stack
            return stack + pytorch_count(resolve(spec.norm, (spec.decoder_layer.d_model,)))
        case Transformer():
            return Count(fb.transformer_params(
                d_model=spec.d_model, num_encoder_layers=spec.num_encoder_layers,
                num_decoder_layers=spec.num_decoder_layers, dim_feedforward=spec.dim_feedforward, bias=spec.bias,
            ))
        case _:
            from paramcalc import conventions

            return conventions.count(spec, "pytorch", None)


# -- Shapes ----------------------------------------------------------------------------------


def _check_batchnorm_rank(spec: LayerSpec, shape: Shape) -> None:
    ranks = {1: (2, 3), 2: (4,), 3: (5,)}[spec.nd]
    if len(shape) not in ranks:
        wanted = " or ".join(f"{r}D" for r in ranks)
        raise SpecError(f"{spec.name}: expected {wanted} input, got {len(shape)}D. Received: input_shape={shape}")


def _shapes(spec: LayerSpec, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
    if hasattr(spec, "_output_shapes"):  # the family knows it
        return spec._output_shapes(shapes)
    x = shapes[0]
    match spec:
        case Linear():
            return {"output": f.linear_output_shape(
                input_shape=x, in_features=spec.in_features, out_features=spec.out_features)}
        case Conv1d() | Conv2d() | Conv3d():
            return {"output": f.conv_output_shape(
                input_shape=x, in_channels=spec.in_channels, out_channels=spec.out_channels,
                kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
                dilation=spec.dilation, padding_mode=spec.padding_mode, layer=spec.name,
            )}
        case ConvTranspose1d() | ConvTranspose2d() | ConvTranspose3d():
            return {"output": f.conv_transpose_output_shape(
                input_shape=x, in_channels=spec.in_channels, out_channels=spec.out_channels,
                kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
                output_padding=spec.output_padding, dilation=spec.dilation, layer=spec.name,
            )}
        case MaxPool1d() | MaxPool2d() | MaxPool3d():
            out = f.pool_output_shape(
                input_shape=x, kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
                dilation=spec.dilation, ceil_mode=spec.ceil_mode, layer=spec.name,
            )
            return {"output": out, "indices": out} if spec.return_indices else {"output": out}
        case AvgPool1d() | AvgPool2d() | AvgPool3d():
            return {"output": f.pool_output_shape(
                input_shape=x, kernel_size=spec.kernel_size, stride=spec.stride, padding=spec.padding,
                dilation=(1,) * spec.nd, ceil_mode=spec.ceil_mode,
                kernel_within_input=isinstance(spec, AvgPool3d), layer=spec.name,
            )}
        case AdaptiveAvgPool1d() | AdaptiveAvgPool2d() | AdaptiveAvgPool3d():
            return {"output": f.adaptive_pool_output_shape(
                input_shape=x, output_size=spec.output_size, layer=spec.name)}
        case BatchNorm1d() | BatchNorm2d() | BatchNorm3d():
            _check_batchnorm_rank(spec, x)
            # torch checks the channels against its weights or running statistics (if it has any),
            # and only for an input with elements.
            if (spec.affine or spec.track_running_stats) and prod(x) > 0 and x[1] != spec.num_features:
                raise SpecError(
                    f"{spec.name}: expected input with num_features={spec.num_features} channels, got {x[1]}. "
                    f"Received: input_shape={x}"
                )
            if not spec.track_running_stats and x[0] * prod(x[2:]) == 1:
                raise SpecError(
                    f"{spec.name}: expected more than 1 value per channel (without running statistics torch "
                    f"always normalises with the batch's own). Received: input_shape={x}"
                )
            return {"output": x}
        case LayerNorm():
            n = len(spec.normalized_shape)
            if x[len(x) - n:] != spec.normalized_shape or len(x) < n:
                raise SpecError(
                    f"LayerNorm: expected input with shape [*, {', '.join(map(str, spec.normalized_shape))}]. "
                    f"Received: input_shape={x}"
                )
            return {"output": x}
        case Embedding():
            return {"output": f.embedding_output_shape(
                input_shape=x, embedding_dim=spec.embedding_dim, num_embeddings=spec.num_embeddings)}
        case RNN() | LSTM() | GRU():
            return f.recurrent_output_shapes(
                input_shape=x, input_size=spec.input_size, hidden_size=spec.hidden_size,
                num_layers=spec.num_layers, bidirectional=spec.bidirectional, batch_first=spec.batch_first,
                proj_size=spec.proj, cell=spec.name,
            )
        case MultiheadAttention():
            query = x
            key = shapes[1] if len(shapes) > 1 else query
            value = shapes[2] if len(shapes) > 2 else key
            return mha_output_shapes(
                query_shape=query, key_shape=key, value_shape=value, embed_dim=spec.embed_dim,
                kdim=spec.kdim, vdim=spec.vdim, batch_first=spec.batch_first,
                add_bias_kv=spec.add_bias_kv, add_zero_attn=spec.add_zero_attn,
            )
        case TransformerEncoderLayer():
            return {"output": transformer_output_shape(input_shape=x, d_model=spec.d_model, layer=spec.name)}
        case TransformerEncoder():
            out = transformer_output_shape(input_shape=x, d_model=spec.encoder_layer.d_model, layer=spec.name)
            if spec.norm is not None and spec.norm.normalized_shape is not None:
                _shapes(spec.norm, (out,))  # a final norm over more than d_model checks the trailing dims
            return {"output": out}
        case TransformerDecoderLayer():
            memory = shapes[1] if len(shapes) > 1 else x
            out = transformer_output_shape(input_shape=x, d_model=spec.d_model, layer=spec.name, what="tgt")
            transformer_output_shape(input_shape=memory, d_model=spec.d_model, layer=spec.name, what="memory")
            if len(memory) != len(x):
                raise SpecError(
                    f"{spec.name}: tgt and memory must both be batched or both unbatched. "
                    f"Received: tgt_shape={x}, memory_shape={memory}"
                )
            if len(x) == 3:
                axis = 0 if spec.batch_first else 1
                if x[axis] != memory[axis] and memory[1 - axis] > 0:  # an empty memory is never reshaped
                    raise SpecError(
                        f"{spec.name}: the batch number of tgt and memory must be equal. "
                        f"Received: tgt_shape={x}, memory_shape={memory}"
                    )
            return {"output": out}
        case Flatten():
            return {"output": _flatten_shape(spec, x)}
        case Softmax():
            if spec.dim is not None and not -max(len(x), 1) <= spec.dim < max(len(x), 1):
                raise SpecError(
                    f"Softmax: dim out of range (expected to be in [{-max(len(x), 1)}, {max(len(x), 1) - 1}]). "
                    f"Received: dim={spec.dim}, input_shape={x}"
                )
            return {"output": x}
        case Dropout() | Identity() | ReLU() | GELU() | Tanh() | Sigmoid():
            return {"output": x}
        case RMSNorm():
            n = len(spec.normalized_shape)
            if len(x) < n or x[len(x) - n:] != spec.normalized_shape:
                raise SpecError(
                    f"RMSNorm: expected input with shape [*, {', '.join(map(str, spec.normalized_shape))}]. "
                    f"Received: input_shape={x}"
                )
            return {"output": x}
        case SelfAttention() | CausalSelfAttention():
            return {"output": fb.sequence_output_shape(input_shape=x, embed_dim=spec.embed_dim, layer=spec.name)}
        case SinusoidalPositionalEncoding():
            out = fb.sequence_output_shape(input_shape=x, embed_dim=spec.d_model, layer=spec.name)
            if spec.max_len is not None and x[-2] > spec.max_len:
                raise SpecError(
                    f"{spec.name}: sequence length {x[-2]} exceeds max_len={spec.max_len}. Received: input_shape={x}"
                )
            return {"output": out}
        case DecoderBlock():
            return {"output": transformer_output_shape(input_shape=x, d_model=spec.d_model, layer=spec.name)}
        case FeedForward() | SwiGLU():
            return {"output": fb.features_output_shape(
                input_shape=x, in_features=spec.in_features, out_features=spec.outputs, layer=spec.name)}
        case PatchEmbedding():
            return {"output": fb.patch_embedding_output_shape(
                input_shape=x, in_channels=spec.in_channels, embed_dim=spec.embed_dim, patch_size=spec.patch_size,
                image_size=spec.image_size, class_token=spec.class_token, layer=spec.name,
            )}
        case Select():
            return {"output": fb.select_output_shape(input_shape=x, dim=spec.dim, index=spec.index)}
        case TransformerDecoder() | Transformer():
            d_model = spec.d_model if isinstance(spec, Transformer) else spec.decoder_layer.d_model
            batch_first = spec.batch_first if isinstance(spec, Transformer) else spec.decoder_layer.batch_first
            first_name, second_name = ("src", "tgt") if isinstance(spec, Transformer) else ("tgt", "memory")
            second = shapes[1] if len(shapes) > 1 else x
            transformer_output_shape(input_shape=x, d_model=d_model, layer=spec.name, what=first_name)
            transformer_output_shape(input_shape=second, d_model=d_model, layer=spec.name, what=second_name)
            if len(x) != len(second):
                raise SpecError(
                    f"{spec.name}: {first_name} and {second_name} must both be batched or both unbatched. "
                    f"Received: {first_name}_shape={x}, {second_name}_shape={second}"
                )
            if len(x) == 3 and x[0 if batch_first else 1] != second[0 if batch_first else 1]:
                raise SpecError(
                    f"{spec.name}: the batch number of {first_name} and {second_name} must be equal. "
                    f"Received: {first_name}_shape={x}, {second_name}_shape={second}"
                )
            return {"output": second if isinstance(spec, Transformer) else x}
        case _:
            from paramcalc import conventions

            return conventions.output_shapes(spec, shapes)


def _flatten_shape(spec: Flatten, x: Shape) -> Shape:
    rank = max(len(x), 1)
    dims = []
    for name in ("start_dim", "end_dim"):
        d = getattr(spec, name)
        if not -rank <= d < rank:
            raise SpecError(
                f"Flatten: {name} out of range (expected to be in [{-rank}, {rank - 1}]). "
                f"Received: {name}={d}, input_shape={x}"
            )
        dims.append(d % rank)
    start, end = dims
    if start > end:
        raise SpecError(
            f"Flatten: start_dim cannot come after end_dim. Received: start_dim={spec.start_dim}, "
            f"end_dim={spec.end_dim}, input_shape={x}"
        )
    if not x:
        return (1,)
    merged = 1
    for d in x[start:end + 1]:
        merged *= d
    return (*x[:start], merged, *x[end + 1:])


def output_shapes(spec: LayerSpec, *input_shapes: Any) -> dict[str, Shape]:
    """Every named output of a spec for the given input shapes."""
    if spec.framework != "pytorch":  # Keras layouts, None dimensions allowed
        from paramcalc import conventions

        return conventions.output_shapes(spec, input_shapes)
    if not input_shapes:
        raise SpecError(f"{spec.name}: an input shape is needed to compute the output shape")
    if len(input_shapes) > len(spec.inputs):
        names = ", ".join(spec.inputs)
        raise SpecError(
            f"{spec.name}: takes {len(spec.inputs)} input shape{'s' if len(spec.inputs) > 1 else ''} ({names}). "
            f"Received: {len(input_shapes)} input shapes"
        )
    shapes = tuple(as_shape(s, "input_shape" if i == 0 else f"input_shape[{i}]") for i, s in enumerate(input_shapes))
    return _shapes(resolve(spec, shapes[0]), shapes)


def _fmt_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        return format(float(value), "g") if abs(value) < 10**15 else str(value)
    return f"{value.numerator}/{value.denominator}"


def shape_notes(spec: LayerSpec, *input_shapes: Any) -> list[str]:
    """Remarks on inexact conv/pool divisions: ``(224 - 11)/4 + 1 = 54.25 floored to 54``."""
    if spec.framework != "pytorch":
        from paramcalc import conventions

        return conventions.shape_notes(spec, input_shapes)
    out = next(iter(output_shapes(spec, *input_shapes).values()))  # no input shape: a SpecError
    spec = resolve(spec, input_shapes[0])
    x = as_shape(input_shapes[0])
    if hasattr(spec, "_shape_notes"):  # the family knows it
        return spec._shape_notes(x, out)
    match spec:
        case Conv1d() | Conv2d() | Conv3d() if not isinstance(spec.padding, str):
            padding, dilation, ceil_mode = spec.padding, spec.dilation, False
        case Conv1d() | Conv2d() | Conv3d():
            if spec.padding == "same":
                return []
            padding, dilation, ceil_mode = (0,) * spec.nd, spec.dilation, False
        case MaxPool1d() | MaxPool2d() | MaxPool3d():
            padding, dilation, ceil_mode = spec.padding, spec.dilation, spec.ceil_mode
        case AvgPool1d() | AvgPool2d() | AvgPool3d():
            padding, dilation, ceil_mode = spec.padding, (1,) * spec.nd, spec.ceil_mode
        case _:
            return []
    spatial = x[len(x) - spec.nd:]
    notes = []
    for name, n, k, s, p, d, o in zip(
        DIM_NAMES[spec.nd], spatial, spec.kernel_size, spec.stride, padding, dilation, out[len(out) - spec.nd:]
    ):
        num = n + 2 * p - d * (k - 1) - 1
        if num % s:
            exact = Fraction(num, s) + 1
            how = "rounded up (ceil_mode)" if ceil_mode else "floored"
            notes.append(
                f"{spec.name}: output {name} ({n} + 2*{p} - {d}*({k}-1) - 1)/{s} + 1 = "
                f"{_fmt_fraction(exact)} is not a whole number; {how} to {o}"
            )
    return notes


