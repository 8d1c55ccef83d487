"""Convolutions (Conv1d/2d/3d) and transposed convolutions (ConvTranspose1d/2d/3d): specs and their arithmetic."""

# Annotations are evaluated at class creation on purpose (see paramcalc.specs.base).

from math import prod
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from paramcalc import formulas as f
from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas import textbook as tb
from paramcalc.formulas._shape import split_batch
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute, Count, Tensor
import paramcalc.specs.torch_tensors as tt
import paramcalc.specs.ops as ops
from paramcalc.specs.base import (
    IntTuple,
    LayerSpec,
    PosInt,
    Shape,
    StrictBool,
    _as_tuple,
    _check_all,
    _tuple_validator,
)
from paramcalc.specs.parts import Part
from paramcalc.specs.registry import layer_class
from paramcalc.specs.working import chain, Family, n, times, window_lines, window_notes


#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
CONV_FAMILY = Family(
    "conv", "Convolution (Conv1d/2d/3d, Conv1D/2D/3D)",
    ("Conv1d", "Conv2d", "Conv3d", "Conv1D", "Conv2D", "Conv3D"),
    {
        "pytorch": "k_1·…·k_n·(C_in/g)·C_out + C_out (bias)",
        "keras": "k_1·…·k_n·(C_in/g)·F + F (kernel, bias if use_bias)",
        "textbook": "(K_h·K_w·C_in/g + 1)·C_out",
    },
    "out = (n + 2·p − d·(k − 1) − 1) // s + 1 per spatial dimension "
    "(torch padding='same' keeps n; Keras 'same' gives ⌈n / s⌉)",
    "k = kernel size, C_in/C_out = channels, g = groups, F = filters, n = input size, "
    "p = padding, d = dilation, s = stride",
)

#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
CONV_TRANSPOSE_FAMILY = Family(
    "conv_transpose", "Transposed convolution (ConvTranspose1d/2d/3d, Conv2DTranspose)",
    ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Conv1DTranspose", "Conv2DTranspose",
     "Conv3DTranspose"),
    {
        "pytorch": "k_1·…·k_n·C_in·(C_out/g) + C_out (bias)",
        "keras": "k_1·…·k_n·C_in·F + F (kernel, bias if use_bias)",
        "textbook": "(K_h·K_w·C_in/g + 1)·C_out",
    },
    "out = (n − 1)·s − 2·p + d·(k − 1) + output_padding + 1 per spatial dimension",
    "k = kernel size, C_in/C_out = channels, g = groups, n = input size, p = padding, "
    "d = dilation, s = stride",
)


