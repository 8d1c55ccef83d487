"""Padding layers (ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad): output shapes."""

from __future__ import annotations

from paramcalc.errors import SpecError

#: How each padding mode makes its values; "constant" also covers ZeroPad.
PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad_pairs(padding: tuple[int, ...]) -> list[tuple[int, int]]:
    """torch's flat padding (left, right, top, bottom, front, back) as (before, after) pairs,
    first pair for the last dimension."""
    return [(padding[i], padding[i + 1]) for i in range(0, len(padding), 2)]


def pad_output_size(*, size: int, before: int, after: int, mode: str, layer: str, dim: str = "dimension") -> int:
    """Length of one padded dimension.

    Formula: out = n + before + after (a negative padding crops). Each mode has its own limits:
    constant crops at most the n values there are, one side after the other; reflect mirrors without
    repeating the edge value, so each side pads less than n; circular wraps around at most once (each
    side at most n); reflect, replicate and circular crop at most n values (out >= 0; for reflect and
    replicate, see :func:`pad_output_shape` for the dimensions together).
    """
    out = size + before + after
    if mode == "constant":
        if size + min(before, 0) + min(after, 0) < 0:
            raise SpecError(
                f"{layer}: a negative padding cannot crop more values than the {dim} holds "
                f"({size} + {min(before, 0)} + {min(after, 0)} < 0). Received: size={size}, padding=({before}, {after})"
            )
        return out
    if mode == "reflect" and (before >= size or after >= size):
        raise SpecError(
            f"{layer}: reflect padding must be smaller than the {dim} it pads (the edge value is not "
            f"repeated). Received: size={size}, padding=({before}, {after})"
        )
    if mode == "circular":
        if before > size or after > size:
            raise SpecError(
                f"{layer}: circular padding may wrap around at most once (padding <= size). "
                f"Received: size={size}, padding=({before}, {after})"
            )
        if out < 0:
            raise SpecError(
                f"{layer}: a negative padding cannot crop more values than the {dim} holds "
                f"({size} + {before} + {after} = {out}). Received: size={size}, padding=({before}, {after})"
            )
        return out
    if out < 0:
        raise SpecError(
            f"{layer}: a negative padding cannot crop more values than the {dim} holds: "
            f"{size} + {before} + {after} = {out}. Received: size={size}, padding=({before}, {after})"
        )
    return out


def _span(size: int, start: int, end: int) -> tuple[int, int]:
    """[start, end) of a slice of ``size`` positions as torch's slice takes it: a negative bound
    counts from the end, both are clamped into [0, size], and an end before the start is empty."""
    start, end = (v + size if v < 0 else v for v in (start, end))
    start, end = min(max(start, 0), size), min(max(end, 0), size)
    return start, max(end, start)


def circular_copies_fit(*, size: int, before: int, after: int) -> bool:
    """Whether torch's circular padding can make one padded dimension by its three copies.

    torch fills the output (length out = n + before + after) by copying the kept input into
    [max(before, 0), out − max(after, 0)), then the left pad [0, before) from
    [out − before − max(after, 0), out − max(after, 0)) and the right pad [out − after, out) from
    [max(before, 0), max(before, 0) + after), all as clamped slices. Each copy needs a source of the
    destination's length (or of 1, broadcast); a pad copy whose source partly overlaps its
    destination is refused, where torch can see it (see :func:`pad_output_shape`).
    """
    out = size + before + after
    kept_to = _span(out, max(before, 0), out - max(after, 0))
    kept_from = _span(size, max(-before, 0), size - max(-after, 0))
    if kept_to[1] - kept_to[0] != kept_from[1] - kept_from[0] and kept_from[1] - kept_from[0] != 1:
        return False
    copies = []
    if before > 0:
        copies.append((_span(out, 0, before), _span(out, out - before - max(after, 0), out - max(after, 0))))
    if after > 0:
        copies.append((_span(out, out - after, out), _span(out, max(before, 0), max(before, 0) + after)))
    for (d0, d1), (s0, s1) in copies:
        if d1 - d0 != s1 - s0 and s1 - s0 != 1:
            return False
    return True


def circular_overlaps(*, size: int, before: int, after: int) -> bool:
    """Whether a pad copy of torch's circular padding (see :func:`circular_copies_fit`) reads from
    a region that partly overlaps the one it writes, which torch refuses when the output has values."""
    out = size + before + after
    copies = []
    if before > 0:
        copies.append((_span(out, 0, before), _span(out, out - before - max(after, 0), out - max(after, 0))))
    if after > 0:
        copies.append((_span(out, out - after, out), _span(out, max(before, 0), max(before, 0) + after)))
    for (d0, d1), (s0, s1) in copies:
        if (d0, d1) != (s0, s1) and max(d0, s0) < min(d1, s1):
            return True
    return False


def pad_output_shape(*, input_shape: tuple[int, ...], padding: tuple[int, ...], mode: str, layer: str) -> tuple[int, ...]:
    """Output shape of a padding layer over the last len(padding) / 2 dimensions.

    Formula: each padded dimension becomes n + before + after (see :func:`pad_output_size`); the
    others are kept; circular padding is made by copies inside the output, which torch refuses when
    a source partly overlaps its destination and both are contiguous in memory (every dimension
    before the padded one of size 1, the output not empty); reflect and replicate padding refuse to crop every padded dimension to nothing
    (one of them may end empty). Constant padding takes any input with at least as many dimensions as it pads;
    the other modes take (C, *spatial) or (N, C, *spatial), every dimension but N non-empty (circular
    allows empty ones).
    """
    x = tuple(input_shape)
    nd = len(padding) // 2
    if mode == "constant":
        if len(x) < nd:
            raise SpecError(
                f"{layer}: the input must have at least {nd} dimensions to pad. Received: input_shape={x}"
            )
    else:
        if len(x) not in (nd + 1, nd + 2):
            raise SpecError(
                f"{layer}: expected a {nd + 2}D (batched) or {nd + 1}D (unbatched) input, got {len(x)}D. "
                f"Received: input_shape={x}"
            )
        if mode != "circular" and 0 in x[len(x) - nd - 1:]:
            raise SpecError(
                f"{layer}: {mode} padding needs every dimension but the batch to be non-empty. "
                f"Received: input_shape={x}"
            )
    out = list(x)
    for i, (before, after) in enumerate(pad_pairs(padding)):
        axis = len(x) - 1 - i
        out[axis] = pad_output_size(size=x[axis], before=before, after=after, mode=mode, layer=layer,
                                    dim=f"dimension {axis}")
    padded = out[len(x) - nd:]
    if mode == "circular":
        values = 1
        for v in out:
            values *= v
        for i, (before, after) in enumerate(pad_pairs(padding)):
            axis = len(x) - 1 - i
            n = x[axis]
            # torch sees an overlap only between slices that are contiguous in memory: those of a
            # dimension with nothing but size-1 dimensions before it in the output.
            leading = 1
            for v in out[:axis]:
                leading *= v
            if not circular_copies_fit(size=n, before=before, after=after) or (
                values and leading == 1 and circular_overlaps(size=n, before=before, after=after)
            ):
                raise SpecError(
                    f"{layer}: torch cannot make this circular padding by its copies (a cropped side "
                    f"leaves too few values to wrap, or a copy overlaps itself). "
                    f"Received: size={n}, padding=({before}, {after})"
                )
    if mode in ("reflect", "replicate") and not any(padded):
        raise SpecError(
            f"{layer}: {mode} padding must leave at least one padded dimension non-empty. "
            f"Received: input_shape={x}, padding={tuple(padding)}; output would be {tuple(out)}"
        )
    return tuple(out)
