"""Spec text never runs. Payloads go through every channel a spec or the command line offers text through
(names, strings, numbers, comments, import paths, `-p` values, `-n`, the file's path) and, for every spec
that checks:

- the generated source compiles, and holds only what the code generator writes: its AST is imports of
  torch and math, one class per network or block with a one-line docstring, `__init__` assigning modules
  to `self.<layer>`, `forward` assigning and returning tensors; every name is one the generator defines,
  every string constant one the spec gave; every comment is one of the generator's own, one line each;
- importing it, building the module and running it (on the meta device) runs nothing else: an audit hook
  (tests/inert_child.py) sees no event raised by the generated code besides importing torch and math;
- its diagram is the expected DOT graph (Graphviz parses it, with exactly the expected nodes and edges,
  and no attribute that reads files);

and for every spec, checked or rejected, the diagnostics never write a control character to the
terminal, and the editor's channels (the language server's hover at every offset, inlay hints,
diagnostics, fix titles) hold spec text as text: hovers are Markdown that markdown-it parses into text and
code only, the rest printable lines. (`--plugin` imports Python on purpose and is not a channel for spec text.)
"""

from __future__ import annotations

import ast
import io
import json
import re
import shutil
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

import netdsl
from netdsl import registry
from netdsl.codegen import generate
from netdsl.diagnostics import render_human, render_short
from netdsl.drawing import build
from netdsl.emit import comment
from netdsl.names import MODULE_ATTRIBUTES
from netdsl.pipeline import Analysis, analyze
from netdsl.source import SourceFile
from netdsl.view import collapsed, cut

ROOT = Path(__file__).resolve().parent.parent
MARKER = "/tmp/netdsl_pwned"
PAYLOADS = [
    f"__import__('os').system('touch {MARKER}')",
    f'"""); __import__("os").system("touch {MARKER}"); ("""',
    f"'\nimport os; os.system('touch {MARKER}')\n'",
    f"\nimport os\nos.system('touch {MARKER}')\n",
    f"\rimport os; os.system('touch {MARKER}')",
    f"\u2028import os; os.system('touch {MARKER}')",
    f"\\'); __import__('os').system('touch {MARKER}') #",
    "\\u0027); __import__('os').system('touch /tmp/netdsl_pwned') #\\",
    "trailing backslash \\", "\\n\\x00\\t", "\x00\x0b\x0c\x1c\x85", "\x1b[2J\x1b[31mred", "\t",
    '"]; evil [image="/etc/passwd" label="', '<<IMG SRC="/etc/passwd"/>>', "\\N \\G \\l", "{}", "%s", "#",
    "évaluer ℕ 名前 🎉",
    "reflect", "tanh", "bilinear", "hidden",  # values the string arguments accept: they do reach the code
]
# Identifiers: Python names the generated code relies on or that change meaning when shadowed, names
# nn.Module has, and names that Python mangles or reserves.
NAMES = ["torch", "nn", "F", "math", "self", "super", "print", "exec", "eval", "float", "os", "forward", "x",
         "out", "None", "True", "class", "def", "lambda", "match", "_", "__x", "_3d", "__init__", "Net",
         "register_forward_hook", "set_submodule", "T_destination", "training", "l", "O"]
NUMBERS = ["1e999", "-1e999", "1e-400", "-0.0", "9223372036854775807", "-9223372036854775807 - 1"]
OVERRIDE_NUMBERS = [float("inf"), float("-inf"), float("nan"), -0.0, 2**63 - 1, -(2**63)]
# Strings the channels below put into specs besides the payload.
TEMPLATE_STRINGS = {"a", "inf", "-inf", "nan"}
# Names every generated module may use besides its own classes, parameters and variables.
GLOBALS = {"self", "torch", "nn", "F", "math", "float", "super"}
ALLOWED_IMPORTS = {"import torch", "from torch import nn", "import torch.nn.functional as F", "import math"}
PLAIN = "network Net() { input x: [N, 4]\n x -> linear(2) -> output }"


@dataclass
class Case:
    channel: str
    text: str
    strings: set = field(default_factory=set)    # the strings the spec or -p gives (may become constants)
    overrides: dict = field(default_factory=dict)
    path: str = "inject.net"
    network: str | None = None


def quoted(text: str) -> str:
    """text as a spec string literal (the spec's escapes are \\n, \\r, \\t, \\0, \\\\, \\' and \\")."""
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("'", "\\'")
    return f"'{escaped}'"


