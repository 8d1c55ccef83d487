"""Exact polynomials in named sizes (d, f, h, I, L, ...) with integer coefficients: the closed forms of
composed blocks, written as courses write them (``12d² + 13d``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from paramcalc.errors import SpecError

#: A monomial: (symbol, power) pairs sorted by symbol; () is the constant.
Monomial = tuple[tuple[str, int], ...]

_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _times(a: Monomial, b: Monomial) -> Monomial:
    powers: dict[str, int] = dict(a)
    for s, p in b:
        powers[s] = powers.get(s, 0) + p
    return tuple(sorted(powers.items()))


@dataclass(frozen=True)
class Polynomial:
    """A polynomial with exact (int or Fraction) coefficients: ``Polynomial.symbol("d") * 12``."""

    terms: Mapping[Monomial, int | Fraction] = field(default_factory=dict)

    @classmethod
    def symbol(cls, name: str) -> Polynomial:
        """The polynomial ``name`` (a size such as d or h)."""
        return cls({((name, 1),): 1})

    @classmethod
    def constant(cls, value: int | Fraction) -> Polynomial:
        return cls({(): value} if value else {})

    @staticmethod
    def of(value: Polynomial | int | Fraction) -> Polynomial:
        return value if isinstance(value, Polynomial) else Polynomial.constant(value)

    def __add__(self, other: Polynomial | int | Fraction) -> Polynomial:
        out = dict(self.terms)
        for m, c in Polynomial.of(other).terms.items():
            out[m] = out.get(m, 0) + c
        return Polynomial({m: c for m, c in out.items() if c})

    __radd__ = __add__

    def __neg__(self) -> Polynomial:
        return Polynomial({m: -c for m, c in self.terms.items()})

    def __sub__(self, other: Polynomial | int | Fraction) -> Polynomial:
        return self + -Polynomial.of(other)

    def __rsub__(self, other: Polynomial | int | Fraction) -> Polynomial:
        return Polynomial.of(other) - self

    def __mul__(self, other: Polynomial | int | Fraction) -> Polynomial:
        out: dict[Monomial, int | Fraction] = {}
        for ma, ca in self.terms.items():
            for mb, cb in Polynomial.of(other).terms.items():
                m = _times(ma, mb)
                out[m] = out.get(m, 0) + ca * cb
        return Polynomial({m: c for m, c in out.items() if c})

    __rmul__ = __mul__

    @property
    def symbols(self) -> tuple[str, ...]:
        """The sizes it is written in, in order."""
        return tuple(sorted({s for m in self.terms for s, _ in m}))

    def substitute(self, **values: Polynomial | int) -> Polynomial:
        """The polynomial with some sizes replaced by numbers or other polynomials (``f=4·d``)."""
        out = Polynomial()
        for m, c in self.terms.items():
            term = Polynomial.constant(c)
            for s, p in m:
                base = Polynomial.of(values[s]) if s in values else Polynomial.symbol(s)
                for _ in range(p):
                    term = term * base
            out = out + term
        return out

    def evaluate(self, **values: int) -> int | Fraction:
        """The value for every size given (an int when whole).

        Raises:
            SpecError: a size is missing.
        """
        missing = [s for s in self.symbols if s not in values]
        if missing:
            raise SpecError(f"formula: give every size to evaluate it; missing {', '.join(missing)}")
        value = self.substitute(**values).terms.get((), 0)
        return int(value) if isinstance(value, Fraction) and value.denominator == 1 else value

    @property
    def text(self) -> str:
        """As courses write it: highest degree first, ``12d² + 13d``."""
        return self.format()

    def format(self, order: tuple[str, ...] = ()) -> str:
        """The text with the sizes of each term written in ``order`` (then alphabetically): with
        ``order=("k", "c", "o")``, ``k²co + 2o``."""
        if not self.terms:
            return "0"
        rank = {s: i for i, s in enumerate(order)}

        def arranged(m: Monomial) -> list[tuple[str, int]]:
            return sorted(m, key=lambda sp: (rank.get(sp[0], len(rank)), sp[0]))

        def key(item: tuple[Monomial, int | Fraction]) -> tuple:
            m = arranged(item[0])
            return (-sum(p for _, p in m), [(rank.get(s, len(rank)), s, -p) for s, p in m])

        parts = []
        for i, (m, c) in enumerate(sorted(self.terms.items(), key=key)):
            body = "".join(s + (str(p).translate(_SUPERSCRIPTS) if p > 1 else "") for s, p in arranged(m))
            size = abs(c)
            coef = "" if size == 1 and body else (str(size) if isinstance(size, int) or size.denominator != 1
                                                   else str(int(size)))
            sign = ("−" if c < 0 else "") if i == 0 else (" − " if c < 0 else " + ")
            parts.append(f"{sign}{coef}{body}")
        return "".join(parts)

    def __str__(self) -> str:
        return self.text
