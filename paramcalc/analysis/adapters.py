"""LoRA and QLoRA: the adapters' trainable parameters, as the ``peft`` library counts them, and the
memory of fine-tuning with the base model frozen.

LoRA (Hu et al. 2021) adds to a targeted linear layer of weight (out, in) two matrices A (r, in)
and B (out, r): ``r·(in + out)`` trainable parameters; alpha only scales B·A and adds nothing.
Targets are module names matched as peft matches them (the name, or its end after a dot:
``q_proj,v_proj``; GPT-2's MLP, a FeedForward with gelu_new, has c_fc and c_proj), or ``all-linear``: every linear layer but the output layer (peft leaves out
the layer that produces the vocabulary). Linear layers here are torch.nn.Linear and the
projections inside paramcalc's blocks (q_proj, c_attn, gate_proj, fc1 ...); embeddings,
convolutions and MultiheadAttention's packed in_proj are not.

QLoRA (Dettmers et al. 2023) stores the frozen linear weights in 4-bit NormalFloat with double
quantisation (:data:`paramcalc.analysis.formats.FORMATS` ``nf4``: 4.127 bits per weight); the other
weights (embeddings, norms, the output layer) stay in the compute type.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from paramcalc.analysis.memory import FP32_BYTES, Memory, MemoryLine, bytes_per_value, nbytes
from paramcalc.errors import SpecError
from paramcalc.limits import MAX_SIZE

#: Parameter-free or non-linear layer types whose 2-D weights are not linear layers for LoRA.
_NOT_LINEAR = ("Embedding", "MultiheadAttention")
#: FeedForward with gelu_new stands for Hugging Face's GPT2MLP, whose layers are c_fc and c_proj.
_GPT2_MLP = {"fc1": "c_fc", "fc2": "c_proj"}


@dataclass(frozen=True, slots=True)
class LoRA:
    """Adapter settings: rank, alpha, target module names (or ``all-linear``), 4-bit base (QLoRA)."""

    rank: int
    alpha: int | None = None
    targets: tuple[str, ...] = ("q_proj", "v_proj")
    qlora: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.rank, bool) or not isinstance(self.rank, int) or not 1 <= self.rank <= MAX_SIZE:
            raise SpecError(f"lora rank must be a positive integer. Received: lora={self.rank!r}")
        if not self.targets or any(not t or not isinstance(t, str) for t in self.targets):
            raise SpecError(f"lora targets must be module names (q_proj,v_proj) or all-linear. Received: "
                            f"lora_targets={','.join(map(str, self.targets))!r}")


@dataclass(frozen=True, slots=True)
class Adapted:
    """What LoRA finds in a model: targeted layers, adapter parameters, and the base's linear weights."""

    modules: int
    trainable: int
    linear_params: int  # weights and biases of every linear layer (what QLoRA stores in 4 bits)
    base_params: int
    matched: tuple[str, ...]


def parse_targets(text: str) -> tuple[str, ...]:
    """``q_proj,v_proj`` → ("q_proj", "v_proj"); ``all-linear`` stays one name."""
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


def _linear_weights(spec: Any, row: Any) -> list[tuple[str, int, int, int]]:
    """(module name, in, out, parameters incl. bias) of each linear layer inside a layer."""
    if spec.name in _NOT_LINEAR and spec.name != "MultiheadAttention":
        return []
    tensors = spec.param_tensors("pytorch", input_shape=row.input_shape)
    found = []
    for t in tensors:
        if not t.name.endswith("weight") or len(t.shape) != 2 or t.name == "in_proj_weight":
            continue
        module = t.name[: -len(".weight")] if t.name.endswith(".weight") else ""
        if spec.name == "FeedForward" and spec.activation == "gelu_new":  # Hugging Face's GPT2MLP
            module = _GPT2_MLP.get(module, module)
        if spec.name == "MultiheadAttention" and module != "out_proj":
            continue
        if spec.name not in ("Linear",) and not module:
            continue
        name = f"{row.path}.{module}" if module else row.path
        bias = next((b.numel for b in tensors if b.name == (f"{module}.bias" if module else "bias")), 0)
        out_f, in_f = t.shape
        found.append((name, in_f, out_f, out_f * in_f + bias))
    return found


