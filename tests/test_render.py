"""`netdsl render`: the DOT structure (nodes, shape-labelled edges, block clusters, --depth, error marking),
real SVG / PNG drawing through Graphviz's `dot` (never skipped: CI installs Graphviz), and the CLI contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import ROOT, run_cli

import netdsl
from netdsl.render import render

SE_NET = """
block SqueezeExcite(channels: int, reduction: int = 4) {
    input x: [N, channels, H, W]
    w = x -> adaptive_avg_pool2d(1) -> flatten
          -> linear(channels // reduction) -> relu
          -> linear(channels) -> sigmoid
          -> reshape(N, channels, 1, 1)
    output x * w
}
block Residual(channels: int) {
    input x: [N, channels, H, W]
    y = x -> conv2d(channels, 3, padding=1) -> batchnorm2d -> relu
          -> conv2d(channels, 3, padding=1) -> batchnorm2d -> SqueezeExcite(channels)
    output relu(x + y)
}
network SENet(classes: int = 10) {
    input x: [N, 3, 32, 32]
    x -> conv2d(16, 3, padding=1) -> Residual(16) -> Residual(16)
      -> adaptive_avg_pool2d(1) -> flatten -> linear(classes) -> output
}
"""

UNET = """
block ConvBnRelu(out: int) {
    input x
    output x -> conv2d(out, 3, padding=1) -> batchnorm2d -> relu
}
block Down(out: int) {
    input x
    output x -> maxpool2d(2) -> ConvBnRelu(out)
}
block Up(out: int) {
    input x, skip
    u = x -> conv_transpose2d(out, 2, stride=2)
    output (u + skip) -> ConvBnRelu(out)
}
network TinyUNet(classes: int = 2) {
    input x: [N, 1, 64, 64]
    s1 = x -> ConvBnRelu(8)
    s2 = s1 -> Down(16)
    b = s2 -> Down(32)
    u2 = b -> Up(s2, 16)
    u1 = Up(u2, s1, out=8)
    u1 -> conv2d(classes, 1) -> output
}
"""

# The residual branch loses 2 pixels (no padding on the second conv): `x + y` cannot broadcast.
BROKEN = """
block Residual(channels: int) {
    input x: [N, channels, H, W]
    y = x -> conv2d(channels, 3, padding=1) -> relu -> conv2d(channels, 3)
    output relu(x + y)
}
network Broken() {
    input x: [N, 3, 32, 32]
    x -> conv2d(16, 3, padding=1) -> Residual(16) -> flatten -> linear(10) -> output
}
"""

RED = "#d62728"


# ---------------------------------------------------------------- a small reader for the DOT we emit

@dataclass
class Dot:
    graph: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # as drawn: tail to arrowhead
    clusters: dict[str, dict[str, str]] = field(default_factory=dict)
    parent: dict[str, str | None] = field(default_factory=dict)   # node or cluster → enclosing cluster
    same_rank: list[list[str]] = field(default_factory=list)       # `{rank=same; ...}` groups

    @property
    def boxes(self) -> list[str]:
        """The nodes that stand for the network: not the legend, the clusters' titles or wrap connectors."""
        return [n for n in self.nodes if n != "@legend" and not n.endswith("@title") and not n.startswith("@wrap")]

    def title(self, cluster: str) -> str:
        """A cluster's title (a node beside its first box), as plain text."""
        return re.sub(r"<[^>]*>", " ", self.nodes[cluster.removeprefix("cluster_") + "@title"]["label"])

    def edge(self, tail: str, head: str) -> dict[str, str]:
        found = [attrs for t, h, attrs in self.edges if (t, h) == (tail, head)]
        assert len(found) == 1, f"expected one edge {tail} -> {head}, found {len(found)}"
        return found[0]

    def into(self, head: str) -> list[tuple[str, dict[str, str]]]:
        return [(t, attrs) for t, h, attrs in self.edges if h == head]

    def enclosing(self, name: str) -> list[str]:
        chain, at = [], self.parent.get(name)
        while at is not None:
            chain.append(at)
            at = self.parent.get(at)
        return chain


_ID = r'"(?:[^"\\]|\\.)*"|[^\s\[\]{}=;"]+'


def _unquote(text: str) -> str:
    return text[1:-1].replace('\\"', '"') if text.startswith('"') else text


def _attributes(text: str) -> dict[str, str]:
    """key=value pairs; a value is a quoted string, an HTML <...> label or a bare word."""
    attrs, i = {}, 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        key = re.match(r"\w+", text[i:]).group()
        i += len(key) + 1  # the key and its '='
        if text[i] == "<":
            depth, start = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            attrs[key] = text[start:i]
        else:
            value = re.match(_ID, text[i:]).group()
            attrs[key] = _unquote(value)
            i += len(value)
    return attrs


def parse_dot(source: str) -> Dot:
    dot, stack = Dot(), [None]
    for line in source.splitlines()[1:]:
        line = line.strip()
        if line == "}":
            stack.pop()
        elif line == "{":  # an anonymous subgraph: rank constraints
            dot.same_rank.append([])
            stack.append("{")
        elif match := re.fullmatch(rf"subgraph ({_ID}) \{{", line):
            name = _unquote(match.group(1))
            dot.clusters[name], dot.parent[name] = {}, stack[-1]
            stack.append(name)
        elif match := re.fullmatch(r"(graph|node|edge) \[(.*)\]", line):
            if match.group(1) == "graph" and stack[-1] is None:
                dot.graph.update(_attributes(match.group(2)))
        elif match := re.fullmatch(rf"({_ID}) -> ({_ID})(?: \[(.*)\])?", line):
            tail, head, attrs = _unquote(match.group(1)), _unquote(match.group(2)), _attributes(match.group(3) or "")
            if stack[-1] == "{":
                dot.same_rank[-1] += [n for n in (tail, head) if n not in dot.same_rank[-1]]
            elif attrs.get("style") != "invis":
                attrs.setdefault("label", attrs.get("xlabel"))  # a U's level skip carries its label outside
                # dir=back: laid out head to tail (a U's rising decoder), drawn tail to head
                dot.edges.append((head, tail, attrs) if attrs.get("dir") == "back" else (tail, head, attrs))
        elif match := re.fullmatch(rf"({_ID})(?: \[(.*)\])?", line):
            name = _unquote(match.group(1))
            if stack[-1] == "{":
                dot.same_rank[-1].append(name)
            else:
                dot.nodes[name], dot.parent[name] = _attributes(match.group(2) or ""), stack[-1]
        elif stack[-1] != "{":  # a cluster's own attributes: `label=... style=...`
            dot.clusters[stack[-1]].update(_attributes(line))
    return dot


def diagram(text: str, **options) -> Dot:
    analysis = netdsl.check_text(text)
    return parse_dot(render(analysis.network(), **options).source)


def lenet(**options) -> Dot:
    return parse_dot(render(netdsl.check_file("specs/lenet.net").network(), **options).source)


# ---------------------------------------------------------------- structure

def test_lenet_is_one_chain_with_shapes_on_its_edges():
    dot = lenet()
    layers = ["conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten1", "fc1", "relu3", "fc2", "relu4", "fc3"]
    assert dot.boxes == ["@x", *layers, "@output"]
    chain = ["@x", *layers, "@output"]
    assert [(t, h) for t, h, _ in dot.edges] == list(pairwise(chain))
    shapes = [a["label"] for _, _, a in dot.edges]
    assert shapes[:4] == ["[N, 1, 32, 32]", "[N, 6, 28, 28]", "[N, 6, 28, 28]", "[N, 6, 14, 14]"]
    assert dot.edge("pool2", "flatten1")["label"] == "[N, 16, 5, 5]"
    assert dot.edge("fc3", "@output")["label"] == "[N, 10]"
    assert not dot.clusters
    assert "61,706 params" in dot.graph["label"]


def test_layer_nodes_carry_the_registry_label_and_parameter_count():
    dot = lenet()
    assert "conv2d(1→6, 5×5)" in dot.nodes["conv1"]["label"]
    assert "156 params" in dot.nodes["conv1"]["label"]
    assert "linear(400→120)" in dot.nodes["fc1"]["label"] and "48,120 params" in dot.nodes["fc1"]["label"]
    assert "params" not in dot.nodes["relu1"]["label"]  # nothing to count, nothing said


def test_inputs_and_outputs_are_drawn_apart_from_layers():
    dot = lenet()
    ends = {dot.nodes["@x"]["shape"], dot.nodes["@output"]["shape"]}
    assert ends == {"oval"} and "shape" not in dot.nodes["conv1"]  # layers use the default box
    assert dot.nodes["@x"]["fillcolor"] != dot.nodes["@output"]["fillcolor"]


def test_lenet_golden_dot(golden):
    golden(ROOT / "tests" / "cases" / "lenet.dot", render(netdsl.check_file("specs/lenet.net").network()).source)


def test_rankdir():
    assert lenet().graph["rankdir"] == "TB"
    assert lenet(rankdir="LR").graph["rankdir"] == "LR"
    with pytest.raises(ValueError, match="rankdir"):
        lenet(rankdir="BT")


def test_blocks_are_nested_clusters_labelled_with_their_call():
    dot = diagram(SE_NET)
    assert set(dot.clusters) == {"cluster_residual1", "cluster_residual1.squeeze_excite1",
                                 "cluster_residual2", "cluster_residual2.squeeze_excite1"}
    label = dot.title("cluster_residual1")
    assert "Residual(channels=16)" in label and "4,852 params" in label
    assert "SqueezeExcite(channels=16, reduction=4)" in dot.title("cluster_residual1.squeeze_excite1")
    assert dot.enclosing("residual1.squeeze_excite1.fc1") == ["cluster_residual1.squeeze_excite1",
                                                              "cluster_residual1"]
    assert dot.enclosing("residual1.add1") == ["cluster_residual1"]
    assert dot.enclosing("conv1") == []
    assert "linear(16→4)" in dot.nodes["residual1.squeeze_excite1.fc1"]["label"]
    # A block call is not a node of its own when it is open: its layers are.
    assert "residual1" not in dot.nodes


def test_edges_cross_block_boundaries_to_the_real_producers():
    dot = diagram(SE_NET)
    assert dot.edge("conv1", "residual1.conv1")["label"] == "[N, 16, 32, 32]"
    # the block's output is the last relu inside it
    assert dot.edge("residual1.relu2", "residual2.conv1")["label"] == "[N, 16, 32, 32]"
    assert dot.edge("residual1.squeeze_excite1.mul1", "residual1.add1")["label"] == "y: [N, 16, 32, 32]"


def test_skips_and_merges_are_dashed_and_the_main_line_is_solid():
    dot = diagram(SE_NET)
    skip = dot.edge("conv1", "residual1.add1")                      # relu(x + y): x jumps the branch
    main = dot.edge("residual1.squeeze_excite1.mul1", "residual1.add1")
    assert skip["style"] == "dashed" and skip["label"] == "[N, 16, 32, 32]"
    assert "style" not in main and int(main["weight"]) > int(skip["weight"])
    scale = dot.edge("residual1.squeeze_excite1.reshape1", "residual1.squeeze_excite1.mul1")
    assert scale["label"] == "w: [N, 16, 1, 1]" and "style" not in scale
    assert dot.edge("residual1.bn2", "residual1.squeeze_excite1.mul1")["style"] == "dashed"  # x * w


def test_unet_skip_connections_reach_into_the_decoder():
    dot = diagram(UNET)
    assert {"cluster_up1", "cluster_up1.conv_bn_relu1", "cluster_down1.conv_bn_relu1"} <= set(dot.clusters)
    skip = dot.edge("conv_bn_relu1.relu1", "up2.add1")
    assert skip["label"] == "s1: [N, 8, 64, 64]" and skip["style"] == "dashed"
    assert dot.edge("down1.conv_bn_relu1.relu1", "up1.add1")["label"] == "s2: [N, 16, 32, 32]"
    assert dot.edge("down2.conv_bn_relu1.relu1", "up1.up1")["label"] == "b: [N, 32, 16, 16]"
    assert dot.edge("up2.conv_bn_relu1.relu1", "conv1")["label"] == "u1: [N, 8, 64, 64]"
    assert dot.edge("conv1", "@output")["label"] == "[N, 2, 64, 64]"


def test_depth_zero_draws_every_block_as_one_node_with_its_total():
    dot = diagram(UNET, depth=0)
    assert not dot.clusters
    assert dot.boxes == ["@x", "conv_bn_relu1", "down1", "down2", "up1", "up2", "conv1", "@output"]
    assert "Up(out=16)" in dot.nodes["up1"]["label"] and "4,416 params" in dot.nodes["up1"]["label"]
    assert dot.nodes["up1"]["shape"] == "box3d"
    assert dot.edge("down2", "up1")["label"] == "x · b: [N, 32, 16, 16]"  # Up's input `x` is `b`
    assert dot.edge("down1", "up1")["style"] == "dashed"  # the skip, now between collapsed blocks


def test_depth_one_opens_only_the_outer_blocks():
    dot = diagram(SE_NET, depth=1)
    assert set(dot.clusters) == {"cluster_residual1", "cluster_residual2"}
    collapsed = dot.nodes["residual1.squeeze_excite1"]
    assert "SqueezeExcite(channels=16, reduction=4)" in collapsed["label"] and "148 params" in collapsed["label"]
    assert dot.enclosing("residual1.squeeze_excite1") == ["cluster_residual1"]
    assert dot.edge("residual1.squeeze_excite1", "residual1.add1")["label"] == "y: [N, 16, 32, 32]"
    assert not any(n.startswith("residual1.squeeze_excite1.") for n in dot.nodes)


# ---------------------------------------------------------------- errors

def test_the_failing_layer_and_its_input_edges_are_red_with_the_message():
    dot = diagram(BROKEN)
    message = "shapes [N, 16, 32, 32] and [N, 16, 30, 30] do not broadcast"
    failing = dot.nodes["residual1.add1"]
    assert failing["color"] == RED and message in failing["tooltip"] and "do not broadcast" in failing["label"]
    incoming = dot.into("residual1.add1")
    assert {t for t, _ in incoming} == {"conv1", "residual1.conv2"}
    assert all(a["color"] == RED and message in a["tooltip"] for _, a in incoming)
    assert dot.edge("residual1.conv2", "residual1.add1")["label"] == "y: [N, 16, 30, 30]"
    assert dot.clusters["cluster_residual1"]["color"] == RED
    # Everything downstream is unchecked: grey and dashed, its shapes unknown.
    for name in ("residual1.relu2", "flatten1", "fc1"):
        assert "dashed" in dot.nodes[name]["style"] and dot.nodes[name]["color"] != RED
    assert dot.edge("fc1", "@output")["label"] == "?"
    # Layers that checked are not marked.
    assert "color" not in dot.nodes["residual1.conv2"]


def test_a_block_without_an_output_is_drawn_without_the_edges_it_cannot_have(tmp_path, capsys):
    spec, out = tmp_path / "no_output.net", tmp_path / "no_output.dot"
    spec.write_text(BROKEN.replace("output relu(x + y)", "output relurelu(x + y)"))
    code, _, stderr = run_cli(capsys, "render", str(spec), "-o", str(out))
    assert code == 1 and "unknown layer or block `relurelu`" in stderr and "internal error" not in stderr
    dot = parse_dot(out.read_text(encoding="utf-8"))
    assert "flatten1" in dot.nodes and not dot.into("flatten1")


def test_a_collapsed_block_with_an_error_inside_is_red():
    dot = diagram(BROKEN, depth=0)
    assert dot.nodes["residual1"]["color"] == RED
    assert dot.nodes["residual1"]["tooltip"].startswith("add1: shapes")


def test_a_block_call_with_the_wrong_input_shape_is_red():
    text = BROKEN.replace("Residual(16)", "Residual(8)")
    dot = diagram(text)
    assert "cluster_residual1" not in dot.clusters  # never instantiated: drawn as one node
    assert dot.nodes["residual1"]["color"] == RED
    assert dot.edge("conv1", "residual1")["color"] == RED


# ---------------------------------------------------------------- every spec, and real drawing

SPECS = sorted((ROOT / "specs").glob("*.net"))


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_example_spec_renders_to_svg(spec: Path):
    analysis = netdsl.check_file(spec)
    assert analysis.ok
    for checked in analysis.networks:
        diagram_ = render(checked)
        dot = parse_dot(diagram_.source)
        ends = {n for t, h, _ in dot.edges for n in (t, h)}
        assert ends <= set(dot.nodes), "every edge joins drawn nodes"
        assert all("label" in a and a["label"] != "?" for _, _, a in dot.edges)
        ElementTree.fromstring(diagram_.pipe(format="svg"))


def test_render_svg_through_dot(tmp_path, capsys):
    out = tmp_path / "lenet.svg"
    code, _, stderr = run_cli(capsys, "render", "specs/lenet.net", "-o", str(out))
    assert (code, stderr) == (0, "")
    svg = ElementTree.parse(out).getroot()
    assert svg.tag.endswith("svg")
    text = out.read_text(encoding="utf-8")
    assert "conv2d(1→6, 5×5)" in text and "[N, 16, 5, 5]" in text


def test_render_png_through_dot(tmp_path, capsys):
    out = tmp_path / "unet.png"
    spec = tmp_path / "unet.net"
    spec.write_text(UNET)
    code, _, stderr = run_cli(capsys, "render", str(spec), "-o", str(out), "--depth", "1", "--rankdir", "LR")
    assert (code, stderr) == (0, "")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width > height > 100  # left to right: wider than tall


def test_format_option_beats_the_extension(tmp_path, capsys):
    out = tmp_path / "diagram.txt"
    code, _, _ = run_cli(capsys, "render", "specs/lenet.net", "-o", str(out), "--format", "dot")
    assert code == 0 and out.read_text(encoding="utf-8").startswith("digraph LeNet {")
    code, _, _ = run_cli(capsys, "render", "specs/lenet.net", "-o", str(tmp_path / "x.pdf"))
    assert code == 0 and (tmp_path / "x.pdf").read_bytes().startswith(b"%PDF")


# ---------------------------------------------------------------- the CLI contract

def test_a_spec_with_errors_is_still_drawn_and_exits_1(tmp_path, capsys):
    spec, out = tmp_path / "broken.net", tmp_path / "broken.svg"
    spec.write_text(BROKEN)
    code, _, stderr = run_cli(capsys, "render", str(spec), "-o", str(out))
    assert code == 1
    assert "error[E0403]: shapes [N, 16, 32, 32] and [N, 16, 30, 30] do not broadcast" in stderr
    assert "drew" in stderr.splitlines()[-1]
    assert "do not broadcast" in out.read_text(encoding="utf-8")


def test_a_spec_that_does_not_parse_writes_nothing(tmp_path, capsys):
    spec, out = tmp_path / "bad.net", tmp_path / "bad.dot"
    spec.write_text("network M() { input x: [N, 4]  x -> -> output }")
    code, _, stderr = run_cli(capsys, "render", str(spec), "-o", str(out))
    assert code == 1 and "error[E01" in stderr and not out.exists()


def test_missing_graphviz_binaries_give_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere
    code, _, stderr = run_cli(capsys, "render", "specs/lenet.net", "-o", str(tmp_path / "lenet.png"))
    assert code == 2
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "apt-get install graphviz" in stderr
    # DOT text, Mermaid and the interactive page need only Python.
    for name in ("lenet.dot", "lenet.mmd", "lenet.html"):
        code, _, stderr = run_cli(capsys, "render", "specs/lenet.net", "-o", str(tmp_path / name))
        assert (code, stderr) == (0, "")


@pytest.mark.parametrize("argv, message", [
    (["-o", "out.jpeg"], "cannot tell the format of 'out.jpeg'"),
    (["-o", "/nonexistent-dir/out.dot"], "cannot write /nonexistent-dir/out.dot"),
])
def test_usage_errors_exit_2(argv, message, capsys):
    code, _, stderr = run_cli(capsys, "render", "specs/lenet.net", *argv)
    assert code == 2 and message in stderr and stderr.count("\n") == 1


def test_depth_must_be_a_count(capsys):
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "render", "specs/lenet.net", "-o", "x.dot", "--depth", "-1")
    assert exit_.value.code == 2


