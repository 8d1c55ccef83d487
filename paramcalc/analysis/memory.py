"""Memory a layer or model needs, by data type: weights, buffers, gradients, optimizer, activations, KV cache.

Every line states its formula with the numbers in it; sizes are exact byte counts (ints), shown
in binary units (1 KiB = 1,024 bytes, 1 MiB = 1,024² bytes, 1 GiB = 1,024³ bytes).

Rules:

- Values of a data type take fp32 4 bytes, fp16 and bf16 2, int8 1, int4 half a byte
  (a tensor of n int4 values takes ceil(n/2) bytes, rounded up once per total here); the
  quantised formats of :mod:`paramcalc.analysis.formats` (int4 with group scales, nf4, fp8,
  GGUF's Q4_0 … Q6_K) their bits per weight, scales included.
- Parameters are stored in the chosen type. Integer and quantised formats mean weight-only
  quantisation: everything else that is a float (buffers such as BatchNorm statistics,
  activations, the KV cache) stays in fp16 (bf16 for fp8), the type such models compute in.
  Integer buffers (BatchNorm's num_batches_tracked) are int64, 8 bytes.
- Training adds gradients (one per trainable parameter, in the chosen type) and the optimizer
  states, always fp32: SGD none, or one momentum buffer; Adam and AdamW two moments. In mixed
  precision (fp16 or bf16) the optimizer also keeps fp32 master weights. Integer types cannot
  be trained here.
- Activations in training are the tensors autograd keeps for the backward pass, layer family by
  layer family (:mod:`paramcalc.analysis.activations`; attention scores, dropout masks and
  normalisation statistics included; checked against torch's saved tensors). In inference only
  the largest input + output pair of one layer is alive at once (framework workspace not
  included).
- A decoder transformer generating text keeps the keys and values of every past token: the KV
  cache is 2 · layers · d_kv · batch · seq_len values, d_kv = kv_heads · head_dim (d_model for
  standard multi-head attention).
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from math import prod
from typing import Any, Literal

from paramcalc import forms
from paramcalc.analysis.formats import FORMATS, bits_text, weight_format
from paramcalc.errors import SpecError, short_repr
from paramcalc.limits import MAX_SIZE, size_rule
from paramcalc.specs.shapes import as_shape

DType = str  # a name of paramcalc.analysis.formats.FORMATS: fp32, bf16, int4-g128, nf4, q4_0, ...
Optimizer = Literal["sgd", "adam", "adamw"]

#: The formats that can be trained (gradients and optimizer states in floating point).
TRAINABLE = ("fp32", "fp16", "bf16")
OPTIMIZERS = ("sgd", "adam", "adamw")
FP32_BYTES = 4
INT64_BYTES = 8


def check_dtype(dtype: str) -> str:
    """The dtype's own name, if known (names are case-insensitive: ``Q4_K_M`` and ``BF16``, as GGUF
    and llama.cpp write them, are ``q4_k_m`` and ``bf16``); a SpecError naming the choices otherwise."""
    with suppress(KeyError, AttributeError):
        return weight_format(dtype).name
    raise SpecError(f"dtype must be one of {', '.join(FORMATS)}. Received: dtype={short_repr(dtype)}")


def nbytes(count: int, dtype: str) -> int:
    """Bytes of ``count`` values of ``dtype``, rounded up to a whole byte (int4 packs two per byte).

    Formula: ceil(count · bits / 8), bits per weight with the format's scales (4.5 for GGUF Q4_0).
    """
    bits = FORMATS[check_dtype(dtype)].bits
    return -(-count * bits.numerator // (8 * bits.denominator))


def bytes_per_value(dtype: str) -> str:
    """``"2 bytes"`` for fp16, ``"0.5 bytes"`` for int4, ``"4.5 bits"`` for a format with scales: the per-value size in formulas."""
    bits = FORMATS[check_dtype(dtype)].bits
    if (bits * 2).denominator == 1 and bits in (32, 16, 8, 4):
        whole = bits / 8
        return f"{whole.numerator if whole.denominator == 1 else '0.5'} bytes"
    return f"{bits_text(bits)} bits"


def format_bytes(n: int) -> str:
    """Binary units with two decimals: ``13,476,831,232`` → ``12.55 GiB``; below 1 KiB in bytes
    (:func:`paramcalc.units.bytes_text`)."""
    from paramcalc.units import bytes_text

    return bytes_text(n)


def compute_dtype(dtype: str) -> str:
    """The type activations, float buffers and the KV cache are held in: the dtype itself, bf16 for
    fp8, or fp16 for weight-only quantised formats (int8, int4, nf4, GGUF)."""
    dtype = check_dtype(dtype)
    if dtype in TRAINABLE:
        return dtype
    return "bf16" if dtype.startswith("fp8") else "fp16"


def kv_cache_bytes(*, layers: int, kv_dim: int, batch: int, seq_len: int, dtype: str) -> int:
    """KV cache of a decoder transformer: keys and values of every layer for every cached token.

    Formula: 2 · layers · d_kv · batch · seq_len · bytes(dtype), d_kv = kv_heads · head_dim.
    """
    return nbytes(2 * layers * kv_dim * batch * seq_len, dtype)


@dataclass(frozen=True, slots=True)
class MemoryLine:
    """One line of a memory estimate: what it is, its exact size in bytes and its formula."""

    name: str
    bytes: int
    formula: str

    @property
    def human(self) -> str:
        """The size in binary units (``12.55 GiB``)."""
        return format_bytes(self.bytes)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bytes": self.bytes, "human": self.human, "formula": self.formula}


@dataclass(frozen=True, slots=True)
class Memory:
    """A memory estimate: lines that add up to ``total_bytes``, and the settings behind them."""

    lines: tuple[MemoryLine, ...]
    dtype: str = "fp32"
    training: bool = False
    optimizer: str | None = None
    batch_size: int | None = None
    seq_len: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Every line added up."""
        return sum(line.bytes for line in self.lines)

    @property
    def total(self) -> str:
        """The total in binary units."""
        return format_bytes(self.total_bytes)

    def line(self, name: str) -> MemoryLine:
        """The line called ``name`` (KeyError if there is none)."""
        for line in self.lines:
            if line.name == name:
                return line
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json``: settings, every line with exact bytes, and the total."""
        return {
            "dtype": self.dtype,
            "training": self.training,
            "optimizer": self.optimizer,
            "batch_size": self.batch_size,
            "seq_len": self.seq_len,
            "lines": [line.as_dict() for line in self.lines],
            "total_bytes": self.total_bytes,
            "total": self.total,
            "notes": list(self.notes),
        }

    def __rich__(self) -> Any:
        return forms.draw(self, "rich", renderer="paramcalc.render.memory")


@dataclass(frozen=True, slots=True)
class KVCache:
    """What sets a decoder's KV cache size: layers that cache, d_kv per layer, batch and length."""

    layers: int
    kv_dim: int
    batch: int
    seq_len: int


