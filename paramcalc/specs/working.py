"""The words of a worked formula: numbers with separators, shapes, ``a = b = c`` chains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fractions import Fraction

Shape = tuple[int, ...]


def n(value: int) -> str:
    """An int with thousands separators: 117760 → '117,760'."""
    return f"{value:,}"


def shape_str(shape: Shape) -> str:
    """A shape as Python writes a tuple, without separators: (32, 3136), (5,)."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def chain(label: str, *steps: str | int) -> str:
    """``label: a = b = c``, with ints formatted and repeated steps dropped."""
    parts: list[str] = []
    for s in steps:
        text = n(s) if isinstance(s, int) else s
        if not parts or parts[-1] != text:
            parts.append(text)
    return f"{label}: {' = '.join(parts)}"


def sum_line(label: str, values: list[int], total: int) -> str:
    if len(values) == 1:
        return chain(label, total)
    return chain(label, " + ".join(n(v) for v in values), total)


def times(*factors: int | str) -> str:
    return "·".join(n(x) if isinstance(x, int) else x for x in factors)


# -- words several families share -------------------------------------------------------------


def fmt_fraction(value: Fraction) -> str:
    """A fraction as a decimal when it terminates (54.25), else as p/q."""
    if value.denominator == 1:
        return str(value.numerator)
    d = value.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        return format(float(value), "g") if abs(value) < 10**15 else str(value)
    return f"{value.numerator}/{value.denominator}"


def window_notes(
    spec: Any, x: Shape, out: Shape, padding: tuple[int, ...], dilation: tuple[int, ...], ceil_mode: bool
) -> list[str]:
    """Remarks on inexact window divisions: ``(224 - 11)/4 + 1 = 54.25 floored to 54``."""
    from fractions import Fraction

    from paramcalc.formulas.conv import DIM_NAMES

    spatial = x[len(x) - spec.nd:]
    notes = []
    for name, size, k, s, p, d, o in zip(
        DIM_NAMES[spec.nd], spatial, spec.kernel_size, spec.stride, padding, dilation, out[len(out) - spec.nd:]
    ):
        num = size + 2 * p - d * (k - 1) - 1
        if num % s:
            exact = Fraction(num, s) + 1
            how = "rounded up (ceil_mode)" if ceil_mode else "floored"
            notes.append(
                f"{spec.name}: output {name} ({size} + 2*{p} - {d}*({k}-1) - 1)/{s} + 1 = "
                f"{fmt_fraction(exact)} is not a whole number; {how} to {o}"
            )
    return notes


def window_lines(spec: Any, x: Shape, out: Shape, *, conv: bool) -> list[str]:
    """The worked output size of a convolution or pooling window, one line per spatial dimension."""
    from paramcalc import formulas as f
    from paramcalc.formulas.conv import DIM_NAMES

    nd = spec.nd
    spatial = x[len(x) - nd:]
    dilation = getattr(spec, "dilation", (1,) * nd)
    ceil_mode = getattr(spec, "ceil_mode", False)
    padding = spec.padding
    lines = []
    if padding == "same":
        for name, size, k, d, got in zip(DIM_NAMES[nd], spatial, spec.kernel_size, dilation, out[len(out) - nd:]):
            left, right = f.same_padding(kernel_size=k, dilation=d)
            lines.append(chain(f"{name} (padding='same' pads {left} + {right})",
                               f"({size} + {left} + {right} − {d}·({k} − 1) − 1) // 1 + 1", str(got)))
    else:
        pads = (0,) * nd if padding == "valid" else padding
        for name, size, k, s, p, d in zip(DIM_NAMES[nd], spatial, spec.kernel_size, spec.stride, pads, dilation):
            num = size + 2 * p - d * (k - 1) - 1
            body = f"({size} + 2·{p} − {d}·({k} − 1) − 1)"
            if conv:
                value = f.conv_output_size(size=size, kernel_size=k, stride=s, padding=p, dilation=d, layer=spec.name)
            else:
                value = f.pool_output_size(
                    size=size, kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode, layer=spec.name
                )
            if ceil_mode:
                steps = [f"⌈{body} / {s}⌉ + 1", f"⌈{num} / {s}⌉ + 1"]
                if -(-num // s) + 1 != value:
                    steps = [f"{st} − 1" for st in steps]
                    name = f"{name} (the last window would start in the right padding, dropped)"
            else:
                steps = [f"{body} // {s} + 1"] + ([f"{num} // {s} + 1"] if s > 1 else [])
            lines.append(chain(name, *steps, str(value)))
    if conv:
        lines.append(f"channels: out_channels = {spec.out_channels}")
    else:
        lines.append(f"channels: {x[len(x) - nd - 1]} (unchanged)")
    return lines


def stack_lines(
    *, gates: int, hidden: int, input_size: int, num_layers: int, directions: int, proj: int,
    bias_vectors: int, total: int,
) -> list[str]:
    """One line per layer of a recurrent stack: D × G × (H·I_l + H·H_out + b·H) [+ P·H].

    PyTorch has two bias vectors per gate block (bias_ih, bias_hh), Keras and the course notes one
    (a Keras GRU with reset_after=True has two); b = ``bias_vectors``. Layer l > 0 takes
    I_l = D·H_out. ``total`` is the count the lines end on.
    """
    from paramcalc.formulas.recurrent import recurrent_params

    h, d = hidden, directions
    h_out = proj or h
    layers = []
    for layer in range(num_layers):
        i = input_size if layer == 0 else d * h_out
        terms = [times(h, i), times(h, h_out)]
        if bias_vectors:
            terms.append(n(h) if bias_vectors == 1 else f"{bias_vectors}·{n(h)}")
        inner = h * i + h * h_out + bias_vectors * h
        expr, value = " + ".join(terms), n(inner)
        if gates > 1:
            expr, value = f"{gates} × ({expr})", f"{gates} × {value}"
        if proj:
            expr, value = f"{expr} + {times(proj, h)}", f"{value} + {n(proj * h)}"
        if d == 2:
            expr = f"2 × ({expr})" if proj or gates == 1 else f"2 × {expr}"
            value = f"2 × ({value})" if proj else f"2 × {value}"
        if bias_vectors in (0, 2):  # PyTorch's own layout: its formula gives the layer's count
            result = recurrent_params(
                gates=gates, input_size=i, hidden_size=h, num_layers=1, bias=bias_vectors == 2,
                bidirectional=d == 2, proj_size=proj,
            )
        else:
            result = d * (gates * inner + proj * h)
        layers.append((expr, value, result))
    if len(layers) == 1:
        return [chain("weights + biases" if bias_vectors else "weights", *layers[0][:2], total)]
    first, rest = layers[0], layers[1:]
    lines = [chain("layer 0", *first)]
    if len(rest) == 1:
        lines.append(chain("layer 1", *rest[0]))
        return [*lines, sum_line("total", [first[2], rest[0][2]], total)]
    lines.append(chain(f"layers 1–{len(layers) - 1}, each", *rest[0]))
    return [*lines, chain("total", f"{n(first[2])} + {len(rest)} × {n(rest[0][2])}", total)]
