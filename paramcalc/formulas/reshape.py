"""Reshaping without weights: Unflatten."""

from __future__ import annotations

from math import prod

from paramcalc.errors import SpecError


def unflatten_output_shape(*, input_shape: tuple[int, ...], dim: int, sizes: tuple[int, ...]) -> tuple[int, ...]:
    """Output shape of ``nn.Unflatten(dim, sizes)``.

    Formula: (…, n, …) → (…, s_1, …, s_k, …) with s_1·…·s_k = n at position dim; one s_i may be −1,
    and is then n divided by the product of the others (which must divide it and not be 0).
    """
    x = tuple(input_shape)
    if not x:
        raise SpecError(f"Unflatten: a 0-dimensional input has no dimension to unflatten. Received: dim={dim}")
    rank = len(x)
    if not -rank <= dim < rank:
        raise SpecError(
            f"Unflatten: dim out of range (expected to be in [{-rank}, {rank - 1}]). Received: dim={dim}, input_shape={x}"
        )
    axis = dim % rank
    n = x[axis]
    known = prod(s for s in sizes if s != -1)
    if -1 in sizes:
        if known == 0 or n % known:
            raise SpecError(
                f"Unflatten: the sizes other than -1 must multiply to a divisor of dimension {axis} "
                f"(their product {known} into {n}). Received: unflattened_size={sizes}, input_shape={x}"
            )
        sizes = tuple(n // known if s == -1 else s for s in sizes)
    elif known != n:
        raise SpecError(
            f"Unflatten: unflattened_size must multiply to the size of dimension {axis} "
            f"({' · '.join(map(str, sizes))} = {known}, not {n}). Received: unflattened_size={sizes}, input_shape={x}"
        )
    return (*x[:axis], *sizes, *x[axis + 1:])
