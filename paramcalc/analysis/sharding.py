"""Memory per GPU when training or serving is spread over several: ZeRO, tensor and pipeline parallelism.

- Data parallel with ZeRO (Rajbhandari et al. 2020, section 5): the model states of mixed-precision
  Adam are ``(2 + 2 + K)·Ψ`` bytes (fp16 parameters and gradients, K = 12 bytes of fp32 master
  weights, momentum and variance). Stage 1 (P_os) divides the optimizer states by the data-parallel
  degree N_d, stage 2 (P_os+g) the gradients too, stage 3 (P_os+g+p) the parameters too.
- Tensor parallel t (Megatron-LM, Shoeybi et al. 2019): every weight matrix of the transformer
  layers, and the embedding, is split t ways; the parameters, gradients and optimizer states per
  GPU are divided by t (LayerNorm weights and some biases are replicated: a few parts per million
  of a large model, left out). Activations inside attention and the MLP split t ways, those on the
  residual stream (layer inputs, LayerNorm, dropout after the residual add) do not (Korthikanti et
  al. 2022, equation 2: ``s·b·h·(10 + 24/t + 5·a·s/(h·t))``); the KV cache splits by heads.
- Pipeline parallel p: each stage holds 1/p of the layers and their states. With the 1F1B
  schedule the first stage keeps the activations of p micro-batches for its L/p layers: as many as
  the whole model for one micro-batch (Korthikanti et al. 2022, section 4.2.3), so activations are
  not divided.

N GPUs = N_d · t · p. Each divided line is rounded up to a whole byte per GPU.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from paramcalc.analysis.memory import Memory, MemoryLine
from paramcalc.errors import SpecError

ZERO_STAGES = (0, 1, 2, 3)


@dataclass(frozen=True, slots=True)
class Parallel:
    """How a run is spread: GPUs in all, ZeRO stage, tensor- and pipeline-parallel degrees."""

    gpus: int = 1
    zero: int = 0
    tensor: int = 1
    pipeline: int = 1

    def __post_init__(self) -> None:
        for name, value in (("gpus", self.gpus), ("tensor_parallel", self.tensor), ("pipeline_parallel", self.pipeline)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SpecError(f"{name} must be a positive integer. Received: {name}={value!r}")
        if self.zero not in ZERO_STAGES:
            raise SpecError(f"zero must be 0, 1, 2 or 3. Received: zero={self.zero!r}")
        if self.gpus % (self.tensor * self.pipeline):
            raise SpecError(
                f"gpus must be a multiple of tensor_parallel × pipeline_parallel. Received: gpus={self.gpus}, "
                f"tensor_parallel={self.tensor}, pipeline_parallel={self.pipeline}"
            )

    @property
    def data(self) -> int:
        """The data-parallel degree N_d = N / (t · p)."""
        return self.gpus // (self.tensor * self.pipeline)

    @property
    def model(self) -> int:
        """t · p: how many ways each model state is split before ZeRO."""
        return self.tensor * self.pipeline

    @property
    def trivial(self) -> bool:
        return self.gpus == 1 and self.zero == 0


def _divisor(line: MemoryLine, plan: Parallel) -> tuple[int, str]:
    """What a line is divided by per GPU, and why."""
    name = line.name
    if name in ("parameters", "gradients") or name.startswith("optimizer"):
        stage = 3 if name == "parameters" else 2 if name == "gradients" else 1
        divisor, why = plan.model, []
        if plan.tensor > 1:
            why.append(f"t={plan.tensor}")
        if plan.pipeline > 1:
            why.append(f"p={plan.pipeline}")
        if plan.zero >= stage and plan.data > 1:
            divisor *= plan.data
            why.append(f"ZeRO-{plan.zero} over N_d={plan.data}")
        return divisor, ", ".join(why)
    if name == "KV cache" and plan.model > 1:
        return plan.model, f"heads over t={plan.tensor}, layers over p={plan.pipeline}"
    if name == "buffers" and plan.pipeline > 1:
        return plan.pipeline, f"layers over p={plan.pipeline}"
    return 1, ""


def per_gpu(memory: Memory, plan: Parallel) -> Memory:
    """The memory one GPU holds under ``plan`` (activations already split by tensor parallelism).

    Raises:
        SpecError: ZeRO without training (it shards training states).
    """
    if plan.zero and not memory.training:
        raise SpecError("zero shards gradients and optimizer states: it needs training")
    if plan.trivial:
        return memory
    lines = []
    for line in memory.lines:
        divisor, why = _divisor(line, plan)
        if divisor == 1:
            lines.append(line)
            continue
        lines.append(MemoryLine(line.name, -(-line.bytes // divisor), f"({line.formula}) ÷ {divisor} ({why})"))
    note = (f"per GPU of {plan.gpus}: data parallel {plan.data}, tensor parallel {plan.tensor}, pipeline "
            f"parallel {plan.pipeline}" + (f", ZeRO stage {plan.zero}" if plan.zero else ""))
    return replace(memory, lines=tuple(lines), notes=(*memory.notes, note))
