"""The model commands: ``summary``, ``presets``, ``preset`` and ``schema`` (thin wrappers over
:func:`paramcalc.summarize`, :mod:`paramcalc.models.presets` and
:func:`paramcalc.models.schema.model_json_schema`).
"""

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from paramcalc.cli.options import Convention, choice, int_range, shape_argument
from paramcalc.cli.output import print_json, print_rich

app = typer.Typer()

SUMMARY_HELP = """Summarise a model file: one row per layer and block (indented by depth), output shapes, parameters, and totals with parameter memory.

A model file (YAML or JSON) gives an input shape and the layers, written as constructor expressions or mappings, with named blocks, repeat, residual shortcuts, parallel embeddings and tied weights; `paramcalc schema` prints its JSON Schema and `paramcalc preset NAME --export` gives examples to edit. With --from-torch-print the file holds what print(model) shows for a PyTorch model.

Examples:

\b
  paramcalc summary model.yaml
  paramcalc summary model.yaml --input-shape 8,3,224,224 --depth 2
  paramcalc summary model.yaml --json
  python -c "print(model)" | paramcalc summary - --from-torch-print

Python: paramcalc.summarize("model.yaml", input_shape=(8, 3, 224, 224))
"""

PRESET_HELP = """Summarise a famous architecture shipped with paramcalc, or export its model file to edit.

Examples:

\b
  paramcalc preset resnet50
  paramcalc preset llama2-7b --depth 2
  paramcalc preset gpt2 --input-shape 1,128 --json
  paramcalc preset vgg16 --export > my_vgg.yaml

Python: paramcalc.summarize(paramcalc.load_preset("resnet50"))
"""

PRESETS_HELP = """List the famous architectures shipped as model files, with their counts.

Python: paramcalc.list_presets()
"""

SCHEMA_HELP = """Print the JSON Schema of model files (for editors: validation and completion).

Example:

\b
  paramcalc schema > paramcalc-model.schema.json

Python: paramcalc.models.schema.model_json_schema()
"""

InputShape = Annotated[Optional[str], typer.Option(
    "--input-shape", "-i", metavar="SHAPE",
    help="Input shape with the batch dimension (8,3,224,224), instead of the file's; several inputs "
         "separated by ';' in the file's order.")]
ConventionOption = Annotated[Optional[Convention], typer.Option(
    "--convention", "-c", help="Count as pytorch, keras or textbook. Default: the file's framework.",
    parser=choice(Convention))]
