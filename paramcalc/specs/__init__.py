"""Layer specifications: frozen pydantic models named and parameterised like their torch.nn classes.

A spec is data. It validates its arguments as torch does (whatever torch rejects at construction,
or for every input when it runs, is a :class:`SpecError` here) and knows the formulas of its family.
Each family lives in its own module (linear, conv, pool, norm, recurrent, attention, activation),
with its specs, counts, shapes, worked formulas, compute and other frameworks' equivalents; this
package re-exports them and lists them in :data:`TORCH_LAYERS`.
"""

from paramcalc.specs.base import (  # noqa: F401 - re-exported
    Shape,
    PosInt,
    NonNegInt,
    StrictBool,
    Probability,
    StrictProbability,
    IntTuple,
    Convention,
    LayerSpec,
    describe_problem,
    rule_text,
    STACK_FIELDS,
    _as_tuple,
    _tuple_validator,
    _check_all,
)


from paramcalc.specs.linear import Dropout, Embedding, Flatten, Identity, Linear
from paramcalc.specs.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from paramcalc.specs.pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from paramcalc.specs.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm
from paramcalc.specs.recurrent import GRU, LSTM, RNN
from paramcalc.specs.attention import (
    MultiheadAttention,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from paramcalc.specs.activation import GELU, ReLU, Sigmoid, Softmax, Tanh


#: Every PyTorch layer spec by its class name, in the order listings show them.
TORCH_LAYERS: dict[str, type[LayerSpec]] = {
    cls.__name__: cls
    for cls in (
        Linear,
        Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d,
        MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d,
        AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d,
        BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm,
        Embedding,
        RNN, LSTM, GRU,
        MultiheadAttention, TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
        Flatten, Dropout, Identity, ReLU, GELU, Tanh, Sigmoid, Softmax,
    )
}

# The building blocks of modern architectures (RMSNorm, SwiGLU, attention variants, ...) live in
# paramcalc.specs.blocks, one module per family.
from paramcalc.specs.blocks import BLOCK_LAYERS  # noqa: E402

TORCH_LAYERS.update(BLOCK_LAYERS)
