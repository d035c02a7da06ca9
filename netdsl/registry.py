"""The one table of layer kinds. Every stage — lowering, checker, summary, code generator, builder,
renderer — looks kinds up here and nowhere else; adding a kind touches one place (its family module
in netdsl/layers/, or a plugin)."""

from __future__ import annotations

from .kinds import LayerKind

_KINDS: dict[str, LayerKind] = {}
_plugins_loaded = False
_builtins_loaded = False
_changes = 0   # registrations so far (replacing a kind keeps the table's size)


def register(kind: LayerKind, *, replace: bool = False) -> LayerKind:
    """Add a layer kind (a plugin's; the built-ins are collected from netdsl.layers)."""
    _load_builtins()  # first, so that a plugin that clashes with a built-in fails here, not later
    if kind.name in _KINDS and not replace:
        raise ValueError(f"layer kind {kind.name!r} is already registered")
    global _changes
    _KINDS[kind.name] = kind.validate()
    _changes += 1
    return kind


def state() -> tuple:
    """What every lookup depends on (the table, its size, its registrations, what is loaded): caches of
    checked results (netdsl.memo) are emptied when it changes."""
    return _KINDS, len(_KINDS), _changes, _builtins_loaded, _plugins_loaded


def _load_builtins() -> None:
    # A flag, not `if not _KINDS`: a plugin may register before any lookup has loaded the built-ins.
    global _builtins_loaded
    if not _builtins_loaded:
        _builtins_loaded = True
        from .layers import builtin_kinds
        for kind in builtin_kinds():
            _KINDS.setdefault(kind.name, kind)


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
    if not module or not all(part.isidentifier() for part in module.split(".")):
        raise ImportError(f"{module!r} is not a Python module name such as `my_plugin` or `pkg.layers`")
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


def operator_kind(operator: str) -> LayerKind | None:
    """The kind that tensor arithmetic with `operator` (+ - * / @) becomes."""
    _load_builtins()
    return next((k for k in _KINDS.values() if k.operator == operator), None)
