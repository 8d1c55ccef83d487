"""The entries of a model file's layer lists, as frozen pydantic models told apart by their keys.

An entry is a layer (a constructor expression or a mapping with ``type``), or a mapping with exactly
one of ``layer`` (a layer with options), ``shared`` (an earlier layer applied again), ``layers`` (a
block), ``parallel`` (branches) or ``merge`` (earlier outputs joined: added, concatenated, multiplied). Layers are parsed on the way, as :func:`paramcalc.parse_layer`
reads them; the model file's ``framework`` comes in the validation context.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from paramcalc.errors import SpecError
from paramcalc.limits import MAX_LAYERS, MAX_RANK, MAX_SIZE
from paramcalc.models.validation import RULE
from paramcalc.specs import LayerSpec

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")
STRUCTURE_KEYS = ("layer", "shared", "layers", "parallel")
#: How the kinds of entry are tagged (an error's location names the kind tried).
TAGS = ("spec", "layer", "shared", "block", "parallel", "merge")
#: How outputs are joined, and the Keras merge layer each way is (the row type a merge entry shows).
MERGES = {
    "add": "Add", "subtract": "Subtract", "multiply": "Multiply", "average": "Average",
    "maximum": "Maximum", "minimum": "Minimum", "concat": "Concatenate",
}
MergeKind = Literal["add", "subtract", "multiply", "average", "maximum", "minimum", "concat"]
Axis = Annotated[
    Optional[Annotated[int, Field(strict=True, ge=-MAX_RANK, le=MAX_RANK - 1)]],
    Field(description="the axis 'concat' joins along; default the channel axis: 1 in a PyTorch model "
          "(N, C, ...), -1 in a Keras model (channels last)"),
]

#: The settings of every class of the format: frozen, no unknown keys, built on first use.
FORMAT_CONFIG = ConfigDict(frozen=True, extra="forbid", defer_build=True)

_LEADING_NAME = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?=\(|$)")


def _qualified(value: Any, framework: str | None) -> Any:
    """Qualify a layer name both frameworks use (LSTM, Flatten, ...) with the model's framework."""
    if framework is None:
        return value
    from paramcalc.specs import registry

    torch, keras = registry.layers("pytorch"), registry.layers("keras")
    qualifier = "nn" if framework == "pytorch" else "layers"
    if isinstance(value, str):
        m = _LEADING_NAME.match(value)
        if m and m.group(1) in torch and m.group(1) in keras:
            return f"{qualifier}.{value.strip()}"
    elif isinstance(value.get("type"), str) and value["type"] in torch and value["type"] in keras:
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


def parse_spec(value: Any, info: ValidationInfo | None) -> LayerSpec:
    """A layer spec from a spec, an expression or a ``type`` mapping, read under the file's framework."""
    if isinstance(value, LayerSpec):
        return value
    if isinstance(value, (str, dict)):
        from paramcalc.specs.parse import parse_layer

        context = info.context if info is not None else None
        framework = context.get("framework") if isinstance(context, dict) else None
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


LAYER_MARK = "x-paramcalc-layer"  # replaced by a reference to every layer type in model_json_schema()

#: A layer spec written as an expression or a ``type`` mapping; parsed into a frozen spec.
LayerField = Annotated[
    Any,
    PlainValidator(parse_spec),
    PlainSerializer(lambda spec: str(spec), return_type=str),
    WithJsonSchema({LAYER_MARK: True}),
]

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
#: A shape in a model file, batch first; ``null`` is a size not known yet (Keras's ``None``: the batch,
#: or a variable sequence length), which Keras layers accept.
Dims = Annotated[
    list[Optional[Annotated[int, Field(strict=True, ge=0, le=MAX_SIZE)]]], Field(max_length=MAX_RANK)
]
Repeat = Annotated[int, Field(strict=True, ge=1, le=MAX_LAYERS)]


class Entry(BaseModel):
    """What every entry but a bare layer may say: its name, where its input comes from, frozen or not."""

    model_config = FORMAT_CONFIG

    name: Optional[NodeName] = None
    input: Optional[InputRef] = None
    trainable: bool = Field(True, description="false freezes the entry: its parameters count as non-trainable")


class LayerNode(Entry):
    """A layer with options: a name, where its input comes from, tied weights, repeats, frozen parameters."""

    layer: LayerField = Field(description="the layer: a constructor expression or a mapping with 'type'")
    tie: Union[PathRef, dict[str, PathRef], None] = Field(
        None,
        description="weights shared with an earlier layer, counted once: a layer path ties this layer's "
        "'weight' to that layer's 'weight'; a mapping ties tensors by name, {weight: wte.weight}",
    )
    repeat: Repeat = Field(1, description="how many copies are applied in sequence, each with its own weights")
    share_weights: bool = Field(False, description="true: all repeats use the same weights (counted once)")
    positions: bool = Field(
        False,
        description="true: an Embedding looked up with the positions 0..T-1 of its input's second dimension "
        "(learned position embeddings); an input longer than its table is refused, as the framework fails",
    )


class SharedNode(Entry):
    """An earlier layer applied again: the same module and weights, counted once."""

    shared: PathRef = Field(description="name or path of the earlier layer whose module is reused")


