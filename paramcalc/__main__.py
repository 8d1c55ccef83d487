"""``python -m paramcalc``."""

from paramcalc.entry import main

main()
