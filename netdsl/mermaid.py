"""View → a Mermaid flowchart, which GitHub draws from a ```mermaid block in Markdown: a box per layer, the
tensors' shapes on the edges, open blocks as subgraphs, skips dashed, the failing layer in red."""

from __future__ import annotations

import json

from .drawing import ERROR, UNCHECKED
from .emit import printable
from .view import COLOURS, FILL, Box, View, cluster_title, detail_line, fill

_SHAPES = {"input": ('(["', '"])'), "output": ('(["', '"])'), "block": ('[["', '"]]'), "repeat": ('[["', '"]]')}
# Inside a quoted label these would end it, start an entity, or be read as HTML or Markdown.
_SPECIAL = set('"#&<>`\\%|')


def escape(text: str) -> str:
    """Label text as Mermaid shows it literally: specials as its entity codes (#34; is a quote)."""
    return "".join(f"#{ord(c)};" if c in _SPECIAL or not c.isprintable() else c for c in text)


# Mermaid shows the title as text after an HTML sanitizer, which drops tags and does not read entity codes:
# look-alikes keep a string parameter such as "<b>" readable and inert there.
_TITLE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def _label(box: Box) -> str:
    if box.role in ("input", "output"):
        return escape(box.name)
    lines = [box.label, detail_line(box)] + ([box.details.error] if box.details.error else [])
    return "<br/>".join(map(escape, lines))


def mermaid(view: View, rankdir: str = "TB") -> str:
    ids = {box.id: f"n{i}" for i, box in enumerate(view.boxes)}
    ids |= {cluster.id: f"g{i}" for i, cluster in enumerate(view.clusters)}
    title = json.dumps(printable(view.diagram.title).translate(_TITLE), ensure_ascii=False)   # one YAML line
    lines = ["---", f"title: {title}", "---", f"flowchart {rankdir}"]

    def contents(parent: str | None, indent: str) -> None:
        for item in view.inside(parent):
            if isinstance(item, Box):
                opening, closing = _SHAPES.get(item.role, ('["', '"]'))
                lines.append(f"{indent}{ids[item.id]}{opening}{_label(item)}{closing}")
            else:
                lines.append(f'{indent}subgraph {ids[item.id]} ["{escape(cluster_title(item))}"]')
                contents(item.id, indent + "  ")
                lines.append(f"{indent}end")
    contents(None, "  ")
    styles: dict[str, list[int]] = {}
    for index, link in enumerate(view.links):
        arrow = "-.->" if link.skip or link.status == UNCHECKED else "-->"
        lines.append(f'  {ids[link.source]} {arrow}|"{escape(link.text)}"| {ids[link.target]}')
        style = "error" if link.status == ERROR else "unchecked" if link.status == UNCHECKED else \
            "skip" if link.skip else None
        if style:
            styles.setdefault(style, []).append(index)
    width = {"error": ",stroke-width:2px"}
    lines += [f"  linkStyle {','.join(map(str, indices))} stroke:{COLOURS[style]},color:{COLOURS[style]}"
              f"{width.get(style, '')}" for style, indices in styles.items()]
    classes: dict[str, list[str]] = {}
    for box in view.boxes:
        classes.setdefault(fill(box), []).append(ids[box.id])
        if box.status in (ERROR, UNCHECKED):
            classes.setdefault(box.status, []).append(ids[box.id])
    lines += [f"  classDef {name} fill:{value},stroke:{COLOURS['ink']},color:#000000" for name, value in FILL.items()]
    lines += [f"  classDef error stroke:{COLOURS['error']},stroke-width:2px,color:{COLOURS['error']}",
              f"  classDef unchecked stroke:{COLOURS['unchecked']},stroke-dasharray:4 3,color:{COLOURS['unchecked']}"]
    lines += [f"  class {','.join(members)} {name}" for name, members in classes.items()]
    lines += [f"  style {ids[c.id]} fill:#f5f5f5,stroke:{COLOURS['error'] if c.status == ERROR else '#b0b0b0'}"
              + (",stroke-dasharray:4 3" if c.role == "repeat" else "") for c in view.clusters]
    return "\n".join(lines) + "\n"
