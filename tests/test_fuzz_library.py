"""Bad input to the library: every spec class, parse_layer and the shape arithmetic, fuzzed.

Whatever the arguments (negative, zero, huge, floats, booleans where ints belong, strings, None,
lists, wrong ranks, unknown keys or layer names, hostile expressions), the library gives a result
or raises a clean :class:`SpecError` whose message starts with the layer (or ``expression:``) and
fits on a line: no other exception escapes, nothing is evaluated, and nothing hangs (each example
runs under a time guard that turns a hang into a failure; it does not time the code).
"""

from __future__ import annotations

import math
import os
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from paramcalc import check, parse_layer
from paramcalc.cli.layer_types import examples as layer_examples
from paramcalc.cli.options import parse_shapes
from paramcalc.analysis.compute import layer_compute
from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.keras_layers import KERAS_LAYERS
from paramcalc.limits import MAX_EXPRESSION_LENGTH
from paramcalc.analysis.memory import layer_memory
from paramcalc.results import Count
from paramcalc.specs import TORCH_LAYERS, LayerSpec

#: Seconds one example may take before it counts as a hang (generous: a hang never ends).
HANG_SECONDS = 10
#: PARAMCALC_FUZZ_SCALE=20 runs twenty times the examples (a deeper search, by hand; CI uses 1).
FUZZ_SCALE = max(1, int(os.environ.get("PARAMCALC_FUZZ_SCALE", "1") or 1))


def examples(n: int) -> settings:
    """Hypothesis settings for ``n`` examples (times PARAMCALC_FUZZ_SCALE), keeping the loaded profile."""
    return settings(max_examples=n * FUZZ_SCALE)


class Hang(BaseException):
    """An example ran past its time guard (a BaseException, so no ``except Exception`` swallows it)."""


@contextmanager
def time_limit(seconds: float = HANG_SECONDS) -> Iterator[None]:
    """Fail the running example with :class:`Hang` if it takes longer than ``seconds``."""

    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"an example ran for more than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def clean_error(exc: ParamcalcError) -> None:
    """A library error is one readable line, of bounded length."""
    message = str(exc)
    assert message and "\n" not in message, message
    assert len(message) < 1_000, message[:200]
    assert "Traceback" not in message and "pydantic" not in message.lower(), message


def attempt(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)``: its result, or None after a clean SpecError (any other exception fails)."""
    with time_limit():
        try:
            return call(*args, **kwargs)
        except SpecError as exc:
            clean_error(exc)
            return None


# -- Strategies ---------------------------------------------------------------------------------

#: Every layer class: PyTorch's (building blocks included) and Keras's.
CLASSES: dict[str, type[LayerSpec]] = {**TORCH_LAYERS, **{f"keras.{k}": v for k, v in KERAS_LAYERS.items()}}

HUGE_INTS = [10**40, -(10**40), 2**63 - 1, 2**63, -(2**63), 10**30 + 7]
#: Ints too long for Python to print (hypothesis cannot show them, so they are drawn by their exponent).
UNPRINTABLE_INTS = st.sampled_from([5000, -5000]).map(lambda e: 10 ** abs(e) * (1 if e > 0 else -1))
WORDS = ["", "x", "same", "valid", "causal", "relu", "tanh", "gelu", "none", "zeros", "circular", "sum", "concat",
         "channels_first", "channels_last", "llama", "gpt2", "identity", "\x00", "é", "😀", "a" * 300]
LAYER_TEXTS = ["Linear(3, 4)", "LayerNorm(8)", "TransformerEncoderLayer(8, 2)", "TransformerDecoderLayer(8, 2)",
               "layers.LSTM(4)", "layers.Dense(3)", "nn.LSTM(2, 3)", "RMSNorm(8)", "Linear(", "__import__('os')"]

small_ints = st.integers(-3, 70)
ints = st.one_of(small_ints, st.sampled_from(HUGE_INTS), UNPRINTABLE_INTS, st.integers())
floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.5, 1e-5, 2.0])
scalars = st.one_of(
    ints, floats, st.booleans(), st.none(), st.sampled_from(WORDS), st.text(max_size=12), st.binary(max_size=4),
    st.sampled_from(LAYER_TEXTS), st.just(object()), st.just(Ellipsis),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(st.sampled_from(["type", "d_model", "nhead", "units", "x", "normalized_shape"]), inner,
                        max_size=3),
        st.builds(
            lambda n, v: {"type": n, **v}, st.sampled_from(sorted(CLASSES)),
            st.dictionaries(st.one_of(st.text(max_size=8), st.integers(-2, 2), st.none()), inner, max_size=2),
        ),
    ),
    max_leaves=8,
)


@st.composite
def arguments(draw: Any, cls: type[LayerSpec]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Positional and keyword arguments for ``cls``: its own field names, mostly, with any values."""
    fields = [f for f in cls.model_fields if f != "type"]
    keys = st.sampled_from(fields + ["bogus", "type", "input_shape", "name", "dtype", "trainable"])
    plausible = st.one_of(small_ints, st.sampled_from([1, 2, 3, 4, 8, 16]), st.booleans(), st.none())
    kwargs = draw(st.dictionaries(keys, st.one_of(plausible, values), max_size=len(fields) + 2))
    args = tuple(draw(st.lists(st.one_of(plausible, values), max_size=3)))
    return args, kwargs