def test_several_networks_need_n(tmp_path, capsys):
    spec = tmp_path / "two.net"
    spec.write_text("network A() { input x: [N, 4]  x -> linear(2) -> output }\n"
                    "network B(k: int = 3) { input x: [N, 4]  x -> linear(k) -> output }\n")
    code, _, stderr = run_cli(capsys, "render", str(spec), "-o", str(tmp_path / "a.dot"))
    assert code == 2 and "several networks (A, B)" in stderr
    out = tmp_path / "b.dot"
    code, _, _ = run_cli(capsys, "render", str(spec), "-n", "B", "-p", "k=5", "-o", str(out))
    assert code == 0 and "linear(4→5)" in out.read_text(encoding="utf-8")


def test_check_never_imports_graphviz():
    probe = ("import sys, netdsl.cli; netdsl.cli.main(['check', 'specs/lenet.net']); "
             "assert 'graphviz' not in sys.modules, 'graphviz imported on the check path'")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                            check=False, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stderr


def test_the_readme_diagrams_come_from_its_commands(tmp_path, capsys):
    """Each `netdsl render` line in the README's Diagrams section runs; the image it names is committed and
    shown, and a Mermaid chart is committed and embedded as it is drawn; the page's screenshot is shown too."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Diagrams", 1)[1].split("\n## ", 1)[0]
    lines = "\n".join(re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)).splitlines()
    assert lines and all(line.startswith("netdsl render ") for line in lines)
    assert 'src="docs/interactive.png"' in section
    formats = set()
    for line in lines:
        argv = line.split()[1:]
        committed = argv[argv.index("-o") + 1]
        fresh = tmp_path / Path(committed).name
        argv[argv.index("-o") + 1] = str(fresh)
        assert run_cli(capsys, *argv)[0] == 0, line
        formats.add(fresh.suffix)
        if fresh.suffix == ".mmd":
            text = fresh.read_text(encoding="utf-8")
            assert (ROOT / committed).read_text(encoding="utf-8") == text, f"{committed} is stale: rerun `{line}`"
            assert f"```mermaid\n{text}```" in section, f"the README's Mermaid block is not `{line}`"
            continue
        assert f'src="{committed}"' in section, f"{committed} is not shown"
        # Same nodes and edges as the committed image (coordinates vary with the Graphviz version).
        titles = [re.findall(r"<title>(.*?)</title>", path.read_text(encoding="utf-8")) for path in (ROOT / committed, fresh)]
        assert titles[0] == titles[1], f"{committed} is stale: rerun `{line}`"
    assert formats == {".svg", ".mmd"}


# ---------------------------------------------------------------- layout: legend, titles, the U, columns

def _laid_out(text_or_path: str, **options) -> dict:
    """Graphviz's own layout of the diagram (`dot -Tjson`): positions in points."""
    analysis = netdsl.check_file(text_or_path) if text_or_path.endswith(".net") else netdsl.check_text(text_or_path)
    return json.loads(render(analysis.network(), **options).pipe(format="json"))


