"""Bounded caches for re-checking in one process. An editor re-checks a spec on every keystroke, and
most of its block instances did not change: a block call whose definition, arguments, input shapes
and surroundings are the same as before is not lowered, resolved or checked again (docs/performance.md).

A cache entry keeps alive every object whose id() is part of its key (definitions come from the parse
cache, keyed by file text; block graphs from the lowering cache), so an id always names the object the
entry was made from. Everything else in a key is a value. The layer registry's state is checked before
each use: a plugin registering kinds empties every cache.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

from . import registry
from .shapes import symbolic_weights_allowed
from .sizes import symbolic_division_allowed

MISSING = object()


class LRU:
    """A mapping that forgets its least recently used entry beyond `limit` entries."""

    def __init__(self, limit: int):
        self.limit = limit
        self.entries: OrderedDict = OrderedDict()
        _CACHES.append(self)

    def get(self, key: Hashable):
        if not _enabled:
            return MISSING
        with _LOCK:   # a server may check on several threads
            _check_registry()
            entry = self.entries.get(key, MISSING)
            if entry is not MISSING:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry, since: int) -> None:
        """Keep entry, made from what the caches held at epoch() `since`: not if they were emptied since
        (the registry changed while it was made)."""
        if not _enabled:
            return
        with _LOCK:
            _check_registry()
            if since != _epoch:
                return
            self.entries[key] = entry
            self.entries.move_to_end(key)
            if len(self.entries) > self.limit:
                self.entries.popitem(last=False)


_CACHES: list[LRU] = []
_LOCK = threading.Lock()
_registry_seen: tuple = ()
_epoch = 0
_enabled = True


@contextmanager
def disabled() -> Iterator[None]:
    """Checks inside reuse nothing and keep nothing: the reference that a re-check must equal (tests)."""
    global _enabled
    was, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = was


def clear() -> None:
    """Forget every cached result (the next check is a cold one)."""
    global _epoch
    _epoch += 1
    for cache in _CACHES:
        cache.entries.clear()


def epoch() -> int:
    """How many times the caches were emptied: taken before a result is made, given to LRU.put."""
    with _LOCK:
        _check_registry()
        return _epoch


def _check_registry() -> None:
    """Empty the caches when the registry is not as they saw it last."""
    global _registry_seen
    state = registry.state()
    if state != _registry_seen:   # the table itself is compared by identity first
        clear()
    _registry_seen = state


def modes() -> tuple[bool, bool]:
    """The checking modes that change results (set while a block's recipe is checked)."""
    return symbolic_weights_allowed(), symbolic_division_allowed()


def value_key(value) -> Hashable:
    """A hashable key equal only for values every stage treats alike: `1`, `1.0` and `True` compare
    equal in Python but print differently, and so do 0.0 and -0.0."""
    kind = type(value)
    if kind is int or kind is str:
        return kind, value
    if kind is tuple:
        return (tuple, tuple(value_key(v) for v in value))
    if kind is float:
        return (float, repr(value) if not math.isnan(value) else object())   # nan: never equal
    if kind is dict:
        return (dict, tuple((name, value_key(v)) for name, v in value.items()))
    return (kind, value)


def scopes_key(program, *, with_root: bool) -> tuple:
    """What the definitions of a program's files can see: for each file, each visible name and the
    id of its definition (kept alive by `alive`). Without the root file, when the definitions looked
    at are imported (an imported file cannot see the root's names)."""
    return tuple((source, tuple((name, id(definition)) for name, definition in scope.items()))
                 for source, scope in program.scopes.items() if with_root or source != program.source)


def alive(program) -> tuple:
    """The definitions a scopes_key names by id."""
    return tuple(definition for scope in program.scopes.values() for definition in scope.values())