dims = st.one_of(st.integers(0, 40), st.sampled_from([0, 1, 10**40, 2**63 - 1, 2**63]))
plain_shapes = st.lists(dims, min_size=0, max_size=7).map(tuple)
bad_shapes = st.one_of(
    st.lists(st.one_of(dims, st.integers(-5, -1), floats, st.booleans(), st.none(), st.text(max_size=3)), max_size=5),
    st.lists(st.integers(1, 3), min_size=17, max_size=40),  # more dimensions than any input has
    st.sampled_from(["3,4", "", None, 7, 2.5, True, b"x", {}]),
)
shapes = st.one_of(plain_shapes, plain_shapes, bad_shapes)
shape_arguments = st.one_of(st.none(), shapes, st.lists(plain_shapes, min_size=1, max_size=3))


# -- Checks on what comes back ------------------------------------------------------------------


def check_count(count: Count) -> None:
    for part in (count.trainable, count.non_trainable, count.buffers):
        assert type(part) is int and part >= 0, count
    assert count.total == count.trainable + count.non_trainable


def check_shape(shape: Any) -> None:
    assert isinstance(shape, tuple), shape
    for d in shape:
        assert d is None or (type(d) is int and d >= 0), shape


# -- Every spec class, any arguments -----------------------------------------------------------


@examples(400)
@given(data=st.data(), name=st.sampled_from(sorted(CLASSES)))
def test_every_spec_class_takes_any_arguments(data: Any, name: str) -> None:
    cls = CLASSES[name]
    args, kwargs = data.draw(arguments(cls), label="arguments")
    spec = attempt(cls, *args, **kwargs)
    if spec is None:
        return
    assert isinstance(spec, LayerSpec)
    for convention in ("pytorch", "keras", "textbook"):
        shape = data.draw(shape_arguments, label=f"input_shape ({convention})")
        count = attempt(spec.count, convention, input_shape=shape)
        if count is not None:
            check_count(count)
        tensors = attempt(spec.param_tensors, convention, input_shape=shape)
        if tensors is not None and count is not None:
            assert Count.of_tensors(tensors) == count, (tensors, count)
    inputs = data.draw(st.lists(shapes, max_size=3), label="forward inputs")
    outputs = attempt(spec.output_shapes, *inputs)
    if outputs is not None:
        assert outputs and all(isinstance(k, str) for k in outputs)
        for shape in outputs.values():
            check_shape(shape)
    notes = attempt(spec.shape_notes, *inputs)
    if notes is not None:
        assert all(isinstance(n, str) for n in notes)
    compute = attempt(layer_compute, spec, *inputs)
    if compute is not None:
        assert type(compute.macs) is int and type(compute.flops) is int and compute.macs >= 0
    memory = attempt(
        layer_memory, spec, *inputs, dtype=data.draw(st.sampled_from(["fp32", "int4", "fp8", 16, None]), label="dtype"),
        training=data.draw(st.booleans(), label="training"),
    )
    if memory is not None:
        assert type(memory.total_bytes) is int and memory.total_bytes >= 0
    text = str(spec)
    qualified = text if text.startswith("keras.") else f"nn.{text}"  # Flatten() alone fits both frameworks
    back = attempt(parse_layer, qualified)
    if back is not None and not any(isinstance(v, float) and math.isnan(v) for _, v in spec):
        assert back == spec, (text, back)
    assert isinstance(spec.spec_dict(), dict)


