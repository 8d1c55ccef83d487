"""A PyTorch layer as Keras layers: the parts of its Keras equivalent, each a Keras spec with its input shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc.results import Count, Tensor

KShape = tuple[int | None, ...]


@dataclass(frozen=True)
class Part:
    """One Keras layer of a PyTorch spec's Keras equivalent: its name, spec and input shapes."""

    name: str
    spec: Any  # a Keras layer spec, or None
    shapes: tuple[KShape, ...] = ()
    inner_name: str | None = None
    #: Weights a Keras layer adds with add_weight outside any sublayer (a class token), as tensors.
    raw: tuple[Tensor, ...] = ()


def parts_count(parts: list[Part]) -> Count:
    """What Keras's ``count_params()`` gives for a torch spec's Keras equivalent."""
    total = Count(0)
    for part in parts:
        total = total + (Count.of_tensors(list(part.raw)) if part.spec is None else part.spec._keras_count(part.shapes))
    return total


def parts_tensors(parts: list[Part]) -> list[Tensor]:
    """The weights of a torch spec's Keras equivalent, with Keras's paths."""
    out = []
    for part in parts:
        if part.spec is None:
            listed = list(part.raw)
        else:
            listed = part.spec._keras_tensors(part.shapes, inner_name=part.inner_name)
        for t in listed:
            name = f"{part.name}/{t.name}" if part.name else t.name
            out.append(Tensor(name, t.shape, t.kind, t.description))
    return out
