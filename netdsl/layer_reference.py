"""`netdsl layers`: each layer kind's arguments — name, type, default, whether required — read from its
argument schema in the registry."""

from __future__ import annotations

from typing import Any

from .kinds import LayerKind
from .schema import format_value


def arguments(kind: LayerKind) -> list[dict]:
    """Each argument a spec may write, in schema order (fields lowering fills in are left out)."""
    out = []
    for name, field in kind.schema.public().items():
        out.append({"name": name, "type": field.type.notation(), "required": field.required,
                    "default": None if field.required else _spelling(field.default),
                    "aliases": sorted(a for a, target in kind.aliases.items() if target == name)})
    return out


def _spelling(value: Any) -> str:
    """A default as it is written in a spec."""
    return format_value(value)


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
