"""Short forms of big numbers, one scheme for each kind of quantity (the exact int is always shown beside).

- **Counts** (parameters, values, tokens): SI suffixes K, M, B, T with one decimal (``117.8K``,
  ``174.6B``); from a thousand trillion on, scientific (``2.1e37``).
- **Compute** (MACs, FLOPs): SI prefixes K, M, G, T, P, E with two decimals (``17.56G``, ``2.20P``);
  beyond E, scientific (``1.23e+21``).
- **Bytes**: binary units B, KiB, MiB, GiB, TiB, PiB, EiB with two decimals (``12.55 GiB``), or with
  ``decimal=True`` SI units kB, MB, GB, TB, PB, EB (``13.48 GB``); beyond EiB/EB, scientific.

Every form is computed from the exact int with integer arithmetic (no float, no overflow), rounded
half up; a value that rounds up to the next unit is shown in it (``999,950`` → ``1.0M``, not ``1000.0K``).
"""

from __future__ import annotations

COUNT_UNITS = (("K", 10**3), ("M", 10**6), ("B", 10**9), ("T", 10**12))
COMPUTE_UNITS = (("K", 10**3), ("M", 10**6), ("G", 10**9), ("T", 10**12), ("P", 10**15), ("E", 10**18))
BINARY_UNITS = (("KiB", 2**10), ("MiB", 2**20), ("GiB", 2**30), ("TiB", 2**40), ("PiB", 2**50), ("EiB", 2**60))
DECIMAL_UNITS = (("kB", 10**3), ("MB", 10**6), ("GB", 10**9), ("TB", 10**12), ("PB", 10**15), ("EB", 10**18))


def _scaled(n: int, size: int, decimals: int) -> tuple[int, int]:
    """``n / size`` rounded half up to ``decimals`` places, as (whole part, fraction digits as an int)."""
    scale = 10**decimals
    units = (n * scale + size // 2) // size
    return divmod(units, scale)


def _scientific(n: int, decimals: int, plus: bool) -> str:
    """``n`` as ``d.dde+X`` from its digits (``plus``) or ``d.deX``, rounded half up."""
    exponent = len(str(n)) - 1
    scale = 10**decimals
    mantissa = (n * scale + 10**exponent // 2) // 10**exponent
    if mantissa >= 10 * scale:  # rounding carried into the next power of ten
        mantissa, exponent = mantissa // 10, exponent + 1
    whole, frac = divmod(mantissa, scale)
    text = f"{whole}.{frac:0{decimals}d}" if decimals else str(whole)
    return f"{text}e{'+' if plus else ''}{exponent}"


def _short(n: int, units: tuple[tuple[str, int], ...], decimals: int, sep: str, below: str,
           plus: bool) -> str:
    sign, n = ("-" if n < 0 else ""), abs(n)
    if n < units[0][1]:
        return f"{sign}{n}{below}"
    for i, (unit, size) in enumerate(units):
        whole, frac = _scaled(n, size, decimals)
        step = units[i + 1][1] // size if i + 1 < len(units) else None
        if step is None or whole < step:
            if step is None and whole >= 1000:  # beyond the largest unit
                return sign + _scientific(n, decimals, plus) + below
            fraction = f".{frac:0{decimals}d}" if decimals else ""
            return f"{sign}{whole}{fraction}{sep}{unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def count_text(n: int) -> str:
    """A count in short form: ``117,760`` → ``117.8K``; ``950`` → ``950``; ``2**124`` → ``2.1e37``."""
    return _short(n, COUNT_UNITS, 1, "", "", plus=False)


def compute_text(n: int) -> str:
    """MACs or FLOPs in short form: ``17,563,837,440`` → ``17.56G``; ``2,204,993,285,259,264`` → ``2.20P``."""
    return _short(n, COMPUTE_UNITS, 2, "", "", plus=True)


def bytes_text(n: int, *, decimal: bool = False) -> str:
    """Bytes in binary units (``12.55 GiB``), or SI units with ``decimal`` (``13.48 GB``); below a
    KiB (kB) in bytes (``512 B``)."""
    return _short(n, DECIMAL_UNITS if decimal else BINARY_UNITS, 2, " ", " B", plus=True)


def with_short(n: int, short: str) -> str:
    """``117,760 · 117.8K``, or just ``128`` when the short form says nothing more."""
    return f"{n:,}" if short == str(n) else f"{n:,} · {short}"
