"""A re-check in the same process (what an editor does on every keystroke) reuses block instances, their
resolution and their checking from earlier checks (netdsl.memo). A reused result must be exactly the one a
check that reuses nothing gives: every spec of specs/ is edited at random, edit after edit in one process,
and each result (diagnostics with their spans, notes and fixes; every layer's shape, arguments, parameters
and MACs, blocks included; requirements on sizes; accepted sizes) is compared with the same check under memo.disabled()."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

import netdsl
from netdsl import lower, memo, registry
from netdsl.shapes import format_shape

SPECS = sorted(p for p in (ROOT / "specs").rglob("*.net"))
NUMBER = re.compile(r"\d+")
SIZES = (0, 1, 2, 3, 4, 7, 8, 16, 31, 64, 65, 128, 256, 1000)
# Characters an editing user types: brackets, arrows, operators, names, numbers, comments, line breaks.
TYPED = list("()[]{},:=-><*+/#.\n ") + ["->", "relu", "x", "1", "64", "  ", "\n    "]


def _layers(checked, depth: int = 0) -> list:
    rows = []
    for layer in checked.layers:
        node = layer.node
        rows.append((depth, node.name, node.kind, repr(layer.args), repr(node.args), layer.shape and format_shape(layer.shape),
                     layer.inputs and tuple(format_shape(s) for s in layer.inputs), layer.params, layer.frozen,
                     layer.buffers, repr(layer.macs), layer.dtype, layer.error, layer.tied, repr(layer.results),
                     node, layer.inner and layer.inner.parameters, layer.inner and layer.inner.input_shapes))
        for inner in (layer.inner, layer.init):
            if inner is not None:
                rows += _layers(inner, depth + 1)
    return rows


def _constraint(constraint) -> tuple:
    error = constraint.requirement.error()
    return (repr(constraint.requirement.condition), error.message, error.code, constraint.node.name,
            constraint.node.span, constraint.context)


def outcome(analysis) -> tuple:
    """Everything a user sees of a check, as comparable values (reprs keep 1, 1.0 and True apart)."""
    diagnostics = [(repr(d), d.span and d.span.location(), [n.span and n.span.location() for n in d.notes])
                   for d in analysis.diagnostics.items]
    networks = [(n.graph, n.output_shape and format_shape(n.output_shape), n.params, n.buffers, repr(n.macs),
                 n.output_dtype, [_constraint(c) for c in n.constraints], _layers(n)) for n in analysis.networks]
    accepted = {name: (repr(a), a.words()) for name, a in analysis.accepted.items()}
    return diagnostics, networks, accepted, analysis.ok


def assert_same_as_without_reuse(text: str, path: str, **options) -> None:
    reused = netdsl.check_text(text, path=path, **options)
    with memo.disabled():
        reference = netdsl.check_text(text, path=path, **options)
    assert outcome(reused) == outcome(reference), f"re-check differs for:\n{text}"
    assert reused.diagnostics.items == reference.diagnostics.items


def edit(text: str, rng: random.Random) -> str:
    """One keystroke-sized edit: a number changed (the spec usually still parses), characters typed or
    deleted anywhere."""
    choice = rng.random()
    numbers = list(NUMBER.finditer(text))
    if choice < 0.5 and numbers:
        match = rng.choice(numbers)
        value = rng.choice((*SIZES, int(match[0]) + 1, max(int(match[0]) - 1, 0)))
        return text[:match.start()] + str(value) + text[match.end():]
    at = rng.randrange(len(text) + 1)
    if choice < 0.8:
        return text[:at] + rng.choice(TYPED) + text[at:]
    return text[:at] + text[at + rng.randint(1, 4):]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: str(p.relative_to(ROOT / "specs")))
def test_a_re_check_after_edits_equals_a_check_that_reuses_nothing(spec: Path):
    rng = random.Random(str(spec.relative_to(ROOT)))
    original = spec.read_text(encoding="utf-8")
    path = str(spec)
    assert_same_as_without_reuse(original, path)
    text = original
    for _ in range(10 if spec.parent.name == "specs" else 5):
        # From the original half of the time: most edits then still parse, and the blocks are reused.
        text = edit(original if rng.random() < 0.5 else text, rng)
        assert_same_as_without_reuse(text, path)
    assert_same_as_without_reuse(original, path)


def test_an_imported_file_edited_on_disk_is_not_reused(tmp_path: Path):
    """The blocks come from an imported file: editing it (or what it imports) must never reuse its old
    blocks, in either file's edits."""
    for name in ("resnet18.net", "residual.net"):
        shutil.copy(ROOT / "specs" / name, tmp_path / name)
    rng = random.Random(7)
    root, imported = (tmp_path / "resnet18.net").read_text(), (tmp_path / "residual.net").read_text()
    for step in range(30):
        if step % 3 == 0:
            (tmp_path / "residual.net").write_text(edit(imported, rng))
        assert_same_as_without_reuse(edit(root, rng) if step % 2 else root, str(tmp_path / "resnet18.net"))


