"""The ``paramcalc memory`` command (a thin wrapper over :func:`paramcalc.model_memory`); the tables
it prints come from :mod:`paramcalc.render.memory`.
"""

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

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

Each line shows its formula; sizes are in binary units (1 GiB = 1,024³ bytes), with the exact byte count in --json. int8 and int4 quantise the weights only (activations and the KV cache stay fp16). Optimizer states are fp32 (Adam and AdamW: two moments; in fp16/bf16 also fp32 master weights). Activations come from the layer output shapes: every output in training, the largest layer input + output in inference.

Examples:

\b
  paramcalc memory llama2-7b --dtype fp16
  paramcalc memory llama2-7b --dtype fp16 --batch-size 8 --seq-len 2048
  paramcalc memory gpt2 --training --dtype bf16 --optimizer adamw --batch-size 8
  paramcalc memory resnet50 --training --optimizer sgd --momentum --batch-size 32 --json

Python: paramcalc.model_memory("llama2-7b", dtype="fp16", seq_len=2048)
"""


class DType(str, Enum):
    """Data types for ``--dtype``."""

    fp32 = "fp32"
    fp16 = "fp16"
    bf16 = "bf16"
    int8 = "int8"
    int4 = "int4"


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
        "--dtype", parser=choice(DType),
        help="Type of the weights: fp32, fp16, bf16, int8, int4 (half a byte); with int8 and int4 (weight-only "
             "quantisation) activations and the KV cache stay fp16.")] = DType.fp32,
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
        "--training", help="Training: gradients, optimizer states, every activation kept.")] = False,
    input_shape: InputShape = None,
    json: Json = False,
    brief: Brief = False,
    working: Working = True,
    decimal_bytes: DecimalBytes = False,
) -> None:
    from paramcalc.analysis.memory import model_memory
    from paramcalc.readers import load_model_or_preset

    if not training and (optimizer is not None or momentum):
        from paramcalc.errors import ParamcalcError

        raise ParamcalcError("--optimizer and --momentum describe training: add --training (inference keeps no optimizer state)")
    model = load_model_or_preset(read_data("-", "a model") if target == "-" else target)
    if not hasattr(model, "layers"):  # a checkpoint's summary (safetensors, GGUF): its tensors only
        from paramcalc.analysis.stored import stored_memory

        if batch_size is not None or seq_len is not None or input_shape is not None:
            from paramcalc.errors import ParamcalcError

            raise ParamcalcError(f"{target}: a checkpoint has no input: leave out --batch-size, --seq-len and --input-shape")
        memory = stored_memory(model, dtype=dtype.value, training=training,
                               optimizer=(optimizer or Optimizer.adam).value, momentum=momentum)
    else:
        memory = model_memory(
            model, dtype=dtype.value, batch_size=batch_size, seq_len=seq_len, training=training,
            optimizer=(optimizer or Optimizer.adam).value, momentum=momentum, input_shape=shape_argument(input_shape),
        )
    if json:
        print_json({"model": model.name, **memory.as_dict()})
        return
    if brief:
        print_line(str(memory.total_bytes))
        return
    from paramcalc.render.layout import Paragraph
    from paramcalc.render.memory import memory_table
    from paramcalc.render.text import one_line

    parts: list[Any] = [memory_table(memory, title=memory_heading(memory, model.name), decimal_bytes=decimal_bytes,
                                     working=working)]
    if memory.notes:
        parts += [Paragraph(f"- {one_line(n)}", hang=2) for n in memory.notes]
    print_rich(*parts)
