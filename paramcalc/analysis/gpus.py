"""GPUs and their memory, sizes written as text (``24GiB``, ``80GB``), and the framework's overhead.

The memory of each GPU is the total ``nvidia-smi`` reports (MiB) where known, else the vendor's
capacity: what a process can address before the CUDA context takes its share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from paramcalc.errors import SpecError
from paramcalc.limits import MAX_SIZE

MIB = 1024**2
GIB = 1024**3


@dataclass(frozen=True, slots=True)
class GPU:
    """A GPU: its name, memory in bytes and where the figure comes from."""

    name: str
    bytes: int
    source: str


#: The GPUs paramcalc knows, by name.
GPUS: dict[str, GPU] = {g.name.lower(): g for g in (
    GPU("A100-40GB", 40_960 * MIB, "nvidia-smi total: 40960 MiB"),
    GPU("A100-80GB", 81_920 * MIB, "nvidia-smi total: 81920 MiB"),
    GPU("H100-80GB", 81_559 * MIB, "nvidia-smi total (H100 80GB HBM3): 81559 MiB"),
    GPU("H200", 143_771 * MIB, "nvidia-smi total (H200, 141 GB): 143771 MiB"),
    GPU("L4", 23_034 * MIB, "nvidia-smi total: 23034 MiB"),
    GPU("T4", 15_360 * MIB, "nvidia-smi total: 15360 MiB"),
    GPU("V100-16GB", 16 * GIB, "NVIDIA: 16 GB HBM2 (4 stacks of 4 GiB)"),
    GPU("V100-32GB", 32 * GIB, "NVIDIA: 32 GB HBM2 (4 stacks of 8 GiB)"),
    GPU("RTX3090", 24 * GIB, "NVIDIA: 24 GB GDDR6X (24 GiB)"),
    GPU("RTX4090", 24 * GIB, "NVIDIA: 24 GB GDDR6X (24 GiB)"),
    GPU("MI300X", 192 * GIB, "AMD: 192 GB HBM3 (8 stacks of 24 GiB)"),
)}

_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 1024, "mib": MIB, "gib": GIB, "tib": 1024**4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(text: str, what: str = "size") -> int:
    """Bytes in ``text``: ``24GiB`` (1,024³), ``80GB`` (10⁹), ``512MiB``, ``1.5TB`` or plain bytes.

    Raises:
        SpecError: not a size, or a fraction of a byte.
    """
    match = _SIZE.fullmatch(text) if isinstance(text, str) else None
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise SpecError(f"{what} must be a size such as 24GiB, 80GB or 512MiB. Received: {what}={text!r}")
    try:
        value = Decimal(match.group(1)) * _UNITS[unit]
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise SpecError(f"{what} must be a number with a unit. Received: {what}={text!r}") from None
    if value != value.to_integral_value() or value > MAX_SIZE * GIB:
        raise SpecError(f"{what} must be a whole number of bytes within bounds. Received: {what}={text!r}")
    return int(value)


def find_gpu(text: str) -> GPU:
    """A GPU of the table by name (``A100-80GB``, case and ``-``/``_``/space ignored), or a size (``24GiB``).

    Raises:
        SpecError: neither a known GPU nor a size; the message lists the table.
    """
    key = re.sub(r"[\s_]", "-", text.strip().lower()) if isinstance(text, str) else ""
    for name, gpu in GPUS.items():
        if key in (name, name.replace("-", "")) or key.replace("-", "") == name.replace("-", ""):
            return gpu
    if key[:1].isdigit():
        size = parse_size(text, "gpu")
        if size < 1:
            raise SpecError(f"gpu must have some memory. Received: gpu={text!r}")
        return GPU(text.strip(), size, "as given")
    names = ", ".join(g.name for g in GPUS.values())
    raise SpecError(f"gpu must be a size (24GiB, 80GB) or one of {names}. Received: gpu={text!r}")


@dataclass(frozen=True, slots=True)
class Overhead:
    """The framework's own share of a GPU: a fixed part (CUDA context, library workspaces) and a
    fraction of the card (allocator fragmentation), in percent."""

    fixed: int = GIB
    percent: Decimal = Decimal(5)

    def of(self, capacity: int) -> int:
        """Bytes the overhead takes of a GPU with ``capacity`` bytes (rounded up)."""
        share = self.percent * capacity / 100
        return self.fixed + int(share.to_integral_value(rounding="ROUND_CEILING"))

    def __str__(self) -> str:
        parts = []
        if self.fixed:
            parts.append(_size_text(self.fixed))
        if self.percent:
            parts.append(f"{self.percent.normalize():f}%")
        return " + ".join(parts) or "0"


def _size_text(n: int) -> str:
    for unit, size in (("GiB", GIB), ("MiB", MIB)):
        if n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


#: The default allowance: 1 GiB for the CUDA context and cuBLAS/cuDNN workspaces, and 5% of the
#: card for the caching allocator's fragmentation.
DEFAULT_OVERHEAD = Overhead()


def parse_overhead(text: str) -> Overhead:
    """``1GiB+5%``, ``2GiB``, ``10%`` or ``0``: a fixed size, a percentage of the GPU, or both.

    Raises:
        SpecError: a part that is neither a size nor a percentage from 0 to 100.
    """
    fixed, percent = 0, Decimal(0)
    for part in str(text).split("+"):
        part = part.strip()
        if part.endswith("%"):
            try:
                value = Decimal(part[:-1])
            except InvalidOperation:
                value = Decimal(-1)
            if not value.is_finite() or not 0 <= value <= 100:
                raise SpecError(f"overhead must be a size, a percentage from 0 to 100, or both "
                                f"(1GiB+5%). Received: overhead={text!r}")
            percent += value
        else:
            fixed += parse_size(part, "overhead")
    return Overhead(fixed, percent)
