"""The checking commands: ``paramcalc check`` and ``paramcalc check-sheet`` (thin wrappers over
:func:`paramcalc.checking.check` and :func:`paramcalc.sheet.check_sheet`).

Exit status: 0 when every answer is right, 1 when one is wrong (like ``diff``), 2 on bad input.
"""

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from paramcalc.cli.options import STDIN_HELP, Brief, ConventionOption, InputShape, Json, Working, parse_shapes, read_data
from paramcalc.cli.options import choice
from paramcalc.cli.window import Naming
from paramcalc.cli.output import EXIT_WRONG, make_console, print_error, print_json, print_line, print_rich

app = typer.Typer()

CHECK_HELP = """Check answers about a layer or a model: each gets ✓ or ✗ with the expected value and the working.

Every answer is judged under one convention: --convention, else the layer's own (a Keras layer under Keras, a PyTorch layer under PyTorch). A wrong answer is compared with a catalogue of common mistakes (another convention's count is one), then with pairs of them, and the ones that reproduce it exactly are named.

Exit status: 0 all right, 1 an answer is wrong, 2 bad input.

Examples:

\b
  paramcalc check "Conv2d(3, 64, 3)" --params 1728
  paramcalc check "Conv2d(3, 96, 11, stride=4)" --input-shape 227x227x3 --shape 55x55x96
  paramcalc check "LSTM(100, 128)" --params 117,248 -c pytorch
  paramcalc check "Conv2d(3, 8, 3, stride=2)" -i 1x3x10x10 --shape 4.5 -c textbook
  paramcalc check model.yaml --params 529441 --convention keras
"""

SHEET_HELP = """Check every problem of a problem sheet (YAML): one row per answer, a summary line.

Each problem names a layer (a constructor expression) or a model (a model file or an inline model), an input shape and the answers to check.

Exit status: 0 all right, 1 an answer is wrong, 2 bad input.

Examples:

\b
  paramcalc check-sheet sheet.yaml
  paramcalc check-sheet sheet.yaml --json
  paramcalc check-sheet sheet.yaml -c textbook
"""

DilationNaming = Annotated[Naming, typer.Option(
    "--dilation-naming", parser=choice(Naming),
    help="How a layer expression's dilation= (a Keras layer's dilation_rate=) counts: torch (and Keras): 1 is a "
         "plain filter; gaps (CS231n's notes): the holes between taps, 0 is a plain filter, 1 is torch's 2.")]


def gaps_layer(expression: str) -> tuple[object, str]:
    """A layer expression whose ``dilation=`` (a Keras layer's ``dilation_rate=``) counts gaps between taps
    (CS231n's naming), as the layer in the framework's naming, and a line saying how the dilation maps."""
    import ast

    from paramcalc.errors import ParamcalcError
    from paramcalc.formulas.window import cs231n_dilation
    from paramcalc.specs.parse import parse_layer

    try:
        call = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        return parse_layer(expression), ""  # parse_layer says what is wrong
    names = ("dilation", "dilation_rate")
    keyword = next((kw for kw in getattr(call, "keywords", []) if kw.arg in names), None)
    if keyword is None:
        spec = parse_layer(expression)
        if not any(name in type(spec).model_fields for name in names):
            raise ParamcalcError(f"--dilation-naming gaps: {type(spec).__name__} has no dilation")
        if len(getattr(call, "args", [])) > 5:
            name = next(name for name in names if name in type(spec).model_fields)
            raise ParamcalcError(f"--dilation-naming gaps: write the dilation by keyword, {name}=...")
        return spec, "no dilation given: a plain filter (0 gaps = dilation 1)"
    values = keyword.value.elts if isinstance(keyword.value, ast.Tuple) else [keyword.value]
    if not all(isinstance(v, ast.Constant) and type(v.value) is int for v in values):
        raise ParamcalcError(f"--dilation-naming gaps: {keyword.arg}= must be whole numbers >= 0 (gaps between taps)")
    gaps = tuple(v.value for v in values)
    torch = tuple(cs231n_dilation(gaps=g) for g in gaps)
    keyword.value = ast.Tuple([ast.Constant(d) for d in torch]) if len(torch) > 1 else ast.Constant(torch[0])
    layer = parse_layer(ast.unparse(call))
    framework = "Keras" if keyword.arg == "dilation_rate" else "torch"
    line = f"{keyword.arg} {_one(gaps)} (gaps) = {framework} {keyword.arg}={_one(torch)}"
    kernel = getattr(layer, "kernel_size", None)
    kernels = {*kernel} if isinstance(kernel, tuple) else {kernel}
    if len(set(torch)) == 1 and len(kernels) == 1 and isinstance(k := kernels.pop(), int):
        line += f": effective kernel {torch[0]}·({k} − 1) + 1 = {torch[0] * (k - 1) + 1}"
    return layer, line


