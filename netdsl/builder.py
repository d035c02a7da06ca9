"""Spec → live nn.Module, by executing the generated source (never the spec text).

This module is torch-free at import time: torch comes in with the generated code, when a module is built.
"""

from __future__ import annotations

import hashlib
import linecache
import sys
import types
from pathlib import Path

from .checker import CheckedGraph
from .codegen import Generated, generate
from .diagnostics import Diagnostic, render_short
from .pipeline import Analysis, analyze
from .program import read_source
from .source import SourceFile

DEFAULT_MAX_PARAMS = 2_000_000_000


class NetdslError(Exception):
    """A spec that cannot be built; `diagnostics` holds what went wrong (empty for a refused build)."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()):
        super().__init__(message)
        self.diagnostics = diagnostics


def load(spec: str | Path, network: str | None = None, *, base_dir: str | Path | None = None,
         **params) -> tuple[Analysis, CheckedGraph]:
    """Check a spec (a path, or spec text when it contains `{`) and pick one network; NetdslError if it
    fails. A path's imports stay in its directory; spec text's in base_dir (default: the current one)."""
    is_text = isinstance(spec, str) and "{" in spec
    source = SourceFile("<string>", spec) if is_text else read_source(spec)
    analysis = analyze(source, network, params, base_dir=base_dir if is_text else None)
    errors = tuple(d for d in analysis.diagnostics.sorted() if d.severity.value == "error")
    if errors:
        listing = "".join(render_short(d) for d in errors).rstrip("\n")
        raise NetdslError(f"{source.path} has {len(errors)} error{'s' if len(errors) > 1 else ''}:\n{listing}",
                          errors)
    if network is None and len(analysis.networks) > 1:
        names = ", ".join(n.graph.name for n in analysis.networks)
        raise NetdslError(f"{source.path} defines several networks ({names}): pass network=")
    if not analysis.networks:
        raise NetdslError(f"{source.path} defines no network")
    return analysis, analysis.networks[0]


def exec_source(generated: Generated, label: str) -> types.ModuleType:
    """Execute generated source as a module whose code `inspect`, tracebacks and torch.jit.script can read."""
    digest = hashlib.sha256(generated.source.encode()).hexdigest()[:12]
    filename = f"<netdsl generated from {label} {digest}>"
    module = types.ModuleType(f"netdsl_generated_{digest}")
    module.__file__ = filename
    linecache.cache[filename] = (len(generated.source), None, generated.source.splitlines(True), filename)
    sys.modules[module.__name__] = module  # torch.jit.script resolves a class's globals through its module
    exec(compile(generated.source, filename, "exec"), module.__dict__)
    return module


def build_module(spec: str | Path, network: str | None = None, *, max_params: int = DEFAULT_MAX_PARAMS,
                 base_dir: str | Path | None = None, **params):
    """Build a torch.nn.Module from a spec path or text; `params` override network parameters. The imports
    of spec text are relative to base_dir (default: the current directory). Refuses networks above
    max_params parameters and buffers (counted statically, before anything is allocated)."""
    import importlib.util
    if importlib.util.find_spec("torch") is None:
        raise ImportError("build_module needs PyTorch, which is not installed: pip install 'netdsl[torch]' "
                          "(CPU-only: pip install torch --index-url https://download.pytorch.org/whl/cpu)")
    analysis, checked = load(spec, network, base_dir=base_dir, **params)
    total = checked.params + checked.frozen + checked.buffers
    if total > max_params:
        raise NetdslError(f"network `{checked.graph.name}` has {total:,} parameters and buffers (static count), "
                          f"more than max_params={max_params:,}; pass a larger max_params= to build it anyway")
    generated = generate([checked], analysis.source.path, analysis.program)
    module = exec_source(generated, analysis.source.path)
    return getattr(module, generated.classes[checked.graph.name])()
