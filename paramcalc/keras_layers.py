"""The Keras 3 layer specs as ``paramcalc.keras_layers`` (they live in :mod:`paramcalc.specs.keras`)."""

from paramcalc.specs.keras import *  # noqa: F401,F403 - the public names
from paramcalc.specs.keras import KERAS_LAYERS, KerasLayer, build, build_from_mapping, choose  # noqa: F401
