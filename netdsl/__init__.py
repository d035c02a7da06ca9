"""netdsl: declarative PyTorch model specs, checked statically.

    >>> import netdsl
    >>> analysis = netdsl.check_text("network M() { input x: [N, 4]  x -> linear(2) -> output }")
    >>> analysis.ok, analysis.network().output_shape
    (True, ('N', 2))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from .pipeline import Analysis

__version__ = "0.1.0"

__all__ = ["Analysis", "Diagnostic", "InputError", "NetdslError", "Severity", "build_module", "check_file",
           "check_text", "diagram", "from_module", "generate_source"]

# Loaded on first use: `import netdsl` stays free of the builder and of torch, and of the checker until
# it is used, so that the `netdsl` command (netdsl/console.py) can import the checker its own way.
_LAZY = {"build_module": "builder", "NetdslError": "builder", "from_module": "importing", "Analysis": "pipeline",
         "Diagnostic": "diagnostics", "Severity": "diagnostics", "InputError": "program"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_text(text: str, path: str = "<string>", network: str | None = None, *,
               sizes: dict[str, int] | None = None, base_dir: str | Path | None = None, **params) -> Analysis:
    """Check spec text; `params` override network parameters, `sizes` fixes symbols of the input shapes
    (`sizes={"H": 256}`; they must be sizes the network accepts). Its imports are relative to base_dir (by
    default the directory of `path`, or the current directory for "<string>") and must stay inside it, as
    the CLI keeps a spec's imports inside the spec's directory."""
    from .pipeline import analyze
    from .source import SourceFile
    return analyze(SourceFile(path, text), network, params, sizes=sizes, base_dir=base_dir)


def check_file(path: str | Path, network: str | None = None, *, sizes: dict[str, int] | None = None,
               **params) -> Analysis:
    """Check a .net file. Raises InputError if it cannot be read."""
    from .pipeline import analyze
    from .program import read_source
    return analyze(read_source(path), network, params, sizes=sizes)


def generate_source(spec: str | Path, network: str | None = None, *, base_dir: str | Path | None = None,
                    **params) -> str:
    """The PyTorch source `netdsl build` writes, for a spec path or spec text; NetdslError on errors.
    The imports of spec text are relative to base_dir (see check_text)."""
    from .builder import load
    from .codegen import generate
    analysis, checked = load(spec, network, base_dir=base_dir, **params)
    return generate([checked], analysis.source.path, analysis.program).source


def diagram(spec: str | Path, network: str | None = None, *, depth: int | None = None, rankdir: str = "TB",
            collapse_repeats: bool | None = None, base_dir: str | Path | None = None, **params):
    """The diagram `netdsl render` draws, as a graphviz.Digraph (`.source` is DOT; `.render()` draws it).
    (Not named `render`: that is the submodule.)"""
    from .builder import load
    from .render import render
    _, checked = load(spec, network, base_dir=base_dir, **params)
    return render(checked, depth=depth, rankdir=rankdir, collapse_repeats=collapse_repeats)
