"""safetensors checkpoints, read from their headers alone: a ``.safetensors`` file, or a sharded
checkpoint's ``model.safetensors.index.json`` with its shards beside it.

A ``.safetensors`` file is an 8-byte little-endian header length N, N bytes of JSON (each tensor's
``dtype``, ``shape`` and ``data_offsets`` into the data, and an optional ``__metadata__`` of strings),
then the tensor data. Only the 8 + N header bytes are read; the data offsets are checked against the
file's size, so a truncated file or a lying header is an error, never a partial answer.
"""

from __future__ import annotations

from math import prod
from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError, short_repr
from paramcalc.limits import MAX_RANK, MAX_SIZE
from paramcalc.models.files import DuplicateKeyError, load_json
from paramcalc.models.summary import Summary
from paramcalc.readers.binary import file_size, read_head
from paramcalc.readers.tensors import StoredTensor, checkpoint_summary, natural_key

#: Largest header read, in bytes (the safetensors library's own limit).
MAX_HEADER_BYTES = 100_000_000
#: Most shards an index may name.
MAX_SHARDS = 10_000

#: Bits per value of each safetensors dtype.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32,
    "I64": 64, "U64": 64, "F64": 64, "C64": 64,
}


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise ModelError(f"{what} must be an integer from 0 to {MAX_SIZE:,}. Received: {short_repr(value)}")
    return value


def _tensor(name: str, entry: Any, where: str) -> tuple[StoredTensor, int, int]:
    what = f"{where}: tensor {short_repr(name)}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ModelError(f"{what}: an entry holds exactly dtype, shape and data_offsets. Received: {short_repr(entry)}")
    dtype = entry["dtype"]
    if dtype not in DTYPE_BITS:
        raise ModelError(f"{what}: unknown dtype {short_repr(dtype)}; safetensors has {', '.join(DTYPE_BITS)}")
    shape = entry["shape"]
    if not isinstance(shape, list) or len(shape) > MAX_RANK:
        raise ModelError(f"{what}: shape must be a list of at most {MAX_RANK} sizes. Received: {short_repr(shape)}")
    dims = tuple(_int(d, f"{what}: a shape's size") for d in shape)
    numel = prod(dims)
    if numel > MAX_SIZE:
        raise ModelError(f"{what}: the shape {dims} holds more than {MAX_SIZE:,} values")
    offsets = entry["data_offsets"]
    if not isinstance(offsets, list) or len(offsets) != 2:
        raise ModelError(f"{what}: data_offsets must be [begin, end]. Received: {short_repr(offsets)}")
    begin, end = (_int(o, f"{what}: a data offset") for o in offsets)
    bits = numel * DTYPE_BITS[dtype]
    if bits % 8 or end - begin != bits // 8:
        raise ModelError(f"{what}: {dtype} {dims} takes {bits / 8:g} bytes, but data_offsets [{begin}, {end}] "
                         f"hold {end - begin:,}")
    return StoredTensor(name, dtype, dims, numel, end - begin), begin, end


