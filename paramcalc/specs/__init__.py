"""Layer specifications: frozen pydantic models named and parameterised like their torch.nn classes.

A spec is data. It validates its arguments as torch does (whatever torch rejects at construction,
or for every input when it runs, is a :class:`SpecError` here) and knows the formulas of its family.
Each family lives in its own module (linear, conv, pool, norm, recurrent, attention, activation,
dropout, padding, cells, pixel_shuffle, instance_norm, response_norm, upsample, blocks/..., keras/...), with its specs, counts, shapes, worked formulas, compute and the other
frameworks' equivalents. The classes are loaded with their family, on first use
(``paramcalc.specs.LSTM`` loads :mod:`paramcalc.specs.recurrent`); :data:`TORCH_LAYERS` lists them all.
"""

from typing import Any

from paramcalc.specs import registry
from paramcalc.specs.base import (  # noqa: F401 - re-exported
    STACK_FIELDS,
    Convention,
    IntTuple,
    LayerSpec,
    NonNegInt,
    PosInt,
    Probability,
    Shape,
    StrictBool,
    StrictProbability,
    describe_problem,
    rule_text,
)

__all__ = ["TORCH_LAYERS", "LayerSpec", *registry.names("pytorch")]


def __getattr__(name: str) -> Any:
    """A PyTorch layer class, loaded with its family; ``TORCH_LAYERS``, every one of them by name."""
    if name == "TORCH_LAYERS":
        return registry.layers("pytorch")
    if name in registry.names("pytorch"):
        return registry.layer_class(name)
    raise AttributeError(f"module 'paramcalc.specs' has no attribute {name!r}")