@examples(150)
@given(layer=values)
@example(layer={"type": "TransformerEncoder", "encoder_layer": {"d_model": 10**40, "nhead": 2}, "num_layers": 2})
@example(layer={"type": None})
@example(layer={"type": "Linear", "in_features": [3] * 10_000, "out_features": 3})
@example(layer=[{"type": "Linear"}])
def test_parse_layer_takes_any_value(layer: Any) -> None:
    spec = attempt(parse_layer, layer)
    if spec is not None:
        assert isinstance(spec, LayerSpec)
        check_count(attempt(spec.count, input_shape=(2, 3)) or Count(0))


@examples(150)
@given(name=st.text(max_size=30), kwargs=st.dictionaries(st.text(max_size=10), values, max_size=3))
def test_unknown_layer_names_and_keys(name: str, kwargs: dict[str, Any]) -> None:
    spec = attempt(parse_layer, {"type": name, **kwargs})
    if spec is None:
        return
    assert name.rpartition(".")[2] in TORCH_LAYERS or name.rpartition(".")[2] in KERAS_LAYERS


# -- Expressions: hostile, malformed, long, deep ------------------------------------------------

SENTINEL = Path(os.environ.get("TMPDIR", "/tmp")) / "paramcalc-fuzz-was-evaluated"
HOSTILE = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"Linear(__import__('os').system('touch {SENTINEL}'), 3)",
    f"Linear(3, bias=open('{SENTINEL}', 'w'))",
    "Linear(3, 4).count()", "Linear.__class__", "Linear(3, 4).__class__.__bases__", "Linear(3, (lambda: 4)())",
    "(lambda: Linear(3, 4))()", "Linear(*[3, 4])", "Linear(**{'in_features': 3})", "Linear([i for i in (3,)], 4)",
    "Linear({3}, 4)", "Linear({'a': 3}, 4)", "Linear(f'{3}', 4)", "Linear((n := 3), 4)", "Linear(3 if True else 4, 4)",
    "Linear(3 + 4, 4)", "Linear(10**40, 4)", "Linear(not 3, 4)", "Linear(~3, 4)", "Linear(3, 4)[0]", "Linear(3)(4)",
    "Linear(x, 4)", "Linear(3, 4, bias=True and False)", "Linear(3, 4) or Linear(5, 6)", "await Linear(3, 4)",
    "yield Linear(3, 4)", "Linear(3, 4); import os", "import os", "x = Linear(3, 4)", "Linear(b'3', 4)",
    "Linear(1j, 4)", "Linear(..., 4)", "Linear(3, 4,, 5)", "Linear(3, 4", "Linear 3, 4)", "Linear(3, 4))",
    "Linear(in_features=3, in_features=4, out_features=5)", "Linear(3, 4, **kw)", "Linear(3, 4)\x00",
    "Linear(\x003, 4)", "\ufeffLinear(3, 4)", "Linéar(3, 4)", "Linear(３, 4)", "LINEAR(3, 4)", "nn.functional.linear(3)",
    "a.b.c.d.e.f.Linear(3, 4)", "torch.nn.Linear(3, 4).weight", "Linear(" + "9" * 5000 + ", 4)",
    "Linear(-" + "9" * 5000 + ", 4)", "Linear(" + "-" * 5000 + "3, 4)", "Linear(" * 10_000, "(" * 5000 + ")" * 5000,
    "Linear(" * 2000 + ")" * 2000, "[" * 3000 + "]" * 3000, "Linear(" + "(" * 200 + "3," + ")" * 200 + ", 4)",
    "Conv2d(3, 4, " + "(" * 25 + "3," + ")" * 25 + ")", "Linear('" + "a" * 9000 + "', 4)", "", "   ", "#", "\n\n",
    "Linear(3, " + ", ".join(["1"] * 3000) + ")", "Linear(1e400, 4)", "Dropout(p=1e400)", "Dropout(p=-1e400)",
    "Sequential(Linear(3, 4))", "TransformerEncoder(Linear(3, 4), 2)",
    "layers.Bidirectional(layers.Bidirectional(layers.LSTM(3)))",
    "layers.Dense(units=" + "9" * 100 + ")", "LSTM(3, 4, num_layers=" + "9" * 30 + ")", "Linear(0x10, 0o7)",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_expressions_are_refused_not_evaluated(text: str) -> None:
    SENTINEL.unlink(missing_ok=True)
    spec = attempt(parse_layer, text)
    assert not SENTINEL.exists(), "an expression was evaluated"
    if spec is not None:  # the few that are plain literal calls (hex literals, ...)
        assert isinstance(spec, LayerSpec)


