"""Loading a .net file and the files it imports into one Program: the definitions visible to it."""

from __future__ import annotations

import os
import stat
from dataclasses import field
from typing import TYPE_CHECKING

from . import codes, records
from . import syntax as ast
from .diagnostics import CompileError, Diagnostics, Note
from .fixes import respell
from .parser import parse
from .source import SourceFile, Span
from .suggest import nearest

if TYPE_CHECKING:
    from pathlib import Path


class InputError(Exception):
    """A file that cannot be read as a spec at all: a usage/I-O problem (exit 2), not a spec error."""


@records.value
class Program:
    source: SourceFile
    definitions: dict[str, ast.Definition]   # the root file's own definitions and its imports
    networks: tuple[str, ...]                 # the root file's own networks, in source order
    # Names imported by name (in any file) that could not be imported (already reported): uses of them
    # are not reported again as unknown layers.
    unresolved: frozenset[str] = frozenset()
    # What each file sees (its own definitions and its imports): a block resolves names in its own file.
    scopes: dict[SourceFile, dict[str, ast.Definition]] = field(default_factory=dict)

    def visible_from(self, definition: ast.Definition) -> dict[str, ast.Definition]:
        return self.scopes.get(definition.span.source, self.definitions)

    def definition_at(self, span: Span) -> ast.Definition | None:
        """The definition (in any loaded file) whose text is span."""
        for visible in (self.definitions, *self.scopes.values()):
            for definition in visible.values():
                if definition.span == span:
                    return definition
        return None


# Far above any real spec (a 200,000-layer chain, the most a network may have, is about 4 MB): a larger
# file is refused before it is read.
MAX_SPEC_BYTES = 16 * 2**20


def _read_regular_file(path: str) -> bytes:
    """The bytes of a regular file of at most MAX_SPEC_BYTES. Opened without blocking (a FIFO would
    wait for a writer) and checked after opening, so nothing is read from a FIFO, a device or a
    directory, and nothing is read past the limit."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a .net file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise InputError(f"{path}: is a directory, not a .net file")
        raise InputError(f"{path}: is not a regular file (a FIFO, socket or device), not a .net file")
    with os.fdopen(descriptor, "rb") as stream:
        try:
            data = stream.read(MAX_SPEC_BYTES + 1)
        except OSError as error:
            raise InputError(f"{path}: cannot read: {error.strerror or error}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise InputError(f"{path}: is larger than {MAX_SPEC_BYTES // 2**20} MiB, the most a spec may hold")
    return data


def read_source(path: str | Path) -> SourceFile:
    """Read a spec as UTF-8 text, or raise InputError with a one-line reason."""
    return decode_source(_read_regular_file(path_text(os.fspath(path))), str(path))


# Paths are strings handled with os.path: pathlib (with the urllib.parse and ipaddress it imports) was a
# tenth of what a cold `netdsl check` imports. These two write a path as pathlib does on POSIX.

def _split(text: str) -> tuple[str, list[str]]:
    root = "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    return root, [part for part in text.split("/") if part not in ("", ".")]


def path_text(path: str, *more: str) -> str:
    """`str(Path(path, *more))`: the pieces joined, an absolute one starting over, `.` and empty parts
    dropped, `..` kept."""
    root, parts = _split(path)
    for piece in more:
        piece_root, piece_parts = _split(piece)
        root, parts = (piece_root, piece_parts) if piece_root else (root, parts + piece_parts)
    return root + "/".join(parts) or "."


def beside(path: str, relative: str) -> str:
    """`str(Path(path).parent / relative)`: how a file `path` imports is shown."""
    root, parts = _split(path)
    return path_text(root + "/".join(parts[:-1]), relative)


def _below(path: str, directory: str) -> bool:
    """Whether the resolved `path` is `directory` or lies below it (as Path.is_relative_to)."""
    return os.path.commonpath((path, directory)) == directory


def decode_source(data: bytes, path: str) -> SourceFile:
    """A spec's bytes as UTF-8 text (a leading BOM dropped), or InputError with a one-line reason."""
    if b"\0" in data:
        raise InputError(f"{path}: is a binary file, not a .net spec")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not valid UTF-8 (byte {error.start})") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise InputError(f"{path}: is empty")
    return SourceFile(path, text)


_PARSED: dict[tuple[str, str], ast.Module] = {}
_PARSED_LIMIT = 64


def _parsed(source: SourceFile) -> ast.Module:
    """The file's AST, parsed once for each text: an editor re-checks on every keystroke, and the files
    a spec imports rarely change meanwhile. (The AST keeps the SourceFile of its first parse: the same
    path and text.)"""
    key = (source.path, source.text)
    module = _PARSED.pop(key, None)
    if module is None:
        module = parse(source)
        if len(_PARSED) >= _PARSED_LIMIT:
            del _PARSED[next(iter(_PARSED))]   # the least recently used
    _PARSED[key] = module
    return module


