"""Model files: a whole network as data (YAML, JSON, a dict or Model objects), and its evaluation.

A model file gives an input shape and a list of layers. A layer is written like ``parse_layer``
takes it: a constructor expression (``"Conv2d(3, 64, 3, padding=1)"``) or a mapping with a
``type``. Around layers, four kinds of entries build real architectures:

- ``{layer: ..., name: fc, input: other, tie: wte, trainable: false}``: a layer with options;
- ``{layers: [...], name: stage, repeat: 4}``: a named block, repeated, nested; with
  ``shortcut: identity`` (or a list of layers) its output is added to the main path's (residual);
- ``{parallel: [...]}``: branches fed the same input, their outputs added (token + position +
  segment embeddings);
- ``{shared: path}``: the layer at ``path`` applied again, its weights counted once.

Shapes propagate through the model; a layer may leave out its input size (in_features,
in_channels, ...) and it is inferred. Files are data only: YAML is read with a safe loader, layer
expressions with :mod:`ast`, and sizes, nesting and alias expansion are bounded.
"""

# Annotations are evaluated at class creation (paramcalc.record reads them as types).

import json
import re
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from paramcalc.record import Choice, ConfigDict, Convert, Field, Invalid, Record, model_validator

from paramcalc.errors import ModelError, SpecError, short_repr
from paramcalc.limits import MAX_BLOCK_NESTING as MAX_NESTING  # the bounds on model files: paramcalc.limits
from paramcalc.limits import MAX_DATA_DEPTH, MAX_DATA_NODES, MAX_FILE_BYTES, MAX_LAYERS, MAX_RANK, MAX_ROWS, MAX_SIZE  # noqa: F401
from paramcalc.limits import check_data, check_yaml_text
from paramcalc.results import Count
from paramcalc.specs import LayerSpec
from paramcalc.summary import Row, Summary

Shape = tuple[int, ...]

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
STRUCTURE_KEYS = ("layer", "shared", "layers", "parallel")


# -- The file format -------------------------------------------------------------------------


_LEADING_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?=\(|$)")


def _qualified(value: Any, framework: str | None) -> Any:
    """Qualify a layer name both frameworks use (LSTM, Flatten, ...) with the model's framework."""
    if framework is None:
        return value
    from paramcalc.parse import _keras_registry
    from paramcalc.specs import TORCH_LAYERS

    keras = _keras_registry()
    if keras is None:
        return value
    qualifier = "nn" if framework == "pytorch" else "layers"
    if isinstance(value, str):
        m = _LEADING_NAME.match(value)
        if m and m.group(1) in TORCH_LAYERS and m.group(1) in keras.KERAS_LAYERS:
            return f"{qualifier}.{value.strip()}"
    elif isinstance(value.get("type"), str) and value["type"] in TORCH_LAYERS and value["type"] in keras.KERAS_LAYERS:
        return {**value, "type": f"{qualifier}.{value['type']}"}
    return value


def _pytorch_name(spec: LayerSpec, value: Any) -> LayerSpec:
    """Refuse an unqualified Keras layer in a PyTorch model when PyTorch has the name in another case.

    ``Conv2D(3, 16, 3)`` is a valid Keras call (16×16 kernels, stride 3), so in a ``framework:
    pytorch`` file it is nearly always a misspelt ``Conv2d``.
    """
    written = value if isinstance(value, str) else str(value.get("type", ""))
    if spec.framework == "keras" and not written.lstrip().startswith(("layers.", "keras.", "tf.")):
        from paramcalc.specs import TORCH_LAYERS

        keras_name = spec.type.removeprefix("keras.")
        twin = next((n for n in TORCH_LAYERS if n.lower() == keras_name.lower()), None)
        if twin is not None:
            raise SpecError(
                f"{keras_name} is the Keras layer, but the model says framework: pytorch; PyTorch's is "
                f"{twin} (write layers.{keras_name}(...) to use the Keras layer here)"
            )
    return spec


#: The framework of the model file being read: whose layer a name both frameworks use means.
_FRAMEWORK: ContextVar[Optional[str]] = ContextVar("paramcalc_model_framework", default=None)


def _parse_spec(value: Any) -> LayerSpec:
    if isinstance(value, LayerSpec):
        return value
    if isinstance(value, (str, dict)):
        from paramcalc.parse import parse_layer

        framework = _FRAMEWORK.get()
        if framework == "pytorch":
            # A call torch's signature accepts reads the same with or without nn. (parse.build_layer),
            # so the Keras names are loaded only for a call it refuses.
            try:
                spec = parse_layer(value)
            except SpecError:
                pass
            else:
                return _pytorch_name(spec, value)
        try:
            return parse_layer(_qualified(value, framework))
        except SpecError as exc:
            if framework is None and "fits both" in str(exc):
                raise SpecError(f"{exc}; or set framework: pytorch (or keras) in the model file") from None
            raise
    raise ValueError(
        f"a layer must be a constructor expression or a mapping with 'type'. Received: {type(value).__name__}"
    )


