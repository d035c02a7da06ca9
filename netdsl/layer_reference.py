"""`netdsl layers`: each layer kind's arguments — name, type, default, whether required — read from its
argument schema in the registry."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic_core import PydanticUndefined

from .registry import LayerKind


def internal_fields(kind: LayerKind) -> set[str]:
    """Arguments lowering fills in and a spec never writes: how many names a split was unpacked into."""
    return {"outputs"} if kind.multi_output else set()


_BOUNDS = (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤"))


def _bounds(metadata) -> str:
    """`> 0`, `≥ 0.0 ≤ 1.0`: from annotated_types constraints (Gt, Ge, ..., or an Interval of several)."""
    parts = [f"{symbol} {getattr(c, attr)}" for c in metadata for attr, symbol in _BOUNDS
             if getattr(c, attr, None) is not None]
    return " ".join(dict.fromkeys(parts))


def type_name(annotation: Any) -> str:
    """A schema annotation as a reader writes it: `int > 0 | (int > 0, int > 0)`, `'zeros' | 'reflect'`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        bounds = _bounds(annotation.__metadata__)
        return f"{type_name(args[0])} {bounds}".rstrip()
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return f"({type_name(args[0])}, ...)"
        return "(" + ", ".join(type_name(a) for a in args) + ")"
    if annotation is type(None):
        return "None"
    if annotation is Any:
        return "any"
    return getattr(annotation, "__name__", str(annotation))


def _spelling(value: Any) -> str:
    """A default as it is written in a spec."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(_spelling(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return repr(value) if isinstance(value, str) else str(value)


def arguments(kind: LayerKind) -> list[dict]:
    """Each argument a spec may write, in schema order."""
    hidden = internal_fields(kind)
    out = []
    for name, info in kind.args.model_fields.items():
        if name in hidden:
            continue
        bounds = _bounds(info.metadata)
        required = info.default is PydanticUndefined and info.default_factory is None
        default = None if required else (info.default_factory() if info.default_factory else info.default)
        out.append({"name": name, "type": f"{type_name(info.annotation)} {bounds}".rstrip(), "required": required,
                    "default": None if required else _spelling(default),
                    "aliases": sorted(a for a, target in kind.aliases.items() if target == name)})
    return out


def describe(kind: LayerKind) -> dict:
    """The `netdsl layers --format json` entry of a kind."""
    positional = [p.lstrip("*") for p in kind.positional]
    return {"name": kind.name, "doc": kind.doc, "inputs": kind.inputs, "positional": positional,
            "arguments": arguments(kind)}


def format_kind(kind: LayerKind) -> str:
    """Human text: the kind and its description, then one line per argument."""
    rows = arguments(kind)
    width = max([len(r["name"]) for r in rows], default=0)
    type_width = max([len(r["type"]) for r in rows], default=0)
    lines = [f"{kind.name}" + (f" — {kind.doc}" if kind.doc else "")]
    for row in rows:
        value = "required" if row["required"] else f"= {row['default']}"
        alias = f"  (alias: {', '.join(row['aliases'])})" if row["aliases"] else ""
        lines.append(f"    {row['name'].ljust(width)}  {row['type'].ljust(type_width)}  {value}{alias}".rstrip())
    return "\n".join(lines) + "\n"
