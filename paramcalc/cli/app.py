"""The ``paramcalc`` Typer app: its commands, its root options, and the one place errors are shown.

The commands live in one module per group (:mod:`~paramcalc.cli.layer`, :mod:`~paramcalc.cli.check`,
:mod:`~paramcalc.cli.models`, :mod:`~paramcalc.cli.memory`), each a Typer app merged into this one.
Beside them, every layer type has a command generated from its spec
(:mod:`~paramcalc.cli.layer_commands`), built when a run asks for it and listed by ``paramcalc
layers`` rather than in the help. :class:`RootGroup` runs it all and turns every error into one
line on stderr: a library error or a usage error exits with status 2, a bug with status 70.
"""

import errno
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from paramcalc import __version__
from paramcalc.cli.check import app as check_app
from paramcalc.cli.layer import app as layer_app
from paramcalc.cli.memory import app as memory_app
from paramcalc.cli.models import app as models_app
from paramcalc.cli.options import CONTEXT_SETTINGS
from paramcalc.cli.output import EXIT_BAD_INPUT, EXIT_INTERNAL, prepare_streams, print_error
from paramcalc.cli.window import app as window_app
from paramcalc.errors import ParamcalcError


def internal_error(exc: BaseException) -> NoReturn:
    """A bug, not bad input: one line and exit status 70; the traceback only with PARAMCALC_DEBUG=1."""
    if os.environ.get("PARAMCALC_DEBUG"):
        raise exc
    print_error(
        f"internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:200]}); "
        "set PARAMCALC_DEBUG=1 to see the traceback"
    )
    finish(EXIT_INTERNAL)


#: The errors of a write to standard output that fails (the environment's fault, not paramcalc's).
WRITE_ERRORS = {errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EIO, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}


def finish(status: int, *, reported: bool = False) -> NoReturn:
    """Exit with ``status`` once standard output is flushed.

    When the flush fails (a full disk, a closed pipe), the failure is reported (unless it already
    was, or the reader went away), the status becomes 2, and standard output is pointed at the
    null device so that the interpreter's own flush at exit cannot fail again.
    """
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except (OSError, ValueError) as exc:
        if not reported and getattr(exc, "errno", None) != errno.EPIPE:
            print_error(f"cannot write output: {getattr(exc, 'strerror', None) or exc}")
        status = max(status, EXIT_BAD_INPUT)
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())  # type: ignore[union-attr]
            os.close(null)
        except (OSError, ValueError):
            pass
    sys.exit(status)


def usage_message(exc: typer.TyperException) -> str:
    """One line for a usage error: the message and where to read the command's help."""
    message = " ".join(exc.format_message().split())
    if type(exc) is typer.BadParameter and exc.param is not None:  # a value refused: name the option
        names = [n for n in exc.param.opts if n.startswith("--")] or list(exc.param.opts) or [exc.param.name or ""]
        message = f"{names[0] if exc.param.param_type_name == 'option' else exc.param.human_readable_name}: " \
                  f"{' '.join(exc.message.split())}"
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see '{ctx.command_path} --help')"
    return message


class OutputGone(Exception):
    """Standard output's reader went away (EPIPE) while a command wrote its result."""


class HelpContext(typer.Context):
    """A command's context whose help is written in what standard output can show: under an encoding
    such as ASCII or cp1252, ``− ² · ×`` become their ASCII stand-ins (:func:`paramcalc.render.glyphs.fit`),
    as in the rest of the output."""

    def get_help(self) -> str:
        from paramcalc.render.glyphs import fit

        return fit(super().get_help(), getattr(sys.stdout, "encoding", None))


