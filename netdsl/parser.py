"""Text → AST. A cached LALR Lark parser over grammars/netdsl.lark; Lark errors become Diagnostics."""

from __future__ import annotations

import gc
import os
import re
from functools import cache

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from . import codes
from . import syntax as ast
from .diagnostics import CompileError, Diagnostic, Severity
from .grammar_cache import cached_lark
from .scanning import SharedScanLexer
from .source import SourceFile, Span

_HERE = os.path.dirname(os.path.realpath(__file__))
# Installed wheel: netdsl/grammars/; source tree: grammars/ beside the package.
_GRAMMAR_CANDIDATES = (os.path.join(_HERE, "grammars", "netdsl.lark"),
                       os.path.join(os.path.dirname(_HERE), "grammars", "netdsl.lark"))


def grammar_path() -> str:
    for candidate in _GRAMMAR_CANDIDATES:
        if os.path.isfile(candidate):
            return candidate
    raise FileNotFoundError("netdsl.lark not found next to the netdsl package")


class LineBreaks:
    """Lark post-lexer: keeps a line break (`_NL`) only where it ends a statement. The lexer already
    turned a break before a line starting with `->` or an operator into whitespace; this drops the
    breaks inside brackets, outside bodies, after a token that cannot end a statement, and repeats.
    The braces of an `if` or `for` stage (inside a body) count as brackets, and a break between their
    `}` and an `else` is a space."""

    always_accept = ("_NL",)   # the contextual lexer must produce it in every parser state
    ENDS_STATEMENT = frozenset({"NAME", "INT", "FLOAT", "STRING", "RPAR", "RSQB", "RBRACE", "TRUE", "FALSE",
                                "NONE", "OUTPUT"})
    BRACKETS = frozenset({"LPAR", "RPAR", "LSQB", "RSQB", "LBRACE", "RBRACE"})

    def process(self, stream):
        brackets = braces = 0     # open brackets (stage braces included); 1 inside a definition's body
        stages = []               # the bracket depths at which the open stage braces were opened
        can_end = False   # the last token passed on can end a statement
        held = last = None   # held: a line break after a stage's `}`, dropped if `else` follows
        bracket_kinds, enders = self.BRACKETS, self.ENDS_STATEMENT   # locals: this loop sees every token
        for token in stream:
            kind = token.type
            if held is not None:
                if kind != "ELSE":
                    yield held
                held = None
            if kind == "_NL":
                if can_end and braces and not brackets:
                    can_end = False
                    if last == "RBRACE":
                        held = token
                    else:
                        yield token
                continue
            if kind in bracket_kinds:
                if kind == "LPAR" or kind == "LSQB":
                    brackets += 1
                elif kind == "RPAR" or kind == "RSQB":
                    brackets = brackets - 1 if brackets else 0
                elif kind == "LBRACE" and braces:
                    stages.append(brackets)
                    brackets += 1
                elif kind == "RBRACE" and stages:
                    brackets = stages.pop()
                else:   # a body's brace closes whatever brackets are still open: a mistake, reported later
                    braces, brackets = braces + (1 if kind == "LBRACE" else -1 if braces else 0), 0
            can_end, last = kind in enders, kind
            yield token
        if held is not None:
            yield held


@cache
def lark_parser(strict: bool = False) -> Lark:
    # The analysed grammar is kept between runs (grammar_cache.py). The lexer compiles one pattern
    # for all parser states instead of one per state (scanning.py).
    options = {"propagate_positions": True, "maybe_placeholders": True, "postlex": LineBreaks(),
               "_plugins": {"ContextualLexer": SharedScanLexer}}
    with open(grammar_path(), encoding="utf-8") as file:
        grammar = file.read()
    return Lark(grammar, parser="lalr", strict=True, **options) if strict else cached_lark(grammar, **options)


def parse(source: SourceFile) -> ast.Module:
    """Parse one file. Raises CompileError with a syntax diagnostic (E01xx) on bad input."""
    parser = lark_parser()
    # The parse tree is large and short-lived: collecting it during the parse costs two thirds
    # of the time on big specs (PERFORMANCE.md).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        tree = parser.parse(source.text)
        return _ToAst(source).transform(tree)
    except UnexpectedInput as error:
        # Imported here: only a spec that does not parse needs the explanations.
        from .syntax_errors import syntax_diagnostic
        raise CompileError(syntax_diagnostic(source, error, parser)) from None
    finally:
        if gc_was_enabled:
            gc.enable()


# ---------------------------------------------------------------- tree → AST

MAX_INT = 2**63 - 1


def _abbreviate(text: str) -> str:
    return text if len(text) <= 24 else f"{text[:10]}…{text[-10:]} ({len(text)} digits)"

def _unescape(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(m[1], m[1]), body)


# Deeper parse trees are refused (E0104). Lowering recurses once per level of an expression, so this
# keeps every later stage far inside Python's recursion limit; real specs nest a dozen levels at most.
MAX_DEPTH = 256
_DONE = object()


