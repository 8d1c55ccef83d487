"""The model commands: ``summary``, ``presets``, ``preset`` and ``schema`` (thin wrappers over
:func:`paramcalc.summarize`, :mod:`paramcalc.models.presets` and
:func:`paramcalc.models.schema.model_json_schema`).
"""

import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from paramcalc.cli.options import (
    STDIN_HELP,
    ArchitectureOption,
    Brief,
    Columns,
    Convention,
    ConventionOption,
    DecimalBytes,
    Depth,
    FileFormat,
    FormatOption,
    InputShape,
    Json,
    parse_columns,
    read_text,
    shape_argument,
)
from paramcalc.cli.output import print_json, print_line, print_rich

app = typer.Typer()

SUMMARY_HELP = """Summarise a model file, or a model in another format: one row per layer and block (indented by depth), output shapes, parameters, and totals with parameter memory.

A model file (YAML or JSON) gives an input shape and the layers, written as constructor expressions or mappings, with named blocks, repeat, residual shortcuts, parallel embeddings and tied weights; `paramcalc schema` prints its JSON Schema and `paramcalc preset NAME --export` gives examples to edit.

paramcalc also reads, recognising each by its content (--format forces one): a Keras model's JSON or .keras archive, a Hugging Face config.json, a .safetensors checkpoint or a sharded one's model.safetensors.index.json (headers only), a .gguf file (header and tensor table), and the text print(model) shows for a PyTorch model (the summary says whether its total is exact or a bound).

Examples:

\b
  paramcalc summary model.yaml
  paramcalc summary model.yaml --input-shape 8,3,224,224 --depth 2
  paramcalc summary model.yaml --json
  paramcalc summary model.yaml --receptive-field
  paramcalc summary config.json --input-shape 1,2048
  paramcalc summary model.safetensors.index.json --depth 2
  python -c "print(model)" | paramcalc summary - --format torch-print

Python: paramcalc.summarize("model.yaml", input_shape=(8, 3, 224, 224))
        paramcalc.summarize("model.yaml", receptive_field=True).field("2")
"""

