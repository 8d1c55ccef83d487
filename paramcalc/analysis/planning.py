"""Does it fit? A memory estimate against a GPU's memory less the framework's overhead, and the
largest batch size or sequence length that fits (found by bisection over exact estimates)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from paramcalc.analysis.gpus import GPU, Overhead
from paramcalc.analysis.memory import Memory, format_bytes
from paramcalc.errors import SpecError
from paramcalc.limits import MAX_SIZE


@dataclass(frozen=True, slots=True)
class Fit:
    """One GPU's memory against what a run needs on it."""

    gpu: GPU
    gpus: int
    needed: int
    overhead: int
    overhead_rule: str
    #: inference: how many sequences of this length the KV cache has room for (None otherwise)
    sequences: int | None = None

    @property
    def usable(self) -> int:
        """The GPU's memory less the overhead."""
        return self.gpu.bytes - self.overhead

    @property
    def spare(self) -> int:
        """What is left (negative: missing)."""
        return self.usable - self.needed

    @property
    def fits(self) -> bool:
        return self.spare >= 0

    def sentence(self) -> str:
        """``fits on A100-80GB: 12.00 GiB to spare`` or ``does not fit …: 3.10 GiB short``."""
        where = self.gpu.name + (f" (each of {self.gpus})" if self.gpus > 1 else "")
        head = (f"fits on {where}: {format_bytes(self.spare)} to spare" if self.fits
                else f"does not fit on {where}: {format_bytes(-self.spare)} short")
        tail = (f" ({format_bytes(self.gpu.bytes)} [{self.gpu.source}] − overhead {format_bytes(self.overhead)} "
                f"[{self.overhead_rule}] = {format_bytes(self.usable)} usable; needed {format_bytes(self.needed)})")
        return head + tail

    def as_dict(self) -> dict[str, Any]:
        return {
            "gpu": self.gpu.name, "gpu_bytes": self.gpu.bytes, "gpu_source": self.gpu.source, "gpus": self.gpus,
            "overhead_bytes": self.overhead, "overhead": self.overhead_rule, "usable_bytes": self.usable,
            "needed_bytes": self.needed, "spare_bytes": self.spare, "fits": self.fits, "sequences": self.sequences,
        }


