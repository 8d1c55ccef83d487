"""What every command shares: reading shapes, printing JSON, and the one place errors are shown."""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer

from paramcalc.errors import ParamcalcError

F = TypeVar("F", bound=Callable[..., Any])

#: Exit statuses: 0 all good, 1 a checked answer is wrong, 2 bad input (like click's usage errors).
EXIT_WRONG = 1
EXIT_BAD_INPUT = 2

_SHAPE_SPLIT = re.compile(r"\s*[,x×*]\s*|\s+")


def parse_shape(text: str | None, option: str = "--input-shape") -> tuple[int, ...] | None:
    """Read ``32,50,100``, ``32x50x100`` or ``(32, 50, 100)`` as a tuple of ints; None stays None."""
    if text is None:
        return None
    body = text.strip().strip("()[]").strip()
    if not body:
        raise ParamcalcError(f"{option}: empty shape; write it like 32,50,100 or 32x50x100")
    parts = [p for p in _SHAPE_SPLIT.split(body) if p != ""]
    dims = []
    for p in parts:
        if not re.fullmatch(r"\d{1,30}", p):
            raise ParamcalcError(
                f"{option}: every dimension must be a non-negative integer. Received: {text!r}"
            )
        dims.append(int(p))
    return tuple(dims)


def parse_shapes(text: str | None, option: str = "--input-shape") -> list[tuple[int, ...]]:
    """Several shapes separated by ``;`` (e.g. query;key;value): ``2,5,16;2,7,16``."""
    if text is None:
        return []
    return [parse_shape(part, option) for part in text.split(";") if part.strip()]  # type: ignore[misc]


def fail(message: str, status: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print one line on stderr and exit with ``status``."""
    first = " ".join(str(message).split())
    sys.stderr.write(f"error: {first}\n")
    raise typer.Exit(status)


def boundary(func: F) -> F:
    """Turn library errors into one line on stderr and exit status 2: the only place errors are shown."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except ParamcalcError as exc:
            fail(str(exc))
        except RecursionError:
            fail("input nested too deeply")
        except MemoryError:
            fail("input too large")
        except ValueError as exc:  # pydantic ValidationError and friends
            from pydantic import ValidationError

            if isinstance(exc, ValidationError):
                err = exc.errors(include_url=False)[0]
                loc = ".".join(str(p) for p in err["loc"])
                fail(f"{loc}: {err['msg']}" if loc else err["msg"])
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def make_console(stderr: bool = False) -> Any:
    """A Rich console made per command (so NO_COLOR, FORCE_COLOR and tests behave), 80 columns at most."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if console.width > 100:
        console.width = 100
    return console


def print_json(data: Any) -> None:
    """Print one JSON document and nothing else (ints stay exact)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
