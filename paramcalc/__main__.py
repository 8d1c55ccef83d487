"""``python -m paramcalc``."""

from paramcalc.cli import main

main()
