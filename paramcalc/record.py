"""Frozen, validated records: the small validation core under every layer spec.

A record class declares its fields as annotated class attributes, with defaults, the way a
dataclass does; the annotation is the rule. What the specs need, and nothing more:

- ``int``, ``float``, ``bool``, ``str``, ``None``, ``Any``, ``Literal[...]``, ``tuple[X, ...]`` and
  ``tuple[X]``, unions (``X | None``, ``X | Y``), other record classes (an instance, or a mapping
  that builds one), and ``Annotated[X, Field(strict=True, ge=0, ...)]`` for strictness and bounds;
- ``field_validator(*names, mode="before")`` to reshape a value before its type is checked (an int
  kernel size into a tuple), ``model_validator(mode="before")`` on the whole argument mapping and
  ``model_validator(mode="after")`` on the built record (rules that involve several fields);
- immutability, equality and hashing by value, ``model_dump`` and ``model_fields``.

Validation follows pydantic's lax rules where the specs relied on them (a float field takes an int
or a numeric string and stores a float; a strict int takes an int and never a bool). A class is
compiled into its field checks the first time it is used, so defining the ~100 layer classes costs
well under a millisecond each, and a query that uses one compiles one.

Problems are raised as :class:`Invalid` (kind, location, value, context); the spec base turns the
first problem into one readable line.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin


class _Required:
    """The default of a field that must be given."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


class Invalid(Exception):
    """A value that breaks a rule: ``kind`` (pydantic's error names), ``path`` (field names and
    indices, outermost first), ``value`` and the rule's context (``ge=0``, ``expected=...``)."""

    def __init__(self, kind: str, path: tuple[Any, ...], value: Any = None, **ctx: Any) -> None:
        super().__init__(kind, path)
        self.kind = kind
        self.path = path
        self.value = value
        self.ctx = ctx

    @property
    def loc(self) -> str:
        """The path as messages show it: ``output_size.0``."""
        return ".".join(str(p) for p in self.path)

    def message(self, limit: int = 80) -> str:
        """The problem in a line, without its place: ``missing required key 'answers'``,
        ``must be >= 1. Received: 0`` (the value cut to ``limit`` characters)."""
        if self.kind == "missing":
            return f"missing required key {self.path[-1]!r}"
        if self.kind == "extra_forbidden":
            return f"unknown key {self.path[-1]!r}"
        if self.kind in ("value_error", "choice"):
            return self.rule()
        from paramcalc.errors import short_repr

        return f"{self.rule()}. Received: {short_repr(self.value, limit)}"

    def rule(self) -> str:
        """The broken rule in a few words: ``must be >= 1``."""
        ctx = self.ctx
        rules: dict[str, Callable[[], str]] = {
            "greater_than_equal": lambda: f"must be >= {ctx.get('ge')}",
            "greater_than": lambda: f"must be > {ctx.get('gt')}",
            "less_than_equal": lambda: f"must be <= {ctx.get('le')}",
            "less_than": lambda: f"must be < {ctx.get('lt')}",
            "int_type": lambda: "must be an integer",
            "int_from_float": lambda: "must be an integer",
            "int_parsing": lambda: "must be an integer",
            "bool_type": lambda: "must be true or false",
            "bool_parsing": lambda: "must be true or false",
            "float_type": lambda: "must be a number",
            "float_parsing": lambda: "must be a number",
            "finite_number": lambda: "must be a finite number",
            "literal_error": lambda: f"must be {ctx.get('expected')}",
            "tuple_type": lambda: "must be a tuple",
            "tuple_length": lambda: f"must have {ctx.get('size')} entries",
            "list_type": lambda: "must be a list",
            "dict_type": lambda: "must be a mapping",
            "too_short": lambda: f"must have at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}",
            "too_long": lambda: f"must have at most {ctx.get('max_length')} entries",
            "string_type": lambda: "must be a string",
            "string_too_long": lambda: f"must be at most {ctx.get('max_length')} characters",
            "string_pattern_mismatch": lambda: f"must match {ctx.get('pattern')}",
            "none_required": lambda: "must be None",
            "model_type": lambda: f"must be a {ctx.get('expected')} (one, or a mapping of its arguments)",
            "missing": lambda: "is required",
            "extra_forbidden": lambda: "is not a known key",
            "value_error": lambda: str(ctx.get("error")),
            "choice": lambda: str(ctx.get("message")),
        }
        return rules.get(self.kind, lambda: f"is not valid ({self.kind})")()


