"""Convolution arithmetic with its working: one window (:func:`window_report`), the receptive field of a
stack of layers (:func:`receptive_field`), and the inverse questions (:func:`solve`).

Each answer is data (rows and lines of worked formulas); :mod:`paramcalc.render.window` draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import prod
from typing import Any, Literal

from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.formulas import inverse
from paramcalc.formulas.window import (
    cs231n_dilation,
    effective_kernel,
    exact_output_size,
    jump_and_field,
    positions_read,
    tf_same_padding,
    valid_uncovered,
)
from paramcalc.models.fields import first_branch, layer_window

__all__ = ["layer_window", "first_branch", "window_report", "receptive_field", "solve", "output_neurons"]

DilationNaming = Literal["torch", "gaps"]


def number_text(v: Fraction | int) -> str:
    """An int, or a fraction as a short decimal (4.5) or n/d when it does not terminate."""
    if isinstance(v, Fraction) and v.denominator != 1:
        d = v.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        return format(float(v), "g") if d == 1 else f"{v.numerator}/{v.denominator}"
    return str(int(v))


def _dilation(dilation: int, naming: DilationNaming) -> tuple[int, str | None]:
    """torch's dilation, and a line saying how a CS231n-style dilation maps to it."""
    if naming == "gaps":
        d = cs231n_dilation(gaps=dilation)
        return d, (f"dilation {dilation} as CS231n counts it (gaps between taps) is torch's and Keras's "
                   f"dilation {d} = {dilation} + 1")
    if dilation < 1:
        raise SpecError(f"dilation must be >= 1 (torch's naming; --dilation-naming gaps counts gaps from 0). "
                        f"Received: dilation={dilation}")
    return dilation, None


@dataclass(frozen=True)
class WindowReport:
    """One sliding window along one dimension, worked out.

    Attributes:
        size, kernel_size, stride, dilation: the question (dilation in torch's naming).
        padding: the padding per side, or ``"same"``/``"valid"``.
        span: the effective kernel d·(k − 1) + 1.
        pad_total, pad_left, pad_right: the padding applied.
        output: the output size (floored, as the frameworks give it); ``exact``: before flooring.
        reads: for each output index listed, the input positions it reads.
        uncovered: runs of input positions no window reads.
        lines: the working, one formula a line.
    """

    size: int
    kernel_size: int
    stride: int
    padding: int | str
    dilation: int
    span: int
    pad_total: int
    pad_left: int
    pad_right: int
    output: int
    exact: Fraction
    reads: tuple[tuple[int, tuple[int, ...]], ...]
    uncovered: tuple[tuple[int, int], ...]
    lines: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size, "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
            "dilation": self.dilation, "effective_kernel": self.span, "pad_total": self.pad_total,
            "pad_left": self.pad_left, "pad_right": self.pad_right, "output": self.output,
            "exact_output": number_text(self.exact), "reads": {str(i): list(p) for i, p in self.reads},
            "uncovered": [list(r) for r in self.uncovered], "working": list(self.lines),
        }


