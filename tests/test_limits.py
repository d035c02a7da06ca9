"""Limits: every absurd spec ends in a clear diagnostic, quickly — never a RecursionError, a hang or
unbounded memory — and realistic sizes work. Also the CLI's last line of defence for netdsl's own bugs."""

import time

import pytest
from conftest import run_cli

import netdsl
from netdsl.lower import MAX_BLOCK_DEPTH, MAX_LAYERS
from netdsl.parser import MAX_DEPTH


def codes(text: str) -> list[str]:
    return [d.code for d in netdsl.check_text(text, "limits.net").diagnostics.sorted()]


def network(body: str) -> str:
    return "network A() { input x: [N, 4]\n" + body + "\n}"


@pytest.mark.parametrize("terms, expected", [(100, []), (MAX_DEPTH + 1, ["E0104"]), (100_000, ["E0104"])])
def test_long_sums_parse_or_say_they_are_too_deep(terms, expected):
    assert codes(network("x -> linear(" + " + ".join(["1"] * terms) + ") -> output")) == expected
    assert codes(network("output " + " + ".join(["x"] * terms))) == expected


def test_deep_parentheses_and_negations():
    assert codes(network("x -> linear(" + "(" * 5000 + "4" + ")" * 5000 + ") -> output")) == []
    assert codes(network("x -> linear(" + "-" * 10_000 + "4) -> output")) == ["E0104"]


# These bounds guard against a hang or quadratic work (which would take hours), not for speed: they count
# this process's CPU time, which other work on the machine does not inflate. Speed is in benchmarks/.
def test_a_100000_layer_chain_checks_in_seconds():
    start = time.process_time()
    analysis = netdsl.check_text(network("x" + " -> relu" * 100_000 + " -> output"))
    assert analysis.ok and len(analysis.network().layers) == 100_000
    assert time.process_time() - start < 60


def test_repeats_that_multiply_past_the_layer_limit_stop_early():
    start = time.process_time()
    assert codes(network("x -> ((relu() * 10000) * 10000) * 10000 -> output")) == ["E0319"]
    assert time.process_time() - start < 60
    assert MAX_LAYERS >= 100_000


def test_huge_repeat_count_names_the_limit():
    analysis = netdsl.check_text(network("x -> relu() * 10000000 -> output"))
    assert [d.message for d in analysis.diagnostics.sorted()] == [
        "a repeat count must be an integer from 0 to 10,000, got 10000000"]


def test_deeply_nested_blocks():
    blocks = "".join(f"block B{i}() {{ input x\n output x -> B{i + 1} }}\n" for i in range(100))
    blocks += "block B100() { input x\n output x -> relu }\n"
    assert codes(blocks + network("x -> B0 -> output")) == ["E0213"]
    shallow = "".join(f"block B{i}() {{ input x\n output x -> B{i + 1} }}\n" for i in range(MAX_BLOCK_DEPTH - 1))
    shallow += f"block B{MAX_BLOCK_DEPTH - 1}() {{ input x\n output x -> relu }}\n"
    assert codes(shallow + network("x -> B0 -> output")) == []


@pytest.mark.parametrize("size", ["9" * 25, "9" * 5000])
def test_huge_integers_are_errors_not_crashes(size):
    assert codes(network(f"x -> linear({size}) -> output")) == ["E0105"]
    assert codes(network("x -> linear(" + " * ".join(["999999"] * 5) + ") -> output")) == ["E0326"]


def test_recurrent_stacks_deeper_than_torch_builds_are_refused():
    analysis = netdsl.check_text("network A() { input x: [10, N, 4]\n x -> lstm(8, num_layers=1000000000) -> output }")
    assert [d.code for d in analysis.diagnostics.sorted()] == ["E0425"]
    assert netdsl.check_text("network A() { input x: [10, N, 4]\n x -> lstm(8, num_layers=1000) -> output }").ok


def test_build_module_refuses_above_the_parameter_limit_without_allocating(monkeypatch):
    from netdsl import builder
    spec = network("x -> linear(1000000) -> linear(1000000) -> linear(3000) -> output")  # 10^12 parameters
    monkeypatch.setattr(builder, "exec_source", lambda *a: pytest.fail("the module was built"))
    with pytest.raises(netdsl.NetdslError, match=r"static count.*max_params=2,000,000,000"):
        netdsl.build_module(spec)


def test_imports_stay_inside_the_spec_directory(tmp_path, capsys):
    (tmp_path / "lib.net").write_text("block Stem() { input x\n output x -> relu }\n")
    (tmp_path / "inner").mkdir()
    spec = tmp_path / "inner" / "net.net"
    spec.write_text('from "../lib.net" import Stem\nnetwork A() { input x: [N, 4]\n x -> Stem -> output }\n')
    code, _, err = run_cli(capsys, "check", str(spec))
    assert code == 1 and "error[E0210]" in err and "leaves the directory of the spec" in err
    code, out, _ = run_cli(capsys, "check", str(spec), "--allow-outside-imports")
    assert code == 0 and out.startswith("ok: 1 network")


@pytest.mark.parametrize("command", ["check", "summary", "build", "render"])
def test_an_internal_bug_is_reported_as_such(command, capsys, monkeypatch, tmp_path):
    import netdsl.cli
    monkeypatch.setattr(netdsl.cli, "analyze", lambda *a, **k: 1 / 0)
    extra = ["-o", str(tmp_path / "a.dot")] if command == "render" else []
    code, _, err = run_cli(capsys, command, "specs/lenet.net", *extra)
    assert code == 3
    assert err.startswith("netdsl: internal error: ZeroDivisionError") and "please report it" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["check", "summary", "build", "render"])
@pytest.mark.parametrize("content, message", [
    (None, "no such file"), (b"", "is empty"), (b"\x00\x01", "binary"), (b"\xff network", "not valid UTF-8"),
    ("dir", "is a directory")])
def test_io_problems_are_one_line_for_every_command(command, content, message, capsys, tmp_path):
    path = tmp_path / "spec.net"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    extra = ["-o", str(tmp_path / "a.dot")] if command == "render" else []
    if content == "dir" and command == "check":  # check searches directories for specs
        message = "a directory with no .net files"
    code, _, err = run_cli(capsys, command, str(path), *extra)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
