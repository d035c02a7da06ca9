"""`where` clauses: a network's says which input sizes it is meant for, and `netdsl check` proves the
network for every one of them or gives the smallest that breaks it (E0422), checked here against the
concrete checker on every size and against PyTorch at the counterexample; a block's is a requirement
on its caller's sizes; `where H == 224` fixes a size as `--input` does."""

from __future__ import annotations

import pytest
import torch
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_accepted_sizes import _concrete_ok, chains

import netdsl
from netdsl.source import SourceFile

SIZES = range(1, 257)


@st.composite
def clauses(draw):
    """A `where` clause on L: one to three conditions, with the Python predicate it means."""
    conditions = []
    for _ in range(draw(st.integers(1, 3))):
        form = draw(st.sampled_from(["mod", "min", "max", "not"]))
        if form == "mod":
            m = draw(st.integers(2, 8))
            r = draw(st.integers(0, m - 1))
            conditions.append((f"L % {m} == {r}", lambda x, m=m, r=r: x % m == r))
        elif form == "min":
            a = draw(st.integers(1, 40))
            conditions.append((f"L >= {a}", lambda x, a=a: x >= a))
        elif form == "max":
            a = draw(st.integers(20, 200))
            conditions.append((f"L < {a}", lambda x, a=a: x < a))
        else:
            a = draw(st.integers(1, 40))
            conditions.append((f"L != {a}", lambda x, a=a: x != a))
    return ", ".join(c for c, _ in conditions), lambda x: all(p(x) for _, p in conditions)


def _fails_in_torch(text: str, size: int) -> bool:
    model = netdsl.build_module(text)
    try:
        with torch.no_grad():
            model(torch.zeros(1, 4, size))
    except RuntimeError:
        return True
    return False


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(chain=chains(), clause=clauses())
def test_the_where_clause_is_proved_or_refuted_by_its_smallest_counterexample(chain, clause):
    written, allows = clause
    text = chain.replace("input x: [N, 4, L]", f"input x: [N, 4, L] where {written}")
    analysis = netdsl.check_text(text, "chain.net")
    allowed = [k for k in SIZES if allows(k)]
    codes = {d.code for d in analysis.diagnostics.items}
    source = SourceFile("chain.net", chain)
    if "E0421" in codes:   # contradictory: nothing is allowed (beyond the range tried, too)
        assert not allowed
        return
    if not analysis.ok and "E0422" not in codes:
        assert not any(_concrete_ok(source, "Chain", {"L": k}) for k in SIZES[:128]), "a definite error"
        return
    if "E0422" in codes:
        (part,) = [p for p in analysis.accepted["Chain"].declared if p.counterexample]
        size = part.counterexample["L"]
        assert allows(size), f"{size} does not satisfy `where {written}`"
        assert not _concrete_ok(source, "Chain", {"L": size})
        assert all(_concrete_ok(source, "Chain", {"L": k}) for k in allowed if k < size), "it is the smallest"
        assert _fails_in_torch(chain, size), f"PyTorch runs {text} at L = {size}"
        return
    assert all(_concrete_ok(source, "Chain", {"L": k}) for k in allowed), f"not proved for every allowed L:\n{text}"


UNET_LIKE = """
block Down(out: int) {
    input x: [N, C, H, W]
    x -> conv2d(out, 3, padding=1) -> relu -> maxpool2d(2) -> output
}

network Encoder() {
    input x: [N, 3, H, W] where H % CLAUSE == 0, W % 8 == 0
    s = x -> Down(16)
    b = s -> Down(32) -> Down(64) -> conv_transpose2d(32, 4, stride=4)
    output concat(b, s, dim=1)
}
"""


def test_a_clause_within_what_the_network_accepts_is_proved(capsys, tmp_path):
    spec = tmp_path / "encoder.net"
    spec.write_text(UNET_LIKE.replace("CLAUSE", "8"))
    code, out, err = run_cli(capsys, "check", str(spec))
    assert code == 0, err
    assert "  where H % 8 == 0, W % 8 == 0: proved for every such H and W" in out


