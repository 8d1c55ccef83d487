"""The layer families' general formulas in one catalogue, for ``paramcalc formula``.

Each family's formulas are written in its own module (``CONV_FAMILY`` in :mod:`paramcalc.specs.conv`,
...) and each layer class points to its family (``family``); this module only lists them.
"""

from __future__ import annotations


from paramcalc.errors import SpecError, closest_names
from paramcalc.specs.activation import PRELU_FAMILY
from paramcalc.specs.attention import ATTENTION_FAMILY, TRANSFORMER_FAMILY
from paramcalc.specs.base import NO_PARAMS_FAMILY
from paramcalc.specs.blocks.attention import SELF_ATTENTION_FAMILY
from paramcalc.specs.blocks.decoder import DECODER_BLOCK_FAMILY
from paramcalc.specs.blocks.mlp import FEED_FORWARD_FAMILY
from paramcalc.specs.blocks.norm import RMSNORM_FAMILY
from paramcalc.specs.blocks.vision import PATCH_EMBEDDING_FAMILY
from paramcalc.specs.classic import RBF_FAMILY, SPARSE_CONV_FAMILY, SUBSAMPLING_FAMILY
from paramcalc.specs.conv import CONV_FAMILY, CONV_TRANSPOSE_FAMILY
from paramcalc.specs.keras.conv_recurrent import CONV_LSTM_FAMILY
from paramcalc.specs.keras.depthwise import DEPTHWISE_FAMILY
from paramcalc.specs.keras.local import LOCAL_FAMILY
from paramcalc.specs.keras.merge import MERGE_FAMILY
from paramcalc.specs.keras.reshaping import RESHAPING_FAMILY
from paramcalc.specs.keras.scaling import SCALING_FAMILY
from paramcalc.specs.keras.wrappers import TIME_DISTRIBUTED_FAMILY
from paramcalc.specs.linear import BILINEAR_FAMILY, EMBEDDING_BAG_FAMILY, EMBEDDING_FAMILY, LINEAR_FAMILY
from paramcalc.specs.padding import PADDING_FAMILY
from paramcalc.specs.cells import CELL_FAMILY
from paramcalc.specs.instance_norm import INSTANCENORM_FAMILY
from paramcalc.specs.norm import BATCHNORM_FAMILY, GROUPNORM_FAMILY, LAYERNORM_FAMILY
from paramcalc.specs.pool import ADAPTIVE_POOL_FAMILY, POOL_FAMILY
from paramcalc.specs.recurrent import GRU_FAMILY, LSTM_FAMILY, RNN_FAMILY
from paramcalc.specs.upsample import UPSAMPLE_FAMILY
from paramcalc.specs.working import Family

FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        LINEAR_FAMILY, BILINEAR_FAMILY, CONV_FAMILY, CONV_TRANSPOSE_FAMILY, POOL_FAMILY,
        ADAPTIVE_POOL_FAMILY,
        BATCHNORM_FAMILY, LAYERNORM_FAMILY, GROUPNORM_FAMILY, INSTANCENORM_FAMILY, EMBEDDING_FAMILY,
        EMBEDDING_BAG_FAMILY, RNN_FAMILY, LSTM_FAMILY,
        GRU_FAMILY, CELL_FAMILY, ATTENTION_FAMILY, SELF_ATTENTION_FAMILY, TRANSFORMER_FAMILY, RMSNORM_FAMILY,
        FEED_FORWARD_FAMILY, DECODER_BLOCK_FAMILY, PATCH_EMBEDDING_FAMILY, PRELU_FAMILY, PADDING_FAMILY, UPSAMPLE_FAMILY,
        SUBSAMPLING_FAMILY, SPARSE_CONV_FAMILY, RBF_FAMILY, LOCAL_FAMILY, NO_PARAMS_FAMILY, MERGE_FAMILY,
        DEPTHWISE_FAMILY, RESHAPING_FAMILY, SCALING_FAMILY, CONV_LSTM_FAMILY, TIME_DISTRIBUTED_FAMILY,
    )
}

#: Layer name (PyTorch or Keras) → family name.
FAMILY_OF: dict[str, str] = {layer: fam.name for fam in FAMILIES.values() for layer in fam.layers}
FAMILY_OF["Bidirectional"] = "rnn"


def find_family(name: str) -> Family:
    """The family called ``name``, or the family of a layer called ``name`` (any case).

    Raises:
        SpecError: no family or layer has that name; the message names the closest ones.
    """
    key = name.strip().lower().replace("-", "_")
    for fam in FAMILIES.values():
        if key == fam.name:
            return fam
    for layer, fam_name in FAMILY_OF.items():
        if key == layer.lower():
            return FAMILIES[fam_name]
    known = list(FAMILIES) + sorted({n.lower() for n in FAMILY_OF})
    close = closest_names(key, known)
    hint = f" Did you mean {' or '.join(close)}?" if close else f" Known families: {', '.join(FAMILIES)}."
    raise SpecError(f"formula: unknown family or layer {name!r}.{hint}")
