"""Syntax errors in words (E01xx): a Lark parse error becomes one Diagnostic that names the likely cause,
points at it and, where the repair is certain, carries a Fix.

Each explanation looks at the token the parser could not take, the tokens before it and the terminals the
parser would have taken, and either explains the error or passes to the next. A repair is suggested only
when the text with the repair applied parses past the line of the error (`ErrorContext.repairs`)."""

from __future__ import annotations

import re
from dataclasses import replace

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput

from . import codes
from .diagnostics import Diagnostic, Edit, Fix, Note, Severity
from .fixes import respell
from .source import SourceFile, Span
from .syntax import LINE_BREAK_RULE
from .syntax_context import DEPTH, ErrorContext

_CLOSERS = {"LPAR": ")", "LSQB": "]"}
_CLOSING = {"LPAR": "RPAR", "LSQB": "RSQB"}
# Tokens after which an expression may be complete, so that a `->` could follow.
_ENDS_OPERAND = frozenset({"NAME", "INT", "FLOAT", "STRING", "RPAR", "RSQB", "TRUE", "FALSE", "NONE"})
_STARTS_OPERAND = frozenset({"NAME", "INT", "FLOAT", "STRING", "LPAR", "TRUE", "FALSE", "NONE"})


def _closest(word: str, candidates) -> str | None:
    import difflib  # here: only a misspelt keyword needs it, and it costs start-up time
    matches = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


# ---------------------------------------------------------------- the explanations, most specific first

def _error(code: codes.Code, message: str, span: Span, **details) -> Diagnostic:
    return Diagnostic(code.code, Severity.ERROR, message, span, **details)


def _unterminated_string(ctx: ErrorContext) -> Diagnostic | None:
    quote = str(ctx.found)
    if ctx.found.type != "CHAR" or quote not in "'\"":
        return None
    start, end = ctx.found.start_pos, ctx.line_end(ctx.found.start_pos)
    word = re.match(r"[\w.-]*", ctx.text[start + 1:end])[0]
    close = ctx.span(start + 1 + len(word))
    fixes = (Fix(f"close the string after `{word}`", (Edit(close, quote),)),) \
        if word and ctx.repairs(Edit(close, quote)) else ()
    help = f"close it: {quote}{word}{quote}" if fixes else f"close it with {quote} on the same line"
    return _error(codes.E0107, "unterminated string", ctx.span(start, len(ctx.text[:end].rstrip())),
                  label=f"this string has no closing {quote}", help=help + " (a string ends on its line)",
                  fixes=fixes)


def _wrong_arrow(ctx: ErrorContext) -> Diagnostic | None:
    pos, found = ctx.found.start_pos, str(ctx.found)
    if found == ">" and ctx.text.startswith("=>", pos - 1):
        start, wrong = pos - 1, "=>"
    elif found == "=" and ctx.text.startswith("=>", pos) or found == "→":
        start, wrong = pos, ctx.text[pos:pos + 2] if found == "=" else found
    else:
        return None
    span = ctx.span(start, start + len(wrong))
    return _error(codes.E0108, f"`{wrong}` is not netdsl's arrow: a chain is written with `->`", span,
                  help="write `x -> relu`", fixes=respell(span, "->"))


def _unclosed_body(ctx: ErrorContext) -> Diagnostic | None:
    # Inside a body the parser takes `network` for a name, so the error may come one token after it.
    keyword = next((t for t in (ctx.found, ctx.previous) if t is not None and t.type == "DEFKIND"), None)
    opened = ctx.open_definition()
    if opened is None or keyword is None and ctx.found.type != "$END":
        return None
    kind, name, brace = opened
    last = ctx.previous if keyword is None else ctx.token_before(keyword, line_breaks=False)
    notes = [Note(f"the body of {kind} `{name}` opens here", ctx.token_span(brace))]
    if keyword is not None:
        following = re.match(r"\s*(\w*)", ctx.text[keyword.end_pos:])[1]
        message = f"{kind} `{name}` is not closed before {keyword} `{following}`"
        notes.append(Note(f"{keyword} `{following}` starts here, still inside `{name}`", ctx.token_span(keyword)))
    else:
        message = f"{kind} `{name}` is not closed at the end of the file"
    close = Edit(ctx.span(last.end_pos), "\n}")
    fixes = (Fix(f"close {kind} `{name}` with `}}`", (close,)),) if ctx.repairs(close) else ()
    return _error(codes.E0103, message, ctx.span(last.end_pos - 1, last.end_pos),
                  label="expected `}` after this", notes=tuple(notes),
                  help=f"add `}}` on a line after line {ctx.line(last.start_pos)}", fixes=fixes)


