"""The model commands: ``summary``, ``presets``, ``preset`` and ``schema`` (thin wrappers over
:func:`paramcalc.summarize`, :mod:`paramcalc.models.presets` and
:func:`paramcalc.models.schema.model_json_schema`).
"""

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from paramcalc.cli.options import Convention, choice, int_range, shape_argument
from paramcalc.cli.output import print_json, print_rich

app = typer.Typer()

SUMMARY_HELP = """Summarise a model file, or a model in another format: one row per layer and block (indented by depth), output shapes, parameters, and totals with parameter memory.

A model file (YAML or JSON) gives an input shape and the layers, written as constructor expressions or mappings, with named blocks, repeat, residual shortcuts, parallel embeddings and tied weights; `paramcalc schema` prints its JSON Schema and `paramcalc preset NAME --export` gives examples to edit.

paramcalc also reads, recognising each by its content (--format forces one): a Keras model's JSON or .keras archive, a Hugging Face config.json, a .safetensors checkpoint or a sharded one's model.safetensors.index.json (headers only), a .gguf file (header and tensor table), and the text print(model) shows for a PyTorch model (the summary says whether its total is exact or a bound).

Examples:

\b
  paramcalc summary model.yaml
  paramcalc summary model.yaml --input-shape 8,3,224,224 --depth 2
  paramcalc summary model.yaml --json
  paramcalc summary config.json --input-shape 1,2048
  paramcalc summary model.safetensors.index.json --depth 2
  python -c "print(model)" | paramcalc summary - --format torch-print

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


class FileFormat(str, Enum):
    """What ``--format`` forces a file to be read as (``auto``: recognised by its content)."""

    auto = "auto"
    model = "model"
    keras = "keras"
    hf_config = "hf-config"
    safetensors = "safetensors"
    safetensors_index = "safetensors-index"
    gguf = "gguf"
    torch_print = "torch-print"


FormatOption = Annotated[FileFormat, typer.Option(
    "--format", "-f", parser=choice(FileFormat),
    help="Read the file as: model (a paramcalc model file), keras (JSON or .keras), hf-config, safetensors, "
         "safetensors-index, gguf, torch-print; auto recognises it by its content.")]
ArchitectureOption = Annotated[Optional[str], typer.Option(
    "--architecture", metavar="CLASS",
    help="With a Hugging Face config.json: the class to build (LlamaModel, LlamaForCausalLM); default: the "
         "config's architectures, or the base model.")]


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


def _show(summary: Any, depth: int | None, as_json: bool) -> None:
    if as_json:
        from paramcalc.render.summary import summary_dict

        print_json(summary_dict(summary, depth))
        return
    from paramcalc.render.summary import DEFAULT_DEPTH, render

    print_rich(render(summary, DEFAULT_DEPTH if depth is None else depth))


def _summarize(model: Any, input_shape: str | None, convention: Convention | None) -> Any:
    from paramcalc.models.evaluate import evaluate

    chosen = convention.value if convention is not None else (
        "keras" if getattr(model, "framework", None) == "keras" else "pytorch"
    )
    return evaluate(model, input_shape=shape_argument(input_shape), convention=chosen)


@app.command("summary", help=SUMMARY_HELP)
def summary_command(
    model_file: Annotated[str, typer.Argument(
        metavar="MODEL_FILE", show_default=False,
        help="A model file, Keras JSON or .keras, config.json, .safetensors or index, .gguf, or print(model) text "
             "('-' reads text from standard input).")],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    depth: Depth = None,
    json: Json = False,
    file_format: FormatOption = FileFormat.auto,
    architecture: ArchitectureOption = None,
    from_torch_print: Annotated[bool, typer.Option(
        "--from-torch-print", help="The same as --format torch-print.")] = False,
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
        _show(_summarize_text(_read_text("-"), chosen, input_shape, convention, architecture), depth, json)
        return
    from paramcalc.readers import summarize

    summary = summarize(model_file, input_shape=shape_argument(input_shape),
                        convention=None if convention is None else convention.value,
                        format=None if chosen == "auto" else chosen, architecture=architecture)
    _show(summary, depth, json)


def _summarize_text(text: str, chosen: str, input_shape: str | None, convention: Convention | None,
                    architecture: str | None) -> Any:
    """The summary of text read from standard input: a model file, JSON of another format, or print(model)."""
    from paramcalc.errors import ModelError
    from paramcalc.readers.detect import detect_text

    kind = detect_text(text) if chosen == "auto" else chosen
    if kind == "torch-print":
        from paramcalc.models.torchprint import summarize_torch_print

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
    from paramcalc.models.format import load_model, parse_model_text

    data = parse_model_text(text, what="standard input")
    if not isinstance(data, dict):
        raise ModelError("standard input: a model file must hold a mapping with 'layers'")
    return _summarize(load_model(data), input_shape, convention)


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
    _show(_summarize(presets.load_preset(name), input_shape, convention), depth, json)


@app.command("schema", help=SCHEMA_HELP)
def schema_command() -> None:
    from paramcalc.models.schema import model_json_schema

    print_json(model_json_schema())
