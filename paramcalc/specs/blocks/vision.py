"""ViT's pieces: PatchEmbedding, SinusoidalPositionalEncoding and Select (``x[:, 0]``)."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

import paramcalc.specs.ops as ops
from paramcalc.errors import SpecError
from paramcalc.formulas import blocks as fb
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.formulas._shape import split_batch
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import NO_PARAMS_FAMILY, LayerSpec, PosInt, Probability, StrictBool, _tuple_validator
from paramcalc.specs.blocks._common import Shape, conv, last_dim, product, t
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import Family


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
PATCH_EMBEDDING_FAMILY = Family(
    "patch_embedding", "ViT patch embedding (PatchEmbedding)", ("PatchEmbedding",),
    {
        "pytorch": "E·C·p_h·p_w + E (patch conv) + E (class token) + (N + 1)·E (positions)",
        "keras": "the same: a Conv2D kernel and bias, a class token, an Embedding of N + 1 positions",
        "textbook": "E·C·p_h·p_w + E + E + (N + 1)·E",
    },
    "(B, C, H, W) → (B, N + 1, E) with N = (H / p_h)·(W / p_w) patches",
    "E = embed_dim, C = in_channels, p = patch_size, N = patches",
)

class PatchEmbedding(LayerSpec):
    """ViT patch embedding: Conv2d(C, E, patch, stride=patch), a class token, learned positions.

    Input (N, C, H, W) with (H, W) = image_size; output (N, patches + 1, E).
    """

    family = PATCH_EMBEDDING_FAMILY
    summary: ClassVar[str] = "ViT patch embedding: patch conv, class token, position embeddings"
    infer_field: ClassVar[str | None] = "in_channels"
    nd: ClassVar[int] = 2
    example = ("PatchEmbedding(3, 768, 16, 224)", "1,3,224,224")
    type: Literal["PatchEmbedding"] = "PatchEmbedding"
    in_channels: PosInt | None = None
    embed_dim: PosInt
    patch_size: tuple[PosInt, ...]
    image_size: tuple[PosInt, ...]
    class_token: StrictBool = True
    position_embedding: StrictBool = True
    bias: StrictBool = True

    _expand = _tuple_validator("patch_size", "image_size")

    @model_validator(mode="after")
    def _check(self) -> "PatchEmbedding":
        for i, p in zip(self.image_size, self.patch_size):
            if i % p:
                raise self._fail(
                    "patch_size must divide image_size", image_size=self.image_size, patch_size=self.patch_size
                )
        return self

    @property
    def grid(self) -> tuple[int, ...]:
        """Patches along each side of the image."""
        return tuple(n // p for n, p in zip(self.image_size, self.patch_size))

    def _infer_value(self, shape: Shape) -> int:
        batch, core = split_batch(self.name, shape, 3)
        return core[0]

    def _pytorch_count(self) -> Count:
        return Count(fb.patch_embedding_params(
            in_channels=self.in_channels, embed_dim=self.embed_dim, patch_size=self.patch_size,
            image_size=self.image_size, class_token=self.class_token,
            position_embedding=self.position_embedding, bias=self.bias,
        ))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": fb.patch_embedding_output_shape(
            input_shape=shapes[0], in_channels=self.in_channels, embed_dim=self.embed_dim,
            patch_size=self.patch_size, image_size=self.image_size, class_token=self.class_token, layer=self.name,
        )}

    def _keras_parts(self) -> list[Part]:
        """keras_hub's ViT patching: a class token weight, a strided Conv2D, an Embedding of positions."""
        e = self.embed_dim
        patches = prod(self.grid)
        parts = []
        if self.class_token:
            parts.append(Part("", None, raw=(Tensor("class_token", (1, 1, e), "trainable", "learned class token"),)))
        conv2d = layer_class("keras.Conv2D")(
            filters=e, kernel_size=self.patch_size, strides=self.patch_size, use_bias=self.bias
        )
        parts.append(Part("patch_embedding", conv2d, ((None, *self.image_size, self.in_channels),)))
        if self.position_embedding:
            tokens = patches + int(self.class_token)
            embedding = layer_class("keras.Embedding")(input_dim=tokens, output_dim=e)
            parts.append(Part("position_embedding", embedding, ((None, tokens),)))
        return parts

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        e = self.embed_dim
        patches = product(self.grid)
        weights = tb.conv_params(kernel_size=self.patch_size, in_channels=self.in_channels, out_channels=e, bias=self.bias)
        tokens = patches + int(self.class_token)
        return Count(weights + (e if self.class_token else 0)
                     + (tb.embedding_params(vocab_size=tokens, embedding_dim=e) if self.position_embedding else 0))

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        e = self.embed_dim
        out = conv(self.patch_size, self.in_channels, e, 1, self.bias)
        if self.class_token:
            out.append(t("class_token", (1, 1, e), "learned class token"))
        if self.position_embedding:
            tokens = product(self.grid) + int(self.class_token)
            out.append(t("E_pos", (tokens, e), "one learned position vector per token"))
        return out

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], outs["output"]
        batch_dims = x[: len(x) - 3]
        n_sym, n_work = ops.batch(batch_dims)
        grid = list(self.grid)
        c_in, e = self.in_channels, self.embed_dim
        macs = fc.conv_macs(batch=prod(batch_dims), out_channels=e, out_spatial=tuple(grid), in_channels=c_in,
                            kernel_size=self.patch_size)
        items = ops.op("patch convolution", "mac", macs, ops.join(n_sym, "E", "patches", "C", "pH·pW"),
                       ops.join(n_work, str(e), ops.dot(*grid), str(c_in), ops.dot(*self.patch_size)))
        if self.bias:
            items += ops.op("patch convolution bias", "bias", prod(batch_dims) * e * prod(grid),
                            ops.join(n_sym, "E", "patches"), ops.join(n_work, str(e), ops.dot(*grid)))
        if self.position_embedding:
            elements, work = ops.elements(out)
            items += ops.op("adding position embeddings", "elementwise", elements, "tokens·E elements", work)
        return items


