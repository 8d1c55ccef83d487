"""Keras models from their configuration: the JSON ``model.to_json()`` writes, or the ``config.json``
inside a ``.keras`` archive (a zip; nothing else in it is read, the weights least of all).

Sequential models, functional models with one input (branches joined by Add, Concatenate and the
other merge layers become merge entries), and models nested in either become a paramcalc model file
with ``framework: keras``: each layer's configuration keeps the arguments the layer's
spec takes (the ones that decide its weights and shape), so counts are Keras's ``count_params()``
with its trainable / non-trainable split. A layer called twice (shared) is counted once. A layer
class paramcalc does not know is an error naming it, never a guess.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError, short_repr

#: Largest ``config.json`` read from a ``.keras`` archive, in bytes.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
#: Deepest nesting of models in models.
MAX_NESTING = 16
#: Keras configuration keys that are never spec arguments.
_SKIP = {"name", "dtype", "trainable", "input_shape"}
_NAME = re.compile(r"[^A-Za-z0-9_\-]")
#: Keras merge layers → how a model file's merge entry joins its inputs.
MERGES = {"Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Average": "average", "Maximum": "maximum",
          "Minimum": "minimum", "Concatenate": "concat"}



def read_keras(source: Any) -> tuple[dict[str, Any], str]:
    """The model's JSON data and a name for messages, from a path (JSON or ``.keras``) or data.

    Raises:
        ModelError: not JSON, a zip without config.json, a member too large.
    """
    if isinstance(source, dict):
        return source, "Keras JSON"
    from paramcalc.readers.binary import read_head
    from paramcalc.readers.text import parse_json, read_json_file

    where = Path(source).name
    if read_head(source, 4) != b"PK\x03\x04":
        return read_json_file(source), where
    try:
        with zipfile.ZipFile(source) as archive:
            try:
                info = archive.getinfo("config.json")
            except KeyError:
                raise ModelError(f"{where}: a .keras archive holds config.json; this zip does not") from None
            if info.file_size > MAX_CONFIG_BYTES:
                raise ModelError(f"{where}: config.json is larger than the {MAX_CONFIG_BYTES:,}-byte limit")
            with archive.open(info) as member:
                raw = member.read(MAX_CONFIG_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise ModelError(f"{where}: not a readable .keras archive ({str(exc)[:80]})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ModelError(f"{where}: config.json is larger than the {MAX_CONFIG_BYTES:,}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"{where}: config.json is not UTF-8 text") from None
    return parse_json(text, f"{where}: config.json"), where


def _name(raw: Any, fallback: str) -> str:
    text = _NAME.sub("_", raw) if isinstance(raw, str) and raw else fallback
    return text[:100]


def _config(entry: Any, where: str) -> tuple[str, dict[str, Any]]:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or not isinstance(
            entry.get("config"), dict):
        raise ModelError(f"{where}: a Keras layer is an object with class_name and config. Received: {short_repr(entry)}")
    return entry["class_name"], entry["config"]


def _shape(value: Any, where: str) -> list[int] | None:
    """A Keras shape with its batch dimension (None → 1); None when a size is unknown."""
    if not isinstance(value, list) or not value:
        return None
    dims = [1 if i == 0 and d is None else d for i, d in enumerate(value)]
    if any(d is None for d in dims):
        return None
    if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ModelError(f"{where}: a shape holds sizes. Received: {short_repr(value)}")
    return dims


def _layer(class_name: str, config: dict[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """A model-file entry for a Keras layer, keeping the arguments its spec takes."""
    from paramcalc.specs import registry

    known = registry.layers("keras")
    if class_name not in known:
        raise ModelError(f"{where}: the Keras layer class {short_repr(class_name)} is not one paramcalc counts; it "
                         f"knows {', '.join(sorted(known))}")
    fields = known[class_name].model_fields
    spec: dict[str, Any] = {"type": f"keras.{class_name}"}
    for key, value in config.items():
        if key in _SKIP or key not in fields:
            continue
        if key == "activation" and not isinstance(value, str):
            notes.append(f"{where}: a custom activation; its compute is not counted")
            continue
        if key == "layer" and class_name == "Bidirectional":
            inner_class, inner = _config(value, where)
            value = _layer(inner_class, inner, where, notes)["layer"]
        spec[key] = value
    entry: dict[str, Any] = {"name": _name(config.get("name"), class_name.lower()), "layer": spec}
    if config.get("trainable") is False:
        entry["trainable"] = False
    return entry


class _Reader:
    def __init__(self, where: str) -> None:
        self.where = where
        self.notes: list[str] = []

    def model(self, data: dict[str, Any], depth: int) -> tuple[list[Any], list[int] | None]:
        """The entries of a Sequential or functional model, and its input shape (when it says)."""
        if depth > MAX_NESTING:
            raise ModelError(f"{self.where}: models nested more than {MAX_NESTING} deep")
        class_name, config = _config(data, self.where)
        layers = config.get("layers")
        if not isinstance(layers, list):
            raise ModelError(f"{self.where}: {class_name} {short_repr(config.get('name'))} has no list of layers")
        if class_name == "Sequential":
            return self.sequential(config, layers, depth)
        if class_name in ("Functional", "Model"):
            return self.functional(config, layers, depth)
        raise ModelError(f"{self.where}: a Keras model is Sequential or functional. Received: {short_repr(class_name)}")

    def entry(self, item: Any, depth: int) -> dict[str, Any]:
        class_name, config = _config(item, self.where)
        if class_name in ("Sequential", "Functional", "Model"):
            entries, _ = self.model(item, depth + 1)
            block: dict[str, Any] = {"name": _name(config.get("name"), "model"), "layers": entries}
            if config.get("trainable") is False:
                block["trainable"] = False
            return block
        return _layer(class_name, config, f"{self.where}: layer {short_repr(config.get('name'))}", self.notes)

    def sequential(self, config: dict[str, Any], layers: list[Any], depth: int) -> tuple[list[Any], list[int] | None]:
        shape = _shape(config.get("build_input_shape"), self.where)
        entries = []
        for item in layers:
            class_name, layer_config = _config(item, self.where)
            if class_name == "InputLayer":
                shape = _shape(layer_config.get("batch_shape") or layer_config.get("batch_input_shape"), self.where)
                continue
            if shape is None and not entries and isinstance(item.get("build_config"), dict):
                shape = _shape(item["build_config"].get("input_shape"), self.where)
            entries.append(self.entry(item, depth))
        if not entries:
            raise ModelError(f"{self.where}: the Sequential model {short_repr(config.get('name'))} has no layers")
        return entries, shape

    def functional(self, config: dict[str, Any], layers: list[Any], depth: int) -> tuple[list[Any], list[int] | None]:
        inputs = config.get("input_layers")
        if isinstance(inputs, list) and inputs and isinstance(inputs[0], str):
            inputs = [inputs]
        if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], list) or not inputs[0]:
            raise ModelError(f"{self.where}: functional models with one input are read; this one has "
                             f"{len(inputs) if isinstance(inputs, list) else 'no'} inputs")
        source_input = inputs[0][0]
        by_name: dict[str, Any] = {}
        calls: list[tuple[str, int, list[tuple[str, int]]]] = []  # layer, call number, (layer, call) of each input
        shape = None
        for item in layers:
            class_name, layer_config = _config(item, self.where)
            name = item.get("name", layer_config.get("name"))
            if not isinstance(name, str) or name in by_name:
                raise ModelError(f"{self.where}: each layer of a functional model has its own name. Received: "
                                 f"{short_repr(name)}")
            by_name[name] = item
            if class_name == "InputLayer":
                shape = _shape(layer_config.get("batch_shape") or layer_config.get("batch_input_shape"), self.where)
                continue
            for number, node in enumerate(item.get("inbound_nodes") or []):
                sources = _history(node, self.where)
                if not sources:
                    raise ModelError(f"{self.where}: layer {short_repr(name)} is called on no Keras tensor")
                calls.append((name, number, sources))
        entries: list[Any] = []
        made: dict[tuple[str, int], str] = {(source_input, 0): "input"}
        first: dict[str, str] = {}
        previous = (source_input, 0)
        pending = list(calls)
        while pending:
            ready = next((c for c in pending if all(s in made for s in c[2])), None)
            if ready is None:
                raise ModelError(f"{self.where}: the layers' inputs form a cycle or name a missing layer")
            pending.remove(ready)
            name, number, sources = ready
            class_name, layer_config = _config(by_name[name], self.where)
            if class_name in MERGES and len(sources) > 1:
                entry: dict[str, Any] = {"name": _name(name, "merge"), "merge": MERGES[class_name],
                                         "input": [made[s] for s in sources]}
                if class_name == "Concatenate":
                    entry["axis"] = layer_config.get("axis", -1)
            elif name in first:
                entry = {"name": f"{first[name]}_call{number}", "shared": first[name]}
            else:
                entry = self.entry(by_name[name], depth)
                first[name] = entry["name"]
            if "merge" not in entry and (len(sources) > 1 or sources[0] != previous):
                refs = [made[s] for s in sources]
                entry["input"] = refs[0] if len(refs) == 1 else refs
            entries.append(entry)
            made[(name, number)] = entry["name"]
            previous = (name, number)
        return entries, shape


def _history(node: Any, where: str) -> list[tuple[str, int]]:
    """The (layer, call) each input tensor of a call comes from (Keras 3's ``args`` of ``__keras_tensor__``)."""
    found: list[tuple[str, int]] = []

    def walk(value: Any, depth: int = 0) -> None:
        if depth > 8:
            return
        if isinstance(value, dict):
            if value.get("class_name") == "__keras_tensor__":
                history = value.get("config", {}).get("keras_history")
                if (isinstance(history, list) and len(history) >= 2 and isinstance(history[0], str)
                        and isinstance(history[1], int)):
                    found.append((history[0], history[1]))
                return
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, list):
            for v in value:
                walk(v, depth + 1)

    if not isinstance(node, dict):
        raise ModelError(f"{where}: inbound_nodes hold Keras 3 calls (args and kwargs); older files are not read")
    walk(node.get("args"))
    return found


