"""The JSON Schema of model files, from pydantic: the format's classes and every layer type's arguments."""

from __future__ import annotations

from typing import Any

from paramcalc.models.format import Model
from paramcalc.models.nodes import LAYER_MARK

DRAFT = "https://json-schema.org/draft/2020-12/schema"


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


def _walk(node: Any, visit: Any) -> Any:
    """Apply ``visit`` to every mapping in a schema, depth first; returns the schema."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)
    return node


def _tag(cls: Any) -> str:
    return str(cls.model_fields["type"].default)


def layer_classes() -> dict[str, type]:
    """Every layer type by its ``type`` tag: PyTorch's, then Keras's (``keras.LSTM``)."""
    from paramcalc.specs import registry

    classes: dict[str, type] = {}
    for framework in ("pytorch", "keras"):
        for cls in registry.layers(framework).values():
            classes.setdefault(_tag(cls), cls)
    return classes


def _spec_definitions(classes: dict[str, type]) -> dict[str, Any]:
    """The layer types' schemas by tag, with what they refer to (a TransformerEncoder's layer)."""
    from pydantic.json_schema import models_json_schema

    refs, document = models_json_schema([(cls, "validation") for cls in classes.values()],
                                        ref_template="#/$defs/{model}")
    defs: dict[str, Any] = document.get("$defs", {})
    names = {refs[(cls, "validation")]["$ref"].rsplit("/", 1)[-1]: tag for tag, cls in classes.items()}
    renamed = {names.get(name, name): schema for name, schema in defs.items()}

    def relink(node: dict[str, Any]) -> None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node["$ref"] = "#/$defs/" + names.get(ref[len("#/$defs/"):], ref[len("#/$defs/"):])

    return _walk(renamed, relink)


def model_json_schema() -> dict[str, Any]:
    """The JSON Schema of model files, with every layer type's arguments (for editors)."""

    def link(node: dict[str, Any]) -> None:
        if node.pop(LAYER_MARK, False):
            node["$ref"] = "#/$defs/Layer"
        if "oneOf" in node:  # an entry is told apart by its keys, which the schema cannot express
            node["anyOf"] = node.pop("oneOf")

    schema = _walk(Model.model_json_schema(ref_template="#/$defs/{model}"), link)
    classes = layer_classes()
    spec_defs = _spec_definitions(classes)
    for definition in spec_defs.values():
        for name, prop in definition.get("properties", {}).items():
            definition["properties"][name] = _int_or_ints(prop)
    defs = schema.setdefault("$defs", {})
    defs.update(spec_defs)
    defs["Layer"] = {
        "title": "Layer",
        "description": "a layer: a constructor expression such as \"Conv2d(3, 64, 3, padding=1)\", "
        "or a mapping with 'type' and the constructor's arguments",
        "anyOf": [
            {"type": "string", "description": "a constructor expression, e.g. \"Linear(512, 10)\""},
            {
                "oneOf": [{"$ref": f"#/$defs/{name}"} for name in classes],
                "discriminator": {"propertyName": "type", "mapping": {name: f"#/$defs/{name}" for name in classes}},
            },
        ],
    }
    schema["$schema"] = DRAFT
    return schema
