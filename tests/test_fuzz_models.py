"""Bad model files and problem sheets: malformed, truncated, binary, not UTF-8, huge, deeply nested,
alias bombs, unsafe YAML tags, wrong types everywhere, and randomly built or mutated models.

Every file or mapping gives a model (and a summary) or a clean :class:`ModelError` (a layer that
does not fit is a :class:`SpecError`, whose subclass ModelError is): no other exception, no hang
(each example runs under the time guard of test_fuzz_library), no memory blow-up (the bounds in
paramcalc.limits stop a file before it is built).
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_library import SENTINEL, clean_error, examples, time_limit, values

from paramcalc.checking.sheet import check_sheet
from paramcalc.analysis.compute import model_compute
from paramcalc.errors import ParamcalcError, SpecError
from paramcalc.limits import MAX_DATA_NODES, MAX_FILE_BYTES
from paramcalc.analysis.memory import model_memory
from paramcalc.models.evaluate import evaluate
from paramcalc.models.format import Model, load_model, parse_model_text
from paramcalc.models.presets import PRESET_DIR, load_preset
from paramcalc.models.summary import Summary
from paramcalc.readers.torchprint import summarize_torch_print
from paramcalc.render.summary import summary_dict

PRESET_TEXTS = {p.stem: p.read_text(encoding="utf-8") for p in sorted(PRESET_DIR.glob("*.yaml"))}
#: The smaller presets (a mutated GPT-3 costs as much as a GPT-3), as plain data.
SMALL = ("lenet5", "alexnet", "resnet18", "gpt2", "bert-base", "transformer-base", "vit-b16")
PRESET_DATA = {name: yaml.safe_load(PRESET_TEXTS[name]) for name in SMALL}


def check_summary(summary: Summary) -> None:
    totals = summary.totals
    for part in (totals.trainable, totals.non_trainable, totals.buffers):
        assert type(part) is int and part >= 0
    assert summary.total == totals.trainable + totals.non_trainable
    assert isinstance(summary.as_dict(), dict) and isinstance(summary_dict(summary), dict)


def load_and_evaluate(source: Any, **options: Any) -> Summary | None:
    """A model's summary, or None after a clean SpecError/ModelError; anything else fails the test."""
    with time_limit():
        try:
            summary = evaluate(load_model(source), **options)
        except SpecError as exc:  # ModelError is a SpecError
            clean_error(exc)
            return None
    check_summary(summary)
    return summary


def write(data: bytes, suffix: str = ".yaml") -> Path:
    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    with handle:
        handle.write(data)
    return Path(handle.name)


def load_file(data: bytes, suffix: str = ".yaml") -> Summary | None:
    path = write(data, suffix)
    try:
        return load_and_evaluate(path)
    finally:
        path.unlink()


# -- Files that are not model files ------------------------------------------------------------

SUFFIXES = st.sampled_from([".yaml", ".yml", ".json", ".txt", ""])


@examples(150)
@given(data=st.binary(max_size=3000), suffix=SUFFIXES)
def test_random_bytes(data: bytes, suffix: str) -> None:
    load_file(data, suffix)


YAML_TOKENS = [
    "!!timestamp 2001-99-99", "!!timestamp x", "!!int x", "!!bool maybe", "!!null x", "!!str", "!!map", "!!seq",
    "layers:", "input_shape:", "inputs:", "framework:", "name:", "repeat:", "shortcut:", "after:", "parallel:",
    "shared:", "tie:", "input:", "trainable:", "share_weights:", "layer:", "type:", "reference:", "params:",
    "- ", "  ", "    ", "\n", "\n", "\n- ", ": ", "[", "]", "{", "}", ", ", "&a ", "*a", "&b ", "*b", "<<: *a",
    "!!python/object/apply:os.system ['true']", "!!binary aGk=", "!!set {a}", "!!timestamp 2001-99-99",
    "!!int 0xZZ", "!!float x", "2001-02-30", "~", "null", "true", "1e999", ".nan", "-1", "0", "3", "12",
    "9" * 60, "[1, 3, 32, 32]", "[1, 8]", "Linear(8, 4)", "Conv2d(3, 8, 3)", "'Linear(4, 2)'", "LayerNorm(8)",
    "nn.LSTM(8, 4)", "layers.Dense(3)", "identity", "pytorch", "keras", "\t", "#", "'", '"', "\x00", "é", "---",
]


