"""Keras 3 layers as specs: Keras class names, argument names, defaults and layouts.

A Keras layer does not state its input size; it takes it from the input shape it is built on
(batch dimension included, channels_last, recurrent inputs (batch, time, features)). The shape is
given with the query (``count(convention, input_shape=...)``, ``output_shape(...)``) or, as Keras
allows, in the layer's own ``input_shape`` argument (without the batch dimension).

Names shared with PyTorch (LSTM, GRU, Embedding, Flatten, Dropout) are told apart by their
arguments in :func:`choose`; a ``keras.`` prefix on the ``type`` tag keeps them apart in data.
One module per family: core, conv, local (Keras 2's locally connected layers), pool, norm, recurrent,
attention.
"""

from paramcalc.specs.keras.attention import GroupQueryAttention, MultiHeadAttention
from paramcalc.specs.keras.base import IGNORED_KERAS_ARGUMENTS, IGNORED_KERAS_SUFFIXES, KerasLayer
from paramcalc.specs.keras.calls import build, build_from_mapping, choose
from paramcalc.specs.keras.conv import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose
from paramcalc.specs.keras.core import Activation, Dense, Dropout, Embedding, Flatten
from paramcalc.specs.keras.local import LocallyConnected1D, LocallyConnected2D
from paramcalc.specs.keras.norm import BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization
from paramcalc.specs.keras.pool import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from paramcalc.specs.keras.recurrent import GRU, LSTM, Bidirectional, KerasRecurrent, SimpleRNN

#: Every Keras layer spec by its Keras class name.
KERAS_LAYERS: dict[str, type[KerasLayer]] = {
    cls.__name__: cls
    for cls in (
        Dense,
        Conv1D, Conv2D, Conv3D, Conv1DTranspose, Conv2DTranspose, Conv3DTranspose,
        LocallyConnected1D, LocallyConnected2D,
        MaxPooling1D, MaxPooling2D, MaxPooling3D, AveragePooling1D, AveragePooling2D, AveragePooling3D,
        GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D,
        BatchNormalization, LayerNormalization, RMSNormalization, GroupNormalization,
        Embedding,
        SimpleRNN, LSTM, GRU, Bidirectional,
        MultiHeadAttention, GroupQueryAttention,
        Flatten, Dropout, Activation,
    )
}

__all__ = [
    "KERAS_LAYERS", "IGNORED_KERAS_ARGUMENTS", "IGNORED_KERAS_SUFFIXES", "KerasLayer", "KerasRecurrent",
    "build", "build_from_mapping", "choose", *KERAS_LAYERS,
]