def _beziers(pos: str) -> list[tuple[float, float]]:
    """Points along an edge's spline ("e,x,y x,y x,y ..."), every 1/20 of each cubic piece."""
    points = [tuple(map(float, p.split(","))) for p in pos.split() if not p.startswith(("e,", "s,"))]
    out = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i:i + 4]
        for step in range(21):
            t = step / 20
            out.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t ** 3 * d
                             for a, b, c, d in zip(p0, p1, p2, p3)))
    return out


def _box(node: dict) -> tuple[float, float, float, float]:
    x, y = map(float, node["pos"].split(","))
    w, h = float(node["width"]) * 72 / 2, float(node["height"]) * 72 / 2
    return x - w, y - h, x + w, y + h


@pytest.mark.parametrize("spec, options", [
    ("specs/resnet18.net", {"collapse_repeats": True}), ("specs/unet.net", {"depth": 1}),
    ("specs/residual.net", {}), (SE_NET, {}), ("specs/unet.net", {"rankdir": "LR"})],
    ids=["resnet18", "unet", "residual", "senet", "unet-lr"])
def test_no_edge_runs_through_a_block_title(spec, options):
    layout = _laid_out(spec, **options)
    titles = [_box(o) for o in layout["objects"] if o["name"].endswith("@title")]
    assert titles
    for edge in layout["edges"]:
        for x, y in _beziers(edge["pos"]):
            crossed = [t for t in titles if t[0] + 2 < x < t[2] - 2 and t[1] + 2 < y < t[3] - 2]
            assert not crossed, f"edge {edge['tail']}→{edge['head']} runs through a block title"


