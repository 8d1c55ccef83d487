"""The words of a worked formula: numbers with separators, shapes, ``a = b = c`` chains."""

from __future__ import annotations

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