class _ConvBase(LayerSpec):
    nd: ClassVar[int] = 2
    #: Whether the weight scatters each input element (ConvTranspose) rather than gathering a window.
    transposed: ClassVar[bool] = False
    infer_field: ClassVar[str | None] = "in_channels"
    # torch builds in_channels=0, but a transposed one then fails on every input and a plain one
    # returns 0 channels instead of out_channels (its empty-input shortcut): refused here.
    in_channels: PosInt | None = None
    out_channels: PosInt
    kernel_size: IntTuple

    _expand = _tuple_validator("kernel_size", expand_single=False)

    def _check_common(self) -> None:
        _check_all(self, "kernel_size", self.kernel_size, 1, "must be >= 1")
        _check_all(self, "stride", self.stride, 1, "must be >= 1 (non-positive stride is not supported)")
        _check_all(self, "dilation", self.dilation, 1, "must be >= 1")
        if self.groups < 1:
            raise self._fail("groups must be a positive integer", groups=self.groups)
        if self.in_channels is not None and self.in_channels % self.groups:
            raise self._fail("groups must divide in_channels", in_channels=self.in_channels, groups=self.groups)
        if self.out_channels % self.groups:
            raise self._fail("groups must divide out_channels", out_channels=self.out_channels, groups=self.groups)

    def _infer_value(self, shape: Shape) -> Any:
        batch, core = split_batch(self.name, shape, self.nd + 1)
        return core[0]

    def _pytorch_tensors(self) -> list[Tensor]:
        c_in, c_out, g = self.in_channels, self.out_channels, self.groups
        if self.transposed:
            filters = tt.weight("weight", (c_in, c_out // g, *self.kernel_size), "filters: in_channels × out_channels/groups × kernel")
        else:
            filters = tt.weight("weight", (c_out, c_in // g, *self.kernel_size), "filters: out_channels × in_channels/groups × kernel")
        return [filters, tt.weight("bias", (c_out,), "one bias per output channel")] if self.bias else [filters]

    def _pytorch_count(self) -> Count:
        return Count(f.conv_params(
            in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=self.kernel_size, groups=self.groups, bias=self.bias,
        ))

    def _textbook_count(self, shapes: Any) -> Count:
        return Count(tb.conv_params(
            kernel_size=self.kernel_size, in_channels=self.in_channels, out_channels=self.out_channels,
            groups=self.groups, bias=self.bias,
        ))

    def _textbook_tensors(self, shapes: Any) -> list[Tensor]:
        c_in, c_out, g = self.in_channels, self.out_channels, self.groups
        per = "K × C_in/groups" if g > 1 else "K × C_in"
        out = [Tensor("W", (*self.kernel_size, c_in // g, c_out), "trainable", f"filters: {per} weights each, C_out filters")]
        if self.bias:
            out.append(Tensor("b", (c_out,), "trainable", "one bias per filter"))
        return out

    def _worked_params(self, convention: str) -> list[str]:
        k, c_in, c_out, g = self.kernel_size, self.in_channels, self.out_channels, self.groups
        per_filter = c_in // g
        kernel = times(*k)
        if convention == "textbook":  # (K_h·K_w·C_in/g + 1)·C_out, as the notes write it
            ratio = n(c_in) if g == 1 else f"{n(c_in)}/{g}"
            inner = prod(k) * per_filter
            if not self.bias:
                return [chain("kernel·filters (no bias)", f"{kernel}·{ratio}·{n(c_out)}", inner * c_out)]
            return [chain("(kernel + 1 bias)·filters", f"({kernel}·{ratio} + 1)·{n(c_out)}",
                          f"({n(inner)} + 1)·{n(c_out)}", f"{n(inner + 1)}·{n(c_out)}", (inner + 1) * c_out)]
        total = f.conv_params(in_channels=c_in, out_channels=c_out, kernel_size=k, groups=g, bias=self.bias)
        if self.transposed:  # weight (C_in, C_out/g, *k): the same number of values
            channels = f"{n(c_in)}·{n(c_out)}" if g == 1 else f"{n(c_in)}·({n(c_out)}/{g})"
        else:
            channels = f"{n(c_in)}·{n(c_out)}" if g == 1 else f"({n(c_in)}/{g})·{n(c_out)}"
        weight = prod(k) * per_filter * c_out
        if self.bias:
            return [chain("weight + bias", f"{kernel}·{channels} + {n(c_out)}", f"{n(weight)} + {n(c_out)}", total)]
        return [chain("weight", f"{kernel}·{channels}", total)]

    def _compute(self, shapes: tuple[Shape, ...], outs: dict[str, Shape]) -> Compute:
        x, out = shapes[0], outs["output"]
        nd = self.nd
        batch_dims = out[: len(out) - nd - 1]
        n_sym, n_work = ops.batch(batch_dims)
        g = self.groups
        c_in_sym = "(C_in/groups)" if g > 1 else "C_in"
        c_out_sym = "(C_out/groups)" if g > 1 else "C_out"
        kernel_sym = ops.dot(*ops.KERNEL[nd])
        kernel_work = ops.dot(*self.kernel_size)
        if self.transposed:
            in_spatial = x[len(x) - nd:]
            macs = fc.conv_transpose_macs(
                batch=prod(batch_dims), in_channels=self.in_channels, in_spatial=in_spatial,
                out_channels=self.out_channels, kernel_size=self.kernel_size, groups=g,
            )
            items = ops.op(
                "scatter (each input element through the kernel)", "mac", macs,
                ops.join(n_sym, "C_in", ops.dot(*(f"{s}_in" for s in ops.SPATIAL[nd])), c_out_sym, kernel_sym),
                ops.join(n_work, str(self.in_channels), ops.dot(*in_spatial), str(self.out_channels // g), kernel_work),
            )
        else:
            out_spatial = out[len(out) - nd:]
            macs = fc.conv_macs(
                batch=prod(batch_dims), out_channels=self.out_channels, out_spatial=out_spatial,
                in_channels=self.in_channels, kernel_size=self.kernel_size, groups=g,
            )
            items = ops.op(
                "convolution (one dot product per output element)", "mac", macs,
                ops.join(n_sym, "C_out", ops.dot(*(f"{s}_out" for s in ops.SPATIAL[nd])), c_in_sym, kernel_sym),
                ops.join(n_work, str(self.out_channels), ops.dot(*out_spatial), str(self.in_channels // g), kernel_work),
            )
        if self.bias:
            out_spatial = out[len(out) - nd:]
            items += ops.op(
                "bias", "bias", fc.bias_adds(outputs=prod(out)),
                ops.join(n_sym, "C_out", ops.dot(*(f"{s}_out" for s in ops.SPATIAL[nd]))),
                ops.join(n_work, str(self.out_channels), ops.dot(*out_spatial)),
            )
        return items

class _Conv(_ConvBase):

    family = CONV_FAMILY
    stride: IntTuple = Field(1, validate_default=True)
    padding: IntTuple | Literal["same", "valid"] = Field(0, validate_default=True)
    dilation: IntTuple = Field(1, validate_default=True)
    groups: Annotated[int, Field(strict=True)] = 1
    bias: StrictBool = True
    padding_mode: Literal["zeros", "reflect", "replicate", "circular"] = "zeros"

    _expand_more = _tuple_validator("stride", "dilation")

    @field_validator("padding", mode="before")
    @classmethod
    def _expand_padding(cls, value: Any, info: Any) -> Any:
        if isinstance(value, str):
            if value not in ("same", "valid"):
                raise ValueError(
                    f"{cls.__name__}: padding must be 'same', 'valid', an int or a tuple of ints. "
                    f"Received: padding={value!r}"
                )
            return value
        return _as_tuple(value, cls.nd, "padding", cls.__name__)

    @model_validator(mode="before")
    @classmethod
    def _single_padding(cls, data: Any) -> Any:
        # torch pads a non-zeros padding_mode with F.pad, which takes a one-entry padding for the
        # last dimension only: a different layer than the one the entry stands for elsewhere.
        if isinstance(data, dict) and cls.nd > 1 and data.get("padding_mode", "zeros") != "zeros":
            padding = data.get("padding")
            if isinstance(padding, (list, tuple)) and len(padding) == 1:
                raise ValueError(
                    f"{cls.__name__}: padding must be an int or a tuple of {cls.nd} ints with "
                    f"padding_mode={data['padding_mode']!r}. Received: padding={tuple(padding)!r}"
                )
        return data

    @model_validator(mode="after")
    def _check(self) -> "_Conv":
        self._check_common()
        if isinstance(self.padding, str):
            if self.padding == "same" and any(s != 1 for s in self.stride):
                raise self._fail("padding='same' is not supported for strided convolutions", stride=self.stride)
        elif self.padding_mode == "zeros":  # other modes pad with F.pad, where a negative padding crops
            _check_all(self, "padding", self.padding, 0, "must be >= 0 (negative padding is not supported)")
        return self

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.conv_output_shape(
            input_shape=shapes[0], in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, padding_mode=self.padding_mode, layer=self.name,
        )}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        if self.padding == "same":
            return []
        padding = (0,) * self.nd if self.padding == "valid" else self.padding
        return window_notes(self, x, out, padding, self.dilation, False)

    def _keras_parts(self) -> list[Part]:
        layer = layer_class(f"keras.Conv{self.nd}D")(
            filters=self.out_channels, kernel_size=self.kernel_size, groups=self.groups, use_bias=self.bias
        )
        return [Part("", layer, ((None,) + (None,) * self.nd + (self.in_channels,),))]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return window_lines(self, shapes[0], outputs[next(iter(outputs))], conv=True)

class Conv1d(_Conv):
    """1-D convolution over (N, C, L)."""

    summary: ClassVar[str] = "1-D convolution over (N, C, L)"
    nd: ClassVar[int] = 1
    example = ("Conv1d(16, 33, 3, stride=2)", "20,16,50")
    type: Literal["Conv1d"] = "Conv1d"


class Conv2d(_Conv):
    """2-D convolution over (N, C, H, W)."""

    summary: ClassVar[str] = "2-D convolution over (N, C, H, W)"
    nd: ClassVar[int] = 2
    example = ("Conv2d(3, 64, kernel_size=3, padding=1)", "1,3,224,224")
    type: Literal["Conv2d"] = "Conv2d"


class Conv3d(_Conv):
    """3-D convolution over (N, C, D, H, W)."""

    summary: ClassVar[str] = "3-D convolution over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    example = ("Conv3d(16, 33, kernel_size=3, stride=2)", "20,16,10,50,100")
    type: Literal["Conv3d"] = "Conv3d"


class _ConvTranspose(_ConvBase):

    family = CONV_TRANSPOSE_FAMILY
    transposed: ClassVar[bool] = True
    stride: IntTuple = Field(1, validate_default=True)
    padding: IntTuple = Field(0, validate_default=True)
    output_padding: IntTuple = Field(0, validate_default=True)
    groups: Annotated[int, Field(strict=True)] = 1
    bias: StrictBool = True
    dilation: IntTuple = Field(1, validate_default=True)
    padding_mode: Literal["zeros"] = "zeros"

    _expand_more = _tuple_validator("stride", "padding", "output_padding", "dilation")

    @model_validator(mode="after")
    def _check(self) -> "_ConvTranspose":
        self._check_common()
        _check_all(self, "padding", self.padding, 0, "must be >= 0 (negative padding is not supported)")
        _check_all(self, "output_padding", self.output_padding, 0, "must be >= 0")
        for op, s, d in zip(self.output_padding, self.stride, self.dilation):
            if op >= s and op >= d:
                raise self._fail(
                    "output_padding must be smaller than either stride or dilation",
                    output_padding=self.output_padding, stride=self.stride, dilation=self.dilation,
                )
        return self

    def _output_shapes(self, shapes: tuple[Shape, ...]) -> dict[str, Shape]:
        return {"output": f.conv_transpose_output_shape(
            input_shape=shapes[0], in_channels=self.in_channels, out_channels=self.out_channels,
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            output_padding=self.output_padding, dilation=self.dilation, layer=self.name,
        )}

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Part]:
        if self.groups != 1:
            raise SpecError(
                f"{self.name}: Keras transposed convolutions have no groups; no Keras equivalent. "
                f"Received: groups={self.groups}"
            )
        layer = layer_class(f"keras.Conv{self.nd}DTranspose")(
            filters=self.out_channels, kernel_size=self.kernel_size, use_bias=self.bias
        )
        return [Part("", layer, ((None,) + (None,) * self.nd + (self.in_channels,),))]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        x = shapes[0]
        lines = []
        spatial = x[len(x) - self.nd:]
        for name, size, k, s, p, op, d in zip(
            DIM_NAMES[self.nd], spatial, self.kernel_size, self.stride, self.padding, self.output_padding,
            self.dilation,
        ):
            value = f.conv_transpose_output_size(
                size=size, kernel_size=k, stride=s, padding=p, output_padding=op, dilation=d, layer=self.name
            )
            lines.append(chain(name, f"({size} − 1)·{s} − 2·{p} + {d}·({k} − 1) + {op} + 1", str(value)))
        return [*lines, f"channels: out_channels = {self.out_channels}"]

class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (fractionally strided), over (N, C, L)."""

    summary: ClassVar[str] = "1-D transposed convolution over (N, C, L)"
    nd: ClassVar[int] = 1
    example = ("ConvTranspose1d(16, 33, 3, stride=2)", "20,16,50")
    type: Literal["ConvTranspose1d"] = "ConvTranspose1d"


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution, over (N, C, H, W)."""

    summary: ClassVar[str] = "2-D transposed convolution over (N, C, H, W)"
    nd: ClassVar[int] = 2
    example = ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", "1,16,28,28")
    type: Literal["ConvTranspose2d"] = "ConvTranspose2d"


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution, over (N, C, D, H, W)."""

    summary: ClassVar[str] = "3-D transposed convolution over (N, C, D, H, W)"
    nd: ClassVar[int] = 3
    example = ("ConvTranspose3d(16, 33, 3, stride=2)", "20,16,10,50,100")
    type: Literal["ConvTranspose3d"] = "ConvTranspose3d"