_LAYER_MARK = "x-paramcalc-layer"  # replaced by a reference to every layer type in model_json_schema()

#: A layer spec written as an expression or a ``type`` mapping; parsed into a frozen spec.
LayerField = Annotated[Any, Convert(_parse_spec, {_LAYER_MARK: True})]

NodeName = Annotated[
    str,
    Field(
        pattern=NAME_RE.pattern,
        max_length=100,
        description="the entry's name in paths such as encoder.layers[3].linear1 (letters, digits, _ and -)",
    ),
]
PathRef = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9_\-.\[\]]+$", max_length=500,
          description="an input, or an earlier entry by name or path (encoder.layers[3].linear1)"),
]
InputRef = Annotated[
    Union[PathRef, Annotated[list[PathRef], Field(min_length=1)]],
    Field(
        description="where the input comes from instead of the previous entry: a model input, or an earlier "
        "layer or block by name or path; a list feeds a layer several inputs (tgt, memory)",
    ),
]
Dims = Annotated[list[Annotated[int, Field(strict=True, ge=0, le=MAX_SIZE)]], Field(max_length=MAX_RANK)]


class _Entry(Record):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Optional[NodeName] = None
    input: Optional[InputRef] = None
    trainable: bool = Field(True, description="false freezes the entry: its parameters count as non-trainable")


Repeat = Annotated[int, Field(strict=True, ge=1, le=MAX_LAYERS)]


class LayerNode(_Entry):
    """A layer with options: a name, where its input comes from, tied weights, repeats, frozen parameters."""

    layer: LayerField = Field(description="the layer: a constructor expression or a mapping with 'type'")
    tie: Union[PathRef, dict[str, PathRef], None] = Field(
        None,
        description="weights shared with an earlier layer, counted once: a layer path ties this layer's "
        "'weight' to that layer's 'weight'; a mapping ties tensors by name, {weight: wte.weight}",
    )
    repeat: Repeat = Field(1, description="how many copies are applied in sequence, each with its own weights")
    share_weights: bool = Field(False, description="true: all repeats use the same weights (counted once)")


class SharedNode(_Entry):
    """An earlier layer applied again: the same module and weights, counted once."""

    shared: PathRef = Field(description="name or path of the earlier layer whose module is reused")


def _node_tag(value: Any) -> Optional[str]:
    if isinstance(value, (str, LayerSpec)):
        return "spec"
    if isinstance(value, dict):
        keys = [k for k in STRUCTURE_KEYS if k in value]
        if len(keys) == 1:
            return {"layer": "layer", "shared": "shared", "layers": "block", "parallel": "parallel"}[keys[0]]
        if not keys and "type" in value:
            return "spec"
        return None
    return {LayerNode: "layer", SharedNode: "shared", BlockNode: "block", ParallelNode: "parallel"}.get(type(value))


#: One entry of a layer list, told apart by its keys; the block types are filled in below.
Node = Choice(
    _node_tag,
    {"spec": LayerField, "layer": LayerNode, "shared": SharedNode},
    "an entry must be a layer expression, a mapping with 'type', or a mapping with "
    "exactly one of 'layer', 'shared', 'layers' or 'parallel'",
)


class BlockNode(_Entry):
    """A named group of entries, optionally repeated, optionally residual."""

    layers: list[Node] = Field(min_length=1, description="the entries, applied in order (the main path)")
    repeat: Repeat = Field(1, description="how many times the block is applied in sequence, each with its own weights")
    share_weights: bool = Field(False, description="true: all repeats use the same weights (counted once)")
    shortcut: Union[Literal["identity"], list[Node], None] = Field(
        None,
        description="makes the block residual: 'identity' or entries applied to the block's input; "
        "their output is added to the main path's",
    )
    after: Optional[list[Node]] = Field(None, description="entries applied after the shortcut is added (a final ReLU)")

    @model_validator(mode="after")
    def _check(self) -> "BlockNode":
        if self.after is not None and self.shortcut is None:
            raise ValueError("'after' needs a 'shortcut': it runs after the shortcut is added")
        return self


class ParallelNode(_Entry):
    """Branches that all take the same input; their outputs are added (token + position embeddings)."""

    parallel: list[Node] = Field(min_length=2, description="the branches, each an entry of its own")
    merge: Literal["add"] = Field("add", description="how the branch outputs are combined")


Node.options.update({"block": BlockNode, "parallel": ParallelNode})


