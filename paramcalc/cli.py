"""The command-line interface: thin commands over the library, errors shown once (clicore.boundary).

Layout: the app and its root options; the layer commands (``layer``, ``layers``, ``formula``; one
command per layer type is generated from the specs by ``cliutil.CommandGroup``); then the commands
other modules add with their ``register(app)``. A run builds only the command it runs
(``cliutil.App``), and commands import Rich, the renderer and the library pieces they need when
they run, so start-up stays fast. The ``paramcalc`` entry point is :func:`paramcalc.entry.main`:
it answers a plain ``layer`` query itself and hands the rest to ``app``.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from paramcalc import __version__
from paramcalc.clicore import query_layer
from paramcalc.cliutil import (
    ALL_CONVENTIONS_HELP,
    CONVENTION_HELP,
    INPUT_SHAPE_HELP,
    JSON_HELP,
    App,
    Convention,
    boundary,
    print_json,
    print_rich,
)

app = App(
    name="paramcalc",
    help=(
        "Exact parameter counts and output shapes of neural-network layers and models, with the "
        "working shown.\n\nEvery layer type also has its own command with its constructor's "
        "arguments as options (paramcalc lstm --help); paramcalc layers lists them."
    ),
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "paramcalc layer \"LSTM(100, 128, num_layers=2)\" --input-shape 32,50,100\n\n"
        "paramcalc conv2d --in-channels 3 --out-channels 64 --kernel-size 3 --padding 1 --input-shape 1,3,224,224\n\n"
        "paramcalc layer \"layers.LSTM(128)\" --input-shape 32,50,100 --all-conventions\n\n"
        "paramcalc formula lstm"
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paramcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Exact parameter counts and output shapes, with the working shown."""


# -- Layers -----------------------------------------------------------------------------------

InputShape = Annotated[Optional[str], typer.Option("--input-shape", "-i", help=INPUT_SHAPE_HELP, metavar="SHAPE")]
ConventionOption = Annotated[Optional[Convention], typer.Option("--convention", "-c", help=CONVENTION_HELP)]
AllConventions = Annotated[bool, typer.Option("--all-conventions", help=ALL_CONVENTIONS_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]


@app.command(
    epilog=(
        "[bold]Examples[/bold]\n\n"
        "paramcalc layer \"LSTM(100, 128, num_layers=2)\" --input-shape 32,50,100\n\n"
        "paramcalc layer \"nn.Conv2d(3, 64, 3, padding=1)\" -i 1x3x224x224\n\n"
        "paramcalc layer \"MultiheadAttention(512, 8, kdim=256, vdim=256)\" -i \"10,32,512;20,32,256;20,32,256\"\n\n"
        "paramcalc layer \"layers.Dense(64)\" --input-shape 32,100 --all-conventions\n\n"
        "paramcalc layer \"Linear(100, 10)\" --json\n\n"
        "Python: paramcalc.parse_layer(\"LSTM(100, 128, num_layers=2)\").count()"
    ),
)
@boundary
def layer(
    expr: Annotated[str, typer.Argument(
        help="A PyTorch or Keras constructor expression, such as \"LSTM(100, 128, num_layers=2)\" or "
             "\"layers.Conv2D(32, 3)\".", metavar="EXPR", show_default=False)],
    input_shape: InputShape = None,
    convention: ConventionOption = None,
    all_conventions: AllConventions = False,
    json: Json = False,
) -> None:
    """Count a layer's parameters, list its tensors, and work out its formula and output shape."""
    query_layer(expr, input_shape, convention, all_conventions, json)


@app.command(
    epilog="[bold]Examples[/bold]\n\nparamcalc layers\n\nparamcalc layers --json\n\nparamcalc lstm --help",
)
@boundary
def layers(json: Json = False) -> None:
    """List the layer types (PyTorch and Keras names), their commands and what each is."""
    from paramcalc.cliutil import layer_commands

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
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("Layer", no_wrap=True)
    table.add_column("What it is", ratio=1)
    for framework, title in (("pytorch", "PyTorch"), ("keras", "Keras")):
        group = [r for r in rows if r["framework"] == framework]
        if not group:
            continue
        table.add_section()
        table.add_row(Text(title, style="bold"), "")
        for r in group:
            name = r["name"] if r["command"] == r["name"].lower() else f"{r['name']}\n  command {r['command']}"
            table.add_row(name, r["summary"])
    heading = Text("Layer types: paramcalc <command> --help shows a layer's options (the command is the "
                   "name in lowercase)", style="bold")
    print_rich(heading, table)


@app.command(
    epilog="[bold]Examples[/bold]\n\nparamcalc formula lstm\n\nparamcalc formula Conv2d\n\n"
           "paramcalc formula attention --json",
)
@boundary
def formula(
    family: Annotated[str, typer.Argument(
        help="A family (linear, conv, conv_transpose, pool, adaptive_pool, batchnorm, layernorm, embedding, "
             "rnn, lstm, gru, attention, transformer, no_params) or a layer name in it.",
        metavar="FAMILY")],
    json: Json = False,
) -> None:
    """Print the general formulas of a layer family under each convention, and its output shape."""
    from paramcalc.explain import find_family

    fam = find_family(family)
    if json:
        print_json({
            "family": fam.name, "title": fam.title, "layers": list(fam.layers), "params": fam.params,
            "shape": fam.shape, "symbols": fam.symbols,
        })
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for convention, text in fam.params.items():
        grid.add_row(convention, text)
    grid.add_row("output shape", fam.shape)
    if fam.symbols:
        grid.add_row("where", fam.symbols)
    print_rich(Text(fam.title, style="bold"), Text(f"layers: {', '.join(fam.layers)}", style="dim"), grid)


# -- Commands from other modules --------------------------------------------------------------
# Each module adds its commands with register(app).
from paramcalc import cli_check; cli_check.register(app)  # noqa: E402, E702 - check, check-sheet
from paramcalc import cli_models; cli_models.register(app)  # noqa: E402, E702 - summary, presets, preset, schema
from paramcalc import cli_compute; cli_compute.register(app)  # noqa: E402, E702 - memory


def main() -> None:
    """Entry point of console scripts made before it moved to :func:`paramcalc.entry.main`."""
    from paramcalc.entry import main as entry_main

    entry_main()