@examples(300)
@given(tokens=st.lists(st.sampled_from(YAML_TOKENS), max_size=40), suffix=SUFFIXES)
def test_yaml_token_soup(tokens: list[str], suffix: str) -> None:
    SENTINEL.unlink(missing_ok=True)
    load_file("".join(tokens).encode("utf-8"), suffix)
    assert not SENTINEL.exists()


@examples(100)
@given(text=st.text(max_size=400))
def test_random_text(text: str) -> None:
    load_file(text.encode("utf-8", "surrogatepass"), ".yaml")


@examples(150)
@given(name=st.sampled_from(sorted(PRESET_TEXTS)), cut=st.floats(0, 1), flip=st.booleans(), byte=st.integers(0, 255))
def test_truncated_and_corrupted_presets(name: str, cut: float, flip: bool, byte: int) -> None:
    raw = PRESET_TEXTS[name].encode("utf-8")
    at = int(len(raw) * cut)
    data = raw[:at] if not flip else raw[:at] + bytes([byte]) + raw[at + 1:]
    load_file(data, ".yaml")


# -- Hostile files, one by one -----------------------------------------------------------------

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
) + "layers: [*j]\n"

HOSTILE_FILES: dict[str, tuple[bytes, str, str | None]] = {
    # name: (content, suffix, a word the error must contain; None when the file may load)
    "billion laughs": (LAUGHS.encode(), ".yaml", f"more than {MAX_DATA_NODES:,} values"),
    "alias inside its anchor": (b"layers: &a ['Linear(2, 2)', *a]\n", ".yaml", "encloses it"),
    "deep json": (b"[" * 100_000 + b"]" * 100_000, ".json", "larger than" if 200_000 > MAX_FILE_BYTES else "nested"),
    "deep json under the size bound": (b'{"layers": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", ".json", "nested"),
    # paramcalc's bound or the YAML parser's own nesting limit, whichever is met first: the file is named.
    "deep yaml flow": (b"layers: " + b"[" * 5_000 + b"]" * 5_000, ".yaml", "model file"),
    "deep yaml block": ("".join("  " * i + "- \n" for i in range(300)).encode(), ".yaml", "nested"),
    "python object": (f"!!python/object/apply:os.system ['touch {SENTINEL}']\n".encode(), ".yaml", "invalid YAML"),
    "python object inside": (
        f"layers:\n  - !!python/object/apply:os.system ['touch {SENTINEL}']\n".encode(), ".yaml", "invalid YAML"
    ),
    "python name": (b"layers: [!!python/name:os.system ]\n", ".yaml", "invalid YAML"),
    "python module": (b"layers: [!!python/module:os ]\n", ".yaml", "invalid YAML"),
    "custom tag": (b"layers: [!Linear {in_features: 2}]\n", ".yaml", "invalid YAML"),
    "binary tag": (b"layers: [!!binary aGk=]\n", ".yaml", "layer"),
    "set": (b"layers: !!set {'Linear(2, 2)'}\n", ".yaml", None),
    "bad timestamp": (b"layers: ['Linear(2, 2)']\nname: 2001-02-30\n", ".yaml", "cannot be read"),
    "huge int": (b"layers: ['Linear(2, 2)']\ninput_shape: [" + b"9" * 5000 + b"]\n", ".yaml", "cannot be read"),
    "huge int in json": (b'{"layers": ["Linear(2, 2)"], "input_shape": [' + b"9" * 5000 + b"]}", ".json", "JSON"),
    "huge dimension": (b"layers: ['Linear(2, 2)']\ninput_shape: [" + b"9" * 40 + b", 2]\n", ".yaml", "input_shape"),
    "too many dimensions": (b"layers: [Flatten()]\ninput_shape: [" + b"1, " * 30 + b"1]\n", ".yaml", "input_shape"),
    "over the size bound": (b"#" * (MAX_FILE_BYTES + 1), ".yaml", f"{MAX_FILE_BYTES:,}-byte limit"),
    "latin-1": ("layers: ['Linear(2, 2)']\nname: café\n".encode("latin-1"), ".yaml", "not UTF-8"),
    "utf-16": ("layers: ['Linear(2, 2)']\n".encode("utf-16"), ".yaml", None),
    "nul bytes": (b"layers: ['Linear(2, 2)']\x00\n", ".yaml", "binary"),
    "empty": (b"", ".yaml", "mapping"),
    "comments only": (b"# nothing\n", ".yaml", "mapping"),
    "a list": (b"- 'Linear(2, 2)'\n", ".yaml", "mapping"),
    "a scalar": (b"Linear(2, 2)\n", ".yaml", "mapping"),
    "null layers": (b"layers: null\n", ".yaml", "layers"),
    "empty layers": (b"layers: []\n", ".yaml", "layers"),
    "int keys": (b"layers: [{type: Linear, 1: 2}]\n", ".yaml", "identifiers"),
    "null key": (b"layers: [{type: Linear, ~: 2}]\n", ".yaml", "identifiers"),
    "list key": (b"? [a, b]\n: 1\nlayers: ['Linear(2, 2)']\n", ".yaml", None),
    "duplicate keys": (b"layers: ['Linear(2, 2)']\nlayers: ['Linear(3, 3)']\n", ".yaml", None),
    "merge keys": (b"base: &b {layer: 'Linear(2, 2)'}\nlayers: [{<<: *b, name: x}]\n", ".yaml", "base"),
    "tabs": (b"layers:\n\t- Linear(2, 2)\n", ".yaml", "invalid YAML"),
    "crlf": (b"layers:\r\n  - Linear(2, 2)\r\n", ".yaml", None),
    "bom": (b"\xef\xbb\xbflayers: ['Linear(2, 2)']\n", ".yaml", None),
    "long line": (b"layers: [" + b"Identity(), " * 80_000 + b"]\n", ".yaml", "rows"),
    "many values": (b"layers: [" + b"1, " * 400_000 + b"]\n", ".yaml", f"{MAX_FILE_BYTES:,}-byte limit"),
    "many values under the size bound": (b"layers: [" + b"1," * 210_000 + b"]\n", ".yaml", "values"),
    "long expression": (b"layers: ['" + b"Linear(" * 20_000 + b"']\n", ".yaml", "longer than"),
    "repeat bomb": (b"layers: [{layers: [{layers: ['Linear(2, 2)'], repeat: 100000}], repeat: 100000}]\n", ".yaml",
                    "layers after expanding repeats"),
    "repeat huge": (b"layers: [{layer: 'Linear(2, 2)', repeat: " + b"9" * 30 + b"}]\n", ".yaml", "repeat"),
    "nested blocks": (b"layers: " + b"[{layers: " * 40 + b"[Identity()]" + b"}]" * 40 + b"\n", ".yaml", "nested"),
    "stacked layers": (b"layers: ['LSTM(2, 2, num_layers=1001)']\ninput_shape: [1, 2, 2]\n", ".yaml", "1,000"),
    "self reference": (b"layers: [{name: a, layer: 'Linear(2, 2)', input: a}]\ninput_shape: [1, 2]\n", ".yaml", "a"),
    "tie to itself": (b"layers: [{name: a, layer: 'Linear(2, 2)', tie: a}]\ninput_shape: [1, 2]\n", ".yaml", "tie"),
    "shared unknown": (b"layers: [{shared: nowhere}]\ninput_shape: [1, 2]\n", ".yaml", "nowhere"),
    "json nan": (b'{"layers": ["Dropout(p=NaN)"], "input_shape": [1, NaN]}', ".json", None),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_files(name: str) -> None:
    content, suffix, word = HOSTILE_FILES[name]
    SENTINEL.unlink(missing_ok=True)
    path = write(content, suffix)
    try:
        with time_limit():
            try:
                model = load_model(path)
                evaluate(model)
            except SpecError as exc:
                clean_error(exc)
                if word is not None:
                    assert word in str(exc), str(exc)
            else:
                assert word is None, f"{name} was accepted"
    finally:
        path.unlink()
    assert not SENTINEL.exists(), "a YAML tag ran code"


def test_standard_input_text_is_bounded_like_a_file() -> None:
    with pytest.raises(SpecError, match=f"more than {MAX_DATA_NODES:,} values"):
        with time_limit():
            parse_model_text(LAUGHS, what="standard input")


def test_python_data_with_shared_references_is_bounded() -> None:
    # The Python twin of the billion laughs: one list referenced ten times, nine levels deep.
    data: Any = ["Identity()"] * 10
    for _ in range(9):
        data = [data] * 10
    with pytest.raises(SpecError, match=f"more than {MAX_DATA_NODES:,} values"):
        with time_limit():
            load_model({"layers": data})


# -- Wrong types everywhere: presets with one value replaced -----------------------------------


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


PATHS = {name: _paths(data)[1:] for name, data in PRESET_DATA.items()}
REPLACEMENTS = st.one_of(
    values,
    st.sampled_from([
        "Linear(3, 4)", "Conv2d(3, 8, 3)", "nn.LSTM(4, 4)", "layers.Dense(3)", "identity", "nowhere", "embeddings.wte",
        "h", "0", "wte.weight", {"weight": "nowhere.weight"}, {"layer": "Identity()", "repeat": 3}, [1, 3, 224, 224],
        {"layers": ["Identity()"], "shortcut": "identity"}, {"parallel": ["Identity()", "Identity()"]}, {"shared": "0"},
        [], {}, -1, 0, 100_001, 10**40, 2.5, True, None,
    ]),
)


@examples(300)
@given(data=st.data(), name=st.sampled_from(SMALL), action=st.sampled_from(["replace", "delete", "add", "wrap"]))
def test_mutated_presets(data: Any, name: str, action: str) -> None:
    model = copy.deepcopy(PRESET_DATA[name])
    path = data.draw(st.sampled_from(PATHS[name]), label="path")
    parent = model
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = data.draw(REPLACEMENTS, label="value")
    elif action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["bogus", "repeat", "tie", "input", "shortcut", "trainable", "name"]))] = (
            data.draw(REPLACEMENTS, label="added")
        )
    else:
        parent.insert(key, data.draw(REPLACEMENTS, label="inserted"))
    load_and_evaluate(model, convention=data.draw(st.sampled_from(["pytorch", "keras", "textbook"]), label="convention"))


