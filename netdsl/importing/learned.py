"""A parameter's or buffer's initial values as a spec can write them: the spec cannot know how a tensor
was initialised, only what it holds now, so only what is exact is written — one value everywhere
(`zeros`, `ones`, `constant(0.5)`) or a triangle of ones (`ones -> tril`, a causal mask). And which
tensors a spec cannot declare at all."""

from __future__ import annotations

from ..schema import format_value

# Stages after `ones` that make a 0/1 mask, each with the torch function that computes it.
_MASKS = ("tril", "triu")


def not_declarable(tensor, buffer: bool, transient: bool) -> str | None:
    """Why a spec's `param` or `buffer` cannot be this tensor, if it cannot."""
    if not tensor.is_floating_point():
        return f"a {tensor.dtype} tensor: a spec's parameters and buffers are floating point"
    if not buffer and not tensor.requires_grad:
        return "a parameter that is not trained (requires_grad=False): a spec's `param` is trained; register it " \
               "as a buffer to keep it fixed"
    if transient:
        return "a buffer registered with persistent=False: a spec's buffer is in the state_dict"
    return None


def initial_values(tensor) -> str | None:
    """The initialiser (and stages) that make exactly `tensor`'s values, or None."""
    import torch
    values = tensor.detach()
    if values.numel() == 0:
        return "zeros"
    first = values.reshape(-1)[0]
    if bool((values == first).all()):
        value = float(first)
        return "zeros" if value == 0 else "ones" if value == 1 else f"constant({_shortest(value, values.dtype)})"
    if values.dim() >= 2:
        ones = torch.ones_like(values)
        for stage in _MASKS:
            if torch.equal(values, getattr(torch, stage)(ones)):
                return f"ones -> {stage}"
    return None


def _shortest(value: float, dtype) -> str:
    """The shortest decimal that is `value` in the tensor's dtype: 0.0001 for float32's 9.999999747378752e-05."""
    import torch
    for digits in range(1, 18):
        text = format_value(float(f"{value:.{digits}g}"))
        if torch.tensor(float(text), dtype=dtype).item() == value:
            return text
    return format_value(value)
