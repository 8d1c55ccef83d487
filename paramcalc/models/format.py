"""Model files: a whole network as data (YAML, JSON, a dict or Model objects), read and validated.

A model file gives an input shape and a list of layers. A layer is written like ``parse_layer``
takes it: a constructor expression (``"Conv2d(3, 64, 3, padding=1)"``) or a mapping with a
``type``. Around layers, five kinds of entries build real architectures
(:mod:`paramcalc.models.nodes`):

- ``{layer: ..., name: fc, input: other, tie: wte, trainable: false}``: a layer with options;
- ``{layers: [...], name: stage, repeat: 4}``: a named block, repeated, nested; with
  ``shortcut: identity`` (or a list of layers) its output is added to the main path's (residual);
- ``{parallel: [...]}``: branches fed the same input, their outputs added (token + position +
  segment embeddings), or with ``merge: concat`` concatenated (Inception's four branches);
- ``{merge: concat, input: [enc2, up2]}``: earlier outputs joined by name, as Keras's functional
  API and ``torch.cat`` do (a U-Net's skip connections); a block's ``shortcut`` may be joined the
  same ways (``merge: concat`` for DenseNet, ``merge: multiply`` for squeeze-and-excitation);
- ``{shared: path}``: the layer at ``path`` applied again, its weights counted once.

Shapes propagate through the model (:mod:`paramcalc.models.evaluate`); a layer may leave out its
input size (in_features, in_channels, ...) and it is inferred. Files are data only: YAML is read
with a safe loader, layer expressions with :mod:`ast`, and sizes, nesting and alias expansion are
bounded (:mod:`paramcalc.limits`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from paramcalc.errors import ModelError, short_repr
from paramcalc.limits import MAX_BLOCK_NESTING as MAX_NESTING  # the bounds on model files: paramcalc.limits
from paramcalc.limits import MAX_DATA_DEPTH, MAX_DATA_NODES, MAX_FILE_BYTES, MAX_LAYERS, MAX_RANK, MAX_ROWS, MAX_SIZE  # noqa: F401
from paramcalc.limits import check_data, check_yaml_text
from paramcalc.models import validation
from paramcalc.models.files import DuplicateKeyError, load_json, read_regular_file, yaml_loader
from paramcalc.models.evaluate import Shape, evaluate
from paramcalc.models.nodes import (  # noqa: F401 - the format's entry types, importable from here
    NAME_RE,
    TAGS,
    BlockNode,
    Dims,
    Entry,
    LayerNode,
    MergeNode,
    Node,
    NodeName,
    ParallelNode,
    SharedNode,
    children,
    count_layers,
    shown,
)
from paramcalc.models.summary import Summary


class Reference(BaseModel):
    """A published parameter count to compare with."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    params: Annotated[int, Field(strict=True, ge=0)]
    source: str
    approximate: bool = Field(
        False, description="true when the published figure is rounded (125M); it then matches within 2%"
    )


class Model(BaseModel):
    """A paramcalc model file: an input shape and the layers."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", defer_build=True, title="paramcalc model file",
        validate_by_name=True, validate_by_alias=True,
    )

    json_schema: Optional[str] = Field(None, alias="$schema", description="optional: the URL or path of this schema")
    framework: Optional[Literal["pytorch", "keras"]] = Field(
        None, description="whose layer a name both frameworks use means (LSTM, Embedding, Flatten, Dropout)"
    )
    name: Optional[str] = Field(None, max_length=200)
    description: Optional[str] = Field(None, max_length=2000)
    source: Optional[str] = Field(None, max_length=2000, description="where the architecture comes from")
    reference: Optional[Reference] = None
    input_shape: Optional[Dims] = Field(None, description="the input's shape, batch first: [1, 3, 224, 224]")
    inputs: Optional[dict[NodeName, Dims]] = Field(
        None, description="several named inputs, {src: [1, 32], tgt: [1, 32]}; the first feeds the first layer"
    )
    layers: list[Node] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Model:
        if self.inputs is not None and not self.inputs:
            raise ValueError("inputs must name at least one input")
        if self.input_shape is not None and self.inputs is not None:
            raise ValueError("give input_shape or inputs, not both")
        _check_structure(self)
        return self

    def input_shapes(self) -> dict[str, Optional[Shape]]:
        """The model's inputs by name ("input" for a single one), None when no shape is given."""
        if self.inputs is not None:
            return {k: tuple(v) for k, v in self.inputs.items()}
        return {"input": None if self.input_shape is None else tuple(self.input_shape)}

    def layer_count(self) -> int:
        """Number of layers after expanding every repeat (computed, not materialised)."""
        return count_layers(self.layers)

    def summarize(self, *, input_shape: Any = None, convention: str | None = None) -> Summary:
        """Same as :func:`paramcalc.summarize` on this model."""
        return evaluate(self, input_shape=input_shape, convention=convention or self.convention())

    def convention(self) -> str:
        """The convention a summary uses unless told: the model's framework (Keras or PyTorch)."""
        return "keras" if self.framework == "keras" else "pytorch"


