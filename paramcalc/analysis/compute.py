"""Compute of a layer's or a whole model's forward pass: MACs, FLOPs and every non-MAC operation, itemised.

What is counted (the rules, for every layer family):

- **MACs** are the multiply-accumulates of the products a layer computes: matrix products
  (Linear, attention projections, recurrent gates), convolutions, and attention's two batched
  products. One MAC = one multiplication + one addition; **FLOPs = 2 × MACs + the non-MAC
  operations**, each listed as its own item (bias adds, normalisation, activations, softmax,
  pooling, element-wise products and residual adds), never folded into the MACs.
- **Attention** counts the Q, K, V and output projections **and** the QKᵀ and softmax·V products
  (N·L·S·E MACs each). Leaving the products out is how ViT-B/16 gets reported at 0.17 GMACs
  instead of about 17.6 GMACs.
- **Recurrent layers** count every gate at every time step, in both directions and in every
  layer of the stack: the sequence length multiplies everything.
- **Convolutions** honour groups, stride and dilation: MACs = out_elements · (C_in/groups) ·
  prod(kernel). **Transposed convolutions** scatter each input element through the kernel:
  MACs = in_elements · (C_out/groups) · prod(kernel).
- **Biases** are listed apart (one addition per output element that gets one).
- Counts are for one forward pass in inference mode (BatchNorm with running statistics, dropout
  off), batch included, on the dense computation (a causal mask saves nothing).
- Training: forward + backward ≈ 3 × forward FLOPs (:func:`training_flops`).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

from paramcalc.errors import SpecError
from paramcalc.formulas import compute as fc
from paramcalc.results import KIND_LABELS, NON_MAC_KINDS, Compute, Op, total  # noqa: F401 - the public compute types
from paramcalc.specs.base import LayerSpec
from paramcalc.specs.ops import elements as _elements
from paramcalc.specs.ops import op as _op

Shape = tuple[int, ...]


def layer_compute(spec: Any, *input_shapes: Any) -> Compute:
    """MACs and FLOPs of one forward pass of ``spec`` on inputs of these shapes (``spec.compute``).

    Args:
        spec: a layer spec (its left-out input size is filled from the first shape).
        input_shapes: the input shape(s), batch included, in torch's forward order
            (attention: query, key, value; decoder layer: tgt, memory).

    Returns:
        A :class:`~paramcalc.results.Compute` with every counted item, ``macs`` and ``flops``.

    Raises:
        SpecError: no input shape, or one that does not fit the layer.
    """
    return spec.compute(*input_shapes)


@dataclass(frozen=True)
class ModelCompute:
    """A model's forward-pass compute: per summary row (layers and blocks) and in total.

    Attributes:
        total: every counted item of every layer, names prefixed with the layer's path, plus the
            adds that join residual shortcuts and parallel branches.
        rows: the compute of each summary row by path; a block's is the sum of what it contains.
        params: the model's parameters (N of the training rules of thumb).
        embedding_params: parameters of the embedding tables (excluded from N in 6·N·D).
        tokens: the tokens one forward pass reads (batch × sequence) when the model reads token
            ids, else None.
    """

    total: Compute
    rows: dict[str, Compute]
    params: int
    embedding_params: int = 0
    tokens: int | None = None

    @property
    def macs(self) -> int:
        return self.total.macs

    @property
    def flops(self) -> int:
        return self.total.flops

    @property
    def training_flops(self) -> int:
        """Forward + backward ≈ 3 × forward FLOPs."""
        return fc.training_flops(forward_flops=self.total.flops)

    @property
    def six_n_d(self) -> int | None:
        """6·N·D training FLOPs (N without embeddings, D = tokens), for models that read tokens."""
        if self.tokens is None:
            return None
        return fc.six_n_d(params=self.params - self.embedding_params, tokens=self.tokens)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: totals, by kind, per row, and the training estimates."""
        data: dict[str, Any] = {
            "macs": self.macs,
            "flops": self.flops,
            "non_mac_flops": self.total.by_kind(),
            "rows": {path: {"macs": c.macs, "flops": c.flops} for path, c in self.rows.items()},
            "training_flops_estimate": {"rule": "3 × forward FLOPs", "flops": self.training_flops},
            "notes": list(self.total.notes),
        }
        if self.tokens is not None:
            n = self.params - self.embedding_params
            data["six_n_d"] = {
                "rule": "6 · N · D (N: parameters outside embedding tables; D: tokens)",
                "params": n, "tokens": self.tokens, "flops": self.six_n_d,
                "forward_flops_per_token": self.flops // self.tokens if self.tokens else None,
            }
        return data


_EMBEDDINGS = ("Embedding", "keras.Embedding")


def _row_spec(row: Any) -> LayerSpec:
    from paramcalc.specs.parse import parse_layer

    return parse_layer(row.layer)


def _row_inputs(row: Any) -> tuple[Any, ...]:
    shapes = tuple(getattr(row, "input_shapes", None) or (row.input_shape,))
    if any(s is None for s in shapes):
        raise SpecError(f"{row.path}: the input shape is unknown; MACs and FLOPs need the model's input shape")
    return shapes


