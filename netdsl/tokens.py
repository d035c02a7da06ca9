"""The tokens of a spec, comments included: what the formatter lays out and the language server reads
while a spec is being typed (and may not parse). Lexed by the grammar's own terminals, so a token here is
a token to the parser."""

from __future__ import annotations

from dataclasses import dataclass

from lark.exceptions import UnexpectedCharacters

from .parser import lark_parser


@dataclass
class Token:
    kind: str        # "name", "keyword", "number", "string", "comment" or "op"
    text: str
    start: int
    end: int
    newlines: int    # line breaks between the previous token and this one


_KINDS = {"NAME": "name", "INT": "number", "FLOAT": "number", "STRING": "string", "COMMENT": "comment",
          "DEFKIND": "keyword"}


def lex(text: str) -> list[Token]:
    """Every token of text with its offsets. A character no terminal matches is skipped, so text that
    is being typed still lexes."""
    found: list[Token] = []
    offset, end = 0, 0
    while offset < len(text):
        try:
            for token in lark_parser().lex(text[offset:], dont_ignore=True):
                value, start = str(token), offset + token.start_pos
                if not value.strip():
                    continue   # whitespace: its line breaks are counted from the text (the post-lexer drops some)
                kind = _KINDS.get(token.type) or ("keyword" if value.isalpha() else "op")
                found.append(Token(kind, value, start, start + len(value), text.count("\n", end, start)))
                end = start + len(value)
            break
        except UnexpectedCharacters as error:
            offset += error.pos_in_stream + 1
    return found
