"""Model summaries: immutable rows (one per layer or block) plus totals, like torchinfo and Keras.

Collecting the rows happens in :mod:`paramcalc.models.evaluate` (or :mod:`paramcalc.readers.torchprint`);
this module holds the result, its arithmetic and its plain data; :mod:`paramcalc.render.summary` turns
it into a Rich table (registered as its Rich form, :mod:`paramcalc.forms`) and the JSON document the CLI
prints (with MACs and FLOPs).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from paramcalc import forms
from paramcalc.errors import ModelError
from paramcalc.results import Count

Shape = tuple[int, ...]
#: One row's receptive field: (path, field, jump); field "all" for the whole input, None where not shown.
FieldCell = tuple[str, "int | str | None", "int | None"]

#: Bytes per parameter for the memory lines: fp32, fp16/bf16 and int8.
DTYPE_BYTES: dict[str, int] = {"fp32": 4, "fp16/bf16": 2, "int8": 1}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a summary: a layer, a block, or one repetition of a block.

    ``count`` covers every instance the row stands for (``repeat`` of them, e.g. 32 identical
    decoder blocks shown once), so leaf rows add up to the totals; a container's count is the sum
    of its children's.
    """

    path: str
    name: str
    type: str
    depth: int
    output_shape: Shape | None
    count: Count
    repeat: int = 1
    leaf: bool = True
    layer: dict[str, Any] | None = None
    inferred: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    input_shape: Shape | None = None
    #: every input's shape, in the layer's forward order (attention's key and value, a decoder's memory)
    input_shapes: tuple[Shape | None, ...] = ()
    #: how a merge entry, a parallel entry's branches or a block's shortcut join outputs ("add", "concat", ...)
    merge: str = ""
    #: the paths of the rows this row stands for when it shows a run of them (:func:`collapse_runs`)
    members: tuple[str, ...] = ()

    @property
    def trainable(self) -> str:
        """"yes", "no", "partial", or "--" for a row without parameters."""
        if self.count.total == 0:
            return "--"
        if self.count.non_trainable == 0:
            return "yes"
        return "no" if self.count.trainable == 0 else "partial"


#: Fewest identical consecutive layers shown as one row (``[0-39]  ConvTranspose1d ×40``).
MIN_RUN = 3


def _alike(a: Row, b: Row) -> bool:
    """Whether two rows are the same layer in a row: same place in the tree, layer, count and notes
    (their shapes may differ: a layer that lengthens its input, repeated)."""
    return (a.leaf and b.leaf and a.depth == b.depth and a.type == b.type and a.layer == b.layer
            and a.count == b.count and a.repeat == b.repeat and a.note == b.note and a.inferred == b.inferred
            and a.merge == b.merge)


def _span(first: str, last: str) -> str:
    """``[0-39]`` from ``[0]`` and ``[39]``; ``0-5`` from ``0`` and ``5``; ``up[0-39]`` from ``up[0]`` and ``up[39]``."""
    if first.endswith("]") and last.endswith("]") and "[" in first and "[" in last:
        head, head_last = first[:first.rindex("[")], last[:last.rindex("[")]
        if head == head_last:
            return f"{head}[{first[len(head) + 1:-1]}-{last[len(head) + 1:-1]}]"
    return f"{first}-{last}"


def collapse_runs(rows: tuple[Row, ...], min_run: int = MIN_RUN) -> tuple[Row, ...]:
    """``rows`` with each run of at least ``min_run`` identical consecutive layers shown as one row.

    The row names the run (``[0-39]``), stands for every layer in it (``repeat``, ``count`` and
    ``members`` cover them all, so the rows still add up to the totals) and shows the run's output
    shape, the last layer's.
    """
    out: list[Row] = []
    i = 0
    while i < len(rows):
        j = i + 1
        while j < len(rows) and _alike(rows[i], rows[j]):
            j += 1
        if j - i < min_run:
            out.extend(rows[i:j])
        else:
            run = rows[i:j]
            first, last = run[0], run[-1]
            out.append(replace(
                first, path=_span(first.path, last.path), name=_span(first.name, last.name),
                output_shape=last.output_shape, count=sum((r.count for r in run), Count(0)),
                repeat=sum(r.repeat for r in run), members=tuple(m for r in run for m in (r.members or (r.path,))),
            ))
        i = j
    return tuple(out)


def row_dict(row: Row) -> dict[str, Any]:
    """One row as plain data."""
    return {
        "path": row.path,
        "name": row.name,
        "type": row.type,
        "depth": row.depth,
        "output_shape": None if row.output_shape is None else list(row.output_shape),
        "params": row.count.as_dict(),
        "repeat": row.repeat,
        "leaf": row.leaf,
        "trainable": row.trainable,
        "layer": row.layer,
        "inferred": {k: list(v) if isinstance(v, tuple) else v for k, v in row.inferred.items()},
        "note": row.note,
    }