def string_cases(payload: str) -> list[Case]:
    s, p = quoted(payload), {payload}
    block = "block B(mode: str = 'a') { input x\n output x -> relu }\n"
    layer = "network Net() {{ input x: [N, 2, 8, 8]\n x -> {} -> output }}"
    return [
        Case("network string parameter", f"network Net(mode: str = {s}) {{ input x: [N, 4]\n x -> linear(2) -> output }}", p),
        Case("block string default", f"block B(mode: str = {s}) {{ input x\n output x -> relu }}\n"
             "network Net() { input x: [N, 4]\n x -> B -> output }", p),
        Case("block string argument", block + f"network Net() {{ input x: [N, 4]\n x -> B(mode={s}) -> output }}", p),
        Case("conv padding_mode", layer.format(f"conv2d(2, 3, padding_mode={s})"), p),
        Case("gelu approximate", layer.format(f"gelu(approximate={s})"), p),
        Case("upsample mode", layer.format(f"upsample(scale_factor=2, mode={s})"), p),
        Case("interpolate mode", layer.format(f"interpolate(size=4, mode={s})"), p),
        Case("lstm returns", f"network Net() {{ input x: [5, N, 4]\n x -> lstm(3, returns={s}) -> output }}", p),
        Case("a string in size arithmetic", f"network Net() {{ input x: [N, N + {s}]\n x -> relu -> output }}", p),
        Case("a string parameter in a size", f"network Net(s: str = {s}) {{ input x: [N, N * s]\n x -> relu -> output }}", p),
        Case("a string as a reshape size", f"network Net() {{ input x: [N, 4]\n x -> reshape(N, {s}) -> output }}", p),
        Case("a string in a where clause", f"network Net() {{ input x: [N, C] where C == {s}\n x -> relu -> output }}", p),
        Case("comment", f"# {payload}\n{PLAIN}"),
        Case("import path", f"import {s}\n{PLAIN}"),
        Case("import-from path", f"from {s} import B\n{PLAIN}"),
        Case("-p string value", "network Net(mode: str = 'a') { input x: [N, 4]\n x -> linear(2) -> output }",
             {payload, "a"}, overrides={"mode": payload}),
        Case("-p value for a size", "network Net(n: int = 4) { input x: [N, n]\n x -> linear(2) -> output }",
             overrides={"n": payload}),
        Case("source path", PLAIN, path=payload),
        Case("-n network", PLAIN, network=payload),
    ]


def name_cases(name: str) -> list[Case]:
    return [
        Case("network name", f"network {name}() {{ input x: [N, 4]\n x -> linear(2) -> output }}"),
        Case("block name", f"block {name}() {{ input x\n output x -> relu }}\n"
             f"network Net() {{ input x: [N, 4]\n x -> {name} -> output }}"),
        Case("input name", f"network Net() {{ input {name}: [N, 4]\n {name} -> linear(2) -> output }}"),
        Case("tensor name", f"network Net() {{ input x: [N, 4]\n {name} = x -> linear(2)\n output {name} }}"),
        Case("unpacked names", f"network Net() {{ input x: [N, 4]\n {name}, b = x -> chunk(2, dim=1)\n output {name} + b }}"),
        Case("layer label", f"network Net() {{ input x: [N, 4]\n x -> {name}: linear(2) -> output }}"),
        Case("network parameter", f"network Net({name}: int = 2) {{ input x: [N, 4]\n x -> linear({name}) -> output }}"),
        Case("block parameter", f"block B({name}: int) {{ input x: [N, C]\n output x -> linear({name}) }}\n"
             f"network Net() {{ input x: [N, 4]\n a = x -> B(3)\n output a -> B(5) }}"),
        Case("size symbol", f"network Net() {{ input x: [N, {name}, 4]\n x -> reshape({name}, N, 4) -> output }}"),
        Case("where clause symbol", f"network Net() {{ input x: [N, {name}] where {name} % 2 == 0\n x -> relu -> output }}"),
        Case("block where clause symbol", f"block B() {{ input x: [N, {name}] where {name} >= 2\n output x -> relu }}\n"
             "network Net() { input x: [N, 4]\n x -> B -> output }"),
        Case("keyword argument name", f"network Net() {{ input x: [N, 4]\n x -> linear(2, {name}=1) -> output }}"),
        Case("parameter tensor name", f"network Net() {{ input x: [N, 4]\n param {name}: [4] = zeros\n output x + {name} }}"),
        Case("buffer name", f"network Net() {{ input x: [N, 4]\n buffer {name}: [4] = ones\n output x * {name} }}"),
    ]