class SinusoidalPositionalEncoding(LayerSpec):
    """Adds fixed sinusoidal position encodings (Vaswani et al. 2017): no parameters.

    Computed on the fly it has no buffer either; with max_len the table is kept as a buffer of
    max_len × d_model values, as the PyTorch tutorial's PositionalEncoding does.
    Input and output: (N, L, d_model) or (L, d_model).
    """

    family = NO_PARAMS_FAMILY
    summary: ClassVar[str] = "adds fixed sin/cos position encodings (no parameters)"
    infer_field: ClassVar[str | None] = "d_model"
    example = ("SinusoidalPositionalEncoding(512)", "1,16,512")
    type: Literal["SinusoidalPositionalEncoding"] = "SinusoidalPositionalEncoding"
    d_model: PosInt | None = None
    max_len: PosInt | None = None
    dropout: Probability = 0.0

    def _infer_value(self, shape: Shape) -> int:
        return last_dim(self, shape)

    def _pytorch_count(self) -> Count:
        return Count(0, buffers=0 if self.max_len is None else self.max_len * self.d_model)

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        out = fb.sequence_output_shape(input_shape=x, embed_dim=self.d_model, layer=self.name)
        if self.max_len is not None and x[-2] > self.max_len:
            raise SpecError(
                f"{self.name}: sequence length {x[-2]} exceeds max_len={self.max_len}. Received: input_shape={x}"
            )
        return {"output": out}

    def _keras_parts(self) -> list[Part]:
        return []  # no weights: nothing in Keras either

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(0)

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return []

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        n, work = ops.elements(shapes[0])
        return ops.op("adding the encodings", "elementwise", n, "elements", work)


class Select(LayerSpec):
    """Takes one index along a dimension, dropping it: x.select(dim, index), e.g. x[:, 0]."""

    family = NO_PARAMS_FAMILY
    summary: ClassVar[str] = "x.select(dim, index), e.g. the class token x[:, 0] (no parameters)"
    example = ("Select(1, 0)", "1,197,768")
    type: Literal["Select"] = "Select"
    dim: Annotated[int, Field(strict=True)] = 1
    index: Annotated[int, Field(strict=True)] = 0

    def _pytorch_count(self) -> Count:
        return Count(0)

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": fb.select_output_shape(input_shape=shapes[0], dim=self.dim, index=self.index)}

    def _keras_parts(self) -> list[Part]:
        return []  # no weights: nothing in Keras either

    def _textbook_count(self, shapes: tuple[Any, ...] = ()) -> Count:
        return Count(0)

    def _textbook_tensors(self, shapes: tuple[Any, ...] = ()) -> list[Tensor]:
        return []

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()
