"""The formulas and the independent reference agree on every generated case, valid or not.

``parse_layer`` builds a spec, whose family's methods go to the closed forms in
:mod:`paramcalc.formulas`; :mod:`paramcalc.reference` reads the same arguments as plain data, with
its own knowledge of torch's defaults and refusals, enumerates the tensors torch creates and
simulates the windows. Hypothesis draws bounded cases (tests/strategies.py); for each, both sides
give the same count and shapes, or both refuse it with a paramcalc error: at construction or
counting, then on the input. No case is skipped.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

import strategies as S
from paramcalc import ParamcalcError, parse_layer, reference
from paramcalc.reference.arguments import SIGNATURES
from paramcalc.results import Count
from paramcalc.specs.registry import names

FAMILIES = sorted(S.FAMILIES)


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", value), or ("refused", message) for a paramcalc error; anything else propagates."""
    try:
        return "ok", run()
    except ParamcalcError as exc:
        return "refused", str(exc)


def formulas(case: S.Case) -> tuple[tuple[str, Any], tuple[str, Any] | None]:
    built = outcome(lambda: parse_layer(case.layer()))
    if built[0] != "ok":
        return built, None
    spec = built[1]
    counted = outcome(spec.count)
    return counted, (outcome(lambda: spec.output_shapes(*case.shapes)) if counted[0] == "ok" else None)


def referenced(case: S.Case) -> tuple[tuple[str, Any], tuple[str, Any] | None]:
    layer = case.layer()
    counted = outcome(lambda: reference.count(layer))
    return counted, (outcome(lambda: reference.output_shapes(layer, *case.shapes)) if counted[0] == "ok" else None)


def assert_agree(case: S.Case) -> str:
    """Both sides count alike (or both refuse the arguments), then shape alike (or both refuse the
    input); returns how the case ended: "ok", "refused arguments" or "refused input"."""
    (ours, our_shapes), (theirs, their_shapes) = formulas(case), referenced(case)
    assert ours[0] == theirs[0], f"{case}\nformulas: {ours[1]}\nreference: {theirs[1]}"
    if ours[0] == "refused":
        return "refused arguments"
    assert ours[1] == theirs[1], case
    assert our_shapes is not None and their_shapes is not None
    assert our_shapes[0] == their_shapes[0], f"{case}\nformulas: {our_shapes[1]}\nreference: {their_shapes[1]}"
    if our_shapes[0] == "refused":
        return "refused input"
    assert our_shapes[1] == their_shapes[1], case
    return "ok"


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_valid_cases_agree(family: str, data: Any) -> None:
    case = data.draw(S.valid_cases(family), label="case")
    assert assert_agree(case) == "ok"
    spec = parse_layer(case.layer())
    tensors = [(t.name, t.shape, t.kind) for t in spec.param_tensors()]
    assert tensors == [(t.name, t.shape, t.kind) for t in reference.param_tensors(case.layer())]


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_loose_cases_agree_or_are_refused_alike(family: str, data: Any) -> None:
    """Cases that stray out of bounds: the specs and the reference refuse exactly the same ones,
    each by its own rules, whether when the layer is built or on the input."""
    assert_agree(data.draw(S.loose_cases(family), label="case"))


@pytest.mark.parametrize("family", FAMILIES)
@given(data=st.data())
def test_left_out_arguments_take_the_same_defaults(family: str, data: Any) -> None:
    """Arguments left out take torch's defaults on both sides: the spec's field defaults, and the
    reference's own list of torch's defaults (the strategies give most arguments explicitly)."""
    case = data.draw(S.valid_cases(family), label="case")
    cls = S.TORCH_LAYERS[family]
    optional = sorted(k for k in case.kwargs if k != cls.infer_field and not cls.model_fields[k].is_required())
    if not optional:
        return
    dropped = data.draw(st.sets(st.sampled_from(optional), min_size=1), label="left out")
    assert_agree(S.Case(family, {k: v for k, v in case.kwargs.items() if k not in dropped}, case.shapes))


