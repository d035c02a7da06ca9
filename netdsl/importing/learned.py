"""A parameter's or buffer's initial values as a spec can write them: the spec cannot know how a tensor
was initialised, only what it holds now, so only what is exact is written — one value everywhere
(`zeros`, `ones`, `constant(0.5)`) or a triangle of ones (`ones -> tril`, a causal mask)."""

from __future__ import annotations

from ..schema import format_value

# Stages after `ones` that make a 0/1 mask, each with the torch function that computes it.
_MASKS = ("tril", "triu")


def initial_values(tensor) -> str | None:
    """The initialiser (and stages) that make exactly `tensor`'s values, or None."""
    import torch
    values = tensor.detach()
    if values.numel() == 0:
        return "zeros"
    first = values.reshape(-1)[0]
    if bool((values == first).all()):
        value = float(first)
        return "zeros" if value == 0 else "ones" if value == 1 else f"constant({format_value(value)})"
    if values.dim() >= 2:
        ones = torch.ones_like(values)
        for stage in _MASKS:
            if torch.equal(values, getattr(torch, stage)(ones)):
                return f"ones -> {stage}"
    return None