# -- Models built at random --------------------------------------------------------------------

LAYERS = [
    "Linear(8, 8)", "Linear(out_features=8)", "Conv2d(out_channels=8, kernel_size=3, padding=1)", "ReLU()",
    "LayerNorm(8)", "Embedding(10, 8)", "nn.LSTM(8, 8, batch_first=True)", "MultiheadAttention(8, 2)",
    "TransformerEncoderLayer(8, 2, batch_first=True)", "Flatten()", "Dropout(0.1)", "BatchNorm1d(8)",
    "MaxPool2d(2)", "AdaptiveAvgPool2d(1)", "layers.Dense(8)", "layers.LSTM(8, return_sequences=True)",
    "RMSNorm(8)", "SelfAttention(8, 2)", "FeedForward(8, 16)", "Select(1, 0)", "Linear(3, 4)", "Identity()",
]
names = st.sampled_from(["a", "b", "c", "fc", "0", "1", "x-y", "bad name", "", "a.b"])
refs = st.sampled_from(["a", "b", "fc", "input", "src", "a.fc", "b[0]", "a[0-1]", "nowhere", "..", "a.weight"])


def entries(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    options = st.fixed_dictionaries
    return st.one_of(
        st.sampled_from(LAYERS),
        options({"layer": st.sampled_from(LAYERS)}, optional={
            "name": names, "input": st.one_of(refs, st.lists(refs, max_size=3)), "repeat": st.integers(-1, 5),
            "share_weights": st.booleans(), "trainable": st.booleans(),
            "tie": st.one_of(refs, st.dictionaries(st.sampled_from(["weight", "bias", "x"]), refs, max_size=2)),
        }),
        options({"layers": st.lists(inner, max_size=4)}, optional={
            "name": names, "repeat": st.integers(0, 4), "share_weights": st.booleans(), "trainable": st.booleans(),
            "shortcut": st.one_of(st.just("identity"), st.lists(inner, max_size=2)), "after": st.lists(inner, max_size=2),
        }),
        options({"parallel": st.lists(inner, max_size=3)}, optional={"name": names, "merge": st.just("add")}),
        options({"shared": refs}, optional={"name": names}),
    )


models = st.fixed_dictionaries(
    {"layers": st.lists(st.recursive(st.sampled_from(LAYERS), entries, max_leaves=10), min_size=1, max_size=5)},
    optional={
        "input_shape": st.lists(st.sampled_from([1, 2, 4, 8, 0]), min_size=1, max_size=5),
        "inputs": st.dictionaries(st.sampled_from(["src", "tgt", "input"]),
                                  st.lists(st.sampled_from([1, 2, 8]), max_size=4), max_size=2),
        "framework": st.sampled_from(["pytorch", "keras", "jax"]),
        "name": st.text(max_size=10),
        "reference": st.fixed_dictionaries({"params": st.integers(-1, 10**6), "source": st.text(max_size=5)}),
    },
)


@examples(300)
@given(model=models, convention=st.sampled_from(["pytorch", "keras", "textbook"]),
       override=st.one_of(st.none(), st.lists(st.sampled_from([1, 2, 8]), max_size=4), st.just({"nowhere": [1]}),
                          st.dictionaries(st.one_of(st.sampled_from(["src", "tgt", "input"]), st.integers(0, 2)),
                                          st.lists(st.sampled_from([1, 2, 8]), max_size=3), max_size=3), values))
def test_random_models(model: dict[str, Any], convention: str, override: Any) -> None:
    summary = load_and_evaluate(model, convention=convention, input_shape=override)
    if summary is not None:  # the same model written as YAML and as JSON reads the same
        for text, suffix in ((yaml.safe_dump(model), ".yaml"), (json.dumps(model), ".json")):
            again = load_file(text.encode(), suffix)
            if override is None and convention == "pytorch":
                assert again is not None and again.totals == summary.totals


# -- print(model) text -------------------------------------------------------------------------

TORCH_PRINT = """ResNet(
  (conv1): Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)
  (bn1): BatchNorm2d(64, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)
  (layer1): Sequential(
    (0): BasicBlock(
      (conv1): Conv2d(64, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)
      (relu): ReLU(inplace=True)
    )
  )
  (fc): Linear(in_features=512, out_features=1000, bias=True)
)"""


@examples(150)
@given(cut=st.integers(0, len(TORCH_PRINT)), junk=st.text(max_size=30), where=st.integers(0, len(TORCH_PRINT)))
def test_torch_print_text(cut: int, junk: str, where: int) -> None:
    huge = "9" * (cut % 6000 + 1)  # a repeat count or size of any length; an invalid built-in layer
    for text in (TORCH_PRINT[:cut], TORCH_PRINT[:where] + junk + TORCH_PRINT[where:], "(" * 5000, "x(" * 3000,
                 f"Net(\n  (l): ModuleList(\n    (0-1): {huge} x ReLU()\n  )\n)",
                 f"Net(\n  (a): Linear(in_features={huge}, out_features=2, bias=True)\n)"):
        with time_limit():
            try:
                summary = summarize_torch_print(text)
            except ParamcalcError as exc:
                clean_error(exc)
            else:
                check_summary(summary)


# -- Problem sheets ----------------------------------------------------------------------------

problems = st.fixed_dictionaries({}, optional={
    "id": st.one_of(st.text(max_size=5), st.integers(), st.none(), st.lists(st.integers(), max_size=2)),
    "layer": st.one_of(st.sampled_from(LAYERS), values),
    "model": st.one_of(st.sampled_from(["nowhere.yaml", "../x.json", "/dev/null", "."]), models, values),
    "input_shape": st.one_of(st.sampled_from(["1,8", "2x8x8x8", "1,3,32,32", "x", ""]), values),
    "convention": st.sampled_from(["pytorch", "keras", "textbook", "mxnet"]),
    "answers": st.one_of(
        st.fixed_dictionaries({}, optional={
            "params": st.one_of(st.integers(-1, 10**6), st.text(max_size=8), values),
            "shape": st.one_of(st.sampled_from(["1x8", "8", "54.25", "1/0"]), values),
            "trainable": values, "non_trainable": values, "bogus": values,
        }),
        values,
    ),
    "question": values, "note": values, "bogus": values,
})
sheets = st.one_of(
    st.fixed_dictionaries({"problems": st.lists(problems, max_size=4)}, optional={
        "title": values, "convention": st.sampled_from(["pytorch", "keras", None, 3]), "extra": values,
    }),
    values,
)


@examples(200)
@given(sheet=sheets, as_file=st.booleans())
def test_random_sheets(sheet: Any, as_file: bool) -> None:
    source: Any = sheet
    path = None
    if as_file:
        try:
            text = yaml.safe_dump(sheet)
        except (yaml.YAMLError, ValueError):  # values YAML cannot write (objects, ints of 5,000 digits)
            text = "problems: []"
        path = write(text.encode())
        source = path
    try:
        with time_limit():
            try:
                report = check_sheet(source)
            except ParamcalcError as exc:
                clean_error(exc)
                return
        assert report.exit_status in (0, 1, 2)
        assert isinstance(report.as_dict(), dict)
    finally:
        if path is not None:
            path.unlink()


@pytest.mark.parametrize("name", ["billion laughs", "python object", "latin-1", "nul bytes", "over the size bound",
                                  "deep yaml flow", "bad timestamp", "huge int", "a list", "tabs"])
def test_hostile_sheet_files(name: str) -> None:
    content, _, _ = HOSTILE_FILES[name]
    SENTINEL.unlink(missing_ok=True)
    path = write(content.replace(b"layers:", b"problems:"))
    try:
        with pytest.raises(ParamcalcError, match="sheet"):
            with time_limit():
                check_sheet(path)
    finally:
        path.unlink()
    assert not SENTINEL.exists()


def test_presets_still_load() -> None:
    # The fuzzing above starts from the presets: each of them loads and evaluates as shipped.
    for name in SMALL:
        assert isinstance(load_preset(name), Model)


# -- Memory and compute of models --------------------------------------------------------------

options = st.one_of(st.none(), st.integers(-2, 4096), st.sampled_from([2**62, 10**40]), values)


@examples(150)
@given(model=st.one_of(st.sampled_from(["lenet5", "gpt2", "llama2-7b", "resnet18", "nowhere", ""]), models, values),
       dtype=st.sampled_from(["fp32", "fp16", "bf16", "int8", "int4", "fp64", "", None]), batch_size=options,
       seq_len=options, training=st.booleans(), optimizer=st.sampled_from(["sgd", "adam", "adamw", "lion", None]),
       momentum=st.booleans(), input_shape=st.one_of(st.none(), st.lists(st.sampled_from([1, 2, 8, 2**62]), max_size=4)))
def test_model_memory_and_compute_take_any_options(model: Any, dtype: Any, batch_size: Any, seq_len: Any,
                                                   training: bool, optimizer: Any, momentum: bool,
                                                   input_shape: Any) -> None:
    with time_limit():
        try:
            memory = model_memory(model, dtype=dtype, batch_size=batch_size, seq_len=seq_len, training=training,
                                  optimizer=optimizer, momentum=momentum, input_shape=input_shape)
        except ParamcalcError as exc:
            clean_error(exc)
        else:
            assert type(memory.total_bytes) is int and memory.total_bytes >= 0
            assert isinstance(memory.total, str)
        try:
            compute = model_compute(model)
        except ParamcalcError as exc:
            clean_error(exc)
        else:
            assert type(compute.macs) is int and compute.macs >= 0