class BlockNode(Entry):
    """A named group of entries, optionally repeated, optionally residual."""

    layers: list[Node] = Field(min_length=1, description="the entries, applied in order (the main path)")
    repeat: Repeat = Field(1, description="how many times the block is applied in sequence, each with its own weights")
    share_weights: bool = Field(False, description="true: all repeats use the same weights (counted once)")
    shortcut: Union[Literal["identity"], list[Node], None] = Field(
        None,
        description="makes the block residual: 'identity' or entries applied to the block's input; "
        "their output is joined to the main path's as 'merge' says (added, by default)",
    )
    merge: MergeKind = Field(
        "add", description="how the shortcut's output joins the main path's: add (residual), concat (shortcut "
        "first, as DenseNet's torch.cat([x, new], 1)), multiply (squeeze-and-excitation), ...",
    )
    axis: Axis = None
    after: Optional[list[Node]] = Field(None, description="entries applied after the shortcut is added (a final ReLU)")

    @model_validator(mode="after")
    def _check(self) -> BlockNode:
        if self.after is not None and self.shortcut is None:
            raise ValueError("'after' needs a 'shortcut': it runs after the shortcut is added")
        if self.shortcut is None and ("merge" in self.model_fields_set or "axis" in self.model_fields_set):
            raise ValueError("'merge' and 'axis' need a 'shortcut': they say how it joins the main path")
        _check_axis(self.merge, self.axis)
        if self.merge == "subtract":
            raise ValueError("merge: subtract needs exactly two outputs in a known order: use a merge entry")
        return self


class ParallelNode(Entry):
    """Branches that all take the same input; their outputs are added (token + position embeddings),
    or joined as ``merge`` says (Inception's branches concatenated)."""

    parallel: list[Node] = Field(min_length=2, description="the branches, each an entry of its own")
    merge: MergeKind = Field("add", description="how the branch outputs are joined, in the order listed")
    axis: Axis = None

    @model_validator(mode="after")
    def _check(self) -> ParallelNode:
        _check_axis(self.merge, self.axis)
        if self.merge == "subtract" and len(self.parallel) != 2:
            raise ValueError(f"merge: subtract takes exactly two branches. Received: {len(self.parallel)}")
        return self


class MergeNode(Entry):
    """Earlier outputs joined into one, as Keras's merge layers and ``torch.cat`` do; no parameters."""

    merge: MergeKind = Field(description="how the outputs named in 'input' are joined, in that order")
    axis: Axis = None

    @model_validator(mode="after")
    def _check(self) -> MergeNode:
        refs = [self.input] if isinstance(self.input, str) else self.input
        if refs is None or len(refs) < 2:
            raise ValueError("a merge entry names the outputs it joins: input: [a, b] (two or more)")
        if self.merge == "subtract" and len(refs) != 2:
            raise ValueError(f"merge: subtract takes exactly two inputs. Received: {len(refs)}")
        _check_axis(self.merge, self.axis)
        return self


def _check_axis(merge: str, axis: Optional[int]) -> None:
    if axis is not None and merge != "concat":
        raise ValueError(f"'axis' is for merge: concat; merge: {merge} joins element by element")


def node_tag(value: Any) -> Optional[str]:
    """Which kind of entry ``value`` is, by its keys (or its class); None when it is none of them."""
    if isinstance(value, (str, LayerSpec)):
        return "spec"
    if isinstance(value, dict):
        keys = [k for k in STRUCTURE_KEYS if k in value]
        if len(keys) == 1:
            return {"layer": "layer", "shared": "shared", "layers": "block", "parallel": "parallel"}[keys[0]]
        if not keys and "type" in value:
            return "spec"
        if not keys and "merge" in value:
            return "merge"
        return None
    return {LayerNode: "layer", SharedNode: "shared", BlockNode: "block", ParallelNode: "parallel",
            MergeNode: "merge"}.get(type(value))


#: One entry of a layer list, told apart by its keys.
Node = Annotated[
    Union[
        Annotated[LayerField, Tag("spec")],
        Annotated[LayerNode, Tag("layer")],
        Annotated[SharedNode, Tag("shared")],
        Annotated[BlockNode, Tag("block")],
        Annotated[ParallelNode, Tag("parallel")],
        Annotated[MergeNode, Tag("merge")],
    ],
    Discriminator(
        node_tag,
        custom_error_type=RULE,
        custom_error_message="an entry must be a layer expression, a mapping with 'type', or a mapping with "
        "exactly one of 'layer', 'shared', 'layers', 'parallel' or 'merge'",
    ),
]


def shown(path: str) -> str:
    """A path as messages show it: ``layer 3`` for an unnamed top-level entry, else the path itself."""
    return f"layer {path}" if path[:1].isdigit() else path


def children(node: Any) -> list[Any]:
    """The entries inside a block (main path, shortcut, after) or a parallel entry; none for a layer."""
    if isinstance(node, BlockNode):
        extra = node.shortcut if isinstance(node.shortcut, list) else []
        return [*node.layers, *extra, *(node.after or [])]
    if isinstance(node, ParallelNode):
        return list(node.parallel)
    return []


def count_layers(nodes: list[Any]) -> int:
    """Number of layers after expanding every repeat (computed, not materialised; stops past MAX_LAYERS)."""
    total = 0
    for node in nodes:
        if isinstance(node, BlockNode):
            total += node.repeat * count_layers(children(node))
        elif isinstance(node, ParallelNode):
            total += count_layers(node.parallel)
        else:
            total += node.repeat if isinstance(node, LayerNode) else 1
        if total > MAX_LAYERS:
            return total
    return total
