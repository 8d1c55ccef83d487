"""Keras 2's LocallyConnected1D/2D (unshared weights). Keras 3 removed them, so they are checked against
the Keras 2 documentation's own worked counts, a hand derivation, and the same layer built in torch with
unfold (one weight per output position)."""

from __future__ import annotations

import pytest
from conftest import require
from hypothesis import given, settings
from hypothesis import strategies as st

from paramcalc.errors import SpecError
from paramcalc.specs.parse import parse_layer


def test_keras_documentation_examples() -> None:
    # Keras 2 / tf.keras docs of LocallyConnected2D: LocallyConnected2D(64, (3, 3), input_shape=(32, 32, 3))
    # gives (None, 30, 30, 64) and "will consume (30*30)*(3*3*3*64) + (30*30)*64 parameters" = 1,612,800.
    spec = parse_layer("layers.LocallyConnected2D(64, (3, 3))")
    assert spec.count("keras", input_shape=(None, 32, 32, 3)).total == 30 * 30 * (3 * 3 * 3 * 64) + 30 * 30 * 64
    assert spec.output_shape((None, 32, 32, 3)) == (None, 30, 30, 64)
    # ... and LocallyConnected1D(64, 3, input_shape=(10, 32)): (None, 8, 64), "(8*(3*32*64)) + (8*64)" = 49,664.
    spec = parse_layer("layers.LocallyConnected1D(64, 3)")
    assert spec.count("keras", input_shape=(None, 10, 32)).total == 8 * (3 * 32 * 64) + 8 * 64 == 49_664
    assert spec.output_shape((None, 10, 32)) == (None, 8, 64)


def test_against_conv_hand_derivation() -> None:
    # A Conv2D(16, 3) on 8x8x4 has 3·3·4·16 + 16 = 592 weights, shared by its 6·6 output positions; unshared
    # they are 36 × 592 = 21,312.
    lc = parse_layer("layers.LocallyConnected2D(16, 3)").count("keras", input_shape=(1, 8, 8, 4)).total
    conv = parse_layer("layers.Conv2D(16, 3)").count("keras", input_shape=(1, 8, 8, 4)).total
    assert conv == 592 and lc == 36 * conv == 21_312


def test_implementation_2_holds_a_dense_kernel() -> None:
    # Keras 2, implementation=2: kernel (input_row, input_col, input_filter, output_row, output_col, filters).
    spec = parse_layer("layers.LocallyConnected2D(2, 3, implementation=2)")
    tensors = spec.param_tensors("keras", input_shape=(1, 5, 5, 1))
    assert [t.shape for t in tensors] == [(5, 5, 1, 3, 3, 2), (3, 3, 2)]
    assert spec.count("keras", input_shape=(1, 5, 5, 1)).total == 25 * 18 + 18


def test_no_pytorch_layer_and_bad_input() -> None:
    spec = parse_layer("layers.LocallyConnected1D(4, 3)")
    with pytest.raises(SpecError, match="no torch.nn layer"):
        spec.count("pytorch", input_shape=(1, 10, 2))
    with pytest.raises(SpecError, match="padding"):
        parse_layer("layers.LocallyConnected1D(4, 3, padding='same')")
    with pytest.raises(SpecError):
        spec.count("keras", input_shape=(1, 2, 2))


def _unfold_layer(torch, c_in: int, size: tuple[int, ...], k: tuple[int, ...], s: tuple[int, ...], filters: int):
    """A locally connected layer in torch: unfold the windows, one weight matrix and bias per position."""
    nn = torch.nn

    class Local(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.out = tuple((n - kk) // ss + 1 for n, kk, ss in zip(size, k, s))
            positions = 1
            for o in self.out:
                positions *= o
            window = c_in
            for kk in k:
                window *= kk
            self.weight = nn.Parameter(torch.randn(positions, window, filters))
            self.bias = nn.Parameter(torch.zeros(positions, filters))

        def forward(self, x):  # x: (N, C, *size)
            x4 = x if len(size) == 2 else x.unsqueeze(-1)
            kk = k if len(k) == 2 else (*k, 1)
            ss = s if len(s) == 2 else (*s, 1)
            cols = nn.functional.unfold(x4, kk, stride=ss)  # (N, C·K, P)
            y = torch.einsum("ncp,pcf->npf", cols, self.weight) + self.bias
            return y.reshape(x.shape[0], *self.out, filters)

    return Local()


@pytest.mark.crosscheck
@given(nd=st.sampled_from([1, 2]), c_in=st.integers(1, 4), n=st.integers(3, 9), k=st.integers(1, 3),
       s=st.integers(1, 3), filters=st.integers(1, 5))
@settings(max_examples=25, deadline=None)
def test_equals_an_unfold_build_in_torch(nd: int, c_in: int, n: int, k: int, s: int, filters: int) -> None:
    torch = require("torch")
    size, kernel, stride = (n,) * nd, (k,) * nd, (s,) * nd
    module = _unfold_layer(torch, c_in, size, kernel, stride, filters)
    spec = parse_layer(f"layers.LocallyConnected{nd}D({filters}, {k}, strides={s})")
    shape = (2, *size, c_in)
    assert spec.count("keras", input_shape=shape).total == sum(p.numel() for p in module.parameters())
    out = module(torch.zeros(2, c_in, *size))
    assert spec.output_shape(shape) == tuple(out.shape)
    listed = {t.name: t.numel for t in spec.param_tensors("keras", input_shape=shape)}
    assert listed == {"kernel": module.weight.numel(), "bias": module.bias.numel()}
