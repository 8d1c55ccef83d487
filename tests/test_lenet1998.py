"""LeNet-5 as LeCun et al. 1998 describe it (section II.B): the paper's per-layer counts, and the same
network built in torch from the paper's description (trainable subsampling, the C3 table, RBF outputs)."""

from __future__ import annotations

import pytest
from conftest import require

import paramcalc
from paramcalc.formulas.classic import LENET5_C3_TABLE
from paramcalc.models.presets import load_preset
from paramcalc.specs.parse import parse_layer

# LeCun et al. 1998, section II.B: "Layer C1 ... has 156 trainable parameters", "S2 ... has 12 trainable
# parameters", "C3 has 1,516 trainable parameters", "S4 ... 32 trainable parameters", "C5 ... 48,120 trainable
# connections" (C5 is fully connected to S4, so its connections are its parameters), "F6 ... 10,164 trainable
# parameters". The output layer's RBF parameter vectors (84 · 10) were "chosen by hand and kept fixed".
PAPER = {"0": 156, "2": 12, "4": 1_516, "6": 32, "8": 48_120, "11": 10_164, "13": 840}


def test_the_papers_per_layer_counts() -> None:
    s = paramcalc.summarize(load_preset("lenet5-1998"))
    for path, value in PAPER.items():
        assert s.row(path).count.total == value, path
    assert (s.totals.trainable, s.totals.non_trainable) == (60_000, 840)
    assert s.output_shape == (1, 10)
    assert s.reference is not None and s.reference["params"] == 60_840 and s.matches_reference()


def test_c3_table_connects_60_of_96_pairs() -> None:
    # Table I of the paper: C3 maps 0–5 read 3 contiguous S2 maps, 6–11 four contiguous, 12–14 four
    # discontinuous, 15 all six: 6·3 + 6·4 + 3·4 + 6 = 60 connections; 25·60 + 16 = 1,516.
    assert sum(len(m) for m in LENET5_C3_TABLE) == 60
    assert [len(m) for m in LENET5_C3_TABLE] == [3] * 6 + [4] * 9 + [6]
    assert parse_layer("SparseConv2d(6, 16, 5)").count().total == 25 * 60 + 16


def test_the_modern_preset_is_still_there() -> None:
    assert paramcalc.summarize(load_preset("lenet5")).total == 61_706


def test_bad_tables_are_refused() -> None:
    with pytest.raises(paramcalc.SpecError, match="one entry per out_channels"):
        parse_layer("SparseConv2d(6, 4, 5)")
    with pytest.raises(paramcalc.SpecError, match="input maps must be 0"):
        parse_layer({"type": "SparseConv2d", "in_channels": 2, "out_channels": 1, "kernel_size": 3,
                     "table": [[0, 5]]})
    with pytest.raises(paramcalc.SpecError, match="listed twice"):
        parse_layer({"type": "SparseConv2d", "in_channels": 2, "out_channels": 1, "kernel_size": 3,
                     "table": [[0, 0]]})


# -- Built in torch from the paper ------------------------------------------------------------


def _paper_lenet():
    torch = require("torch")
    nn = torch.nn
    F = torch.nn.functional

    class Subsampling(nn.Module):
        """S2/S4: the sum of a 2x2 window times a trainable coefficient, plus a trainable bias, per map."""

        def __init__(self, maps: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(maps))
            self.bias = nn.Parameter(torch.zeros(maps))

        def forward(self, x):
            return F.avg_pool2d(x, 2) * 4 * self.weight[:, None, None] + self.bias[:, None, None]

    class SparseC3(nn.Module):
        """C3: output map o convolves only the S2 maps of Table I's column o."""

        def __init__(self, table) -> None:
            super().__init__()
            self.table = [list(t) for t in table]
            self.maps = nn.ModuleList(nn.Conv2d(len(t), 1, 5) for t in table)

        def forward(self, x):
            return torch.cat([conv(x[:, t]) for conv, t in zip(self.maps, self.table)], dim=1)

    class RBF(nn.Module):
        """Output: y_i = sum_j (x_j - w_ij)^2, the w_i fixed."""

        def __init__(self, n_in: int, n_out: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.randn(n_out, n_in), requires_grad=False)

        def forward(self, x):
            return ((x[:, None, :] - self.weight) ** 2).sum(-1)

    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.Tanh(), Subsampling(6), nn.Tanh(), SparseC3(LENET5_C3_TABLE), nn.Tanh(),
        Subsampling(16), nn.Tanh(), nn.Conv2d(16, 120, 5), nn.Tanh(), nn.Flatten(), nn.Linear(120, 84), nn.Tanh(),
        RBF(84, 10),
    )