def _has_repetition_rows(row: Any, rows: tuple[Any, ...], index: int) -> bool:
    """Whether a repeated block's repetitions are listed as rows of their own (each joins its own shortcut)."""
    return any(
        r.depth == row.depth + 1 and r.type == row.type and r.path.startswith(row.path + "[")
        and "." not in r.path[len(row.path):]
        for r in rows[index + 1:]
    )


def _merge_adds(row: Any, rows: tuple[Any, ...], index: int) -> Compute:
    """The element-wise operations that join a residual block's shortcut, a parallel node's branches or
    a merge entry's inputs (concatenation only copies: no operation)."""
    if row.output_shape is None:
        return Compute()
    shape = row.output_shape
    if shape and shape[0] is None:  # Keras's unknown batch: counted for one sample, as its layers are
        shape = (1, *shape[1:])
    if None in shape:
        raise SpecError(f"{row.path}: counting MACs needs every size but the batch. Received: {row.output_shape}")
    elements, work = _elements(shape)
    kind = getattr(row, "merge", "") or "add"
    if kind == "concat":
        return Compute()
    if row.leaf:  # a merge entry: one operation per input after the first, per output element
        joins = (len(row.input_shapes) - 1) * row.repeat
        name = {"add": "adding the inputs", "average": "averaging the inputs"}.get(kind, f"{kind} of the inputs")
        return _op(name, "elementwise", joins * elements, f"{joins}·elements", f"{joins}·{work}")
    if kind != "add":
        if row.type == "Parallel":
            joins = (sum(1 for r in rows[index + 1:] if r.depth == row.depth + 1 and r.path.startswith(row.path + "."))
                     - 1) * row.repeat
            what = "branches"
        else:
            if _has_repetition_rows(row, rows, index):
                return Compute()  # its repetitions have rows of their own
            joins, what = row.repeat, "shortcut"
        return _op(f"{kind} of the {what}", "elementwise", joins * elements, f"{joins}·elements", f"{joins}·{work}")
    if row.type == "Residual":
        if _has_repetition_rows(row, rows, index):
            return Compute()  # its repetitions have rows of their own
        return _op("shortcut add", "elementwise", row.repeat * elements,
                   "elements" if row.repeat == 1 else "repeats·elements",
                   work if row.repeat == 1 else f"{row.repeat}·{work}")
    if row.type == "Parallel":
        branches = sum(1 for r in rows[index + 1:] if r.depth == row.depth + 1 and r.path.startswith(row.path + "."))
        adds = (branches - 1) * row.repeat
        return _op("adding the branches", "elementwise", adds * elements, f"{adds}·elements", f"{adds}·{work}")
    return Compute()


def model_compute(summary: Any) -> ModelCompute:
    """MACs and FLOPs of a summarised model: each layer's, × its repeats, and the joining adds.

    Args:
        summary: a :class:`~paramcalc.models.summary.Summary` with known input shapes, or anything
            :func:`paramcalc.analysis.memory.model_memory` takes (a model, a model file, a preset's name),
            summarised with its own input shape.

    Raises:
        SpecError: an input shape is unknown.
    """
    if not hasattr(summary, "rows"):
        from paramcalc.models.presets import load_model_or_preset
        from paramcalc.models.evaluate import evaluate

        summary = evaluate(load_model_or_preset(summary))
    rows = tuple(summary.rows)
    own: list[Compute] = []
    embedding = 0
    for i, row in enumerate(rows):
        if row.leaf and row.layer is not None:
            c = layer_compute(_row_spec(row), *_row_inputs(row))
            if row.repeat > 1:
                c = c.times(row.repeat, "repeats")
            if row.type in _EMBEDDINGS:
                embedding += row.count.total
        else:
            c = _merge_adds(row, rows, i)
        own.append(c.prefixed(row.path))
    per_row: dict[str, Compute] = {}
    for i, row in enumerate(rows):
        c = own[i]
        for j in range(i + 1, len(rows)):
            if rows[j].depth <= row.depth:
                break
            c = c + own[j]
        per_row[row.path] = c
    tokens = None
    first_leaf = next((r for r in rows if r.leaf), None)
    first_input = next(iter(summary.input_shapes.values()), None)
    if first_leaf is not None and first_leaf.type in _EMBEDDINGS and first_input is not None:
        tokens = prod(first_input)
    return ModelCompute(
        total=total(own), rows=per_row, params=summary.totals.total, embedding_params=embedding, tokens=tokens,
    )


def try_layer_compute(spec: LayerSpec, *input_shapes: Any) -> tuple[Compute | None, str | None]:
    """``layer_compute``, or (None, why) when the shapes do not allow a count (an unknown size)."""
    from paramcalc.errors import ParamcalcError

    if not input_shapes:
        return None, None
    try:
        return layer_compute(spec, *input_shapes), None
    except ParamcalcError as exc:
        return None, f"MACs and FLOPs not counted: {exc}"
