"""Which spec names may become Python names: shared by lowering (which reports them) and the code
generator (which relies on them)."""

from __future__ import annotations

import keyword

# Attribute names an nn.Module already has: a layer named like this would break the generated class.
_MODULE_ATTRIBUTES = frozenset(["add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules", "named_parameters", "parameters", "register_buffer", "register_module", "register_parameter", "requires_grad_", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad"])


def check_python_name(name: str) -> str | None:
    """Why name cannot become a Python attribute or variable, or None when it can."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"`{name}` is a Python keyword"
    if name.startswith("_"):
        return f"`{name}` starts with `_`, which generated code reserves"
    if name in _MODULE_ATTRIBUTES:
        return f"`{name}` is an attribute every nn.Module already has"
    return None