class RootGroup(TyperGroup):
    """The root command group: the named commands, one command per layer type, and the error boundary."""

    context_class = HelpContext

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        """Read the root's options (``--help`` prints here); a reader that went away goes to :meth:`main`."""
        try:
            return super().make_context(*args, **kwargs)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise OutputGone from exc
            raise

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a reader that went away is handed to :meth:`main` (Click itself would exit
        with status 1, which paramcalc keeps for a wrong answer)."""
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise OutputGone from exc
            raise

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None:
            from paramcalc.cli.layer_commands import layer_command

            command = layer_command(cmd_name)
        if command is not None:  # its help, too, in what the output can show
            command.context_class = HelpContext
        return command

    def list_commands(self, ctx: Any) -> list[str]:
        """The named commands, for the help; shell completion also offers the layer commands."""
        named = super().list_commands(ctx)
        if not ctx.resilient_parsing:
            return named
        from paramcalc.cli.layer_types import layer_commands

        return [*named, *(key for key in layer_commands() if key not in named)]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            import difflib

            from paramcalc.cli.layer_types import layer_commands

            known = [*super().list_commands(ctx), *layer_commands()]
            close = list(dict.fromkeys(difflib.get_close_matches(name.lower(), known, n=6, cutoff=0.6)))[:3]
            hint = f" Did you mean {' or '.join(close)}?" if close else " `paramcalc layers` lists the layer commands."
            ctx.fail(f"no command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Run the command line; every error ends here as one line on stderr and an exit status."""
        prepare_streams()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        if sys.stdout is None:  # started with standard output closed: nowhere to write a result
            print_error("cannot write output: standard output is closed")
            sys.exit(EXIT_BAD_INPUT)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except OutputGone:  # the output cannot be written: status 2, and no message for a reader that left
            finish(EXIT_BAD_INPUT, reported=True)
        except ParamcalcError as exc:  # bad input, in the library's words
            print_error(exc)
            finish(EXIT_BAD_INPUT)
        except RecursionError:
            print_error("input nested too deeply")
            finish(EXIT_BAD_INPUT)
        except MemoryError:
            print_error("input too large")
            finish(EXIT_BAD_INPUT)
        except typer.TyperException as exc:  # a usage error (status 2), as Typer reports it, on one line
            print_error(usage_message(exc))
            finish(exc.exit_code)
        except typer.Abort:
            print_error("aborted")
            finish(1)
        except ValueError as exc:  # a value the library refused without its own error type
            print_error(exc)
            finish(EXIT_BAD_INPUT)
        except OSError as exc:
            if exc.errno not in WRITE_ERRORS:
                internal_error(exc)
            if exc.errno != errno.EPIPE:  # a reader that went away needs no message
                print_error(f"cannot write output: {exc.strerror or exc}")
            finish(EXIT_BAD_INPUT, reported=True)
        except Exception as exc:  # a bug, not bad input
            internal_error(exc)
        finish(status if isinstance(status, int) else 0)


app = typer.Typer(
    name="paramcalc",
    cls=RootGroup,
    help=(
        "Exact parameter counts and output shapes of neural-network layers and models, with the "
        "working shown.\n\nEvery layer type also has its own command with its constructor's "
        "arguments as options (paramcalc lstm --help); paramcalc layers lists them."
    ),
    epilog=(
        "Examples:\n\n\b\n"
        "  paramcalc layer \"LSTM(100, 128, num_layers=2)\" --input-shape 32,50,100\n"
        "  paramcalc conv2d --in-channels 3 --out-channels 64 --kernel-size 3 --padding 1 --input-shape 1,3,224,224\n"
        "  paramcalc layer \"layers.LSTM(128)\" --input-shape 32,50,100 --all-conventions\n"
        "  paramcalc formula lstm"
    ),
    # Typer's plain help: flags read as flags (its Rich panels label each one <bool>), and --help
    # loads neither Rich nor pydantic.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=CONTEXT_SETTINGS,  # -h as well as --help, for every command
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paramcalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """Exact parameter counts and output shapes, with the working shown."""


app.add_typer(layer_app)  # layer, layers, formula
app.add_typer(check_app)  # check, check-sheet
app.add_typer(models_app)  # summary, presets, preset, schema
app.add_typer(memory_app)  # memory
app.add_typer(window_app)  # window, receptive-field, solve


def main() -> None:
    """Entry point of the ``paramcalc`` console script and ``python -m paramcalc``."""
    app(prog_name="paramcalc")
