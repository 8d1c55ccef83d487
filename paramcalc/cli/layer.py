"""The layer commands: ``paramcalc layer EXPR``, ``layers`` and ``formula``, and the query every
layer command runs (:func:`show_layer`; the commands generated per layer type are in
:mod:`paramcalc.cli.layer_commands`).
"""

from typing import Annotated, Any, Optional

import typer

from paramcalc.cli.options import (
    AllConventions,
    AllTensors,
    Brief,
    Convention,
    ConventionOption,
    InputShape,
    Json,
    Working,
    parse_shapes,
)
from paramcalc.cli.output import print_json, print_line, print_rich

app = typer.Typer()


def show_layer(
    spec: Any,
    input_shape: str | None = None,
    convention: Convention | str | None = None,
    all_conventions: bool = False,
    as_json: bool = False,
    all_tensors: bool = False,
    *,
    brief: bool = False,
    working: bool = True,
) -> None:
    """Count, explain and print one layer: the body of ``paramcalc layer`` and of every layer command."""
    from paramcalc.render.layer import collect, default_convention, render_report

    shapes = parse_shapes(input_shape)
    chosen = Convention(convention).value if convention is not None else default_convention(spec)
    if brief and not as_json:  # one line: the count, and the (first) output's shape when the input's is given
        from paramcalc.specs.working import shape_str

        arg = None if not shapes else shapes[0] if len(shapes) == 1 else list(shapes)
        line = str(spec.count(chosen, input_shape=arg).total)
        if shapes:
            outputs = spec.output_shapes(*shapes)
            line += " " + shape_str(next(iter(outputs.values())))
        print_line(line)
        return
    report = collect(spec, chosen, shapes, all_conventions=all_conventions, all_tensors=all_tensors)
    if as_json:
        print_json(report.as_dict())
    else:
        print_rich(render_report(report, working=working))


LAYER_EPILOG = """Examples:

\b
  paramcalc layer "LSTM(100, 128, num_layers=2)" --input-shape 32,50,100
  paramcalc layer "nn.Conv2d(3, 64, 3, padding=1)" -i 1x3x224x224
  paramcalc layer "MultiheadAttention(512, 8, kdim=256, vdim=256)" -i "10,32,512;20,32,256;20,32,256"
  paramcalc layer "layers.Dense(64)" --input-shape 32,100 --all-conventions
  paramcalc layer "Linear(100, 10)" --json

Python: paramcalc.parse_layer("LSTM(100, 128, num_layers=2)").count()
"""


@app.command(epilog=LAYER_EPILOG)
def layer(
    expr: Annotated[str, typer.Argument(
        help="A PyTorch or Keras constructor expression, such as \"LSTM(100, 128, num_layers=2)\" or "
             "\"layers.Conv2D(32, 3)\".", metavar="EXPR", show_default=False)],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    all_conventions: AllConventions = False,
    all_tensors: AllTensors = False,
    json: Json = False,
    brief: Brief = False,
    working: Working = True,
) -> None:
    """Count a layer's parameters, list its tensors, and work out its formula and output shape."""
    from paramcalc import parse_layer

    show_layer(parse_layer(expr), input_shape, convention, all_conventions, json, all_tensors,
               brief=brief, working=working)


@app.command(epilog="Examples:\n\n\b\n  paramcalc layers\n  paramcalc layers --json\n  paramcalc lstm --help")
def layers(json: Json = False) -> None:
    """List the layer types (PyTorch and Keras names), their commands and what each is."""
    from paramcalc.cli.layer_types import layer_commands

    rows = [
        {
            "name": name,
            "framework": getattr(cls, "framework", "pytorch"),
            "command": command,
            "summary": getattr(cls, "summary", ""),
        }
        for command, (name, cls) in layer_commands().items()
    ]
    if json:
        print_json(rows)
        return
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Paragraph, Table

    table = Table(Column("Layer"), Column("What it is", role=WRAP, min_width=20))
    for framework, title in (("pytorch", "PyTorch"), ("keras", "Keras")):
        group = [r for r in rows if r["framework"] == framework]
        if not group:
            continue
        table.add_section()
        table.add_row(Text(title, style="bold"), "")
        for r in group:
            name = r["name"] if r["command"] == r["name"].lower() else f"{r['name']}\n  command {r['command']}"
            table.add_row(name, r["summary"])
    heading = Paragraph("Layer types: paramcalc <command> --help shows a layer's options (the command is the "
                        "name in lowercase)", style="bold")
    print_rich(heading, table)