def test_an_encoder_decoder_is_drawn_as_a_u_with_its_levels_side_by_side():
    layout = _laid_out("specs/unet.net", depth=0)
    at = {o["name"]: tuple(map(float, o["pos"].split(","))) for o in layout["objects"] if "pos" in o}
    for encoder, decoder in (("double_conv1", "up3"), ("double_conv2", "up2"), ("double_conv3", "up1")):
        assert at[encoder][1] == at[decoder][1], "a skip joins boxes at one height"
        assert at[encoder][0] < at[decoder][0], "the encoder on the left, the decoder on the right"
    ys = [at[name][1] for name in ("double_conv1", "double_conv2", "double_conv3", "double_conv4")]
    assert ys == sorted(ys, reverse=True), "the encoder goes down"  # Graphviz's y grows upwards
    ys = [at[name][1] for name in ("up1", "up2", "up3", "@output")]
    assert ys == sorted(ys), "the decoder comes back up"


def test_the_decoder_is_laid_out_rising_and_its_skips_level():
    source = render(netdsl.check_file("specs/unet.net").network(), depth=0).source
    assert re.search(r'\bup2 -> up1 \[.*dir=back', source)           # drawn up1 → up2, laid out against it
    assert re.search(r'\bdouble_conv3 -> up1 \[.*minlen=0', source)  # the skip: level