def number_cases(number: str) -> list[Case]:
    return [
        Case("number times a tensor", f"network Net() {{ input x: [N, 4]\n output x * ({number}) }}", TEMPLATE_STRINGS),
        Case("number as a layer argument", f"network Net() {{ input x: [N, 4]\n x -> elu(alpha={number}) -> output }}",
             TEMPLATE_STRINGS),
        Case("number as a float parameter", f"network Net(s: float = {number}) {{ input x: [N, 4]\n output x * s }}",
             TEMPLATE_STRINGS),
        Case("number as a size", f"network Net() {{ input x: [N, 4]\n x -> linear({number}) -> output }}"),
        Case("number as an initialiser argument",
             f"network Net() {{ input x: [N, 4]\n param w: [4] = normal(std={number})\n output x * w }}", TEMPLATE_STRINGS),
    ]


def override_cases(value) -> list[Case]:
    return [Case("-p number", "network Net(s: float = 1.0, n: int = 2) { input x: [N, 4]\n output x * s }",
                 TEMPLATE_STRINGS, overrides={"s": value}),
            Case("-p number for an int", "network Net(n: int = 2) { input x: [N, 4]\n x -> linear(n) -> output }",
                 overrides={"n": value})]


CASES = [*(c for p in PAYLOADS for c in string_cases(p)), *(c for n in NAMES for c in name_cases(n)),
         *(c for n in NUMBERS for c in number_cases(n)), *(c for v in OVERRIDE_NUMBERS for c in override_cases(v))]


@dataclass
class Checked:
    case: Case
    analysis: Analysis
    sources: list[str]       # the generated module of each network


@pytest.fixture(scope="module")
def matrix(tmp_path_factory) -> list[Checked]:
    base = tmp_path_factory.mktemp("injection")
    return [Checked(c, a, [generate([n], c.path, a.program).source for n in a.networks] if a.ok else [])
            for c in CASES for a in [analyze(SourceFile(c.path, c.text), c.network, c.overrides, base_dir=base)]]


def test_every_channel_is_tried_and_most_reach_generated_code(matrix):
    channels = {c.case.channel for c in matrix}
    accepted = {c.case.channel for c in matrix if c.analysis.ok}
    rejected_always = channels - accepted
    # Strings never become sizes; files named by payloads do not exist; -n selects nothing.
    assert rejected_always == {"a string in size arithmetic", "a string parameter in a size", "a string as a reshape size",
                               "-p value for a size", "import path", "import-from path", "-n network",
                               "a string in a where clause",
                               "keyword argument name", "-p number for an int", "number as a size"}, rejected_always
    assert sum(len(c.sources) for c in matrix) > 300


def test_strings_never_become_sizes(matrix):
    for checked in matrix:
        if checked.case.channel.startswith(("a string", "-p value for a size")):
            codes = {d.code for d in checked.analysis.diagnostics.items}
            assert codes & {"E0306", "E0314", "E0316", "E0317", "E0321", "E0330"}, (checked.case, codes)


def test_generated_source_holds_only_what_the_generator_writes(matrix):
    for checked in matrix:
        for checked_network, source in zip(checked.analysis.networks, checked.sources):
            try:
                assert_generator_wrote(source, checked.case, checked_network)
            except AssertionError as error:
                raise AssertionError(f"{checked.case.channel}: {checked.case.text!r}\n{error}\n{source}") from None


def test_importing_and_building_runs_nothing_else(matrix):
    cases, labels = [], []
    for checked in matrix:
        for network, source in zip(checked.analysis.networks, checked.sources):
            cls = generate([network], checked.case.path, checked.analysis.program).classes[network.graph.name]
            inputs = [[d if isinstance(d, int) else 2 for d in shape] for shape in network.input_shapes.values()]
            cases.append({"source": source, "class": cls, "inputs": inputs})
            labels.append(f"{checked.case.channel}: {checked.case.text!r} {checked.case.overrides}")
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "inert_child.py")], input=json.dumps(cases),
                            capture_output=True, text=True, cwd=ROOT, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    problems = [(label, seen) for label, seen in zip(labels, json.loads(result.stdout)) if seen]
    assert not problems, problems[:5]
    assert not Path(MARKER).exists(), "a payload ran"


