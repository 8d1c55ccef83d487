"""The building blocks' old import path: the specs live in :mod:`paramcalc.specs.blocks`."""

from paramcalc.specs.blocks import *  # noqa: F401,F403 - the public names
from paramcalc.specs.blocks import BLOCK_LAYERS, BLOCK_TYPES  # noqa: F401
