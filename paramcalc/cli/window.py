"""Convolution arithmetic commands: ``paramcalc window``, ``paramcalc receptive-field`` and
``paramcalc solve`` (thin wrappers over :mod:`paramcalc.analysis.window`)."""

from enum import Enum
from typing import Annotated, Optional

import typer

from paramcalc.cli.options import Brief, InputShape, Json, choice, int_range, shape_argument
from paramcalc.cli.output import print_json, print_line, print_rich

app = typer.Typer()


class Naming(str, Enum):
    """How a dilation is counted."""

    torch = "torch"
    gaps = "gaps"


NAMING_HELP = ("How --dilation counts: torch (and Keras): 1 is a plain filter, 2 skips one input between taps; "
               "gaps (CS231n's notes): the holes between taps, 0 is a plain filter, 1 is torch's 2.")
DilationNaming = Annotated[Naming, typer.Option("--dilation-naming", help=NAMING_HELP, parser=choice(Naming))]
Dilation = Annotated[int, typer.Option("--dilation", parser=int_range(), help="The dilation (see --dilation-naming).")]


def _padding(text: str) -> int | str:
    from paramcalc.errors import ParamcalcError

    value = text.strip().lower()
    if value in ("same", "valid"):
        return value
    if value.isdigit() and len(value) <= 9:
        return int(value)
    raise ParamcalcError(f"--padding: must be a whole number >= 0, 'same' or 'valid'. Received: {text!r}")


@app.command("window", epilog="""Examples:

\b
  paramcalc window -n 13 -k 6 -s 5 --padding same
  paramcalc window -n 10 -k 3 -s 2
  paramcalc window -n 7 -k 3 --dilation 1 --dilation-naming gaps

Python: paramcalc.window_report(size=13, kernel_size=6, stride=5, padding="same")
""")
def window_command(
    size: Annotated[int, typer.Option("--size", "-n", parser=int_range(), help="The input size along one dimension.")],
    kernel: Annotated[int, typer.Option("--kernel", "-k", parser=int_range(), help="The kernel size.")],
    stride: Annotated[int, typer.Option("--stride", "-s", parser=int_range(), help="The stride.")] = 1,
    padding: Annotated[str, typer.Option(
        "--padding", "-p", help="Padding per side, 'same' (TensorFlow/Keras) or 'valid'.")] = "0",
    dilation: Dilation = 1,
    dilation_naming: DilationNaming = Naming.torch,
    index: Annotated[Optional[list[int]], typer.Option(
        "--index", parser=int_range(), help="An output position whose input positions to list (repeatable; default: first, "
                        "second, last).")] = None,
    json: Json = False,
    brief: Brief = False,
) -> None:
    """Work out one sliding window: effective kernel, padding split, output size, positions read and missed."""
    from paramcalc.analysis.window import window_report

    report = window_report(size=size, kernel_size=kernel, stride=stride, padding=_padding(padding),
                           dilation=dilation, dilation_naming=dilation_naming.value,
                           indices=tuple(index) if index else None)
    if json:
        print_json(report.as_dict())
        return
    if brief:  # one line: the output size
        print_line(str(report.output))
        return
    from paramcalc.render.window import render_window

    print_rich(render_window(report))


def _is_model_file(text: str) -> bool:
    """Whether a receptive-field argument names a model file rather than a layer expression."""
    from pathlib import Path

    if text.lower().endswith((".yaml", ".yml", ".json")):
        return True
    try:
        return "(" not in text and Path(text).is_file()
    except (OSError, ValueError):
        return False


