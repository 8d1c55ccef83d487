"""keras.applications networks (weights=None: no download) built by Keras itself and compared with
paramcalc's model files of them, written layer by layer from the applications' source: total,
trainable and non-trainable parameters as count_params() and the weights give them, every layer's
output shape, and the output of the whole model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import require

import paramcalc

keras = require("keras")

pytestmark = [pytest.mark.crosscheck]

ZOO = Path(__file__).parent / "data" / "keras_zoo"


def split(model: Any) -> tuple[int, int]:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return trainable, frozen


@pytest.mark.parametrize(("file", "build", "published"), [
    # published totals: the Keras Applications table (MobileNetV2 3.5M, Xception 22.9M, DenseNet121 8.1M)
    ("mobilenet_v2.yaml", lambda: keras.applications.MobileNetV2(weights=None), 3_538_984),
    ("xception.yaml", lambda: keras.applications.Xception(weights=None), 22_910_480),
    ("densenet121.yaml", lambda: keras.applications.DenseNet121(weights=None), 8_062_504),
])
def test_keras_applications_equal_model_files(file: str, build: Any, published: int, tmp_path: Path) -> None:
    model = build()
    trainable, frozen = split(model)
    assert model.count_params() == trainable + frozen == published
    s = paramcalc.summarize(ZOO / file)
    assert s.convention == "keras"
    assert (s.totals.trainable, s.totals.non_trainable) == (trainable, frozen)
    assert s.output_shape == tuple(model.output.shape)
    # every layer with weights, in order, has Keras's output shape (a repeated block once per copy)
    ours = [r.output_shape for r in s.rows if r.leaf and r.count.total for _ in range(r.repeat)]
    theirs = [tuple(layer.output.shape) for layer in model.layers if layer.count_params()]
    assert ours == theirs
    # the same network read from its own model.to_json()
    saved = tmp_path / "model.json"
    saved.write_text(model.to_json(), encoding="utf-8")
    read = paramcalc.summarize(saved)
    assert (read.totals.trainable, read.totals.non_trainable) == (trainable, frozen)
    assert read.output_shape[1:] == tuple(model.output.shape)[1:]  # (the reader takes a batch of 1)
