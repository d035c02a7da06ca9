"""Which spec names may become Python names: shared by lowering (which reports them) and the code
generator (which relies on them)."""

from __future__ import annotations

import keyword

# Every public name of torch.nn.Module (`dir(nn.Module)` and its class annotations, torch 2.13): a layer
# or tensor named like this would shadow it in the generated class. Written out because `netdsl check`
# never imports torch; tests/test_injection.py compares it with the installed torch.
MODULE_ATTRIBUTES = frozenset("""
T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double
dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu
load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters
register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to
to_empty train training type xpu zero_grad""".split())


def check_python_name(name: str) -> str | None:
    """Why name cannot become a Python attribute or variable, or None when it can."""
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"`{name}` is a Python keyword"
    if name.startswith("_"):
        return f"`{name}` starts with `_`, which generated code reserves"
    if name in MODULE_ATTRIBUTES:
        return f"`{name}` is an attribute every nn.Module already has"
    return None