TOKENS = [
    "Linear", "Conv2d", "LSTM", "layers.Dense", "nn.", "keras.layers.", "(", ")", "(", ")", ",", ", ", "=", "3", "4",
    "0", "-1", "1.5", "True", "None", "'same'", '"relu"', "[", "]", "{", "}", "*", "**", "lambda", ":", "x", "in_features",
    "out_features", "kernel_size", "bias", "for", "if", "else", "not", "+", ".", "__import__", "'os'", "f'", "\\", "#",
    " ", "\n", "\x00", "é", "9" * 50,
]


@examples(300)
@given(st.one_of(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join), st.text(max_size=60)))
def test_random_expressions(text: str) -> None:
    spec = attempt(parse_layer, text)
    if spec is not None:
        assert isinstance(spec, LayerSpec)


def test_expression_bounds_are_fast() -> None:
    # Past the length bound the text is refused before it is parsed; the bound is named.
    with pytest.raises(SpecError, match=f"longer than {MAX_EXPRESSION_LENGTH} characters"):
        with time_limit():
            parse_layer("Linear(" * 100_000)


# -- Shapes that do not fit -------------------------------------------------------------------

FITTING = [
    "Linear(8, 4)", "Conv1d(3, 4, 3)", "Conv2d(3, 4, 3, stride=2, padding=1)", "Conv3d(3, 4, 3)",
    "ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)", "MaxPool2d(3, stride=2, ceil_mode=True)",
    "AvgPool3d(2)", "AdaptiveAvgPool2d((5, None))", "BatchNorm2d(3)", "LayerNorm((4, 8))", "nn.Embedding(10, 4)",
    "LSTM(8, 4, num_layers=2, bidirectional=True, proj_size=2)", "GRU(8, 4, batch_first=True)",
    "MultiheadAttention(8, 2, kdim=4, vdim=6)", "TransformerEncoderLayer(8, 2)", "TransformerDecoderLayer(8, 2)",
    "TransformerEncoder(TransformerEncoderLayer(8, 2), 2, norm=LayerNorm(8))", "Flatten(1, -1)", "Softmax(dim=1)",
    "RMSNorm(8)", "SelfAttention(8, 2)", "CausalSelfAttention(8, 2)", "FeedForward(8, 16)", "SwiGLU(8, 16)",
    "DecoderBlock(8, 2)", "PatchEmbedding(3, 8, 4, 16)", "SinusoidalPositionalEncoding(8, max_len=10)", "Select(1, 0)",
    "layers.Dense(4)", "layers.Conv2D(4, 3)", "layers.LSTM(4)", "layers.Bidirectional(layers.GRU(4))",
    "layers.MultiHeadAttention(2, 4)", "layers.BatchNormalization()", "layers.GlobalAveragePooling2D()",
    "layers.Embedding(10, 4)", "layers.Flatten()", "layers.MaxPooling2D(2)", "layers.LayerNormalization()",
    "Linear(out_features=4)", "Conv2d(out_channels=4, kernel_size=3)", "layers.Conv2DTranspose(4, 3, strides=2)",
]


@examples(300)
@given(text=st.sampled_from(FITTING), inputs=st.lists(st.one_of(plain_shapes, bad_shapes), min_size=0, max_size=4))
def test_output_shapes_of_inputs_that_do_not_fit(text: str, inputs: list[Any]) -> None:
    spec = parse_layer(text)
    outputs = attempt(spec.output_shapes, *inputs)
    if outputs is not None:
        for shape in outputs.values():
            check_shape(shape)
    for convention in ("pytorch", "keras", "textbook"):
        count = attempt(spec.count, convention, input_shape=inputs[0] if inputs else None)
        if count is not None:
            check_count(count)


# -- Checking answers ---------------------------------------------------------------------------