def test_a_clause_wider_than_what_the_network_accepts_names_the_smallest_size_and_the_layer(capsys, tmp_path):
    spec = tmp_path / "encoder.net"
    spec.write_text(UNET_LIKE.replace("CLAUSE", "4"))
    code, _, err = run_cli(capsys, "check", str(spec))
    assert code == 1
    assert "error[E0422]: `Encoder` fails for H = 4, which its `where` clause allows" in err
    assert "note: `where H % 4 == 0` allows H = 4" in err
    assert "help: narrow the clause to what it accepts (H ≡ 0, 1 (mod 8) and ≥ 8)" in err
    model = netdsl.build_module(spec.read_text().replace("H % 4 == 0, ", ""))   # the same network, unclaimed
    with pytest.raises(RuntimeError):
        model(torch.zeros(1, 3, 4, 8))
    model(torch.zeros(1, 3, 8, 8))   # the smallest size the network accepts runs


def test_an_equality_fixes_the_size_as_input_does(tmp_path):
    spec = tmp_path / "fixed.net"
    spec.write_text("network Net() {\n    input x: [N, 3, H, W] where H == 32, W == H\n"
                    "    x -> conv2d(8, 3) -> flatten -> linear(10) -> output\n}\n")
    analysis = netdsl.check_file(spec)
    assert analysis.ok, analysis.diagnostics.items
    network = analysis.network()
    assert [str(d) for d in network.input_shapes["x"]] == ["N", "3", "32", "32"]
    model = netdsl.build_module(str(spec))
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert network.params == sum(p.numel() for p in model.parameters())
    mismatch = netdsl.check_file(spec, sizes={"H": 30})
    assert [d.code for d in mismatch.diagnostics.items] == ["E0421"]
    assert "does not hold for H = 30 (`--input`)" in mismatch.diagnostics.items[0].message


def test_input_sizes_check_a_network_whose_symbols_alone_fail(capsys, tmp_path):
    spec = tmp_path / "flat.net"   # `linear` after `flatten` needs H and W fixed: --input fixes them
    spec.write_text("network Net() {\n    input x: [N, 3, H, W]\n"
                    "    x -> conv2d(8, 3) -> maxpool2d(2) -> flatten -> linear(10) -> output\n}\n")
    assert [d.code for d in netdsl.check_file(spec).diagnostics.items] == ["E0405"]
    for h, w in ((32, 32), (33, 20)):
        code, out, err = run_cli(capsys, "check", str(spec), "--input", f"H={h},W={w}")
        assert (code, err) == (0, ""), err
        model = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                    torch.nn.LazyLinear(10))
        model(torch.zeros(1, 3, h, w))
        assert out == f"ok: 1 network, {sum(p.numel() for p in model.parameters()):,} parameters\n"
    code, out, err = run_cli(capsys, "check", str(spec), "--input", "H=3,W=8")   # the error at those sizes
    assert code == 1 and "error[E0406]" in err and "[N, 8, 1, 6]" in err


def test_a_block_clause_is_a_requirement_on_the_caller(tmp_path):
    spec = tmp_path / "halve.net"
    block = ("block Halve(out: int) {\n    input x: [N, C, H, W] where H % 2 == 0\n"
             "    x -> conv2d(out, 3, padding=1) -> maxpool2d(2) -> output\n}\n")
    spec.write_text(block + "network Net() {\n    input x: [N, 3, H, 8]\n    x -> Halve(8) -> Halve(8) -> output\n}\n")
    analysis = netdsl.check_file(spec)
    assert analysis.ok and analysis.accepted["Net"].answer("H").words() == "H a multiple of 4"
    spec.write_text(block + "network Net() {\n    input x: [N, 3, 6, 8]\n    x -> Halve(8) -> Halve(8) -> output\n}\n")
    (error,) = netdsl.check_file(spec).diagnostics.items
    assert error.code == "E0423" and error.message.endswith("but here H = 3")


def test_where_reads_on_the_next_line_and_formats_in_place(capsys, tmp_path):
    spec = tmp_path / "net.net"
    spec.write_text("network Net() {\n  input x: [N,3,H,W]\n  where H%16==0,W>=32\n  x -> relu -> output\n}\n")
    assert netdsl.check_file(spec).ok
    code, _, _ = run_cli(capsys, "fmt", str(spec))
    assert code == 0
    assert spec.read_text() == ("network Net() {\n    input x: [N, 3, H, W]\n        where H % 16 == 0, W >= 32\n"
                                "    x -> relu -> output\n}\n")