class Field:
    """A field's default and rules. ``Field(1, validate_default=True)``, ``Annotated[int, Field(ge=0)]``."""

    __slots__ = ("default", "alias", "description", "validate_default", "strict", "ge", "gt", "le", "lt",
                 "min_length", "max_length", "pattern", "annotation")

    def __init__(
        self, default: Any = REQUIRED, *, alias: str | None = None, description: str | None = None,
        validate_default: bool = False, strict: bool = False, ge: Any = None, gt: Any = None,
        le: Any = None, lt: Any = None, min_length: int | None = None, max_length: int | None = None,
        pattern: str | None = None, discriminator: str | None = None,
    ) -> None:
        self.default = default
        self.alias = alias
        self.description = description
        self.validate_default = validate_default
        self.strict = strict
        self.ge, self.gt, self.le, self.lt = ge, gt, le, lt
        self.min_length, self.max_length, self.pattern = min_length, max_length, pattern
        #: The field's type, with any outer ``Annotated`` taken off (set when the class is compiled).
        self.annotation: Any = Any

    def is_required(self) -> bool:
        return self.default is REQUIRED

    def __repr__(self) -> str:
        return f"Field(default={self.default!r}, annotation={self.annotation!r})"


def ConfigDict(**options: Any) -> dict[str, Any]:  # noqa: N802 - reads like the class-level setting it is
    """Class options: ``frozen``, ``extra`` ("forbid"), ``populate_by_name`` (accept the field's own name
    besides its alias)."""
    return options


# -- Validators ------------------------------------------------------------------------------


class _Validator:
    __slots__ = ("func", "fields", "mode", "takes_info")

    def __init__(self, func: Any, fields: tuple[str, ...], mode: str) -> None:
        raw = func.__func__ if isinstance(func, (classmethod, staticmethod)) else func
        self.func = raw
        self.fields = fields
        self.mode = mode
        self.takes_info = raw.__code__.co_argcount >= 3


def field_validator(*fields: str, mode: str = "before", check_fields: bool = True) -> Callable[[Any], Any]:
    """Mark ``func(cls, value[, info])`` to reshape the named fields' values before their types are checked."""
    if mode != "before":
        raise ValueError("field validators run before the type check (mode='before')")

    def mark(func: Any) -> _Validator:
        return _Validator(func, fields, "field")

    return mark


def model_validator(*, mode: str) -> Callable[[Any], Any]:
    """Mark ``func(cls, data) -> data`` (mode="before") or ``func(self) -> self`` (mode="after")."""
    if mode not in ("before", "after"):
        raise ValueError("model validators run before or after the fields (mode='before' or 'after')")

    def mark(func: Any) -> _Validator:
        return _Validator(func, (), mode)

    return mark


class _Info:
    """What a field validator may ask: the field's name."""

    __slots__ = ("field_name",)

    def __init__(self, field_name: str) -> None:
        self.field_name = field_name


# -- Type checks -----------------------------------------------------------------------------

