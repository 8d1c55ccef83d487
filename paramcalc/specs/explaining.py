"""Worked formulas: a layer's general formula with the user's numbers put in, step by step.

Every explanation is a list of lines ``label: expression = expression = number``. The numbers a
line ends on come from the spec's own ``count`` and ``output_shapes`` (the formulas); the steps in
between only substitute and multiply out, so a reader can follow them with pencil and paper. The
lines of each family are written by the family (``_worked_params``, ``_worked_shape``); what is
here is the frame every layer shares, and the sum of the tensors where a family has no formula.
"""

from __future__ import annotations

from typing import Any

from paramcalc.results import collapse_tensors
from paramcalc.specs.shapes import as_shape, first_shape
from paramcalc.specs.working import chain, n, shape_str, sum_line, times


def explain_params(spec: Any, convention: str = "pytorch", *, input_shape: Any = None) -> list[str]:
    """The parameter count worked out step by step, ending on the total.

    The first line gives the family's general formula in symbols (``formula: ...``); the following
    lines put in the layer's numbers and end, on the last line, with ``spec.count(convention).total``.

    Raises:
        SpecError: the layer cannot be counted under that convention (or needs an input shape).
    """
    fam = type(spec).family
    head = [f"formula: {fam.params[convention]}"] if fam and convention in fam.params else []
    lines = worked_params(spec, convention, input_shape=input_shape)
    if lines is None:
        lines = tensor_sum(spec, convention, input_shape=input_shape)
    return head + lines


def worked_params(spec: Any, convention: str = "pytorch", *, input_shape: Any = None) -> list[str] | None:
    """The family's worked formula ending on the count, or None where there is none to show."""
    total = spec.count(convention, input_shape=input_shape).total
    if spec.framework == "keras":
        lines = spec._keras_worked_params(convention, input_shape)
    else:
        lines = spec.resolve(first_shape(input_shape))._worked_params(convention)
    if lines is None or last_number(lines[-1]) != total:
        return None
    return lines


def last_number(line: str) -> int | None:
    """The int a line ends on (``... = 117,760`` → 117760), or None."""
    tail = line.rsplit("=", 1)[-1].rsplit(":", 1)[-1].strip().replace(",", "")
    return int(tail) if tail.isdigit() else None


def tensor_sum(spec: Any, convention: str = "pytorch", *, input_shape: Any = None) -> list[str]:
    """The count as the sum of the tensors' sizes (each the product of its shape), buffers apart,
    trainable and non-trainable weights summed separately when a layer has both."""
    tensors = spec.param_tensors(convention, input_shape=input_shape)
    total = spec.count(convention, input_shape=input_shape).total
    buffers = [t for t in tensors if t.kind == "buffer"]
    groups = [(kind, [t for t in tensors if t.kind == kind]) for kind in ("trainable", "non_trainable")]
    groups = [(kind, group) for kind, group in groups if group]
    lines = []
    if buffers:
        names = ", ".join(t.name for t in buffers)
        lines.append(sum_line(f"buffers, not parameters ({names})", [t.numel for t in buffers],
                              sum(t.numel for t in buffers)))
    if not groups:
        return [*lines, chain("no parameters", 0)]
    if len(groups) == 1:
        return [*lines, *_tensor_lines(groups[0][1], "", total)]
    sums = []
    for kind, group in groups:
        value = sum(t.numel for t in group)
        sums.append(value)
        lines += _tensor_lines(group, kind.replace("_", "-"), value)
    return [*lines, sum_line("total", sums, total)]


def _tensor_lines(tensors: list[Any], kind: str, total: int) -> list[str]:
    """``a + b: 100·64 + 64 = 6,400 + 64 = 6,464`` for a few tensors; one line each for many, with
    a run of 3 or more stacked layers holding the same tensors as one line per tensor
    (``layers.0-999.linear1.weight (16, 8) × 1,000: 1,000 × 16·8 = 128,000``)."""
    if len(tensors) <= 4:
        label = " + ".join(t.name for t in tensors)
        exprs = " + ".join(times(*t.shape) if t.shape else "1" for t in tensors)
        values = " + ".join(n(t.numel) for t in tensors)
        return [chain(f"{kind} ({label})" if kind else label, exprs, values, total)]
    rows = collapse_tensors(tensors)
    lines = [
        chain(f"{r.name} {shape_str(r.shape)}", times(*r.shape) if r.shape else "1", r.numel) if r.repeat == 1
        else chain(f"{r.name} {shape_str(r.shape)} × {n(r.repeat)}", times(r.repeat, *r.shape), r.total)
        for r in rows
    ]
    return [*lines, sum_line(kind or "total", [r.total for r in rows], total)]


def explain_shape(spec: Any, *input_shapes: Any) -> list[str]:
    """The output shape worked out per dimension, ending with one line per named output.

    Conv and pooling layers show ``(n + 2·p − d·(k − 1) − 1) // s + 1`` per spatial dimension;
    the numbers each line ends on come from the formulas (``spec.output_shapes``).

    Raises:
        SpecError: the input shape does not fit the layer.
    """
    outputs = spec.output_shapes(*input_shapes)
    if spec.framework == "keras":  # Keras shapes may hold None (an unknown size)
        shapes = [tuple(s) for s in input_shapes]
        x = shapes[0]
        steps = spec._keras_worked_shape(x, outputs[next(iter(outputs))])
    else:
        shapes = [as_shape(s) for s in input_shapes]
        x = shapes[0]
        steps = spec.resolve(x)._worked_shape(shapes, outputs)
    given = f"input: {shape_str(x)}" if len(shapes) == 1 else f"inputs: {' ; '.join(map(shape_str, shapes))}"
    lines = steps if any(s.startswith("input") for s in steps) else [given, *steps]
    missing = [
        f"{name}: {shape_str(shape)}"
        for name, shape in outputs.items()
        if not any(line.startswith(f"{name}: ") and line.endswith(f" {shape_str(shape)}") for line in lines)
    ]
    return [*lines, *missing]