def _vocabulary(rows: list[Any]) -> set[int]:
    from paramcalc.specs.parse import parse_layer

    return {parse_layer(r.layer).num_embeddings for r in rows if r.leaf and r.type == "Embedding" and r.layer}


def adapt(summary: Any, lora: LoRA) -> Adapted:
    """The adapters LoRA adds to a model's summary rows (PyTorch convention)."""
    from paramcalc.specs.parse import parse_layer

    rows = [r for r in summary.rows if r.leaf and r.layer is not None]
    vocabulary = _vocabulary(summary.rows)
    every = lora.targets == ("all-linear",)
    modules = trainable = linear = 0
    matched: set[str] = set()
    for row in rows:
        spec = parse_layer(row.layer)
        for name, in_f, out_f, params in _linear_weights(spec, row):
            output_layer = spec.name == "Linear" and (row.name == "lm_head" or out_f in vocabulary)
            if not output_layer:
                linear += params * row.repeat
            short = name.rsplit(".", 1)[-1]
            if every:
                hit = not output_layer
            else:
                hit = any(short == t or name.endswith("." + t) for t in lora.targets)
            if hit:
                modules += row.repeat
                trainable += lora.rank * (in_f + out_f) * row.repeat
                matched.add(short)
    if not modules:
        raise SpecError(f"lora: no linear layer matches the targets {','.join(lora.targets)}; the model's linear "
                        f"layers are named by their last part (q_proj, c_attn, fc1, ...) or use all-linear")
    return Adapted(modules, trainable, linear, summary.totals.total, tuple(sorted(matched)))


def lora_memory(full: Memory, adapted: Adapted, lora: LoRA, compute: str) -> Memory:
    """Fine-tuning memory from a full-training estimate: the base frozen (in 4 bits with QLoRA),
    gradients and optimizer states for the adapters only; activations as in full training (an upper
    bound: frozen layers need not keep their inputs for a weight gradient)."""
    dtype = full.dtype
    n = adapted.trainable
    b = bytes_per_value(dtype)
    if lora.qlora:
        rest = adapted.base_params - adapted.linear_params
        base = MemoryLine(
            "parameters: base model (frozen, QLoRA)", nbytes(adapted.linear_params, "nf4") + nbytes(rest, compute),
            f"{adapted.linear_params:,} linear × {bytes_per_value('nf4')} (nf4) + {rest:,} other × "
            f"{bytes_per_value(compute)} ({compute})",
        )
    else:
        base = MemoryLine("parameters: base model (frozen)", nbytes(adapted.base_params, dtype),
                          f"{adapted.base_params:,} parameters × {b} ({dtype})")
    lines = [base, MemoryLine(
        "parameters: LoRA adapters", nbytes(n, dtype),
        f"{adapted.modules:,} layers ({', '.join(adapted.matched)}), r={lora.rank}: {n:,} trainable × {b} ({dtype})")]
    lines += [line for line in full.lines if line.name == "buffers"]
    lines.append(MemoryLine("gradients", nbytes(n, dtype), f"{n:,} trainable × {b} ({dtype})"))
    for line in full.lines:
        if line.name.startswith("optimizer: SGD"):
            lines.append(MemoryLine(line.name, n * FP32_BYTES, f"{n:,} trainable × 4 bytes (fp32)"))
        elif line.name.startswith("optimizer: Adam"):
            lines.append(MemoryLine(line.name, 2 * n * FP32_BYTES, f"2 × {n:,} trainable × 4 bytes (fp32)"))
        elif line.name == "optimizer: fp32 master weights":
            lines.append(MemoryLine(line.name, n * FP32_BYTES, f"{n:,} trainable × 4 bytes (fp32)"))
    lines += [line for line in full.lines if line.name.startswith("activations")]
    alpha = f", alpha {lora.alpha} (scales B·A; no memory)" if lora.alpha is not None else ""
    note = (f"{'QLoRA' if lora.qlora else 'LoRA'} rank {lora.rank}{alpha} on {adapted.modules:,} layers: "
            f"{n:,} trainable parameters ({100 * n / max(adapted.base_params, 1):.4f}% of {adapted.base_params:,}); "
            "activations as in full training (an upper bound)")
    return replace(full, lines=tuple(lines), notes=(*full.notes, note))