Check = Callable[[Any, tuple[Any, ...]], Any]
_NONE = type(None)
_UNIONS = (Union, types.UnionType)
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _expected(values: tuple[Any, ...]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _int(strict: bool) -> Check:
    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        kind = type(v)
        if kind is int:
            return v
        if kind is bool or (strict and not isinstance(v, int)):
            if strict:
                raise Invalid("int_type", loc, v)
            return int(v)
        if isinstance(v, int):
            return int(v)
        if isinstance(v, float):
            if not math.isfinite(v):
                raise Invalid("finite_number", loc, v)
            if v != int(v):
                raise Invalid("int_from_float", loc, v)
            return int(v)
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                raise Invalid("int_parsing", loc, v) from None
        raise Invalid("int_type", loc, v)

    return check


def _float(strict: bool) -> Check:
    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        kind = type(v)
        if kind is float:
            return v
        if kind is int or (kind is bool and not strict) or (isinstance(v, (int, float)) and kind is not bool):
            try:
                return float(v)
            except OverflowError:
                raise Invalid("float_parsing", loc, v) from None
        if isinstance(v, str) and not strict:
            try:
                return float(v.strip())
            except ValueError:
                raise Invalid("float_parsing", loc, v) from None
        raise Invalid("float_type", loc, v)

    return check


def _bool(strict: bool) -> Check:
    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if type(v) is bool:
            return v
        if strict:
            raise Invalid("bool_type", loc, v)
        if type(v) in (int, float) and v in (0, 1):
            return bool(v)
        if isinstance(v, str):
            text = v.strip().lower()
            if text in _TRUE or text in _FALSE:
                return text in _TRUE
            raise Invalid("bool_parsing", loc, v)
        raise Invalid("bool_parsing" if isinstance(v, (int, float)) else "bool_type", loc, v)

    return check


def _str(v: Any, loc: tuple[Any, ...]) -> Any:
    if isinstance(v, str):
        return v
    raise Invalid("string_type", loc, v)


def _constrained_str(rules: Field) -> Check:
    if rules.max_length is None and rules.pattern is None:
        return _str
    import re

    limit, pattern = rules.max_length, rules.pattern
    compiled = None if pattern is None else re.compile(pattern)

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        v = _str(v, loc)
        if limit is not None and len(v) > limit:
            raise Invalid("string_too_long", loc, v, max_length=limit)
        if compiled is not None and not compiled.search(v):
            raise Invalid("string_pattern_mismatch", loc, v, pattern=pattern)
        return v

    return check


def _sized(rules: Field, v: Any, loc: tuple[Any, ...]) -> None:
    if rules.min_length is not None and len(v) < rules.min_length:
        raise Invalid("too_short", loc, v, min_length=rules.min_length)
    if rules.max_length is not None and len(v) > rules.max_length:
        raise Invalid("too_long", loc, v, max_length=rules.max_length)


def _list(item_type: Any, rules: Field) -> Check:
    item = compile_type(item_type, Field())

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if not isinstance(v, (list, tuple)):
            raise Invalid("list_type", loc, v)
        _sized(rules, v, loc)
        return [item(x, (*loc, i)) for i, x in enumerate(v)]

    return check


def _dict(key_type: Any, value_type: Any, rules: Field) -> Check:
    key_check = compile_type(key_type, Field())
    value_check = compile_type(value_type, Field())

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if not isinstance(v, dict):
            raise Invalid("dict_type", loc, v)
        _sized(rules, v, loc)
        return {key_check(k, (*loc, k)): value_check(x, (*loc, k)) for k, x in v.items()}

    return check


class Choice:
    """An annotation: one of several types, chosen by ``tag(value)`` (None: none fits, ``message`` says why).

    ``Choice(tag, {"layer": LayerNode, "block": BlockNode}, "an entry must be ...")``
    """

    def __init__(self, tag: Callable[[Any], Any], options: dict[Any, Any], message: str) -> None:
        self.tag = tag
        self.options = options
        self.message = message
        self._checks: dict[Any, Check] | None = None

    def check(self, v: Any, loc: tuple[Any, ...]) -> Any:
        if self._checks is None:
            self._checks = {tag: compile_type(tp, Field()) for tag, tp in self.options.items()}
        chosen = self._checks.get(self.tag(v))
        if chosen is None:
            raise Invalid("choice", loc, v, message=self.message)
        return chosen(v, loc)


class Convert:
    """``Annotated[Any, Convert(func, schema)]``: the value is ``func(value)`` (a ValueError breaks the
    rule with its message); ``schema`` is its JSON Schema."""

    def __init__(self, func: Callable[[Any], Any], schema: dict[str, Any] | None = None) -> None:
        self.func = func
        self.schema = schema or {}

    def check(self, v: Any, loc: tuple[Any, ...]) -> Any:
        try:
            return self.func(v)
        except Invalid:
            raise
        except ValueError as exc:
            raise Invalid("value_error", loc, v, error=exc) from None


def _bounded(check: Check, rules: Field, exact_int: bool = False) -> Check:
    """``check`` followed by the bounds of ``rules``; ``exact_int``: an int passes ``check`` unchanged."""
    bounds = [(name, getattr(rules, name)) for name in ("ge", "gt", "le", "lt") if getattr(rules, name) is not None]
    if not bounds:
        return check
    kinds = {"ge": "greater_than_equal", "gt": "greater_than", "le": "less_than_equal", "lt": "less_than"}
    lo = next((b for n, b in bounds if n == "ge"), None)
    if exact_int and [n for n, _ in bounds] == ["ge"]:
        def at_least(raw: Any, loc: tuple[Any, ...]) -> Any:  # the common case, kept short: a size >= 0 or >= 1
            if type(raw) is int and raw >= lo:
                return raw
            v = check(raw, loc)
            if v < lo:
                raise Invalid("greater_than_equal", loc, raw, ge=lo)
            return v

        return at_least

    def bounded(raw: Any, loc: tuple[Any, ...]) -> Any:
        v = check(raw, loc)
        for name, bound in bounds:
            if (v < bound if name == "ge" else v <= bound if name == "gt" else v > bound if name == "le" else v >= bound):
                raise Invalid(kinds[name], loc, raw, **{name: bound})
        return v

    return bounded


def _literal(values: tuple[Any, ...]) -> Check:
    allowed = [(type(a), a) for a in values]
    expected = _expected(values)

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        for kind, a in allowed:
            if type(v) is kind and v == a:
                return a
        raise Invalid("literal_error", loc, v, expected=expected)

    return check


def _tuple(items: tuple[Any, ...], rules: Field) -> Check:
    if len(items) == 2 and items[1] is Ellipsis:
        item = compile_type(items[0], Field())
        size = None
    else:
        checks = [compile_type(t, Field()) for t in items]
        size = len(checks)

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if not isinstance(v, (tuple, list, set, frozenset)):
            raise Invalid("tuple_type", loc, v)
        if size is None:
            return tuple([item(x, (*loc, i)) for i, x in enumerate(v)])
        if len(v) != size:
            raise Invalid("tuple_length", loc, v, size=size)
        return tuple([c(x, (*loc, i)) for i, (c, x) in enumerate(zip(checks, v))])

    return check


def _record(cls: type[Record]) -> Check:
    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if isinstance(v, cls):
            return v
        if isinstance(v, dict) and all(isinstance(k, str) for k in v):
            try:
                return cls(**v)
            except Invalid as problem:  # a problem inside: say where it is from here
                problem.path = (*loc, *problem.path)
                raise
        raise Invalid("model_type", loc, v, expected=cls.__name__)

    return check


def _union(members: tuple[Any, ...], rules: Field) -> Check:
    nullable = _NONE in members
    checks = [compile_type(m, rules) for m in members if m is not _NONE]
    if len(checks) == 1:
        only = checks[0]
        if not nullable:
            return only
        return lambda v, loc: None if v is None else only(v, loc)

    def check(v: Any, loc: tuple[Any, ...]) -> Any:
        if v is None and nullable:
            return None
        first: Invalid | None = None
        found: list[Any] = []
        for c in checks:
            try:
                result = c(v, loc)
            except Invalid as problem:
                first = first or problem
                continue
            if type(result) is type(v):  # as it was given (a "3" stays a string where a str may be)
                return result
            found.append(result)
        if found:
            return found[0]
        assert first is not None
        raise first

    return check


def compile_type(tp: Any, rules: Field) -> Check:
    """The check for one annotation, with the strictness and bounds of ``rules``."""
    if isinstance(tp, Choice):
        return tp.check
    origin = get_origin(tp)
    if origin is Annotated:
        inner, *extras = get_args(tp)
        convert = next((e for e in extras if isinstance(e, Convert)), None)
        if convert is not None:
            return convert.check
        merged = _merge(rules, [e for e in extras if isinstance(e, Field)])
        return compile_type(inner, merged)
    if tp is Any:
        return lambda v, loc: v
    if tp is None or tp is _NONE:
        def none(v: Any, loc: tuple[Any, ...]) -> Any:
            if v is None:
                return None
            raise Invalid("none_required", loc, v)
        return none
    if origin in _UNIONS:
        return _union(get_args(tp), rules)
    if origin is Literal:
        return _literal(get_args(tp))
    if origin is tuple:
        return _tuple(get_args(tp), rules)
    if origin is list:
        return _list(get_args(tp)[0], rules)
    if origin is dict:
        return _dict(*get_args(tp), rules)
    if tp is bool:
        return _bool(rules.strict)
    if tp is int:
        return _bounded(_int(rules.strict), rules, exact_int=True)
    if tp is float:
        return _bounded(_float(rules.strict), rules)
    if tp is str:
        return _constrained_str(rules)
    if isinstance(tp, type) and issubclass(tp, Record):
        return _record(tp)
    raise TypeError(f"record fields cannot be of type {tp!r}")


def _merge(base: Field, extras: list[Field]) -> Field:
    if not extras:
        return base
    merged = Field()
    for source in (base, *extras):
        for name in ("strict", "ge", "gt", "le", "lt", "min_length", "max_length", "pattern"):
            value = getattr(source, name)
            if value is not None and value is not False:
                setattr(merged, name, value)
    return merged


# -- Compiled classes ------------------------------------------------------------------------


class _Plan:
    """A record class compiled: its fields and checks, in validation order."""

    __slots__ = ("fields", "names", "keys", "steps", "before", "after", "accepted")

    def __init__(self, cls: type[Record]) -> None:
        annotations: dict[str, Any] = {}
        validators: dict[str, _Validator] = {}
        for klass in reversed(cls.__mro__):
            if not issubclass(klass, Record) or klass is Record:
                continue
            for name, value in vars(klass).items():
                if isinstance(value, _Validator):
                    validators[name] = value
            for name, ann in vars(klass).get("__annotations__", {}).items():
                if isinstance(ann, str):
                    raise TypeError(f"{klass.__name__}.{name}: record annotations must be types, not strings")
                if name.startswith("_") or get_origin(ann) is ClassVar or ann is ClassVar:
                    continue
                annotations[name] = ann  # a redefinition keeps the first position, as inheritance reads
        config = cls.model_config
        by_name = bool(config.get("populate_by_name"))
        self.fields: dict[str, Field] = {}
        self.steps: list[tuple[str, str, Any, bool, list[_Validator], Check, tuple[str]]] = []
        self.accepted: dict[str, str] = {}
        for name, ann in annotations.items():
            info = Field()
            declared = _class_default(cls, name)
            rules = [declared] if isinstance(declared, Field) else []
            top = ann
            while get_origin(top) is Annotated:
                inner, *extras = get_args(top)
                rules = [e for e in extras if isinstance(e, Field)] + rules
                top = inner
            for rule in rules:
                for attr in ("alias", "description"):
                    if getattr(rule, attr) is not None:
                        setattr(info, attr, getattr(rule, attr))
                info.validate_default = info.validate_default or rule.validate_default
            if isinstance(declared, Field):
                info.default = declared.default
            elif declared is not REQUIRED:
                info.default = declared
            info.annotation = top
            check = compile_type(ann, _merge(Field(), rules))
            self.fields[name] = info
            key = info.alias or name
            self.accepted[key] = name
            if info.alias and by_name:
                self.accepted[name] = name
            before = [v for v in validators.values() if v.mode == "field" and name in v.fields]
            self.steps.append((name, key, info.default, info.validate_default, before, check, (key,)))
        self.names = tuple(self.fields)
        self.keys = frozenset(self.accepted)
        self.before = [v for v in validators.values() if v.mode == "before"]
        self.after = [v for v in validators.values() if v.mode == "after"]


def _class_default(cls: type, name: str) -> Any:
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return REQUIRED


class _RecordMeta(type):
    @property
    def model_fields(cls) -> dict[str, Field]:
        """The fields by name, in order: ``default``, ``alias``, ``description``, ``annotation``."""
        return cls._plan().fields  # type: ignore[attr-defined]


def _call(validator: _Validator, owner: Any, value: Any, field: str) -> Any:
    if validator.takes_info:
        return validator.func(owner, value, _Info(field))
    return validator.func(owner, value)


class Record(metaclass=_RecordMeta):
    """A frozen record whose fields are checked when it is made (see the module's docstring)."""

    model_config: ClassVar[dict[str, Any]] = {"frozen": True, "extra": "forbid"}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = vars(cls).get("model_config")
        inherited = {k: v for base in reversed(cls.__mro__[1:]) for k, v in getattr(base, "model_config", {}).items()}
        cls.model_config = {**inherited, **(own or {})}

    @classmethod
    def _plan(cls) -> _Plan:
        plan = cls.__dict__.get("_compiled")
        if plan is None:
            plan = _Plan(cls)
            type.__setattr__(cls, "_compiled", plan)
        return plan

    def __init__(self, **data: Any) -> None:
        plan = type(self)._plan()
        cls = type(self)
        for validator in plan.before:
            try:
                data = validator.func(cls, data)
            except Invalid:
                raise
            except ValueError as exc:
                raise Invalid("value_error", (), data, error=exc) from None
            if not isinstance(data, dict):
                raise Invalid("dict_type", (), data)
        if not plan.keys.issuperset(data):
            first = next(k for k in data if k not in plan.keys)
            raise Invalid("extra_forbidden", (first,), data[first])
        values = self.__dict__
        for name, key, default, validate_default, before, check, loc in plan.steps:
            if key in data:
                value = data[key]
            elif name in data and name in plan.accepted:
                value = data[name]
            elif default is REQUIRED:
                raise Invalid("missing", loc, None)
            elif not validate_default:
                values[name] = default
                continue
            else:
                value = default
            if before:
                try:
                    for validator in before:
                        value = _call(validator, cls, value, name)
                except Invalid:
                    raise
                except ValueError as exc:
                    raise Invalid("value_error", loc, value, error=exc) from None
            values[name] = check(value, loc)
        for validator in plan.after:
            try:
                validator.func(self)
            except Invalid:
                raise
            except ValueError as exc:
                raise Invalid("value_error", (), None, error=exc) from None

    # -- immutability and value semantics ----------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: make a new one instead of setting {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def _values(self) -> tuple[Any, ...]:
        values = self.__dict__
        return tuple(values[name] for name in type(self)._plan().names)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__qualname__, self._values()))

    def __iter__(self) -> Any:
        values = self.__dict__
        return ((name, values[name]) for name in type(self)._plan().names)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self)})"

    def __copy__(self) -> Record:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Record:
        return self

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), dict(self.__dict__)))

    # -- data --------------------------------------------------------------------------------
    def model_dump(self, mode: str = "python", by_alias: bool = False) -> dict[str, Any]:
        """The fields as a mapping (nested records as mappings; with mode="json", tuples as lists)."""
        fields = type(self)._plan().fields
        data = {
            (fields[name].alias or name) if by_alias else name: _dump(value, mode, by_alias)
            for name, value in self
        }
        return self._arrange(data)

    def _arrange(self, data: dict[str, Any]) -> dict[str, Any]:
        """The dumped mapping in the order it is written (subclasses may reorder it)."""
        return data


