"""Reading layers: ``parse_layer`` turns a dict or a constructor expression into a spec.

Expressions are parsed with :mod:`ast` and only literals are read from them (numbers, strings,
True/False/None, tuples and lists, and nested layer calls): nothing is ever evaluated.
"""

from __future__ import annotations

import ast
import warnings
from typing import Any, get_args

from paramcalc.errors import SpecError, closest_names, short_repr
from paramcalc.limits import MAX_EXPRESSION_LENGTH, MAX_NESTING
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.registry import layer_class, layers, names

TORCH_QUALIFIERS = ("nn", "torch.nn")
KERAS_QUALIFIERS = ("layers", "keras.layers", "tf.keras.layers", "keras", "tf.keras")
#: torch constructor arguments that place or type tensors; they do not change a count or a shape.
IGNORED_TORCH_ARGUMENTS = ("device", "dtype")


def _keras_registry() -> Any:
    """The Keras layer specs' builder (Keras names and arguments onto specs), loaded on first use."""
    from paramcalc.specs.keras import calls

    return calls


def known_names() -> list[str]:
    """Every layer name ``parse_layer`` accepts, PyTorch's then Keras's."""
    torch_layers = names("pytorch")
    return list(torch_layers) + [n for n in layers("keras") if n not in torch_layers]


def _unknown(name: str) -> SpecError:
    close = closest_names(name, known_names())
    hint = f" Did you mean {' or '.join(close)}?" if close else " Run `paramcalc layers` to list them."
    return SpecError(f"unknown layer type {name!r}.{hint}")


def build_layer(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], qualifier: str | None = None) -> LayerSpec:
    """Build the spec for a layer called ``name`` with these arguments (torch or Keras naming).

    A name both frameworks use (LSTM, GRU, Embedding, Flatten, Dropout) is PyTorch's when the call
    fits torch's signature: there every call that fits both counts the same either way (see
    :func:`paramcalc.keras_layers.choose`). Only otherwise are the Keras names loaded, so a
    PyTorch query never pays for them.
    """
    if qualifier is not None and qualifier not in TORCH_QUALIFIERS + KERAS_QUALIFIERS:
        raise SpecError(
            f"unknown qualifier {qualifier!r} in {qualifier}.{name}: use nn., torch.nn., layers., "
            f"keras.layers. or tf.keras.layers."
        )
    if qualifier in TORCH_QUALIFIERS:
        return _build_torch(name, args, kwargs)
    torch_layers = names("pytorch")
    keras = None if qualifier is None and name in torch_layers else _keras_registry()
    if keras is not None and qualifier in KERAS_QUALIFIERS:
        return _build_keras(keras, name, args, kwargs)
    if keras is not None and name.startswith("keras."):
        return _build_keras(keras, name.removeprefix("keras."), args, kwargs)
    if name in torch_layers:
        try:
            return _build_torch(name, args, kwargs)
        except SpecError as torch_error:
            keras = _keras_registry()
            if keras is None or name not in layers("keras") or _broke_a_rule(torch_error):
                raise
            return keras.choose(name, args, kwargs)  # Keras's reading, or an error naming both
    if keras is not None and name in layers("keras"):
        return _build_keras(keras, name, args, kwargs)
    return _build_torch(name, args, kwargs)


#: Words of a torch error that mean the call does not fit torch's signature (it may fit Keras's).
_SIGNATURE_MISMATCH = (
    "unknown argument", "positional argument", "missing required argument", "multiple values",
    "must be an integer", "must be true or false", "must be a number", "must be a string", "must be a tuple",
)


def _broke_a_rule(error: SpecError) -> bool:
    """Whether torch's reading fitted the signature but broke a rule (dropout=1.5): then it is the answer."""
    return not any(words in str(error) for words in _SIGNATURE_MISMATCH)


def _build_torch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    if name not in names("pytorch"):
        raise _unknown(name)
    cls = layer_class(name)
    kwargs = {k: v for k, v in kwargs.items() if k not in IGNORED_TORCH_ARGUMENTS}
    args, kwargs = read_nested(cls, cls.positional_fields(), args, kwargs)
    return cls(*args, **kwargs)


