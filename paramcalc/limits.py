"""Bounds on what paramcalc reads: every limit on input size, in one place, with its value, and the
small checks that enforce the shared ones (sizes, shapes, YAML and JSON data).

Whatever goes past a bound is refused with a :class:`~paramcalc.errors.SpecError` (a
:class:`~paramcalc.errors.ModelError` for model files) that names the bound; nothing is truncated
or rounded silently. Within the bounds every count is an exact Python int, however large: sizes of
up to 2**63 - 1 give counts such as Linear(2**62, 2**62) = 2**124 + 2**62 exactly.

=============================  ===========  =============================================================
bound                          value        applies to
=============================  ===========  =============================================================
MAX_EXPRESSION_LENGTH          10,000       characters of a layer expression
MAX_NESTING                    20           calls, tuples and lists nested in an expression
MAX_SIZE                       2**63 - 1    magnitude of every integer argument and shape dimension
MAX_RANK                       16           dimensions of a shape
MAX_STACKED_LAYERS             1,000        num_layers (and the like) of one layer
MAX_FILE_BYTES                 1 MiB        a model file or sheet, standard input, print(model) text
MAX_DATA_DEPTH                 200          mappings and lists nested in a model file or sheet
MAX_DATA_NODES                 200,000      values in a model file or sheet once aliases are expanded
MAX_BLOCK_NESTING              32           levels of entries in a model (its list, blocks within)
MAX_LAYERS                     100,000      layers of a model once every repeat is expanded
MAX_ROWS                       20,000       rows a summary prints (check and memory print none: not bounded by it)
MAX_SHEET_PROBLEMS             10,000       problems in a sheet (read within the model-file bounds)
MAX_ANSWER_DIGITS              1,000        digits of a count or dimension given as an answer
MAX_SHEET_WORK                 50,000       layers a sheet evaluates one by one (a layer problem 1, a model its layers)
MAX_LISTED_LAYERS              64           stacked layers whose tensors checking lists one by one
MAX_SEARCH_STEPS               100,000      layer applications the search for a model's shape mistake makes
=============================  ===========  =============================================================
"""

from __future__ import annotations

from typing import Any

# -- Layer expressions -------------------------------------------------------------------------

#: Longest layer expression, in characters (``"LSTM(100, 128, num_layers=2)"`` has 28).
MAX_EXPRESSION_LENGTH = 10_000
#: Deepest nesting of calls, tuples and lists in a layer expression.
MAX_NESTING = 20

# -- Sizes and shapes --------------------------------------------------------------------------

#: Largest magnitude of any integer argument (sizes, kernel sizes, padding, dims) and of any shape
#: dimension: torch stores sizes as int64, so no layer or tensor of a framework is larger.
MAX_SIZE = 2**63 - 1
#: Most dimensions of an input shape (batch included).
MAX_RANK = 16
#: Most layers stacked inside one layer spec: num_layers of RNN, LSTM, GRU, TransformerEncoder and
#: TransformerDecoder, num_encoder_layers and num_decoder_layers of Transformer.
MAX_STACKED_LAYERS = 1_000

# -- Model files -------------------------------------------------------------------------------

#: Largest model file or problem sheet read (YAML or JSON), in bytes; standard input and
#: print(model) text too.
MAX_FILE_BYTES = 1_048_576
#: Deepest nesting of mappings and lists in a model file's data (and in a sheet's).
MAX_DATA_DEPTH = 200
#: Most values (mappings, lists, scalars) in a model file's or sheet's data, counting every YAML alias
#: expansion: a file of a few lines whose aliases expand exponentially ("billion laughs") is refused.
MAX_DATA_NODES = 200_000
#: Deepest nesting of entries in a model: its own ``layers`` list is the first level, a block
#: (``layers:`` inside ``layers:``) adds one.
MAX_BLOCK_NESTING = 32
#: Most layers in a model after expanding every ``repeat`` (counted, never materialised).
MAX_LAYERS = 100_000
#: Most rows a summary lists: repeats that keep their input's shape are evaluated once and share
#: their rows; repeats that change it each time get a row each. Checking and memory print no rows,
#: so only MAX_LAYERS bounds the models they read.
MAX_ROWS = 20_000

# -- Problem sheets (read like model files: MAX_FILE_BYTES, MAX_DATA_DEPTH, MAX_DATA_NODES) ------

#: Most problems in one sheet.
MAX_SHEET_PROBLEMS = 10_000
#: Most digits in a count or a dimension given as an answer (no count within the other bounds
#: comes near it; beyond it the text is refused rather than read).
MAX_ANSWER_DIGITS = 1_000

#: Most layer evaluations one sheet asks for, over all its problems, counted before any is done: a
#: problem naming a layer costs 1 (a stack is one evaluation: its count comes by formula, whatever its
#: num_layers, so 1,000 problems of 1,000-layer stacks cost 1,000), a problem naming a model costs its
#: layers once every repeat is expanded (a layer repeated 1,000 times costs 1,000: the layers of a model
#: are evaluated one by one, and a wrong answer searches each for a mistake). Past it the sheet is
#: refused, naming the problem reached.
MAX_SHEET_WORK = 50_000
#: Most stacked layers (num_layers, or num_encoder_layers + num_decoder_layers) whose tensors checking
#: lists one by one: a deeper stack's derivation is its count by formula, and the mistakes that need
#: every tensor are not searched (the derivation says so).
MAX_LISTED_LAYERS = 64
#: Most layer applications the search for a mistake that explains a wrong model shape makes (each
#: candidate mistake's wrong shape is carried through the layers after it; carries that meet are
#: shared): past it the search stops and the result says so (not a refusal).
MAX_SEARCH_STEPS = 100_000

