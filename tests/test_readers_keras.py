"""Keras models read from model.to_json() and from .keras archives written by model.save(): the
totals and the trainable / non-trainable split equal Keras's own count_params() and weights."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import require
from paramcalc.cli import app
from paramcalc.errors import ModelError
from paramcalc.readers import detect_format, summarize

keras = require("keras")
L = keras.layers
runner = CliRunner()
PLAIN = {"COLUMNS": "80", "LINES": "50", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def trainable(model: object) -> int:
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def sequential() -> object:
    return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(8, 3, activation="relu"), L.BatchNormalization(),
                             L.MaxPooling2D(), L.Flatten(), L.Dropout(0.5), L.Dense(10, activation="softmax")])


def shared() -> object:
    x = keras.Input((16,))
    dense = L.Dense(16, activation="relu")
    y = dense(dense(x))  # one layer called twice: its weights counted once
    return keras.Model(x, L.Dense(3)(y))


def nested() -> object:
    inner = keras.Sequential([L.Dense(8), L.LayerNormalization(), L.Dense(4)], name="inner")
    inner.trainable = False
    return keras.Sequential([keras.Input((5,)), inner, L.Dense(2)])


def recurrent() -> object:
    return keras.Sequential([keras.Input((12,)), L.Embedding(50, 8), L.Bidirectional(L.LSTM(6, return_sequences=True)),
                             L.GRU(5), L.Dense(1)])


def residual() -> object:
    x = keras.Input((8, 8, 3))
    y = L.Conv2D(16, 3, padding="same")(x)
    z = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(16, 3, padding="same")(y)))
    y = L.Add()([y, z])  # a ResNet-style shortcut
    w = L.Concatenate()([y, L.Conv2D(8, 1)(y), L.MaxPooling2D(1)(y)])  # Inception-style branches
    return keras.Model(x, L.Dense(4)(L.GlobalAveragePooling2D()(w)))


def attention() -> object:
    x = keras.Input((6, 16))
    y = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)  # query and value: one layer, two inputs
    y = L.LayerNormalization()(L.Add()([x, y]))
    return keras.Model(x, L.Dense(3)(L.Average()([y, L.Dense(16)(y)])))


MODELS = {"sequential": sequential, "shared": shared, "nested": nested, "recurrent": recurrent, "residual": residual,
          "attention": attention}


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("form", ["json", "keras"])
def test_keras_models_count_as_keras_does(tmp_path: Path, name: str, form: str) -> None:
    model = MODELS[name]()
    path = tmp_path / f"m.{form}"
    if form == "json":
        path.write_text(model.to_json())
    else:
        model.save(path)
    assert detect_format(path) == "keras"
    summary = summarize(path)
    assert (summary.total, summary.totals.trainable) == (model.count_params(), trainable(model))
    assert summary.convention == "keras" and summary.exact
    assert summary.output_shape == tuple(model.compute_output_shape((1, *model.inputs[0].shape[1:])))


@pytest.mark.parametrize("name", ["VGG16", "VGG19"])
def test_keras_applications(tmp_path: Path, name: str) -> None:
    model = getattr(keras.applications, name)(weights=None)
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    summary = summarize(path)
    assert summary.total == model.count_params()  # 138,357,544 for VGG16, as Keras's documentation lists


def test_a_keras_archive_is_read_for_its_config_only(tmp_path: Path) -> None:
    path = tmp_path / "m.keras"
    sequential().save(path)
    with zipfile.ZipFile(path) as archive:
        assert "model.weights.h5" in archive.namelist()
    bare = tmp_path / "bare.keras"
    with zipfile.ZipFile(bare, "w") as archive:
        archive.writestr("metadata.json", "{}")
    with pytest.raises(ModelError, match="holds config.json"):
        summarize(bare)


def test_what_is_not_read_is_one_line(tmp_path: Path) -> None:
    a, b = keras.Input((4,)), keras.Input((4,))
    two_inputs = keras.Model([a, b], L.Add()([L.Dense(4)(a), L.Dense(4)(b)]))
    odd = keras.Sequential([keras.Input((4,)), L.Dense(3), L.ActivityRegularization()])
    for model, message in ((two_inputs, "one input are read; this one has 2"),
                           (odd, "'ActivityRegularization' is not one paramcalc counts")):
        path = tmp_path / "m.json"
        path.write_text(model.to_json())
        with pytest.raises(ModelError, match=message):
            summarize(path)
        result = runner.invoke(app, ["summary", str(path)], env=PLAIN)
        assert result.exit_code == 2 and result.stdout == "" and result.stderr.count("\n") == 1


def test_commands_read_keras_json(tmp_path: Path) -> None:
    model = sequential()
    path = tmp_path / "m.json"
    path.write_text(model.to_json())
    data = json.loads(runner.invoke(app, ["summary", str(path), "--json"], env=PLAIN).stdout)
    assert data["totals"]["total"] == model.count_params() and data["convention"] == "keras"
    result = runner.invoke(app, ["check", str(path), "--params", str(model.count_params())], env=PLAIN)
    assert result.exit_code == 0
