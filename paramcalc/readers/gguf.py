"""GGUF files (llama.cpp), read from their header and tensor table alone.

The layout: the magic ``GGUF``, a version (2 or 3), the number of tensors and of metadata entries;
the metadata (a key, a value type, a value; arrays of values); then each tensor's name, its
dimensions (innermost first), its ggml type and its offset into the data, which starts at the next
multiple of ``general.alignment`` (32 unless given). Quantised types store blocks of values: a
Q4_K block holds 256 values in 144 bytes, so a tensor's bytes are its values / 256 × 144.
No tensor data is read; each tensor's span is checked against the file's size.
"""

from __future__ import annotations

from math import prod
from pathlib import Path
from typing import Any

from paramcalc.errors import ModelError, short_repr
from paramcalc.limits import MAX_SIZE
from paramcalc.models.summary import Summary
from paramcalc.readers.binary import Cursor, file_size, read_head
from paramcalc.readers.tensors import MAX_TENSORS, StoredTensor, checkpoint_summary

#: Largest header read (metadata, with a tokenizer's vocabulary, and the tensor table), in bytes.
MAX_HEADER_BYTES = 512 * 1024 * 1024
#: Most metadata entries, and most items one metadata array may hold.
MAX_ENTRIES = 1_000_000
MAX_ARRAY = 50_000_000
#: Deepest nesting of metadata arrays.
MAX_ARRAY_NESTING = 8
#: Most dimensions of a tensor (ggml's GGML_MAX_DIMS).
MAX_DIMS = 4

#: ggml tensor types by number: name, values per block, bytes per block.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20), 6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 40), 10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144), 13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98), 19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110), 22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1), 25: ("I16", 1, 2), 26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56), 30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
}

#: Metadata value types: number → (name, fixed size in bytes; 0 for a string, -1 for an array).
VALUE_TYPES: dict[int, tuple[str, int]] = {
    0: ("uint8", 1), 1: ("int8", 1), 2: ("uint16", 2), 3: ("int16", 2), 4: ("uint32", 4), 5: ("int32", 4),
    6: ("float32", 4), 7: ("bool", 1), 8: ("string", 0), 9: ("array", -1), 10: ("uint64", 8), 11: ("int64", 8),
    12: ("float64", 8),
}
_SIGNED = {1, 3, 5, 11}


