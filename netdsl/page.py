"""Diagram → one self-contained HTML page: the model as JSON, laid out in the browser by the vendored elkjs
(assets/elk.bundled.js, Eclipse Public License 2.0, its text in assets/elkjs-LICENSE.md and in every page)
and drawn as SVG by assets/page.js. Opening it needs neither a network nor Graphviz."""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from .drawing import Diagram
from .view import COLOURS, FILL, collapsed, cut, legend_rows

ASSETS = Path(__file__).parent / "assets"
ELKJS = "elkjs 0.12.1"


@cache
def _asset(name: str) -> str:
    text = (ASSETS / name).read_text(encoding="utf-8")
    # Inline in a <script> or <style>: the text must not be able to close it.
    if "</script" in text.lower() or "</style" in text.lower() or "<!--" in text:
        raise ValueError(f"{name} cannot be inlined in a page")
    return text


def _json(value) -> str:
    """JSON for a <script type="application/json"> element: nothing in it can end the element or open a
    comment, whatever the spec's text (a layer's line, a string parameter) holds."""
    text = json.dumps(value, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                       ("\u2029", "\\u2029")):
        text = text.replace(char, code)
    return text


def _legend(diagram: Diagram) -> str:
    """Every colour and line style the page may show, whatever is open or closed."""
    rows = dict.fromkeys(legend_rows(cut(diagram, set(), frame_repeats=True))
                         + legend_rows(cut(diagram, {g.id for g in diagram.groups}, frame_repeats=True)))
    out = []
    for sample, colour, meaning in rows:
        style = f"background: {colour}" if sample == "box" else f"border-color: {colour}"
        out.append(f'<div><span class="{sample.replace(" ", "-")}" style="{style}"></span>{html.escape(meaning)}</div>')
    out.append("<div>⊞ / ⊟ (or a double click) opens and closes a block or a repeat</div>")
    return "".join(out)


def page(diagram: Diagram, depth: int | None = None, collapse_repeats: bool | None = None,
         rankdir: str = "TB") -> str:
    """The page; blocks deeper than `depth` (and repeats, as for the images) start collapsed."""
    data = {"diagram": diagram.as_json(), "collapsed": sorted(collapsed(diagram, depth, collapse_repeats)),
            "rankdir": rankdir, "fills": FILL}
    title = html.escape(diagram.title)
    arrows = "".join(f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                     f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
                     for name, colour in (("main", "#555555"), ("skip", COLOURS["skip"]), ("error", COLOURS["error"])))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netdsl render">
<title>{title}</title>
<style>{_asset("page.css")}</style>
</head>
<body>
<header>
  <h1 title="{title}">{title}</h1>
  <input id="search" type="search" placeholder="Search layers, tensors" title="Enter: open what hides them, and go to the next" aria-label="search">
  <span id="matches"></span>
  <button id="zoom-out" title="zoom out">−</button><button id="zoom-in" title="zoom in">+</button>
  <button id="fit">Fit</button><button id="open-all">Open all</button><button id="close-all">Close all</button>
</header>
<div id="errors" hidden>⚠ <span id="errors-text"></span> — click to show the layer</div>
<main>
  <svg id="canvas" xmlns="http://www.w3.org/2000/svg"><defs>{arrows}</defs><g id="viewport"></g></svg>
  <aside id="details" hidden><button id="close-details" title="close">✕</button><h2 id="details-title"></h2>
    <div class="path" id="details-name"></div><dl id="details-list"></dl></aside>
  <div id="legend">{_legend(diagram)}</div>
</main>
<footer>Drawn by netdsl render. Layout by {ELKJS} (<a href="https://github.com/kieler/elkjs">source</a>),
  included under the <details><summary>Eclipse Public License 2.0</summary><pre>{html.escape(_asset("elkjs-LICENSE.md"))}</pre></details></footer>
<script type="application/json" id="netdsl-data">{_json(data)}</script>
<script>{_asset("elk.bundled.js")}</script>
<script>{_asset("page.js")}</script>
</body>
</html>
"""