def _dump(value: Any, mode: str, by_alias: bool) -> Any:
    if isinstance(value, Record):
        return value.model_dump(mode, by_alias)
    if isinstance(value, tuple) and mode == "json":
        return [_dump(v, mode, by_alias) for v in value]
    return value


def _rebuild(cls: type[Record], values: dict[str, Any]) -> Record:
    record = object.__new__(cls)
    record.__dict__.update(values)
    return record


# -- JSON Schema -----------------------------------------------------------------------------


def json_schema(cls: type[Record], defs: dict[str, Any], name_of: Callable[[type[Record]], str]) -> dict[str, Any]:
    """The JSON Schema of a record class (fields by their aliases); nested record classes go into ``defs``
    under ``name_of(cls)`` and are referenced as ``#/$defs/<name>``."""
    properties: dict[str, Any] = {}
    required = []
    for name, info in cls.model_fields.items():
        key = info.alias or name
        declared = _declared(cls, name)
        default = _class_default(cls, name)
        if isinstance(default, Field):
            declared = Annotated[declared, default]
        prop = {"title": key.replace("_", " ").replace("$", "").strip().title(), **_type_schema(declared, defs, name_of)}
        if info.description:
            prop["description"] = info.description
        if info.is_required():
            required.append(key)
        else:
            prop["default"] = _dump(info.default, "json", True)
        properties[key] = prop
    schema: dict[str, Any] = {"title": cls.model_config.get("title", cls.__name__), "type": "object"}
    if cls.__doc__:
        schema["description"] = " ".join(cls.__doc__.split())
    schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["additionalProperties"] = False
    return schema