class _ToAst:
    """Parse tree → AST: one method per rule (or alias), called with the rule's meta and its
    children already converted. The walk is iterative, not a recursive lark Transformer: a long
    `a + b + c + ...` is a left-nested tree as deep as it is long."""

    def __init__(self, source: SourceFile):
        self.source = source

    def transform(self, root: Tree) -> ast.Module:
        stack = [(root, iter(root.children), [])]  # (tree, its children left to visit, converted ones)
        while True:
            tree, pending, converted = stack[-1]
            child = next(pending, _DONE)
            if isinstance(child, Tree):
                if len(stack) >= MAX_DEPTH:
                    raise CompileError(Diagnostic(
                        codes.E0104.code, Severity.ERROR, f"expression nested more than {MAX_DEPTH} levels deep",
                        self._deepest_span(stack, child), help="split it into named intermediate values"))
                stack.append((child, iter(child.children), []))
            elif child is not _DONE:
                converted.append(child)  # a token, or None for an omitted optional part
            else:
                stack.pop()
                value = getattr(self, tree.data)(tree.meta, converted)
                if not stack:
                    return value
                stack[-1][2].append(value)

    def _deepest_span(self, stack, child: Tree) -> Span:
        """The span of the too-deep subtree, or of the nearest enclosing tree that has a position."""
        for tree in (child, *(t for t, _, _ in reversed(stack))):
            if not tree.meta.empty:
                return self._span(tree.meta)
        return Span(self.source, 0, 0)

    def _span(self, meta) -> Span:
        return Span(self.source, meta.start_pos, meta.end_pos)

    def _ident(self, token: Token) -> ast.Ident:
        return ast.Ident(str(token), Span(self.source, token.start_pos, token.end_pos))

    # -- file structure
    def start(self, meta, children):
        imports = tuple(c for c in children if isinstance(c, ast.Import))
        definitions = tuple(c for c in children if isinstance(c, ast.Definition))
        return ast.Module(imports, definitions)

    def _string(self, token: Token) -> ast.Literal:
        return ast.Literal(_unescape(str(token)), Span(self.source, token.start_pos, token.end_pos))

    def import_all(self, meta, children):
        path, = children
        return ast.Import(self._string(path), None, self._span(meta))

    def import_names(self, meta, children):
        path, *names = children
        return ast.Import(self._string(path), tuple(self._ident(n) for n in names), self._span(meta))

    def definition(self, meta, children):
        kind, name, *rest = children
        params = tuple(c for c in rest if isinstance(c, ast.Param))
        body = tuple(c for c in rest if c is not None and not isinstance(c, ast.Param))
        return ast.Definition(str(kind), self._ident(name), params, body, self._span(meta))

    def param(self, meta, children):
        name, type_name, default = children
        return ast.Param(self._ident(name), self._ident(type_name), default, self._span(meta))

    # -- statements
    def input_stmt(self, meta, children):
        *decls, conditions = children
        return ast.InputStmt(tuple(decls), self._span(meta), conditions or ())

    def where_clause(self, meta, children):
        return tuple(children)

    def size_condition(self, meta, children):
        left, op, right = children
        return ast.SizeCondition(left, str(op), right, self._span(meta))

    def input_decl(self, meta, children):
        name, shape = children
        return ast.InputDecl(self._ident(name), shape, self._span(meta))

    def shape(self, meta, children):
        return ast.ShapeExpr(tuple(c for c in children if c is not None), self._span(meta))

    def output_stmt(self, meta, children):
        return ast.OutputStmt(children[0], self._span(meta))

    def param_stmt(self, meta, children):
        return self._learnable(False, meta, children)

    def buffer_stmt(self, meta, children):
        return self._learnable(True, meta, children)

    def _learnable(self, buffer: bool, meta, children):
        name, shape, init = children
        head, stages = init if init is not None else (None, ())
        return ast.Learnable(buffer, self._ident(name), shape, head, stages, self._span(meta))

    def initializer(self, meta, children):
        head, *stages = children
        return head, tuple(stages)

    def assign(self, meta, children):
        name, value = children
        return ast.Assign(self._ident(name), value, self._span(meta))

    def unpack(self, meta, children):
        *names, value = children
        return ast.Unpack(self._targets(names), value, self._span(meta))

    def target_group(self, meta, children):
        return ast.TargetGroup(self._targets(children), self._span(meta))

    def _targets(self, children) -> tuple:
        return tuple(c if isinstance(c, ast.TargetGroup) else self._ident(c) for c in children)

    def chain_stmt(self, meta, children):
        head, *stages = children
        return ast.ChainStmt(ast.Chain(head, tuple(stages), self._span(meta)), self._span(meta))

    # -- chains and stages
    def chain(self, meta, children):
        head, *stages = children
        return ast.Chain(head, tuple(stages), self._span(meta))

    def layer_ref(self, meta, children):
        return ast.Call(self._ident(children[0]), (), self._span(meta), parens=False)

    def layer_call(self, meta, children):
        name, args = children
        return ast.Call(self._ident(name), args or (), self._span(meta))

    def named_stage(self, meta, children):
        label, layer = children
        if isinstance(layer, ast.Repeat):
            return ast.Repeat(layer.stages, layer.count, layer.span, label=self._ident(label))
        return ast.Call(layer.func, layer.args, layer.span, layer.parens, label=self._ident(label))

    def output_stage(self, meta, children):
        return ast.OutputStage(self._span(meta))

    def repeat_stage(self, meta, children):
        *stages, count = children
        return ast.Repeat(tuple(stages), count, self._span(meta))

    def repeat_call(self, meta, children):
        name, args, count = children
        # The call ends where `* count` begins; find its closing parenthesis.
        call_end = self.source.text.rindex(")", name.end_pos, count.span.start) + 1
        call = ast.Call(self._ident(name), args or (), Span(self.source, name.start_pos, call_end))
        return ast.Repeat((call,), count, self._span(meta))

    # -- expressions
    def add(self, meta, children):
        return ast.BinOp("+", *children, self._span(meta))

    def sub(self, meta, children):
        return ast.BinOp("-", *children, self._span(meta))

    def mul(self, meta, children):
        return ast.BinOp("*", *children, self._span(meta))

    def truediv(self, meta, children):
        return ast.BinOp("/", *children, self._span(meta))

    def floordiv(self, meta, children):
        return ast.BinOp("//", *children, self._span(meta))

    def mod(self, meta, children):
        return ast.BinOp("%", *children, self._span(meta))

    def matmul(self, meta, children):
        return ast.BinOp("@", *children, self._span(meta))

    # -- structure decided at spec time, and the value operators
    def compare(self, meta, children):
        left, op, right = children
        return ast.BinOp(str(op), left, right, self._span(meta))

    def pow(self, meta, children):
        return ast.BinOp("**", *children, self._span(meta))

    def and_(self, meta, children):
        return ast.BinOp("and", *children, self._span(meta))

    def or_(self, meta, children):
        return ast.BinOp("or", *children, self._span(meta))

    def not_(self, meta, children):
        return ast.Not(children[0], self._span(meta))

    def conditional(self, meta, children):
        then, test, otherwise = children
        return ast.Conditional(test, then, otherwise, self._span(meta))

    def subscript(self, meta, children):
        value, *items = children
        return ast.Subscript(value, tuple(i for i in items if i is not None), self._span(meta))

    def slice(self, meta, children):
        return ast.Slice(*children, self._span(meta))

    def ellipsis(self, meta, children):
        return ast.Literal(Ellipsis, self._span(meta))

    def if_stage(self, meta, children):
        test, then, otherwise = children
        if isinstance(otherwise, ast.IfStage):
            otherwise = (otherwise,)
        return ast.IfStage(test, then, otherwise or (), self._span(meta))

    def stage_body(self, meta, children):
        return tuple(children)

    def for_stage(self, meta, children):
        *names, iterable, stages = children
        return ast.ForStage(tuple(self._ident(n) for n in names), iterable, stages, self._span(meta))

    def neg(self, meta, children):
        return ast.Neg(children[0], self._span(meta))

    def int(self, meta, children):
        digits = children[0].replace("_", "")
        # Sizes are int64 in torch; a longer literal is a typo (and Python refuses str() of huge ints).
        if len(digits) > 19 or int(digits) > MAX_INT:
            raise CompileError(Diagnostic(codes.E0105.code, Severity.ERROR, f"integer {_abbreviate(children[0])} is too large",
                                          self._span(meta), help=f"integers go up to {MAX_INT:,} (2**63 - 1)"))
        return ast.Literal(int(digits), self._span(meta))

    def float(self, meta, children):
        return ast.Literal(float(children[0].replace("_", "")), self._span(meta))

    def string(self, meta, children):
        return self._string(children[0])

    def true(self, meta, children):
        return ast.Literal(True, self._span(meta))

    def false(self, meta, children):
        return ast.Literal(False, self._span(meta))

    def none(self, meta, children):
        return ast.Literal(None, self._span(meta))

    def var(self, meta, children):
        return ast.Var(str(children[0]), self._span(meta))

    def call(self, meta, children):
        name, args = children
        return ast.Call(self._ident(name), args or (), self._span(meta))

    def tuple(self, meta, children):
        return ast.TupleExpr(tuple(c for c in children if c is not None), self._span(meta))

    def args(self, meta, children):
        return tuple(c if isinstance(c, ast.Arg) else ast.Arg(None, c, c.span) for c in children)

    def kwarg(self, meta, children):
        name, value = children
        return ast.Arg(self._ident(name), value, self._span(meta))
