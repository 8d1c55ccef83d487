"""The base of every layer spec: a frozen pydantic model, its argument checks and its public methods."""

# Annotations are evaluated at class creation on purpose (no `from __future__ import annotations`):
# pydantic then need not evaluate them from strings.

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from paramcalc.errors import SpecError, short_repr
from paramcalc.limits import MAX_RANK, MAX_SIZE, MAX_STACKED_LAYERS, oversized, size_rule
from paramcalc.specs.explaining import explain_params, explain_shape
from paramcalc.specs.parts import parts_count, parts_tensors
from paramcalc.specs.shapes import as_shape, first_shape
from paramcalc.specs.working import CONVENTIONS, NO_PARAMS, Family

if TYPE_CHECKING:
    from paramcalc.results import Compute, Count, Tensor

Shape = tuple[int, ...]

PosInt = Annotated[int, Field(strict=True, ge=1)]
NonNegInt = Annotated[int, Field(strict=True, ge=0)]
StrictBool = Annotated[bool, Field(strict=True)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
#: A probability that must not be a boolean (torch's RNN, LSTM and GRU refuse dropout=True).
StrictProbability = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
IntTuple = tuple[int, ...]

Convention = Literal["pytorch", "keras", "textbook"]


def describe_problem(layer: str, exc: ValidationError, fields: Iterable[str] = ()) -> str:
    """One line for the first problem in a pydantic ValidationError: the layer, the argument, the
    rule, the value received.

    An unknown argument comes first (a misspelt name also leaves the real one missing), with the
    closest of ``fields`` suggested: ``LSTM: unknown argument hiden_size (did you mean hidden_size?)``.
    """
    errors = exc.errors(include_url=False)
    err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = ".".join(str(p) for p in err["loc"]) or "arguments"
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "value_error" and isinstance(ctx.get("error"), Exception):
        message = str(ctx["error"])
        return message if message.startswith(f"{layer}:") else f"{layer}: {message}"
    if kind == "missing":
        return f"{layer}: missing required argument {loc}"
    if kind == "extra_forbidden":
        known = [f for f in fields if f != "type"]
        close = difflib.get_close_matches(loc, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else (
            f" (arguments: {', '.join(known)})" if known else f" ({layer} takes no arguments)"
        )
        return f"{layer}: unknown argument {loc}{hint}. Received: {loc}={short_repr(value)}"
    return f"{layer}: {loc} {rule_text(kind, ctx)}. Received: {loc}={short_repr(value)}"


#: pydantic's error types in paramcalc's words (the rule a value broke).
_RULES = {
    "greater_than_equal": "must be >= {ge}",
    "greater_than": "must be > {gt}",
    "less_than_equal": "must be <= {le}",
    "less_than": "must be < {lt}",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "int_parsing": "must be an integer",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "literal_error": "must be {expected}",
    "tuple_type": "must be a tuple",
    "too_short": "must have {min_length} entries",
    "too_long": "must have {max_length} entries",
    "string_type": "must be a string",
    "none_required": "must be None",
    "model_type": "must be a {class_name} layer (a spec or a mapping of its arguments)",
    "model_attributes_type": "must be a layer (a spec or a mapping of its arguments)",
    "dict_type": "must be a mapping of arguments",
}


def rule_text(kind: str, ctx: dict[str, Any]) -> str:
    """The rule behind one of pydantic's error types, in paramcalc's words: ``must be >= 1``."""
    template = _RULES.get(kind)
    if template is None:
        return f"is not valid ({kind})"
    try:
        return template.format(**ctx)
    except KeyError:
        return template.split(" {")[0]


#: Arguments that stack copies of a layer (each copy is listed when the tensors are).
STACK_FIELDS = ("num_layers", "num_encoder_layers", "num_decoder_layers")


def _odd_key(data: dict[Any, Any], depth: int = 0) -> tuple[bool, Any]:
    """(True, key) for the first key that is not an identifier, in ``data`` or a mapping nested in it."""
    for key, value in data.items():
        if not isinstance(key, str) or not key.isidentifier():
            return True, key
        if isinstance(value, dict) and depth < 8:
            found = _odd_key(value, depth + 1)
            if found[0]:
                return found
    return False, None


#: Argument types that need no bounds check (an int does when it is huge or a stack).
_PLAIN = frozenset({bool, float, str, type(None)})


def _check_bounds(layer: str, kwargs: dict[str, Any]) -> None:
    """Refuse odd argument names, integers beyond MAX_SIZE and stacks beyond MAX_STACKED_LAYERS (paramcalc.limits).

    Plain values (small ints, floats, strings, None) take the fast path: this runs for every spec.
    """
    for key, value in kwargs.items():
        kind = type(value)
        if kind is int:
            if -MAX_SIZE <= value <= MAX_SIZE and (value <= MAX_STACKED_LAYERS or key not in STACK_FIELDS):
                if key.isidentifier():
                    continue
        elif kind in _PLAIN or isinstance(value, LayerSpec):
            if key.isidentifier():
                continue
        if not key.isidentifier():
            raise SpecError(f"{layer}: argument names must be identifiers such as out_features. Received: {short_repr(key)}")
        if isinstance(value, dict):
            odd, inner = _odd_key(value)
            if odd:
                raise SpecError(
                    f"{layer}: {key}: argument names must be identifiers such as out_features. Received: {short_repr(inner)}"
                )
        big = oversized(value)
        if big is not None:
            raise SpecError(f"{layer}: {key} {size_rule()}. Received: {key}={short_repr(value)}")
        if isinstance(value, (tuple, list)) and len(value) > MAX_RANK:
            raise SpecError(
                f"{layer}: {key} must have at most {MAX_RANK} entries (paramcalc's bound on ranks). "
                f"Received: {len(value)} entries"
            )
        if key in STACK_FIELDS and isinstance(value, int) and value > MAX_STACKED_LAYERS:
            raise SpecError(
                f"{layer}: {key} must be at most {MAX_STACKED_LAYERS:,} (paramcalc's bound on stacked layers). "
                f"Received: {key}={value}"
            )


def check_convention(convention: Any) -> str:
    """``convention`` if it is one of "pytorch", "keras" and "textbook"; else a SpecError."""
    if convention not in CONVENTIONS:
        raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")
    return convention


class LayerSpec(BaseModel):
    """Base class of every layer spec: a frozen, validated description of one layer."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: Name of the input-size argument a model may leave out (filled from the input shape).
    infer_field: ClassVar[str | None] = None
    #: One-line description for listings.
    summary: ClassVar[str] = ""
    #: The inputs ``output_shapes`` takes, in the forward call's order (later ones default to the first).
    inputs: ClassVar[tuple[str, ...]] = ("input",)
    #: Whose layer this is: "pytorch" here; Keras specs (paramcalc.keras_layers) say "keras".
    framework: ClassVar[str] = "pytorch"
    #: Fields that, as in the framework's constructor, come after ``*`` and are never filled
    #: from a positional argument.
    keyword_only: ClassVar[tuple[str, ...]] = ()
    #: The family's general formulas (``paramcalc formula``), where the layer belongs to one.
    family: ClassVar[Family | None] = None
    #: An example call and input shape, for the help and the docs.
    example: ClassVar[tuple[str, str] | None] = None

    #: The first field taken by name only because the framework's constructor has positional
    #: parameters paramcalc does not model before it (nn.Transformer's custom_encoder, custom_decoder).
    by_name_from: ClassVar[str | None] = None

    @classmethod
    def positional_fields(cls) -> list[str]:
        """The fields positional arguments fill, in the framework's constructor order."""
        fields = [f for f in cls.model_fields if f != "type" and f not in cls.keyword_only]
        return fields[: fields.index(cls.by_name_from)] if cls.by_name_from in fields else fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name = type(self).__name__
        if args:
            fields = type(self).positional_fields()
            if len(args) > len(fields):
                by_name = f"; {', '.join(self.keyword_only)} only by name" if self.keyword_only else ""
                raise SpecError(
                    f"{name}: takes at most {len(fields)} positional arguments "
                    f"({', '.join(fields)}{by_name}), got {len(args)}"
                )
            for field, value in zip(fields, args):
                if field in kwargs:
                    raise SpecError(f"{name}: got multiple values for argument {field}")
                kwargs[field] = value
        _check_bounds(name, kwargs)
        try:
            super().__init__(**kwargs)
        except ValidationError as exc:
            raise SpecError(describe_problem(name, exc, type(self).model_fields)) from None
        for field in type(self).model_fields.keys() - kwargs.keys():  # a value the spec derived
            value = getattr(self, field)  # (4·d_model, ...) keeps the bounds too
            if type(value) in _PLAIN or (type(value) is int and -MAX_SIZE <= value <= MAX_SIZE):
                continue
            if oversized(value) is not None:
                raise SpecError(
                    f"{name}: {field}, derived from the other arguments, {size_rule()}. Received: "
                    + ", ".join(f"{k}={short_repr(v)}" for k, v in kwargs.items() if oversized(v) is None
                                and isinstance(v, int)) + f"; {field} would be {short_repr(value)}"
                )

    # -- the public surface ------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The layer's class name (the ``type`` tag)."""
        return type(self).__name__

    def is_resolved(self) -> bool:
        """Whether every size needed to count parameters is known (no inferred field left empty)."""
        return self.infer_field is None or getattr(self, self.infer_field) is not None

    def resolve(self, input_shape: Any = None) -> "LayerSpec":
        """This spec with its inferred input size filled in from ``input_shape``.

        Raises:
            SpecError: the size is missing and no input shape was given.
        """
        if self.is_resolved():
            return self
        field = self.infer_field
        shape = first_shape(input_shape)
        if shape is None:
            raise SpecError(f"{self.name}: {field} is not set; give {field}, or an input shape to infer it from")
        # the arguments given, and the inferred one: a value the spec derived stays derived
        values = {k: getattr(self, k) for k in self.model_fields_set if k != "type"}
        values[field] = self._infer_value(shape)
        return type(self)(**values)

    def count(self, convention: Convention = "pytorch", *, input_shape: Any = None) -> "Count":
        """Parameters under a convention ("pytorch", "keras" or "textbook").

        Args:
            convention: whose counting rules to follow; "pytorch" counts what
                ``sum(p.numel() for p in module.parameters())`` gives, with buffers apart.
            input_shape: the input shape, needed when an input size was left out.

        Returns:
            A :class:`~paramcalc.results.Count` with ``trainable``, ``non_trainable``, ``buffers``
            and ``total``.
        """
        return self._count(check_convention(convention), input_shape)

    def param_tensors(self, convention: Convention = "pytorch", *, input_shape: Any = None) -> "list[Tensor]":
        """The weights and buffers the framework creates, by their state_dict names and shapes."""
        return self._tensors(check_convention(convention), input_shape)

    def output_shapes(self, *input_shapes: Any) -> dict[str, Shape]:
        """Every named output for the given input shape(s), with torch's names.

        Recurrent layers give ``output``, ``h_n`` (and ``c_n``); attention gives ``attn_output``
        and ``attn_output_weights``; other layers give ``output``. Layers with several inputs take
        them in torch's forward order, each defaulting to the first.
        """
        if not input_shapes:
            raise SpecError(f"{self.name}: an input shape is needed to compute the output shape")
        if len(input_shapes) > len(self.inputs):
            names = ", ".join(self.inputs)
            raise SpecError(
                f"{self.name}: takes {len(self.inputs)} input shape{'s' if len(self.inputs) > 1 else ''} ({names}). "
                f"Received: {len(input_shapes)} input shapes"
            )
        shapes = tuple(as_shape(s, "input_shape" if i == 0 else f"input_shape[{i}]") for i, s in enumerate(input_shapes))
        return self.resolve(shapes[0])._output_shapes(shapes)

    def output_shape(self, *input_shapes: Any) -> Shape:
        """The main output's shape for the given input shape(s)."""
        return next(iter(self.output_shapes(*input_shapes).values()))

    def shape_notes(self, *input_shapes: Any) -> list[str]:
        """Remarks on the shape arithmetic that do not make it fail, such as a floored division."""
        out = next(iter(self.output_shapes(*input_shapes).values()))  # no input shape: a SpecError
        return self.resolve(input_shapes[0])._shape_notes(as_shape(input_shapes[0]), out)

    def explain_params(self, convention: Convention = "pytorch", *, input_shape: Any = None) -> list[str]:
        """The parameter count worked out step by step: the general formula, then the layer's
        numbers put in, the last line ending on ``count(convention).total``."""
        return explain_params(self, convention, input_shape=input_shape)

    def explain_shape(self, *input_shapes: Any) -> list[str]:
        """The output shape worked out per dimension, ending with one line per named output."""
        return explain_shape(self, *input_shapes)

    def compute(self, *input_shapes: Any) -> "Compute":
        """MACs and FLOPs of one forward pass on inputs of these shapes, itemised.

        Args:
            input_shapes: the input shape(s), batch included, in torch's forward order
                (attention: query, key, value; decoder layer: tgt, memory).

        Raises:
            SpecError: no input shape, or one that does not fit the layer.
        """
        if not input_shapes:
            raise SpecError(f"{self.name}: an input shape is needed to count MACs and FLOPs")
        outs = self.output_shapes(*input_shapes)
        shapes = tuple(as_shape(s) for s in input_shapes)
        return self.resolve(shapes[0])._compute(shapes, outs)

    def spec_dict(self) -> dict[str, Any]:
        """The spec as plain data (``type`` first), as model files and ``--json`` write it."""
        return self.model_dump(mode="json")

    def __str__(self) -> str:
        """The constructor expression with the non-default arguments: ``LSTM(input_size=100, ...)``."""
        parts = []
        fields = type(self).model_fields
        for key, value in self:
            if key == "type":
                continue
            default = fields[key].default
            if isinstance(default, int) and isinstance(value, tuple) and set(value) == {default}:
                continue
            if value != default:
                if (isinstance(value, tuple) and len(set(value)) == 1 and isinstance(value[0], int)
                        and key not in ("normalized_shape", "output_size", "unflattened_size", "size")):
                    value = value[0]
                parts.append(f"{key}={value}" if isinstance(value, LayerSpec) else f"{key}={value!r}")
        return f"{self.type}({', '.join(parts)})"

    # -- what each family implements ----------------------------------------------------------
    # A PyTorch family's class answers these for its own type (a Keras family's class answers the
    # hooks of paramcalc.specs.keras.base.KerasLayer instead):
    #   _infer_value(shape)                the left-out input size (infer_field) from an input shape
    #   _pytorch_count() -> Count          sum(p.numel() ...) of the torch.nn module, buffers apart
    #   _output_shapes(shapes) -> dict     every named output, for checked, batch-included shapes
    #   _shape_notes(x, out) -> list[str]  remarks such as a floored division
    #   _keras_parts() -> list[Part]       the Keras layers that do what the torch module does
    #   _textbook_count(shapes) -> Count   and _textbook_tensors(shapes): the course's formula
    #   _worked_params(convention)         the worked formula, lines ending on the count
    #   _worked_shape(shapes, outputs)     the worked output shape, one line per step
    #   _compute(shapes, outs) -> Compute  the itemised MACs and FLOPs of one forward pass
    #   _pytorch_tensors() -> list[Tensor] the torch.nn module's state_dict: names, shapes, buffers apart
    # The tests compare _pytorch_tensors with real torch modules and with the independent reference
    # (paramcalc.reference), which lists them its own way.

    def _count(self, convention: str, input_shape: Any) -> "Count":
        spec = self.resolve(input_shape)
        if convention == "pytorch":
            return spec._pytorch_count()
        if convention == "keras":
            return parts_count(spec._keras_parts())
        return spec._textbook_count(())

    def _tensors(self, convention: str, input_shape: Any) -> "list[Tensor]":
        spec = self.resolve(input_shape)
        if convention == "pytorch":
            return spec._pytorch_tensors()
        if convention == "keras":
            return parts_tensors(spec._keras_parts())
        return spec._textbook_tensors(())

    def _infer_value(self, shape: Shape) -> Any:
        raise SpecError(f"{self.name}: has no input size to infer")  # pragma: no cover

    def _pytorch_tensors(self) -> "list[Tensor]":
        raise NotImplementedError(f"{self.name}: its family lists no PyTorch tensors")  # pragma: no cover

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _worked_params(self, convention: str) -> list[str] | None:
        return None  # the sum of the tensors shows the count

    def _worked_shape(self, shapes: tuple[Shape, ...], outputs: dict[str, Shape]) -> list[str]:
        return []

    def _fail(self, rule: str, **values: Any) -> SpecError:
        received = ", ".join(f"{k}={short_repr(v)}" for k, v in values.items())
        return SpecError(f"{self.name}: {rule}. Received: {received}")


def _as_tuple(
    value: Any, n: int, name: str, layer: str, *, expand_single: bool = True, allow_none: bool = False
) -> Any:
    """Expand an int to an n-tuple; check a sequence's length and that its entries are ints.

    Booleans and floats are refused where torch wants ints (``(True, 3)`` is not a kernel size).
    A one-entry sequence stands for all n entries when ``expand_single`` (torch's pooling and conv
    strides accept it; a conv kernel_size does not). Other types are left to the field's type check.
    """
    what = f"an int or a tuple of {n} ints" + (" (entries may be None)" if allow_none else "")
    if isinstance(value, (bool, float)):
        raise ValueError(f"{layer}: {name} must be {what}. Received: {name}={value!r}")
    if isinstance(value, int):
        return (value,) * n
    if isinstance(value, (list, tuple)):
        value = tuple(value)
        for v in value:
            if not (v is None and allow_none) and (isinstance(v, bool) or not isinstance(v, int)):
                raise ValueError(f"{layer}: {name} must be {what}. Received: {name}={value!r}")
        if len(value) == 1 and n > 1 and expand_single:
            value = value * n
        if len(value) != n:
            raise ValueError(f"{layer}: {name} must be {what}. Received: {name}={value!r}")
        return value
    return value


def _tuple_validator(*names: str, expand_single: bool = True) -> Any:
    """A before-validator expanding ints to tuples of the class's ``nd`` length."""

    def expand(cls: type[Any], value: Any, info: Any) -> Any:
        return _as_tuple(value, cls.nd, info.field_name, cls.__name__, expand_single=expand_single)

    return field_validator(*names, mode="before")(classmethod(expand))


def _check_all(spec: LayerSpec, name: str, values: tuple[Any, ...], minimum: int, rule: str) -> None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int):
            raise spec._fail(f"{name} must be an int or a tuple of ints", **{name: values})
        if v < minimum:
            raise spec._fail(f"{name} {rule}", **{name: values if len(values) > 1 else values[0]})




#: The general formulas of the family, for worked formulas and ``paramcalc formula``.
NO_PARAMS_FAMILY = Family(
    "no_params", "Layers without parameters",
    (
        "Flatten", "Unflatten", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
        "FeatureAlphaDropout", "Identity", "ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "SiLU", "GELU", "Mish",
        "Hardswish", "Hardsigmoid", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Activation",
        "SinusoidalPositionalEncoding", "Select", "PixelShuffle", "PixelUnshuffle", "LocalResponseNorm",
    ),
    NO_PARAMS,
    "output = input (Flatten merges start_dim..end_dim into one; Unflatten splits dim into unflattened_size; "
    "Select drops dim; PixelShuffle (*, C·r², H, W) → (*, C, H·r, W·r), PixelUnshuffle the reverse; LocalResponseNorm keeps it)",
)


class _ParameterFree(LayerSpec):
    """A PyTorch layer without weights: what every convention counts (nothing) and how it says so.

    Subclasses add their own output shapes and compute.
    """

    family = NO_PARAMS_FAMILY

    def _pytorch_count(self) -> "Count":
        from paramcalc.results import Count

        return Count(0)

    def _shape_notes(self, x: Shape, out: Shape) -> list[str]:
        return []

    def _keras_parts(self) -> list[Any]:
        return []  # pooling, Flatten, Dropout, Activation: Keras layers without weights

    def _textbook_count(self, shapes: Any) -> "Count":
        from paramcalc.results import Count

        return Count(0)

    def _textbook_tensors(self, shapes: Any) -> "list[Tensor]":
        return []

    def _pytorch_tensors(self) -> "list[Tensor]":
        return []

    def _worked_params(self, convention: str) -> list[str] | None:
        if convention == "textbook":
            return None  # the tensor sum says it
        from paramcalc.specs.working import chain

        return [chain("no parameters", 0)]

    def _worked_shape(self, shapes: Any, outputs: dict[str, Shape]) -> list[str]:
        return ["output = input (the layer keeps the shape)"]