def _declared(cls: type[Record], name: str) -> Any:
    for klass in cls.__mro__:
        annotation = vars(klass).get("__annotations__", {}).get(name)
        if annotation is not None:
            return annotation
    return Any


_JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


_RULE_KEYS = {
    "number": (("ge", "minimum"), ("gt", "exclusiveMinimum"), ("le", "maximum"), ("lt", "exclusiveMaximum")),
    "string": (("max_length", "maxLength"), ("pattern", "pattern")),
    "array": (("min_length", "minItems"), ("max_length", "maxItems")),
    "object": (("min_length", "minProperties"), ("max_length", "maxProperties")),
}


def _type_schema(tp: Any, defs: dict[str, Any], name_of: Callable[[type[Record]], str]) -> dict[str, Any]:
    if isinstance(tp, Choice):
        return {"anyOf": [_type_schema(t, defs, name_of) for t in dict.fromkeys(tp.options.values())]}
    origin = get_origin(tp)
    if origin is Annotated:
        inner, *extras = get_args(tp)
        convert = next((e for e in extras if isinstance(e, Convert)), None)
        if convert is not None:
            return dict(convert.schema)
        schema = _type_schema(inner, defs, name_of)
        kind = {"integer": "number"}.get(schema.get("type"), schema.get("type"))
        for rule in extras:
            if isinstance(rule, Field):
                for attr, key in _RULE_KEYS.get(kind, ()):
                    if getattr(rule, attr) is not None:
                        schema[key] = getattr(rule, attr)
                if rule.description:
                    schema["description"] = rule.description
        return schema
    if tp is Any:
        return {}
    if tp is None or tp is _NONE:
        return {"type": "null"}
    if origin in _UNIONS:
        return {"anyOf": [_type_schema(m, defs, name_of) for m in get_args(tp)]}
    if origin is Literal:
        values = list(get_args(tp))
        kinds = {_JSON_TYPES.get(type(v)) for v in values}
        schema = {"const": values[0]} if len(values) == 1 else {"enum": values}
        return {**schema, "type": kinds.pop()} if len(kinds) == 1 and None not in kinds else schema
    if origin is list:
        return {"type": "array", "items": _type_schema(get_args(tp)[0], defs, name_of)}
    if origin is dict:
        key, value = get_args(tp)
        keys = _type_schema(key, defs, name_of)
        schema = {"type": "object", "additionalProperties": _type_schema(value, defs, name_of)}
        return {**schema, "propertyNames": keys} if len(keys) > 1 else schema
    if origin is tuple:
        items = get_args(tp)
        if len(items) == 2 and items[1] is Ellipsis:
            return {"type": "array", "items": _type_schema(items[0], defs, name_of)}
        return {"type": "array", "prefixItems": [_type_schema(t, defs, name_of) for t in items],
                "minItems": len(items), "maxItems": len(items)}
    if tp in _JSON_TYPES:
        return {"type": _JSON_TYPES[tp]}
    if isinstance(tp, type) and issubclass(tp, Record):
        name = name_of(tp)
        if name not in defs:
            defs[name] = {}  # claimed first: a record may refer to itself
            defs[name] = json_schema(tp, defs, name_of)
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no JSON Schema for {tp!r}")
