"""Completion from the tokens before the cursor: the text being typed rarely parses, so the context
(after `->`, inside a call's arguments, in a body) and the names in scope are read from tokens."""

from __future__ import annotations

from dataclasses import dataclass

from .. import registry
from ..initializers import INITIALIZERS
from ..schema import format_value
from ..tokens import Token, lex


@dataclass(frozen=True)
class Item:
    label: str
    kind: str              # "layer", "block", "argument", "tensor", "param", "keyword", "initializer"
    detail: str = ""
    documentation: str = ""
    insert: str | None = None


def _layers() -> list[Item]:
    return [Item(name, "layer", f"{name}({', '.join(kind.schema.public())})", kind.doc)
            for name, kind in sorted(registry.all_kinds().items())]


def _blocks(tokens: list[Token], known: dict[str, str]) -> list[Item]:
    """Blocks defined in the text (even while it does not parse) and those the last check saw imported."""
    found = dict(known)
    for before, token, after in zip(tokens, tokens[1:], tokens[2:]):
        if before.text == "block" and token.kind == "name" and after.text == "(":
            found.setdefault(token.text, f"block {token.text}")
    return [Item(name, "block", detail) for name, detail in sorted(found.items())]


def _arguments(callee: str, block_params: dict[str, list[tuple[str, str]]]) -> list[Item]:
    kind = registry.lookup(callee, plugins=False)
    if kind is not None:
        items = []
        for name, info in kind.schema.public().items():
            default = "required" if info.required else f"default {format_value(info.default)}"
            items.append(Item(name, "argument", f"{info.type.describe()}, {default}", insert=f"{name}="))
        items += [Item(short, "argument", f"short for {long}", insert=f"{short}=") for short, long in kind.aliases.items()]
        if kind.tieable:
            items.append(Item("tie", "argument", f"the label of a layer whose {' and '.join(kind.tieable)} this one uses",
                              insert="tie="))
        return items
    return [Item(name, "argument", detail, insert=f"{name}=") for name, detail in block_params.get(callee, [])]


def _scope(tokens: list[Token]) -> list[Item]:
    """Parameters, size symbols and tensors of the definition the cursor is in, defined before it."""
    start = None
    depth = 0
    for index, token in enumerate(tokens):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif token.kind == "keyword" and token.text in ("network", "block") and depth == 0:
            start = index
    if start is None or depth <= 0:
        return []
    names: dict[str, Item] = {}
    body = tokens[start:]
    opened = next((i for i, t in enumerate(body) if t.text == "{"), len(body))
    for index, token in enumerate(body[:opened]):       # the header: `name: type`
        if token.kind == "name" and index + 1 < opened and body[index + 1].text == ":":
            names[token.text] = Item(token.text, "param", "parameter")
    brackets, in_input = 0, False
    for index, token in enumerate(body[opened + 1:], start=opened + 1):
        before = body[index - 1]
        if token.text in ("(", "["):
            brackets += 1
        elif token.text in (")", "]"):
            brackets -= 1
        elif token.text == "input":
            in_input = True
        elif token.kind == "name" and in_input and brackets == 0 and before.text in ("input", ","):
            names.setdefault(token.text, Item(token.text, "tensor", "input"))
        elif token.kind == "name" and in_input and brackets == 1 and before.text in ("[", ","):
            names.setdefault(token.text, Item(token.text, "param", "size symbol"))
        elif token.kind == "name" and brackets == 0 and before.text in ("param", "buffer"):
            in_input = False
            names.setdefault(token.text, Item(token.text, "tensor", "parameter" if before.text == "param" else "buffer"))
        elif token.kind == "name" and brackets == 0:
            in_input = False
            following = body[index + 1:index + 2]
            if following and following[0].text in ("=", ","):
                rest = body[index + 1:]
                # `a = ...` or `a, b = ...`: names, commas, then `=`
                k = 0
                while k + 1 < len(rest) and rest[k].text == "," and rest[k + 1].kind == "name":
                    k += 2
                if k < len(rest) and rest[k].text == "=":
                    names.setdefault(token.text, Item(token.text, "tensor", "tensor"))
    return list(names.values())


def _callee(tokens: list[Token]) -> tuple[str | None, bool]:
    """The layer or block whose argument list the cursor is in, and whether an argument name may come
    next (right after `(` or `,`)."""
    depth = 0
    for index in range(len(tokens) - 1, -1, -1):
        text = tokens[index].text
        if text in (")", "]"):
            depth += 1
        elif text in ("(", "["):
            if depth == 0:
                called = tokens[index - 1] if index and text == "(" and tokens[index - 1].kind == "name" else None
                return (called.text if called else None), tokens[-1].text in ("(", ",")
            depth -= 1
        elif text in ("{", "}"):
            break
    return None, False


def complete(text: str, offset: int, blocks: dict[str, str],
             block_params: dict[str, list[tuple[str, str]]]) -> list[Item]:
    """What may be written at offset. blocks/block_params: what the last successful check knows
    (imported blocks and their parameters)."""
    tokens = lex(text[:offset])
    if tokens and tokens[-1].end == offset and tokens[-1].kind in ("name", "keyword"):
        tokens = tokens[:-1]  # the word being typed: the editor filters by it
    if tokens and tokens[-1].kind == "comment":
        return []
    previous = tokens[-1].text if tokens else ""
    if previous == "->" or previous == ":" and len(tokens) > 2 and tokens[-3].text == "->":
        return [*_layers(), *_blocks(lex(text), blocks), Item("output", "keyword")]
    if _outside(tokens):
        return [Item(word, "keyword") for word in ("network", "block", "import", "from")]
    if previous == "=" and _declaring(tokens):
        return [Item(name, "initializer", i.doc) for name, i in INITIALIZERS.items()]
    scope = _scope(tokens)
    callee, argument_name = _callee(tokens)
    if callee is not None:
        items = _arguments(callee, block_params) if argument_name else []
        return [*items, *scope]
    return [*scope, *_layers(), *_blocks(lex(text), blocks),
            *(Item(word, "keyword") for word in ("input", "output", "param", "buffer"))]


def _declaring(tokens: list[Token]) -> bool:
    """Whether the last tokens are `param NAME: [...] =` or `buffer NAME =`, on one line."""
    for token in reversed(tokens):
        if token.text in ("param", "buffer") and token.kind == "keyword":
            return True
        if token.newlines or token.text in ("{", "}"):
            return False
    return False


def _outside(tokens: list[Token]) -> bool:
    depth = 0
    for token in tokens:
        depth += (token.text == "{") - (token.text == "}")
    return depth <= 0