def estimate(
    *,
    params: int,
    trainable: int | None = None,
    float_buffers: int = 0,
    int_buffers: int = 0,
    dtype: str = "fp32",
    training: bool = False,
    optimizer: str = "adam",
    momentum: bool = False,
    activations: int = 0,
    peak_activations: int = 0,
    kv_cache: KVCache | None = None,
    batch_size: int | None = None,
    seq_len: int | None = None,
    notes: Iterable[str] = (),
    saved: tuple[int, str] | None = None,
) -> Memory:
    """A memory estimate from counts: the one place the memory rules are applied.

    Args:
        params: every parameter (trainable and not).
        trainable: trainable parameters (gradients and optimizer states); default ``params``.
        float_buffers: floating-point buffer values (BatchNorm running statistics).
        int_buffers: integer buffer values, int64 (BatchNorm's num_batches_tracked).
        dtype: a format of :data:`~paramcalc.analysis.formats.FORMATS`, in any case (``Q4_K_M``: q4_k_m).
        training: add gradients, optimizer states and the activations kept for backward.
        optimizer: sgd, adam or adamw (training only).
        momentum: SGD with a momentum buffer.
        activations: elements of every layer output plus the input (kept in training).
        peak_activations: elements of the largest input + output of one layer (inference).
        kv_cache: the decoder's KV cache (inference only), or None.
        saved: (bytes, formula) of the tensors autograd keeps for backward (training), replacing
            ``activations``.

    Raises:
        SpecError: an unknown dtype or optimizer, or training with an integer dtype.
    """
    dtype = check_dtype(dtype)
    if optimizer not in OPTIMIZERS:
        raise SpecError(f"optimizer must be one of {', '.join(OPTIMIZERS)}. Received: optimizer={optimizer!r}")
    if training and dtype not in TRAINABLE:
        raise SpecError(f"training needs a floating-point dtype (fp32, fp16 or bf16). Received: dtype={dtype!r}")
    trainable = params if trainable is None else trainable
    b = bytes_per_value(dtype)
    act = compute_dtype(dtype)
    ab = bytes_per_value(act)
    lines = [MemoryLine("parameters", nbytes(params, dtype), f"{params:,} parameters × {b} ({dtype})")]
    if float_buffers or int_buffers:
        float_dtype = compute_dtype(dtype)
        parts = []
        if float_buffers:
            parts.append(f"{float_buffers:,} × {bytes_per_value(float_dtype)} ({float_dtype})")
        if int_buffers:
            parts.append(f"{int_buffers:,} × 8 bytes (int64)")
        lines.append(MemoryLine(
            "buffers", nbytes(float_buffers, float_dtype) + int_buffers * INT64_BYTES, " + ".join(parts)
        ))
    if training:
        lines.append(MemoryLine("gradients", nbytes(trainable, dtype), f"{trainable:,} trainable × {b} ({dtype})"))
        if optimizer == "sgd":
            if momentum:
                lines.append(MemoryLine(
                    "optimizer: SGD momentum", trainable * FP32_BYTES, f"{trainable:,} trainable × 4 bytes (fp32)"
                ))
        else:
            name = "Adam" if optimizer == "adam" else "AdamW"
            lines.append(MemoryLine(
                f"optimizer: {name} moments (m, v)", 2 * trainable * FP32_BYTES,
                f"2 × {trainable:,} trainable × 4 bytes (fp32)",
            ))
        if dtype != "fp32":
            lines.append(MemoryLine(
                "optimizer: fp32 master weights", trainable * FP32_BYTES,
                f"{trainable:,} trainable × 4 bytes (fp32)",
            ))
        if saved is not None:
            lines.append(MemoryLine("activations: kept for backward", saved[0], saved[1]))
        elif activations:
            lines.append(MemoryLine(
                "activations: every layer output", nbytes(activations, act),
                f"{activations:,} values × {ab} ({act})",
            ))
    else:
        if peak_activations:
            lines.append(MemoryLine(
                "activations: largest layer input + output", nbytes(peak_activations, act),
                f"{peak_activations:,} values × {ab} ({act})",
            ))
        if kv_cache is not None:
            k = kv_cache
            lines.append(MemoryLine(
                "KV cache", kv_cache_bytes(layers=k.layers, kv_dim=k.kv_dim, batch=k.batch, seq_len=k.seq_len, dtype=act),
                f"2 × {k.layers} layers × {k.kv_dim:,} d_kv × {k.batch} batch × {k.seq_len:,} tokens × {ab} ({act})",
            ))
    return Memory(
        tuple(lines), dtype=dtype, training=training, optimizer=optimizer if training else None,
        batch_size=batch_size, seq_len=seq_len, notes=tuple(notes),
    )


