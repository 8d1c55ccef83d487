"""A PyTorch layer as Keras layers: the parts of its Keras equivalent, each a Keras spec with its input shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramcalc.results import Tensor

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