@dataclass(frozen=True)
class Summary:
    """A whole model's rows and totals, immutable.

    Attributes:
        name: the model's name.
        convention: whose counting rules ("pytorch", "keras" or "textbook").
        input_shapes: each input's shape (None when unknown).
        output_shape: the model's output shape (None when unknown).
        rows: every row, in order, with its depth (1 = top level).
        totals: the sum of the leaf rows: total, trainable, non-trainable, buffers.
        notes: inferred sizes, tied weights, floored divisions, things not counted.
        reference: a published count to compare with: ``{"params", "source", "approximate"}``.
        divisions: conv and pool output sizes whose division was not exact (floored as the framework floors them).
        incomplete: what could not be counted (modules whose own parameters a printout hides).
        exact: whether ``totals`` is the framework's count exactly (False: a bound, see ``bound``).
        bound: "lower" or "upper" when the total is not exact but a bound; ``bound_reasons`` say why it
            is not exact (with neither bound, why it is neither).
        facts: lines the reader of another format adds under the totals (bytes by dtype, active
            parameters per token), shown as written.
        source: what was read, as plain data for ``--json`` (the format, its numbers).
        fields: each row's receptive field and jump (:func:`paramcalc.models.fields.with_fields`), or
            None when not asked for; ``field_notes`` say what they mean and where they are not shown.
    """

    name: str | None
    convention: str
    input_shapes: dict[str, Shape | None]
    output_shape: Shape | None
    rows: tuple[Row, ...]
    totals: Count
    notes: tuple[str, ...] = ()
    description: str | None = None
    reference: dict[str, Any] | None = None
    divisions: tuple[str, ...] = ()
    incomplete: tuple[str, ...] = ()
    exact: bool = True
    bound: str | None = None
    bound_reasons: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    source: dict[str, Any] | None = None
    fields: tuple[FieldCell, ...] | None = None
    field_notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        leaves = sum((r.count for r in self.rows if r.leaf), Count(0))
        if leaves != self.totals:  # pragma: no cover - a bug, not bad input
            raise AssertionError(f"summary rows add up to {leaves}, totals say {self.totals}")
        if (self.exact and self.bound is not None) or self.bound not in (None, "lower", "upper"):  # pragma: no cover
            raise AssertionError(f"summary: exact={self.exact} with bound={self.bound!r}")

    @property
    def total(self) -> int:
        """Trainable plus non-trainable parameters (tied weights once, buffers apart)."""
        return self.totals.total

    @property
    def memory(self) -> dict[str, int]:
        """Parameter memory in bytes for fp32, fp16/bf16 and int8 (buffers excluded)."""
        return {dtype: self.totals.total * size for dtype, size in DTYPE_BYTES.items()}

    def visible_rows(self, depth: int | None = None) -> tuple[Row, ...]:
        """The rows down to ``depth`` (all of them for None); their shown counts still add up."""
        if depth is None:
            return self.rows
        return tuple(r for r in self.rows if r.depth <= depth)

    def row(self, path: str) -> Row:
        """The row with this path (``layer1[0].conv1``).

        Raises:
            ModelError: no row has that path.
        """
        for r in self.rows:
            if r.path == path:
                return r
        raise ModelError(f"summary: no row with path {path!r}")

    def matches_reference(self) -> bool | None:
        """Whether the total equals the reference count (None without a reference).

        An approximate (rounded) reference, such as a paper's "125M", matches within 2%.
        """
        if self.reference is None:
            return None
        params = self.reference["params"]
        if not self.reference.get("approximate"):
            return params == self.total
        return abs(self.total - params) * 50 <= params

    def as_dict(self, depth: int | None = None) -> dict[str, Any]:
        """Plain data: rows (down to ``depth``), totals, memory, reference, notes. (``paramcalc summary
        --json`` adds each row's MACs and FLOPs: :func:`paramcalc.render.summary.summary_dict`.)"""
        return {
            "model": self.name,
            "description": self.description,
            "convention": self.convention,
            "inputs": {k: None if v is None else list(v) for k, v in self.input_shapes.items()},
            "output_shape": None if self.output_shape is None else list(self.output_shape),
            "rows": [self._row_dict(r) for r in self.visible_rows(depth)],
            "totals": self.totals.as_dict(),
            "memory_bytes": self.memory,
            "reference": None if self.reference is None else {**self.reference, "matches": self.matches_reference()},
            "divisions": list(self.divisions),
            "notes": list(self.notes),
            "incomplete": list(self.incomplete),
            "exact": self.exact,
            "bound": self.bound,
            "bound_reasons": list(self.bound_reasons),
            "facts": list(self.facts),
            "source": self.source,
            **({} if self.fields is None else {"receptive_field_notes": list(self.field_notes)}),
        }

    def field(self, path: str) -> tuple[int | str | None, int | None]:
        """A row's receptive field and jump: ``(212, 32)``, ``("all", None)`` for the whole input, ``(None,
        None)`` where not shown (:func:`paramcalc.models.fields.with_fields` adds them).

        Raises:
            ModelError: the summary has no fields, or no row has that path.
        """
        if self.fields is None:
            raise ModelError("summary: no receptive fields; summarise with receptive_field=True")
        for p, r, j in self.fields:
            if p == path:
                return r, j
        raise ModelError(f"summary: no row with path {path!r}")

    def _row_dict(self, row: Row) -> dict[str, Any]:
        data = row_dict(row)
        if self.fields is not None:
            data["receptive_field"], data["jump"] = self.field(row.path)
        return data

    def __rich__(self) -> Any:
        """The table the CLI prints (:func:`paramcalc.render.summary.render`): ``rich.print(summary)``."""
        return forms.draw(self, "rich", renderer=RENDERER)


#: The module that draws summaries.
RENDERER = "paramcalc.render.summary"
