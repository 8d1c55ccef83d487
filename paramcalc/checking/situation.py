"""What a catalogued mistake sees and is: a :class:`Situation` (the layer, the convention, the input
shape), a :class:`Mistake`, and the layer families mistakes concern (torch and Keras alike).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal

from paramcalc.errors import ParamcalcError
from paramcalc.limits import MAX_LISTED_LAYERS
from paramcalc.results import Count, Tensor
from paramcalc.specs import (
    GRU,
    LSTM,
    RNN,
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
    LayerSpec,
    Linear,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MultiheadAttention,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

Shape = tuple[int, ...]
#: A shape an answer or a mistake may give: dimensions can be fractions ("54.25") when a division was not floored.
AnswerShape = tuple[int | Fraction, ...]
Quantity = Literal["params", "trainable", "non_trainable", "shape"]

CONVENTIONS = ("pytorch", "keras", "textbook")


# -- What a mistake function sees ------------------------------------------------------------


@lru_cache(maxsize=8192)
def count_or_none(spec: LayerSpec, convention: str, input_shape: Any) -> Count | None:
    """``spec.count(convention, input_shape=...)``, remembered; None when the convention cannot count it."""
    try:
        return spec.count(convention, input_shape=input_shape)
    except (ParamcalcError, NotImplementedError, ImportError):
        return None


#: The arguments that stack copies of a layer (their sum is a spec's depth, for MAX_LISTED_LAYERS).
STACK_FIELDS = ("num_layers", "num_encoder_layers", "num_decoder_layers")


def stacked_layers(spec: Any) -> int:
    """How many layers ``spec`` stacks (1 for a layer that stacks none): the sum of its STACK_FIELDS."""
    values = [getattr(spec, f, None) for f in STACK_FIELDS]
    return sum(v for v in values if isinstance(v, int) and not isinstance(v, bool)) or 1


def lists_tensors(spec: Any) -> bool:
    """Whether checking lists ``spec``'s tensors one by one (a stack of at most MAX_LISTED_LAYERS layers)."""
    return stacked_layers(spec) <= MAX_LISTED_LAYERS


@lru_cache(maxsize=4096)
def _tensors(spec: LayerSpec, convention: str, input_shape: Any) -> tuple[Tensor, ...]:
    if not lists_tensors(spec):  # the mistakes that need every tensor are not searched (see derive_params)
        return ()
    try:
        return tuple(spec.param_tensors(convention, input_shape=input_shape))
    except (ParamcalcError, NotImplementedError, ImportError):
        return ()


@lru_cache(maxsize=4096)
def _outputs(spec: LayerSpec, input_shape: Any) -> dict[str, Shape] | None:
    if input_shape is None:
        return None
    shapes = input_shape if is_shape_list(input_shape) else (input_shape,)
    try:
        return spec.output_shapes(*shapes)
    except ParamcalcError:
        return None


def is_shape_list(value: Any) -> bool:
    """Whether an input shape is several shapes (one per input)."""
    return bool(value) and isinstance(value[0], (tuple, list))


def freeze_shape(value: Any) -> Any:
    """A hashable input shape: nested lists become tuples (one shape, or one per input)."""
    if value is None:
        return None
    if is_shape_list(value):
        return tuple(tuple(s) for s in value)
    return tuple(value)


@dataclass(frozen=True, slots=True)
class Situation:
    """One layer as a problem states it: the (resolved) spec, the convention, the input shape."""

    spec: LayerSpec
    convention: str = "pytorch"
    input_shape: Any = None

    def count(self, spec: LayerSpec | None = None, convention: str | None = None) -> Count | None:
        """The count of ``spec`` (default: this one) under ``convention`` (default: this one); None if it fails."""
        return count_or_none(self.spec if spec is None else spec, convention or self.convention, self.input_shape)

    @property
    def expected(self) -> Count | None:
        """The right count under this situation's convention."""
        return self.count()

    def tensors(self) -> tuple[Tensor, ...]:
        """The tensors this convention creates for the spec."""
        return _tensors(self.spec, self.convention, self.input_shape)

    def outputs(self, spec: LayerSpec | None = None) -> dict[str, Shape] | None:
        """Every named output of ``spec`` (default: this one) for the input shape; None without one."""
        return _outputs(self.spec if spec is None else spec, self.input_shape)

    @property
    def output(self) -> Shape | None:
        """The main output's shape."""
        outs = self.outputs()
        return None if outs is None else next(iter(outs.values()))

    def replaced(self, **changes: Any) -> LayerSpec | None:
        """The spec with some arguments changed (None when the spec lacks them or rejects the change)."""
        return replace(self.spec, **changes)


def replace(spec: LayerSpec, **changes: Any) -> LayerSpec | None:
    """``spec`` rebuilt with ``changes`` (validated), or None when a field is missing or the result is invalid."""
    fields = type(spec).model_fields
    if any(k not in fields for k in changes):
        return None
    values = {k: v for k, v in spec if k != "type"}
    if all(values.get(k) == v for k, v in changes.items()):
        return None
    values.update(changes)
    try:
        return _rebuild(type(spec), tuple(sorted(values.items(), key=lambda kv: kv[0])))
    except (ParamcalcError, TypeError):
        return None


@lru_cache(maxsize=4096)
def _rebuild(cls: type[LayerSpec], items: tuple[tuple[str, Any], ...]) -> LayerSpec:
    return cls(**dict(items))