@app.command("receptive-field", epilog="""Examples:

\b
  paramcalc receptive-field "Conv2d(3, 8, 3)" "Conv2d(8, 8, 3)" "MaxPool2d(2)" "Conv2d(8, 8, 3)"
  paramcalc receptive-field "Conv2d(1, 6, 5)" "MaxPool2d(2)" "Conv2d(6, 16, 5)" "MaxPool2d(2)" -i 1,1,32,32
  paramcalc receptive-field --preset vgg16
  paramcalc receptive-field model.yaml

Python: paramcalc.receptive_field([("conv1", spec1), ("conv2", spec2)])
""")
def receptive_field_command(
    layers: Annotated[Optional[list[str]], typer.Argument(
        help="Layer constructor expressions, first to last, or one model file (.yaml, .yml, .json) that is a "
             "plain stack.", metavar="LAYER_EXPR...|MODEL_FILE", show_default=False)] = None,
    preset: Annotated[Optional[str], typer.Option(
        "--preset", help="A preset model's layers instead (paramcalc presets lists them).")] = None,
    input_shape: InputShape = None,
    json: Json = False,
    brief: Brief = False,
) -> None:
    """The receptive field and jump of each layer of a stack on its input (and its output neurons)."""
    from paramcalc.analysis.window import receptive_field
    from paramcalc.errors import ParamcalcError

    shape = shape_argument(input_shape)
    if preset is not None:
        if layers:
            raise ParamcalcError("receptive-field: give layer expressions or --preset, not both")
        from paramcalc.analysis.window import preset_layers

        named, sizes = preset_layers(preset, shape)
    else:
        if not layers:
            raise ParamcalcError("receptive-field: give the layers (constructor expressions) or --preset")
        from paramcalc.analysis.window import model_file_layers, stack_layers

        if len(layers) == 1 and _is_model_file(layers[0]):
            named, sizes = model_file_layers(layers[0], shape)
        else:
            named, sizes = stack_layers(layers, shape)
    from paramcalc.analysis.window import field_end

    rows = receptive_field(named, sizes=sizes)
    end = field_end(named)
    ends = None if end is None else named[end][0]
    if json:
        print_json({"layers": [r.as_dict() for r in rows], "ends_before": ends})
        return
    if brief:  # one line: the last sliding-window layer's field (and where the whole input is seen from)
        line = str(rows[-1].field) if rows else "none"
        print_line(line + (f" (whole input from {ends})" if ends else ""))
        return
    from paramcalc.render.window import render_field

    print_rich(render_field(rows, f"Receptive field of {preset}" if preset else "Receptive field", ends))


@app.command("solve", epilog="""Examples:

\b
  paramcalc solve padding -n 32 -k 5
  paramcalc solve input -k 3 -s 2 --to 20
  paramcalc solve stride -n 227 -k 11 --target 55
  paramcalc solve kernel -n 32 --target 28

Python: paramcalc.solve("padding", size=32, kernel_size=5)
""")
def solve_command(
    unknown: Annotated[str, typer.Argument(
        help="What to solve for: padding (default target: the size kept), input (sizes that divide "
             "exactly), stride or kernel.", metavar="padding|input|stride|kernel", show_default=False)],
    size: Annotated[Optional[int], typer.Option("--size", "-n", parser=int_range(), help="The input size.")] = None,
    kernel: Annotated[Optional[int], typer.Option("--kernel", "-k", parser=int_range(), help="The kernel size.")] = None,
    stride: Annotated[Optional[int], typer.Option("--stride", "-s", parser=int_range(), help="The stride (default 1).")] = None,
    padding: Annotated[Optional[int], typer.Option("--padding", "-p", parser=int_range(), help="Padding per side (default 0).")] = None,
    dilation: Dilation = 1,
    dilation_naming: DilationNaming = Naming.torch,
    target: Annotated[Optional[int], typer.Option("--target", "-t", parser=int_range(), help="The output size wanted.")] = None,
    lo: Annotated[Optional[int], typer.Option("--from", parser=int_range(), help="Smallest value tried.")] = None,
    hi: Annotated[Optional[int], typer.Option("--to", parser=int_range(), help="Largest value tried.")] = None,
    floored: Annotated[bool, typer.Option(
        "--floored", help="Also accept a division that is not whole but floors to the target (as torch does).")] = False,
    json: Json = False,
    brief: Brief = False,
) -> None:
    """Solve (W − F + 2P)/S + 1 for padding, input size, stride or kernel: every solution in a range, worked."""
    from paramcalc.analysis.window import solve

    if unknown not in ("padding", "input", "stride", "kernel"):
        raise typer.BadParameter(f"{unknown!r} is not one of 'padding', 'input', 'stride', 'kernel'.",
                                 param_hint="'UNKNOWN'")
    solutions = solve(unknown, size=size, kernel_size=kernel, stride=stride, padding=padding,  # type: ignore[arg-type]
                      dilation=dilation, target=target, lo=lo, hi=hi, floored=floored,
                      dilation_naming=dilation_naming.value)
    if json:
        print_json(solutions.as_dict())
        return
    if brief:  # one line: the solutions, comma-separated ("none" when none is in the range)
        print_line(",".join(str(v) for v, _, _ in solutions.rows) or "none")
        return
    from paramcalc.render.window import render_solutions

    print_rich(render_solutions(solutions))
