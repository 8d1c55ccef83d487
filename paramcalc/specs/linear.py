"""Linear, Bilinear, Embedding and EmbeddingBag, and the shape-only layers Flatten, Unflatten, Dropout and Identity: specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import textbook as tb
from paramcalc.formulas.embedding import embedding_bag_output_shape
from paramcalc.formulas.linear import bilinear_output_shape, bilinear_params
from paramcalc.formulas.reshape import unflatten_output_shape
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.torch_tensors as tt
import paramcalc.specs.ops as ops
from paramcalc.specs.base import IntTuple, LayerSpec, NonNegInt, PosInt, Probability, Shape, StrictBool, _ParameterFree
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, n, shape_str, times


def _t(name: str, shape: tuple[int, ...], description: str) -> Tensor:
    return Tensor(name, tuple(shape), "trainable", description)


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
LINEAR_FAMILY = Family(
    "linear", "Fully connected (Linear, Dense)", ("Linear", "Dense"),
    {
        "pytorch": "I·O + O (weight O×I, bias O if bias)",
        "keras": "I·U + U (kernel I×U, bias U if use_bias)",
        "textbook": "I·O + O",
    },
    "(*, I) → (*, O)",
    "I = in_features, O = out_features (Keras: U = units)",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
EMBEDDING_FAMILY = Family(
    "embedding", "Embedding table", ("Embedding",),
    {
        "pytorch": "V·d (one d-vector per token; padding_idx does not change it)",
        "keras": "V·d (input_dim·output_dim)",
        "textbook": "V·d",
    },
    "(*) → (*, d)",
    "V = num_embeddings (vocabulary), d = embedding_dim",
)


class Linear(LayerSpec):
    """A fully connected layer: y = x·Wᵀ + b."""

    family = LINEAR_FAMILY

    summary: ClassVar[str] = "fully connected layer, y = xWᵀ + b"
    infer_field: ClassVar[str | None] = "in_features"
    example = ("Linear(100, 10)", "32,100")
    type: Literal["Linear"] = "Linear"
    in_features: NonNegInt | None = None
    out_features: NonNegInt
    bias: StrictBool = True

    def _infer_value(self, shape: Shape) -> Any:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer {self.infer_field} from a 0-dimensional input")
        return shape[-1]

    def _pytorch_tensors(self) -> list[Tensor]:
        return tt.linear("", self.in_features, self.out_features, self.bias, "connection")

    def _pytorch_count(self) -> Count:
        return Count(f.linear_params(in_features=self.in_features, out_features=self.out_features, bias=self.bias))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.linear_output_shape(
            input_shape=shapes[0], in_features=self.in_features, out_features=self.out_features)}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        dense = layer_class("keras.Dense")(units=self.out_features, use_bias=self.bias)
        return [Part("", dense, ((None, self.in_features),))]

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.linear_params(in_features=self.in_features, out_features=self.out_features, bias=self.bias))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        i, o = self.in_features, self.out_features
        out = [_t("W", (i, o), f"connection weights: {i} × {o}")]
        if self.bias:
            out.append(_t("b", (o,), "connection bias"))
        return out

    def _worked_params(self, convention: str) -> list[str]:
        i, o = self.in_features, self.out_features
        if convention == "textbook":
            if not self.bias:
                return [chain("W", times(i, o), i * o)]
            return [chain("W + b", f"{times(i, o)} + {n(o)}", f"{n(i * o)} + {n(o)}", i * o + o)]
        total = f.linear_params(in_features=i, out_features=o, bias=self.bias)
        if self.bias:
            return [chain("weight + bias", f"{times(i, o)} + {n(o)}", f"{n(i * o)} + {n(o)}", total)]
        return [chain("weight", times(i, o), total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return [f"last dimension: in_features {self.in_features} → out_features {self.out_features}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return ops.linear(shapes[0][:-1], self.in_features, self.out_features, self.bias)


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
BILINEAR_FAMILY = Family(
    "bilinear", "Bilinear (two inputs)", ("Bilinear",),
    {
        "pytorch": "O·I1·I2 + O (weight O×I1×I2, bias O if bias)",
        "keras": "no Keras layer (a Dense of the outer product x₁⊗x₂ has the same I1·I2·O + O)",
        "textbook": "O·I1·I2 + O",
    },
    "(*, I1) and (*, I2) → (*, O)",
    "I1 = in1_features, I2 = in2_features, O = out_features",
)


class Bilinear(LayerSpec):
    """y = x₁ᵀ·A·x₂ + b on two inputs, one I1 × I2 matrix A per output feature."""

    family = BILINEAR_FAMILY
    summary: ClassVar[str] = "bilinear layer on two inputs, y = x₁ᵀAx₂ + b"
    inputs: ClassVar[tuple[str, ...]] = ("input1", "input2")
    example = ("Bilinear(20, 30, 40)", "128,20;128,30")
    type: Literal["Bilinear"] = "Bilinear"
    in1_features: Annotated[int, Field(strict=True, ge=1)]  # torch's initialisation divides by it
    in2_features: Annotated[int, Field(strict=True, ge=1)]  # torch builds 0 but fails on every input
    out_features: NonNegInt
    bias: StrictBool = True

    def _pytorch_count(self) -> Count:
        return Count(bilinear_params(in1_features=self.in1_features, in2_features=self.in2_features,
                                     out_features=self.out_features, bias=self.bias))

    def _pytorch_tensors(self) -> list[Tensor]:
        """weight (O, I1, I2): one I1 × I2 matrix per output feature; bias (O,)."""
        out = [tt.weight("weight", (self.out_features, self.in1_features, self.in2_features),
                         "one in1 × in2 matrix per output feature")]
        if self.bias:
            out.append(tt.weight("bias", (self.out_features,), "bias"))
        return out

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        second = shapes[1] if len(shapes) > 1 else shapes[0]
        return {"output": bilinear_output_shape(
            input1_shape=shapes[0], input2_shape=second, in1_features=self.in1_features,
            in2_features=self.in2_features, out_features=self.out_features)}

    def _keras_parts(self) -> list[Part]:
        i1, i2, o = self.in1_features, self.in2_features, self.out_features
        dense = layer_class("keras.Dense")(units=o, use_bias=self.bias)
        return [Part("", dense, ((None, i1 * i2),))]

    def _textbook_count(self, shapes: Any) -> Count:
        return self._pytorch_count()

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        i1, i2, o = self.in1_features, self.in2_features, self.out_features
        out = [_t("A", (o, i1, i2), "one I1 × I2 matrix per output feature")]
        if self.bias:
            out.append(_t("b", (o,), "bias"))
        return out

    def _worked_params(self, convention: str) -> list[str]:
        i1, i2, o = self.in1_features, self.in2_features, self.out_features
        total = self._pytorch_count().total
        if self.bias:
            return [chain("weight + bias", f"{times(o, i1, i2)} + {n(o)}", f"{n(o * i1 * i2)} + {n(o)}", total)]
        return [chain("weight", times(o, i1, i2), total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return [f"last dimensions: in1_features {self.in1_features} and in2_features {self.in2_features} "
                f"→ out_features {self.out_features}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        rows = prod(out[:-1])
        i1, i2, o = self.in1_features, self.in2_features, self.out_features
        items = ops.op("x₁ᵀ·A·x₂ per output feature", "mac", rows * o * i1 * i2, "N·O·I1·I2",
                       f"{rows}·{o}·{i1}·{i2}")
        if self.bias:
            items += ops.op("bias", "bias", rows * o, "N·O", f"{rows}·{o}")
        return items


class Embedding(LayerSpec):
    """A lookup table of num_embeddings vectors of size embedding_dim."""

    family = EMBEDDING_FAMILY

    summary: ClassVar[str] = "lookup table: num_embeddings vectors of size embedding_dim"
    example = ("nn.Embedding(10000, 300)", "32,50")
    type: Literal["Embedding"] = "Embedding"
    num_embeddings: NonNegInt
    embedding_dim: NonNegInt
    padding_idx: Annotated[int, Field(strict=True)] | None = None
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: StrictBool = False
    sparse: StrictBool = False

    @model_validator(mode="after")
    def _check(self) -> "Embedding":
        if self.padding_idx is not None and not -self.num_embeddings <= self.padding_idx < self.num_embeddings:
            raise self._fail(
                "padding_idx must be within num_embeddings (-num_embeddings <= padding_idx < num_embeddings)",
                num_embeddings=self.num_embeddings, padding_idx=self.padding_idx,
            )
        return self

    def _pytorch_tensors(self) -> list[Tensor]:
        return [tt.weight("weight", (self.num_embeddings, self.embedding_dim), "one vector per token")]

    def _pytorch_count(self) -> Count:
        return Count(f.embedding_params(num_embeddings=self.num_embeddings, embedding_dim=self.embedding_dim))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.embedding_output_shape(
            input_shape=shapes[0], embedding_dim=self.embedding_dim, num_embeddings=self.num_embeddings)}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        table = layer_class("keras.Embedding")(input_dim=self.num_embeddings, output_dim=self.embedding_dim)
        return [Part("", table, ((None, None),))]

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.embedding_params(vocab_size=self.num_embeddings, embedding_dim=self.embedding_dim))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        return [_t("E", (self.num_embeddings, self.embedding_dim), "one vector per token: V × d")]

    def _worked_params(self, convention: str) -> list[str]:
        v, d = self.num_embeddings, self.embedding_dim
        if convention == "textbook":
            return [chain("V·d", times(v, d), v * d)]
        return [chain("weight", times(v, d), f.embedding_params(num_embeddings=v, embedding_dim=d))]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        d = self.embedding_dim
        return [f"each index becomes a vector of embedding_dim {d}: (*) → (*, {d})"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=("Embedding: a table lookup, no arithmetic",))


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
EMBEDDING_BAG_FAMILY = Family(
    "embeddingbag", "Embedding bags (EmbeddingBag)", ("EmbeddingBag",),
    {
        "pytorch": "V·d (one d-vector per token, as Embedding; mode and padding_idx do not change it)",
        "keras": "no Keras EmbeddingBag (an Embedding followed by a sum, mean or max over each bag has the same V·d)",
        "textbook": "V·d",
    },
    "input (B, N), or (N,) with offsets (B,) → (B, d); include_last_offset: (B − 1, d)",
    "V = num_embeddings (vocabulary), d = embedding_dim, B = bags",
)


class EmbeddingBag(LayerSpec):
    """An Embedding whose vectors are summed, averaged or maxed over each bag of indices."""

    family = EMBEDDING_BAG_FAMILY
    summary: ClassVar[str] = "lookup table reduced over bags of indices (sum, mean or max)"
    inputs: ClassVar[tuple[str, ...]] = ("input", "offsets", "per_sample_weights")
    example = ("nn.EmbeddingBag(10000, 64, mode='sum')", "32,20")
    #: torch's _weight comes after sparse: the arguments after it are taken by name.
    by_name_from: ClassVar[str | None] = "include_last_offset"
    type: Literal["EmbeddingBag"] = "EmbeddingBag"
    # torch refuses an index into an empty table, and its sum and mean of empty vectors fail
    # depending on the offsets' values: paramcalc asks for one vector of one value at least
    num_embeddings: PosInt
    embedding_dim: PosInt
    max_norm: float | None = None
    norm_type: float = 2.0
    scale_grad_by_freq: StrictBool = False
    mode: Annotated[Literal["sum", "mean", "max"], Field(description="how each bag's vectors are reduced")] = "mean"
    sparse: StrictBool = False
    include_last_offset: Annotated[StrictBool, Field(
        description="the offsets end with the end of the last bag (B + 1 offsets for B bags)")] = False
    padding_idx: Annotated[int, Field(strict=True)] | None = None

    @model_validator(mode="after")
    def _check(self) -> "EmbeddingBag":
        v = self.num_embeddings
        if self.padding_idx is not None and self.padding_idx not in range(-v, v):
            raise self._fail(
                "padding_idx must be within num_embeddings (-num_embeddings <= padding_idx < num_embeddings)",
                num_embeddings=self.num_embeddings, padding_idx=self.padding_idx,
            )
        if self.mode == "max" and (self.scale_grad_by_freq or self.sparse):
            flag = "scale_grad_by_freq" if self.scale_grad_by_freq else "sparse"
            raise self._fail(f"mode 'max' does not support {flag}=True", mode="max", **{flag: True})
        return self

    def _pytorch_tensors(self) -> list[Tensor]:
        return [tt.weight("weight", (self.num_embeddings, self.embedding_dim), "one vector per token")]

    def _pytorch_count(self) -> Count:
        return Count(f.embedding_params(num_embeddings=self.num_embeddings, embedding_dim=self.embedding_dim))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": embedding_bag_output_shape(
            input_shape=shapes[0], offsets_shape=shapes[1] if len(shapes) > 1 else None,
            weights_shape=shapes[2] if len(shapes) > 2 else None, embedding_dim=self.embedding_dim,
            include_last_offset=self.include_last_offset, mode=self.mode)}

    def _keras_parts(self) -> list[Part]:
        table = layer_class("keras.Embedding")(input_dim=self.num_embeddings, output_dim=self.embedding_dim)
        return [Part("", table, ((None, None),))]

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.embedding_params(vocab_size=self.num_embeddings, embedding_dim=self.embedding_dim))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        return [_t("E", (self.num_embeddings, self.embedding_dim), "one vector per token: V × d")]

    def _worked_params(self, convention: str) -> list[str]:
        v, d = self.num_embeddings, self.embedding_dim
        return [chain("V·d" if convention == "textbook" else "weight", times(v, d),
                      f.embedding_params(num_embeddings=v, embedding_dim=d))]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x, bags = shapes[0], outputs["output"][0]
        if len(x) == 2:
            how = f"{x[0]} bags of {x[1]} indices"
        else:
            last = " (include_last_offset: the last offset closes the last bag)" if self.include_last_offset else ""
            how = f"{x[0]} indices in {bags} bags, one per offset{last}"
        return [f"{how}: each bag's {self.mode} is a vector of embedding_dim {self.embedding_dim}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, d, bags = shapes[0], self.embedding_dim, outs["output"][0]
        indices = prod(x)
        joins = max(indices - bags, 0)  # a bag of n vectors: n − 1 adds (max: comparisons) per value
        kind, what = ("pool", "comparisons") if self.mode == "max" else ("elementwise", "adds")
        items = ops.op(f"{self.mode} over each bag: n − 1 {what} per value for n indices", kind, joins * d,
                       "(indices − B)·d", f"({indices} − {bags})·{d}")
        if len(shapes) > 2:
            items += ops.op("per_sample_weights: one product per index and value", "elementwise", indices * d,
                            "indices·d", f"{indices}·{d}")
        if self.mode == "mean":
            items += ops.op("mean: one divide per bag and value", "elementwise", bags * d, "B·d", f"{bags}·{d}")
        if len(x) == 1:
            items += Compute(notes=("EmbeddingBag: bags counted as if none were empty (the offsets' values are "
                                    "not part of their shape)",))
        return items


class Flatten(_ParameterFree):
    """Flattens dimensions start_dim..end_dim into one."""

    summary: ClassVar[str] = "flattens dims start_dim..end_dim into one (no parameters)"
    example = ("nn.Flatten()", "32,64,7,7")
    type: Literal["Flatten"] = "Flatten"
    start_dim: Annotated[int, Field(strict=True)] = 1
    end_dim: Annotated[int, Field(strict=True)] = -1

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        rank = max(len(x), 1)
        dims = []
        for name in ("start_dim", "end_dim"):
            d = getattr(self, name)
            if not -rank <= d < rank:
                raise SpecError(
                    f"Flatten: {name} out of range (expected to be in [{-rank}, {rank - 1}]). "
                    f"Received: {name}={d}, input_shape={x}"
                )
            dims.append(d % rank)
        start, end = dims
        if start > end:
            raise SpecError(
                f"Flatten: start_dim cannot come after end_dim. Received: start_dim={self.start_dim}, "
                f"end_dim={self.end_dim}, input_shape={x}"
            )
        if not x:
            return {"output": (1,)}
        merged = 1
        for d in x[start:end + 1]:
            merged *= d
        return {"output": (*x[:start], merged, *x[end + 1:])}

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        out = outputs[next(iter(outputs))]
        rank = max(len(x), 1)
        start, end = self.start_dim % rank, self.end_dim % rank
        if not x:
            return []
        merged = "·".join(str(d) for d in x[start:end + 1])
        dims = [*map(str, x[:start]), merged, *map(str, x[end + 1:])]
        return [chain("output", f"({', '.join(dims)}{',' if len(dims) == 1 else ''})", shape_str(out))]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()


class Unflatten(_ParameterFree):
    """Splits dimension dim into unflattened_size (the inverse of Flatten)."""

    summary: ClassVar[str] = "splits dimension dim into unflattened_size (no parameters)"
    example = ("nn.Unflatten(1, (64, 7, 7))", "32,3136")
    type: Literal["Unflatten"] = "Unflatten"
    dim: Annotated[int, Field(strict=True, description="the dimension to split")]
    unflattened_size: Annotated[IntTuple, Field(description="the sizes it splits into (one may be -1)")]

    @field_validator("unflattened_size", mode="before")
    @classmethod
    def _sizes(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = tuple(value)
            if not value or any(isinstance(v, bool) or not isinstance(v, int) or v < -1 for v in value):
                raise ValueError(
                    "Unflatten: unflattened_size must be a non-empty tuple of sizes >= 0 (one may be -1). "
                    f"Received: unflattened_size={value!r}"
                )
            if value.count(-1) > 1:
                raise ValueError(
                    f"Unflatten: only one size can be inferred (-1). Received: unflattened_size={value!r}"
                )
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            raise ValueError(f"Unflatten: unflattened_size must be a tuple of sizes. Received: unflattened_size={value!r}")
        return value

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": unflatten_output_shape(input_shape=shapes[0], dim=self.dim, sizes=self.unflattened_size)}

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        axis = self.dim % len(x)
        sizes = outputs["output"][axis:axis + len(self.unflattened_size)]
        return [f"dimension {axis} ({x[axis]}) → {shape_str(tuple(self.unflattened_size))} = {shape_str(sizes)}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()


class Dropout(_ParameterFree):
    """Zeroes elements with probability p during training."""

    summary: ClassVar[str] = "randomly zeroes elements while training (no parameters)"
    example = ("nn.Dropout(0.2)", "32,100")
    type: Literal["Dropout"] = "Dropout"
    p: Probability = 0.5
    inplace: StrictBool = False

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": shapes[0]}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute(notes=("Dropout: identity at inference",))


class Identity(_ParameterFree):
    """Passes its input through. Like torch.nn.Identity, it accepts and ignores any arguments."""

    summary: ClassVar[str] = "passes its input through (no parameters)"
    example = ("Identity()", "32,100")
    type: Literal["Identity"] = "Identity"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(**({"type": kwargs["type"]} if "type" in kwargs else {}))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": shapes[0]}

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        return Compute()
