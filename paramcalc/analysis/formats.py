"""Weight storage formats and their real bits per weight, scales and block headers included.

- Floating point: fp32 (32 bits), fp16 and bf16 (16), fp8 e4m3 and e5m2 (8; scaling factors per
  tensor are negligible and not counted).
- Integers: int8 (8), int4 (4: half a byte, no scales), and int4 with one fp16 scale per group of
  32, 64 or 128 weights (GPTQ/AWQ style, symmetric): ``4 + 16/g`` bits.
- nf4: QLoRA's 4-bit NormalFloat (Dettmers et al. 2023, section 3): blocks of 64 weights with an
  absmax constant quantised to 8 bits, and one fp32 constant per 256 blocks (double quantisation):
  ``4 + 8/64 + 32/(64·256)`` = 4.127 bits.
- GGUF (llama.cpp's ggml block types): a block of 32 weights (Q4_0 … Q8_0) or a 256-weight
  super-block (the k-quants) of a fixed byte size, e.g. Q4_0 = 18 bytes per 32 weights = 4.5 bits.
  The "_M"/"_S" names (Q4_K_M …) are llama.cpp's file types that mix two block types across
  tensors: their bits per weight depend on the model and are approximate (llama.cpp's own
  figures for LLaMA-7B).

Sizes are exact when every quantised tensor's size is a multiple of the block (true of the
matrices of the usual models), except for the mixed file types. Real GGUF files also keep the
1-D tensors (norms) in F32; the figure counts every parameter in the chosen format.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Format:
    """A storage format: bits per weight (exact fraction), what it is, and whether its size is exact."""

    name: str
    bits: Fraction
    what: str
    exact: bool = True
    floating: bool = False
    #: ggml block: (weights per block, bytes per block)
    block: tuple[int, int] | None = None


def _gguf(name: str, weights: int, size: int, what: str) -> Format:
    return Format(name, Fraction(8 * size, weights), f"GGUF {name.upper()}: {size} bytes per {weights} weights ({what})",
                  block=(weights, size))


_FORMATS = [
    Format("fp32", Fraction(32), "IEEE single precision", floating=True),
    Format("fp16", Fraction(16), "IEEE half precision", floating=True),
    Format("bf16", Fraction(16), "bfloat16", floating=True),
    Format("fp8-e4m3", Fraction(8), "8-bit float, 4 exponent and 3 mantissa bits"),
    Format("fp8-e5m2", Fraction(8), "8-bit float, 5 exponent and 2 mantissa bits"),
    Format("int8", Fraction(8), "8-bit integers"),
    Format("int4", Fraction(4), "4-bit integers, two per byte, scales not counted"),
    *(Format(f"int4-g{g}", 4 + Fraction(16, g), f"4-bit integers with a fp16 scale per group of {g}")
      for g in (32, 64, 128)),
    Format("nf4", 4 + Fraction(8, 64) + Fraction(32, 64 * 256),
           "4-bit NormalFloat, blocks of 64, double-quantised constants (QLoRA)"),
    _gguf("q4_0", 32, 18, "fp16 scale + 32 × 4 bits"),
    _gguf("q4_1", 32, 20, "fp16 scale and minimum + 32 × 4 bits"),
    _gguf("q5_0", 32, 22, "fp16 scale + 32 × 5 bits"),
    _gguf("q5_1", 32, 24, "fp16 scale and minimum + 32 × 5 bits"),
    _gguf("q8_0", 32, 34, "fp16 scale + 32 × 8 bits"),
    _gguf("q2_k", 256, 84, "k-quant super-block"),
    _gguf("q3_k", 256, 110, "k-quant super-block"),
    _gguf("q4_k", 256, 144, "k-quant super-block"),
    _gguf("q5_k", 256, 176, "k-quant super-block"),
    _gguf("q6_k", 256, 210, "k-quant super-block"),
    # llama.cpp's mixed file types: the sizes its quantize tool lists for LLaMA-7B (3.06, 3.80 and
    # 4.45 GiB for 6,738,415,616 weights), as bits per weight
    *(Format(name, Fraction(gib * 2**33, 100 * 6_738_415_616), f"GGUF {name.upper()}: {mix}; about "
             f"{float(Fraction(gib * 2**33, 100 * 6_738_415_616)):.2f} bits (llama.cpp, LLaMA-7B: {gib / 100} GiB)",
             exact=False)
      for name, gib, mix in (("q3_k_m", 306, "Q3_K with Q4_K and Q5_K for some tensors"),
                             ("q4_k_m", 380, "Q4_K with Q6_K for half of attn_v and ffn_down"),
                             ("q5_k_m", 445, "Q5_K with Q6_K for half of attn_v and ffn_down"))),
]

#: Every format by name.
FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}


def weight_format(name: str) -> Format:
    """The format called ``name`` (case-insensitive).

    Raises:
        KeyError: no such format.
    """
    return FORMATS[name.lower()]


def bits_text(bits: Fraction) -> str:
    """Bits per weight as written in formulas: ``4.5``, ``4.125``, ``4.127`` (three decimals at most)."""
    if bits.denominator == 1:
        return str(bits.numerator)
    thousandths = round(bits * 1000)
    text = f"{thousandths // 1000}.{thousandths % 1000:03d}".rstrip("0")
    return text if Fraction(text) == bits else f"≈{text}"