def _one(value: object) -> str:
    """A per-dimension value as one number when every dimension has it."""
    return str(value[0]) if isinstance(value, tuple) and len(set(value)) == 1 else str(value).replace(",)", ")")


@app.command("check", help=CHECK_HELP)
def check_command(
    target: Annotated[str, typer.Argument(
        metavar="LAYER_EXPR_OR_MODEL_FILE", show_default=False,
        help=f"A layer constructor expression (\"Conv2d(3, 64, 3)\") or a model file (.yaml, .yml, .json); {STDIN_HELP}")],
    params: Annotated[Optional[str], typer.Option(
        "--params", help="The total parameter count to check (1792 or 1,792).")] = None,
    trainable: Annotated[Optional[str], typer.Option(
        "--trainable", help="The trainable parameter count to check.")] = None,
    non_trainable: Annotated[Optional[str], typer.Option(
        "--non-trainable", help="The non-trainable parameter count to check.")] = None,
    shape: Annotated[Optional[str], typer.Option(
        "--shape",
        help="The output shape to check, written as --input-shape is: 55x55x96 (channels-last), 96,55,55 "
             "(torch), with or without the batch (None,55,55,96 as Keras prints it), or one side (55). "
             "Decimals such as 54.25 are read exactly.")] = None,
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    dilation_naming: DilationNaming = Naming.torch,
    json: Json = False,
    brief: Brief = False,
    working: Working = True,
) -> None:
    from paramcalc.checking import check, is_model_target
    from paramcalc.errors import ParamcalcError

    source: object = target
    if target == "-":
        source = read_data("-", "a model")
    elif is_model_target(target):
        try:
            found = Path(target).exists()
        except (OSError, ValueError):  # a name too long for a path
            found = False
        if not found:
            raise ParamcalcError(f"model file not found: {target}")
    mapping = None
    if dilation_naming is Naming.gaps:
        if target == "-" or is_model_target(target):
            raise ParamcalcError("--dilation-naming gaps: give one layer expression, not a model")
        source, mapping = gaps_layer(target)
    shapes = parse_shapes(input_shape, "--input-shape")
    result = check(
        source, params=params, trainable=trainable, non_trainable=non_trainable, shape=shape,
        input_shape=None if not shapes else shapes[0] if len(shapes) == 1 else tuple(shapes),
        convention=None if convention is None else convention.value,
    )
    if json:
        print_json({**result.as_dict(), **({"dilation_naming": mapping} if mapping else {})})
        if not result.ok:
            raise typer.Exit(EXIT_WRONG)
        return
    if mapping and not brief:
        print_line(mapping)
    if brief:
        print_line(f"{result.correct}/{len(result.answers)} correct")
    else:
        from paramcalc.render.check import render_check

        print_rich(render_check(result, derivations=working))
    if not result.ok:
        raise typer.Exit(EXIT_WRONG)


@app.command("check-sheet", help=SHEET_HELP)
def check_sheet_command(
    sheet: Annotated[str, typer.Argument(metavar="SHEET.yaml", help=f"The problem sheet (YAML or JSON); {STDIN_HELP}",
                                         show_default=False)],
    convention: ConventionOption = None,
    json: Json = False,
    brief: Brief = False,
) -> None:
    from paramcalc.checking.sheet import check_sheet

    report = check_sheet(read_data("-", "a sheet") if sheet == "-" else Path(sheet),
                         convention=None if convention is None else convention.value)
    if json:
        print_json(report.as_dict())
    elif brief:
        print_line(report.summary)
    else:
        console = make_console()
        if console.is_terminal:
            from paramcalc.render.check import render_sheet

            console.print(render_sheet(report))
        else:  # what print_rich would write, without laying out a thousand lines through Rich
            from paramcalc.render.check import render_sheet_text

            sys.stdout.write(render_sheet_text(report, console.width, console.encoding) + "\n")
    if report.errors:  # the report shows each problem's error; stderr says why the status is 2
        problems = report.total + report.errors
        print_error(f"{report.errors} of {problems} problems in {sheet} could not be checked (see the report)")
    if report.exit_status:
        raise typer.Exit(report.exit_status)
