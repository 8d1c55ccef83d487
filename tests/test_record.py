"""paramcalc.record, the validation core under the layer specs.

Its rules for single values are pydantic's lax and strict rules where the specs rely on them;
pydantic (installed with Typer) is the reference here: for every annotation the specs use, a
value is accepted by both or refused by both, and accepted values come out equal and of the
same type.
"""

# Annotations are evaluated at class creation: records read them as types.

from typing import Annotated, Any, ClassVar, Literal, Optional, Union

import pydantic  # a dependency of Typer, so present wherever paramcalc is
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc.record import Choice, Field, Invalid, Record, compile_type, field_validator, json_schema, model_validator



def _pair(rule: dict[str, Any], inner: Any) -> tuple[Any, Any]:
    """The same annotation for paramcalc.record and for pydantic."""
    ours = Annotated[inner, Field(**rule)] if rule else inner
    theirs = Annotated[inner, pydantic.Field(**rule)] if rule else inner
    return ours, theirs


ANNOTATIONS = {
    "PosInt": ({"strict": True, "ge": 1}, int),
    "NonNegInt": ({"strict": True, "ge": 0}, int),
    "StrictBool": ({"strict": True}, bool),
    "Probability": ({"ge": 0.0, "le": 1.0}, float),
    "StrictProbability": ({"strict": True, "ge": 0.0, "le": 1.0}, float),
    "Eps": ({"gt": 0.0}, float),
    "int": ({}, int),
    "float": ({}, float),
    "bool": ({}, bool),
    "str": ({}, str),
    "IntTuple": ({}, tuple[int, ...]),
    "Literal": ({}, Literal["zeros", "reflect", "replicate", "circular"]),
}

VALUES = st.one_of(
    st.integers(-5, 5), st.integers(min_value=-(2**70), max_value=2**70), st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-3, max_value=3), st.sampled_from([0.0, 1.0, 2.0, -0.0]),
    st.sampled_from(["", "3", " 7 ", "0.5", "1e-5", "true", "no", "zeros", "reflect", "x", "1_000"]),
    st.none(), st.lists(st.integers(-3, 3), max_size=3), st.tuples(st.integers(0, 3), st.booleans()),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


@pytest.mark.parametrize("name", sorted(ANNOTATIONS))
@given(value=VALUES)
def test_single_values_follow_pydantics_rules(name: str, value: Any) -> None:
    rule, inner = ANNOTATIONS[name]
    ours, theirs = _pair(rule, inner)
    try:
        expected = pydantic.TypeAdapter(theirs).validate_python(value)
    except pydantic.ValidationError:
        expected = Invalid
    try:
        got = compile_type(ours, Field())(value, ("x",))
    except Invalid:
        got = Invalid
    assert got == expected and type(got) is type(expected), (name, value, got, expected)


@given(value=st.one_of(st.integers(-3, 3), st.text(max_size=3), st.none(), st.booleans()))
def test_a_union_keeps_a_value_of_a_members_own_type(value: Any) -> None:
    ours = Union[int, str, None]
    expected = pydantic.TypeAdapter(ours).validate_python(value)
    got = compile_type(ours, Field())(value, ("x",))
    assert got == expected and type(got) is type(expected)


# -- Records ---------------------------------------------------------------------------------


class Window(Record):
    """A test record: sizes, a default validated through a before-validator, a cross-field rule."""

    kind: ClassVar[str] = "window"
    size: Annotated[int, Field(strict=True, ge=1)]
    stride: tuple[int, ...] = Field(1, validate_default=True)
    name: Optional[str] = Field(None, alias="label", max_length=5)

    _expand = field_validator("stride", mode="before")(classmethod(lambda cls, v: (v, v) if isinstance(v, int) else v))

    @model_validator(mode="after")
    def _check(self) -> "Window":
        if self.stride[0] > self.size:
            raise ValueError("stride must not exceed size")
        return self


def test_a_record_is_checked_frozen_and_compared_by_value() -> None:
    w = Window(size=3)
    assert w.stride == (1, 1) and w.name is None  # the default went through the before-validator
    assert w == Window(size=3, stride=[1, 1]) and hash(w) == hash(Window(size=3, stride=(1, 1)))
    assert w != Window(size=4)
    with pytest.raises(AttributeError):
        w.size = 4  # type: ignore[misc]
    assert list(Window.model_fields) == ["size", "stride", "name"]
    assert Window.model_fields["name"].alias == "label" and Window.model_fields["size"].is_required()
    assert Window(size=2, label="ab").model_dump(mode="json", by_alias=True) == {"size": 2, "stride": [1, 1], "label": "ab"}


@pytest.mark.parametrize(
    ("data", "kind", "path"),
    [
        ({}, "missing", ("size",)),
        ({"size": 0}, "greater_than_equal", ("size",)),
        ({"size": True}, "int_type", ("size",)),
        ({"size": 2, "stride": [1, "a"]}, "int_parsing", ("stride", 1)),
        ({"size": 2, "label": "toolong"}, "string_too_long", ("label",)),
        ({"size": 2, "name": "x"}, "extra_forbidden", ("name",)),  # by its alias only
        ({"size": 2, "stride": 3}, "value_error", ()),
    ],
)
def test_a_broken_rule_names_its_place(data: dict[str, Any], kind: str, path: tuple[Any, ...]) -> None:
    with pytest.raises(Invalid) as info:
        Window(**data)
    assert (info.value.kind, info.value.path) == (kind, path)


def test_entries_told_apart_by_a_tag_and_their_schema() -> None:
    class Box(Record):
        items: list[Choice(lambda v: "n" if isinstance(v, int) else "w" if isinstance(v, dict) else None,
                           {"n": Annotated[int, Field(ge=0)], "w": Window}, "an item is a size or a window")]

    box = Box(items=[3, {"size": 2}])
    assert box.items == [3, Window(size=2)]
    with pytest.raises(Invalid) as info:
        Box(items=[1, "x"])
    assert (info.value.kind, info.value.path, info.value.rule()) == ("choice", ("items", 1), "an item is a size or a window")
    with pytest.raises(Invalid) as info:
        Box(items=[{"size": 0}])
    assert info.value.path == ("items", 0, "size")
    defs: dict[str, Any] = {}
    schema = json_schema(Box, defs, lambda cls: cls.__name__)
    assert schema["properties"]["items"]["items"] == {"anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/Window"}]}
    assert defs["Window"]["required"] == ["size"] and defs["Window"]["additionalProperties"] is False
