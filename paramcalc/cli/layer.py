"""The layer commands: ``paramcalc layer EXPR``, ``layers`` and ``formula``, and the query every
layer command runs (:func:`show_layer`; the commands generated per layer type are in
:mod:`paramcalc.cli.layer_commands`).
"""

from typing import Annotated, Any

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


@app.command(epilog="Examples:\n\n\b\n  paramcalc formula lstm\n  paramcalc formula Conv2d\n"
                    "  paramcalc formula attention --json")
def formula(
    family: Annotated[str, typer.Argument(
        help="A family (linear, conv, conv_transpose, pool, adaptive_pool, batchnorm, layernorm, embedding, "
             "rnn, lstm, gru, attention, transformer, no_params) or a layer name in it.",
        metavar="FAMILY")],
    json: Json = False,
) -> None:
    """Print the general formulas of a layer family under each convention, and its output shape."""
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
    for convention, text in fam.params.items():
        grid.add_row(Text(convention, style="bold"), text)
    grid.add_row(Text("output shape", style="bold"), fam.shape)
    if fam.symbols:
        grid.add_row(Text("where", style="bold"), fam.symbols)
    print_rich(Paragraph(fam.title, style="bold"), Paragraph(f"layers: {', '.join(fam.layers)}", style="dim"), grid)
