"""LeNet-5's own layers as a torch module written from the paper would hold them (LeCun et al. 1998):
the tensors named as such a module names them, and the output sizes by counting windows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from paramcalc.errors import SpecError
from paramcalc.reference.tensors import Shape, tensor
from paramcalc.reference.windows import window_count
from paramcalc.results import Tensor


def _subsampling(spec: Any) -> list[Tensor]:
    """``weight`` (one coefficient per map) and ``bias`` (one per map), as nn.Parameter(torch.ones(C))."""
    return [tensor("weight", (spec.channels,), "one trainable coefficient per map"),
            tensor("bias", (spec.channels,), "one trainable bias per map")]


def _sparse_conv(spec: Any) -> list[Tensor]:
    """An nn.ModuleList of one nn.Conv2d(len(table[o]), 1, k) per output map: ``maps.o.weight`` and ``.bias``."""
    out = []
    for o, maps in enumerate(spec.table):
        out.append(tensor(f"maps.{o}.weight", (1, len(maps), *spec.kernel_size),
                          f"output map {o}: reads input maps {', '.join(map(str, maps))}"))
        if spec.bias:
            out.append(tensor(f"maps.{o}.bias", (1,), f"output map {o}: bias"))
    return out


def _rbf(spec: Any) -> list[Tensor]:
    """``weight`` (O, I): one centre per class, nn.Parameter(..., requires_grad=trainable)."""
    return [tensor("weight", (spec.out_features, spec.in_features), "one parameter vector (centre) per class",
                   "trainable" if spec.trainable else "non_trainable")]


TENSORS: dict[str, Callable[[Any], list[Tensor]]] = {
    "Subsampling2d": _subsampling,
    "SparseConv2d": _sparse_conv,
    "RBFOutput": _rbf,
}


def _windows(spec: Any, x: Shape, channels: int, kernel: tuple[int, ...], stride: tuple[int, ...]) -> Shape:
    if len(x) not in (3, 4):
        raise SpecError(f"{spec.type}: expects (N, C, H, W) or (C, H, W)")
    maps = spec.channels if spec.type == "Subsampling2d" else spec.in_channels
    if x[-3] != maps:
        raise SpecError(f"{spec.type}: {x[-3]} input maps, {maps} expected")
    out = []
    for n, k, s in zip(x[-2:], kernel, stride):
        count = window_count(n, k, s, 0, 1, False)
        if count < 1:
            raise SpecError(f"{spec.type}: the window is larger than the input ({n} < {k})")
        out.append(count)
    return (*x[:-3], channels, *out)


def _subsampling_shape(spec: Any, x: Shape) -> dict[str, Shape]:
    return {"output": _windows(spec, x, spec.channels, spec.kernel_size, spec.kernel_size)}


def _sparse_conv_shape(spec: Any, x: Shape) -> dict[str, Shape]:
    return {"output": _windows(spec, x, spec.out_channels, spec.kernel_size, (1, 1))}


def _rbf_shape(spec: Any, x: Shape) -> dict[str, Shape]:
    if not x or x[-1] != spec.in_features:
        raise SpecError(f"RBFOutput: last dimension {x[-1:]} is not in_features")
    return {"output": (*x[:-1], spec.out_features)}


SHAPES: dict[str, Callable[..., dict[str, Shape]]] = {
    "Subsampling2d": _subsampling_shape,
    "SparseConv2d": _sparse_conv_shape,
    "RBFOutput": _rbf_shape,
}
