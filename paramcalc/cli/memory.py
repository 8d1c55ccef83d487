"""The ``paramcalc memory`` command (a thin wrapper over :func:`paramcalc.model_memory`); the tables
it prints come from :mod:`paramcalc.render.memory`.
"""

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from paramcalc.analysis.formats import FORMATS
from paramcalc.cli.options import (
    STDIN_HELP,
    Brief,
    DecimalBytes,
    InputShape,
    Json,
    Working,
    choice,
    int_range,
    read_data,
    shape_argument,
)
from paramcalc.cli.output import print_json, print_line, print_rich

if TYPE_CHECKING:
    from paramcalc.analysis.memory import Memory

app = typer.Typer()

MEMORY_HELP = """How much memory a model needs: weights, buffers, and for training gradients, optimizer states and activations; for decoder transformers the KV cache.

Each line shows its formula; sizes are in binary units (1 GiB = 1,024³ bytes), with the exact byte count in --json. int8, int4 and the other quantised formats hold the weights only (activations and the KV cache stay fp16). Optimizer states are fp32 (Adam and AdamW: two moments; in fp16/bf16 also fp32 master weights). Training activations are the tensors autograd keeps for the backward pass, layer by layer (checked against torch's saved tensors); inference activations are the largest layer input + output.

Examples:

\b
  paramcalc memory llama2-7b --dtype fp16
  paramcalc memory llama2-7b --dtype fp16 --batch-size 8 --seq-len 2048
  paramcalc memory gpt2 --training --dtype bf16 --optimizer adamw --batch-size 8
  paramcalc memory gpt2 --training -b 8 --attention flash --checkpointing selective --device cuda
  paramcalc memory llama2-7b --training --dtype bf16 --gpu A100-80GB --max batch
  paramcalc memory llama2-7b --training --dtype bf16 --gpus 64 --zero 3 --tensor-parallel 2
  paramcalc memory llama2-7b --training --lora 16 --lora-targets all-linear --qlora --gpu 24GiB
  paramcalc memory llama2-7b --dtype q4_k_m --gpu RTX4090 --max seq-len
  paramcalc memory resnet50 --training --optimizer sgd --momentum --batch-size 32 --json

Python: paramcalc.model_memory("llama2-7b", dtype="fp16", seq_len=2048); with GPUs, parallelism, adapters or --max: paramcalc.plan_memory("llama2-7b", training=True, gpu="A100-80GB", maximise="batch")
"""


#: Data types for ``--dtype``: every storage format (paramcalc.analysis.formats).
DType = Enum("DType", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]


class AttentionKernel(str, Enum):
    """Attention kernels for ``--attention``."""

    eager = "eager"
    flash = "flash"


class Checkpointing(str, Enum):
    """Activation recomputation for ``--checkpointing`` (Korthikanti et al. 2022)."""

    none = "none"
    selective = "selective"
    full = "full"


class Device(str, Enum):
    """Where the run happens, for ``--device`` (the size of dropout masks)."""

    cpu = "cpu"
    cuda = "cuda"


class Solve(str, Enum):
    """What ``--max`` solves for."""

    batch = "batch"
    seq_len = "seq-len"


class Optimizer(str, Enum):
    """Optimizers for ``--optimizer``."""

    sgd = "sgd"
    adam = "adam"
    adamw = "adamw"


def memory_heading(memory: "Memory", name: Optional[str]) -> str:
    """``LLaMA-2-7B: inference in fp16, batch 1, 4,096 tokens``."""
    mode = "training" if memory.training else "inference"
    parts = [f"{mode} in {memory.dtype}"]
    if memory.optimizer:
        parts.append(memory.optimizer)
    if memory.batch_size is not None:
        parts.append(f"batch {memory.batch_size:,}")
    if memory.seq_len is not None:
        parts.append(f"{memory.seq_len:,} tokens")
    return f"{name or 'model'}: {', '.join(parts)}"