def fit(memory: Memory, gpu: GPU, overhead: Overhead, gpus: int = 1) -> Fit:
    """Whether ``memory`` (one GPU's share) fits on ``gpu`` with ``overhead`` set aside."""
    used = overhead.of(gpu.bytes)
    sequences = None
    if not memory.training and memory.batch_size:
        kv = next((line.bytes for line in memory.lines if line.name == "KV cache"), 0)
        if kv:
            per_sequence = -(-kv // memory.batch_size)
            room = gpu.bytes - used - (memory.total_bytes - kv)
            sequences = max(room // per_sequence, 0)
    return Fit(gpu, gpus, memory.total_bytes, used, str(overhead), sequences)


def largest(estimate: Callable[[int], Memory], usable: int, what: str, limit: int = MAX_SIZE) -> tuple[int, Memory | None]:
    """The largest value in 1..limit whose estimate fits in ``usable`` bytes, and that estimate
    (0 and None when even 1 does not fit). Memory grows with batch size and sequence length, so
    bisection finds it: doubling to a value that does not fit, then halving the gap.

    Raises:
        SpecError: an estimate fails for another reason than size.
    """
    if usable < 0:
        return 0, None
    best, best_memory = 0, None
    low, high = 0, None  # low fits (0: nothing yet), high does not
    probe = 1
    while high is None:
        memory = estimate(probe)
        if memory.total_bytes <= usable:
            best, best_memory, low = probe, memory, probe
            if probe >= limit:
                return best, best_memory
            probe = min(probe * 2, limit)
        else:
            high = probe
    while high - low > 1:
        middle = (low + high) // 2
        memory = estimate(middle)
        if memory.total_bytes <= usable:
            best, best_memory, low = middle, memory, middle
        else:
            high = middle
    if best == 0:
        return 0, None
    return best, best_memory


def check_max(what: str | None) -> str | None:
    """``batch`` or ``seq-len`` (what ``--max`` solves for), or None."""
    if what not in (None, "batch", "seq-len"):
        raise SpecError(f"max must be batch or seq-len. Received: max={what!r}")
    return what


@dataclass(frozen=True, slots=True)
class Plan:
    """A memory estimate per GPU, whether it fits, and the largest batch or length that does."""

    memory: Memory
    fit: Fit | None = None
    #: (what was solved for, its largest value that fits; 0: nothing fits)
    solved: tuple[str, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        data = self.memory.as_dict()
        if self.fit is not None:
            data["fit"] = self.fit.as_dict()
        if self.solved is not None:
            data["max"] = {"what": self.solved[0], "value": self.solved[1]}
        return data


def plan_memory(
    model: Any,
    *,
    gpu: str | None = None,
    gpus: int = 1,
    zero: int = 0,
    tensor_parallel: int = 1,
    pipeline_parallel: int = 1,
    overhead: str | Overhead | None = None,
    maximise: str | None = None,
    lora: Any = None,
    batch_size: int | None = None,
    seq_len: int | None = None,
    device: str | None = None,
    **options: Any,
) -> Plan:
    """Memory per GPU of training or serving ``model``, and whether it fits on ``gpu``.

    Args:
        model: a model, model-file dict or path, or a preset's name.
        gpu: a GPU of :data:`paramcalc.analysis.gpus.GPUS` (``A100-80GB``) or a size (``24GiB``).
        gpus: GPUs in all (data × tensor × pipeline parallel).
        zero: ZeRO stage 0-3 over the data-parallel GPUs.
        tensor_parallel, pipeline_parallel: Megatron-LM's degrees.
        overhead: the framework's share of each GPU (``1GiB+5%``, the default).
        maximise: ``batch`` or ``seq-len``: the largest value that fits on ``gpu``.
        lora: a :class:`paramcalc.analysis.adapters.LoRA`: fine-tune adapters, the base frozen.
        batch_size, seq_len: as :func:`paramcalc.analysis.memory.model_memory` takes them.
        device: ``cpu`` or ``cuda`` (dropout masks); default ``cuda`` with a GPU, else ``cpu``.
        options: the other arguments of :func:`~paramcalc.analysis.memory.model_memory`.

    Raises:
        SpecError, ModelError: a setting is out of range, the model cannot be read.
    """
    from paramcalc.analysis.adapters import adapt, lora_memory
    from paramcalc.analysis.gpus import DEFAULT_OVERHEAD, find_gpu, parse_overhead
    from paramcalc.analysis.memory import compute_dtype, model_memory
    from paramcalc.analysis.sharding import Parallel, per_gpu
    from paramcalc.readers import load_model_or_preset

    check_max(maximise)
    if maximise and gpu is None:
        raise SpecError(f"max {maximise} needs a GPU to fill: give gpu (A100-80GB, 24GiB)")
    if lora is not None and not options.get("training"):
        raise SpecError("lora fine-tunes: it needs training")
    card = find_gpu(gpu) if gpu is not None else None
    rule = DEFAULT_OVERHEAD if overhead is None else overhead if isinstance(overhead, Overhead) else parse_overhead(overhead)
    parallel = Parallel(gpus, zero, tensor_parallel, pipeline_parallel)
    loaded = model if hasattr(model, "layers") or hasattr(model, "totals") else load_model_or_preset(model)
    device = device or ("cuda" if card is not None else "cpu")
    if not hasattr(loaded, "layers"):  # a checkpoint's summary (safetensors, GGUF): its tensors only
        return _stored(loaded, card, rule, parallel, maximise, lora, options)
    adapted = adapt(loaded.summarize(), lora) if lora is not None else None

    def estimate(batch: int | None, length: int | None) -> Memory:
        memory = model_memory(loaded, batch_size=batch, seq_len=length, device=device,
                              tensor_parallel=tensor_parallel, **options)
        if adapted is not None:
            memory = lora_memory(memory, adapted, lora, compute_dtype(memory.dtype))
        return per_gpu(memory, parallel)

    memory = estimate(batch_size, seq_len)
    if card is None:
        return Plan(memory)
    solved = None
    if maximise:
        usable = card.bytes - rule.of(card.bytes)
        if maximise == "batch":
            value, best = largest(lambda b: estimate(b, seq_len), usable, "batch")
        else:
            value, best = largest(lambda s: estimate(batch_size, s), usable, "seq-len")
        solved = (maximise, value)
        memory = best or memory
    return Plan(memory, fit(memory, card, rule, gpus), solved)


def _stored(summary: Any, card: GPU | None, rule: Overhead, parallel: Any, maximise: str | None, lora: Any,
            options: dict[str, Any]) -> Plan:
    """A checkpoint's weights (no input, so no activations): sharded and fitted, nothing to solve for."""
    from paramcalc.analysis.sharding import per_gpu
    from paramcalc.analysis.stored import stored_memory

    if maximise or lora is not None:
        raise SpecError(f"{summary.name}: a checkpoint has no input or layers: --max and --lora need a model file")
    memory = per_gpu(stored_memory(summary, dtype=options.get("dtype", "fp32"), training=options.get("training", False),
                                   optimizer=options.get("optimizer", "adam"), momentum=options.get("momentum", False)),
                     parallel)
    return Plan(memory, fit(memory, card, rule, parallel.gpus) if card is not None else None)
