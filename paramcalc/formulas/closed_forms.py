"""Composed blocks in closed form: the parameter count of a Transformer encoder or decoder layer, an LSTM
stack and a conv block as a polynomial in their sizes (``12d² + 13d`` for a PyTorch encoder layer with
d_ff = 4d), under each convention. Each is summed from its parts, the way a course derives it."""

from __future__ import annotations

from dataclasses import dataclass

from paramcalc.errors import SpecError
from paramcalc.formulas.polynomial import Polynomial

d, f, h, I, L, k, c, o = (Polynomial.symbol(s) for s in ("d", "f", "h", "I", "L", "k", "c", "o"))  # noqa: E741

BLOCKS = ("encoder-layer", "decoder-layer", "lstm-stack", "conv-block")
CONVENTIONS = ("pytorch", "keras", "textbook")


@dataclass(frozen=True)
class ClosedForm:
    """A block's count as a polynomial, with the parts it is summed from.

    Attributes:
        block: ``encoder-layer``, ``decoder-layer``, ``lstm-stack`` or ``conv-block``.
        convention: whose counting rules.
        polynomial: the total.
        parts: (what, polynomial) for each part, summing to the total.
        symbols: what each size stands for.
    """

    block: str
    convention: str
    polynomial: Polynomial
    parts: tuple[tuple[str, Polynomial], ...]
    symbols: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        """The polynomial as courses write it, sizes in the block's order: ``12d² + 13d``, ``k²co + 2o``."""
        return self.polynomial.format(tuple(s for s, _ in self.symbols))

    def part_text(self, part: Polynomial) -> str:
        return part.format(tuple(s for s, _ in self.symbols))

    def evaluate(self, **sizes: int) -> int:
        """The count for these sizes (every size of the polynomial must be given)."""
        return int(self.polynomial.evaluate(**sizes))


def _attention(convention: str, kind: str = "self") -> tuple[str, Polynomial]:
    if convention == "textbook":
        return f"{kind}-attention: W_Q, W_K, W_V, W_O (4·d², no biases)", 4 * d * d
    return f"{kind}-attention: Q, K, V and output projections with biases (4·d² + 4·d)", 4 * d * d + 4 * d


def _ffn(convention: str, width: Polynomial) -> tuple[str, Polynomial]:
    if convention == "textbook":
        return "feed-forward d → d_ff → d (2·d·d_ff, no biases)", 2 * d * width
    return "feed-forward d → d_ff → d with biases (2·d·d_ff + d_ff + d)", 2 * d * width + width + d


def _norms(convention: str, count: int) -> list[tuple[str, Polynomial]]:
    if convention == "textbook":
        return []
    return [(f"{count} LayerNorms, a scale and a shift each ({2 * count}·d)", 2 * count * d)]


def closed_form(
    block: str, *, convention: str = "pytorch", d_ff: str = "4d", bias: bool = False, bidirectional: bool = False,
) -> ClosedForm:
    """A composed block's parameter count as a polynomial in its sizes.

    Args:
        block: ``encoder-layer`` (d = d_model, f = d_ff), ``decoder-layer`` (self- and cross-attention),
            ``lstm-stack`` (I = input size, h = hidden size, L = layers), ``conv-block`` (a k×k convolution
            from c to o channels, BatchNorm, ReLU).
        convention: ``pytorch``, ``keras`` or ``textbook``.
        d_ff: the feed-forward width: ``"4d"`` (the usual, giving 12d² + 13d), or ``"f"`` to keep it a size.
        bias: whether the conv-block's convolution has a bias (off, as before a BatchNorm).
        bidirectional: an LSTM stack in both directions.

    Raises:
        SpecError: an unknown block, convention or d_ff.
    """
    if convention not in CONVENTIONS:
        raise SpecError(f"convention must be one of {', '.join(CONVENTIONS)}. Received: convention={convention!r}")
    if d_ff not in ("4d", "f"):
        raise SpecError(f"d_ff must be '4d' or 'f'. Received: d_ff={d_ff!r}")
    width = 4 * d if d_ff == "4d" else f
    model_symbols = (("d", "d_model"),) + ((("f", "d_ff"),) if d_ff == "f" else ())
    if block == "encoder-layer":
        parts = [_attention(convention), _ffn(convention, width), *_norms(convention, 2)]
        symbols = model_symbols
    elif block == "decoder-layer":
        parts = [_attention(convention), _attention(convention, "cross"), _ffn(convention, width),
                 *_norms(convention, 3)]
        symbols = model_symbols
    elif block == "lstm-stack":
        biases = 2 if convention == "pytorch" else 1
        dirs = 2 if bidirectional else 1
        first = dirs * 4 * (h * I + h * h + biases * h)
        later = (L - 1) * dirs * 4 * (h * (dirs * h) + h * h + biases * h)
        per = "2·h" if biases == 2 else "h"
        both = "2 directions × " if dirs == 2 else ""
        parts = [
            (f"first layer: {both}4 gates × (h·I + h·h + {per})", first),
            (f"layers 2 … L: (L − 1) × {both}4 gates × (h·{'2h' if dirs == 2 else 'h'} + h·h + {per})", later),
        ]
        symbols = (("L", "layers"), ("I", "input size"), ("h", "hidden size"))
    elif block == "conv-block":
        conv = k * k * c * o + (o if bias else 0)
        parts = [(f"k×k convolution c → o{' with a bias' if bias else ', no bias'} (k²·c·o{' + o' if bias else ''})",
                  conv)]
        if convention == "keras":
            parts.append(("BatchNormalization: gamma, beta, moving mean and variance (4·o, 2·o non-trainable)", 4 * o))
        else:
            parts.append(("BatchNorm: gamma and beta (2·o; running statistics are buffers)", 2 * o))
        parts.append(("ReLU: no parameters", Polynomial()))
        symbols = (("k", "kernel size"), ("c", "input channels"), ("o", "output channels"))
    else:
        raise SpecError(f"formula: unknown block {block!r}; the blocks are {', '.join(BLOCKS)}")
    total = Polynomial()
    for _, p in parts:
        total = total + p
    return ClosedForm(block, convention, total, tuple(parts), symbols)