class Reference(Record):
    """A published parameter count to compare with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    params: Annotated[int, Field(strict=True, ge=0)]
    source: str
    approximate: bool = Field(
        False, description="true when the published figure is rounded (125M); it then matches within 2%"
    )


class Model(Record):
    """A paramcalc model file: an input shape and the layers."""

    model_config = ConfigDict(frozen=True, extra="forbid", title="paramcalc model file", populate_by_name=True)

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
    def _check(self) -> "Model":
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
        return _count_layers(self.layers)

    def summarize(self, *, input_shape: Any = None, convention: str = "pytorch") -> Summary:
        """Same as :func:`paramcalc.summarize` on this model."""
        return evaluate(self, input_shape=input_shape, convention=convention)


def _children(node: Any) -> list[Any]:
    if isinstance(node, BlockNode):
        extra = node.shortcut if isinstance(node.shortcut, list) else []
        return [*node.layers, *extra, *(node.after or [])]
    if isinstance(node, ParallelNode):
        return list(node.parallel)
    return []


def _count_layers(nodes: list[Any]) -> int:
    total = 0
    for node in nodes:
        if isinstance(node, BlockNode):
            total += node.repeat * _count_layers(_children(node))
        elif isinstance(node, ParallelNode):
            total += _count_layers(node.parallel)
        else:
            total += node.repeat if isinstance(node, LayerNode) else 1
        if total > MAX_LAYERS:
            return total
    return total


def _check_structure(model: Model) -> None:
    """Bounds (nesting, layers after repeats) and unique names within each block."""

    def walk(nodes: list[Any], depth: int, where: str) -> None:
        if depth > MAX_NESTING:
            raise ValueError(f"blocks are nested more than {MAX_NESTING} deep (at {where or 'the top'})")
        seen: set[str] = set()
        for i, node in enumerate(nodes):
            name = (node.name if isinstance(node, _Entry) else None) or str(i)
            if name in seen:
                raise ValueError(f"two entries are named {name!r} in {where or 'the model'}; names must be unique")
            seen.add(name)
            children = _children(node)
            if children:
                walk(children, depth + 1, f"{where}.{name}" if where else name)

    walk(model.layers, 1, "")
    n = _count_layers(model.layers)
    if n > MAX_LAYERS:
        raise ValueError(f"the model has more than {MAX_LAYERS:,} layers after expanding repeats")


# -- Reading files ---------------------------------------------------------------------------


def read_model_data(path: str | Path) -> Any:
    """The data in a YAML or JSON model file, within the bounds (size, nesting, alias expansion).

    Raises:
        ModelError: unreadable, too large, not UTF-8, malformed, or beyond a bound.
    """
    p = Path(path)
    if "\x00" in str(path):  # no file has such a name (os.stat would raise ValueError)
        raise ModelError(f"model file not found: {short_repr(str(path))}")
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ModelError(f"model file {p.name}: {size:,} bytes is larger than the {MAX_FILE_BYTES:,}-byte limit")
        with p.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
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
            data = json.loads(text)
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
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ModelError(f"{what}: invalid YAML{where}: {problem}") from None
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - PyYAML's constructors fail on bad scalars (2001-02-30) in many ways
        why = "an integer of thousands of digits" if "Exceeds the limit" in str(exc) else " ".join(str(exc).split())
        raise ModelError(f"{what}: invalid YAML: a value cannot be read ({why[:100]})") from None
    check_data(data, what)
    return data


# -- Loading ---------------------------------------------------------------------------------


def _shown(path: str) -> str:
    """A path as messages show it: ``layer 3`` for an unnamed top-level entry, else the path itself."""
    return f"layer {path}" if path[:1].isdigit() else path


def _loc_path(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn an error's path of keys and indices into a model path by the entries' names: ``features.3``."""
    parts: list[str] = []
    node = data
    tags = {"spec", "layer", "shared", "block", "parallel"}
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
            name = node.get("name") if isinstance(node, dict) else None
            parts.append(name if isinstance(name, str) else str(key))
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
    return _shown(".".join(parts)) if parts else ""


def _validation_message(data: Any, problem: Invalid) -> str:
    where = _loc_path(data, problem.path)
    message = problem.message(160)
    return f"{where}: {message}" if where else message


def load_model(source: Model | dict[str, Any] | str | Path) -> Model:
    """A validated :class:`Model` from a model, a dict in the file format, or a YAML/JSON file path.

    Every layer is parsed and checked on the way (shapes are checked by :func:`evaluate`).

    Raises:
        ModelError: the file cannot be read, is beyond a bound, or an entry is invalid; the message
            names the entry by its path.
    """
    if isinstance(source, Model):
        return source
    if isinstance(source, (str, Path)):
        data = read_model_data(source)
    elif isinstance(source, dict):
        check_data(source)
        data = source
    else:
        raise ModelError(f"a model is a Model, a dict or a file path. Received: {type(source).__name__}")
    if not isinstance(data, dict):
        raise ModelError(f"a model file must hold a mapping with 'layers'. Received: {type(data).__name__}")
    framework = data.get("framework")
    odd = [key for key in data if not isinstance(key, str)]
    if odd:
        raise ModelError(f"a model file's keys are names such as layers. Received: {short_repr(odd[0])}")
    token = _FRAMEWORK.set(framework if framework in ("pytorch", "keras") else None)
    try:
        return Model(**data)
    except Invalid as problem:
        raise ModelError(_validation_message(data, problem)) from None
    except RecursionError:
        raise ModelError(f"model: nested more than {MAX_DATA_DEPTH} levels deep") from None
    finally:
        _FRAMEWORK.reset(token)


