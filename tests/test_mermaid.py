"""`netdsl render --format mermaid`: the flowchart text, and Mermaid's own CLI drawing it (never skipped: CI
installs it with `npm ci --prefix tools/mermaid`, pointed at Debian's Chromium by tools/mermaid/puppeteer.json)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ROOT, run_cli
from test_render import BROKEN

import netdsl
from netdsl.drawing import build
from netdsl.mermaid import escape, mermaid
from netdsl.view import collapsed, cut

MMDC = ROOT / "tools" / "mermaid" / "node_modules" / ".bin" / "mmdc"
PUPPETEER = ROOT / "tools" / "mermaid" / "puppeteer.json"


def chart(spec: str, depth: int | None = None, repeats: bool | None = None, **options) -> str:
    analysis = netdsl.check_file(spec) if spec.endswith(".net") else netdsl.check_text(spec)
    diagram = build(analysis.network(), analysis.diagnostics.items)
    return mermaid(cut(diagram, collapsed(diagram, depth, repeats)), **options)


def test_lenet_is_one_chain_of_boxes_with_shapes_on_its_edges():
    text = chart("specs/lenet.net")
    lines = [line.strip() for line in text.splitlines()]
    assert lines[:4] == ["---", 'title: "LeNet(classes=10) · 61,706 params"', "---", "flowchart TB"]
    assert 'n0(["x"])' in lines and 'n13(["output"])' in lines
    assert 'n1["conv2d(1→6, 5×5)<br/>conv1 · 156 params"]' in lines
    edges = [line for line in lines if "-->" in line]
    assert len(edges) == 13 and edges[0] == 'n0 -->|"[N, 1, 32, 32]"| n1'
    assert 'n6 -->|"[N, 16, 5, 5]"| n7' in lines
    assert "subgraph" not in text


def test_blocks_are_subgraphs_and_skips_are_dashed_and_blue():
    text = chart("specs/residual.net")
    assert 'subgraph g1 ["down_block1 · DownBlock(channels=128) · 230,144 params"]' in text
    assert text.count("subgraph") == text.count("\n  end") == 2
    skips = [line for line in text.splitlines() if "-.->" in line]
    assert '  n14 -.->|"shortcut: [N, 128, 28, 28]"| n15' in skips and len(skips) == 4
    indices = re.search(r"linkStyle ([\d,]+) stroke:#3b75af", text).group(1).split(",")
    links = [line for line in text.splitlines() if "->|" in line]
    assert [links[int(i)] for i in indices] == skips


def test_collapsed_blocks_and_repeats_have_shapes_of_their_own():
    text = chart("specs/resnet18.net", depth=0)
    assert re.search(r'n\d+\[\["BasicBlock\(channels=64\) × 2<br/>basic_block1 … basic_block2 · 2 copies · '
                     r'73,984 params each"\]\]', text)
    assert re.search(r'n\d+\[\["DownBlock\(channels=128\)<br/>down_block1 · 230,144 params"\]\]', text)
    assert "class " in text and "classDef repeat fill:#e8def8" in text


def test_the_failing_layer_is_red():
    text = chart(BROKEN)
    failing = re.search(r'(n\d+)\["add<br/>add1<br/>shapes \[N, 16, 32, 32\] and \[N, 16, 30, 30\] do not broadcast',
                        text)
    assert failing and re.search(rf"class [\w,]*\b{failing.group(1)}\b[\w,]* error", text)


def test_spec_text_cannot_leave_a_label():
    assert escape('a"b#c<d>e&f`g|h') == "a#34;b#35;c#60;d#62;e#38;f#96;g#124;h"
    text = chart(str(ROOT / "tests" / "cases" / "evil.net"))
    title = text.splitlines()[1]
    assert "<" not in title and "‹/script›‹script›window.pwned=1‹/script›" in title
    assert all("<" not in line.replace("<br/>", "") for line in text.splitlines()[4:])


@pytest.mark.parametrize("name, fmt", [("net.mmd", None), ("net.md", None), ("net.txt", "mermaid")])
def test_the_cli_writes_mermaid_for_its_extensions(tmp_path, capsys, name, fmt):
    out = tmp_path / name
    argv = ["render", "specs/lenet.net", "-o", str(out), "--rankdir", "LR"] + (["--format", fmt] if fmt else [])
    assert run_cli(capsys, *argv)[:2] == (0, "")
    assert out.read_text(encoding="utf-8").splitlines()[3] == "flowchart LR"


def test_mermaid_draws_every_chart(tmp_path):
    """Mermaid's CLI parses and draws the charts (one browser for all of them: a Markdown file of blocks)."""
    if not MMDC.exists():
        pytest.fail("the Mermaid CLI is not installed: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefix tools/mermaid`"
                    " (it needs Node.js, npm and Debian's chromium)")
    charts = {"lenet": chart("specs/lenet.net"), "unet": chart("specs/unet.net", depth=1),
              "resnet18": chart("specs/resnet18.net", repeats=True), "broken": chart(BROKEN),
              "evil": chart(str(ROOT / "tests" / "cases" / "evil.net")),
              "attention": chart("specs/attention.net", rankdir="LR")}
    source = tmp_path / "charts.md"
    source.write_text("".join(f"```mermaid\n{text}```\n\n" for text in charts.values()), encoding="utf-8")
    result = subprocess.run([str(MMDC), "-p", str(PUPPETEER), "-i", str(source), "-o", str(tmp_path / "out.md")],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    drawn = {name: _text(tmp_path / f"out-{i}.svg") for i, name in enumerate(charts, 1)}
    assert "conv2d(1→6, 5×5)" in drawn["lenet"] and "[N, 16, 5, 5]" in drawn["lenet"]
    assert "up1 · Up(out=256) · 2,295,040 params" in drawn["unet"] and "2nd · e3: [N, 256, H//4, W//4]" in drawn["unet"]
    assert "BasicBlock(channels=64) × 2" in drawn["resnet18"]
    assert "do not broadcast" in drawn["broken"]
    assert "q: [N, 10, 256]" in drawn["attention"]
    assert "onerror" not in _markup(tmp_path / f"out-{list(charts).index('evil') + 1}.svg")


def _markup(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _text(path: Path) -> str:
    """The text an SVG shows (Mermaid puts labels in HTML inside foreignObject)."""
    root = ElementTree.parse(path).getroot()
    return " ".join(" ".join(e.itertext()) for e in root.iter() if e.tag.rsplit("}", 1)[-1] in ("p", "span", "text"))