class _Loader:
    def __init__(self, diagnostics: Diagnostics, root_dir: str | None):
        self.diagnostics = diagnostics
        self.root_dir = root_dir        # imports must stay below it (resolved); None allows any path
        self.cache: dict[str, dict[str, ast.Definition] | None] = {}   # by resolved path
        self.loading: list[str] = []
        self.unresolved: set[str] = set()
        self.scopes: dict[SourceFile, dict[str, ast.Definition]] = {}

    def load(self, source: SourceFile, here: str | None) -> tuple[dict[str, ast.Definition], tuple[str, ...]] | None:
        try:
            module = _parsed(source)
        except CompileError as error:
            self.diagnostics.add(error.diagnostic)
            return None
        visible: dict[str, ast.Definition] = {}
        for item in module.imports:
            found = self.imported(item, here)
            for name, definition in found.items():
                self.define(visible, name, definition, item.span)
            if item.names is not None:  # in any file: a block whose import failed is not "unknown" too
                self.unresolved.update(n.name for n in item.names if n.name not in found)
        for definition in module.definitions:
            self.define(visible, definition.name.name, definition, definition.name.span)
        own = tuple(d.name.name for d in module.definitions if d.kind == "network" and visible.get(d.name.name) is d)
        self.scopes[source] = visible
        return visible, own

    def define(self, visible: dict[str, ast.Definition], name: str, definition: ast.Definition, span: Span) -> None:
        previous = visible.get(name)
        if previous is not None and previous is not definition:
            self.diagnostics.error(codes.E0203, f"`{name}` is defined twice", span,
                                   notes=(Note(f"`{name}` is first defined here", previous.name.span),),
                                   help="rename one of them")
            return
        visible[name] = definition

    def imported(self, item: ast.Import, here: str | None) -> dict[str, ast.Definition]:
        base = here if here is not None else os.getcwd()
        try:
            target = os.path.realpath(os.path.join(base, item.path.value))
        except (ValueError, OSError) as error:  # a NUL byte, a path too long, a symlink loop
            self.diagnostics.error(codes.E0218, f"cannot import \"{item.path.value}\": not a usable path ({error})",
                                   item.path.span)
            return {}
        if self.root_dir is not None and not _below(target, self.root_dir):
            self.diagnostics.error(codes.E0210, f"import \"{item.path.value}\" leaves the directory of the spec",
                                   item.path.span, help="keep imported files beside or below the importing spec "
                                   "(or pass --allow-outside-imports)")
            return {}
        if os.path.splitext(target)[1] != ".net":  # a file that is not a spec is never read, so never shown in a snippet
            self.diagnostics.error(codes.E0218, f"cannot import \"{item.path.value}\": only .net files are specs",
                                   item.path.span)
            return {}
        if target in self.loading:
            chain = " → ".join(os.path.basename(p) for p in [*self.loading[self.loading.index(target):], target])
            self.diagnostics.error(codes.E0211, f"import cycle: {chain}", item.path.span,
                                   help="move the shared blocks into a file that both import")
            return {}
        if target not in self.cache:
            try:
                source = read_source(target)
            except InputError as error:
                self.diagnostics.error(codes.E0218, f"cannot import \"{item.path.value}\": {str(error).split(': ', 1)[1]}",
                                       item.path.span)
                return {}
            self.loading.append(target)
            loaded = self.load(SourceFile(beside(item.path.span.source.path, item.path.value), source.text),
                               os.path.dirname(target))
            self.loading.pop()
            self.cache[target] = loaded[0] if loaded else None
        definitions = self.cache[target] or {}
        if item.names is None:
            return definitions
        chosen = {}
        for name in item.names:
            if name.name in definitions:
                chosen[name.name] = definitions[name.name]
            else:
                suggestion = nearest(name.name, definitions)
                self.diagnostics.error(codes.E0215, f"\"{item.path.value}\" defines no `{name.name}`", name.span,
                                       help=f"did you mean `{suggestion}`?" if suggestion else None,
                                       fixes=respell(name.span, suggestion))
        return chosen


def load_program(source: SourceFile, diagnostics: Diagnostics, *, allow_outside_imports: bool = False,
                 base_dir: str | Path | None = None) -> Program | None:
    """Parse source and everything it imports. Errors go to diagnostics; None if it does not parse.
    Imports are relative to base_dir, by default the directory of source's file (the current directory
    for spec text, `<string>`), and must stay inside it unless allow_outside_imports."""
    is_file = source.path != "<string>"
    if base_dir is None:
        base_dir = os.path.dirname(source.path) if is_file else os.getcwd()
    try:
        here = os.path.realpath(base_dir)
    except (ValueError, OSError):   # check_text's `path` is only a label: it may not be a path at all
        here = os.path.realpath(os.getcwd())
    loader = _Loader(diagnostics, None if allow_outside_imports else here)
    if is_file:  # an import of the spec itself is a cycle
        try:
            loader.loading.append(os.path.realpath(source.path))
        except (ValueError, OSError):
            pass  # check_text's `path` is only a label: it may not be a path at all
    loaded = loader.load(source, here)
    if loaded is None:
        return None
    definitions, networks = loaded
    return Program(source, definitions, networks, frozenset(loader.unresolved), loader.scopes)