def buffer_split(tensors: Iterable[Any]) -> tuple[int, int]:
    """(float values, int64 values) among the buffers of a list of tensors (num_batches_tracked is int64)."""
    floats = ints = 0
    for t in tensors:
        if t.kind != "buffer":
            continue
        if t.name.rsplit(".", 1)[-1] == "num_batches_tracked":
            ints += t.numel
        else:
            floats += t.numel
    return floats, ints


def layer_memory(
    spec: Any,
    *input_shapes: Any,
    dtype: str = "fp32",
    training: bool = False,
    optimizer: str = "adam",
    momentum: bool = False,
) -> Memory:
    """Memory of one layer on inputs of these shapes (batch included), under the rules above.

    Activations: in training the tensors autograd keeps for the layer's backward pass
    (:func:`paramcalc.analysis.activations.layer_activations`, torch on the CPU); in inference the
    input(s) and every named output (a recurrent layer's h_n and c_n too).
    """
    if not input_shapes:
        raise SpecError(f"{spec.name}: an input shape is needed to estimate activation memory")
    spec = spec.resolve(input_shapes[0])
    count = spec.count("pytorch")
    floats, ints = buffer_split(spec.param_tensors("pytorch"))
    outs = spec.output_shapes(*input_shapes)
    values = sum(prod(as_shape(s)) for s in input_shapes) + sum(prod(s) for s in outs.values())
    saved = None
    if training:
        from paramcalc.analysis.activations import Settings, layer_activations

        act = compute_dtype(dtype)
        kept = layer_activations(spec, *input_shapes, settings=Settings(nbytes(1, act)))
        saved = (kept, f"{spec.name}'s saved tensors ({act}, {bytes_per_value(act)}; dropout masks as on the CPU)")
    return estimate(
        params=count.total, trainable=count.trainable, float_buffers=floats, int_buffers=ints, dtype=dtype,
        training=training, optimizer=optimizer, momentum=momentum, activations=values, peak_activations=values,
        saved=saved,
    )


