"""Text from files reaches the terminal as text: Rich markup, emoji codes, control characters and bidi
overrides in a model's name, a layer's name, a reference's source, a sheet's title, a problem's id
and the error lines that quote them are shown literally (escaped where not printable), by summary,
memory, check and check-sheet, with and without --json.

Time budget: the fixed cases take about 3 s; the property test 30 examples of about 1 s each
(times PARAMCALC_FUZZ_SCALE), each under the time guard of test_fuzz_library.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from test_fuzz_cli import run
from test_fuzz_library import examples

from paramcalc.render.text import json_safe, printable

#: What a hostile file puts in its strings.
HOSTILE_TEXT = [
    "[/]", "[bold red]X[/bold red]", "[link=https://example.com]L[/link]", ":smiley:", "[/bold]", "\\[x]",
    "\x1b[31mRED\x1b]0;pwned\x07", "a\x00b", "\x07", "\u202eevil\u202c", "\u2066x\u2069", "\u200e\u200f",
    "a\rb", "\x9b31m", "\x7f", "\u2028", "ok",
]


def model_data(text: str) -> dict:
    return {"name": text, "reference": {"params": 10, "source": text}, "input_shape": [1, 4],
            "layers": [{"name": "fc", "layer": "Linear(4, 2)"}, {"name": "act", "layers": ["ReLU()"]}]}


def sheet_data(text: str, model: str) -> dict:
    return {"title": text, "problems": [
        {"id": text, "layer": "Linear(4, 2)", "answers": {"params": 9}},
        {"id": text + "2", "model": model, "answers": {"params": 10}},
        {"id": "3", "layer": f"Linear({text!r}, 2)", "answers": {"params": 10}},
        {"id": "4", "model": text + ".yaml", "answers": {"params": 10}},
    ]}


def write(path: Path, data: dict) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def runs(tmp: Path, text: str) -> list[tuple[list[str], str, str]]:
    """(command line, stdout, stderr) of each command given files holding ``text``."""
    model = write(tmp / "m.json", model_data(text))
    sheet = write(tmp / "s.json", sheet_data(text, model))
    out = []
    for words in (["summary", model], ["memory", model], ["check", model, "--params", "9"], ["check-sheet", sheet]):
        for extra in ([], ["--json"]):
            _, stdout, stderr = run(words + extra)
            out.append((words + extra, stdout, stderr))
    return out


def assert_literal(words: list[str], stdout: str) -> None:
    """Nothing on stdout acts on a terminal; a JSON document keeps every string exactly."""
    assert all(line.isprintable() for line in stdout.split("\n")), (words, stdout[:500])
    if "--json" in words and stdout:
        json.loads(stdout)


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_text_is_shown_literally(tmp_path: Path, text: str) -> None:
    for words, stdout, _ in runs(tmp_path, text):
        assert_literal(words, stdout)
        doc = json.loads(stdout) if "--json" in words and stdout else None
        if words[0] == "summary" and doc is not None:
            assert doc["model"] == text and doc["reference"]["source"] == text
        elif words[0] == "check-sheet" and doc is not None:
            assert doc["title"] == text and doc["problems"][0]["id"] == text
        elif words[0] in ("summary", "check-sheet") and "\n" not in text and "\r" not in text:
            assert printable(text) in stdout.replace("\n", "")  # the title may wrap, never lose text


def test_the_reproducer_markup_name(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text('name: "[/] [bold red]R[/bold red] :smiley:"\ninput_shape: [1, 4]\nlayers:\n  - Linear(4, 2)\n')
    for command in ("summary", "memory"):
        status, out, _ = run([command, str(path)])
        assert status == 0 and "[/] [bold red]R[/bold red] :smiley:" in out


def test_the_reproducer_escape_sequence(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b'name: "\\e[31mRED\\e]0;pwned\\a"\ninput_shape: [1, 4]\nlayers:\n  - Linear(4, 2)\n')
    status, out, _ = run(["summary", str(path)])
    assert status == 0 and "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mRED\\x1b]0;pwned\\x07" in out


def test_json_escapes_bidi_controls(tmp_path: Path) -> None:
    path = write(tmp_path / "m.json", model_data("a\u202eb\u2066c"))
    _, out, _ = run(["summary", path, "--json"])
    assert "\u202e" not in out and "\\u202e" in out and "\\u2066" in out
    assert json.loads(out)["model"] == "a\u202eb\u2066c"


def test_printable_and_json_safe() -> None:
    assert printable("plain · × →") == "plain · × →"
    assert printable("\x1b[1m\x00\u202e\n") == "\\x1b[1m\\x00\\u202e\\n"
    document = json.dumps({"a": "\u202e\x7f\U000e0001"}, ensure_ascii=False)
    assert json.loads(json_safe(document)) == {"a": "\u202e\x7f\U000e0001"} and json_safe(document).isascii()


def test_rich_print_of_a_summary_shows_markup_literally() -> None:
    # a library user's console reads markup: the summary still shows the name as written
    from io import StringIO

    from rich.console import Console

    import paramcalc

    summary = paramcalc.summarize(model_data("[/] [bold]b[/bold] :smiley:"))
    buffer = StringIO()
    Console(file=buffer, width=200, color_system=None).print(summary)
    assert "[/] [bold]b[/bold] :smiley:" in buffer.getvalue()


fragments = st.sampled_from(HOSTILE_TEXT + ["[", "]", "=", ":", "/", "\\", " ", "\n", "\t"])


@examples(30)
@given(text=st.one_of(st.lists(fragments, min_size=1, max_size=4).map("".join),
                      st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)))
def test_any_text_in_file_strings_is_shown_literally(text: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for words, stdout, _ in runs(Path(tmp), text):
            assert_literal(words, stdout)


def test_yaml_model_files_keep_their_text() -> None:
    assert yaml.safe_load('name: "\\e[1m"')["name"] == "\x1b[1m"
