"""Input shapes as the conventions take them (kept in :mod:`paramcalc.specs.shapes`, re-exported here)."""

from paramcalc.specs.shapes import KShape, as_shapes, check_shape, fmt_shape, is_shape_list  # noqa: F401
