"""The analysed grammar, kept between runs as the objects Lark's parser is made of.

Lark's own cache (`cache=True`) stores the grammar serialised and turns it back into rules, terminals
and the LALR table in Python at every start: about 95 M instructions, a sixth of a cold `netdsl
check`. Here those objects are pickled as they are (their classes are Lark's, pickled by reference)
and a parser is assembled from them as Lark's loader assembles one (`Lark._load`), with the same
options, callbacks and lexer; unpickling them is C code. A cold start pays the analysis once, and
again only when the grammar, Lark or Python changes (the file name holds their hash).

The file lives in the temp directory, as Lark's cache does, and is read only when it belongs to the
user and nobody else can write to it: unpickling runs code chosen by whoever wrote the file.
"""

from __future__ import annotations

import copy
import hashlib
import io
import os
import pickle
import re
import sys
import tempfile

from lark import Lark
from lark import __version__ as lark_version
from lark.lark import LarkOptions
from lark.parser_frontends import ParsingFrontend
from lark.parsers.lalr_analysis import Action
from lark.parsers.lalr_parser import LALR_Parser, _Parser

FORMAT = 2   # the layout of the pickled tuple below; raise it when that changes


def cached_lark(grammar: str, **options) -> Lark:
    """`Lark(grammar, parser="lalr", **options)`, from the kept objects when they exist. The postlex and
    the plugin classes are this call's; every other option is part of the file's name. No transformer
    or lexer callbacks: they would be functions of this process."""
    if "transformer" in options or "lexer_callbacks" in options:
        raise ValueError("cached_lark keeps no transformer or lexer callbacks")
    path = _path(grammar, options)
    lark = _from_file(path, options)
    if lark is not None:
        return lark
    # Assembled from what is written, not the analysing Lark: the same parser (a lexer for each state made
    # when first reached) whether or not the file existed.
    kept = _kept(Lark(grammar, parser="lalr", **options))
    _write(path, kept)
    return _assemble(kept, options)


def _from_file(path: str, options: dict) -> Lark | None:
    kept = _read(path)
    if kept is None:
        return None
    try:
        return _assemble(kept, options)
    except Exception:  # noqa: BLE001 — not a grammar this Lark can use (damaged, another version): analyse again
        return None


def _path(grammar: str, options: dict) -> str:
    # What the analysis depends on: of the postlex, only the terminals it always accepts (Lark keeps them).
    hashed = {key: value for key, value in options.items() if key not in ("postlex", "_plugins")}
    kept_terminals = getattr(options.get("postlex"), "always_accept", ())
    digest = hashlib.sha256(f"{FORMAT} {lark_version} {sys.version_info[:2]} {sorted(hashed.items())} "
                            f"{kept_terminals}\n{grammar}".encode())
    return os.path.join(tempfile.gettempdir(), f".netdsl-grammar-{digest.hexdigest()[:32]}")


class _ByName(pickle.Pickler):
    """Lark's Shift and Reduce are compared by identity: pickle them as the module globals they are."""

    def reducer_override(self, obj):
        return obj.name if type(obj) is Action else NotImplemented


def _kept(lark: Lark) -> bytes:
    """Lark's analysed grammar and its tree-building callbacks (instances of Lark's classes), without what
    belongs to this process (the re module, the postlex)."""
    lexer_conf, parser_conf = copy.copy(lark.lexer_conf), copy.copy(lark.parser.parser_conf)
    lexer_conf.re_module = lexer_conf.postlex = None
    parser_conf.callbacks = None
    lexer_conf.skip_validation = True   # as Lark's loader: the grammar was validated when it was analysed
    options = {key: value for key, value in lark.options.options.items() if key not in ("postlex", "_plugins")}
    buffer = io.BytesIO()
    _ByName(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        (FORMAT, options, lark.rules, lexer_conf, parser_conf, lark.parser.parser._parse_table, lark._callbacks))
    return buffer.getvalue()


def _assemble(kept: bytes, options: dict) -> Lark:
    version, saved_options, rules, lexer_conf, parser_conf, table, callbacks = pickle.loads(kept)
    if version != FORMAT:
        raise ValueError(f"grammar cache format {version}")
    lark = Lark.__new__(Lark)
    lark.options = LarkOptions({**saved_options, **options})
    lark.rules, lark.source_path = rules, "<netdsl grammar cache>"
    lexer_conf.re_module, lexer_conf.postlex = re, lark.options.postlex
    lark.lexer_conf, lark.terminals = lexer_conf, lexer_conf.terminals
    lark._callbacks = parser_conf.callbacks = callbacks
    lark._terminals_dict = {terminal.name: terminal for terminal in lark.terminals}
    parser = LALR_Parser.__new__(LALR_Parser)
    parser._parse_table, parser.parser = table, _Parser(table, callbacks, lark.options.debug)
    lark.parser = ParsingFrontend(lexer_conf, parser_conf, lark.options, parser=parser)
    return lark


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read() if _only_users(os.fstat(file.fileno())) else None
    except OSError:
        return None


def _only_users(status: os.stat_result) -> bool:
    """The file belongs to the user and nobody else may write to it: else it is not unpickled."""
    if not hasattr(os, "getuid"):   # Windows: the temp directory is the user's own
        return True
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def _write(path: str, kept: bytes) -> None:
    partial = f"{path}.{os.getpid()}"
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(kept)
        os.replace(partial, path)   # whole or not at all, for a check running beside this one
    except OSError:
        try:
            os.unlink(partial)
        except OSError:
            pass   # a read-only temp directory: every start analyses the grammar