def keras_model_data(source: Any) -> dict[str, Any]:
    """The paramcalc model file (a dict) of a Keras model's JSON or ``.keras`` archive.

    Raises:
        ModelError: unreadable, not a Keras model, a layer class paramcalc does not count, or a
            graph it does not read (several inputs, merges).
    """
    data, where = read_keras(source)
    if not isinstance(data, dict):
        raise ModelError(f"{where}: Keras JSON is an object with class_name and config")
    reader = _Reader(where)
    entries, shape = reader.model(data, 0)
    _, config = _config(data, where)
    model: dict[str, Any] = {"name": _name(config.get("name"), "model"), "framework": "keras", "layers": entries,
                             "description": f"the Keras model in {where}"}
    if shape is not None:
        model["input_shape"] = shape
    return model


def load_keras(source: Any) -> Any:
    """The :class:`~paramcalc.models.format.Model` of a Keras model's JSON or ``.keras`` archive."""
    from paramcalc.models.format import load_model

    return load_model(keras_model_data(source))


def summarize_keras(source: Any, *, input_shape: Any = None, convention: str | None = None) -> Any:
    """The summary of a Keras model's JSON or ``.keras`` archive (Keras convention unless told)."""
    from dataclasses import replace

    from paramcalc.models.evaluate import evaluate

    model = load_keras(source)
    summary = evaluate(model, input_shape=input_shape, convention=convention or "keras")
    return replace(summary, source={"format": "keras"})
