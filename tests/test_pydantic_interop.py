"""Specs are pydantic models: a user's own pydantic config can hold one, validate it, dump it and
describe it in JSON Schema, with pydantic's public API only."""

from __future__ import annotations

import json

import pydantic
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from paramcalc import LSTM, Conv2d, SpecError, parse_layer
from paramcalc.keras_layers import Dense
from paramcalc.specs.blocks import DecoderBlock


class TrainConfig(BaseModel):
    """A user's config with a layer in it."""

    layer: LSTM
    lr: float = 1e-3


def test_a_spec_is_a_field_of_a_users_model() -> None:
    config = TrainConfig(layer={"input_size": 100, "hidden_size": 128, "num_layers": 2})
    assert config.layer == LSTM(100, 128, num_layers=2)
    # torch.nn.LSTM(100, 128, num_layers=2): 4·(128·100 + 128·128 + 2·128) + 4·(128·128 + 128·128 + 2·128)
    assert config.layer.count().total == 117_760 + 4 * (2 * 128 * 128 + 2 * 128)


def test_a_users_model_round_trips_through_json() -> None:
    config = TrainConfig(layer=LSTM(100, 128))
    again = TrainConfig.model_validate_json(config.model_dump_json())
    assert again == config
    assert json.loads(config.model_dump_json())["layer"]["type"] == "LSTM"


def test_create_model_and_type_adapter_take_a_spec_type() -> None:
    spec = parse_layer("Conv2d(3, 64, 3)")
    cfg = pydantic.create_model("Cfg", layer=(type(spec), ...))
    assert cfg(layer=spec).layer.count().total == 3 * 64 * 9 + 64  # weight 64×3×3×3 + bias 64
    adapter = TypeAdapter(Conv2d)
    assert adapter.validate_python({"in_channels": 3, "out_channels": 64, "kernel_size": 3}) == spec
    assert adapter.json_schema()["properties"]["type"]["const"] == "Conv2d"


def test_a_users_model_refuses_what_the_layer_refuses() -> None:
    with pytest.raises(ValidationError):
        TrainConfig(layer={"input_size": 100})  # hidden_size is required
    with pytest.raises(SpecError, match="hidden_size"):
        LSTM(100)


@pytest.mark.parametrize("spec", [Dense(units=10), DecoderBlock(d_model=64, nhead=4)], ids=["keras", "block"])
def test_keras_and_block_specs_are_fields_too(spec: BaseModel) -> None:
    holder = pydantic.create_model("Holder", layer=(type(spec), ...))
    assert holder(layer=spec).layer is spec
    schema = holder.model_json_schema()
    assert "layer" in schema["properties"]
