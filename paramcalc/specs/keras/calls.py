"""Keras specs from a layer name and its call's arguments, and the choice between PyTorch's and
Keras's reading of a name both frameworks use (LSTM, GRU, Embedding, Flatten, Dropout)."""

from __future__ import annotations

import difflib
from typing import Any

from paramcalc.errors import SpecError, short_repr
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.keras.base import IGNORED_KERAS_ARGUMENTS, IGNORED_KERAS_SUFFIXES
from paramcalc.specs.registry import layer_class, layers

#: torch constructor arguments that place or type tensors; they do not change a count or a shape.
IGNORED_TORCH_ARGUMENTS = ("device", "dtype")


#: Keras 2's recurrent layers, whose ``input_dim`` was the features per step and ``input_length`` the steps.
_RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def _clean(name: str, kwargs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Drop the arguments that change nothing here; read Keras 2's ``input_dim``, ``input_length`` and
    ``input_shape`` into the layer's input shape, with a note on what Keras 3 makes of each."""
    out, notes = {}, []
    dim, length = kwargs.get("input_dim"), kwargs.get("input_length")
    if name == "Embedding":
        dim = None  # Embedding's input_dim is its vocabulary
    for key, value in kwargs.items():
        if key in IGNORED_KERAS_ARGUMENTS or key.endswith(IGNORED_KERAS_SUFFIXES):
            continue
        if key == "input_length" or (key == "input_dim" and name != "Embedding"):
            continue
        out[key] = value
    if (dim is not None or length is not None) and "input_shape" in kwargs:
        given = "input_dim" if dim is not None else "input_length"
        raise SpecError(f"{name}: give {given} or input_shape, not both")
    if name in _RECURRENT and (dim is not None or length is not None):
        out["input_shape"] = shape = (length, dim)
        used = " and ".join(k for k in ("input_dim", "input_length") if kwargs.get(k) is not None)
        notes.append(
            f"{name}: {used} {'is a Keras 2 argument' if ' and ' not in used else 'are Keras 2 arguments'} that "
            f"Keras 3 dropped (it reads input_dim as the whole input shape and refuses input_length); read as "
            f"steps {_dim(length)}, features {_dim(dim)}: keras.Input(shape={_tuple(shape)}) in Keras 3"
        )
    elif name == "Embedding" and length is not None:
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise SpecError(f"Embedding: input_length must be a non-negative int or None. Received: input_length={length!r}")
        out["input_shape"] = (length,)
        notes.append(
            f"Embedding: input_length is a Keras 2 argument that Keras 3 ignores (deprecated); read as the "
            f"sequence length: keras.Input(shape=({length},)) in Keras 3"
        )
    elif length is not None:
        raise SpecError(f"{name}: input_length is a Keras 2 argument of recurrent layers and Embedding; "
                        f"give input_shape instead. Received: input_length={length!r}")
    elif dim is not None:
        out["input_shape"] = (dim,)
        notes.append(
            f"{name}: input_dim is a Keras 2 argument; Keras 3 still reads it as input_shape=({dim},) but "
            f"warns: put keras.Input(shape=({dim},)) before the first layer"
        )
    elif "input_shape" in kwargs and kwargs["input_shape"] is not None:
        notes.append(
            f"{name}: input_shape on a layer is Keras 2 style; Keras 3 accepts it with a warning: put "
            f"keras.Input(shape={_tuple(kwargs['input_shape'])}) before the first layer"
        )
    return out, notes


def _dim(value: Any) -> str:
    return "unknown (None)" if value is None else repr(value)


def _tuple(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(repr(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return f"({value!r},)"


def build(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    """The Keras spec for ``layers.<name>(*args, **kwargs)``.

    Raises:
        SpecError: unknown Keras layer or bad argument.
    """
    known = layers("keras")
    cls = known.get(name)
    if cls is None:
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
        hint = f" Did you mean {' or '.join(close)}?" if close else " Run `paramcalc layers` to list them."
        raise SpecError(f"unknown Keras layer {name!r}.{hint}")
    cleaned, notes = _clean(name, dict(kwargs))
    spec = cls(*args, **cleaned)
    if notes:
        spec._legacy = tuple(notes)
    return spec


def build_from_mapping(data: dict[str, Any]) -> LayerSpec:
    """A Keras spec from ``{"type": "LSTM", "units": 64}`` (``keras.``/``layers.`` prefixes allowed)."""
    data = dict(data)
    name = data.pop("type", None)
    if not isinstance(name, str):
        raise SpecError(f"a layer mapping needs a 'type' naming the layer. Received: {data!r}"[:300])
    return build(name.rpartition(".")[2], (), data)


#: Argument names that tell the frameworks apart, per shared layer name: (PyTorch hint, Keras hint).
_HINTS = {
    "LSTM": ("hidden_size=", "units="),
    "GRU": ("hidden_size=", "units="),
    "Embedding": ("num_embeddings=", "input_dim="),
    "Dropout": ("p=", "rate="),
    "Flatten": ("start_dim=", "data_format="),
    "ReLU": ("inplace=", "max_value="),
    "Softmax": ("dim=", "axis="),
    "LeakyReLU": ("inplace=", "negative_slope="),
    "ELU": ("inplace=", "alpha="),
    "PReLU": ("num_parameters=", "shared_axes="),
}


def _build_torch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    """torch.nn's reading of a shared name (these layers take no nested layers)."""
    kwargs = {k: v for k, v in kwargs.items() if k not in IGNORED_TORCH_ARGUMENTS}
    return layer_class(name)(*args, **kwargs)


def _torch_fields(name: str) -> set[str]:
    return set(layer_class(name).model_fields) - {"type"} | set(IGNORED_TORCH_ARGUMENTS)


def _keras_only(name: str, key: str, torch_fields: set[str]) -> bool:
    if key in torch_fields:
        return False
    if key in layers("keras")[name].model_fields or key in IGNORED_KERAS_ARGUMENTS:
        return True
    return key.endswith(IGNORED_KERAS_SUFFIXES) or key in ("input_dim", "input_length")


def _call_text(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    parts = [short_repr(a) for a in args] + [f"{k}={short_repr(v)}" for k, v in kwargs.items()]
    text = f"{name}({', '.join(parts)})"
    return text if len(text) <= 80 else text[:77] + "..."


def _same_answer(torch_spec: LayerSpec, keras_spec: LayerSpec) -> bool:
    """Whether the PyTorch and the Keras reading of one call give the same parameter count."""
    try:
        return torch_spec.count() == keras_spec.count("keras")
    except SpecError:  # a count that needs an input shape: the readings cannot be compared
        return False


def choose(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> LayerSpec:
    """The PyTorch or the Keras spec for a layer name both frameworks use, told apart by the arguments.

    Keras-only argument names (``units``, ``input_dim``, ``rate``, ``return_sequences``, ...) choose
    Keras, PyTorch-only ones (``hidden_size``, ``num_embeddings``, ``p``, ...) choose PyTorch; otherwise
    the call goes to the one framework whose signature it fits. A call that fits both and counts the
    same either way (``Embedding(1000, 64)``, ``Flatten()``, ``Dropout(0.5)``) is read as PyTorch's.

    Raises:
        SpecError: the call fits both with different counts (say which to use: ``nn.LSTM(...)`` or
            ``layers.LSTM(...)``), fits
            neither, or mixes both frameworks' arguments.
    """
    torch_fields = _torch_fields(name)
    keras_fields = set(layers("keras")[name].model_fields) - {"type"}
    keras_side = sorted(k for k in kwargs if _keras_only(name, k, torch_fields))
    torch_side = sorted(k for k in kwargs if k in torch_fields and k not in keras_fields)
    call = _call_text(name, args, kwargs)
    if keras_side and torch_side:
        raise SpecError(
            f"{call}: mixes PyTorch arguments ({', '.join(torch_side)}) and Keras arguments "
            f"({', '.join(keras_side)}); write nn.{name}(...) or layers.{name}(...)"
        )
    if keras_side:
        return build(name, args, kwargs)
    if torch_side:
        return _build_torch(name, args, kwargs)
    errors: dict[str, str] = {}
    fits: list[LayerSpec] = []
    for framework, make in (("PyTorch", _build_torch), ("Keras", build)):
        try:
            fits.append(make(name, args, dict(kwargs)))
        except SpecError as exc:
            errors[framework] = str(exc)
    torch_hint, keras_hint = _HINTS.get(name, ("", ""))
    if len(fits) == 2 and _same_answer(*fits):
        return fits[0]  # both readings count the same (Embedding(1000, 64), Flatten()): PyTorch's is the default
    if len(fits) == 2:
        raise SpecError(
            f"{call} fits both torch.nn.{name} and keras.layers.{name}; write nn.{name}(...) for PyTorch or "
            f"layers.{name}(...) for Keras (or name the arguments: {torch_hint} for PyTorch, {keras_hint} for Keras)"
        )
    if not fits:
        raise SpecError(
            f"{call} fits neither torch.nn.{name} ({errors['PyTorch']}) nor keras.layers.{name} ({errors['Keras']})"
        )
    return fits[0]