def read_header(path: str | Path) -> tuple[list[StoredTensor], dict[str, str], int]:
    """The tensors and ``__metadata__`` a ``.safetensors`` file's header lists, and the file's size.

    Raises:
        ModelError: not a safetensors file, a header past the end of the file or beyond
            MAX_HEADER_BYTES, an unknown dtype, offsets that do not fit the data.
    """
    where = Path(path).name
    head = read_head(path, 8)
    if len(head) < 8:
        raise ModelError(f"{where}: shorter than a safetensors header (8-byte length, then JSON)")
    length = int.from_bytes(head, "little")
    size = file_size(path)
    if length > MAX_HEADER_BYTES:
        raise ModelError(f"{where}: the header length {length:,} is beyond the {MAX_HEADER_BYTES:,}-byte limit")
    if 8 + length > size:
        raise ModelError(f"{where}: the header length {length:,} runs past the end of the file ({size:,} bytes); "
                         "the file is truncated or not safetensors")
    raw = read_head(path, 8 + length)[8:]
    if len(raw) < length:
        raise ModelError(f"{where}: the file ended while the header was read; is it being written?")
    try:
        header = load_json(raw.decode("utf-8"))
    except DuplicateKeyError as exc:
        raise ModelError(f"{where}: header: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelError(f"{where}: the header is not JSON; not a safetensors file") from None
    if not isinstance(header, dict):
        raise ModelError(f"{where}: the header must be a JSON object of tensors")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ModelError(f"{where}: __metadata__ must map names to strings")
    spans = []
    tensors = []
    for name, entry in header.items():
        tensor, begin, end = _tensor(name, entry, where)
        tensors.append(tensor)
        spans.append((begin, end, name))
    data = size - 8 - length
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ModelError(f"{where}: tensor {short_repr(name)} starts at byte {begin:,} of the data, expected "
                             f"{position:,}: the offsets leave a gap or overlap")
        position = end
    if position != data:
        raise ModelError(f"{where}: the header's tensors take {position:,} bytes, the file holds {data:,} after "
                         "its header: the file is truncated or the header lies")
    tensors.sort(key=lambda t: natural_key(t.name))
    return tensors, metadata, size


def summarize_safetensors(path: str | Path) -> Summary:
    """A summary of the tensors a ``.safetensors`` file holds, from its header alone."""
    tensors, metadata, size = read_header(path)
    name = Path(path).name
    return checkpoint_summary(
        name, tensors, fmt="safetensors", description="read from the safetensors header (the data is not read)",
        facts=[f"File: {size:,} bytes, {len(tensors):,} tensors"],
        source={"file_bytes": size, "metadata": metadata}, notes=[],
    )


def summarize_index(path: str | Path) -> Summary:
    """A summary of a sharded checkpoint from its ``*.safetensors.index.json`` and each shard's header.

    Raises:
        ModelError: the index is not valid, names a shard outside its folder or one that is missing,
            or disagrees with the shards' headers.
    """
    from paramcalc.readers.text import read_json_file

    where = Path(path).name
    index = read_json_file(path)
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict) or not all(isinstance(v, str) for v in weight_map.values()):
        raise ModelError(f"{where}: a safetensors index maps tensor names to shard files under 'weight_map'")
    shards = sorted(set(weight_map.values()), key=natural_key)
    if len(shards) > MAX_SHARDS:
        raise ModelError(f"{where}: more than {MAX_SHARDS:,} shards")
    folder = Path(path).parent
    tensors: list[StoredTensor] = []
    sizes = 0
    for shard in shards:
        if Path(shard).name != shard or shard in (".", ".."):
            raise ModelError(f"{where}: shard {short_repr(shard)} must be a file name beside the index")
        shard_path = folder / shard
        if not shard_path.exists():
            raise ModelError(f"{where}: shard {shard} is not beside the index; the headers of every shard are read")
        found, _, size = read_header(shard_path)
        sizes += size
        listed = {n for n, s in weight_map.items() if s == shard}
        names = {t.name for t in found}
        if names != listed:
            odd = sorted(names ^ listed, key=natural_key)[0]
            raise ModelError(f"{where}: the index and shard {shard} disagree about tensor {short_repr(odd)}")
        tensors.extend(found)
    tensors.sort(key=lambda t: natural_key(t.name))
    metadata = index.get("metadata") if isinstance(index.get("metadata"), dict) else {}
    facts = [f"Files: {len(shards):,} shards, {sizes:,} bytes, {len(tensors):,} tensors"]
    stated = metadata.get("total_size")
    stored = sum(t.nbytes for t in tensors)
    if isinstance(stated, int) and not isinstance(stated, bool) and stated != stored:
        facts.append(f"the index's metadata says total_size {stated:,}; the shards' headers give {stored:,} bytes")
    return checkpoint_summary(
        where, tensors, fmt="safetensors-index",
        description=f"read from the headers of {len(shards):,} safetensors shards (the data is not read)",
        facts=facts, source={"file_bytes": sizes, "shards": shards, "metadata": metadata}, notes=[],
    )