PRESET_HELP = """Summarise a famous architecture shipped with paramcalc, or export its model file to edit.

Examples:

\b
  paramcalc preset resnet50
  paramcalc preset llama2-7b --depth 2
  paramcalc preset gpt2 --input-shape 1,128 --json
  paramcalc preset vgg16 --export > my_vgg.yaml
  paramcalc preset vgg16 -r --depth 2

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

#: ``--all-rows`` of the summaries (summary, preset).
AllRows = Annotated[bool, typer.Option(
    "--all-rows", help="One row per layer, also where identical layers follow each other (by default such a "
                       "run of 3 or more is one row: [0-39] ... ×40). --json always lists every row.")]


RF_HELP = ("Add the receptive field (RF) and jump of each row's output on the input, along the first spatial "
           "dimension, as paramcalc receptive-field works them; a block shows its output's; 'all' from the first "
           "layer that mixes every position; blank from the first branch, merge or shortcut on (the field depends "
           "on the path: give one path's layers to paramcalc receptive-field).")
ReceptiveField = Annotated[bool, typer.Option("--receptive-field", "-r", help=RF_HELP)]


def _show(summary: Any, depth: int | None, as_json: bool, brief: bool = False, columns: str | None = None,
          decimal_bytes: bool = False, all_rows: bool = False) -> None:
    chosen = parse_columns(columns) if columns is not None else None
    if as_json:
        from paramcalc.render.summary import summary_dict

        print_json(summary_dict(summary, depth))
        return
    if brief:  # a total that is not exact says which bound it is, even on one line
        bound = getattr(summary, "bound", None) or ("lower" if summary.incomplete else None)
        print_line(str(summary.total) + (f" ({bound} bound)" if bound else ""))
        return
    from paramcalc.render.summary import DEFAULT_DEPTH, render

    print_rich(render(summary, DEFAULT_DEPTH if depth is None else depth, chosen, decimal_bytes=decimal_bytes,
                      all_rows=all_rows))


def _summarize(model: Any, input_shape: str | None, convention: Convention | None, fields: bool = False) -> Any:
    from paramcalc.models.evaluate import evaluate

    chosen = convention.value if convention is not None else (
        "keras" if getattr(model, "framework", None) == "keras" else "pytorch"
    )
    summary = evaluate(model, input_shape=shape_argument(input_shape), convention=chosen)
    if not fields:
        return summary
    from paramcalc.models.fields import model_branch, with_fields

    return with_fields(summary, branch=model_branch(model))


@app.command("summary", help=SUMMARY_HELP)
def summary_command(
    model_file: Annotated[str, typer.Argument(
        metavar="MODEL_FILE", show_default=False,
        help="A model file, Keras JSON or .keras, config.json, .safetensors or index, .gguf, or print(model) text; "
             f"{STDIN_HELP}")],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    depth: Depth = None,
    json: Json = False,
    brief: Brief = False,
    columns: Columns = None,
    decimal_bytes: DecimalBytes = False,
    file_format: FormatOption = FileFormat.auto,
    architecture: ArchitectureOption = None,
    from_torch_print: Annotated[bool, typer.Option(
        "--from-torch-print", help="The same as --format torch-print.")] = False,
    all_rows: AllRows = False,
    receptive_field: ReceptiveField = False,
) -> None:
    from paramcalc.errors import ModelError

    chosen = file_format.value
    if from_torch_print:
        if chosen not in ("auto", "torch-print"):
            raise ModelError(f"--from-torch-print reads print(model) text; it contradicts --format {chosen}")
        chosen = "torch-print"
    if chosen == "torch-print" and (input_shape is not None or (convention is not None and convention.value != "pytorch")):
        option = "--from-torch-print" if from_torch_print else "--format torch-print"
        raise ModelError(f"{option} counts PyTorch modules as printed: no --input-shape, pytorch convention")
    if model_file == "-":
        _show(_summarize_text(read_text("-"), chosen, input_shape, convention, architecture, receptive_field), depth,
              json, brief, columns, decimal_bytes, all_rows)
        return
    from paramcalc.readers import summarize

    summary = summarize(model_file, input_shape=shape_argument(input_shape),
                        convention=None if convention is None else convention.value,
                        format=None if chosen == "auto" else chosen, architecture=architecture,
                        receptive_field=receptive_field)
    _show(summary, depth, json, brief, columns, decimal_bytes, all_rows)


def _summarize_text(text: str, chosen: str, input_shape: str | None, convention: Convention | None,
                    architecture: str | None, fields: bool = False) -> Any:
    """The summary of text read from standard input: a model file, JSON of another format, or print(model)."""
    from paramcalc.errors import ModelError
    from paramcalc.readers.detect import detect_text

    kind = detect_text(text) if chosen == "auto" else chosen
    if fields and kind != "model":
        raise ModelError(f"--receptive-field: works on a model file's layers; standard input holds {kind} text "
                         "(give a Keras JSON or config file by its path)")
    if kind == "torch-print":
        from paramcalc.readers.torchprint import summarize_torch_print

        if input_shape is not None or (convention is not None and convention.value != "pytorch"):
            raise ModelError("print(model) text is counted as printed: no --input-shape, pytorch convention")
        return summarize_torch_print(text)
    if kind in ("hf-config", "keras"):
        from paramcalc.readers import summarize_data
        from paramcalc.readers.text import parse_json

        return summarize_data(parse_json(text, "standard input"), kind, input_shape=shape_argument(input_shape),
                              convention=None if convention is None else convention.value,
                              architecture=architecture)
    if kind != "model":
        raise ModelError(f"standard input holds text; a {kind} file is read from its path")
    from paramcalc.cli.options import model_data
    from paramcalc.models.format import load_model

    return _summarize(load_model(model_data(text, "standard input", "a model")), input_shape, convention, fields)


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
    from paramcalc.render.layout import OPTIONAL, WRAP, Column, Table
    from paramcalc.render.summary import published_cell

    table = Table(Column("Name"), Column("Model", role=WRAP, min_width=10),
                  Column("Parameters", justify="right"), Column("Published", role=OPTIONAL),
                  title="Presets: paramcalc preset NAME")
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
    brief: Brief = False,
    columns: Columns = None,
    decimal_bytes: DecimalBytes = False,
    export: Annotated[bool, typer.Option(
        "--export", help="Print the preset's model file (YAML, with comments) to edit.")] = False,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", metavar="PATH", help="With --export: write the file here (never overwrites; '-' is standard output).")] = None,
    all_rows: AllRows = False,
    receptive_field: ReceptiveField = False,
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
    _show(_summarize(presets.load_preset(name), input_shape, convention, receptive_field), depth, json, brief, columns, decimal_bytes,
          all_rows)


@app.command("schema", help=SCHEMA_HELP)
def schema_command() -> None:
    from paramcalc.models.schema import model_json_schema

    print_json(model_json_schema())