# -- whole models ----------------------------------------------------------------------------


def _with_sizes(shape: tuple[int, ...] | None, batch_size: int | None, seq_len: int | None, name: str) -> Any:
    if shape is None:
        raise SpecError(f"memory: the model's input {name!r} has no shape; give one (input_shape)")
    shape = tuple(shape)
    if batch_size is not None:
        shape = (batch_size, *shape[1:])
    if seq_len is not None:
        if len(shape) not in (2, 3):
            raise SpecError(
                f"memory: --seq-len needs a sequence input (batch, length) or (batch, length, features). "
                f"Received: input {name!r} of shape {shape}"
            )
        shape = (shape[0], seq_len, *shape[2:])
    if shape and shape[0] is None:  # Keras's unknown batch: one sample unless --batch-size says
        shape = (1, *shape[1:])
    if None in shape:
        raise SpecError(
            f"memory: input {name!r} has a size not known yet {shape}; give every size but the batch "
            f"(--input-shape, or --seq-len for a sequence length)"
        )
    return shape


def kv_cache_of(rows: Iterable[Any], batch: int, seq_len: int) -> KVCache | None:
    """The KV cache of a decoder transformer's summary rows: causal attention layers and decoder blocks."""
    from paramcalc.specs.parse import parse_layer

    layers = 0
    kv_dim = None
    for row in rows:
        if not row.leaf or row.type not in ("DecoderBlock", "CausalSelfAttention", "SelfAttention"):
            continue
        spec = parse_layer(row.layer)
        match row.type:
            case "DecoderBlock":
                dim = (spec.num_kv_heads or spec.nhead) * (spec.d_model // spec.nhead)
            case "CausalSelfAttention":
                dim = spec.embed_dim
            case _:
                if not spec.causal:
                    continue
                dim = spec.kv_heads * spec.head_size
        if kv_dim not in (None, dim):
            raise SpecError(f"memory: the decoder layers cache different widths ({kv_dim} and {dim})")
        kv_dim = dim
        layers += row.repeat
    return None if kv_dim is None else KVCache(layers, kv_dim, batch, seq_len)


def model_memory(
    model: Any,
    *,
    dtype: str = "fp32",
    batch_size: int | None = None,
    seq_len: int | None = None,
    training: bool = False,
    optimizer: str = "adam",
    momentum: bool = False,
    input_shape: Any = None,
    attention: str = "eager",
    checkpointing: str = "none",
    dropout: bool = True,
    device: str = "cpu",
    tensor_parallel: int = 1,
    sliding_window: int | None = None,
) -> Memory:
    """Memory of a whole model under the rules above (PyTorch's parameters and buffers).

    Args:
        model: a :class:`~paramcalc.models.format.Model`, a model-file dict, a model file's path, or a
            preset's name (``"llama2-7b"``).
        dtype: a format of :data:`~paramcalc.analysis.formats.FORMATS`, in any case (``Q4_K_M``: q4_k_m).
        batch_size: replaces the input's first dimension.
        seq_len: replaces a sequence input's second dimension ((batch, length) token ids or
            (batch, length, features)).
        training: add gradients, optimizer states and the activations kept for backward;
            otherwise the largest layer input + output, and for decoder transformers the KV cache
            of ``batch × seq_len`` tokens.
        optimizer: sgd, adam or adamw; ``momentum`` adds SGD's momentum buffer.
        input_shape: replaces the model file's input shape(s) before batch_size and seq_len apply.
        attention: ``eager`` (scores built: ``s²`` terms kept) or ``flash`` (none kept).
        checkpointing: ``none``, ``selective`` (the attention core recomputed) or ``full`` (only each
            repeated block's input kept), as Korthikanti et al. 2022 define them.
        dropout: False treats every dropout probability as 0.
        device: ``cpu`` or ``cuda``: dropout masks take the compute type's size on the CPU, 1 byte on a GPU.
        tensor_parallel: split attention and MLP activations this many ways (the other lines are
            divided per GPU by :func:`paramcalc.analysis.sharding.per_gpu`).
        sliding_window: attention sees only this many past tokens (Mistral): the KV cache keeps
            min(seq_len, window) tokens per sequence.

    Training activations are the tensors autograd keeps (:mod:`paramcalc.analysis.activations`).

    Raises:
        ModelError, SpecError: the model cannot be read, a shape does not fit, a choice is unknown.
    """
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.presets import load_model_or_preset
    from paramcalc.models.evaluate import input_shapes as _input_shapes

    from paramcalc.analysis import activation_walk as walk
    from paramcalc.analysis import activations as acts

    dtype = check_dtype(dtype)
    for name, value, choices in (("attention", attention, acts.ATTENTIONS), ("device", device, acts.DEVICES),
                                 ("checkpointing", checkpointing, acts.CHECKPOINTING)):
        if value not in choices:
            raise SpecError(f"memory: {name} must be one of {', '.join(choices)}. Received: {name}={short_repr(value)}")
    for name, value in (("batch_size", batch_size), ("seq_len", seq_len), ("sliding_window", sliding_window)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SpecError(f"memory: {name} must be a positive integer. Received: {name}={short_repr(value)}")
        if value is not None and value > MAX_SIZE:
            raise SpecError(f"memory: {name} {size_rule()}. Received: {name}={short_repr(value)}")
    loaded = load_model_or_preset(model)
    base = _input_shapes(loaded, input_shape)
    shapes = {k: _with_sizes(v, batch_size, seq_len, k) for k, v in base.items()}
    summary = evaluate(loaded, input_shape=shapes, convention="pytorch", max_rows=None)  # no rows printed
    leaves = [r for r in summary.rows if r.leaf]
    floats = ints = 0
    from paramcalc.specs.parse import parse_layer

    for row in leaves:
        if row.count.buffers and row.layer is not None:
            f, i = buffer_split(parse_layer(row.layer).param_tensors("pytorch", input_shape=row.input_shape))
            floats, ints = floats + f * row.repeat, ints + i * row.repeat
    first = next(iter(shapes.values()))
    inputs = sum(prod(s) for s in shapes.values())
    outputs = [prod(r.output_shape) * r.repeat for r in leaves if r.output_shape is not None]
    peak = max(
        (prod(r.input_shape) + prod(r.output_shape) for r in leaves if r.input_shape and r.output_shape),
        default=0,
    )
    kv = None
    notes = []
    if not training and len(first) >= 2:
        kv = kv_cache_of(summary.rows, first[0], first[1] if sliding_window is None else min(first[1], sliding_window))
        if kv is not None and sliding_window is not None:
            notes.append(f"sliding window of {sliding_window:,} tokens: the KV cache keeps min({first[1]:,}, "
                         f"{sliding_window:,}) = {kv.seq_len:,} tokens per sequence")
    if not FORMATS[dtype].exact:
        notes.append(f"{dtype}: {FORMATS[dtype].what}; the parameter bytes are approximate")
    if kv is not None:
        notes.append(
            f"KV cache: {kv.layers} causal attention layers keep keys and values of {kv.kv_dim:,} values "
            f"per token: {nbytes(2 * kv.layers * kv.kv_dim, compute_dtype(dtype)):,} bytes per token"
        )
    saved = None
    if training:
        settings = acts.Settings(nbytes(1, compute_dtype(dtype)), device, attention, dropout, checkpointing,
                                 tensor_parallel)
        found = walk.model_activations(loaded, list(summary.rows), settings)
        saved = (found.total, walk.activation_formula(found, settings, compute_dtype(dtype)))
        notes.append("activations: the tensors autograd keeps for the backward pass, layer by layer "
                     "(Korthikanti et al. 2022; checked against torch's saved tensors)")
        if dtype in ("fp16", "bf16"):
            notes.append(f"activations all in {dtype}, as Megatron-LM keeps them; under torch.autocast LayerNorm and "
                         "softmax outputs stay fp32 (a small GPT-2 keeps about 12% more on the CPU)")
        if found.uncovered:
            notes.append(f"estimated by their output only (no saved-tensor rule): {', '.join(found.uncovered)}")
        if device == "cpu" and dropout:
            notes.append("dropout masks as torch keeps them on the CPU (the compute type); on a GPU 1 byte: --device cuda")
    else:
        notes.append("activations from the layer output shapes; temporaries inside a layer are not included")
    return estimate(
        params=summary.totals.total, trainable=summary.totals.trainable, float_buffers=floats, int_buffers=ints,
        dtype=dtype, training=training, optimizer=optimizer, momentum=momentum,
        activations=inputs + sum(outputs), peak_activations=peak, kv_cache=kv,
        batch_size=first[0] if first else None,
        seq_len=first[1] if len(first) in (2, 3) and (kv is not None or seq_len is not None) else None,
        notes=notes, saved=saved,
    )
