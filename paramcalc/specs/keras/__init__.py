"""Keras 3 layers as specs: Keras class names, argument names, defaults and layouts.

A Keras layer does not state its input size; it takes it from the input shape it is built on
(batch dimension included, channels_last, recurrent inputs (batch, time, features)). The shape is
given with the query (``count(convention, input_shape=...)``, ``output_shape(...)``) or, as Keras
allows, in the layer's own ``input_shape`` argument (without the batch dimension).

Names shared with PyTorch (LSTM, GRU, Embedding, Flatten, Dropout) are told apart by their
arguments in :func:`choose`; a ``keras.`` prefix on the ``type`` tag keeps them apart in data.
One module per family: core, activation, conv, depthwise, local (Keras 2's locally connected
layers), pool, norm, scaling, recurrent, conv_recurrent, wrappers, attention, merge, reshaping.
"""

from paramcalc.specs.keras.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from paramcalc.specs.keras.attention import GroupQueryAttention, MultiHeadAttention
from paramcalc.specs.keras.base import IGNORED_KERAS_ARGUMENTS, IGNORED_KERAS_SUFFIXES, KerasLayer
from paramcalc.specs.keras.calls import build, build_from_mapping, choose
from paramcalc.specs.keras.conv import Conv1D, Conv1DTranspose, Conv2D, Conv2DTranspose, Conv3D, Conv3DTranspose
from paramcalc.specs.keras.core import Activation, Dense, Dropout, Embedding, Flatten
from paramcalc.specs.keras.conv_recurrent import ConvLSTM1D, ConvLSTM2D
from paramcalc.specs.keras.depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from paramcalc.specs.keras.merge import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from paramcalc.specs.keras.local import LocallyConnected1D, LocallyConnected2D
from paramcalc.specs.keras.norm import BatchNormalization, GroupNormalization, LayerNormalization, RMSNormalization
from paramcalc.specs.keras.pool import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from paramcalc.specs.keras.scaling import Normalization, Rescaling, UnitNormalization
from paramcalc.specs.keras.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    Reshape,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from paramcalc.specs.keras.recurrent import GRU, LSTM, Bidirectional, KerasRecurrent, SimpleRNN
from paramcalc.specs.keras.wrappers import TimeDistributed

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
        Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot,
        DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D,
        ZeroPadding1D, ZeroPadding2D, ZeroPadding3D, Cropping1D, Cropping2D, Cropping3D,
        UpSampling1D, UpSampling2D, UpSampling3D, Reshape, Permute, RepeatVector,
        GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D,
        ReLU, LeakyReLU, PReLU, ELU, Softmax, Normalization, UnitNormalization, Rescaling,
        TimeDistributed, ConvLSTM1D, ConvLSTM2D,
    )
}

__all__ = [
    "KERAS_LAYERS", "IGNORED_KERAS_ARGUMENTS", "IGNORED_KERAS_SUFFIXES", "KerasLayer", "KerasRecurrent",
    "build", "build_from_mapping", "choose", *KERAS_LAYERS,
]
