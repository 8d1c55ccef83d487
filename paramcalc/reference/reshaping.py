"""torch.nn layers that change a shape without weights, simulated: the padding layers (each line
padded cell by cell), Unflatten (the inferred size found by search), the pixel shuffles and
Upsample (its output positions counted)."""

from __future__ import annotations

from typing import Any, Callable

from paramcalc.errors import SpecError
from paramcalc.reference.refusals import upsample_mode
from paramcalc.reference.tensors import Shape

#: Each padding layer's mode, by the start of its name.
PAD_MODES = {"ZeroPad": "constant", "ConstantPad": "constant", "ReflectionPad": "reflect",
             "ReplicationPad": "replicate", "CircularPad": "circular"}
PADS = tuple(f"{kind}{n}d" for kind in PAD_MODES for n in (1, 2, 3))

#: Layers of this module that create no tensor.
UPSAMPLES = ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
NO_PARAMETERS = frozenset({*PADS, "Unflatten", "PixelShuffle", "PixelUnshuffle", "LocalResponseNorm", *UPSAMPLES})


def _source(mode: str, j: int, n: int) -> int | None:
    """The input cell a padded position j (0 <= j < n: the input itself) copies, or None for a constant."""
    if 0 <= j < n or mode == "constant":
        return j if 0 <= j < n else None
    if mode == "replicate":
        return 0 if j < 0 else n - 1
    if mode == "circular":
        return j % n
    # reflect: mirror about the edge cells, which are not repeated
    return -j if j < 0 else 2 * (n - 1) - j


def pad_line(mode: str, n: int, before: int, after: int) -> int:
    """Pad a line of n cells and return its length, checking what torch checks.

    Constant padding crops first, one side after the other (each crop must find its cells), then
    adds cells; the other modes list the source cell of every output position.
    """
    if mode == "constant":
        line: list[int | None] = list(range(n))
        for crop, from_start in ((-before, True), (-after, False)):
            if crop > 0:
                if crop > len(line):
                    raise SpecError("constant: crops more cells than there are")
                line = line[crop:] if from_start else line[: len(line) - crop]
        return max(before, 0) + len(line) + max(after, 0)
    if mode == "reflect" and (before >= n or after >= n):
        raise SpecError("reflect: padding not below the size")
    if mode == "circular" and (before > n or after > n):
        raise SpecError("circular: wraps more than once")
    if n + before + after < 0:
        raise SpecError(f"{mode}: crops more cells than there are")
    cells = [_source(mode, j, n) for j in range(-before, n + after)]
    return len(cells)


def circular_copies(n: int, before: int, after: int) -> tuple[bool, bool]:
    """Replay torch's circular padding on lists of positions (Python's slices clamp and count
    negative bounds from the end as torch's do): the kept input, then the left and right pads
    copied from inside the output. (whether every copy's source fits its destination, whether
    one partly overlaps its source)."""
    out = list(range(n + before + after))
    kept = list(range(n))[max(-before, 0): n - max(-after, 0)]
    copies = [(out[max(before, 0): len(out) - max(after, 0)], kept)]
    if before > 0:
        copies.append((out[:before], out[len(out) - before - max(after, 0): len(out) - max(after, 0)]))
    if after > 0:
        copies.append((out[len(out) - after:], out[max(before, 0): max(before, 0) + after]))
    fits = all(len(src) in (len(dst), 1) for dst, src in copies)
    overlaps = any(dst != src and set(dst) & set(src) for dst, src in copies[1:])
    return fits, overlaps