FORMULA_EPILOG = """Examples:

\b
  paramcalc formula lstm
  paramcalc formula Conv2d
  paramcalc formula attention --json
  paramcalc formula encoder-layer
  paramcalc formula encoder-layer --d-ff f -c textbook
  paramcalc formula lstm-stack --set I=100 --set h=128 --set L=2

Python: paramcalc.closed_form("encoder-layer").text  (12d² + 13d)
"""


@app.command(epilog=FORMULA_EPILOG)
def formula(
    family: Annotated[str, typer.Argument(
        help="A family (linear, conv, conv_transpose, pool, adaptive_pool, batchnorm, layernorm, embedding, "
             "rnn, lstm, gru, attention, transformer, no_params, ...) or a layer name in it; or a composed block "
             "(encoder-layer, decoder-layer, lstm-stack, conv-block) for its count as a polynomial.",
        metavar="FAMILY")],
    convention: ConventionOption = None,
    d_ff: Annotated[str, typer.Option(
        "--d-ff", help="A Transformer block's feed-forward width: 4d (the usual) or f (kept as a size).")] = "4d",
    bias: Annotated[bool, typer.Option("--bias", help="conv-block: the convolution has a bias.")] = False,
    bidirectional: Annotated[bool, typer.Option("--bidirectional", help="lstm-stack: both directions.")] = False,
    sizes: Annotated[Optional[list[str]], typer.Option(
        "--set", help="A block's size to evaluate the polynomial with: d=512 (repeatable).", metavar="SIZE=N")] = None,
    json: Json = False,
) -> None:
    """Print the general formulas of a layer family under each convention, or a composed block's count as a
    polynomial in its sizes."""
    from paramcalc.formulas.closed_forms import BLOCKS

    if family.strip().lower() in BLOCKS:
        _closed_form(family.strip().lower(), convention, d_ff, bias, bidirectional, sizes or [], json)
        return
    from paramcalc.specs.families import find_family

    fam = find_family(family)
    if json:
        print_json({
            "family": fam.name, "title": fam.title, "layers": list(fam.layers), "params": fam.params,
            "shape": fam.shape, "symbols": fam.symbols,
        })
        return
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Paragraph, Table

    grid = Table(Column(), Column(role=WRAP, min_width=20), header=False, gap=2)
    for name, text in fam.params.items():
        grid.add_row(Text(name, style="bold"), text)
    grid.add_row(Text("output shape", style="bold"), fam.shape)
    if fam.symbols:
        grid.add_row(Text("where", style="bold"), fam.symbols)
    print_rich(Paragraph(fam.title, style="bold"), Paragraph(f"layers: {', '.join(fam.layers)}", style="dim"), grid)


def _closed_form(block: str, convention: Any, d_ff: str, bias: bool, bidirectional: bool, sizes: list[str],
                 as_json: bool) -> None:
    from paramcalc.errors import ParamcalcError
    from paramcalc.formulas.closed_forms import closed_form

    chosen = Convention(convention).value if convention is not None else "pytorch"
    form = closed_form(block, convention=chosen, d_ff=d_ff, bias=bias, bidirectional=bidirectional)
    values: dict[str, int] = {}
    for item in sizes:
        name, _, number = item.partition("=")
        name = name.strip()
        if name not in form.polynomial.symbols or not number.strip().isdigit() or len(number.strip()) > 30:
            raise ParamcalcError(f"--set: must be SIZE=N with SIZE one of {', '.join(form.polynomial.symbols)} and N a "
                                 f"whole number. Received: {item!r}")
        values[name] = int(number)
    value = form.evaluate(**values) if values else None
    if as_json:
        print_json({"block": block, "convention": chosen, "polynomial": form.text,
                    "parts": [{"what": w, "polynomial": form.part_text(p)} for w, p in form.parts],
                    "symbols": dict(form.symbols), "sizes": values, "value": value})
        return
    from rich.text import Text

    from paramcalc.render.layout import WRAP, Column, Paragraph, Table

    grid = Table(Column(justify="right"), Column(role=WRAP, min_width=20), header=False, gap=2)
    for what, part in form.parts:
        grid.add_row(form.part_text(part), what)
    lines = [Paragraph(f"{block} ({chosen}): {form.text}", style="bold"), grid,
             Paragraph("where " + ", ".join(f"{s} = {w}" for s, w in form.symbols), style="dim")]
    if value is not None:
        given = ", ".join(f"{k} = {v:,}" for k, v in values.items())
        lines.append(Text(f"with {given}: {value:,}"))
    print_rich(*lines)
