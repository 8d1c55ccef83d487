"""Normalisation layers: BatchNorm, LayerNorm and GroupNorm."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError


def batchnorm_params(*, num_features: int, affine: bool = True, bias: bool = True) -> int:
    """Learnable parameters of BatchNorm: gamma (weight) and beta (bias).

    Formula: C (weight) + C (bias) = 2 · C when affine; C when affine without bias; 0 without
    affine (bias then changes nothing).
    """
    if not affine:
        return 0
    return 2 * num_features if bias else num_features


def batchnorm_buffers(*, num_features: int, track_running_stats: bool = True) -> int:
    """Buffers of PyTorch BatchNorm: running_mean, running_var (C each) and num_batches_tracked (1).

    Formula: 2 · C + 1 when track_running_stats, else 0.
    """
    return 2 * num_features + 1 if track_running_stats else 0


def layernorm_params(
    *, normalized_shape: tuple[int, ...], elementwise_affine: bool = True, bias: bool = True
) -> int:
    """Parameters of LayerNorm over ``normalized_shape`` (d = product of its dims).

    Formula: d (weight) + d (bias) when elementwise_affine; d without bias; 0 without affine.
    """
    if not elementwise_affine:
        return 0
    d = prod(normalized_shape)
    return 2 * d if bias else d


def groupnorm_params(*, num_groups: int, num_channels: int, affine: bool = True, bias: bool = True) -> int:
    """Parameters of GroupNorm: a scale (weight) and a shift (bias) per channel.

    Formula: C (weight) + C (bias) = 2 · C when affine; C when affine without bias; 0 without
    affine. The number of groups G does not change the count (it must divide C).
    """
    if num_groups < 1 or num_channels % num_groups:
        raise SpecError(
            f"GroupNorm: num_channels must be divisible by num_groups. "
            f"Received: num_channels={num_channels}, num_groups={num_groups}"
        )
    if not affine:
        return 0
    return 2 * num_channels if bias else num_channels


def instancenorm_params(*, num_features: int, affine: bool = False, bias: bool = True) -> int:
    """Learnable parameters of InstanceNorm: a scale (weight) and a shift (bias) per channel.

    Formula: C (weight) + C (bias) = 2 · C when affine (off by default); C when affine without
    bias; 0 without affine.
    """
    if not affine:
        return 0
    return 2 * num_features if bias else num_features


def instancenorm_buffers(*, num_features: int, track_running_stats: bool = False) -> int:
    """Buffers of PyTorch InstanceNorm: running_mean, running_var (C each) and num_batches_tracked (1).

    Formula: 2 · C + 1 when track_running_stats (off by default), else 0.
    """
    return 2 * num_features + 1 if track_running_stats else 0