answers = st.one_of(
    st.none(), ints, floats, st.booleans(), st.text(max_size=20),
    st.sampled_from(["1,792", "1 792", "529_441", "55x55x96", "(96, 55, 55)", "54.25", "217/4", "1/0", "0x10", "-3",
                     "9" * 2000, "1," * 500 + "000", "55x55x", "x", "", "∞", "NaN", "1e400"]),
    st.lists(st.one_of(small_ints, floats, st.text(max_size=4)), max_size=5),
)


@examples(200)
@given(
    target=st.one_of(st.sampled_from(FITTING + ["Conv2d(3, 96, 11, stride=4)", "model.yaml", "Linear(", "x.json"]), values),
    params=answers, shape=answers, trainable=answers,
    input_shape=st.one_of(shape_arguments, st.sampled_from(["227x227x3", "1,3,32,32", "2,5,8;2,7,8", "x", ";;"])),
    convention=st.sampled_from([None, "pytorch", "keras", "textbook", "tensorflow", 3]),
)
@example(target="Linear(8, 4)", params=None, shape="1/0", trainable=None, input_shape=(2, 8), convention=None)
@example(target="Linear(8, 4)", params=None, shape=None, trainable=0, input_shape=(), convention=None)
def test_check_takes_any_answers(target: Any, params: Any, shape: Any, trainable: Any, input_shape: Any,
                                 convention: Any) -> None:
    with time_limit():
        try:
            result = check(target, params=params, shape=shape, trainable=trainable, input_shape=input_shape,
                           convention=convention)
        except ParamcalcError as exc:  # check reports bad answers and targets with the base of the family
            clean_error(exc)
            return
    assert isinstance(result.ok, bool)
    assert isinstance(result.as_dict(), dict)


# -- Near misses: every layer type's example inputs, perturbed -----------------------------------

#: Every layer command's example: an expression and input shapes that fit it (each spec class's example).
EXAMPLE_CASES = [(expr, tuple(parse_shapes(shape))) for expr, shape in layer_examples().values()]


@st.composite
def perturbed(draw: Any, shapes: tuple[tuple[int, ...], ...]) -> list[tuple[int, ...]]:
    """The example's shapes, now and then with a dimension changed, dropped or added, or all scaled up."""
    out = [list(s) for s in shapes]
    for _ in range(draw(st.integers(0, 2))):
        if not out:
            break
        shape = out[draw(st.integers(0, len(out) - 1))]
        how = draw(st.sampled_from(["set", "drop", "add", "huge", "scale"]))
        at = draw(st.integers(0, max(len(shape) - 1, 0)))
        if how == "set" and shape:
            shape[at] = draw(st.sampled_from([0, 1, 2, 3, 7, 10**6, 2**63 - 1]))
        elif how == "drop" and shape:
            del shape[at]
        elif how == "add":
            shape.insert(at, draw(st.integers(1, 4)))
        elif how == "huge" and shape:
            shape[at] = shape[at] * 2**40
        elif how == "scale":
            shape[:] = [d * 2**20 for d in shape]
    return [tuple(s) for s in out]


@examples(300)
@given(data=st.data(), case=st.sampled_from(EXAMPLE_CASES))
def test_every_layer_type_with_near_miss_inputs(data: Any, case: tuple[str, tuple[Any, ...]]) -> None:
    text, good = case
    spec = parse_layer(text)
    inputs = data.draw(perturbed(good), label="inputs")
    outputs = attempt(spec.output_shapes, *inputs)
    if outputs is not None:
        for shape in outputs.values():
            check_shape(shape)
        assert isinstance(attempt(spec.shape_notes, *inputs) or [], list)
    first = inputs[0] if len(inputs) == 1 else inputs
    for convention in ("pytorch", "keras", "textbook"):
        count = attempt(spec.count, convention, input_shape=first)
        tensors = attempt(spec.param_tensors, convention, input_shape=first)
        if count is None:
            continue
        check_count(count)
        if tensors is not None:
            assert Count.of_tensors(tensors) == count
        # The count, given back as an answer, is right.
        with time_limit():
            assert check(text, params=f"{count.total:,}", input_shape=first, convention=convention).ok
    compute = attempt(layer_compute, spec, *inputs)
    if compute is not None:
        assert type(compute.macs) is int and compute.macs >= 0
    memory = attempt(layer_memory, spec, *inputs, training=data.draw(st.booleans(), label="training"))
    if memory is not None:
        assert type(memory.total_bytes) is int and memory.total_bytes >= 0