Depth = Annotated[Optional[int], typer.Option(
    "--depth", "-d", min=1, max=64, parser=int_range(1, 64),
    help="Rows down to this depth (default 3; --json: all rows).")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document: rows, totals, memory, notes.")]
AllRows = Annotated[bool, typer.Option(
    "--all-rows", help="One row per layer, also where identical layers follow each other (by default such a "
                       "run of 3 or more is one row, [0-39] ... ×40). --json always lists every row.")]


def _read_text(path: str) -> str:
    from paramcalc.errors import ModelError
    from paramcalc.models.files import read_regular_file, read_standard_input
    from paramcalc.models.format import MAX_FILE_BYTES

    if path == "-":
        try:
            raw = read_standard_input()
        except OSError as exc:
            raise ModelError(f"standard input: cannot be read ({exc.strerror or exc})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise ModelError(f"standard input: larger than the {MAX_FILE_BYTES:,}-byte limit")
    else:
        try:
            raw = read_regular_file(path)
        except FileNotFoundError:
            raise ModelError(f"file not found: {path!r}" if "\x00" in path else f"file not found: {path}") from None
        except IsADirectoryError:
            raise ModelError(f"{path} is a directory, not a file") from None
        except OSError as exc:
            raise ModelError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise ModelError(f"{Path(path).name}: larger than the {MAX_FILE_BYTES:,}-byte limit")
    if b"\x00" in raw:
        raise ModelError(f"{path}: binary data, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ModelError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _show(summary: Any, depth: int | None, as_json: bool, all_rows: bool = False) -> None:
    if as_json:
        from paramcalc.render.summary import summary_dict

        print_json(summary_dict(summary, depth))
        return
    from paramcalc.render.summary import DEFAULT_DEPTH, render

    print_rich(render(summary, DEFAULT_DEPTH if depth is None else depth, all_rows=all_rows))


def _summarize(model: Any, input_shape: str | None, convention: Convention | None) -> Any:
    from paramcalc.models.evaluate import evaluate

    chosen = convention.value if convention is not None else (
        "keras" if getattr(model, "framework", None) == "keras" else "pytorch"
    )
    return evaluate(model, input_shape=shape_argument(input_shape), convention=chosen)


@app.command("summary", help=SUMMARY_HELP)
def summary_command(
    model_file: Annotated[str, typer.Argument(
        metavar="MODEL_FILE", show_default=False, help="A YAML or JSON model file ('-' reads standard input).")],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    depth: Depth = None,
    json: Json = False,
    from_torch_print: Annotated[bool, typer.Option(
        "--from-torch-print", help="MODEL_FILE holds the text print(model) shows for a PyTorch model.")] = False,
    all_rows: AllRows = False,
) -> None:
    from paramcalc.errors import ModelError

    if from_torch_print:
        from paramcalc.models.torchprint import summarize_torch_print

        if input_shape is not None or (convention is not None and convention.value != "pytorch"):
            raise ModelError("--from-torch-print counts PyTorch modules as printed: no --input-shape, pytorch convention")
        _show(summarize_torch_print(_read_text(model_file)), depth, json, all_rows)
        return
    from paramcalc.models.format import load_model, parse_model_text

    if model_file == "-":
        data = parse_model_text(_read_text("-"), what="standard input")
        if not isinstance(data, dict):
            raise ModelError("standard input: a model file must hold a mapping with 'layers'")
        model = load_model(data)
    else:
        model = load_model(model_file)
    _show(_summarize(model, input_shape, convention), depth, json, all_rows)


@app.command("presets", help=PRESETS_HELP)
def presets_command(json: Json = False) -> None:
    from paramcalc.models.evaluate import evaluate
    from paramcalc.models.presets import list_presets, load_preset

    rows = [(info, evaluate(load_preset(info.name))) for info in list_presets()]
    if json:
        print_json([
            {"name": info.name, "title": info.title, "params": s.total, "reference": s.reference,
             "matches_reference": s.matches_reference(), "description": info.description}
            for info, s in rows
        ])
        return
    from rich import box
    from rich.table import Table

    from paramcalc.render.summary import published_cell

    table = Table(title="Presets: paramcalc preset NAME", box=box.SIMPLE_HEAD, title_style="bold",
                  header_style="bold", pad_edge=False, show_edge=False)
    table.add_column("Name", no_wrap=True)
    table.add_column("Model", no_wrap=True)
    table.add_column("Parameters", justify="right", no_wrap=True)
    table.add_column("Published", no_wrap=True)
    for info, s in rows:
        table.add_row(info.name, info.title, f"{s.total:,}", published_cell(s))
    print_rich(table)


@app.command("preset", help=PRESET_HELP)
def preset_command(
    name: Annotated[str, typer.Argument(metavar="NAME", show_default=False, help="A preset (paramcalc presets).")],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    depth: Depth = None,
    json: Json = False,
    export: Annotated[bool, typer.Option(
        "--export", help="Print the preset's model file (YAML, with comments) to edit.")] = False,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="PATH", help="With --export: write the file here (never overwrites; '-' is standard output).")] = None,
    all_rows: AllRows = False,
) -> None:
    from paramcalc.errors import ModelError
    from paramcalc.models import presets

    if export:
        if json:
            raise ModelError("--export prints the model file as YAML: leave out --json")
        if output is not None and str(output) != "-":
            path = presets.export_preset(name, output)
            sys.stdout.write(f"wrote {path}\n")
        else:
            sys.stdout.write(presets.preset_text(name))
        return
    if output is not None:
        raise ModelError("--output needs --export")
    _show(_summarize(presets.load_preset(name), input_shape, convention), depth, json, all_rows)


@app.command("schema", help=SCHEMA_HELP)
def schema_command() -> None:
    from paramcalc.models.schema import model_json_schema

    print_json(model_json_schema())
