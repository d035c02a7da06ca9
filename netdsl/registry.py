"""The one table of layer kinds. Every stage — lowering, checker, summary, code generator, builder,
renderer — looks kinds up here and nowhere else; adding a kind touches one place (its family module
in netdsl/layers/, or a plugin). A built-in kind's family is imported when one of its kinds is first
looked up (netdsl.layers.kind_index): a spec pays only for the families it uses."""

from __future__ import annotations

from .kinds import LayerKind

_KINDS: dict[str, LayerKind] = {}
_plugins_loaded = False
_index: dict[str, tuple[str, str | None]] | None = None   # built-in kind → (family, operator)
_families_loaded: set[str] = set()
_changes = 0   # registrations so far (replacing a kind keeps the table's size)


def register(kind: LayerKind, *, replace: bool = False) -> LayerKind:
    """Add a layer kind (a plugin's; the built-ins are collected from netdsl.layers)."""
    _load_builtin(kind.name)  # first, so that a plugin that clashes with a built-in fails here, not later
    if kind.name in _KINDS and not replace:
        raise ValueError(f"layer kind {kind.name!r} is already registered")
    global _changes
    _KINDS[kind.name] = kind.validate()
    _changes += 1
    return kind


def state() -> tuple:
    """What every lookup depends on (the table, its size, its registrations, what is loaded): caches of
    checked results (netdsl.memo) are emptied when it changes."""
    return _KINDS, len(_KINDS), _changes, len(_families_loaded), _plugins_loaded


def _builtin_index() -> dict[str, tuple[str, str | None]]:
    global _index
    if _index is None:
        from .layers import kind_index
        _index = kind_index()
    return _index


def _load_builtin(name: str) -> None:
    """Load the family of the built-in kind called name, if there is one."""
    entry = _builtin_index().get(name)
    if entry is not None and entry[0] not in _families_loaded:
        _load_family(entry[0])


def _load_family(family: str) -> None:
    from .layers import family_kinds
    _families_loaded.add(family)
    index = _builtin_index()
    for kind in family_kinds(family):
        if index[kind.name][0] == family:   # a name an earlier family declares too is that family's
            _KINDS.setdefault(kind.name, kind)


def _load_builtins() -> None:
    for family in dict.fromkeys(family for family, _ in _builtin_index().values()):
        if family not in _families_loaded:
            _load_family(family)


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
    kind = _KINDS.get(name)
    if kind is None:
        _load_builtin(name)
        kind = _KINDS.get(name)
    if kind is None and plugins and not _plugins_loaded:
        _load_entry_point_plugins()
        kind = _KINDS.get(name)
    return kind


def all_kinds() -> dict[str, LayerKind]:
    """Every kind: the built-ins in their families' order, then the plugins'."""
    _load_builtins()
    _load_entry_point_plugins()
    return {**{name: _KINDS[name] for name in _builtin_index() if name in _KINDS}, **_KINDS}


def operator_kind(operator: str) -> LayerKind | None:
    """The kind that tensor arithmetic with `operator` (+ - * / @) becomes: the first built-in declaring it,
    else a plugin's."""
    for name, (_, declared) in _builtin_index().items():
        if declared == operator and (kind := lookup(name, plugins=False)) is not None and kind.operator == operator:
            return kind
    return next((k for k in _KINDS.values() if k.operator == operator), None)
