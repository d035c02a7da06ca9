"""What the explanations of a syntax error look at (netdsl.syntax_errors): the tokens before the error
as the parser saw them, the brackets left open, the definition whose body is open, and whether a repair
makes the text parse past the error."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from lark import Lark, Token
from lark.exceptions import UnexpectedInput, UnexpectedToken

from .diagnostics import Edit
from .source import SourceFile, Span

OPENERS = {"RPAR": "LPAR", "RSQB": "LSQB"}
DEPTH = {"LPAR": 1, "LSQB": 1, "RPAR": -1, "RSQB": -1}   # how a token changes the bracket depth


@dataclass
class ErrorContext:
    """One parse error of one file, and the questions its explanations ask about the text around it."""
    source: SourceFile
    parser: Lark
    found: Token              # the token the parser could not take: "$END" at the end, "CHAR" for a stray character
    expected: frozenset[str]  # the terminals the parser would have taken instead

    @property
    def text(self) -> str:
        return self.source.text

    @cached_property
    def tokens(self) -> list[Token]:
        """The file's tokens, with the line breaks that end statements, as the parser sees them; up to the
        first character that starts no token."""
        tokens = []
        try:
            tokens.extend(self.parser.lex(self.text))
        except UnexpectedInput:
            pass
        return tokens

    @cached_property
    def before(self) -> list[Token]:
        """The tokens before `found`."""
        return [t for t in self.tokens if t.start_pos < self.found.start_pos]

    def closed_later(self, opener: Token) -> bool:
        """Whether the bracket `opener` is closed before its body ends."""
        depth = 0
        for token in (t for t in self.tokens if t.start_pos >= opener.start_pos):
            if token.type in ("RBRACE", "DEFKIND"):
                return False
            depth += DEPTH.get(token.type, 0)
            if depth == 0:
                return True
        return False

    @cached_property
    def previous(self) -> Token | None:
        """The last token before `found`, line breaks aside."""
        return next((t for t in reversed(self.before) if t.type != "_NL"), None)

    def token_before(self, token: Token, line_breaks: bool = True) -> Token | None:
        """The token before `token` (which may be `found`), optionally skipping line breaks."""
        return next((t for t in reversed(self.before) if t.start_pos < token.start_pos
                     and (line_breaks or t.type != "_NL")), None)

    def starts_statement(self, token: Token) -> bool:
        earlier = self.token_before(token)
        return earlier is None or earlier.type in ("_NL", "LBRACE")

    @property
    def statement(self) -> list[Token]:
        """The tokens of the statement (or top-level line) that `found` is in, before it."""
        start = next((i + 1 for i in range(len(self.before) - 1, -1, -1)
                      if self.before[i].type in ("_NL", "LBRACE", "RBRACE")), 0)
        return self.before[start:]

    @cached_property
    def open_brackets(self) -> list[Token]:
        """The `(`, `[` and `{` still open before `found`, outermost first."""
        stack: list[Token] = []
        for token in self.before:
            if token.type in ("LPAR", "LSQB", "LBRACE"):
                stack.append(token)
            elif token.type == "RBRACE":   # closes the body and any bracket left open in it
                while stack and stack.pop().type != "LBRACE":
                    pass
            elif token.type in OPENERS and stack and stack[-1].type == OPENERS[token.type]:
                stack.pop()
        return stack

    def open_definition(self) -> tuple[str, str, Token] | None:
        """(kind, name, opening brace) of the network or block whose body is still open."""
        brace = next((t for t in reversed(self.open_brackets) if t.type == "LBRACE"), None)
        if brace is None:
            return None
        header = [t for t in self.before if t.start_pos < brace.start_pos]
        kind = next((i for i in range(len(header) - 1, -1, -1) if header[i].type == "DEFKIND"), None)
        if kind is None or kind + 1 >= len(header):
            return None
        return str(header[kind]), str(header[kind + 1]), brace

    def span(self, start: int, end: int | None = None) -> Span:
        return Span(self.source, start, start if end is None else end)

    def token_span(self, token: Token) -> Span:
        return Span(self.source, token.start_pos, token.end_pos)

    def line_end(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end == -1 else end

    def line(self, offset: int) -> int:
        return self.source.line_col(offset)[0]

    def repairs(self, *edits: Edit) -> bool:
        """Whether the text with `edits` applied parses past the line of the error, with every bracket
        closed. The parse stops at the first token after that line: a repair costs no more than parsing
        up to the error."""
        text, line_end = self.text, self.line_end(self.found.start_pos)
        for edit in sorted(edits, key=lambda e: e.span.start, reverse=True):
            text = text[:edit.span.start] + edit.replacement + text[edit.span.end:]
        limit = line_end + sum(len(e.replacement) - (e.span.end - e.span.start) for e in edits
                               if e.span.start <= line_end)
        parser, depth = self.parser.parse_interactive(text), 0
        try:
            for token in parser.iter_parse():   # yields each token before feeding it
                if token.start_pos > limit and depth == 0:
                    return True
                depth += DEPTH.get(token.type, 0)
            parser.feed_eof()
        except UnexpectedInput as error:   # past the line, and not inside brackets left open
            return _error_offset(error, text) > limit and depth == 0
        return True

    def operand_before(self, token: Token) -> Span:
        """The call or value that ends with token: `conv2d(16, 3)` for its `)`."""
        if token.type != "RPAR":
            return self.token_span(token)
        earlier = [t for t in self.before if t.start_pos <= token.start_pos]
        depth = 0
        for i in range(len(earlier) - 1, -1, -1):
            depth += {"RPAR": 1, "LPAR": -1}.get(earlier[i].type, 0)
            if depth == 0:
                start = earlier[i - 1] if i and earlier[i - 1].type == "NAME" else earlier[i]
                return self.span(start.start_pos, token.end_pos)
        return self.token_span(token)

    def describe(self, token: Token) -> str:
        return {"$END": "the end of the file", "_NL": "the end of the line", "NAME": f"name `{token}`",
                "INT": f"number {token}", "FLOAT": f"number {token}", "STRING": f"string {token}"
                }.get(token.type, f"'{token}'")


def _error_offset(error: UnexpectedInput, text: str) -> int:
    if isinstance(error, UnexpectedToken):
        return len(text) if error.token.type == "$END" else error.token.start_pos
    return error.pos_in_stream
