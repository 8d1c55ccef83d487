"""Rendering: Rich tables and JSON documents of paramcalc's results (the only Rich importer besides the CLI).

One module per kind of result: :mod:`paramcalc.render.summary` (model summaries),
:mod:`paramcalc.render.check` (checked answers and problem sheets), :mod:`paramcalc.render.layer`
(the layer report). Each registers its results' forms when loaded (:mod:`paramcalc.forms`).
"""