@pytest.mark.parametrize(("layer", "kwargs", "why"), S.INVALID_ARGUMENTS, ids=[w for _, _, w in S.INVALID_ARGUMENTS])
def test_invalid_arguments_are_refused_by_both(layer: str, kwargs: dict[str, Any], why: str) -> None:
    case = S.Case(layer, kwargs, ())
    assert formulas(case)[0][0] == "refused"
    assert referenced(case)[0][0] == "refused"


def test_every_pytorch_layer_type_is_known_to_the_reference_and_drawn_by_the_strategies() -> None:
    """A layer type added to the registry needs the reference's own knowledge of its signature and
    a strategy, or this fails naming it."""
    missing_reference = [n for n in names("pytorch") if n not in SIGNATURES]
    assert not missing_reference, f"add these to paramcalc/reference/arguments.py SIGNATURES: {missing_reference}"
    missing_strategy = [n for n in names("pytorch") if n not in S.FAMILIES]
    assert not missing_strategy, f"add a strategy in tests/strategies.py for: {missing_strategy}"


@given(case=S.any_valid_case())
@example(S.Case("Conv2d", {"in_channels": 3, "out_channels": 96, "kernel_size": 11, "stride": 4}, ((1, 3, 227, 227),)))
@example(S.Case("Conv2d", {"in_channels": 3, "out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3}, ((1, 3, 224, 224),)))
@example(S.Case("Conv1d", {"in_channels": 1, "out_channels": 1, "kernel_size": 4, "padding": "same", "dilation": 3}, ((1, 1, 5),)))
@example(S.Case("ConvTranspose2d", {"in_channels": 8, "out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1}, ((2, 8, 16, 16),)))
@example(S.Case("ConvTranspose1d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "stride": 3, "padding": 1, "output_padding": 2}, ((0, 2, 0),)))
@example(S.Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, ((1, 64, 112, 112),)))
@example(S.Case("MaxPool1d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, ((1, 1, 4),)))
@example(S.Case("MaxPool1d", {"kernel_size": 3, "stride": 4, "padding": 1, "ceil_mode": True}, ((1, 1, 5),)))
@example(S.Case("AvgPool3d", {"kernel_size": 2, "padding": 1, "ceil_mode": True}, ((2, 3, 2, 5, 5),)))
@example(S.Case("AdaptiveAvgPool2d", {"output_size": (None, 1)}, ((2, 1, 4),)))
@example(S.Case("LSTM", {"input_size": 300, "hidden_size": 512, "num_layers": 2}, ((35, 16, 300),)))
@example(S.Case("LSTM", {"input_size": 3, "hidden_size": 5, "proj_size": 2, "bidirectional": True, "num_layers": 2, "batch_first": True}, ((4, 7, 3),)))
@example(S.Case("MultiheadAttention", {"embed_dim": 8, "num_heads": 2, "kdim": 3, "vdim": 5, "add_bias_kv": True, "add_zero_attn": True}, ((3, 2, 8), (4, 2, 3), (4, 2, 5))))
@example(S.Case("TransformerEncoderLayer", {"d_model": 512, "nhead": 8}, ((10, 32, 512),)))
@example(S.Case("Embedding", {"num_embeddings": 1000, "embedding_dim": 64}, ((32, 20),)))
@example(S.Case("GroupNorm", {"num_groups": 32, "num_channels": 256}, ((2, 256, 8, 8),)))
@example(S.Case("GroupNorm", {"num_groups": 2, "num_channels": 6, "affine": False}, ((4, 8, 5),)))
@example(S.Case("TransformerDecoder", {"decoder_layer": {"type": "TransformerDecoderLayer", "d_model": 4, "nhead": 1,
                                                          "dim_feedforward": 4}, "num_layers": 1},
                ((1, 2, 4), (0, 3, 4))))  # a memory without positions may have another batch (torch runs it)
def test_any_family_agrees(case: S.Case) -> None:
    assert assert_agree(case) == "ok"


INFERRED = [f for f in FAMILIES if S.TORCH_LAYERS[f].infer_field is not None]


@pytest.mark.parametrize("family", INFERRED)
@given(data=st.data())
def test_left_out_input_size_is_inferred(family: str, data: Any) -> None:
    """Leaving out the input size (in_features, in_channels, ...) and inferring it from the input
    shape gives the same count and shapes as giving it."""
    case = data.draw(S.valid_cases(family), label="case")
    full = parse_layer(case.layer())
    field = full.infer_field
    assume(field != "normalized_shape" or len(full.normalized_shape) == 1)  # only the last dim is inferred
    partial = parse_layer({k: v for k, v in case.layer().items() if k != field})
    assert not partial.is_resolved()
    assert partial.resolve(case.shapes[0]) == full
    assert partial.count(input_shape=case.shapes[0]) == full.count()
    assert partial.output_shapes(*case.shapes) == full.output_shapes(*case.shapes)
    assert partial.param_tensors(input_shape=case.shapes[0]) == full.param_tensors()


#: What the reference may import of paramcalc: the core (and its own modules).
REFERENCE_MAY_IMPORT = ("paramcalc.errors", "paramcalc.limits", "paramcalc.results", "paramcalc.reference")


def imports_of(path: Path, package: str) -> list[str]:
    """Every module ``path`` imports, at its top or inside a function: ``from a import b`` gives
    both ``a`` and ``a.b`` (b may be a module), relative imports resolved against ``package``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Name) and node.id in ("__import__", "importlib"):
            found.append(node.id)  # an import by name would escape this check
    return found


def test_reference_imports_only_the_core() -> None:
    """No module of paramcalc.reference imports the formulas, the specs or anything above them,
    counting imports inside functions: only paramcalc's errors, limits and results, and the standard
    library."""
    package = Path(reference.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert {p.name for p in modules} >= {"__init__.py", "blocks.py", "windows.py"}
    for path in modules:
        imported = imports_of(path, "paramcalc.reference")
        ours = [m for m in imported if m == "paramcalc" or m.startswith("paramcalc.")]
        # `from paramcalc import reference`-style lines name their module as paramcalc.<name>
        refused = [m for m in ours if m != "paramcalc" and not m.startswith(REFERENCE_MAY_IMPORT)]
        assert not refused, f"{path.name} imports {refused}"
        others = {m.split(".")[0] for m in imported if m.split(".")[0] != "paramcalc"}
        assert others <= set(sys.stdlib_module_names) - {"importlib"}, f"{path.name} imports {others}"
        assert "__import__" not in imported and "importlib" not in imported, f"{path.name} imports by name"


def test_reference_reads_specs_as_data() -> None:
    """Run on plain stand-ins and mappings, the reference loads neither the specs, the formulas nor pydantic."""
    code = (
        "import sys, types\n"
        "from paramcalc import reference\n"
        "lin = types.SimpleNamespace(type='Linear', in_features=3, out_features=4, bias=True)\n"
        "assert reference.count(lin).total == 16\n"
        "assert reference.output_shapes(lin, (2, 3)) == {'output': (2, 4)}\n"
        "conv = {'type': 'Conv2d', 'in_channels': 3, 'out_channels': 8, 'kernel_size': 3, 'groups': 1}\n"
        "assert reference.output_shapes(conv, (1, 3, 5, 5)) == {'output': (1, 8, 3, 3)}\n"
        "loaded = [m for m in sys.modules if m.startswith(('paramcalc.specs', 'paramcalc.formulas', 'pydantic'))]\n"
        "assert not loaded, loaded\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_counts_are_sums_of_the_listed_tensors() -> None:
    # LSTM(10, 20, num_layers=2, bidirectional=True, proj_size=5), by hand: per direction, layer 0
    # 80·10 + 80·5 + 2·80 + 5·20 = 1,460; layer 1 reads 2·5 = 10 inputs, the same 1,460: 4 · 1,460
    layer = {"type": "LSTM", "input_size": 10, "hidden_size": 20, "num_layers": 2, "bidirectional": True, "proj_size": 5}
    spec = parse_layer(layer)
    assert spec.count().total == Count.of_tensors(spec.param_tensors()).total == 5_840
    assert reference.count(layer).total == sum(t.numel for t in reference.param_tensors(layer)) == 5_840
