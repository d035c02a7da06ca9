"""Spec text never runs as Python: every place a spec (or -p) can put text is tried with payloads, and
the generated module is inert — it parses, calls nothing it did not generate, and building it does not
run the payload (the marker file is never created)."""

import ast
import os

import pytest

import netdsl
from netdsl.codegen import generate
from netdsl.pipeline import analyze
from netdsl.source import SourceFile

MARKER = "/tmp/netdsl_pwned"
PAYLOADS = [
    f"__import__('os').system('touch {MARKER}')",
    f'"""); __import__("os").system("touch {MARKER}"); ("""',
    f"'\nimport os; os.system('touch {MARKER}')\n'",
    f"\\'); __import__('os').system('touch {MARKER}') #",
    "\\u0027); __import__('os').system('touch /tmp/netdsl_pwned') #\\",
    "\\x00\\n\\t", "évaluer ℕ 名前", "#", "{}", "%s",
]
# Python names that generated code itself relies on, or that change meaning when shadowed.
RISKY_NAMES = ["torch", "nn", "F", "math", "self", "super", "print", "exec", "eval", "__import__", "os",
               "forward", "x", "out", "None", "True", "class", "def", "lambda", "Net", "LeNet"]
# Every call in generated code starts from one of these names.
GENERATED_ROOTS = {"self", "nn", "torch", "F", "super", "math", "float"}


def quoted(text: str) -> str:
    """text as a spec string literal (the spec's escapes are \\n, \\t, \\\\, \\' and \\")."""
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("'", "\\'")
    return f"'{escaped}'"


def spec_variants(text: str):
    """Specs putting `text` (a payload or a name) in every place a spec can hold text."""
    s = quoted(text)
    yield f"network Net(mode: str = {s}) {{ input x: [N, 4]\n x -> linear(2) -> output }}"
    yield f"network Net() {{ input x: [N, 1, 8, 8]\n x -> conv2d(2, 3, padding_mode={s}) -> output }}"
    yield f"network Net() {{ input x: [N, 4]\n x -> gelu(approximate={s}) -> output }}"
    yield f"# {text.replace(chr(10), ' ')}\nnetwork Net() {{ input x: [N, 4]\n x -> linear(2) -> output }}"
    yield f"import {s}\nnetwork Net() {{ input x: [N, 4]\n x -> linear(2) -> output }}"
    yield f"from {s} import B\nnetwork Net() {{ input x: [N, 4]\n x -> linear(2) -> output }}"
    for name in (text,):  # names: valid ones reach the generated code, others are syntax errors
        yield f"network {name}() {{ input x: [N, 4]\n x -> linear(2) -> output }}"
        yield f"block {name}() {{ input x\n output x -> relu }}\nnetwork Net() {{ input x: [N, 4]\n x -> {name} -> output }}"
        yield f"network Net() {{ input {name}: [N, 4]\n {name} -> linear(2) -> output }}"
        yield f"network Net() {{ input x: [N, 4]\n {name} = x -> linear(2)\n output {name} }}"
        yield f"network Net() {{ input x: [N, 4]\n x -> {name}: linear(2) -> output }}"
        yield f"network Net({name}: int = 2) {{ input x: [N, 4]\n x -> linear({name}) -> output }}"


def assert_inert(source: str) -> None:
    tree = ast.parse(source)
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}  # blocks' classes
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            root = node.func
            while isinstance(root, (ast.Attribute, ast.Call)):
                root = root.value if isinstance(root, ast.Attribute) else root.func
            assert isinstance(root, ast.Name) and root.id in GENERATED_ROOTS | classes, ast.unparse(node)
        assert not isinstance(node, (ast.Import, ast.ImportFrom)) or all(
            a.name.split(".")[0] in ("torch", "math") for a in node.names) or node.module == "torch"


@pytest.fixture(autouse=True)
def no_marker():
    if os.path.exists(MARKER):
        os.remove(MARKER)
    yield
    assert not os.path.exists(MARKER), "a payload ran"


@pytest.mark.parametrize("text", PAYLOADS + RISKY_NAMES)
def test_generated_code_is_inert(text):
    for spec in spec_variants(text):
        analysis = analyze(SourceFile("inject.net", spec))
        if not analysis.ok:
            continue
        source = generate(analysis.networks, "inject.net").source
        assert_inert(source)
        module = netdsl.build_module(spec)  # executes only the generated source
        assert module is not None
    assert not os.path.exists(MARKER)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_override_values_are_inert(payload):
    spec = "network Net(mode: str = 'a') { input x: [N, 4]\n x -> linear(2) -> output }"
    analysis = analyze(SourceFile("inject.net", spec), overrides={"mode": payload})
    assert analysis.ok
    assert_inert(generate(analysis.networks, "inject.net").source)
    netdsl.build_module(spec, mode=payload)


def test_source_path_is_inert():
    spec = "network Net() { input x: [N, 4]\n x -> linear(2) -> output }"
    analysis = analyze(SourceFile("a.net", spec))
    for path in PAYLOADS:
        assert_inert(generate(analysis.networks, path).source)


def test_netdsl_never_evaluates_spec_text():
    """The only exec is the builder's, of generated source; no eval anywhere."""
    from pathlib import Path
    package = Path(netdsl.__file__).parent
    calls = [(p.name, n.func.id) for p in package.rglob("*.py") for n in ast.walk(ast.parse(p.read_text()))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("eval", "exec")]
    assert calls == [("builder.py", "exec")]
