"""Layers of the classic papers as they describe them: LeNet-5's trainable subsampling (S2, S4), its sparse
C3 convolution, and its Euclidean RBF output units (LeCun, Bottou, Bengio & Haffner 1998)."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

import paramcalc.specs.ops as ops
from paramcalc.errors import SpecError
from paramcalc.formulas import classic as fcl
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import IntTuple, LayerSpec, PosInt, Shape, StrictBool, _check_all, _tuple_validator
from paramcalc.specs.registry import layer_class
from paramcalc.specs.torch_tensors import weight
from paramcalc.specs.working import Family, chain, n, times

_NO_KERAS = "no Keras layer does this (a layer of LeCun et al. 1998)"

#: The general formulas of each family, for worked formulas and ``paramcalc formula``.
SUBSAMPLING_FAMILY = Family(
    "subsampling", "LeNet-5's trainable subsampling (S2, S4)", ("Subsampling2d",),
    {"pytorch": "2·C (one coefficient and one bias per map)", "keras": _NO_KERAS, "textbook": "2·C"},
    "as AvgPool2d(k): (N, C, ⌊H/k⌋, ⌊W/k⌋)",
    "C = maps (channels), k = kernel_size (2 in LeNet-5)",
)
SPARSE_CONV_FAMILY = Family(
    "sparse_conv", "Convolution with a connection table (LeNet-5's C3)", ("SparseConv2d",),
    {"pytorch": "kH·kW·Σ_o |table[o]| + C_out", "keras": _NO_KERAS, "textbook": "kH·kW·Σ_o |table[o]| + C_out"},
    "as Conv2d(C_in, C_out, k): (N, C_out, H − kH + 1, W − kW + 1)",
    "table[o] = the input maps output map o reads (LeNet-5: 60 of 6·16 = 96 pairs)",
)
RBF_FAMILY = Family(
    "rbf", "Euclidean RBF output units (LeNet-5's output layer)", ("RBFOutput",),
    {"pytorch": "I·O, fixed (non-trainable) unless trainable=True", "keras": _NO_KERAS, "textbook": "I·O"},
    "(*, I) → (*, O)",
    "I = in_features (84 in LeNet-5), O = out_features (10 classes)",
)


def _no_keras(spec: LayerSpec) -> SpecError:
    return SpecError(f"{spec.name}: no Keras layer does what {spec.type} does (a layer of LeCun et al. 1998)")


class _Classic(LayerSpec):
    def _keras_parts(self) -> list[Any]:
        raise _no_keras(self)

    def _count(self, convention: str, input_shape: Any) -> Count:
        if convention == "keras":
            raise _no_keras(self)
        return self.resolve(input_shape)._pytorch_count()

    def _tensors(self, convention: str, input_shape: Any) -> list[Tensor]:
        if convention == "keras":
            raise _no_keras(self)
        return self.resolve(input_shape)._pytorch_tensors()

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        return self._pytorch_tensors()

    def _textbook_count(self, shapes: Any) -> Count:
        return self._pytorch_count()


class Subsampling2d(_Classic):
    """LeNet-5's subsampling (S2, S4): each map sums a k×k window, times a trainable coefficient, plus a
    trainable bias (then a sigmoid). One coefficient and one bias per map."""

    family = SUBSAMPLING_FAMILY
    summary: ClassVar[str] = "LeNet-5 subsampling: window sum × a coefficient + a bias, per map (2·C)"
    infer_field: ClassVar[str | None] = "channels"
    example = ("Subsampling2d(6)", "1,6,28,28")
    nd: ClassVar[int] = 2
    type: Literal["Subsampling2d"] = "Subsampling2d"
    channels: PosInt | None = None
    kernel_size: IntTuple = Field(2, validate_default=True)

    _expand = _tuple_validator("kernel_size")

    @model_validator(mode="after")
    def _check(self) -> "Subsampling2d":
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        return self

    def _infer_value(self, shape: Shape) -> Any:
        if len(shape) < 3:
            raise SpecError(f"{self.name}: needs an input (N, C, H, W) or (C, H, W). Received: {shape}")
        return shape[-3]

    def _pool(self) -> LayerSpec:
        return layer_class("AvgPool2d")(kernel_size=self.kernel_size)

    def _pytorch_count(self) -> Count:
        return Count(fcl.subsampling_params(channels=self.channels))

    def _pytorch_tensors(self) -> list[Tensor]:
        """``weight`` and ``bias``: one coefficient and one bias per map."""
        return [weight("weight", (self.channels,), "trainable coefficient per map"),
                weight("bias", (self.channels,), "trainable bias per map")]

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        if len(x) < 3 or x[-3] != self.channels:
            raise self._fail("the input must have `channels` maps at dimension -3", channels=self.channels,
                             input_shape=x)
        return self._pool().output_shapes(x)

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return self._pool().shape_notes(x)

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        c = self.channels
        return [Tensor("coefficient", (c,), "trainable", "one coefficient per map"),
                Tensor("bias", (c,), "trainable", "one bias per map")]

    def _worked_params(self, convention: str) -> list[str]:
        c = self.channels
        return [chain("coefficient + bias", f"{n(c)} + {n(c)}", 2 * c)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return [f"as AvgPool2d({self.kernel_size[0]}): a non-overlapping {'×'.join(map(str, self.kernel_size))} "
                f"window per output"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        cells = prod(out)
        window = prod(self.kernel_size)
        return (ops.op("window sums", "pool", cells * (window - 1), "outputs·(kH·kW − 1)",
                       ops.dot(cells, window - 1))
                + ops.op("× coefficient", "mac", cells, "outputs", str(cells))
                + ops.op("+ bias", "bias", cells, "outputs", str(cells)))


def _table(value: Any) -> Any:
    if value == "lenet5":
        return fcl.LENET5_C3_TABLE
    if isinstance(value, (list, tuple)):
        return tuple(tuple(m) if isinstance(m, (list, tuple)) else m for m in value)
    return value


class SparseConv2d(_Classic):
    """A convolution whose output map o reads only the input maps ``table[o]``: LeNet-5's C3, whose table
    connects 60 of the 96 map pairs (the default, ``table="lenet5"``)."""

    family = SPARSE_CONV_FAMILY
    summary: ClassVar[str] = "convolution with a connection table (LeNet-5's C3: 60 of 96 map pairs)"
    infer_field: ClassVar[str | None] = "in_channels"
    example = ("SparseConv2d(6, 16, 5)", "1,6,14,14")
    nd: ClassVar[int] = 2
    type: Literal["SparseConv2d"] = "SparseConv2d"
    in_channels: PosInt | None = None
    out_channels: PosInt
    kernel_size: IntTuple
    table: tuple[tuple[int, ...], ...] = fcl.LENET5_C3_TABLE
    bias: StrictBool = True

    _expand = _tuple_validator("kernel_size", expand_single=False)
    _read_table = field_validator("table", mode="before")(classmethod(lambda cls, v: _table(v)))

    @model_validator(mode="after")
    def _check(self) -> "SparseConv2d":
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        if len(self.table) > 10_000 or sum(len(m) for m in self.table) > 1_000_000:
            raise self._fail("table must have at most 10,000 output maps and 1,000,000 connections",
                             out_channels=self.out_channels)
        if len(self.table) != self.out_channels:
            raise self._fail("table must list the input maps of every output map (one entry per out_channels)",
                             out_channels=self.out_channels, table_entries=len(self.table))
        if self.in_channels is not None:
            try:
                fcl.check_table(self.table, self.in_channels)
            except SpecError as exc:
                raise SpecError(f"{self.name}: {exc}") from None
        return self

    def _infer_value(self, shape: Shape) -> Any:
        if len(shape) < 3:
            raise SpecError(f"{self.name}: needs an input (N, C, H, W) or (C, H, W). Received: {shape}")
        return shape[-3]

    def _conv(self) -> LayerSpec:
        return layer_class("Conv2d")(in_channels=self.in_channels, out_channels=self.out_channels,
                                     kernel_size=self.kernel_size, bias=self.bias)

    def _pytorch_count(self) -> Count:
        return Count(fcl.sparse_conv_params(table=self.table, kernel_size=self.kernel_size, bias=self.bias))

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return self._conv().output_shapes(shapes[0])

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return self._conv().shape_notes(x)

    def _pytorch_tensors(self) -> list[Tensor]:
        """An nn.ModuleList of one Conv2d(len(table[o]), 1, k) per output map: ``maps.o.weight``, ``.bias``."""
        out = []
        for o, maps in enumerate(self.table):
            out.append(weight(f"maps.{o}.weight", (1, len(maps), *self.kernel_size),
                              f"output map {o}: kernels over input maps {', '.join(map(str, maps))}"))
            if self.bias:
                out.append(weight(f"maps.{o}.bias", (1,), f"output map {o}: bias"))
        return out

    def _worked_params(self, convention: str) -> list[str]:
        k = prod(self.kernel_size)
        links = sum(len(m) for m in self.table)
        total = fcl.sparse_conv_params(table=self.table, kernel_size=self.kernel_size, bias=self.bias)
        head = f"{links} of the {self.in_channels * self.out_channels} map pairs connected"
        if not self.bias:
            return [head, chain("weights", times(k, links), total)]
        return [head, chain("weights + biases", f"{times(k, links)} + {n(self.out_channels)}",
                            f"{n(k * links)} + {n(self.out_channels)}", total)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return self._conv().explain_shape(shapes[0])[:-1]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        out = outs["output"]
        positions = prod(out[-2:]) * prod(out[:-3])
        links = sum(len(m) for m in self.table)
        k = prod(self.kernel_size)
        items = ops.op("sparse convolution (each output map over its table's maps)", "mac", positions * links * k,
                       "N·H_out·W_out·Σ|table[o]|·kH·kW", ops.dot(positions, links, k))
        if self.bias:
            items += ops.op("bias", "bias", prod(out), "N·C_out·H_out·W_out", ops.dot(*out))
        return items


class RBFOutput(_Classic):
    """LeNet-5's output layer: Euclidean RBF units, y_i = Σ_j (x_j − w_ij)², one parameter vector per class.
    The paper chose the vectors by hand and kept them fixed: non-trainable unless ``trainable=True``."""

    family = RBF_FAMILY
    summary: ClassVar[str] = "Euclidean RBF output units: y_i = Σ_j (x_j − w_ij)², I·O fixed weights"
    infer_field: ClassVar[str | None] = "in_features"
    example = ("RBFOutput(84, 10)", "1,84")
    type: Literal["RBFOutput"] = "RBFOutput"
    in_features: PosInt | None = None
    out_features: PosInt
    trainable: StrictBool = False

    def _infer_value(self, shape: Shape) -> Any:
        if not shape:
            raise SpecError(f"{self.name}: cannot infer in_features from a 0-dimensional input")
        return shape[-1]

    def _pytorch_count(self) -> Count:
        total = fcl.rbf_params(in_features=self.in_features, out_features=self.out_features)
        return Count(total) if self.trainable else Count(0, total)

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        x = shapes[0]
        if not x or x[-1] != self.in_features:
            raise self._fail("the input's last dimension must be in_features", in_features=self.in_features,
                             input_shape=x)
        return {"output": (*x[:-1], self.out_features)}

    def _pytorch_tensors(self) -> list[Tensor]:
        """``weight`` (O, I): one centre per class, trained only when ``trainable``."""
        return [Tensor("weight", (self.out_features, self.in_features),
                       "trainable" if self.trainable else "non_trainable", "RBF centres (one per class)")]

    def _worked_params(self, convention: str) -> list[str]:
        i, o = self.in_features, self.out_features
        kind = "trainable" if self.trainable else "fixed (non-trainable), as the paper keeps them"
        return [chain("centres", times(o, i), i * o), f"{kind}"]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        rows = prod(shapes[0][:-1])
        cells = rows * self.in_features * self.out_features
        return (ops.op("differences x − w", "elementwise", cells, "rows·I·O", ops.dot(rows, self.in_features, self.out_features))
                + ops.op("squares summed", "mac", cells, "rows·I·O",
                         ops.dot(rows, self.in_features, self.out_features)))