# -- The catalogue's data type ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mistake:
    """One common mistake: what it is called, what is right instead, and how it changes the computation.

    Attributes:
        key: a stable identifier (``"no_bias"``).
        name: what the answer matches, read after "matches": ``"forgetting the biases"``.
        explanation: what the right computation does that the mistake does not.
        applies_to: the layers it concerns, for listings.
        params: spec (in a :class:`Situation`) -> the wrong :class:`Count` it produces, or None.
        shape: spec (in a :class:`Situation`) -> the wrong output shape it produces, or None.
        detail: optional spec -> a few words added after the name (in brackets, or after a colon when the
            entry has its own ``lead``).
        source: where the mistake is documented or the problem that shows it comes from (a course, a
            textbook, a framework's documentation).
        lead: the words before the name in a diagnosis: ``matches``, or ``that is`` for another convention's
            count ("that is PyTorch's count: two bias vectors per gate").
        supersedes: keys of entries this one explains better; when both reproduce an answer only this one is
            named (Keras 2's GRU count is also the textbook's, but the Keras 2 GRU is what was meant).
    """

    key: str
    name: str
    explanation: str
    applies_to: str
    params: Callable[[Situation], Count | None] | None = None
    shape: Callable[[Situation], AnswerShape | None] | None = None
    detail: Callable[[Situation], str] | None = None
    source: str = ""
    lead: str = "matches"
    supersedes: tuple[str, ...] = ()

    def wrong_count(self, situation: Situation) -> Count | None:
        """The count this mistake produces, or None when it does not apply."""
        if self.params is None:
            return None
        try:
            return self.params(situation)
        except (ParamcalcError, ArithmeticError):
            return None

    def wrong_shape(self, situation: Situation) -> AnswerShape | None:
        """The output shape this mistake produces, or None when it does not apply."""
        if self.shape is None or situation.input_shape is None:
            return None
        try:
            return self.shape(situation)
        except (ParamcalcError, ArithmeticError):
            return None

    def title(self, situation: Situation) -> str:
        """The name with its detail for this layer: ``the keras convention (one bias per gate)``."""
        extra = self.detail(situation) if self.detail else ""
        if not extra:
            return self.name
        return f"{self.name}: {extra}" if self.lead != "matches" else f"{self.name} ({extra})"


# -- Layer families, for torch and Keras specs alike -----------------------------------------

RECURRENT = (RNN, LSTM, GRU)
CONV = (Conv1d, Conv2d, Conv3d)
CONV_ANY = (Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
BATCHNORM = (BatchNorm1d, BatchNorm2d, BatchNorm3d)
MAXPOOL = (MaxPool1d, MaxPool2d, MaxPool3d)
AVGPOOL = (AvgPool1d, AvgPool2d, AvgPool3d)
TRANSFORMER = (TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder)

KERAS_CONV = ("Conv1D", "Conv2D", "Conv3D")
KERAS_CONV_ANY = (*KERAS_CONV, "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose")
KERAS_MAXPOOL = ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D")
KERAS_AVGPOOL = ("AveragePooling1D", "AveragePooling2D", "AveragePooling3D")


def is_keras(spec: LayerSpec) -> bool:
    """Whether a spec is a Keras layer (counted under the keras convention by default)."""
    return getattr(type(spec), "framework", "pytorch") == "keras"


def keras_name(spec: LayerSpec) -> str | None:
    """The class name of a Keras layer (``Dense``); None for a torch layer."""
    return type(spec).__name__ if is_keras(spec) else None


def is_recurrent(spec: LayerSpec) -> bool:
    """torch RNN/LSTM/GRU or Keras SimpleRNN/LSTM/GRU."""
    return isinstance(spec, RECURRENT) or keras_name(spec) in ("SimpleRNN", "LSTM", "GRU")


def is_cell(spec: LayerSpec, name: str) -> bool:
    """Whether a recurrent layer (torch or Keras) is of the class ``name`` (``"LSTM"``)."""
    return is_recurrent(spec) and type(spec).__name__ == name


def is_conv(spec: LayerSpec, *, transposed: bool = True) -> bool:
    """A convolution (torch or Keras), transposed ones included unless ``transposed=False``."""
    if is_keras(spec):
        return type(spec).__name__ in (KERAS_CONV_ANY if transposed else KERAS_CONV)
    return isinstance(spec, CONV_ANY if transposed else CONV)


def is_dense(spec: LayerSpec) -> bool:
    return isinstance(spec, Linear) or keras_name(spec) == "Dense"


def is_batchnorm(spec: LayerSpec) -> bool:
    return isinstance(spec, BATCHNORM) or keras_name(spec) == "BatchNormalization"


def is_attention(spec: LayerSpec) -> bool:
    return isinstance(spec, MultiheadAttention) or keras_name(spec) == "MultiHeadAttention"


def format_number(v: int | Fraction) -> str:
    """An int, or a fraction as a short decimal (54.25) or n/d when it does not terminate."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            return format(float(v), "g")
        return f"{v.numerator}/{v.denominator}"
    return str(v)


def count_value(count: Count, quantity: Quantity) -> int:
    """The part of a count an answer gives: ``params`` (total), ``trainable`` or ``non_trainable``."""
    return count.total if quantity == "params" else getattr(count, quantity)
