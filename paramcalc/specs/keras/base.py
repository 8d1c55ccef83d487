"""The base of the Keras layer specs: Keras's argument order, the input checks every family shares,
and the default answers of a layer without weights."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`):
# pydantic then need not evaluate them from strings (see paramcalc.specs.base).

from typing import Any, ClassVar, Literal, Union

from pydantic import PrivateAttr, field_validator, model_serializer

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.formulas.conv import DIM_NAMES
from paramcalc.results import Compute, Count, Tensor
from paramcalc.specs.base import LayerSpec, NonNegInt, StrictBool
from paramcalc.specs.ops import elements, op
from paramcalc.specs.shapes import KShape, call_inputs, concrete_shapes, fmt_shape, keras_inputs
from paramcalc.specs.working import chain

DataFormat = Literal["channels_last", "channels_first"]
Activation_ = Union[str, None]

#: Keras arguments that change neither a count nor a shape; they are accepted and dropped.
IGNORED_KERAS_ARGUMENTS = frozenset({
    "name", "dtype", "autocast", "activity_regularizer", "use_cudnn", "weights", "renorm_clipping",
})
IGNORED_KERAS_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def _input_shape(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    return value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _data_format(value: Any) -> Any:
    return "channels_last" if value is None else value


class KerasLayer(LayerSpec):
    """Base class of the Keras layer specs: positional arguments in Keras's order, sizes from the input.

    A subclass answers the Keras hooks of :class:`~paramcalc.specs.base.LayerSpec` for its own
    type; the defaults here are those of a layer without weights.
    """

    framework: ClassVar[str] = "keras"
    #: Keras's positional argument order.
    positional: ClassVar[tuple[str, ...]] = ()
    #: Fields whose tuple values stay tuples when the spec is written back as an expression.
    keep_tuples: ClassVar[tuple[str, ...]] = ("input_shape",)
    #: Whether counting the weights needs the input shape (it does whenever the input size sets them).
    needs_input_shape: ClassVar[bool] = True
    #: An input shape to show in messages, batch dimension first.
    example_shape: ClassVar[str] = "(None, 64)"

    input_shape: tuple[NonNegInt | None, ...] | None = None
    trainable: StrictBool = True
    #: What the Keras 2 arguments of the call (input_dim, input_length, input_shape) were read as.
    _legacy: tuple[str, ...] = PrivateAttr(default=())

    _shape = field_validator("input_shape", mode="before")(classmethod(lambda cls, v: _input_shape(v)))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        if len(args) > len(self.positional):
            shown = ", ".join(self.positional) or "none"
            raise SpecError(
                f"{name}: takes at most {len(self.positional)} positional arguments ({shown}), got {len(args)}"
            )
        for field, value in zip(self.positional, args):
            if field in kwargs:
                raise SpecError(f"{name}: got multiple values for argument {field}")
            kwargs[field] = value
        super().__init__(**kwargs)

    @model_serializer(mode="wrap")
    def _ordered(self, handler: Any) -> Any:
        """Dump ``type`` first, then the layer's own arguments, then input_shape and trainable."""
        data = handler(self)
        if not isinstance(data, dict) or "type" not in data:
            return data
        common = {k: data.pop(k) for k in ("input_shape", "trainable") if k in data}
        return {"type": data.pop("type"), **data, **common}

    def __eq__(self, other: object) -> bool:
        """Equal when the type and the arguments are (the notes on Keras 2 arguments do not count)."""
        if isinstance(other, KerasLayer):
            return type(self) is type(other) and self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = LayerSpec.__hash__

    @property
    def legacy_notes(self) -> tuple[str, ...]:
        """What the call's Keras 2 arguments (``input_dim``, ``input_length``, ``input_shape``) were read
        as, and what Keras 3 does with them; empty for a Keras 3 call."""
        return self._legacy

    def spec_dict(self) -> dict[str, Any]:
        """The spec as plain data with Keras's argument names, ``type`` first."""
        return self.model_dump(mode="json", by_alias=True)

    def __str__(self) -> str:
        """The constructor expression with the arguments that differ from Keras's defaults."""
        parts = []
        fields = type(self).model_fields
        for key, value in self:
            info = fields[key]
            if key == "type" or value == info.default:
                continue
            default = info.default
            if isinstance(value, tuple) and isinstance(default, int) and set(value) == {default}:
                continue
            if isinstance(value, tuple) and len(set(value)) == 1 and key not in self.keep_tuples:
                value = value[0]
            parts.append(f"{info.alias or key}={value if isinstance(value, LayerSpec) else repr(value)}")
        return f"{self.type}({', '.join(parts)})"

    # -- the public surface, on Keras's terms -------------------------------------------------
    def _count(self, convention: str, input_shape: Any) -> Count:
        shapes = keras_inputs(self, input_shape)
        if convention == "keras":
            return self._keras_count(shapes)
        if convention == "pytorch":
            torch_spec = self._torch_equivalent(shapes)
            return Count(0) if torch_spec is None else torch_spec._pytorch_count()
        return self._textbook_count(shapes)

    def _tensors(self, convention: str, input_shape: Any) -> list[Tensor]:
        shapes = keras_inputs(self, input_shape)
        if convention == "keras":
            return self._keras_tensors(shapes)
        if convention == "pytorch":
            torch_spec = self._torch_equivalent(shapes)
            return [] if torch_spec is None else torch_spec.param_tensors()
        return self._textbook_tensors(shapes)

    def output_shapes(self, *input_shapes: Any) -> dict[str, KShape]:
        """Every named output for the input shape(s), batch first; ``None`` sizes stay ``None``.

        With no shape given, the layer's own ``input_shape`` argument is used; a layer with
        several inputs takes them in call order (or as one list of shapes).
        """
        return self._keras_output_shapes(call_inputs(self, input_shapes))

    def shape_notes(self, *input_shapes: Any) -> list[str]:
        """Remarks on the output-length arithmetic (floored "valid" divisions, ceil for "same")."""
        return self._keras_shape_notes(call_inputs(self, input_shapes))

    def compute(self, *input_shapes: Any) -> Compute:
        """MACs and FLOPs of one forward pass; an unknown (None) batch size is counted as 1."""
        if not input_shapes:
            raise SpecError(f"{self.name}: an input shape is needed to count MACs and FLOPs")
        shapes, notes = concrete_shapes(self, input_shapes)
        result = self._keras_compute(shapes, self.output_shapes(*shapes))
        return Compute(result.ops, result.notes + notes)

    # -- the Keras hooks: defaults of a layer without weights -----------------------------------
    def _keras_count(self, shapes: tuple[KShape, ...]) -> Count:
        """What Keras's ``count_params()`` gives, split into trainable and non-trainable weights."""
        return Count(0)

    def _keras_tensors(self, shapes: tuple[KShape, ...], inner_name: str | None = None) -> list[Tensor]:
        """The weights Keras creates, named by their paths without the layer's own name."""
        return []

    def _keras_output_shapes(self, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
        """Every named output: ``output``, and states or attention scores where Keras returns them."""
        raise SpecError(f"{self.name}: no shape rule")  # pragma: no cover

    def _keras_shape_notes(self, shapes: tuple[KShape, ...]) -> list[str]:
        """Remarks on the output-length arithmetic (after the checks of the output shapes)."""
        self._keras_output_shapes(require_shapes(self, shapes))
        return []

    def _torch_equivalent(self, shapes: tuple[KShape, ...]) -> LayerSpec | None:
        """The torch.nn spec counted under the pytorch convention; None for a layer without weights."""
        return None

    def _textbook_count(self, shapes: tuple[KShape, ...]) -> Count:
        """The course formula's count: every weight trainable, no buffers."""
        return Count(0)

    def _textbook_tensors(self, shapes: tuple[KShape, ...]) -> list[Tensor]:
        """The matrices and vectors the course formula counts, named as lectures write them."""
        return []

    def _keras_worked_params(self, convention: str, input_shape: Any) -> list[str] | None:
        """A worked formula ending on the count; None where the sum of the tensors shows it."""
        return None

    def _keras_worked_shape(self, x: KShape, out: KShape) -> list[str]:
        """The output shape worked out, one line per step (conv and pooling windows)."""
        return []

    def _keras_compute(self, shapes: tuple[tuple[int, ...], ...], outs: dict[str, tuple[int, ...]]) -> Compute:
        """MACs and FLOPs of one forward pass on concrete input shapes."""
        raise SpecError(f"{self.name}: no compute formula for this layer type yet")  # pragma: no cover

    # -- helpers for the families --------------------------------------------------------------
    def _as_set(self, result: Count) -> Count:
        """A count with every weight non-trainable when the layer is frozen (trainable=False)."""
        return result if self.trainable else Count(0, result.total)

    def _frozen(self, tensors: list[Tensor]) -> list[Tensor]:
        """The tensors, non-trainable when the layer is frozen (trainable=False)."""
        if self.trainable:
            return tensors
        return [Tensor(t.name, t.shape, "non_trainable", t.description) for t in tensors]

    def _no_torch(self, rule: str, **values: object) -> SpecError:
        """A SpecError saying that torch has no equivalent module (and why)."""
        received = ", ".join(f"{k}={v!r}" for k, v in values.items())
        return SpecError(f"{self.name}: no PyTorch equivalent ({rule}). Received: {received}")


# -- Input checks ----------------------------------------------------------------------------


def require_shapes(spec: KerasLayer, shapes: tuple[KShape, ...]) -> tuple[KShape, ...]:
    """The input shapes, or a SpecError saying that Keras needs them to size the weights."""
    if not shapes:
        flag = str(spec.example_shape).strip("()").replace(" ", "")
        raise SpecError(
            f"{spec.name}: the input shape is missing; a Keras layer takes its input size from it. "
            f"Give the input shape, batch dimension first, shaped like {spec.example_shape} "
            f"(--input-shape {flag} in the terminal), or the "
            f"layer's own input_shape= argument without the batch dimension"
        )
    return shapes


def check_rank(spec: KerasLayer, shape: KShape, rank: int, layout: str, *, at_least: bool = False) -> None:
    """A SpecError unless the input has ``rank`` dimensions (at least ``rank`` with ``at_least``)."""
    ok = len(shape) >= rank if at_least else len(shape) == rank
    if not ok:
        need = f"at least {rank}-D" if at_least else f"a {rank}-D"
        raise SpecError(
            f"{spec.name}: expected {need} input {layout} (batch dimension first), got {len(shape)}-D. "
            f"Received: input_shape={fmt_shape(shape)}"
        )


def known(spec: KerasLayer, shape: KShape, axis: int, what: str) -> int:
    """The size on ``axis``, which must be known to size the weights."""
    size = shape[axis]
    if size is None:
        raise SpecError(
            f"{spec.name}: the {what} (axis {axis}) must be known to size the weights. "
            f"Received: input_shape={fmt_shape(shape)}"
        )
    return size


def layout(spec: KerasLayer) -> str:
    """The input layout of a conv or pooling layer in words: ``(batch, height, width, channels)``."""
    nd = getattr(spec, "nd", 2)
    spatial = ", ".join(DIM_NAMES[nd]) if nd > 1 else "steps"
    if getattr(spec, "data_format", "channels_last") == "channels_first":
        return f"(batch, channels, {spatial})"
    return f"(batch, {spatial}, channels)"


def check_axis(spec: KerasLayer, shape: KShape, axis: int) -> int:
    """``axis`` as a non-negative index into ``shape``; a SpecError when it is out of range."""
    if not -len(shape) <= axis < len(shape):
        raise SpecError(
            f"{spec.name}: axis {axis} is out of range for a {len(shape)}-D input. "
            f"Received: axis={axis}, input_shape={fmt_shape(shape)}"
        )
    return axis % len(shape)


def list_as_tuple(value: Any) -> Any:
    """A list (as JSON and YAML write a tuple) as a tuple; any other value as it is."""
    return tuple(value) if isinstance(value, list) else value


def shape_kept_along_axes(spec: Any, shapes: tuple[KShape, ...]) -> dict[str, KShape]:
    """The output of a layer that works along ``spec.axis`` (one axis or a tuple of them) and keeps the
    input's shape (Softmax, UnitNormalization): the input shape, once every axis is checked against it."""
    x = require_shapes(spec, shapes)[0]
    for a in spec.axis if isinstance(spec.axis, tuple) else (spec.axis,):
        check_axis(spec, x, a)
    return {"output": x}


def weight(name: str, shape: tuple[int, ...], description: str, trainable: bool = True) -> Tensor:
    """One Keras weight."""
    return Tensor(name, tuple(shape), "trainable" if trainable else "non_trainable", description)


def textbook(name: str, shape: tuple[int, ...], description: str) -> Tensor:
    """One matrix or vector of the course formulas (always trainable)."""
    return Tensor(name, tuple(shape), "trainable", description)


# -- Compute ---------------------------------------------------------------------------------

_LINEAR = (None, "linear")


def activation_ops(name: Any, out: tuple[int, ...], what: str = "activation") -> Compute:
    """The compute of a layer's ``activation`` argument applied to its output (none for linear)."""
    if name in _LINEAR:
        return Compute()
    count, work = elements(out)
    if name == "softmax":
        return op(f"{what} (softmax)", "softmax", fc.softmax_ops(elements=count), "3·elements", f"3·{work}")
    return op(f"{what} ({name})", "activation", fc.activation_ops(elements=count), "elements", work)


# -- Windows (convolutions and pooling) --------------------------------------------------------


def split(spec: Any, x: KShape) -> tuple[tuple[int | None, ...], int | None]:
    """(spatial sizes, channels) of a channels_last or channels_first input."""
    if getattr(spec, "data_format", "channels_last") == "channels_last":
        return x[1:-1], x[-1]
    return x[2:], x[1]


def assemble(spec: Any, x: KShape, spatial: tuple[int | None, ...], channels: int | None) -> KShape:
    """The output shape from the batch, spatial sizes and channels, in the spec's data_format."""
    if spec.data_format == "channels_last":
        return (x[0], *spatial, channels)
    return (x[0], channels, *spatial)


def window_notes(spec: Any, x: KShape, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[str]:
    """Remarks on Keras's output-length arithmetic: a floored "valid" division, "same"'s ceil(n / s)."""
    spatial, _ = split(spec, x)
    notes = []
    for dim, n, k, s, d in zip(DIM_NAMES[spec.nd], spatial, kernel, spec.strides, dilation):
        if n is None or s == 1:
            continue
        if spec.padding == "valid":
            num = n - d * (k - 1) - 1
            if num % s:
                notes.append(
                    f"{spec.name}: output {dim} ({n} - {d}*({k}-1) - 1)/{s} + 1 is not a whole number; "
                    f"floored to {num // s + 1}"
                )
        elif n % s:
            notes.append(f"{spec.name}: output {dim} with padding='{spec.padding}' is ceil({n}/{s}) = {(n - 1) // s + 1}")
    return notes


def window_lines(spec: Any, x: KShape, out: KShape, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> list[str]:
    """Keras's rule per spatial dimension: valid (n − d·(k − 1) − 1) // s + 1; same ⌈n / s⌉."""
    nd = spec.nd
    first = 1 if spec.data_format == "channels_last" else 2
    conv = spec.name.startswith("Conv")
    lines = []
    for name, size, k, s, d, got in zip(
        DIM_NAMES[nd], x[first:first + nd], kernel, spec.strides, dilation, out[first:first + nd]
    ):
        if spec.padding == "valid":
            num = size - d * (k - 1) - 1
            body = f"({size} − {d}·({k} − 1) − 1)" if conv else f"({size} − {k})"
            lines.append(chain(name, f"{body} // {s} + 1", *([f"{num} // {s} + 1"] if s > 1 else []), str(got)))
        else:
            lines.append(chain(f"{name} (padding={spec.padding!r})", f"⌈{size} / {s}⌉", str(got)))
    channel = x[-1] if first == 1 else x[1]
    lines.append(f"channels: filters = {spec.filters}" if conv else f"channels: {channel} (unchanged)")
    return lines