def _pad(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    tag = spec.type
    nd = int(tag[-2])
    mode = PAD_MODES[tag[:-2]]
    pads = tuple(spec.padding)
    if mode == "constant":
        if len(x) < nd:
            raise SpecError(f"{tag}: fewer dimensions than padded")
    else:
        if len(x) not in (nd + 1, nd + 2):
            raise SpecError(f"{tag}: wrong rank")
        non_batch = x[1:] if len(x) == nd + 2 else x
        if mode != "circular" and 0 in non_batch:
            raise SpecError(f"{tag}: empty dimension")
    out = list(x)
    for i in range(nd):  # pads[0:2] are for the last dimension, pads[2:4] the one before, ...
        axis = len(x) - 1 - i
        out[axis] = pad_line(mode, x[axis], pads[2 * i], pads[2 * i + 1])
    if mode == "circular":
        has_values = all(out)
        for i in range(nd):
            axis = len(x) - 1 - i
            fits, overlaps = circular_copies(x[axis], pads[2 * i], pads[2 * i + 1])
            # memory overlap is checked between contiguous slices only: all dimensions before size 1
            contiguous = all(v == 1 for v in out[:axis])
            if not fits or (overlaps and has_values and contiguous):
                raise SpecError(f"{tag}: torch's copies do not fit")
    if mode in ("reflect", "replicate") and all(n == 0 for n in out[len(x) - nd:]):
        raise SpecError(f"{tag}: every padded dimension empty")
    return {"output": tuple(out)}


def _unflatten(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    if not x:
        raise SpecError("Unflatten: no dimension")
    axis = spec.dim + len(x) if spec.dim < 0 else spec.dim
    if not 0 <= axis < len(x):
        raise SpecError("Unflatten: dim out of range")
    n = x[axis]
    sizes = list(spec.unflattened_size)

    def product(values: list[int]) -> int:
        total = 1
        for v in values:
            total *= v
        return total

    if -1 in sizes:
        i = sizes.index(-1)
        fits = [v for v in range(n + 2) if product(sizes[:i] + [v] + sizes[i + 1:]) == n]
        if len(fits) != 1:  # none, or any value when the others multiply to 0
            raise SpecError("Unflatten: cannot infer the size")
        sizes[i] = fits[0]
    elif product(sizes) != n:
        raise SpecError("Unflatten: sizes do not multiply to the dimension")
    return {"output": (*x[:axis], *sizes, *x[axis + 1:])}


def _pixel_shuffle(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """Move every channel's r·r block of values: count where each input value lands."""
    if len(x) < 3:
        raise SpecError(f"{spec.type}: fewer than 3 dimensions")
    *lead, c, h, w = x
    if spec.type == "PixelShuffle":
        r = spec.upscale_factor
        groups = [k for k in range(0, c + 1) if k * r * r == c]
        if not groups:
            raise SpecError("PixelShuffle: channels not a multiple of r²")
        return {"output": (*lead, groups[0], h * r, w * r)}
    r = spec.downscale_factor
    heights = [k for k in range(h + 1) if k * r == h]
    widths = [k for k in range(w + 1) if k * r == w]
    if not heights or not widths:
        raise SpecError("PixelUnshuffle: height or width not a multiple of r")
    values = c * h * w
    for v in lead:
        values *= v
    if values == 0:  # torch hands an input without values back as it is
        return {"output": x}
    return {"output": (*lead, c * r * r, heights[0], widths[0])}


def _local_response_norm(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """Each value over a window of neighbouring channels: an (N, C, *) input, kept as it is."""
    if len(x) < 3:
        raise SpecError("LocalResponseNorm: fewer than 3 dimensions")
    values = 1
    for n in x:
        values *= n
    if values and spec.size < 1:  # its pooling window over the channels is then empty
        raise SpecError("LocalResponseNorm: a window of no channels")
    return {"output": x}


#: The input ranks of each Upsample mode: which of F.interpolate's kernels runs on which rank.
_KERNELS = {3: ("nearest", "nearest-exact", "area", "linear"), 4: ("nearest", "nearest-exact", "area", "bilinear", "bicubic"),
            5: ("nearest", "nearest-exact", "area", "trilinear")}


def _positions(length: int, factor: float) -> int:
    """Output positions of one dimension scaled by ``factor``: every j whose end j + 1 the scaled
    length (length · factor, a double as torch multiplies) still reaches."""
    scaled = length * factor
    if scaled <= -1:
        return -1  # torch truncates toward zero: a negative size
    j = 0
    while j + 1 <= scaled:
        j += 1
    return j


def _upsample(spec: Any, x: Shape, *_: Shape) -> dict[str, Shape]:
    """F.interpolate's kernel for the mode and rank, then one output length per spatial dimension."""
    mode = upsample_mode(spec)
    if mode not in _KERNELS.get(len(x), ()):
        raise SpecError(f"{spec.type}: no {mode} kernel for a {len(x)}-D input")
    spatial = x[2:]
    target = spec.size if spec.size is not None else spec.scale_factor
    per_dim = target if isinstance(target, tuple) else tuple(target for _ in spatial)
    if len(per_dim) != len(spatial):
        raise SpecError(f"{spec.type}: size or scale_factor of another number of dimensions")
    if spec.size is not None:
        lengths = per_dim
    else:
        lengths = tuple(_positions(n, f) for n, f in zip(spatial, per_dim))
    if any(n == 0 for n in spatial):
        raise SpecError(f"{spec.type}: an empty spatial dimension")
    if any(n < (0 if mode == "area" else 1) for n in lengths):
        raise SpecError(f"{spec.type}: an output of no positions")
    channels_needed = mode != "area" or len(x) == 5  # adaptive_avg_pool3d checks every non-batch dimension
    if channels_needed and x[1] == 0:
        raise SpecError(f"{spec.type}: no channels")
    return {"output": (x[0], x[1], *lengths)}


#: Output shapes, by type tag.
SHAPES: dict[str, Callable[..., dict[str, Shape]]] = {
    **{kind: _pad for kind in PADS},
    "Unflatten": _unflatten,
    "PixelShuffle": _pixel_shuffle,
    "PixelUnshuffle": _pixel_shuffle,
    "LocalResponseNorm": _local_response_norm,
    **dict.fromkeys(UPSAMPLES, _upsample),
}