def test_a_long_network_is_wrapped_into_columns_joined_by_numbered_connectors():
    dot = parse_dot(render(netdsl.check_file("specs/resnet18.net").network(), collapse_repeats=True).source)
    assert dot.nodes["@wrap2"]["label"] == dot.nodes["@wrap2'"]["label"] == "2"
    assert dot.edge("basic_block3.relu2", "@wrap2")["label"] == "[N, 128, 28, 28]"
    assert {h for t, h, _ in dot.edges if t == "@wrap2'"} == {"down_block2.conv1", "down_block2.conv3"}
    assert dot.edge("@wrap2'", "down_block2.conv3")["style"] == "dashed"
    assert ["@x", "@wrap1'", "@wrap2'", "@wrap3'"] in dot.same_rank  # the columns start level
    box = parse_dot(render(netdsl.check_file("specs/resnet18.net").network(), depth=0).source)
    assert not any(n.startswith("@wrap") for n in box.nodes)


def test_a_legend_explains_the_colours_and_line_styles_the_drawing_uses():
    legend = lenet().nodes["@legend"]["label"]
    assert "layer with weights" in legend and "layer without weights" in legend and "main path" in legend
    assert "skip" not in legend and "block call" not in legend
    assert "skip, shortcut or extra operand" in diagram(SE_NET).nodes["@legend"]["label"]
    broken = diagram(BROKEN).nodes["@legend"]["label"]
    assert "where the shapes fail" in broken and "not checked" in broken
    assert "repeat: n copies drawn once" in parse_dot(
        render(netdsl.check_file("specs/resnet18.net").network(), depth=0).source).nodes["@legend"]["label"]