def window_report(
    *, size: int, kernel_size: int, stride: int = 1, padding: int | str = 0, dilation: int = 1,
    dilation_naming: DilationNaming = "torch", indices: tuple[int, ...] | None = None,
) -> WindowReport:
    """Work out one window: its span, the padding ("same" split as TensorFlow splits it), the output size,
    the input positions some outputs read, and what no window reads.

    Args:
        size: the input size n along this dimension.
        kernel_size, stride: k and s.
        padding: p per side, ``"same"`` (TensorFlow/Keras: output ⌈n/s⌉) or ``"valid"`` (none).
        dilation: d in torch's naming, or in CS231n's (gaps between taps) with ``dilation_naming="gaps"``.
        indices: the output positions whose inputs to list (default: the first, the second and the last).

    Raises:
        SpecError: a size, kernel or stride below 1, or a window larger than the padded input.
    """
    for name, value in (("size", size), ("kernel_size", kernel_size), ("stride", stride)):
        if value < 1:
            raise SpecError(f"{name} must be >= 1. Received: {name}={value}")
    d, naming_line = _dilation(dilation, dilation_naming)
    span = effective_kernel(kernel_size=kernel_size, dilation=d)
    lines = [naming_line] if naming_line else []
    lines.append(f"effective kernel: d·(k − 1) + 1 = {d}·({kernel_size} − 1) + 1 = {span}")
    if padding == "same":
        total, left, right = tf_same_padding(size=size, kernel_size=kernel_size, stride=stride, dilation=d)
        out = -(-size // stride)
        exact = Fraction(out)
        lines.append(f"\"same\": output ⌈n/s⌉ = ⌈{size}/{stride}⌉ = {out}")
        lines.append(f"padding in all: max((out − 1)·s + span − n, 0) = max(({out} − 1)·{stride} + {span} − {size}, 0) "
                     f"= {total}")
        lines.append(f"split: left ⌊{total}/2⌋ = {left}, right {total} − {left} = {right} (the extra one on the "
                     f"right/bottom, as TensorFlow and Keras pad)")
    else:
        p = 0 if padding == "valid" else int(padding)
        if p < 0:
            raise SpecError(f"padding must be >= 0, 'same' or 'valid'. Received: padding={padding}")
        total, left, right = 2 * p, p, p
        exact = exact_output_size(size=size, kernel_size=kernel_size, stride=stride, padding=p, dilation=d)
        if exact < 1:
            raise SpecError(
                f"the window is larger than the padded input: (n + 2·p − span)/s + 1 = ({size} + 2·{p} − {span})/"
                f"{stride} + 1 = {number_text(exact)} < 1"
            )
        out = int(exact)
        lines.append(f"output: (n + 2·p − span)/s + 1 = ({size} + 2·{p} − {span})/{stride} + 1 = {number_text(exact)}"
                     + ("" if exact.denominator == 1 else f", floored to {out} (the textbook calls this setting "
                                                          f"invalid: the windows do not fit evenly)"))
    chosen = indices if indices is not None else tuple(dict.fromkeys(i for i in (0, 1, out - 1) if 0 <= i < out))
    reads = []
    for i in chosen:
        if not 0 <= i < out:
            raise SpecError(f"index must be an output position from 0 to {out - 1}. Received: index={i}")
        pos = positions_read(index=i, kernel_size=kernel_size, stride=stride, padding=left, dilation=d)
        reads.append((i, pos))
        lines.append(f"output {i} reads inputs i·s − p_left + j·d = {i}·{stride} − {left} + j·{d}: "
                     f"{', '.join(str(x) for x in pos)}" + (" (below 0 or past the end: padding)"
                                                          if min(pos) < 0 or max(pos) >= size else ""))
    uncovered = valid_uncovered(size=size, kernel_size=kernel_size, stride=stride, padding=left, dilation=d) \
        if padding != "same" else ()
    if padding != "same":
        if uncovered:
            runs = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in uncovered)
            count = sum(b - a + 1 for a, b in uncovered)
            lines.append(f"input positions no window reads: {runs} ({count} of {size})")
        else:
            lines.append("every input position is read by some window")
    return WindowReport(size, kernel_size, stride, padding, d, span, total, left, right, out, exact,
                        tuple(reads), uncovered, tuple(lines))


# -- Receptive field of a stack ---------------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    """One layer of a stack: its window, and the receptive field and jump of its outputs on the input."""

    name: str
    kernel_size: int
    stride: int
    padding: int
    dilation: int
    field: int
    jump: int
    start: Fraction
    output_neurons: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.name, "kernel_size": self.kernel_size, "stride": self.stride, "padding": self.padding,
            "dilation": self.dilation, "receptive_field": self.field, "jump": self.jump,
            "first_centre": number_text(self.start), "output_neurons": self.output_neurons,
        }


def field_end(layers: list[tuple[str, Any]]) -> int | None:
    """The index of the first layer that mixes every position (Linear, Flatten, global pooling, attention):
    the receptive field is the whole input from there on. None when every layer is local."""
    for i, (_, spec) in enumerate(layers):
        try:
            layer_window(spec)
        except ParamcalcError:
            return i
    return None