_PYTHON_WORDS = {
    "def": ("netdsl has no `def`: a reusable piece of network is a `block`",
            "write `block Name(channels: int) { input x ... output ... }` and use it as a layer: `x -> Name(64)`"),
    "class": ("netdsl has no `class`: a model is a `network`",
              "write `network Name(classes: int = 10) { input x: [N, 3, 32, 32] ... }`"),
    "return": ("netdsl has no `return`: a network or block gives its result with `output`",
               "write `output` where Python has `return`"),
    "lambda": ("netdsl has no `lambda`", "write the expression itself, or define a `block` and use it as a layer"),
}


def _python_habit(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if found.type == "NAME" and previous is not None and previous.type in ("IMPORT", "FROM"):
        return _error(codes.E0110, f"`{previous}` takes a quoted path to a .net file, not a Python module",
                      ctx.token_span(found), help="write `import \"blocks.net\"` or `from \"blocks.net\" import "
                      "Name`; layers and PyTorch itself need no import")
    if found.type in ("IMPORT", "FROM") and ctx.open_definition() is not None:
        return _error(codes.E0110, f"`{found}` inside a {ctx.open_definition()[0]}",
                      ctx.token_span(found), help="imports go at the top level of the file, and layers need none")
    word = next((t for t in (found, *reversed(ctx.statement)) if t.type == "NAME" and str(t) in _PYTHON_WORDS), None)
    if word is None:
        return None
    message, help = _PYTHON_WORDS[str(word)]
    fixes = ()
    if str(word) == "return" and ctx.starts_statement(word) and ctx.repairs(Edit(ctx.token_span(word), "output")):
        fixes = respell(ctx.token_span(word), "output")
    return _error(codes.E0110, message, ctx.token_span(word), help=help, fixes=fixes)


def _misspelt_keyword(ctx: ErrorContext) -> Diagnostic | None:
    found = ctx.found
    if found.type == "NAME" and "DEFKIND" in ctx.expected:
        word, keywords = found, ("network", "block", "import", "from")
    elif ctx.statement and ctx.statement[0].type == "NAME":
        word, keywords = ctx.statement[0], ("input", "output")   # `inupt x: [N, 3]`, `ouput(h)`
    else:
        return None
    keyword = _closest(str(word), keywords)
    edit = Edit(ctx.token_span(word), keyword or "")
    if keyword is None or not ctx.repairs(edit):
        return None
    return _error(codes.E0109, f"unknown keyword `{word}`", ctx.token_span(word),
                  help=f"did you mean `{keyword}`?", fixes=respell(ctx.token_span(word), keyword))


_LITERAL_TYPES = (("bool", r"(true|false)\b"), ("str", r"[\"']"), ("float", r"-?(\d[\d_]*)?\.\d|-?\d[\d_]*[eE.]"),
                  ("int", r"-?\d"))


def _literal_type(text: str) -> str | None:
    return next((name for name, pattern in _LITERAL_TYPES if re.match(pattern, text)), None)


def _parameter_declaration(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if ctx.expected == {"COLON"} and previous.type == "NAME" and found.type in ("EQUAL", "COMMA", "RPAR"):
        name = str(previous)
        if found.type == "EQUAL":
            type_name = _literal_type(ctx.text[found.end_pos:].lstrip())
            edit = Edit(ctx.span(previous.end_pos), f": {type_name}")
            if type_name and ctx.repairs(edit):
                return _error(codes.E0111, f"parameter `{name}` has no type: a parameter is "
                              "declared `name: type = default`", ctx.token_span(found),
                              label="expected `:` and a type before the default",
                              help=f"write `{name}: {type_name} = …`",
                              fixes=(Fix(f"declare `{name}: {type_name}`", (edit,)),))
        return _error(codes.E0111, f"parameter `{name}` has no type", ctx.token_span(previous),
                      help=f"write `{name}: int` (or `float`, `bool`, `str`), with `= default` if it has one")
    if previous is not None and previous.type == "COLON" and ctx.expected == {"NAME"}:
        name = ctx.token_before(previous)
        type_name = _literal_type(ctx.text[found.start_pos:])
        edit = Edit(ctx.span(found.start_pos), f"{type_name} = ")
        if type_name and ctx.repairs(edit):
            return _error(codes.E0111, f"parameter `{name}` has a default but no type",
                          ctx.token_span(found), label="expected a type here",
                          help=f"write `{name}: {type_name} = {found}`",
                          fixes=(Fix(f"declare `{name}: {type_name}`", (edit,)),))
    return None


def _missing_value(ctx: ErrorContext) -> Diagnostic | None:
    found, equal = ctx.found, ctx.previous
    if equal is None or equal.type != "EQUAL" or found.type not in ("COMMA", "RPAR"):
        return None
    name = ctx.token_before(equal)
    if name is None or name.type != "NAME":
        return None
    comma = ctx.token_before(name)
    if comma is not None and comma.type == "COMMA":
        remove = ctx.span(comma.start_pos, equal.end_pos)           # `, bias=`
    else:
        after = found.end_pos if found.type == "COMMA" else equal.end_pos
        spaces = len(re.match(r"\s*", ctx.text[after:])[0]) if found.type == "COMMA" else 0
        remove = ctx.span(name.start_pos, after + spaces)           # `bias=, ` or `bias=`
    in_header = ctx.open_definition() is None
    what = f"parameter `{name}` has no default value" if in_header else f"argument `{name}` has no value"
    fixes = (Fix(f"remove `{name}=`", (Edit(remove, ""),)),) if ctx.repairs(Edit(remove, "")) else ()
    return _error(codes.E0113, what, ctx.span(name.start_pos, equal.end_pos),
                  label="expected a value after `=`",
                  help="write a default (`= …`) or remove `=`" if in_header else
                  f"write a value (`{name}=…`) or leave `{name}` out to use its default", fixes=fixes)


def _stray_comma(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if found.type != "COMMA":
        return None
    if previous is not None and previous.type == "COMMA":
        why = "two commas in a row"
    elif previous is not None and previous.type in ("LPAR", "LSQB"):
        why = f"a `,` right after `{previous}`"
    elif not [t for t in ctx.open_brackets if t.type != "LBRACE"]:
        line_start = ctx.text.rfind("\n", 0, found.start_pos) + 1
        indent = re.match(r"[ \t]*", ctx.text[line_start:])[0]
        after = len(re.match(r"[ \t]*", ctx.text[found.end_pos:])[0])
        split = Edit(ctx.span(found.start_pos, found.end_pos + after), "\n" + indent)
        return _error(codes.E0112, "unexpected `,`: statements are separated by line breaks",
                      ctx.token_span(found), help="start the next statement on a new line",
                      fixes=(Fix("break the line here", (split,)),) if ctx.repairs(split) else ())
    else:
        why = "nothing can follow here"
    remove = Edit(ctx.token_span(found), "")
    fixes = (Fix("remove the `,`", (remove,)),) if ctx.repairs(remove) else ()
    return _error(codes.E0112, f"unexpected `,`: {why}", ctx.token_span(found),
                  help="remove it" if fixes else None, fixes=fixes)


def _repeat_without_parentheses(ctx: ErrorContext) -> Diagnostic | None:
    previous = ctx.previous
    if ctx.found.type != "STAR" or previous is None or previous.type != "NAME":
        return None
    earlier = ctx.token_before(previous)
    if earlier is None or earlier.type not in ("ARROW", "COLON"):
        return None
    insert = Edit(ctx.span(previous.end_pos), "()")
    if not ctx.repairs(insert):
        return None
    count = re.match(r"[*]\s*([\w.]*)", ctx.text[ctx.found.start_pos:])[1] or "n"
    return _error(codes.E0115, f"a repeated layer or block needs its parentheses: `{previous}() * "
                  f"{count}`", ctx.token_span(previous), label="no `(...)` here",
                  help=f"write `{previous}() * {count}`",
                  fixes=(Fix(f"insert `()` after `{previous}`", (insert,)),))


def _missing_arrow(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if "ARROW" not in ctx.expected or previous is None:
        return None
    if found.type == "NAME" and previous.type in _ENDS_OPERAND:
        at, before = found, ctx.operand_before(previous)       # `conv2d(16, 3) relu`
    elif found.type in ("_NL", "RBRACE", "$END") and previous.type == "NAME" and ctx.starts_statement(previous):
        at, before = previous, None                            # a line that is only `relu`
    else:
        return None
    insert = Edit(ctx.span(at.start_pos), "-> ")
    if not ctx.repairs(insert):
        return None
    message = f"`->` is missing between `{before.text}` and `{at}`" if before else f"`->` is missing before `{at}`"
    notes = () if before else (Note(f"a line that is only `{at}` does nothing; {LINE_BREAK_RULE}"),)
    return _error(codes.E0114, message, ctx.token_span(at), label="expected `->` before this",
                  notes=notes, help=f"write `-> {at}`", fixes=(Fix("insert `->`", (insert,)),))


def _unclosed_bracket(ctx: ErrorContext) -> Diagnostic | None:
    brackets = [t for t in ctx.open_brackets if t.type != "LBRACE"]
    if not brackets:
        return None
    opener = brackets[-1]
    closer = _CLOSERS[opener.type]
    if _CLOSING[opener.type] not in ctx.expected or ctx.closed_later(opener):
        return None
    earlier = ctx.token_before(opener)
    what = f"`{earlier}{opener}`" if earlier is not None and earlier.type == "NAME" else f"`{opener}`"
    help = f"is a `{closer}` missing?"
    for at in _closing_candidates(ctx, opener):
        if ctx.repairs(Edit(ctx.span(at), closer)):
            start = ctx.text.rfind("\n", 0, at) + 1
            line = ctx.text[start:at] + closer + ctx.text[at:ctx.line_end(at)]
            help = f"is a `{closer}` missing? perhaps `{line.strip()}`"
            break
    return _error(codes.E0116, f"{what} is not closed", ctx.token_span(opener),
                  label=f"this `{opener}` has no matching `{closer}`",
                  notes=(Note(f"the parser reached {ctx.describe(ctx.found)} still inside it",
                              ctx.token_span(ctx.found) if ctx.found.type != "$END" else None),),
                  help=help)


def _closing_candidates(ctx: ErrorContext, opener: Token) -> list[int]:
    """Where the missing bracket may go: before an `->` inside the brackets (a chain in an argument is
    rare), at the end of the line the bracket opened on, or right before the error."""
    inside = [t for t in ctx.before if t.start_pos > opener.start_pos]
    candidates, depth = [], 0
    for i, token in enumerate(inside):
        depth += DEPTH.get(token.type, 0)
        if token.type == "ARROW" and depth == 0 and i:
            candidates.append(inside[i - 1].end_pos)
            break
    line_end = ctx.line_end(opener.start_pos)
    on_line = [t for t in inside if t.end_pos <= line_end]
    if on_line:
        candidates.append(on_line[-1].end_pos)
    if ctx.previous is not None:
        candidates.append(ctx.previous.end_pos)
    return candidates


def _line_break(ctx: ErrorContext) -> Diagnostic | None:
    if ctx.found.type != "_NL":
        return None
    previous = ctx.previous
    span = ctx.span(ctx.found.start_pos, ctx.found.start_pos + 1)
    if previous is not None and previous.type == "OUTPUT":
        join = Edit(ctx.span(ctx.found.start_pos, ctx.found.end_pos), " ")
        return _error(codes.E0117, "`output` needs its value on the same line", span,
                      label="the line ends here", notes=(Note(LINE_BREAK_RULE),), help="write `output x`",
                      fixes=(Fix("join the lines", (join,)),) if ctx.repairs(join) else ())
    return _error(codes.E0117, f"the statement ends at this line break but is not complete: "
                  f"expected {_expected_words(ctx)}", span, label="the line ends here",
                  notes=(Note(LINE_BREAK_RULE),),
                  help="finish the statement on this line, or start the next line with `->` or an operator")


def _arrow_without_layer(ctx: ErrorContext) -> Diagnostic | None:
    if ctx.previous is None or ctx.previous.type != "ARROW" or "NAME" not in ctx.expected:
        return None
    return Diagnostic(codes.E0102.code, Severity.ERROR,
                      f"expected a layer or block name after '->', found {ctx.describe(ctx.found)}",
                      _found_span(ctx), help="write a layer such as `relu` or `linear(10)`, or `output`")


def _semicolon(ctx: ErrorContext) -> Diagnostic | None:
    if str(ctx.found) != ";":
        return None
    remove = Edit(ctx.token_span(ctx.found), "")
    return _error(codes.E0112, "unexpected `;`: a statement ends at the line break",
                  ctx.token_span(ctx.found), help="remove it",
                  fixes=(Fix("remove the `;`", (remove,)),) if ctx.repairs(remove) else ())


def _missing_comma(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if "COMMA" not in ctx.expected or previous is None or previous.type not in _ENDS_OPERAND \
            or found.type not in _STARTS_OPERAND or not [t for t in ctx.open_brackets if t.type != "LBRACE"]:
        return None
    gaps = [previous.end_pos, *_more_gaps(ctx)]
    inserts = tuple(Edit(ctx.span(at), ",") for at in gaps)
    if not ctx.repairs(*inserts):
        return None
    more = {1: "", 2: " (and in one more place on this line)"}.get(len(gaps), f" (and in {len(gaps) - 1} more "
                                                                            "places on this line)")
    return _error(codes.E0118, f"`,` is missing between `{ctx.operand_before(previous).text}` and "
                  f"`{found}`{more}", ctx.token_span(found), label="expected `,` before this",
                  help="separate the items with `,`", fixes=(Fix("insert the missing `,`", inserts),))


def _more_gaps(ctx: ErrorContext) -> list[int]:
    """Where else, in the same brackets on the same line after `found`, two items have no `,` between them."""
    gaps, depth, last, line_end = [], DEPTH.get(ctx.found.type, 0), ctx.found, ctx.line_end(ctx.found.start_pos)
    for token in (t for t in ctx.tokens if ctx.found.start_pos < t.start_pos < line_end):
        if depth == 0 and last.type in _ENDS_OPERAND and token.type in _STARTS_OPERAND:
            gaps.append(last.end_pos)
        depth += DEPTH.get(token.type, 0)
        if depth < 0:
            break
        last = token
    return gaps


def _definition_header(ctx: ErrorContext) -> Diagnostic | None:
    found, previous = ctx.found, ctx.previous
    if found.type == "LBRACE" and ctx.expected == {"LPAR"} and previous is not None:
        kind = ctx.token_before(previous)
        insert = Edit(ctx.span(previous.end_pos), "()")
        return _error(codes.E0111, f"{kind} `{previous}` needs a parameter list, even an empty one",
                      ctx.token_span(previous), help=f"write `{kind} {previous}() {{`",
                      fixes=(Fix("insert `()`", (insert,)),) if ctx.repairs(insert) else ())
    if found.type == "COLON" and "LBRACE" in ctx.expected:
        return _error(codes.E0110, "a body is written in braces `{ … }`, not after `:`",
                      ctx.token_span(found), help="write `network Name() {`, the statements, and `}`")
    return None


def _unmatched_closer(ctx: ErrorContext) -> Diagnostic | None:
    found = ctx.found
    opener = {"RPAR": "(", "RSQB": "[", "RBRACE": "{"}.get(found.type)
    brackets = [t for t in ctx.open_brackets if t.type != "LBRACE"]
    if opener is None or opener == "{" and ctx.open_brackets or brackets and str(brackets[-1]) == opener:
        return None
    if brackets:   # `linear(10]`: the wrong kind of bracket
        closer = _CLOSERS[brackets[-1].type]
        edit = Edit(ctx.token_span(found), closer)
        message, label = f"`{found}` where `{closer}` is expected", f"this closes `{brackets[-1]}`"
        fix = f"write `{closer}`"
    else:
        edit = Edit(ctx.token_span(found), "")
        message, label, fix = f"unmatched `{found}`", f"no `{opener}` is open here", f"remove the `{found}`"
    fixes = (Fix(fix, (edit,)),) if ctx.repairs(edit) else ()
    return _error(codes.E0116, message, ctx.token_span(found), label=label,
                  notes=(Note(f"the `{brackets[-1]}` it would close", ctx.token_span(brackets[-1])),) if brackets
                  else (), help=fix if fixes else None, fixes=fixes)


_CHARACTER_EXPLANATIONS = (_unterminated_string, _wrong_arrow, _semicolon)
_TOKEN_EXPLANATIONS = (_wrong_arrow, _unclosed_body, _python_habit, _misspelt_keyword, _definition_header,
                       _parameter_declaration, _missing_value, _stray_comma, _repeat_without_parentheses,
                       _arrow_without_layer, _missing_arrow, _missing_comma, _unclosed_bracket, _unmatched_closer,
                       _line_break)


# ---------------------------------------------------------------- the generic message

_TERMINAL_WORDS = {
    "NAME": "a name", "INT": "an integer", "FLOAT": "a number", "STRING": "a string",
    "DEFKIND": "`network` or `block`", "$END": "end of file", "_NL": "a line break",
}
# The order in which expected tokens are listed: the likely fix first.
_PRIORITY = ["RPAR", "RSQB", "RBRACE", "COMMA", "ARROW", "NAME", "INT"]


def _describe_terminal(name: str, parser: Lark) -> str:
    if name in _TERMINAL_WORDS:
        return _TERMINAL_WORDS[name]
    terminal = next((t for t in parser.terminals if t.name == name), None)
    if terminal is not None and terminal.pattern.type == "str":
        return f"'{terminal.pattern.value}'"
    return name.lower()


def _expected_words(ctx: ErrorContext) -> str:
    names = sorted(ctx.expected - {"$END"} if ctx.found.type != "$END" else ctx.expected,
                   key=lambda n: (_PRIORITY.index(n) if n in _PRIORITY else len(_PRIORITY), n))
    words = [_describe_terminal(n, ctx.parser) for n in names] or ["something else"]
    shown = words if len(words) <= 6 else words[:6] + ["…"]
    return ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]


def _found_span(ctx: ErrorContext) -> Span:
    if ctx.found.type == "$END":
        end = len(ctx.text.rstrip())
        return ctx.span(max(end - 1, 0), end)
    return ctx.token_span(ctx.found)


def _expected_found(ctx: ErrorContext) -> Diagnostic:
    if ctx.found.type == "CHAR":
        return _error(codes.E0101, f"unexpected character {str(ctx.found)!r}", _found_span(ctx),
                      help="names are letters, digits and `_`; strings use quotes")
    return _error(codes.E0102, f"expected {_expected_words(ctx)}, found {ctx.describe(ctx.found)}",
                  _found_span(ctx), label="the file ends here" if ctx.found.type == "$END" else "")


def _paren_statement_note(ctx: ErrorContext) -> Note | None:
    """When the statement in error starts with `(` on the line after a bare layer name, the user may
    have meant the parenthesis as that layer's arguments."""
    breaks = [i for i, t in enumerate(ctx.before) if t.type == "_NL"]
    if not breaks or breaks[-1] + 1 >= len(ctx.before) or breaks[-1] == 0:
        return None
    start, last = ctx.before[breaks[-1] + 1], ctx.before[breaks[-1] - 1]
    if start.type != "LPAR" or last.type != "NAME":
        return None
    return Note(f"the line break before this `(` ends the statement on line {ctx.line(last.start_pos)}: "
                f"to call `{last}` with these arguments, put `(` right after `{last}`", ctx.token_span(start))


def syntax_diagnostic(source: SourceFile, error: UnexpectedInput, parser: Lark) -> Diagnostic:
    """The diagnostic for a Lark parse error of `source`."""
    if isinstance(error, UnexpectedCharacters):
        pos = error.pos_in_stream
        found = Token("CHAR", source.text[pos], pos, end_pos=pos + 1)
    elif error.token.type == "$END":
        found = Token("$END", "", len(source.text), end_pos=len(source.text))
    else:
        found = error.token
    accepts = error.interactive_parser.accepts() if getattr(error, "interactive_parser", None) else None
    expected = accepts if accepts is not None else getattr(error, "expected", None) or error.allowed
    ctx = ErrorContext(source, parser, found, frozenset(expected))
    explanations = _CHARACTER_EXPLANATIONS if found.type == "CHAR" else _TOKEN_EXPLANATIONS
    diagnostic = next((d for d in (explain(ctx) for explain in explanations) if d is not None), None) \
        or _expected_found(ctx)
    note = _paren_statement_note(ctx)
    return diagnostic if note is None else replace(diagnostic, notes=(*diagnostic.notes, note))
