"""The command-line interface: thin commands over the library, errors shown once (cliutil.boundary)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from paramcalc import __version__

app = typer.Typer(
    name="paramcalc",
    help="Exact parameter counts and output shapes of neural-network layers and models, with the working shown.",
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


def main() -> None:
    """Entry point of the ``paramcalc`` console script."""
    app()