@app.command("memory", help=MEMORY_HELP)
def memory_command(
    target: Annotated[str, typer.Argument(
        metavar="MODEL_OR_PRESET", show_default=False,
        help=f"A model file (YAML or JSON) or a preset name (paramcalc presets); {STDIN_HELP}")],
    dtype: Annotated[DType, typer.Option(
        "--dtype", parser=choice(DType, case_sensitive=False), metavar="FORMAT",
        help="Type of the weights: fp32, fp16, bf16, fp8-e4m3/e5m2, int8, int4 (half a byte), int4-g32/g64/g128 "
             "(a fp16 scale per group), nf4 (QLoRA), GGUF q4_0, q8_0, q4_k, q4_k_m, ...; with the quantised ones "
             "(weight-only) activations and the KV cache stay fp16 (bf16 for fp8). Any case: Q4_K_M is q4_k_m.")] = DType.fp32,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch-size", "-b", min=1, parser=int_range(1),
        help="Batch size (replaces the input's first dimension).")] = None,
    seq_len: Annotated[Optional[int], typer.Option(
        "--seq-len", min=1, parser=int_range(1),
        help="Sequence length (replaces a sequence input's second dimension).")] = None,
    optimizer: Annotated[Optional[Optimizer], typer.Option(
        "--optimizer", parser=choice(Optimizer),
        help="Optimizer whose states training keeps (with --training; adam when not given).")] = None,
    momentum: Annotated[bool, typer.Option("--momentum", help="SGD with a momentum buffer.")] = False,
    training: Annotated[bool, typer.Option(
        "--training", help="Training: gradients, optimizer states, the activations autograd keeps.")] = False,
    input_shape: InputShape = None,
    attention: Annotated[AttentionKernel, typer.Option(
        "--attention", parser=choice(AttentionKernel),
        help="Attention kernel (training activations): eager builds the b·a·s² scores and keeps them; flash "
             "(FlashAttention, torch's fused kernels) keeps none.")] = AttentionKernel.eager,
    checkpointing: Annotated[Checkpointing, typer.Option(
        "--checkpointing", parser=choice(Checkpointing),
        help="Activation recomputation (Korthikanti et al. 2022): selective recomputes the attention core, full "
             "keeps only each repeated block's input.")] = Checkpointing.none,
    dropout: Annotated[bool, typer.Option(
        "--dropout/--no-dropout", help="Dropout as the model file gives it, or off (no masks kept).")] = True,
    device: Annotated[Optional[Device], typer.Option(
        "--device", parser=choice(Device),
        help="cpu: dropout masks in the compute type, as torch keeps them on the CPU; cuda: 1 byte (bool). "
             "Default: cuda with --gpu, else cpu.")] = None,
    gpu: Annotated[Optional[str], typer.Option(
        "--gpu", metavar="NAME_OR_SIZE",
        help="Does it fit? A GPU (A100-40GB, A100-80GB, H100-80GB, H200, L4, T4, V100-16GB, V100-32GB, RTX3090, "
             "RTX4090, MI300X) or a size (24GiB, 80GB).")] = None,
    gpus: Annotated[int, typer.Option(
        "--gpus", min=1, parser=int_range(1), help="GPUs in all: data × tensor × pipeline parallel.")] = 1,
    zero: Annotated[int, typer.Option(
        "--zero", min=0, max=3, parser=int_range(0, 3),
        help="ZeRO stage (Rajbhandari et al. 2020): 1 shards optimizer states, 2 also gradients, 3 also "
             "parameters, over the data-parallel GPUs.")] = 0,
    tensor_parallel: Annotated[int, typer.Option(
        "--tensor-parallel", min=1, parser=int_range(1),
        help="Megatron-LM tensor-parallel degree: weights and attention/MLP activations split this many ways.")] = 1,
    pipeline_parallel: Annotated[int, typer.Option(
        "--pipeline-parallel", min=1, parser=int_range(1),
        help="Pipeline-parallel stages: weights split by layers (1F1B keeps one model's worth of activations).")] = 1,
    overhead: Annotated[Optional[str], typer.Option(
        "--overhead", metavar="SIZE+PCT",
        help="The framework's share of each GPU: CUDA context and workspaces, allocator fragmentation. "
             "Default 1GiB+5%.")] = None,
    maximise: Annotated[Optional[Solve], typer.Option(
        "--max", parser=choice(Solve),
        help="Solve for the largest batch or seq-len that fits on --gpu.")] = None,
    sliding_window: Annotated[Optional[int], typer.Option(
        "--sliding-window", min=1, parser=int_range(1),
        help="Sliding-window attention: the KV cache keeps at most this many tokens per sequence.")] = None,
    lora: Annotated[Optional[int], typer.Option(
        "--lora", metavar="RANK", min=1, parser=int_range(1),
        help="Fine-tune LoRA adapters of this rank, the base model frozen (with --training).")] = None,
    lora_alpha: Annotated[Optional[int], typer.Option(
        "--lora-alpha", min=1, parser=int_range(1), help="LoRA alpha (scales the update; no memory).")] = None,
    lora_targets: Annotated[str, typer.Option(
        "--lora-targets", metavar="NAMES",
        help="Linear layers to adapt: module names (q_proj,v_proj) or all-linear.")] = "q_proj,v_proj",
    qlora: Annotated[bool, typer.Option(
        "--qlora", help="QLoRA: the frozen linear weights in 4-bit NormalFloat (nf4, double-quantised).")] = False,
    json: Json = False,
    brief: Brief = False,
    working: Working = True,
    decimal_bytes: DecimalBytes = False,
) -> None:
    from paramcalc.analysis.planning import plan_memory as plan
    from paramcalc.errors import ParamcalcError
    from paramcalc.readers import load_model_or_preset

    if not training and (optimizer is not None or momentum):
        raise ParamcalcError("--optimizer and --momentum describe training: add --training (inference keeps no optimizer state)")
    adapters = None
    if lora is None and (qlora or lora_alpha is not None):
        raise ParamcalcError("--qlora and --lora-alpha describe adapters: add --lora RANK")
    if lora is not None:
        from paramcalc.analysis.adapters import LoRA, parse_targets

        adapters = LoRA(lora, lora_alpha, parse_targets(lora_targets), qlora)
    model = load_model_or_preset(read_data("-", "a model") if target == "-" else target)
    if not hasattr(model, "layers") and (batch_size is not None or seq_len is not None or input_shape is not None):
        raise ParamcalcError(f"{target}: a checkpoint has no input: leave out --batch-size, --seq-len and --input-shape")
    result = plan(
        model, dtype=dtype.value, batch_size=batch_size, seq_len=seq_len, training=training,
        optimizer=(optimizer or Optimizer.adam).value, momentum=momentum, input_shape=shape_argument(input_shape),
        attention=attention.value, checkpointing=checkpointing.value, dropout=dropout,
        device=device.value if device else None, sliding_window=sliding_window, gpu=gpu, gpus=gpus, zero=zero,
        tensor_parallel=tensor_parallel, pipeline_parallel=pipeline_parallel, overhead=overhead,
        maximise=maximise.value if maximise else None, lora=adapters,
    )
    if json:
        print_json({"model": model.name, **result.as_dict()})
        return
    memory = result.memory
    if brief:
        print_line(str(memory.total_bytes))
        return
    from paramcalc.render.layout import Paragraph
    from paramcalc.render.memory import memory_table
    from paramcalc.render.text import one_line

    parts: list[Any] = [memory_table(memory, title=memory_heading(memory, model.name), decimal_bytes=decimal_bytes,
                                     working=working)]
    notes = list(memory.notes)
    if result.solved is not None:
        what, value = result.solved
        notes.insert(0, f"largest {what} that fits: {value:,}" if value else f"no {what} fits, not even 1")
    if result.fit is not None:
        notes.insert(0, result.fit.sentence())
        if result.fit.sequences is not None:
            notes.insert(1, f"room for {result.fit.sequences:,} sequences of this length at once (KV cache)")
    parts += [Paragraph(f"- {one_line(n)}", hang=2) for n in notes]
    print_rich(*parts)