def _string(cur: Cursor, limit: int = MAX_HEADER_BYTES) -> str:
    n = cur.uint(8)
    if n > limit:
        raise ModelError(f"{cur.what}: a string of {n:,} bytes at byte {cur.pos - 8:,} is beyond the header limit")
    try:
        return cur.take(n).decode("utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"{cur.what}: a string at byte {cur.pos - n:,} is not UTF-8") from None


def _value(cur: Cursor, kind: int, depth: int = 0) -> Any:
    if kind not in VALUE_TYPES:
        raise ModelError(f"{cur.what}: unknown metadata value type {kind} at byte {cur.pos - 4:,}")
    name, size = VALUE_TYPES[kind]
    if size == 0:
        return _string(cur)
    if size > 0:
        if name.startswith("float"):
            cur.skip(size)
            return None  # floats are not needed for counting; shown as null
        value = cur.int(size) if kind in _SIGNED else cur.uint(size)
        return bool(value) if name == "bool" else value
    if depth >= MAX_ARRAY_NESTING:
        raise ModelError(f"{cur.what}: metadata arrays nested more than {MAX_ARRAY_NESTING} deep")
    item, count = cur.uint(4), cur.uint(8)
    if item not in VALUE_TYPES:
        raise ModelError(f"{cur.what}: unknown metadata array item type {item} at byte {cur.pos - 12:,}")
    if count > MAX_ARRAY:
        raise ModelError(f"{cur.what}: a metadata array of {count:,} items is beyond the {MAX_ARRAY:,} limit")
    item_size = VALUE_TYPES[item][1]
    if item_size > 0:
        cur.skip(item_size * count)
    else:
        for _ in range(count):
            _value(cur, item, depth + 1)
    return f"[{count:,} {VALUE_TYPES[item][0]} values]"


def read_header(path: str | Path) -> tuple[list[StoredTensor], dict[str, Any], int, int]:
    """The tensors and metadata of a GGUF file, its version and its size.

    Raises:
        ModelError: not GGUF, an unsupported version, an unknown tensor type, a header that ends
            early or lies (a tensor past the end of the file, sizes that overflow).
    """
    where = Path(path).name
    size = file_size(path) if str(path) != "-" else 0

    def grow(needed: int) -> bytes:
        if needed > MAX_HEADER_BYTES:
            raise ModelError(f"{where}: the header is larger than the {MAX_HEADER_BYTES:,}-byte limit")
        return read_head(path, min(MAX_HEADER_BYTES, max(needed, 2 * len(cur.data))))

    cur = Cursor(read_head(path, 1 << 20), where, grow)
    if cur.take(4) != b"GGUF":
        raise ModelError(f"{where}: not a GGUF file (it does not start with 'GGUF')")
    raw_version = cur.take(4)
    version = int.from_bytes(raw_version, "little")
    if version not in (2, 3) and int.from_bytes(raw_version, "big") in (2, 3):
        cur.byteorder, version = "big", int.from_bytes(raw_version, "big")
    if version not in (2, 3):
        raise ModelError(f"{where}: GGUF version {version} is not read (versions 2 and 3 are)")
    n_tensors, n_kv = cur.uint(8), cur.uint(8)
    if n_tensors > MAX_TENSORS or n_kv > MAX_ENTRIES:
        raise ModelError(f"{where}: the header says {n_tensors:,} tensors and {n_kv:,} metadata entries; "
                         f"at most {MAX_TENSORS:,} and {MAX_ENTRIES:,} are read")
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = _string(cur, 65_535)
        if key in metadata:
            raise ModelError(f"{where}: the metadata key {short_repr(key)} is given twice")
        metadata[key] = _value(cur, cur.uint(4))
    alignment = metadata.get("general.alignment", 32)
    if isinstance(alignment, bool) or not isinstance(alignment, int) or alignment < 1 or alignment & (alignment - 1):
        raise ModelError(f"{where}: general.alignment must be a power of two. Received: {short_repr(alignment)}")
    table = []
    for _ in range(n_tensors):
        name = _string(cur, 65_535)
        n_dims = cur.uint(4)
        if not 1 <= n_dims <= MAX_DIMS:
            raise ModelError(f"{where}: tensor {short_repr(name)} has {n_dims} dimensions; ggml allows 1 to {MAX_DIMS}")
        dims = [cur.uint(8) for _ in range(n_dims)]
        kind, offset = cur.uint(4), cur.uint(8)
        table.append((name, dims, kind, offset))
    data_start = -(-cur.pos // alignment) * alignment
    data = size - data_start
    tensors = []
    seen = set()
    for name, dims, kind, offset in table:
        what = f"{where}: tensor {short_repr(name)}"
        if name in seen:
            raise ModelError(f"{what} is listed twice")
        seen.add(name)
        if kind not in GGML_TYPES:
            raise ModelError(f"{what}: unknown ggml type {kind}")
        type_name, block, block_bytes = GGML_TYPES[kind]
        numel = prod(dims)
        if numel > MAX_SIZE:
            raise ModelError(f"{what}: the dimensions {dims} hold more than {MAX_SIZE:,} values")
        if dims[0] % block:
            raise ModelError(f"{what}: {type_name} stores blocks of {block} values; the first dimension {dims[0]:,} "
                             "is not a multiple")
        nbytes = numel // block * block_bytes
        if offset % alignment or offset + nbytes > data:
            raise ModelError(f"{what}: its {nbytes:,} bytes at offset {offset:,} do not fit the file's "
                             f"{max(data, 0):,} bytes of tensor data (aligned to {alignment}); the file is "
                             "truncated or the header lies")
        tensors.append(StoredTensor(name, type_name, tuple(reversed(dims)), numel, nbytes))
    return tensors, metadata, version, size


def summarize_gguf(path: str | Path) -> Summary:
    """A summary of the tensors of a GGUF file: parameters by ggml type (quantised ones included) and bytes."""
    tensors, metadata, version, size = read_header(path)
    arch = metadata.get("general.architecture")
    name = metadata.get("general.name") if isinstance(metadata.get("general.name"), str) else Path(path).name
    shown = {k: v for k, v in metadata.items() if not (isinstance(v, str) and len(v) > 200)}
    facts = [f"File: {size:,} bytes, GGUF version {version}, {len(tensors):,} tensors"
             + (f", architecture {arch}" if isinstance(arch, str) else "")]
    return checkpoint_summary(
        name, tensors, fmt="gguf",
        description="read from the GGUF header and tensor table (the data is not read); shapes outermost first",
        facts=facts, source={"file_bytes": size, "version": version, "metadata": shown},
        notes=["a quantised tensor counts its values (the weights it stands for); its bytes include the block "
               "scales"],
    )