def receptive_field(layers: list[tuple[str, Any]], *, sizes: list[Any] | None = None) -> list[FieldRow]:
    """The receptive field and jump of every sliding-window layer of a stack, on the stack's input.

    Args:
        layers: (name, spec) pairs, first to last; layers that keep positions (activations, norms) pass.
        sizes: optional output shapes, one per layer, for the output neurons (the product without the batch).

    Returns:
        One :class:`FieldRow` per layer with a window: r_l = r_{l−1} + d·(k − 1)·j_{l−1}, j_l = j_{l−1}·s,
        up to the first layer that mixes every position (:func:`field_end`).
    """
    rows: list[tuple[str, tuple[int, int, int, int], Any]] = []
    for i, (name, spec) in enumerate(layers[: len(layers) if field_end(layers) is None else field_end(layers)]):
        w = layer_window(spec)
        if w is not None:
            rows.append((name, w, sizes[i] if sizes else None))
    fields = jump_and_field([w for _, w, _ in rows])
    return [
        FieldRow(name, *w, field=r, jump=j, start=c,
                 output_neurons=prod(d for d in shape[1:] if d is not None) if shape else None)
        for (name, w, shape), (r, j, c) in zip(rows, fields)
    ]


# -- Inverse questions ------------------------------------------------------------------------

Question = Literal["padding", "input", "stride", "kernel"]


@dataclass(frozen=True)
class Solutions:
    """Every value of ``unknown`` in the range that answers the question, each with its worked formula."""

    unknown: str
    question: str
    rows: tuple[tuple[int, Fraction, str], ...]

    def as_dict(self) -> dict[str, Any]:
        return {"unknown": self.unknown, "question": self.question,
                "solutions": [{"value": v, "output": number_text(e), "working": w} for v, e, w in self.rows]}


def solve(
    unknown: Question, *, size: int | None = None, kernel_size: int | None = None, stride: int | None = None,
    padding: int | None = None, dilation: int = 1, target: int | None = None, lo: int | None = None,
    hi: int | None = None, floored: bool = False, dilation_naming: DilationNaming = "torch",
) -> Solutions:
    """Solve (n + 2·p − d·(k − 1) − 1)/s + 1 = target for one unknown, listing every solution in lo … hi.

    ``padding``: the paddings that keep the size (or give ``target``); ``input``: the sizes that make the
    division whole; ``stride`` and ``kernel``: those that give ``target`` (or divide exactly). Exact
    solutions only unless ``floored`` (then a floored division that gives the target counts too).

    Raises:
        ParamcalcError: a missing size, or a range that is empty or too wide.
    """
    d, _ = _dilation(dilation, dilation_naming)

    def need(name: str, value: int | None) -> int:
        if value is None:
            raise ParamcalcError(f"solve {unknown}: give the {name}")
        if value < (0 if name == "padding" else 1):
            raise ParamcalcError(f"solve {unknown}: {name} must be >= {0 if name == 'padding' else 1}. "
                                 f"Received: {value}")
        return value

    bounds = {k: v for k, v in (("lo", lo), ("hi", hi)) if v is not None}
    if unknown == "padding":
        n, k, s = need("size", size), need("kernel_size", kernel_size), stride or 1
        found = inverse.solve_padding(size=n, kernel_size=k, stride=s, dilation=d, target=target, floored=floored,
                                      **bounds)
        goal = target if target is not None else n
        question = f"which padding p gives output {goal}" + (" (the size kept)" if target is None else "")
        work = [(p, e, f"({n} + 2·{p} − {d}·({k} − 1) − 1)/{s} + 1 = {number_text(e)}") for p, e in found]
    elif unknown == "input":
        k, s, p = need("kernel_size", kernel_size), stride or 1, padding or 0
        found = inverse.solve_input(kernel_size=k, stride=s, padding=p, dilation=d, target=target, floored=floored,
                                    **bounds)
        question = ("which input sizes n make (n + 2·p − d·(k − 1) − 1)/s + 1 whole"
                    + (f" and equal to {target}" if target is not None else ""))
        work = [(n, e, f"({n} + 2·{p} − {d}·({k} − 1) − 1)/{s} + 1 = {number_text(e)}") for n, e in found]
    elif unknown == "stride":
        n, k, p = need("size", size), need("kernel_size", kernel_size), padding or 0
        found = inverse.solve_stride(size=n, kernel_size=k, padding=p, dilation=d, target=target, floored=floored,
                                     **bounds)
        question = f"which stride s gives output {target}" if target is not None else "which strides divide exactly"
        work = [(s, e, f"({n} + 2·{p} − {d}·({k} − 1) − 1)/{s} + 1 = {number_text(e)}") for s, e in found]
    elif unknown == "kernel":
        n, s, p = need("size", size), stride or 1, padding or 0
        found = inverse.solve_kernel(size=n, stride=s, padding=p, dilation=d, target=target, floored=floored,
                                     **bounds)
        question = f"which kernel k gives output {target}" if target is not None else "which kernels divide exactly"
        work = [(k, e, f"({n} + 2·{p} − {d}·({k} − 1) − 1)/{s} + 1 = {number_text(e)}") for k, e in found]
    else:
        raise ParamcalcError(f"solve: the unknown must be padding, input, stride or kernel. Received: {unknown!r}")
    return Solutions(unknown, question, tuple(work))


