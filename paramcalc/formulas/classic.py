"""Layers of the classic papers as they describe them: LeNet-5's trainable subsampling, its sparse C3
connection table, its Euclidean RBF output units, and Keras 2's locally connected layers."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError

#: LeNet-5's C3 connection table (LeCun et al. 1998, Table I): the S2 maps each C3 map reads.
LENET5_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)


def subsampling_params(*, channels: int) -> int:
    """LeNet-5's subsampling layer (S2, S4): each map sums a window, times one trainable coefficient, plus one
    trainable bias.

    Formula: 2·C.
    """
    return 2 * channels


def sparse_conv_params(*, table: tuple[tuple[int, ...], ...], kernel_size: tuple[int, ...], bias: bool = True) -> int:
    """A convolution whose output map o reads only the input maps table[o] (LeNet-5's C3).

    Formula: Σ_o k_1·…·k_n·|table[o]| + C_out (one bias per output map); LeNet-5's C3: 25·60 + 16 = 1,516.
    """
    return prod(kernel_size) * sum(len(maps) for maps in table) + (len(table) if bias else 0)


def rbf_params(*, in_features: int, out_features: int) -> int:
    """Euclidean RBF output units: one parameter vector of in_features per class, y_i = Σ_j (x_j − w_ij)².

    Formula: I·O (no bias); LeNet-5's output layer: 84·10 = 840.
    """
    return in_features * out_features


def locally_connected_params(
    *, output_positions: tuple[int, ...], kernel_size: tuple[int, ...], in_channels: int, filters: int,
    bias: bool = True,
) -> int:
    """Keras 2's LocallyConnected1D/2D: a convolution whose weights are not shared, one filter bank per output
    position.

    Formula: P·(k_1·…·k_n·C_in·F) + P·F (bias per position and filter), P = the number of output positions.
    """
    positions = prod(output_positions)
    return positions * prod(kernel_size) * in_channels * filters + (positions * filters if bias else 0)


def check_table(table: tuple[tuple[int, ...], ...], in_channels: int) -> None:
    """A connection table names existing input maps, each at most once per output map, and none is empty.

    Raises:
        SpecError: the rule broken, with the offending output map.
    """
    for o, maps in enumerate(table):
        if not maps:
            raise SpecError(f"table: every output map reads at least one input map. Received: table[{o}] = ()")
        if len(set(maps)) != len(maps):
            raise SpecError(f"table: an input map is listed twice. Received: table[{o}] = {maps}")
        if min(maps) < 0 or max(maps) >= in_channels:
            raise SpecError(
                f"table: input maps must be 0 … {in_channels - 1} (in_channels={in_channels}). "
                f"Received: table[{o}] = {maps}"
            )
