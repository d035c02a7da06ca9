"""torch.fx tracing, one module instance at a time: every submodule that is not a container is a leaf,
so a user-defined class is traced on its own (it becomes a block) and its calls stay calls."""

from __future__ import annotations

import ast
import contextlib
import functools
import linecache
import os
import sys
import traceback
from dataclasses import dataclass

# Frames of the tracing machinery (and of this package), skipped when pointing at the user's line.
_MACHINERY = (f"{os.sep}torch{os.sep}fx{os.sep}", f"{os.sep}torch{os.sep}_", f"{os.sep}netdsl{os.sep}importing{os.sep}",
              os.path.join("torch", "nn", "modules", "module.py"), os.path.join("torch", "overrides.py"))
_SOURCE = "netdsl_source"   # node.meta key: (file, line) of the traced forward's line that made the node


class Untraceable(Exception):
    """fx could not trace a module's forward: its reason and the line it stopped at (`refused`: a
    container's call that the importer does not write, netdsl.importing.unrolled)."""

    def __init__(self, reason: str, where: str, refused: bool = False):
        super().__init__(reason)
        self.reason, self.where, self.refused = reason, where, refused


def containers():
    from torch import nn
    return nn.Sequential, nn.ModuleList, nn.ModuleDict


def trace(module, concrete: dict):
    """The fx graph of module.forward, with the arguments in `concrete` fixed to those values; raises
    Untraceable with fx's reason (data-dependent control flow, an unsupported Python construct)."""
    import torch
    from torch import fx

    from .unrolled import Refused, unrolled

    class Tracer(fx.Tracer):
        proxy_buffer_attributes = True   # `self.pe[:x.size(0)]`: a buffer is a traced value, as a parameter is

        def is_leaf_module(self, m, qualified_name: str) -> bool:
            return type(m) not in containers() and unrolled(type(m)) is None

        def call_module(self, m, forward, args, kwargs):
            ours = unrolled(type(m))
            return super().call_module(m, forward if ours is None else functools.partial(ours, m), args, kwargs)

        def create_node(self, *args, **kwargs):   # also a buffer's get_attr, made without a proxy
            node = super().create_node(*args, **kwargs)
            node.meta[_SOURCE] = _traced_line(fx.Tracer.trace.__code__)
            return node

    with _fast_path_off(torch):
        try:
            return Tracer().trace(module, concrete_args=concrete or None)
        except Refused as error:
            raise Untraceable(str(error), _user_frame(error), refused=True) from None
        except Exception as error:  # fx raises TraceError, TypeError, RuntimeError... from the user's code
            raise Untraceable(f"{type(error).__name__}: {error}", _user_frame(error)) from None


@contextlib.contextmanager
def _fast_path_off(torch):
    """nn.TransformerEncoderLayer and nn.MultiheadAttention branch on their inputs to choose a fused
    inference kernel (the "fast path"); with it off they compute the same values along plain code."""
    backend = torch.backends.mha
    enabled = backend.get_fastpath_enabled()
    backend.set_fastpath_enabled(False)
    try:
        yield
    finally:
        backend.set_fastpath_enabled(enabled)


def _traced_line(boundary) -> tuple[str, int] | None:
    """The line of the traced module's forward being run: the outermost frame inside the tracer's
    `trace` that is not the machinery (the line `y = self.body(x)` for a layer inlined from a container).
    fx's own `record_stack_traces` gives the same, but symbolizing its tracebacks costs seconds."""
    found, frame = None, sys._getframe(2)
    while frame is not None and frame.f_code is not boundary:
        if not any(m in frame.f_code.co_filename for m in _MACHINERY):
            found = frame
        frame = frame.f_back
    return (found.f_code.co_filename, found.f_lineno) if found is not None and frame is not None else None


def _user_frame(error: Exception) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not any(m in f.filename for m in _MACHINERY)]
    return place(frames[-1].filename, frames[-1].lineno) if frames else ""


def place(filename: str, line: int) -> str:
    """`path:line`, relative to the current directory when the file is below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:   # another drive (Windows)
        relative = filename
    return f"{filename if relative.startswith('..') else relative}:{line}"


@dataclass(frozen=True)
class Source:
    """Where a traced node comes from: the outermost frame in the traced forward."""
    where: str                   # path:line
    statement: tuple[str, int]   # (file, first line) of the Python statement holding that line
    assigns: str | None          # the one variable that statement assigns, if any


def source_of(node) -> Source | None:
    found = node.meta.get(_SOURCE)
    if found is None:
        return None
    filename, line = found
    start, assigns = _statement(filename, line)
    return Source(place(filename, line), (filename, start), assigns)


def _statement(filename: str, line: int) -> tuple[int, str | None]:
    """The first line of the simple statement holding `line` (a call may span lines), and the variable
    it assigns (`y = self.body(x)` → "y") when it assigns exactly one name."""
    for start, end, assigns in _statements(filename):
        if start <= line <= end:
            return start, assigns
    return line, None


@functools.lru_cache(maxsize=32)
def _statements(filename: str) -> tuple[tuple[int, int, str | None], ...]:
    try:
        tree = ast.parse("".join(linecache.getlines(filename)))
    except (SyntaxError, ValueError):
        return ()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return)):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
            name = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
            found.append((node.lineno, node.end_lineno, name))
    return tuple(found)