LEAF = "block Leaf(c: int) {\n    input x: [N, C, H, W]\n    unused = x -> relu\n    x -> conv2d(c, 3, padding=1) -> output\n}\n"
MID = 'from "leaf.net" import Leaf\nblock Mid(c: int) {\n    input x: [N, C, H, W]\n    x -> Leaf(c) -> Leaf(c) -> output\n}\n'
TOP = 'from "mid.net" import Mid\nnetwork M() {\n    input x: [N, 3, 32, 32]\n    x -> Mid(8) -> Mid(8) -> output\n}\n'


def test_a_file_imported_by_an_imported_file_edited_on_disk(tmp_path: Path):
    """mid.net is unchanged, so its block is the same definition; what it calls from leaf.net is not.
    The leaf's warning (resolved once per check) is reported by a reused instance too."""
    (tmp_path / "mid.net").write_text(MID)
    rng = random.Random(3)
    for step in range(24):
        (tmp_path / "leaf.net").write_text(LEAF if step % 4 == 0 else edit(LEAF, rng))
        assert_same_as_without_reuse(TOP if step % 2 else TOP + "\n" * step, str(tmp_path / "top.net"))
    (tmp_path / "leaf.net").write_text(LEAF)
    warned = netdsl.check_text(TOP, path=str(tmp_path / "top.net"))
    assert [d.code for d in warned.diagnostics.items] == ["W0101"]


def test_equal_calls_in_different_places_and_values_python_confuses():
    """Two calls of a block on the same input need the same sizes, each from its own call; 2, 2.0 and
    true are different arguments (Python's == says they are equal)."""
    text = ("block Down() {\n    input x: [N, C, H, W]\n    x -> conv2d(8, 3) -> output\n}\n"
            "block Drop(p: float) {\n    input x: [N, C, H, W]\n    x -> dropout(p) -> output\n}\n"
            "block Pool(k: tuple) {\n    input x: [N, C, H, W]\n    x -> maxpool2d(k) -> output\n}\n"
            "network M() {\n    input x: [N, 3, H, W]\n    a = x -> Down()\n    b = x -> Down()\n"
            "    a + b -> Drop(0.0) -> Drop(-0.0) -> Drop(1) -> Drop(1.0) -> Pool((2, 1)) -> Pool((2.0, 1))\n"
            "      -> Pool((true, 1)) -> output\n}\n")
    assert_same_as_without_reuse(text, "m.net")
    assert_same_as_without_reuse(text, "m.net", sizes={"H": 2})