# -- Stacks from expressions and presets -------------------------------------------------------


def stack_layers(exprs: list[str], input_shape: Any = None) -> tuple[list[tuple[str, Any]], list[Any] | None]:
    """Layers from constructor expressions, with each output shape when an input shape is given."""
    from paramcalc.specs.parse import parse_layer

    named = [(expr, parse_layer(expr)) for expr in exprs]
    if input_shape is None:
        return named, None
    shapes: list[Any] = []
    shape = tuple(input_shape)
    for expr, spec in named:
        shape = spec.output_shape(shape)
        shapes.append(shape)
    return named, shapes


def preset_layers(name: str, input_shape: Any = None) -> tuple[list[tuple[str, Any]], list[Any] | None]:
    """A preset's leaf layers in order (repeats expanded once each), with their output shapes."""
    from paramcalc.models.presets import load_preset

    return _leaf_layers(load_preset(name), input_shape)


def _leaf_layers(model: Any, input_shape: Any) -> tuple[list[tuple[str, Any]], list[Any] | None]:
    """A model's leaf layers in order (repeats expanded once each), with their output shapes (None when
    no shape is known)."""
    from paramcalc.models.evaluate import evaluate
    from paramcalc.specs.parse import parse_layer

    summary = evaluate(model, input_shape=input_shape)
    named, shapes = [], []
    for row in summary.rows:
        if not row.leaf or not row.layer:
            continue
        named.append((f"{row.path} ({row.type})", parse_layer(row.layer)))
        shapes.append(row.output_shape)
    return named, shapes if any(s is not None for s in shapes) else None


def model_file_layers(path: str, input_shape: Any = None) -> tuple[list[tuple[str, Any]], list[Any] | None]:
    """A model file's leaf layers in order, with their output shapes; refused unless the model is a
    plain stack (no branches, merges or shortcuts), whose receptive field is one number per layer."""
    from paramcalc.models.format import load_model

    model = load_model(path)
    where = "several inputs" if model.inputs and len(model.inputs) > 1 else first_branch(model.layers)
    if where is not None:
        raise ParamcalcError(f"receptive field: {path} is not a plain stack of layers ({where} branches or "
                             "merges); give its layers in order as expressions instead")
    return _leaf_layers(model, input_shape)


def output_neurons(spec: Any, *input_shapes: Any) -> int:
    """The number of output neurons of a layer: the product of its output shape without the batch
    (CS231n: AlexNet's first layer has 55·55·96 = 290,400)."""
    out = spec.output_shape(*input_shapes)
    return prod(d for d in out[1:] if d is not None)
