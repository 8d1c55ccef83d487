"""What the commands share: the options every command declares the same way (one name, one short
form, one meaning), readers of values Typer hands over as text, and input shapes.

The shared options: ``-i/--input-shape``, ``-c/--convention``, ``-d/--depth``, ``--json``,
``-q/--brief``, ``--working/--no-working``, ``--columns``, ``--decimal-bytes``, ``-f/--format`` and
``--architecture`` (for files of other formats), and ``-h`` beside
``--help`` (:data:`CONTEXT_SETTINGS`, given to the root app and inherited by every command). A file
argument takes ``-`` for standard input (:data:`STDIN_HELP`).

A value that is not one of an option's choices, or not a whole number in its range, is reported as
a usage error in paramcalc's words ("--dtype: must be one of fp32, fp16, ... Received: 'fp64'"); the
command line's error boundary names the option in front of it. Shapes are read by paramcalc
itself, so their errors name the option and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from paramcalc.errors import ParamcalcError

Shape = tuple[int, ...]


# -- Readers for Typer's ``parser=`` -----------------------------------------------------------


def choice(choices: Iterable[Any], *, case_sensitive: bool = True) -> Callable[[Any], Any]:
    """A reader for an option with fixed choices (an Enum's members or strings).

    A value that is not a choice is a usage error: ``must be one of a, b, c. Received: 'x'``, with
    the closest choice suggested.
    """
    members = list(choices)

    def text_of(member: Any) -> str:
        text = str(member.value if isinstance(member, Enum) else member)
        return text if case_sensitive else text.casefold()

    by_text = {text_of(member): member for member in members}

    def read(value: Any) -> Any:
        if not isinstance(value, str):  # a default given as a member
            return value
        found = by_text.get(value if case_sensitive else value.casefold())
        if found is None:
            import difflib

            names = [str(m.value if isinstance(m, Enum) else m) for m in members]
            close = difflib.get_close_matches(value.casefold(), names, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise typer.BadParameter(f"must be one of {', '.join(names)}. Received: {value!r}.{hint}")
        return found

    return read


def int_range(min: int | None = None, max: int | None = None) -> Callable[[Any], int]:  # noqa: A002 - Typer's names
    """A reader for an integer option within bounds (give Typer the same ``min`` and ``max`` for the help)."""
    if min is not None and max is not None:
        rule = f"a whole number from {min} to {max}"
    elif min is not None:
        rule = f"a whole number of at least {min}"
    elif max is not None:
        rule = f"a whole number of at most {max}"
    else:
        rule = "a whole number"

    def read(value: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().replace(",", "").replace("_", "")
        if not re.fullmatch(r"[+-]?\d{1,30}", text):
            raise typer.BadParameter(f"must be {rule}. Received: {value!r}")
        number = int(text)
        if (min is not None and number < min) or (max is not None and number > max):
            raise typer.BadParameter(f"must be {rule}. Received: {number}")
        return number

    return read


# -- The options of a layer query --------------------------------------------------------------


class Convention(str, Enum):
    """Whose counting rules to follow."""

    pytorch = "pytorch"
    keras = "keras"
    textbook = "textbook"


#: Given to the root Typer app: every command (and every layer command) takes -h as well as --help.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

INPUT_SHAPE_HELP = (
    "Input shape with the batch dimension, as 32,50,100 or 32x50x100 (it replaces a model file's own); "
    "several inputs (query;key;value, tgt;memory) separated by ';'."
)
CONVENTION_HELP = ("Count as pytorch, keras or textbook. Default: keras for Keras layers and models, else "
                   "pytorch (check judges every answer under this one convention).")
ALL_CONVENTIONS_HELP = "Also show the count under every convention, side by side, with the reason for each difference."
ALL_TENSORS_HELP = ("List every tensor, not one row per tensor for a run of 3 or more stacked layers with the same "
                    "tensors (--json always lists every tensor).")
JSON_HELP = "Print one JSON document (the schema is in the README) and nothing else."
DEPTH_HELP = "Rows down to this depth (default 3; --json: all rows)."
BRIEF_HELP = ("Print one line: the exact count (a layer with --input-shape: the count and the output shape; "
              "check: the verdict; memory: the total bytes).")
WORKING_HELP = "Show the worked formulas (the default), or leave them out."
COLUMNS_HELP = ("Columns of the layer table, comma-separated, in the spirit of torchinfo's col_names: "
                "shape (output_size), params (num_params), percent (params_percent), kernel (kernel_size), "
                "trainable, macs (mult_adds). Default: shape,params,macs,trainable.")
DECIMAL_BYTES_HELP = "Bytes in SI units (kB, MB, GB: powers of 1,000) instead of binary units (KiB, MiB, GiB)."
#: The help of every file argument ends with this.
STDIN_HELP = "'-' reads standard input."

InputShape = Annotated[Optional[str], typer.Option("--input-shape", "-i", help=INPUT_SHAPE_HELP, metavar="SHAPE")]
ConventionOption = Annotated[Optional[Convention], typer.Option(
    "--convention", "-c", help=CONVENTION_HELP, parser=choice(Convention))]
AllConventions = Annotated[bool, typer.Option("--all-conventions", help=ALL_CONVENTIONS_HELP)]
AllTensors = Annotated[bool, typer.Option("--all-tensors", help=ALL_TENSORS_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
Depth = Annotated[Optional[int], typer.Option("--depth", "-d", min=1, max=64, parser=int_range(1, 64),
                                              help=DEPTH_HELP)]
Brief = Annotated[bool, typer.Option("--brief", "-q", help=BRIEF_HELP)]
Working = Annotated[bool, typer.Option("--working/--no-working", help=WORKING_HELP)]
Columns = Annotated[Optional[str], typer.Option("--columns", metavar="COL[,COL...]", help=COLUMNS_HELP)]
DecimalBytes = Annotated[bool, typer.Option("--decimal-bytes", help=DECIMAL_BYTES_HELP)]

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


FORMAT_HELP = ("Read the file as: model (a paramcalc model file), keras (JSON or .keras), hf-config, safetensors, "
               "safetensors-index, gguf, torch-print; auto recognises it by its content.")
ARCHITECTURE_HELP = ("With a Hugging Face config.json: the class to build (LlamaModel, LlamaForCausalLM); default: the "
                     "config's architectures, or the base model.")
FormatOption = Annotated[FileFormat, typer.Option("--format", "-f", parser=choice(FileFormat), help=FORMAT_HELP)]
ArchitectureOption = Annotated[Optional[str], typer.Option("--architecture", metavar="CLASS", help=ARCHITECTURE_HELP)]

#: ``--columns`` names (torchinfo's col_names too) → the column they show.
COLUMN_NAMES = {
    "shape": "shape", "output_size": "shape", "output": "shape",
    "params": "params", "num_params": "params",
    "percent": "percent", "params_percent": "percent",
    "kernel": "kernel", "kernel_size": "kernel",
    "trainable": "trainable",
    "macs": "macs", "mult_adds": "macs",
}
DEFAULT_COLUMNS = ("shape", "params", "macs", "trainable")


def parse_columns(text: str | None) -> tuple[str, ...]:
    """The columns ``--columns`` names, in its order (the default set when not given)."""
    if text is None:
        return DEFAULT_COLUMNS
    chosen: list[str] = []
    for raw in text.split(","):
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        if name not in COLUMN_NAMES:
            import difflib

            close = difflib.get_close_matches(name, list(COLUMN_NAMES), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ParamcalcError(
                f"--columns: unknown column {raw.strip()!r}; the columns are shape, params, percent, kernel, "
                f"trainable, macs.{hint}")
        if COLUMN_NAMES[name] not in chosen:
            chosen.append(COLUMN_NAMES[name])
    if not chosen:
        raise ParamcalcError("--columns: name at least one column (shape, params, percent, kernel, trainable, macs)")
    return tuple(chosen)


# -- Input shapes ------------------------------------------------------------------------------

_SHAPE_SPLIT = re.compile(r"\s*[,x×*]\s*|\s+")


def parse_shape(text: str | None, option: str = "--input-shape") -> Shape | None:
    """Read ``32,50,100``, ``32x50x100`` or ``(32, 50, 100)`` as a tuple of ints; None stays None."""
    if text is None:
        return None
    body = text.strip().strip("()[]").strip()
    if not body:
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    if body.endswith(",") and "," not in body[:-1]:  # a one-dimensional Python tuple: (100,)
        body = body[:-1].strip()
    parts = _SHAPE_SPLIT.split(body)
    if "" in parts:
        raise ParamcalcError(
            f"{option}: a dimension is missing (two separators in a row, or one at an end). Received: {text!r}"
        )
    dims: list[int | None] = []
    for p in parts:
        if p in ("None", "?"):  # an unknown size: Keras layers accept it (the batch, mostly)
            dims.append(None)
        elif re.fullmatch(r"\d{1,30}", p):
            dims.append(int(p))
        else:
            raise ParamcalcError(
                f"{option}: every dimension must be a non-negative integer (or None for a Keras layer's "
                f"unknown size). Received: {text!r}"
            )
    return tuple(dims)  # type: ignore[arg-type]


def parse_shapes(text: str | None, option: str = "--input-shape") -> list[Shape]:
    """Several shapes separated by ``;`` (e.g. query;key;value): ``2,5,16;2,7,16``."""
    if text is None:
        return []
    if not text.strip(" ;"):
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    return [parse_shape(part, option) for part in text.split(";") if part.strip()]  # type: ignore[misc]


def shape_argument(text: str | None, option: str = "--input-shape") -> Shape | list[Shape] | None:
    """An ``--input-shape`` as the library takes it: None, one shape, or a list of several."""
    shapes = parse_shapes(text, option)
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapes


# -- File arguments ('-' is standard input) --------------------------------------------------


def read_text(path: str) -> str:
    """The text of a file argument (``-``: standard input), bounded and checked to be UTF-8 text."""
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


def read_data(path: str, what: str) -> Any:
    """The data (YAML or JSON) of a file argument (``-``: standard input) that must hold a mapping:
    ``what`` is "a model" (a mapping with 'layers') or "a sheet" (a mapping with 'problems')."""
    return model_data(read_text(path), "standard input" if path == "-" else path, what)


def model_data(text: str, where: str, what: str) -> Any:
    """The mapping a YAML or JSON text holds (see :func:`read_data`); ``where`` names it in errors."""
    from paramcalc.models.format import parse_model_text

    data = parse_model_text(text, what=where)
    key = "problems" if what == "a sheet" else "layers"
    if data is None:
        raise ParamcalcError(f"{where}: the {'input' if where == 'standard input' else 'file'} is empty "
                             f"({what} is a mapping with {key!r})")
    if not isinstance(data, dict):
        raise ParamcalcError(f"{where}: {what} is a mapping with {key!r}. Received: {_kind(data)}")
    return data


def _kind(data: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(
        type(data), type(data).__name__)
