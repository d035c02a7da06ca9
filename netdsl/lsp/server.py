"""`netdsl lsp`: the language server over stdin/stdout (pygls). It stays running, so a re-check after an
edit costs what an in-process check costs: the modules, the grammar and the layer schemas are warm."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ..diagnostics import CompileError, Diagnostic, Severity
from ..emit import printable
from ..formatter import format_text
from ..pipeline import Analysis, analyze
from ..source import SourceFile, Span
from . import completion
from .index import Index, Symbol
from .info import hover, shape_hints

DEBOUNCE_S = 0.15
CODES_URL = "https://github.com/netdsl/netdsl/blob/main/docs/codes.md"


def explain_link(code: str) -> str:
    """Where a code is explained (docs/codes.md, generated from the catalogue); `netdsl explain CODE`
    prints the same text."""
    return f"{CODES_URL}#{code.lower()}"


@dataclass
class _State:
    version: int
    analysis: Analysis
    index: Index | None


class NetdslServer(LanguageServer):
    def __init__(self):
        super().__init__("netdsl", "0.1.0")
        self.states: dict[str, _State] = {}
        self.pending: dict[str, asyncio.Task] = {}
        self.inlay_hints = True

    def state(self, uri: str) -> _State:
        """The analysis of the document as it is now (computed at most once per version)."""
        document = self.workspace.get_text_document(uri)
        state = self.states.get(uri)
        if state is None or state.version != document.version:
            path = to_fs_path(uri) or uri
            analysis = analyze(SourceFile(path, document.source))
            index = Index(analysis.program) if analysis.program is not None else None
            state = self.states[uri] = _State(document.version, analysis, index)
        return state

    def publish(self, uri: str) -> None:
        state = self.state(uri)
        found = [_diagnostic(d, state.analysis.source) for d in state.analysis.diagnostics.sorted()]
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, found, state.version))


server = NetdslServer()


# ---------------------------------------------------------------- positions

def _position(source: SourceFile, offset: int) -> lsp.Position:
    line, column = source.line_col(offset)
    before = source.line_text(line)[:column - 1]
    return lsp.Position(line - 1, len(before.encode("utf-16-le")) // 2)


def _range(span: Span) -> lsp.Range:
    return lsp.Range(_position(span.source, span.start), _position(span.source, span.end))


def _offset(text: str, position: lsp.Position) -> int:
    lines = text.split("\n")
    if position.line >= len(lines):
        return len(text)
    line = lines[position.line]
    units = 0
    for column, char in enumerate(line):
        if units >= position.character:
            break
        units += len(char.encode("utf-16-le")) // 2
    else:
        column = len(line)
    return sum(len(x) + 1 for x in lines[:position.line]) + column


def _location(span: Span) -> lsp.Location:
    return lsp.Location(from_fs_path(span.source.path) or span.source.path, _range(span))


def _diagnostic(diagnostic: Diagnostic, source: SourceFile) -> lsp.Diagnostic:
    span = diagnostic.span
    message = diagnostic.message
    if span is None or span.source.path != source.path:
        where = f" (in {span.location()})" if span is not None else ""
        message, span = message + where, Span(source, 0, 0)
    unplaced = [n.message for n in diagnostic.notes if n.span is None]
    # one line each, nothing hidden: a spec's string may hold a line break or an escape sequence
    message = "\n".join(printable(line) for line in [message, *(f"note: {n}" for n in unplaced),
                                                      *([f"help: {diagnostic.help}"] if diagnostic.help else [])])
    return lsp.Diagnostic(
        range=_range(span), message=message, source="netdsl", code=diagnostic.code,
        severity=lsp.DiagnosticSeverity.Error if diagnostic.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
        code_description=lsp.CodeDescription(explain_link(diagnostic.code)),
        related_information=[lsp.DiagnosticRelatedInformation(_location(n.span), printable(n.message))
                             for n in diagnostic.notes if n.span is not None] or None,
        data={"fixes": [printable(f.message) for f in diagnostic.fixes]} if diagnostic.fixes else None)


# ---------------------------------------------------------------- document life cycle

@server.feature(lsp.INITIALIZE)
def initialize(ls: NetdslServer, params: lsp.InitializeParams) -> None:
    options = params.initialization_options or {}
    ls.inlay_hints = bool(options.get("inlayHints", True)) if isinstance(options, dict) else True


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
def configuration(ls: NetdslServer, params: lsp.DidChangeConfigurationParams) -> None:
    settings = params.settings if isinstance(params.settings, dict) else {}
    netdsl = settings.get("netdsl", settings)
    if isinstance(netdsl, dict) and "inlayHints" in netdsl:
        ls.inlay_hints = bool(netdsl["inlayHints"])


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: NetdslServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: NetdslServer, params: lsp.DidChangeTextDocumentParams) -> None:
    """Re-check once typing pauses: a burst of edits costs one check."""
    uri = params.text_document.uri
    previous = ls.pending.pop(uri, None)
    if previous is not None:
        previous.cancel()

    async def later() -> None:
        await asyncio.sleep(DEBOUNCE_S)
        ls.publish(uri)
    ls.pending[uri] = asyncio.ensure_future(later())


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: NetdslServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: NetdslServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.states.pop(uri, None)
    ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))


# ---------------------------------------------------------------- features

def _at(ls: NetdslServer, uri: str, position: lsp.Position) -> tuple[_State, str, int]:
    state = ls.state(uri)
    return state, state.analysis.source.path, _offset(state.analysis.source.text, position)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def on_hover(ls: NetdslServer, params: lsp.HoverParams) -> lsp.Hover | None:
    state, path, offset = _at(ls, params.text_document.uri, params.position)
    found = hover(state.analysis, state.index, path, offset)
    if found is None:
        return None
    text, span = found
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, text), _range(span))


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
def on_inlay_hint(ls: NetdslServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    if not ls.inlay_hints:
        return []
    state = ls.state(params.text_document.uri)
    source = state.analysis.source
    first, last = params.range.start.line, params.range.end.line
    hints = []
    for offset, label in shape_hints(state.analysis, source.path):
        position = _position(source, offset)
        if first <= position.line <= last:
            hints.append(lsp.InlayHint(position, label, kind=lsp.InlayHintKind.Type, padding_left=True))
    return hints


def _symbol_at(ls: NetdslServer, uri: str, position: lsp.Position) -> tuple[_State, Symbol] | None:
    state, path, offset = _at(ls, uri, position)
    occurrence = state.index.at(path, offset) if state.index else None
    return (state, occurrence.symbol) if occurrence else None


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: NetdslServer, params: lsp.DefinitionParams) -> list[lsp.Location] | None:
    found = _symbol_at(ls, params.text_document.uri, params.position)
    return [_location(found[1].span)] if found else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: NetdslServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    found = _symbol_at(ls, params.text_document.uri, params.position)
    if not found:
        return None
    state, symbol = found
    spans = state.index.references(symbol)
    if not params.context.include_declaration:
        spans = [s for s in spans if s != symbol.span]
    return [_location(s) for s in spans]


_SYMBOL_KINDS = {"network": lsp.SymbolKind.Class, "block": lsp.SymbolKind.Function, "param": lsp.SymbolKind.TypeParameter,
                 "dim": lsp.SymbolKind.Constant, "tensor": lsp.SymbolKind.Variable, "layer": lsp.SymbolKind.Field,
                 "loop": lsp.SymbolKind.Variable}


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_document_symbol(ls: NetdslServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    state = ls.state(params.text_document.uri)
    if state.index is None:
        return []
    source = state.analysis.source
    symbols = []
    for definition in state.analysis.program.scopes.get(source, {}).values():
        if definition.span.source != source:
            continue
        children = [lsp.DocumentSymbol(s.name, _SYMBOL_KINDS[s.kind], _range(s.span), _range(s.span), detail=s.kind)
                    for s in state.index.symbols_of(definition)]
        symbols.append(lsp.DocumentSymbol(definition.name.name, _SYMBOL_KINDS[definition.kind], _range(definition.span),
                                          _range(definition.name.span), detail=definition.kind, children=children))
    return symbols


_ITEM_KINDS = {"layer": lsp.CompletionItemKind.Class, "block": lsp.CompletionItemKind.Module,
               "argument": lsp.CompletionItemKind.Property, "tensor": lsp.CompletionItemKind.Variable,
               "param": lsp.CompletionItemKind.TypeParameter, "keyword": lsp.CompletionItemKind.Keyword,
               "initializer": lsp.CompletionItemKind.Function}


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[">", "(", ",", " "]))
def on_completion(ls: NetdslServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    uri = params.text_document.uri
    text = ls.workspace.get_text_document(uri).source
    state = ls.states.get(uri)   # the last check, which may be of an earlier version that parsed
    blocks, params_of = {}, {}
    if state is not None and state.analysis.program is not None:
        for name, definition in state.analysis.program.definitions.items():
            if definition.kind == "block":
                blocks[name] = f"block {name}({', '.join(p.span.text for p in definition.params)})"
                params_of[name] = [(p.name.name, p.span.text) for p in definition.params]
    items = completion.complete(text, _offset(text, params.position), blocks, params_of)
    return lsp.CompletionList(False, [
        lsp.CompletionItem(i.label, kind=_ITEM_KINDS[i.kind], detail=i.detail or None,
                           documentation=i.documentation or None, insert_text=i.insert) for i in items])


@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
def on_code_action(ls: NetdslServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    state, path, start = _at(ls, uri, params.range.start)
    end = _offset(state.analysis.source.text, params.range.end)
    actions = []
    for diagnostic in state.analysis.diagnostics.sorted():
        span = diagnostic.span
        if not diagnostic.fixes or span is None or span.source.path != path or span.end < start or span.start > end:
            continue
        for number, fix in enumerate(diagnostic.fixes):
            edits = [lsp.TextEdit(_range(e.span), e.replacement) for e in fix.edits]
            actions.append(lsp.CodeAction(printable(fix.message), kind=lsp.CodeActionKind.QuickFix, is_preferred=number == 0,
                                          diagnostics=[_diagnostic(diagnostic, state.analysis.source)],
                                          edit=lsp.WorkspaceEdit(changes={uri: edits})))
    return actions


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: NetdslServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
    document = ls.workspace.get_text_document(params.text_document.uri)
    try:
        formatted = format_text(document.source, to_fs_path(params.text_document.uri) or "<editor>")
    except CompileError:
        return None   # a spec that does not parse is left alone; its diagnostic says why
    if formatted == document.source:
        return []
    whole = SourceFile("", document.source)
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), _position(whole, len(document.source))), formatted)]


def serve() -> None:
    """Serve LSP over stdin/stdout until the client says exit."""
    server.start_io()