#: Deepest nesting searched by :func:`oversized` (specs nest a layer or two; deeper is refused elsewhere).
_SEARCH_DEPTH = 32


def oversized(value: Any, _depth: int = 0) -> int | None:
    """The first int in ``value`` (or in its tuples, lists and mapping values) beyond ``MAX_SIZE``, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if not -MAX_SIZE <= value <= MAX_SIZE else None
    if _depth >= _SEARCH_DEPTH:
        return None
    if isinstance(value, (tuple, list)):
        items: Any = value
    elif isinstance(value, dict):
        items = value.values()
    else:
        return None
    for item in items:
        found = oversized(item, _depth + 1)
        if found is not None:
            return found
    return None


def size_rule() -> str:
    """The rule broken by an integer beyond ``MAX_SIZE``, for messages."""
    return f"must be at most 2**63 - 1 = {MAX_SIZE:,} in magnitude (torch's int64 sizes; paramcalc's bound)"


def check_shape_bounds(shape: tuple[Any, ...], what: str = "input_shape") -> tuple[Any, ...]:
    """``shape`` itself when its rank and every dimension are within bounds (``None`` entries pass).

    Raises:
        SpecError: more than ``MAX_RANK`` dimensions, or a dimension beyond ``MAX_SIZE``.
    """
    from paramcalc.errors import SpecError, short_repr

    if len(shape) > MAX_RANK:
        raise SpecError(
            f"{what} must have at most {MAX_RANK} dimensions (paramcalc's bound). Received: {len(shape)} dimensions"
        )
    for d in shape:
        if d is not None and d > MAX_SIZE:
            raise SpecError(f"{what}: every dimension {size_rule()}. Received: {what}={short_repr(shape)}")
    return shape


def check_yaml_text(text: str, what: str = "model file") -> None:
    """Walk YAML text's events (no tree is built) and enforce MAX_DATA_DEPTH and MAX_DATA_NODES.

    Aliases count as many values as their anchor holds, so a few lines that would expand
    exponentially ("billion laughs") are refused before anything is built.

    Raises:
        ModelError: beyond a bound, or an alias to an anchor that encloses it.
        yaml.YAMLError: the text is not YAML.
    """
    import yaml

    from paramcalc.errors import ModelError

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
    opening = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
    closing = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
    mapping_start = yaml.MappingStartEvent
    depth = 0
    expanded = 0
    sizes: dict[str, int] = {}
    open_anchors: list[tuple[str | None, int]] = []
    # Per open container: None for a list; for a mapping, whether its next item is a key. A key's
    # name is not a value (as in check_data), so the same data counts the same in YAML and in JSON.
    next_is_key: list[bool | None] = []
    for event in yaml.parse(text, Loader=loader):
        kind = type(event)
        key = False
        if kind not in closing and next_is_key and next_is_key[-1] is not None:
            key = next_is_key[-1]
            next_is_key[-1] = not key
        if kind is scalar:
            if event.anchor:
                sizes[event.anchor] = 1
            if key:
                continue
            expanded += 1
        elif kind in opening:
            expanded += 1
            depth += 1
            if depth > MAX_DATA_DEPTH:
                raise ModelError(f"{what}: nested more than {MAX_DATA_DEPTH} levels deep")
            open_anchors.append((event.anchor, expanded))
            next_is_key.append(True if kind is mapping_start else None)
        elif kind in closing:
            depth -= 1
            next_is_key.pop()
            anchor, start = open_anchors.pop()
            if anchor:
                sizes[anchor] = expanded - start + 1
            continue
        elif kind is alias:
            if event.anchor not in sizes:
                raise ModelError(f"{what}: alias *{event.anchor} refers to an anchor that encloses it")
            expanded += sizes[event.anchor]
        else:
            continue
        if expanded > MAX_DATA_NODES:
            raise ModelError(
                f"{what}: more than {MAX_DATA_NODES:,} values once aliases are expanded "
                f"(aliases may repeat data, within that bound)"
            )


def check_data(data: Any, what: str = "model") -> None:
    """Enforce MAX_DATA_DEPTH and MAX_DATA_NODES on plain data (a dict given to the API, or a parsed
    file), counting a list or mapping referenced twice twice.

    Raises:
        ModelError: beyond a bound.
    """
    from paramcalc.errors import ModelError

    stack: list[tuple[Any, int]] = [(data, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_DATA_NODES:
            raise ModelError(f"{what}: more than {MAX_DATA_NODES:,} values (counting repeated references)")
        if depth > MAX_DATA_DEPTH:
            raise ModelError(f"{what}: nested more than {MAX_DATA_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, depth + 1) for v in value)
