"""The one table of layer kinds. Every stage — checker, summary, code generator, builder,
renderer — looks kinds up here and nowhere else; adding a kind touches one place."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict

from .shapes import Shape


class Args(BaseModel):
    """Base of every argument schema. Strict: a spec's `5.0` is not silently an int.
    defer_build keeps start-up cheap: a schema is built the first time its kind is used."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


def changed(args: Args, *names: str) -> dict[str, Any]:
    """The named arguments whose value differs from its default, in the order given."""
    fields = type(args).model_fields
    return {n: getattr(args, n) for n in names if getattr(args, n) != fields[n].default}


def _no_count(args: Args, inputs: tuple[Shape, ...]) -> int:
    return 0


def _no_macs(args: Args, inputs: tuple[Shape, ...], output: Shape) -> int:
    return 0


@dataclass(frozen=True)
class LayerKind:
    name: str                                   # the DSL keyword: "conv2d"
    args: type[Args]                            # names, types, defaults and bounds
    infer: Callable[[Any, tuple[Shape, ...]], Shape]   # raises ShapeError
    prefix: str                                 # generated layer names: conv1, conv2, ...
    positional: tuple[str, ...] = ()            # argument order for positional use
    aliases: dict[str, str] = field(default_factory=dict)  # short names: kernel → kernel_size
    inputs: int | None = 1                      # tensors consumed; None: one or more
    commutative: bool = False                   # the order of several tensor inputs does not matter (add, mul)
    # The torch op returns several tensors (chunk, split, unbind). Every IR node stays single-output:
    # `a, b = x -> chunk(2)` lowers to one node per name, each with its `index` argument set, and an
    # `outputs` argument holding how many names were unpacked (the checker compares it with the pieces).
    multi_output: bool = False
    # What the warnings stage (lint.py) needs to know of a kind: "activation" (relu-like: clips),
    # "squash" (sigmoid, tanh, softmax: deliberate output layers), "dropout", "pool", "linear", "flatten".
    role: str = ""
    spatial_dims: int = 0                       # pooling kinds: how many trailing dims the window slides over
    params: Callable[[Any, tuple[Shape, ...]], int] = _no_count    # trainable parameters
    buffers: Callable[[Any, tuple[Shape, ...]], int] = _no_count   # e.g. batchnorm running stats
    frozen_params: Callable[[Any, tuple[Shape, ...]], int] = _no_count  # requires_grad=False, not in params
    macs: Callable[[Any, tuple[Shape, ...], Shape], int] = _no_macs
    # How PyTorch builds it: a module class and its constructor arguments (positional, keyword)...
    module: str | None = None                   # "nn.Conv2d", named as text: no torch import
    module_args: Callable[[Any, tuple[Shape, ...]], tuple[tuple, dict]] | None = None
    # How forward calls the module when it is not `self.<name>(inputs...)`, e.g. taking one element
    # of an LSTM's (output, (h, c)) result: call(module_expression, input_names, args) → expression.
    call: Callable[[str, tuple[str, ...], Any], str] | None = None
    # ...or, for stateless tensor ops, a forward expression over the input variable names.
    functional: Callable[[Any, tuple[str, ...], tuple[Shape, ...]], str] | None = None
    label: Callable[[Any, tuple[Shape, ...]], str] | None = None
    doc: str = ""

    def describe(self, args: Any, inputs: tuple[Shape, ...]) -> str:
        """Short text for tables and diagrams: "conv2d(1→6, 5×5)"."""
        return self.label(args, inputs) if self.label else self.name


_KINDS: dict[str, LayerKind] = {}
_plugins_loaded = False
_builtins_loaded = False


def register(kind: LayerKind, *, replace: bool = False) -> LayerKind:
    """Add a layer kind. Built-ins and plugins both come through here."""
    _load_builtins()  # first, so that a plugin that clashes with a built-in fails here, not later
    if kind.name in _KINDS and not replace:
        raise ValueError(f"layer kind {kind.name!r} is already registered")
    if (kind.module is None) == (kind.functional is None):
        raise ValueError(f"layer kind {kind.name!r} needs exactly one of `module` and `functional`")
    if kind.module is not None and kind.module_args is None:
        raise ValueError(f"layer kind {kind.name!r} has a module but no module_args")
    _KINDS[kind.name] = kind
    return kind


def _load_builtins() -> None:
    # A flag, not `if not _KINDS`: a plugin may register before any lookup has loaded the built-ins.
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from .layers import load_all
        load_all()


def _load_entry_point_plugins() -> None:
    """Plugins installed as packages declare `[project.entry-points."netdsl.layers"]`."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from importlib.metadata import entry_points
    for entry in entry_points(group="netdsl.layers"):
        entry.load()


def load_plugin(module: str) -> None:
    """Import a plugin module (`--plugin`); it registers its kinds on import. The current directory is
    searched too, so a plugin file beside the spec works without installing it."""
    import importlib
    import os
    import sys
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())
    importlib.import_module(module)


def lookup(name: str, plugins: bool = True) -> LayerKind | None:
    """The kind called name. plugins=False does not scan entry points for plugins when the name is not
    registered (the scan reads every installed distribution's metadata: a few ms at start-up)."""
    _load_builtins()
    kind = _KINDS.get(name)
    if kind is None and plugins and not _plugins_loaded:
        _load_entry_point_plugins()
        kind = _KINDS.get(name)
    return kind


def all_kinds() -> dict[str, LayerKind]:
    _load_builtins()
    _load_entry_point_plugins()
    return dict(_KINDS)


def nearest(name: str, candidates) -> str | None:
    """The closest spelling among candidates, for 'did you mean' hints."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        if name.lower() in lowered:
            return lowered[name.lower()]
    return matches[0] if matches else None