def test_collapse_repeats_draws_each_repeat_as_one_box(tmp_path, capsys):
    out = tmp_path / "r.dot"
    assert run_cli(capsys, "render", "specs/resnet18.net", "-o", str(out), "--collapse-repeats")[0] == 0
    dot = parse_dot(out.read_text(encoding="utf-8"))
    assert "BasicBlock(channels=64) × 2" in dot.nodes["*1"]["label"] and "73,984 params each" in dot.nodes["*1"]["label"]
    assert not any(n.startswith("basic_block1") for n in dot.nodes)
    assert run_cli(capsys, "render", "specs/resnet18.net", "-o", str(out), "--depth", "0",
                   "--no-collapse-repeats")[0] == 0
    dot = parse_dot(out.read_text(encoding="utf-8"))
    assert {"basic_block1", "basic_block2"} <= set(dot.nodes) and "*1" not in dot.nodes


def test_dpi_sets_the_png_resolution(tmp_path, capsys):
    sizes = []
    for dpi in ("72", "144"):
        out = tmp_path / f"lenet{dpi}.png"
        assert run_cli(capsys, "render", "specs/lenet.net", "-o", str(out), "--dpi", dpi)[0] == 0
        data = out.read_bytes()
        sizes.append(int.from_bytes(data[16:20], "big"))
    assert abs(sizes[1] / sizes[0] - 2) < 0.05


EVIL = ROOT / "tests" / "cases" / "evil.net"


def test_spec_text_in_a_drawing_is_data(tmp_path, capsys):
    """A string parameter and a comment that try to close the markup they land in, in SVG and DOT."""
    out = tmp_path / "evil.svg"
    assert run_cli(capsys, "render", str(EVIL), "-o", str(out))[0] == 0
    svg = ElementTree.parse(out).getroot()
    assert not [e for e in svg.iter() if e.tag.rsplit("}", 1)[-1] in ("script", "img", "b")]
    title = next(e.text for e in svg.iter() if e.tag.endswith("text") and e.text and "Evil" in e.text)
    assert "</script><script>window.pwned=1</script>" in title
