"""The ``paramcalc`` command line: a Typer app of thin commands over the library.

``app`` is the Typer app (``typer.testing.CliRunner().invoke(app, [...])`` runs it in tests) and
``main`` the entry point of the console script and of ``python -m paramcalc``.
"""

from paramcalc.cli.app import app, main

__all__ = ["app", "main"]
