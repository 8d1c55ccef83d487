"""Whole models: the model-file format (pydantic), its evaluation into summaries, presets, and readers
of other formats (the text ``print(model)`` shows). Data only: no Rich (see :mod:`paramcalc.render`).

- :mod:`paramcalc.models.format`: :class:`Model`, :func:`load_model`, :func:`summarize`, reading files;
- :mod:`paramcalc.models.nodes`: the entries of a layer list (layers, blocks, parallel, shared);
- :mod:`paramcalc.models.evaluate`: shapes, counts and rows;
- :mod:`paramcalc.models.summary`: :class:`Summary` and its rows;
- :mod:`paramcalc.models.schema`: the JSON Schema of model files;
- :mod:`paramcalc.models.presets`: famous architectures shipped as model files (in ``data/``);
- :mod:`paramcalc.models.torchprint`: summaries from PyTorch's ``print(model)`` text;
- :mod:`paramcalc.models.validation`: pydantic's errors in paramcalc's words.
"""