@pytest.mark.crosscheck
def test_equals_the_torch_build() -> None:
    torch = require("torch")
    module = _paper_lenet()
    s = paramcalc.summarize(load_preset("lenet5-1998"))
    assert s.total == sum(p.numel() for p in module.parameters())
    assert s.totals.trainable == sum(p.numel() for p in module.parameters() if p.requires_grad)
    for path, child in module.named_children():
        assert s.row(path).count.total == sum(p.numel() for p in child.parameters()), path
    assert tuple(module(torch.zeros(1, 1, 32, 32)).shape) == s.output_shape
    # Every layer's tensors, by state_dict name and shape, as the torch modules hold them.
    for expr, child in (("Subsampling2d(6)", module[2]), ("SparseConv2d(6, 16, 5)", module[4]),
                        ("RBFOutput(84, 10)", module[13])):
        listed = {(t.name, t.shape, t.kind) for t in parse_layer(expr).param_tensors()}
        built = {(n, tuple(p.shape), "trainable" if p.requires_grad else "non_trainable")
                 for n, p in child.named_parameters()}
        assert listed == built, expr


# -- The formulas against the reference's tensors ---------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from paramcalc import reference  # noqa: E402
from paramcalc.formulas import classic as fcl  # noqa: E402


@st.composite
def tables(draw: st.DrawFn) -> tuple[int, tuple[tuple[int, ...], ...]]:
    c_in = draw(st.integers(1, 6))
    rows = draw(st.lists(st.sets(st.integers(0, c_in - 1), min_size=1), min_size=1, max_size=8))
    return c_in, tuple(tuple(sorted(r)) for r in rows)


@given(table=tables(), k=st.integers(1, 5), bias=st.booleans(), n=st.integers(5, 12))
@settings(max_examples=60)
def test_sparse_conv_formula_matches_reference(table, k: int, bias: bool, n: int) -> None:
    c_in, rows = table
    spec = parse_layer({"type": "SparseConv2d", "in_channels": c_in, "out_channels": len(rows), "kernel_size": k,
                        "table": [list(r) for r in rows], "bias": bias})
    assert fcl.sparse_conv_params(table=rows, kernel_size=(k, k), bias=bias) == reference.count(spec).total
    if n >= k:
        assert spec.output_shape((1, c_in, n, n)) == reference.output_shapes(spec, (1, c_in, n, n))["output"]


@given(c=st.integers(1, 64), k=st.integers(1, 4), n=st.integers(4, 20), i=st.integers(1, 100), o=st.integers(1, 20),
       trainable=st.booleans())
@settings(max_examples=60)
def test_subsampling_and_rbf_formulas_match_reference(c: int, k: int, n: int, i: int, o: int, trainable: bool) -> None:
    sub = parse_layer(f"Subsampling2d({c}, kernel_size={k})")
    assert fcl.subsampling_params(channels=c) == reference.count(sub).total == sub.count().total
    assert sub.output_shape((1, c, n, n)) == reference.output_shapes(sub, (1, c, n, n))["output"]
    rbf = parse_layer(f"RBFOutput({i}, {o}, trainable={trainable})")
    assert rbf.count() == reference.count(rbf)
    assert fcl.rbf_params(in_features=i, out_features=o) == rbf.count().total
