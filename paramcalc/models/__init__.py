"""Whole models: the model-file format (pydantic), its evaluation into summaries, and presets. Data
only: no Rich (see :mod:`paramcalc.render`); readers of other formats are in :mod:`paramcalc.readers`.

- :mod:`paramcalc.models.format`: :class:`Model`, :func:`load_model`, :func:`summarize`, reading files;
- :mod:`paramcalc.models.nodes`: the entries of a layer list (layers, blocks, parallel, shared);
- :mod:`paramcalc.models.evaluate`: shapes, counts and rows;
- :mod:`paramcalc.models.summary`: :class:`Summary` and its rows;
- :mod:`paramcalc.models.schema`: the JSON Schema of model files;
- :mod:`paramcalc.models.presets`: famous architectures shipped as model files (in ``data/``);
- :mod:`paramcalc.models.validation`: pydantic's errors in paramcalc's words.
"""