def _int_or_ints(prop: dict[str, Any]) -> dict[str, Any]:
    """Size arguments (kernel_size=3 or (3, 5)) accept an int for the whole tuple: say so in the schema."""
    options = prop.get("anyOf", [prop])
    for i, option in enumerate(options):
        items = option.get("items") or (option.get("prefixItems") or [None])[0]
        if option.get("type") == "array" and isinstance(items, dict) and items.get("type") == "integer":
            widened = {"anyOf": [{"type": "integer", **{k: v for k, v in items.items() if k != "type"}}, option]}
            if "anyOf" in prop:
                prop["anyOf"][i] = widened
                return prop
            return {**{k: v for k, v in prop.items() if k in ("title", "description", "default")}, **widened}
    return prop


def model_json_schema() -> dict[str, Any]:
    """The JSON Schema of model files, with every layer type's arguments (for editors)."""
    from paramcalc.record import json_schema
    from paramcalc.specs import TORCH_LAYERS

    def link(node: Any) -> Any:
        if isinstance(node, dict):
            if node.pop(_LAYER_MARK, False):
                node["$ref"] = "#/$defs/Layer"
            for value in node.values():
                link(value)
        elif isinstance(node, list):
            for value in node:
                link(value)
        return node

    def tag(cls: Any) -> str:
        return str(cls.model_fields["type"].default)

    model_defs: dict[str, Any] = {}
    schema = link(json_schema(Model, model_defs, lambda cls: cls.__name__))
    if model_defs:
        schema["$defs"] = link(model_defs)
    classes: dict[str, type[LayerSpec]] = {tag(cls): cls for cls in TORCH_LAYERS.values()}
    try:
        from paramcalc import keras_layers

        for cls in keras_layers.KERAS_LAYERS.values():
            classes.setdefault(tag(cls), cls)
    except ImportError:  # pragma: no cover - the module ships with the package
        pass
    spec_defs: dict[str, Any] = {}
    for name, cls in classes.items():
        if name not in spec_defs:
            spec_defs[name] = {}
            spec_defs[name] = json_schema(cls, spec_defs, tag)
    specs = {
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in classes],
        "discriminator": {"propertyName": "type", "mapping": {name: f"#/$defs/{name}" for name in classes}},
    }
    defs = schema.setdefault("$defs", {})
    for definition in spec_defs.values():
        for name, prop in definition.get("properties", {}).items():
            definition["properties"][name] = _int_or_ints(prop)
    defs.update(spec_defs)
    defs["Layer"] = {
        "title": "Layer",
        "description": "a layer: a constructor expression such as \"Conv2d(3, 64, 3, padding=1)\", "
        "or a mapping with 'type' and the constructor's arguments",
        "anyOf": [
            {"type": "string", "description": "a constructor expression, e.g. \"Linear(512, 10)\""},
            specs,
        ],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


# -- Evaluation: shapes, counts and rows -----------------------------------------------------


@dataclass
class _LayerInfo:
    path: str
    spec: LayerSpec
    input_shapes: tuple[Shape | None, ...]


@dataclass
class _Ctx:
    depth: int
    trainable: bool


def _broadcast(shapes: list[Shape | None], what: str) -> Shape | None:
    if any(s is None for s in shapes):
        return None
    rank = max(len(s) for s in shapes)  # type: ignore[arg-type]
    out = []
    for i in range(rank):
        dims = {s[i - rank + len(s)] for s in shapes if i - rank + len(s) >= 0} - {1}  # type: ignore[arg-type]
        if len(dims) > 1:
            raise ModelError(f"{what}: cannot add outputs of shapes {', '.join(str(s) for s in shapes)}")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def _expected_input(spec: LayerSpec) -> str | None:
    field = spec.infer_field
    value = getattr(spec, field, None) if field else None
    if value is None:
        return None
    nd = getattr(spec, "nd", None)
    if isinstance(value, tuple):
        return f"(*, {', '.join(map(str, value))})"
    if field in ("in_channels", "num_features"):
        spatial = ", ".join(["*"] * nd) if nd else "*"
        return f"(N, {value}, {spatial})"
    return f"(*, {value})"


def _mismatch(spec: LayerSpec, shape: Shape) -> bool:
    """Whether the input's size differs from the layer's declared input size."""
    field = spec.infer_field
    if not field or getattr(spec, field, None) is None:
        return False
    try:
        values = {k: v for k, v in spec if k != "type"}
        values[field] = None
        inferred = type(spec)(**values).resolve(shape)
    except (SpecError, TypeError):
        return False
    return getattr(inferred, field) != getattr(spec, field)


def _native(spec: LayerSpec) -> str:
    """The convention that names a spec's tensors as its framework does."""
    return "keras" if getattr(spec, "framework", "pytorch") == "keras" else "pytorch"


class _Evaluator:
    def __init__(self, model: Model, convention: str, inputs: dict[str, Shape | None]) -> None:
        self.model = model
        self.convention = convention
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.divisions: list[str] = []
        self.layers: dict[str, _LayerInfo] = {}
        self.collapsed: dict[str, tuple[int, int]] = {}
        self.scopes: list[dict[str, tuple[str, Shape | None]]] = [{k: (k, v) for k, v in inputs.items()}]
        self.outputs: dict[str, Shape | None] = dict(inputs)

    # -- names ---------------------------------------------------------------------------------
    def _canonical(self, path: str) -> str:
        """Map an index inside a collapsed repeat (layers[5]) to the evaluated one (layers[0-31])."""
        for block, (first, last) in sorted(self.collapsed.items(), key=lambda item: len(item[0])):
            pattern = re.escape(block) + r"\[(\d+)(?:-\d+)?\]"
            m = re.match(pattern, path)
            if m and first <= int(m.group(1)) <= last:
                path = f"{block}[{first}-{last}]{path[m.end():]}" if last > first else f"{block}[{first}]{path[m.end():]}"
        return path

    def _find(self, ref: str, where: str, what: str) -> tuple[str, Shape | None]:
        for scope in reversed(self.scopes):
            if ref in scope:
                return scope[ref]
        path = self._canonical(ref)
        if path in self.outputs:
            return path, self.outputs[path]
        raise ModelError(
            f"{_shown(where)}: {what} {ref!r} is not an input or an earlier layer or block "
            f"(refer to one by name, or by path such as encoder.layers[0].linear1)"
        )

    def _find_layer(self, ref: str, where: str, what: str) -> _LayerInfo:
        path, _ = self._find(ref, where, what)
        info = self.layers.get(path)
        if info is None:
            raise ModelError(f"{_shown(where)}: {what} {ref!r} must be a layer, not a block or an input")
        return info

    # -- rows ----------------------------------------------------------------------------------
    def _count(self, count: Count, ctx: _Ctx) -> Count:
        if not ctx.trainable:
            count = Count(0, count.total, count.buffers)
        return count

    def _layer_error(self, path: str, spec: LayerSpec, shapes: tuple[Shape | None, ...], exc: Exception) -> ModelError:
        message = str(exc)
        shape = shapes[0]
        if shape is not None and _mismatch(spec, shape):
            field = spec.infer_field
            return ModelError(
                f"{_shown(path)} ({spec.name}): expects input {_expected_input(spec)} "
                f"({field}={getattr(spec, field)!r}), receives {shape}"
            )
        return ModelError(f"{_shown(path)}: {message}")

    def layer(self, spec: LayerSpec, node: LayerNode | None, name: str, path: str,
              shapes: tuple[Shape | None, ...], ctx: _Ctx) -> tuple[Shape | None, Count]:
        x = shapes[0]
        inferred: dict[str, Any] = {}
        try:
            if x is None:
                if not spec.is_resolved():
                    raise ModelError(
                        f"{_shown(path)}: {spec.name}.{spec.infer_field} is not set and the input shape is unknown; "
                        f"give {spec.infer_field}, or an input shape"
                    )
                resolved, out = spec, None
            else:
                resolved = spec.resolve(x)
                outs = resolved.output_shapes(*shapes)
                out = next(iter(outs.values()))
                if "Conv" in spec.name or "Pool" in spec.name:
                    self.divisions.extend(f"{_shown(path)}: {n}" for n in resolved.shape_notes(*shapes))
            if resolved is not spec and spec.infer_field:
                inferred = {spec.infer_field: getattr(resolved, spec.infer_field)}
            count = resolved.count(self.convention, input_shape=x)  # type: ignore[arg-type]
        except ModelError:
            raise
        except SpecError as exc:
            raise self._layer_error(path, spec, shapes, exc) from None
        count = self._count(count, ctx)
        note = ""
        if node is not None and node.tie is not None:
            count, note = self._tie(node, resolved, x, path, count)
        self.layers[path] = _LayerInfo(path, resolved, shapes)
        self._check_rows(path)
        self.rows.append(Row(
            path=path, name=name, type=spec.name, depth=ctx.depth, output_shape=out,
            count=count, leaf=True, layer=resolved.spec_dict(),
            inferred=inferred, note=note, input_shape=x, input_shapes=tuple(shapes),
        ))
        return out, count

    def _tie(self, node: LayerNode, spec: LayerSpec, x: Shape | None, path: str, count: Count) -> tuple[Count, str]:
        ties = node.tie if isinstance(node.tie, dict) else {"weight": f"{node.tie}.weight"}
        # Ties name the framework's own tensors (weight, kernel); their sizes are the same under every convention.
        own_tensors = {t.name: t for t in spec.param_tensors(_native(spec), input_shape=x)}  # type: ignore[arg-type]
        notes = []
        for own_name, target in ties.items():
            own = own_tensors.get(own_name)
            if own is None:
                raise ModelError(
                    f"{_shown(path)}: tie: {spec.name} has no tensor {own_name!r} (it has {', '.join(own_tensors) or 'none'})"
                )
            layer_ref, tensor_name = self._split_tensor_ref(target, path)
            info = self._find_layer(layer_ref, path, "tie target")
            theirs = {t.name: t for t in info.spec.param_tensors(_native(info.spec), input_shape=info.input_shapes[0])}  # type: ignore[arg-type]
            other = theirs.get(tensor_name)
            if other is None:
                raise ModelError(
                    f"{_shown(path)}: tie: {info.path} ({info.spec.name}) has no tensor {tensor_name!r} "
                    f"(it has {', '.join(theirs) or 'none'})"
                )
            if own.shape != other.shape:
                raise ModelError(
                    f"{_shown(path)}: tie: {own_name} {own.shape} and {info.path}.{tensor_name} {other.shape} "
                    f"must have the same shape"
                )
            if count.trainable >= own.numel:
                count = Count(count.trainable - own.numel, count.non_trainable, count.buffers)
            else:
                count = Count(count.trainable, count.non_trainable - own.numel, count.buffers)
            notes.append(f"{own_name} tied to {info.path}.{tensor_name}")
            self.notes.append(
                f"{path}.{own_name} is tied to {info.path}.{tensor_name}: {own.numel:,} parameters counted once"
            )
        return count, "; ".join(notes)

    def _split_tensor_ref(self, ref: str, where: str) -> tuple[str, str]:
        parts = ref.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            layer_ref = ".".join(parts[:cut])
            try:
                path, _ = self._find(layer_ref, where, "tie target")
            except ModelError:
                continue
            if path in self.layers:
                return layer_ref, ".".join(parts[cut:])
        raise ModelError(f"{_shown(where)}: tie target {ref!r} is not a tensor of an earlier layer (write layer.tensor)")

    def shared(self, node: SharedNode, name: str, path: str, shapes: tuple[Shape | None, ...],
               ctx: _Ctx) -> tuple[Shape | None, Count]:
        info = self._find_layer(node.shared, path, "shared layer")
        spec = info.spec
        out = None
        if shapes[0] is not None:
            try:
                out = next(iter(spec.output_shapes(*shapes).values()))  # type: ignore[arg-type]
            except SpecError as exc:
                raise self._layer_error(path, spec, shapes, exc) from None
        self.layers[path] = _LayerInfo(path, spec, shapes)
        self.notes.append(f"{path} reuses {info.path} ({spec.name}): its weights are counted once, there")
        self.rows.append(Row(
            path=path, name=name, type=spec.name, depth=ctx.depth, output_shape=out, count=Count(0), leaf=True,
            layer=spec.spec_dict(), note=f"shares {info.path}", input_shape=shapes[0], input_shapes=tuple(shapes),
        ))
        return out, Count(0)

    # -- containers ----------------------------------------------------------------------------
    def sequence(self, nodes: list[Any], shapes: tuple[Shape | None, ...], prefix: str, ctx: _Ctx,
                 start: int = 0) -> tuple[Shape | None, Count]:
        total = Count(0)
        out: Shape | None = shapes[0]
        for i, node in enumerate(nodes, start):
            out, count = self.node(node, i, shapes, prefix, ctx)
            total = total + count
            shapes = (out,)
        return out, total

    def node(self, node: Any, index: int, shapes: tuple[Shape | None, ...], prefix: str,
             ctx: _Ctx) -> tuple[Shape | None, Count]:
        entry = node if isinstance(node, _Entry) else None
        name = (entry.name if entry else None) or str(index)
        path = f"{prefix}.{name}" if prefix else name
        if entry is not None and entry.input is not None:
            refs = [entry.input] if isinstance(entry.input, str) else entry.input
            shapes = tuple(self._find(r, path, "input")[1] for r in refs)
        if entry is not None and not entry.trainable and ctx.trainable:
            ctx = _Ctx(ctx.depth, False)
        if isinstance(node, LayerSpec):
            out, count = self.layer(node, None, name, path, shapes, ctx)
        elif isinstance(node, LayerNode) and node.repeat > 1:
            out, count = self.repeated_layer(node, name, path, shapes, ctx)
        elif isinstance(node, LayerNode):
            out, count = self.layer(node.layer, node, name, path, shapes, ctx)
        elif isinstance(node, SharedNode):
            out, count = self.shared(node, name, path, shapes, ctx)
        elif isinstance(node, BlockNode):
            out, count = self.block(node, name, path, shapes, ctx)
        else:
            out, count = self.parallel(node, name, path, shapes, ctx)
        self.scopes[-1][name] = (path, out)
        self.outputs[path] = out
        return out, count

    def _check_rows(self, path: str) -> None:
        if len(self.rows) >= MAX_ROWS:
            raise ModelError(
                f"{_shown(path)}: the summary would list more than {MAX_ROWS:,} rows (repeats that change "
                f"their input's shape are listed one by one)"
            )

    def _placeholder(self, path: str, name: str, kind: str, ctx: _Ctx, x: Shape | None, repeat: int = 1) -> int:
        self._check_rows(path)
        self.rows.append(Row(path=path, name=name, type=kind, depth=ctx.depth, output_shape=None, count=Count(0),
                             repeat=repeat, leaf=False, input_shape=x))
        return len(self.rows) - 1

    def body(self, node: BlockNode, path: str, shapes: tuple[Shape | None, ...], ctx: _Ctx) -> tuple[Shape | None, Count]:
        self.scopes.append({})
        try:
            out, total = self.sequence(node.layers, shapes, path, ctx)
            if node.shortcut is not None:
                if node.shortcut == "identity":
                    short = shapes[0]
                else:
                    short, count = self.sequence(node.shortcut, shapes, path, ctx, start=len(node.layers))
                    total = total + count
                out = _broadcast([out, short], f"{_shown(path)}: the shortcut")
                if node.after:
                    start = len(node.layers) + (len(node.shortcut) if isinstance(node.shortcut, list) else 0)
                    out, count = self.sequence(node.after, (out,), path, ctx, start=start)
                    total = total + count
        finally:
            self.scopes.pop()
        return out, total

    def block(self, node: BlockNode, name: str, path: str, shapes: tuple[Shape | None, ...],
              ctx: _Ctx) -> tuple[Shape | None, Count]:
        kind = "Residual" if node.shortcut is not None else "Block"
        row = self._placeholder(path, name, kind, ctx, shapes[0], repeat=node.repeat)
        if node.repeat == 1:
            out, total = self.body(node, path, shapes, _Ctx(ctx.depth + 1, ctx.trainable))
        else:

            def run(sub: str, label: str, shapes: tuple[Shape | None, ...]) -> tuple[Shape | None, Count]:
                head = self._placeholder(sub, label, kind, _Ctx(ctx.depth + 1, ctx.trainable), shapes[0])
                out, count = self.body(node, sub, shapes, _Ctx(ctx.depth + 2, ctx.trainable))
                self.rows[head] = replace(self.rows[head], output_shape=out, count=count)
                return out, count

            out, total, whole = self.repeated(node, path, shapes, run)
            if whole:  # every repeat is the same: the block row stands for them, not an iteration row
                del self.rows[row + 1]
                for j in range(row + 1, len(self.rows)):
                    self.rows[j] = replace(self.rows[j], depth=self.rows[j].depth - 1)
        self.rows[row] = replace(self.rows[row], output_shape=out, count=total,
                                 note="weights shared by all repeats" if node.share_weights else "")
        return out, total

    def repeated_layer(self, node: LayerNode, name: str, path: str, shapes: tuple[Shape | None, ...],
                       ctx: _Ctx) -> tuple[Shape | None, Count]:
        row = self._placeholder(path, name, node.layer.name, ctx, shapes[0], repeat=node.repeat)

        def run(sub: str, label: str, shapes: tuple[Shape | None, ...]) -> tuple[Shape | None, Count]:
            return self.layer(node.layer, node, label, sub, shapes, _Ctx(ctx.depth + 1, ctx.trainable))

        out, total, whole = self.repeated(node, path, shapes, run)
        if whole:  # one row for all the repeats: the layer's own, under the entry's name
            leaf = self.rows.pop(row + 1)
            self.rows[row] = replace(leaf, name=name, depth=ctx.depth, note=leaf.note or (
                "weights shared by all repeats" if node.share_weights else ""))
        else:
            self.rows[row] = replace(self.rows[row], output_shape=out, count=total)
        return out, total

    def repeated(self, node: BlockNode | LayerNode, path: str, shapes: tuple[Shape | None, ...],
                 run: Any) -> tuple[Shape | None, Count, bool]:
        """Apply an entry ``repeat`` times; once an application keeps its input's shape, every later one is
        identical, so it is evaluated once and its rows stand for all of them.

        Returns the output shape, the count, and whether one evaluation stood for every repeat.
        """
        n = node.repeat
        total = Count(0)
        i = 0
        out = shapes[0]
        whole = False
        while i < n:
            sub = f"{path}[{i}]"
            first = len(self.rows)
            out, count = run(sub, f"[{i}]", shapes)
            stable = out == shapes[0]
            if node.share_weights and not stable:
                raise ModelError(
                    f"{_shown(sub)}: share_weights needs an entry that keeps its input's shape; "
                    f"it maps {shapes[0]} to {out}"
                )
            k = n - i if stable else 1
            if k > 1:
                weight = 1 if node.share_weights else k
                label = f"{path}[{i}-{n - 1}]"
                self.collapsed[path] = (i, n - 1)
                whole = i == 0
                for j in range(first, len(self.rows)):
                    r = self.rows[j]
                    name = f"[{i}-{n - 1}]" if r.path == sub else r.name
                    self.rows[j] = replace(
                        r, path=label + r.path[len(sub):], name=name, count=r.count * weight, repeat=r.repeat * k
                    )
                self._rename(sub, label)
                count = count * weight
            total = total + count
            shapes = (out, *shapes[1:])  # later inputs (a decoder's memory) feed every repeat
            i += k
        return out, total, whole

    def _rename(self, old: str, new: str) -> None:
        """Re-key the layers and outputs evaluated under ``old`` (layers[0]) to ``new`` (layers[0-31])."""
        for table in (self.layers, self.outputs, self.collapsed):
            for key in [k for k in table if k == old or k.startswith(old + ".") or k.startswith(old + "[")]:
                value = table.pop(key)
                new_key = new + key[len(old):]
                if isinstance(value, _LayerInfo):
                    value.path = new_key
                table[new_key] = value  # type: ignore[index]

    def parallel(self, node: ParallelNode, name: str, path: str, shapes: tuple[Shape | None, ...],
                 ctx: _Ctx) -> tuple[Shape | None, Count]:
        row = self._placeholder(path, name, "Parallel", ctx, shapes[0])
        inner = _Ctx(ctx.depth + 1, ctx.trainable)
        outs = []
        total = Count(0)
        self.scopes.append({})
        try:
            for i, branch in enumerate(node.parallel):
                out, count = self.node(branch, i, shapes, path, inner)
                outs.append(out)
                total = total + count
        finally:
            self.scopes.pop()
        out = _broadcast(outs, f"{_shown(path)}: the branches")
        self.rows[row] = replace(self.rows[row], output_shape=out, count=total)
        return out, total


def _input_shapes(model: Model, input_shape: Any) -> dict[str, Shape | None]:
    from paramcalc.dispatch import as_shape

    shapes = model.input_shapes()
    if input_shape is None:
        return shapes
    names = list(shapes)
    if isinstance(input_shape, dict):
        unknown = [k for k in input_shape if k not in names]
        if unknown:
            raise ModelError(f"input_shape: the model has no input {short_repr(unknown[0])} (inputs: {', '.join(names)})")
        return {**shapes, **{k: as_shape(v, f"input_shape[{k!r}]") for k, v in input_shape.items()}}
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(input_shape[0], (list, tuple)):
        if len(input_shape) > len(names):
            raise ModelError(
                f"input_shape: {len(input_shape)} shapes given, the model has {len(names)} input(s) ({', '.join(names)})"
            )
        return {**shapes, **{n: as_shape(s) for n, s in zip(names, input_shape)}}
    return {**shapes, names[0]: as_shape(input_shape)}


def evaluate(model: Model, *, input_shape: Any = None, convention: str = "pytorch") -> Summary:
    """Propagate shapes through ``model``, count every layer, and collect the summary rows.

    Repeated blocks that keep their input's shape are evaluated once and stand for all their
    repeats, so a 96-layer model costs little more than a 1-layer one.
    """
    if convention not in ("pytorch", "keras", "textbook"):
        raise ModelError(f"convention must be one of pytorch, keras, textbook. Received: convention={convention!r}")
    inputs = _input_shapes(model, input_shape)
    first = next(iter(inputs.values()))
    ev = _Evaluator(model, convention, inputs)
    try:
        out, total = ev.sequence(model.layers, (first,), "", _Ctx(1, True))
    except RecursionError:
        raise ModelError(f"model: nested more than {MAX_NESTING} levels deep") from None
    return Summary(
        name=model.name,
        convention=convention,
        input_shapes=inputs,
        output_shape=out,
        rows=tuple(ev.rows),
        totals=total,
        notes=tuple(ev.notes),
        divisions=tuple(ev.divisions),
        description=model.description,
        reference=model.reference.model_dump() if model.reference else None,
    )
