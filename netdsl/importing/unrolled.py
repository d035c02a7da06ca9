"""torch.nn containers whose forward torch.fx cannot trace — nn.TransformerEncoder checks its inputs
with Python `if`s to choose a fused "fast path" — traced along a forward of ours that computes what
theirs computes when no mask is given: the layers in order, then the norm. What that forward cannot
say (masks, causal hints) is refused, never approximated."""

from __future__ import annotations

import functools


class Refused(Exception):
    """A call of a container that the importer does not write: the reason, for the user."""


def _no_masks(container: str, **given) -> None:
    passed = [name for name, value in given.items() if value is not None and value is not False]
    if passed:
        raise Refused(f"{container} is called with {', '.join(f'`{n}`' for n in passed)}: the importer writes its "
                      f"layers without masks (torch checks a mask's values to choose its path)")


def _encoder(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
    # With no mask torch runs each layer as `layer(src, src_mask=None, is_causal=False)`, then the norm.
    _no_masks("nn.TransformerEncoder", mask=mask, src_key_padding_mask=src_key_padding_mask, is_causal=is_causal)
    for layer in self.layers:
        src = layer(src)
    return src if self.norm is None else self.norm(src)


def _decoder(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
             memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
    _no_masks("nn.TransformerDecoder", tgt_mask=tgt_mask, memory_mask=memory_mask,
              tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
              tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
    for layer in self.layers:
        tgt = layer(tgt, memory)
    return tgt if self.norm is None else self.norm(tgt)


def _transformer(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                 tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                 memory_is_causal=False):
    _no_masks("nn.Transformer", src_mask=src_mask, tgt_mask=tgt_mask, memory_mask=memory_mask,
              src_key_padding_mask=src_key_padding_mask, tgt_key_padding_mask=tgt_key_padding_mask,
              memory_key_padding_mask=memory_key_padding_mask, src_is_causal=src_is_causal,
              tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
    return self.decoder(tgt, self.encoder(src))


def replica(module):
    """The container as the model: an instance of a class whose forward is ours (torch.fx traces the root's
    class's forward) holding the same children under the same names, so the same state_dict keys."""
    from torch import nn
    cls = type(type(module).__name__, (nn.Module,), {"forward": unrolled(type(module))})
    copy = object.__new__(cls)
    copy.__dict__ = dict(vars(module))   # its children, settings and `norm = None`
    return copy


def unrolled(cls):
    """Our forward for a torch.nn container class, or None."""
    return _table().get(cls)


@functools.cache
def _table() -> dict:
    from torch import nn
    return {nn.TransformerEncoder: _encoder, nn.TransformerDecoder: _decoder, nn.Transformer: _transformer}