def _build_keras(keras: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    cls = layers("keras").get(name)
    if cls is not None:
        args, kwargs = read_nested(cls, cls.positional, args, kwargs)
    return keras.build(name, args, kwargs)


def read_nested(
    cls: type[LayerSpec], positional: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The arguments with every layer they hold (a TransformerEncoder's ``encoder_layer``, a
    Bidirectional's ``layer``) read into a spec when written as a mapping or an expression."""
    nested = _layer_fields(cls)
    if not nested:
        return args, kwargs
    args = tuple(_read(v) if f in nested else v for f, v in zip(positional, args)) + args[len(positional):]
    return args, {k: _read(v) if k in nested else v for k, v in kwargs.items()}


def _layer_fields(cls: type[LayerSpec]) -> set[str]:
    """The fields of ``cls`` that hold a layer spec."""
    found = set()
    for field, info in cls.model_fields.items():
        options = get_args(info.annotation) or (info.annotation,)
        if any(isinstance(t, type) and issubclass(t, LayerSpec) for t in options):
            found.add(field)
    return found


def _read(value: Any) -> Any:
    return parse_layer(value) if isinstance(value, (dict, str)) else value


def parse_layer(layer: LayerSpec | dict[str, Any] | str) -> LayerSpec:
    """A layer spec from a spec, a dict with a ``type`` key, or a constructor expression.

    Args:
        layer: ``{"type": "LSTM", "input_size": 100, "hidden_size": 128}``, or
            ``"LSTM(100, 128, num_layers=2)"`` (positional arguments in torch's order; ``nn.`` and
            ``torch.nn.`` qualifiers and Keras names such as ``"layers.LSTM(128)"`` work too).

    Returns:
        The frozen spec; a dict and the equivalent expression give equal specs.

    Raises:
        SpecError: unknown layer, bad argument, or an expression that is not a plain call.
    """
    if isinstance(layer, LayerSpec):
        return layer
    if isinstance(layer, dict):
        data = dict(layer)
        name = data.pop("type", None)
        if not isinstance(name, str):
            raise SpecError(f"a layer mapping needs a 'type' naming the layer. Received: {short_repr(layer, 200)}")
        for key in data:
            if not isinstance(key, str) or not key.isidentifier():
                raise SpecError(
                    f"a layer mapping's argument names must be identifiers such as out_features. "
                    f"Received: {short_repr(key)}"
                )
        qualifier, _, short = name.rpartition(".")
        if qualifier in KERAS_QUALIFIERS + TORCH_QUALIFIERS:
            return build_layer(short, (), data, qualifier)
        return build_layer(name, (), data)
    if isinstance(layer, str):
        return parse_expression(layer)
    raise SpecError(f"a layer must be a mapping or a constructor expression. Received: {type(layer).__name__}")


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _literal(node: ast.expr, depth: int) -> Any:
    if depth > MAX_NESTING:
        raise SpecError(f"expression: nested more than {MAX_NESTING} levels deep")
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (bool, int, float, str))):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(e, depth + 1) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _literal(node.operand, depth + 1)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"expression: a sign can only precede a number (column {node.col_offset + 1})")
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        return _call(node, depth + 1)
    what = {
        ast.Name: "a name", ast.Attribute: "an attribute", ast.BinOp: "arithmetic", ast.Lambda: "a lambda",
        ast.Subscript: "a subscript", ast.Dict: "a dict", ast.Set: "a set", ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a generator", ast.JoinedStr: "an f-string", ast.Starred: "a starred argument",
        ast.Compare: "a comparison", ast.BoolOp: "a boolean operation", ast.IfExp: "a conditional",
    }.get(type(node), type(node).__name__)
    text = ast.unparse(node) if hasattr(ast, "unparse") else ""
    shown = f" {text[:40]!r}" if text else ""
    raise SpecError(
        f"expression: only literal arguments are allowed (numbers, strings, True/False/None, tuples, "
        f"layer calls); found {what}{shown} at column {node.col_offset + 1}"
    )


def _call(node: ast.Call, depth: int) -> LayerSpec:
    dotted = _dotted(node.func)
    if dotted is None:
        raise SpecError(f"expression: the called thing must be a layer name (column {node.col_offset + 1})")
    qualifier, _, name = dotted.rpartition(".")
    args = tuple(_literal(a, depth) for a in node.args)
    kwargs: dict[str, Any] = {}
    for kw in node.keywords:
        if kw.arg is None:
            raise SpecError(f"expression: **kwargs are not allowed (column {kw.value.col_offset + 1})")
        if kw.arg in kwargs:
            raise SpecError(f"expression: keyword argument repeated: {kw.arg} (column {kw.col_offset + 1})")
        kwargs[kw.arg] = _literal(kw.value, depth)
    return build_layer(name, args, kwargs, qualifier or None)


def parse_expression(text: str) -> LayerSpec:
    """Parse ``"LSTM(100, 128, num_layers=2)"`` into a spec, reading literals only."""
    text = text.strip()
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise SpecError(f"expression: longer than {MAX_EXPRESSION_LENGTH} characters ({len(text)})")
    if not text:
        raise SpecError("expression: empty; write a layer call such as LSTM(100, 128)")
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: the error says it all
            warnings.simplefilter("ignore")
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        if "Exceeds the limit" in str(exc.msg):  # an int literal of thousands of digits
            raise SpecError("expression: an integer is too long (sizes are at most 2**63 - 1)") from None
        col = f" at column {exc.offset}" if exc.offset else ""
        raise SpecError(f"expression: invalid syntax{col}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise SpecError(f"expression: nested more than {MAX_NESTING} levels deep") from None
    except ValueError as exc:
        raise SpecError(f"expression: cannot be read ({str(exc)[:80]})") from None
    body = tree.body
    if isinstance(body, (ast.Name, ast.Attribute)) and _dotted(body):
        qualifier, _, name = _dotted(body).rpartition(".")
        return build_layer(name, (), {}, qualifier or None)
    if not isinstance(body, ast.Call):
        raise SpecError("expression: must be a layer call such as LSTM(100, 128)")
    try:
        return _call(body, 0)
    except RecursionError:
        raise SpecError(f"expression: nested more than {MAX_NESTING} levels deep") from None