def test_diagrams_are_the_expected_graphs(matrix):
    from netdsl.render import render
    assert shutil.which("dot"), "Graphviz's dot is needed (apt-get install graphviz)"
    diagrams = [(network, render(network, legend=False)) for checked in matrix for network in checked.analysis.networks
                if checked.analysis.ok]
    result = subprocess.run(["dot", "-Tjson0"], input="\n".join(d.source for _, d in diagrams), capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0 and not result.stderr, result.stderr[-2000:]
    decoder, text, position, drawn = json.JSONDecoder(), result.stdout, 0, []
    while text[position:].strip():
        graph, end = decoder.raw_decode(text, position + len(text[position:]) - len(text[position:].lstrip()))
        drawn.append(graph)
        position = end
    assert len(drawn) == len(diagrams)
    for (network, diagram), graph in zip(diagrams, drawn):
        nodes = {o["name"] for o in graph.get("objects", []) if "nodes" not in o}
        expected, edges = _drawn(network)
        assert nodes == expected and len(graph.get("edges", [])) == edges, (nodes ^ expected, diagram.source)
        for item in [*graph.get("objects", []), *graph.get("edges", [])]:
            assert not {"image", "shapefile", "imagepath", "URL", "href", "fontpath"} & set(item), item


def test_diagnostics_never_write_control_characters(matrix):
    for checked in matrix:
        for diagnostic in checked.analysis.diagnostics.sorted():
            for text in (render_human(diagnostic), render_human(diagnostic, color=True), render_short(diagnostic)):
                plain = re.sub(r"\x1b\[[0-9;]*m", "", text) if text.count("\x1b[0m") else text  # our own colours
                assert all(c == "\n" or c.isprintable() for c in plain), (checked.case, text)


def test_mermaid_holds_only_the_lines_its_generator_writes(matrix):
    from netdsl.mermaid import mermaid
    for checked in matrix:
        for network in checked.analysis.networks:
            diagram = build(network, checked.analysis.diagnostics.items)
            text = mermaid(cut(diagram, collapsed(diagram, None, None)))
            for line in text.splitlines():
                assert any(p.fullmatch(line) for p in MERMAID_LINES), (checked.case.channel, line)
                assert line.isprintable(), (checked.case.channel, line)


def test_pages_hold_the_spec_as_data_only(matrix):
    """The page's markup is the same whatever the spec holds; the spec's text is in its JSON data only, and
    reads back as the diagram."""
    from netdsl.page import _asset, page
    assets = [_asset(name) for name in ("elk.bundled.js", "page.js", "page.css")]

    def markup(network, diagnostics) -> tuple[list, str]:
        text = page(build(network, diagnostics))
        for asset in assets:
            text = text.replace(asset, "")
        parser = _Markup()
        parser.feed(text)
        return parser.tags, parser.data
    # Every tag and attribute a page may have: a page with a block, a repeat, a skip and a failing layer.
    rich = analyze(SourceFile("rich.net", "block B() { input x\n output x -> relu }\n"
                              "network Net() { input x: [N, 4]\n h = x -> B -> (relu -> relu) * 2 -> linear(2)\n"
                              " output h + x }"))
    reference = set(markup(rich.network(), rich.diagnostics.items)[0])
    for checked in matrix:
        for network in checked.analysis.networks:
            tags, data = markup(network, checked.analysis.diagnostics.items)
            assert set(tags) <= reference and tags.count(("script", ())) == 2, (checked.case.channel, set(tags) - reference)
            assert json.loads(data)["diagram"] == json.loads(json.dumps(build(
                network, checked.analysis.diagnostics.items).as_json())), checked.case.channel


def test_reports_are_strict_json_and_one_annotation_per_diagnostic(matrix):
    from netdsl.formats import FileDiagnostics, render
    from netdsl.report import file_model
    for checked in matrix:
        diagnostics = checked.analysis.diagnostics.sorted()
        files = [FileDiagnostics(checked.case.path, diagnostics)]
        for fmt in ("json", "sarif"):
            json.loads(render(fmt, files), parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
        json.loads(file_model(checked.analysis, diagnostics).model_dump_json(),
                   parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
        annotations = render("github", files).split("\n")[:-1]
        assert len(annotations) == len(diagnostics), checked.case.channel
        assert all(re.match(r"::(error|warning|notice) ", a) and a.isprintable() for a in annotations), annotations


# What a hover's Markdown may contain: paragraphs of text, code and emphasis, and fenced code. No link, image,
# HTML, heading, list or quote, which spec text would otherwise make (VS Code renders hovers with markdown-it).
HOVER_TOKENS = {"paragraph_open", "paragraph_close", "inline", "text", "code_inline", "strong_open", "strong_close",
                "em_open", "em_close", "softbreak", "hardbreak", "fence"}


def test_editor_hovers_hints_and_diagnostics_hold_spec_text_as_text(matrix):
    """The editor's channels (netdsl.lsp): a hover anywhere in the spec is Markdown that markdown-it parses into
    text, code and emphasis only, its fences netdsl's own; inlay hints and diagnostics as the editor gets them
    (message, related information, fix titles) are plain text with no character that is not printable."""
    from markdown_it import MarkdownIt
    from netdsl.lsp.index import Index
    from netdsl.lsp.info import hover, shape_hints
    from netdsl.lsp.server import _diagnostic
    markdown = MarkdownIt("commonmark")
    hovers = 0
    for checked in matrix:
        analysis, case = checked.analysis, checked.case
        index = Index(analysis.program) if analysis.program is not None else None
        texts = dict.fromkeys(found[0] for offset in range(len(analysis.source.text))
                              for found in [hover(analysis, index, analysis.source.path, offset)] if found)
        for text in texts:
            hovers += 1
            assert all(c == "\n" or c.isprintable() for c in text), (case.channel, text)
            tokens = markdown.parse(text)
            kinds = {t.type for token in tokens for t in [token, *(token.children or [])]}
            assert kinds <= HOVER_TOKENS, (case.channel, kinds - HOVER_TOKENS, text)
            assert all(t.info in ("python", "netdsl") for t in tokens if t.type == "fence"), (case.channel, text)
        for _, label in shape_hints(analysis, analysis.source.path):
            assert label.isprintable(), (case.channel, label)
        for diagnostic in analysis.diagnostics.sorted():
            shown = _diagnostic(diagnostic, analysis.source)
            lines = [*shown.message.split("\n"), *(r.message for r in shown.related_information or ()),
                     *((shown.data or {}).get("fixes", ()))]
            assert all(line.isprintable() for line in lines), (case.channel, lines)
    assert hovers > 1000


def test_reserved_names_are_nn_modules_own():
    import torch
    public = {n for n in [*dir(torch.nn.Module), *torch.nn.Module.__annotations__] if not n.startswith("_")}
    assert MODULE_ATTRIBUTES == public


def test_netdsl_never_evaluates_spec_text():
    """The only exec is the builder's, of generated source; no eval anywhere."""
    package = Path(netdsl.__file__).parent
    calls = [(p.name, n.func.id) for p in package.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("eval", "exec")]
    assert calls == [("builder.py", "exec")]


# ---------------------------------------------------------------- what the generator writes

# The generator's comments after its two header lines: shapes (sizes are names, digits and operators)
# and the layers not computed.
BODY_COMMENT = re.compile(r"# (\[[\w+\-*/(), ]*\](; \[[\w+\-*/(), ]*\])*|not computed: the output does not depend on "
                          r"\w+(, \w+)*)")
ANNOTATIONS = {"int", "float", "bool", "str", "tuple"}
# The lines mermaid.py writes; a label holds no quote, markup or line break (those are `#34;` entities).
_LABEL = r'(?:[^"<>&`\\%|#]|#\d+;|<br/>)*'
MERMAID_LINES = [re.compile(p) for p in (
    "---", r'title: "(?:[^"\\]|\\.)*"', "flowchart (TB|LR)", rf'\s*[ng]\d+(?:\(\["{_LABEL}"\]\)|\[\["{_LABEL}"\]\]|\["{_LABEL}"\])',
    rf'\s*subgraph g\d+ \["{_LABEL}"\]', r"\s*end", rf'\s*[ng]\d+ (?:-->|-\.->)\|"{_LABEL}"\| [ng]\d+',
    r"\s*linkStyle [\d,]+ [\w:#,\-. ]+", r"\s*classDef \w+ [\w:#,\-. ]+", r"\s*class [ng\d,]+ \w+",
    r"\s*style g\d+ [\w:#,\-. ]+")]


class _Markup(HTMLParser):
    """A page's tags with the names of their attributes, and the text of its JSON data element."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.data, self._in_data = [], "", False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(name for name, _ in attrs)))
        self._in_data = ("id", "netdsl-data") in attrs

    def handle_endtag(self, tag):
        self.tags.append(("/" + tag, ()))
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data += data


def _drawn(checked) -> tuple[set[str], int]:
    """The nodes `render` draws for a checked network (every block opened, no legend) and how many edges join
    them."""
    nodes = {f"@{name}" for name in checked.input_shapes} | ({"@output"} if checked.graph.output else set())
    edges = 1 if checked.graph.output else 0

    def walk(graph, prefix: str) -> None:
        nonlocal edges
        for layer in graph.layers:
            if layer.inner is not None:   # a cluster, titled by a node of its own
                nodes.add(f"{prefix}{layer.node.name}@title")
                walk(layer.inner, f"{prefix}{layer.node.name}.")
            else:
                nodes.add(prefix + layer.node.name)
                edges += len(layer.node.inputs)
    walk(checked, "")
    return nodes, edges


def _live_values(checked) -> int:
    """The values forward computes: one per layer the output depends on, or per result of it used."""
    needed = {checked.graph.output}
    for layer in reversed(checked.layers):
        if not needed.isdisjoint(layer.node.values):
            needed.update(layer.node.inputs)
    return sum(value in needed for layer in checked.layers if layer.node.learnable is None
               for value in layer.node.values)


def _names_assigned(step: ast.Assign) -> int:
    """The values a forward step computes: one per name assigned (`_` in an unpacking is not used)."""
    return sum(isinstance(n, ast.Name) and n.id != "_" for n in ast.walk(step.targets[0]))


def _module_layers(checked) -> int:
    """The attributes `__init__` creates: modules, parameters and buffers."""
    return sum(layer.inner is not None or layer.node.learnable is not None or
               registry.lookup(layer.node.kind).module is not None for layer in checked.layers)


def assert_generator_wrote(source: str, case: Case, network) -> None:
    compile(source, "<generated>", "exec")
    comments = [t.string for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type == tokenize.COMMENT]
    assert comments[:2] == [comment(f"Generated by netdsl from {case.path}."),
                            comment("Edit the spec and run `netdsl build` again rather than editing this file.")]
    for text in comments[2:]:
        assert BODY_COMMENT.fullmatch(text), text
    tree = ast.parse(source)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert set(imports) <= ALLOWED_IMPORTS, imports
    classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert len(classes) + len(imports) == len(tree.body)
    names = {c.name for c in classes}
    constants = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    docstrings = {ast.get_docstring(c, clean=False) for c in classes}
    assert all("\n" not in d for d in docstrings)
    buffers = {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
               and ast.unparse(n.func) == "self.register_buffer"}
    assert all(b.isidentifier() and not b.startswith("_") and b not in MODULE_ATTRIBUTES for b in buffers), buffers
    assert constants - docstrings - buffers <= case.strings | TEMPLATE_STRINGS, constants - docstrings
    for cls in classes:
        assert [ast.unparse(b) for b in cls.bases] == ["nn.Module"]
        doc, init, forward = cls.body
        assert isinstance(doc, ast.Expr) and [init.name, forward.name] == ["__init__", "forward"]
        assert ast.unparse(init.body[0]) == "super().__init__()"
        created = 0
        for statement in init.body[1:]:
            if isinstance(statement, ast.Expr):   # self.register_buffer("name", ...) or nn.init.f_(self.name, ...)
                callee = ast.unparse(statement.value.func)
                assert callee == "self.register_buffer" or callee.startswith("nn.init."), callee
                created += callee == "self.register_buffer"
                continue
            created += 1
            assert isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Call)
            (target,) = statement.targets
            assert ast.unparse(target.value) == "self" and target.attr not in MODULE_ATTRIBUTES
            assert not target.attr.startswith("_"), target.attr
        *steps, result = forward.body
        # one name, or the names of an unpacking (`a, _ = torch.chunk(x, 2)`)
        assert all(isinstance(s, ast.Assign) and {type(n) for n in ast.walk(s.targets[0])} <= {ast.Name, ast.Tuple, ast.Store}
                   for s in steps)
        assert isinstance(result, ast.Return) and isinstance(result.value, ast.Name)
        for function in (init, forward):
            local = {a.arg for a in function.args.args} | {n.id for s in function.body if isinstance(s, ast.Assign)
                                                             for t in s.targets for n in ast.walk(t)
                                                             if isinstance(n, ast.Name)}
            used = {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}
            assert used <= GLOBALS | names | local | ANNOTATIONS, used
            assert not [n for n in ast.walk(function) if isinstance(n, ast.keyword) and n.arg and n.arg.startswith("__")]
        if cls.name == generate([network], case.path).classes[network.graph.name]:
            assert created == _module_layers(network)
            assert sum(_names_assigned(s) for s in steps) == _live_values(network)