def test_a_block_lowered_inside_a_cycle_is_not_reused_outside_it():
    """Recursion is found with the blocks being lowered around a call: B(1) inside A differs from B(1) at
    the top."""
    text = ("block A(n: int) {\n    input x: [N, 4]\n    x -> B(n) -> output\n}\n"
            "block B(n: int) {\n    input x: [N, 4]\n    x -> A(n) -> output\n}\n"
            "network M() {\n    input x: [N, 4]\n    x -> A(1) -> B(1) -> output\n}\n")
    assert_same_as_without_reuse(text, "m.net")


def test_each_instance_has_its_own_warnings():
    """A block's lint warnings depend on its arguments and input: Head(4) misses a row, Head(5) does not."""
    text = ("block Head(k: int) {\n    input x: [N, C, H, W]\n    x -> maxpool2d(k) -> flatten -> output\n}\n"
            "network M() {\n    input x: [N, 3, 5, 5]\n    a = x -> Head(5)\n    b = x -> Head(4)\n"
            "    c = x -> Head(5)\n    a + b + c -> output\n}\n")
    assert_same_as_without_reuse(text, "m.net")
    assert [d.code for d in netdsl.check_text(text, path="m.net").diagnostics.items] == ["W0106"]


def test_blocks_of_the_edited_file_and_parameters_sizes_and_networks(tmp_path: Path):
    """Blocks in the file being edited, `-p` values, `--input` sizes and the network chosen all change
    what a block call is."""
    text = (ROOT / "specs" / "unet.net").read_text()
    path = str(ROOT / "specs" / "unet.net")
    for sizes in ({}, {"H": 64}, {"H": 64, "W": 32}, {"H": 63}, {}):
        assert_same_as_without_reuse(text, path, sizes=sizes)
    text = (ROOT / "specs" / "resnet18.net").read_text()
    path = str(ROOT / "specs" / "resnet18.net")
    for classes in (10, 1000, 10, 0):
        assert_same_as_without_reuse(text, path, classes=classes)
    demo = (ROOT / "specs" / "residual.net").read_text()
    for network in ("ResidualDemo", None, "Nope"):
        assert_same_as_without_reuse(demo, str(ROOT / "specs" / "residual.net"), network=network)


def test_a_kind_registered_later_is_not_missed(monkeypatch):
    """A block that used an unknown layer is checked again once a plugin registers it."""
    loaded = registry.all_kinds()
    monkeypatch.setattr(registry, "_KINDS", {k: v for k, v in loaded.items() if k != "gelu"})
    text = ("block B() {\n    input x: [N, 16]\n    x -> gelu -> relu -> output\n}\n"
            "network M() {\n    input x: [N, 16]\n    x -> B() -> B() -> output\n}\n")
    assert_same_as_without_reuse(text, "m.net")
    assert not netdsl.check_text(text, path="m.net").ok
    registry.register(loaded["gelu"])
    assert_same_as_without_reuse(text, "m.net")
    assert netdsl.check_text(text, path="m.net").ok


def test_a_reused_block_still_counts_toward_the_layer_limit(monkeypatch):
    text = ("block Three() {\n    input x: [N, 4]\n    x -> relu -> relu -> relu -> output\n}\n"
            "network M(n: int = 2) {\n    input x: [N, 4]\n    x -> Three() * n -> output\n}\n")
    for n in (2, 3):
        assert_same_as_without_reuse(text, "m.net", n=n)
    monkeypatch.setattr(lower, "MAX_LAYERS", 10)
    for n in (3, 4, 3):
        assert_same_as_without_reuse(text, "m.net", n=n)
    assert "E0319" in [d.code for d in netdsl.check_text(text, path="m.net", n=4).diagnostics.items]


def test_caches_are_bounded():
    memo.clear()
    for channels in range(1, 700):
        netdsl.check_text(f"block B(c: int) {{\n    input x: [N, c]\n    x -> linear(c) -> output\n}}\n"
                          f"network M() {{\n    input x: [N, {channels}]\n    x -> B({channels}) -> output\n}}\n")
    assert all(len(cache.entries) <= cache.limit for cache in memo._CACHES)
