"""Shared test settings: the cross-check rule, golden files and hypothesis profiles."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Keras 3 runs its cross-checks on the torch backend (without it, it looks for tensorflow).
os.environ.setdefault("KERAS_BACKEND", "torch")

GOLDEN = Path(__file__).parent / "golden"

settings.register_profile(
    "default", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "default"))


def crosscheck_required() -> bool:
    """In CI (CI=true) or with PARAMCALC_REQUIRE_CROSSCHECK=1 a missing framework is a failure."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get(
        "PARAMCALC_REQUIRE_CROSSCHECK"
    ) == "1"


def require(module: str):
    """Import a framework for a cross-check: skip when absent, fail when CI requires it."""
    try:
        return __import__(module)
    except ImportError:
        if crosscheck_required():
            pytest.fail(f"{module} is required for the cross-check tests here (CI or PARAMCALC_REQUIRE_CROSSCHECK=1)")
        pytest.skip(f"{module} is not installed", allow_module_level=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False, help="rewrite tests/golden/ from current output"
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with tests/golden/NAME, or rewrite it with --update-golden."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update or not path.exists() and os.environ.get("PARAMCALC_CREATE_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}; run pytest --update-golden to create it"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path} (pytest --update-golden to accept)"

    return check
