"""`netdsl fmt`: one canonical layout for a spec, comments kept, meaning unchanged.

The layout: one statement per line, bodies indented by four spaces, one blank line between definitions
(at most one anywhere), one space around `->`, `=` and binary operators, none inside brackets or around
a keyword argument's `=`, a space after `,` and `:`. Trailing comments keep their column when there is
room (at least two spaces after the code) and are aligned with those on the lines around them.

Line breaks inside a statement are the writer's choice and are kept: the formatter never joins lines,
so it cannot join two statements even once newlines end statements. A break after `->` moves before it,
a chain longer than the line is broken before a `->`, and continuation lines starting with `->` line up
under the statement's first `->`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from . import syntax as ast
from .parser import parse
from .source import SourceFile
from .tokens import Token, lex

WIDTH = 100
INDENT = 4
_OPENERS, _CLOSERS = ("(", "["), (")", "]")
_BINARY = {"+", "-", "*", "/", "//", "%", "@"}
# After these, a `-` is a sign, not a subtraction.
_BEFORE_SIGN = {"(", "[", ",", "=", ":", "->", "{", "output", *_BINARY}


@dataclass
class _Code:
    token: Token
    depth: int            # bracket depth inside its statement
    tight: bool = False   # a keyword argument's `=`, or a sign: no space after (or around)


@dataclass
class _Line:
    unit: int                         # the statement (or header, import, brace) the line belongs to
    level: int                        # 0 at the top level, 1 inside a body
    first: bool                       # the unit's first line
    code: list[_Code] = field(default_factory=list)
    comment: Token | None = None      # a trailing comment, or the whole line's comment
    blank: int = 0                    # blank lines before it
    indent: int = 0


class _Layout:
    def __init__(self, text: str, module: ast.Module):
        self.text = text
        self.unit_starts: set[int] = set()
        self.top_starts: set[int] = set()      # imports and definitions
        self.opens: set[int] = set()           # a body's `{`
        self.closes: set[int] = set()          # a body's `}`
        self.headers: set[int] = set()         # definition starts (their header's `=` is spaced)
        for item in module.imports:
            self.top_starts.add(item.span.start)
        for definition in module.definitions:
            self.top_starts.add(definition.span.start)
            self.headers.add(definition.span.start)
            self.closes.add(definition.span.end - 1)
            for statement in definition.body:
                self.unit_starts.add(statement.span.start)
        self.unit_starts |= self.top_starts
        self.lines: list[_Line] = []

    # -------------------------------------------------------- tokens into lines

    def build(self, tokens: list[Token]) -> None:
        unit, level, depth, header, closed = -1, 0, 0, False, True
        previous: Token | None = None
        for token in _arrows_before_breaks(tokens):
            if token.kind == "comment":
                if token.newlines == 0 and self.lines and self.lines[-1].code and self.lines[-1].comment is None:
                    self.lines[-1].comment = token
                else:
                    line = _Line(unit, level, False, comment=token, blank=min(1, max(0, token.newlines - 1)))
                    self.lines.append(line)
                closed = True
                continue
            starts = token.start in self.unit_starts
            if starts:
                unit, depth, previous = unit + 1, 0, None
                header = token.start in self.headers
            if token.start in self.closes:
                unit, level, depth, previous = unit + 1, 0, 0, None
                starts = True
            if starts or closed or token.newlines:
                self.lines.append(_Line(unit, level, starts, blank=min(1, max(0, token.newlines - 1))))
                closed = False
            if token.text in _CLOSERS:
                depth -= 1
            tight = token.text == "=" and depth >= (2 if header else 1) or \
                token.text == "-" and (previous is None or previous.text in _BEFORE_SIGN)
            self.lines[-1].code.append(_Code(token, depth, tight))
            if token.text in _OPENERS:
                depth += 1
            if token.text == "{" and depth == 0 and header:
                level, closed, header = 1, True, False
            previous = token

    # -------------------------------------------------------- blank lines and indentation

    def arrange(self) -> None:
        lines = self.lines
        for index, line in enumerate(lines):
            before = lines[index - 1] if index else None
            if before is None or not line.first and line.code and line.unit == before.unit:
                line.blank = 0                          # inside a statement, and at the start of the file
            if before is not None and before.code and before.code[-1].token.text == "{":
                line.blank = 0                          # at the start of a body
            if line.code and line.code[0].token.start in self.closes:
                line.blank = 0                          # at its end
        for index, line in enumerate(lines):           # a definition, with the comments just above it
            if line.code and line.code[0].token.start in self.headers:
                lead = index
                while lead > 0 and not lines[lead - 1].code and lines[lead].blank == 0 and lines[lead - 1].level == 0:
                    lead -= 1
                if lead > 0:
                    lines[lead].blank = 1
        for index, line in enumerate(lines):
            line.indent = self.indent(index)

    def indent(self, index: int) -> int:
        line = self.lines[index]
        base = line.level * INDENT
        if not line.code:                            # a comment line: indented like the code after it
            following = next((other for other in self.lines[index + 1:] if other.code), None)
            if following is None:
                return base
            if following.code[0].token.start in self.closes:
                return INDENT
            return self.indent(self.lines.index(following))
        if line.first:
            return base
        head = line.code[0]
        if head.token.text == "->" and head.depth == 0:
            return self.arrow_column(line.unit, base)
        return base + INDENT * max(1, head.depth + (head.token.text in _CLOSERS))

    def arrow_column(self, unit: int, base: int) -> int:
        first = next(line for line in self.lines if line.unit == unit and line.first)
        _, columns = _render(first.code)
        for code, column in zip(first.code, columns):
            if code.token.text == "->" and code.depth == 0:
                return base + column
        return base + 2

    # -------------------------------------------------------- long chains

    def wrap(self) -> None:
        wrapped: list[_Line] = []
        for line in self.lines:
            wrapped += self.split(line) if line.code else [line]
        self.lines = wrapped

    def split(self, line: _Line) -> list[_Line]:
        """Break a line wider than WIDTH before its `->`s (never before a statement's first one)."""
        text, _ = _render(line.code)
        if line.indent + len(text) <= WIDTH:
            return [line]
        arrows = [i for i, c in enumerate(line.code) if c.token.text == "->" and c.depth == 0 and i > 0]
        if line.first and arrows:
            arrows = arrows[1:]
        if not arrows:
            return [line]
        column = self.arrow_column(line.unit, line.level * INDENT)
        bounds = [0, *arrows, len(line.code)]
        out: list[_Line] = []
        current = _Line(line.unit, line.level, line.first, line.code[:bounds[1]], blank=line.blank,
                        indent=line.indent)
        for begin, end in pairwise(bounds[1:]):
            piece = line.code[begin:end]
            if current.indent + len(_render(current.code + piece)[0]) <= WIDTH:
                current.code = current.code + piece
            else:
                out.append(current)
                current = _Line(line.unit, line.level, False, piece, indent=column)
        current.comment = line.comment
        return [*out, current]

    # -------------------------------------------------------- text

    def render(self) -> str:
        rendered = [(line, _render(line.code)[0]) for line in self.lines]
        columns = self.comment_columns(rendered)
        out = []
        for (line, code), column in zip(rendered, columns):
            out += [""] * line.blank
            text = " " * line.indent + code
            if line.comment is not None:
                text = text + " " * (column - len(text)) + line.comment.text if code else \
                    " " * line.indent + line.comment.text
            out.append(text.rstrip())
        return "\n".join(out) + "\n"

    def comment_columns(self, rendered: list[tuple[_Line, str]]) -> list[int]:
        """Trailing comments keep their column where there is room, aligned across consecutive lines."""
        wanted = []
        for line, code in rendered:
            if line.comment is None or not code:
                wanted.append(None)
                continue
            start = self.text.rfind("\n", 0, line.comment.start) + 1
            wanted.append(max(line.comment.start - start, line.indent + len(code) + 2))
        index = 0
        while index < len(wanted):
            if wanted[index] is None:
                index += 1
                continue
            end = index
            while end + 1 < len(wanted) and wanted[end + 1] is not None and rendered[end + 1][0].blank == 0:
                end += 1
            column = max(wanted[index:end + 1])
            wanted[index:end + 1] = [column] * (end + 1 - index)
            index = end + 1
        return [w or 0 for w in wanted]


def _arrows_before_breaks(tokens: list[Token]) -> list[Token]:
    """`a ->⏎ b` becomes `a⏎ -> b`: a line ends before a `->`, not after it (a comment after the `->`
    stays at the end of the line)."""
    out = list(tokens)
    index = 0
    while index < len(out) - 1:
        token = out[index]
        after = index + 1
        while after < len(out) and out[after].kind == "comment" and out[after].newlines == 0:
            after += 1
        if token.text == "->" and after < len(out) and (out[after].newlines or after > index + 1):
            following = out[after]
            moved = Token(token.kind, token.text, token.start, token.end, max(1, following.newlines))
            out[after] = Token(following.kind, following.text, following.start, following.end, 0)
            for comment in out[index + 1:after]:
                comment.newlines = 0
            out[index:after] = [*out[index + 1:after], moved]
        index += 1
    return out


def _render(codes: list[_Code]) -> tuple[str, list[int]]:
    """The line's code with canonical spacing, and each token's column."""
    parts, columns, width = [], [], 0
    for index, code in enumerate(codes):
        if index and _space(codes[index - 1], code):
            parts.append(" ")
            width += 1
        columns.append(width)
        parts.append(code.token.text)
        width += len(code.token.text)
    return "".join(parts), columns


def _space(left: _Code, right: _Code) -> bool:
    a, b = left.token, right.token
    if b.text in (",", ")", "]", ":") or a.text in _OPENERS:
        return False
    if left.tight or right.tight and b.text == "=":
        return False
    return not (b.text == "(" and a.kind == "name")


def format_text(text: str, path: str = "<string>") -> str:
    """The canonical layout of spec text. Raises CompileError (a syntax diagnostic) if it does not parse."""
    module = parse(SourceFile(path, text))
    layout = _Layout(text, module)
    layout.build(lex(text))
    layout.arrange()
    layout.wrap()
    return layout.render()


def format_file(path: str, write: bool = True) -> tuple[str, str]:
    """(the text, its canonical layout); the file is rewritten when write is set and they differ."""
    from .program import read_source
    source = read_source(path)
    formatted = format_text(source.text, source.path)
    if write and formatted != source.text:
        with open(path, "w", encoding="utf-8") as out:
            out.write(formatted)
    return source.text, formatted