def _check_structure(model: Model) -> None:
    """Bounds (nesting, layers after repeats) and unique names within each block."""

    def walk(nodes: list[Any], depth: int, where: str) -> None:
        if depth > MAX_NESTING:
            raise ValueError(f"blocks are nested more than {MAX_NESTING} deep (at {where or 'the top'})")
        seen: set[str] = set()
        for i, node in enumerate(nodes):
            name = (node.name if isinstance(node, Entry) else None) or str(i)
            if name in seen:
                raise ValueError(f"two entries are named {name!r} in {where or 'the model'}; names must be unique")
            seen.add(name)
            inner = children(node)
            if inner:
                walk(inner, depth + 1, f"{where}.{name}" if where else name)

    walk(model.layers, 1, "")
    n = count_layers(model.layers)
    if n > MAX_LAYERS:
        raise ValueError(f"the model has more than {MAX_LAYERS:,} layers after expanding repeats")



def read_model_data(path: str | Path) -> Any:
    """The data in a YAML or JSON model file, within the bounds (size, nesting, alias expansion).

    Raises:
        ModelError: unreadable, too large, not UTF-8, malformed, or beyond a bound.
    """
    p = Path(path)
    if "\x00" in str(path):  # no file has such a name (os.stat would raise ValueError)
        raise ModelError(f"model file not found: {short_repr(str(path))}")
    try:
        raw = read_regular_file(p)
    except FileNotFoundError:
        raise ModelError(f"model file not found: {path}") from None
    except IsADirectoryError:
        raise ModelError(f"model file is a directory: {path}") from None
    except OSError as exc:
        raise ModelError(f"model file {path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ModelError(f"model file {p.name}: larger than the {MAX_FILE_BYTES:,}-byte limit")
    return parse_model_text(raw, json_first=p.suffix.lower() == ".json", what=f"model file {p.name}")


def parse_model_text(raw: bytes | str, *, json_first: bool = False, what: str = "model file") -> Any:
    """Parse YAML or JSON text of a model file into plain data (safe loading, bounded)."""
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise ModelError(f"{what}: binary data, not a YAML or JSON text file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelError(f"{what}: not UTF-8 text (byte {exc.start})") from None
    else:
        text = raw
    if len(text) > MAX_FILE_BYTES:
        raise ModelError(f"{what}: larger than the {MAX_FILE_BYTES:,}-byte limit")
    stripped = text.lstrip()
    if json_first or stripped.startswith("{"):
        try:
            data = load_json(text)
        except DuplicateKeyError as exc:
            raise ModelError(f"{what}: {exc}") from None
        except RecursionError:
            raise ModelError(f"{what}: nested more than {MAX_DATA_DEPTH} levels deep") from None
        except ValueError as exc:
            if json_first:
                raise ModelError(f"{what}: invalid JSON: {exc}") from None
        else:
            check_data(data, what)
            return data
    import yaml

    try:
        check_yaml_text(text, what)
        data = yaml.load(text, Loader=yaml_loader())  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ModelError(f"{what}: invalid YAML{where}: {problem}") from None
    except DuplicateKeyError as exc:
        raise ModelError(f"{what}: {exc}") from None
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors fail on bad scalars (2001-02-30) in many ways
        why = "an integer of thousands of digits" if "Exceeds the limit" in str(exc) else " ".join(str(exc).split())
        raise ModelError(f"{what}: invalid YAML: a value cannot be read ({why[:100]})") from None
    check_data(data, what)
    return data


# -- Loading ---------------------------------------------------------------------------------


def _loc_path(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn an error's location (keys, indices, the kind of entry tried) into a model path by the
    entries' names: ``features.3``."""
    parts: list[str] = []
    node = data
    tags = set(TAGS)
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(name if isinstance(name, str) and NAME_RE.match(name) else str(key))
            if i + 1 < len(loc) and loc[i + 1] in tags:
                i += 1
        elif isinstance(node, dict) and isinstance(key, str) and key in node:
            into_item = i + 1 < len(loc) and isinstance(loc[i + 1], int) or key == "layer"
            if key not in ("layers", "parallel", "layer") or not into_item:
                parts.append(key)
            node = node[key]
        elif isinstance(node, dict) and i == len(loc) - 1:
            parts.append(str(key))
        i += 1
    return shown(".".join(parts)) if parts else ""


def _validation_message(data: Any, exc: ValidationError) -> str:
    """``b.repeat: must be >= 1. Received: 0``: the entry by its path, then the rule."""
    error = validation.first_error(exc)
    where = _loc_path(data, tuple(error["loc"]))
    from paramcalc.models import nodes

    loc = tuple(error["loc"])
    keys = validation.keys_of(Model) if len(loc) == 1 else validation.keys_of(
        Reference, nodes.LayerNode, nodes.SharedNode, nodes.BlockNode, nodes.ParallelNode)
    message = validation.message(error, 160, keys)
    return f"{where}: {message}" if where else message


def load_model(source: Model | dict[str, Any] | str | Path) -> Model:
    """A validated :class:`Model` from a model, a dict in the file format, or a YAML/JSON file path.

    Every layer is parsed and checked on the way (shapes are checked by
    :func:`~paramcalc.models.evaluate.evaluate`).

    Raises:
        ModelError: the file cannot be read, is beyond a bound, or an entry is invalid; the message
            names the entry by its path.
    """
    if isinstance(source, Model):
        return source
    if isinstance(source, (str, Path)):
        data = read_model_data(source)
        if data is None:
            raise ModelError(f"model file {Path(source).name}: the file is empty "
                             "(a model file is a mapping with 'layers')")
    elif isinstance(source, dict):
        check_data(source)
        data = source
    else:
        raise ModelError(f"a model is a Model, a dict or a file path. Received: {type(source).__name__}")
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
            type(data), type(data).__name__)
        where = f"model file {Path(source).name}" if isinstance(source, (str, Path)) else "model"
        raise ModelError(f"{where}: must hold a mapping with 'layers'. Received: {kind}")
    framework = data.get("framework")
    odd = [key for key in data if not isinstance(key, str)]
    if odd:
        raise ModelError(f"a model file's keys are names such as layers. Received: {short_repr(odd[0])}")
    if framework is None:
        from paramcalc.models.framework import detect

        framework = detect(data)
        if framework is not None:
            data = {**data, "framework": framework}
    context = {"framework": framework if framework in ("pytorch", "keras") else None}
    try:
        return Model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ModelError(_validation_message(data, exc)) from None
    except RecursionError:
        raise ModelError(f"model: nested more than {MAX_DATA_DEPTH} levels deep") from None

def summarize(
    model: Model | dict[str, Any] | str | Any,
    *,
    input_shape: Any = None,
    convention: str | None = None,
) -> Summary:
    """Summarise a model: one row per layer and block, output shapes, and totals.

    Args:
        model: a :class:`Model`, a dict in the model-file format, or the path of a YAML or JSON
            model file.
        input_shape: overrides the file's input shape: one shape, or one per input (a list of shapes
            or a dict by input name).
        convention: "pytorch", "keras" or "textbook"; by default the model's framework (a model
            whose layers are Keras classes is counted as Keras, any other as PyTorch).

    Returns:
        A :class:`~paramcalc.models.summary.Summary`; ``rich.print(summary)`` shows the table the CLI
        prints.

    Raises:
        ModelError: the file cannot be read, or a layer does not fit its input (the message names
            the layer by its path, such as ``encoder.layers[3].linear1``).
    """
    loaded = load_model(model)
    return evaluate(loaded, input_shape=input_shape, convention=convention or loaded.convention())
