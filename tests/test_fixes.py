"""Machine-applicable fixes: each certain fix is attached where the mistake is reported, applying it
gives a spec that checks, and `netdsl check --fix` applies them, re-checks and says what it changed."""

import pytest
from conftest import ROOT, run_cli

import netdsl
from netdsl.fixes import apply_edits

NET = "network M() {{ input x: [N, 1, 8, 8]\n    {body}\n}}\n"


def fixes_of(text: str) -> list[tuple[str, str, str]]:
    """(code, fix message, the text after applying that fix) for every fix offered."""
    analysis = netdsl.check_text(text, "spec.net")
    return [(d.code, f.message, apply_edits(text, list(f.edits)))
            for d in analysis.diagnostics.sorted() for f in d.fixes]


@pytest.mark.parametrize("body, code, message, fixed", [
    ("x -> flatten -> linear(10, in_features=60) -> output", "E0301", "drop in_features (it is inferred)",
     "x -> flatten -> linear(10) -> output"),
    ("x -> flatten -> linear(10, in_features=60) -> output", "E0301", "use in_features=64",
     "x -> flatten -> linear(10, in_features=64) -> output"),
    ("x -> conv2d(4, 3, in_channels=3, padding=1) -> output", "E0301", "drop in_channels (it is inferred)",
     "x -> conv2d(4, 3, padding=1) -> output"),
    ("x -> conv2d(4, 3) -> batchnorm2d(num_features=5) -> output", "E0301",
     "drop num_features (it is inferred)", "x -> conv2d(4, 3) -> batchnorm2d() -> output"),
    ("x -> conv2d(4, 3) -> rleu -> output", "E0202", "replace `rleu` with `relu`",
     "x -> conv2d(4, 3) -> relu -> output"),
    ("x -> conv2d(4, kernal=3) -> output", "E0310", "replace `kernal` with `kernel`",
     "x -> conv2d(4, kernel=3) -> output"),
    ("y = x -> relu\n    yy -> output", "E0201", "replace `yy` with `y`", "y = x -> relu\n    y -> output"),
    ("x -> conv2d(4, 3, bias=False) -> output", "E0119", "replace `False` with `false`",
     "x -> conv2d(4, 3, bias=false) -> output"),
    ("x -> conv2d(4, 3) relu -> output", "E0114", "insert `->` before `relu`",
     "x -> conv2d(4, 3) -> relu -> output"),
    ("y = x -> conv2d(4, 3)\n    relu -> output", "E0114", "insert `->` before `relu`",
     "y = x -> conv2d(4, 3)\n    -> relu -> output"),
    ("a, b = x -> chunk(2, dim=2)\n    a -> output", "W0101", "replace `b` with `_`",
     "a, _ = x -> chunk(2, dim=2)\n    a -> output"),
])
def test_a_fix_is_offered_and_its_result_checks(body, code, message, fixed):
    offered = {(c, m): after for c, m, after in fixes_of(NET.format(body=body))}
    assert (code, message) in offered, offered.keys()
    after = offered[(code, message)]
    assert after == NET.format(body=fixed)
    assert netdsl.check_text(after, "spec.net").ok


def test_fixes_that_uncover_the_next_mistake_are_applied_in_rounds(tmp_path, capsys):
    spec = tmp_path / "blocks.net"
    spec.write_text("block B(width: itn) { input x\n    output x -> linear(width) }\n"
                    "network M() { input x: [N, 4]\n    x -> B(widht=3) -> output }\n")
    code, out, err = run_cli(capsys, "check", "--fix", str(spec))
    assert code == 0, err
    # `itn` hides the parameter, so `widht` has nothing to be near until the first round fixes it
    assert [line.split("]: ")[1] for line in out.splitlines()[:2]] == [
        "replace `itn` with `int`", "replace `widht` with `width`"]
    assert spec.read_text() == ("block B(width: int) { input x\n    output x -> linear(width) }\n"
                                "network M() { input x: [N, 4]\n    x -> B(width=3) -> output }\n")


def test_inside_a_block_only_dropping_the_inferred_size_is_offered():
    text = ("block B() { input x\n    output x -> linear(2, in_features=3) }\n"
            "network M() { input x: [N, 4]\n    x -> B() -> output }\n")
    assert [m for _, m, _ in fixes_of(text)] == ["drop in_features (it is inferred)"]


def test_a_name_that_is_no_layer_gets_no_arrow_fix():
    assert fixes_of(NET.format(body="x -> conv2d(4, 3) zzzz -> output")) == []


def test_check_fix_applies_rechecks_and_reports(tmp_path, capsys):
    spec = tmp_path / "lenet.net"
    spec.write_text((ROOT / "specs/errors/lenet_in_features.net").read_text()
                    .replace("-> relu -> maxpool2d(2)\n      -> conv2d", "-> rleu -> maxpool2d(2)\n      -> conv2d", 1))
    code, out, err = run_cli(capsys, "check", "--fix", str(spec))
    assert code == 0, err
    assert f"fixed {spec}:8:22 [E0301]: drop in_features (it is inferred)" in out
    assert "[E0202]: replace `rleu` with `relu`" in out
    expected = (ROOT / "specs/errors/lenet_in_features.net").read_text().replace(
        "linear(120, in_features=400)", "linear(120)")
    assert spec.read_text() == expected
    params = netdsl.check_text(expected).network().params
    assert out.splitlines()[-1] == f"ok: 1 network, {params:,} parameters"


def test_check_fix_leaves_what_it_cannot_fix_and_fails(tmp_path, capsys):
    spec = tmp_path / "bad.net"
    text = NET.format(body="x -> conv2d(4, 30) -> output")
    spec.write_text(text)
    code, out, err = run_cli(capsys, "check", "--fix", str(spec))
    assert code == 1 and "fixed" not in out and "error[E0" in err
    assert spec.read_text() == text
