"""Regression tests for issue #11's classes (spec text that executes is tests/test_injection.py; the
accept-then-crash property is tests/test_build_run.py): each case here was a crash, a hang, a wrong
result or a leak, and must stay a located diagnostic, a one-line I/O error (exit 2), or a correct result.
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from conftest import ROOT, run_cli

import netdsl
import netdsl.lower
from netdsl.diagnostics import render_human
from netdsl.layers.combine import MAX_PIECES


def codes(text: str, **params) -> list[str]:
    return [d.code for d in netdsl.check_text(text, "spec.net", **params).diagnostics.sorted()]


def network(body: str, inputs: str = "x: [N, 4]", params: str = "") -> str:
    return f"network A({params}) {{\n  input {inputs}\n  {body}\n}}\n"


def one_line_error(capsys, *argv: str) -> str:
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("netdsl: error: "), (code, err)
    return err


# ---------------------------------------------------------------- accepted specs build and run

def run_module(spec: str, *shapes, **params) -> torch.Tensor:
    return netdsl.build_module(spec, **params)(*(torch.randn(s) for s in shapes))


@pytest.mark.parametrize("spec, params", [
    ("block _3d() { input x\n output x -> relu }\n" + network("x -> _3d -> output"), {}),
    (network("output x * 1e999"), {}),
    (network("output x * s", params="s: float = 1.0"), {"s": math.inf}),
    (network("output x * s", params="s: float = 1.0"), {"s": math.nan}),
    ("block B(__x: int) { input x: [N, C]\n output x -> linear(__x) }\n" + network("a = x -> B(3)\n output a -> B(5)"), {}),
    ("block B(_: int) { input x: [N, C]\n output x -> linear(_) }\n" + network("a = x -> B(3)\n output a -> B(5)"), {}),
])
def test_specs_that_check_generate_python_that_builds_and_runs(spec, params):
    assert netdsl.check_text(spec, **params).ok
    assert run_module(spec, (2, 4), **params).shape[0] == 2


def test_concat_of_a_tensor_with_itself_adds_its_sizes():
    shape = netdsl.check_text(network("output concat(x, x, dim=0)", "x: [3, 4]")).network().output_shape
    assert shape == (6, 4)
    symbolic = netdsl.check_text(network("output concat(x, x, dim=0)")).network().output_shape
    assert symbolic[1] == 4 and symbolic[0] != 0
    assert run_module(network("output concat(x, x, dim=0) -> linear(3)"), (2, 4)).shape == (4, 3)


def test_names_nn_module_has_cannot_name_layers_or_tensors():
    for name in ("register_forward_hook", "set_submodule", "T_destination", "training"):
        assert codes(network(f"x -> {name}: relu -> output")) == ["E0204"]
        assert codes(network(f"{name} = x -> relu\n  output {name}")) == ["E0204"]


@pytest.mark.parametrize("layer", [
    "maxpool1d(9223372036854775806, padding=4611686018427387903, ceil_mode=true)",
    "maxpool1d(4611686018427387904, padding=2305843009213693952, ceil_mode=true)",
    "avgpool1d(2147483648, padding=1073741824)",
])
def test_pooling_windows_beyond_atens_ints_are_refused(layer):
    assert codes(network(f"x -> {layer} -> output", "x: [N, 1, 4]")) == ["E0425"]
    assert codes(network("x -> maxpool2d(2147483648, padding=1) -> output", "x: [N, 1, 4, 4]")) == ["E0425"]


def test_max_pool1d_output_lengths_beyond_32_bits_are_refused():
    assert codes(network("x -> maxpool1d(3) -> output", "x: [N, 8589934597]")) == ["E0425"]
    spec = network("x -> maxpool1d(3) -> output", "x: [N, 6442450941]")
    assert netdsl.check_text(spec).network().output_shape[1] == 2**31 - 1
    assert torch.nn.MaxPool1d(3)(torch.empty(2, 6442450941, device="meta")).shape == (2, 2**31 - 1)


def test_a_window_torch_computes_is_accepted():
    spec = network("x -> avgpool1d(1073741824, padding=536870911, ceil_mode=true) -> output", "x: [N, 1, 4]")
    static = netdsl.check_text(spec).network().output_shape[1:]
    pool = torch.nn.AvgPool1d(1073741824, padding=536870911, ceil_mode=True)
    assert tuple(pool(torch.empty(2, 1, 4, device="meta")).shape[1:]) == static
    assert codes(network("x -> conv1d(1, 2, dilation=2147483647, padding=5) -> output", "x: [N, 1, 4]")) == ["E0425"]


@pytest.mark.parametrize("layer", ["elu(alpha=1e300)", "leaky_relu(negative_slope=-1e39)", "elu(alpha=1e999)"])
def test_scalars_torch_converts_to_float32_must_fit_it(layer):
    assert codes(network(f"x -> {layer} -> output")) == ["E0314"]
    assert codes(network("x -> elu(alpha=3.4e38) -> output")) == []


def test_batchnorm_without_running_statistics_over_one_value_is_refused_in_every_mode():
    spec = "x -> batchnorm1d(track_running_stats=false) -> output"
    assert codes(network(spec, "x: [1, 4]")) == ["E0308"]
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        torch.nn.BatchNorm1d(4, track_running_stats=False).eval()(torch.zeros(1, 4))
    assert codes(network("x -> batchnorm1d -> output", "x: [1, 4]")) == []  # eval mode runs on running stats
    assert codes(network(spec, "x: [N, 4]")) == []


@pytest.mark.parametrize("spec", [
    network("x -> lstm(8, num_layers=1001) -> output", "x: [10, N, 4]"),
    network("x -> gru(8, batch_first=true) -> output", "x: [N, 2147483648, 4]"),
    network("x -> rnn(8, num_layers=3, bidirectional=true) -> output", "x: [10923, N, 4]"),
])
def test_recurrent_layers_torch_cannot_run_in_reasonable_time_are_refused(spec):
    assert codes(spec) == ["E0425"]


def test_local_response_norm_sizes_torch_cannot_pad_or_pool_are_refused():
    # found by the build-and-run long run: torch pads the channels by size - 1 (negative padding or a storage
    # overflow at 2**62), and pools over them with a 32-bit kernel
    assert codes(network("x -> unsqueeze(2) -> local_response_norm(9223372036854775807) -> output")) == ["E0314"]
    assert codes(network("x -> unsqueeze(2) -> local_response_norm(2147483647) -> output", "x: [N, 4]")) == []
    assert codes(network("x -> local_response_norm(2147483647) -> output", "x: [2, 4, 2**30, 2**30]")) == ["E0425"]


def test_tensors_and_weights_beyond_int64_bytes_are_refused():
    assert codes(network("x -> relu -> output", "x: [1152921504606846976]")) == ["E0425"]
    assert codes(network("x -> linear(1152921504606846976) -> output", "x: [N, 2]")) == ["E0425"]
    assert codes(network("x -> linear(8) -> output", "x: [1152921504606846975]")) == ["E0425"]  # the output
    assert codes(network("x -> relu -> output", "x: [1152921504606846975]")) == []


def test_overflowing_size_arithmetic_is_refused():
    assert codes(network("x -> conv1d(1, 3, padding=4611686018427387904) -> output", "x: [N, 1, 8]")) == ["E0425"]
    assert codes(network("x -> chunk(9223372036854775807, dim=1, index=0) -> output", "x: [N, 7]")) == ["E0425"]


def test_view_is_emitted_as_reshape_so_strides_never_make_it_fail():
    spec = network("a, b = x -> chunk(2, dim=2)\n  output b -> view(N, 8)", "x: [N, 2, 8]")
    source = netdsl.generate_source(spec)
    assert ".reshape(" in source and ".view(" not in source
    assert run_module(spec, (3, 2, 8)).shape == (3, 8)


# ---------------------------------------------------------------- no internal errors

@pytest.mark.parametrize("op", ["chunk(2, index=0)", "split(1, index=0)", "unbind(index=0)", "select(0, 0)"])
def test_zero_dimensional_tensors_cannot_be_split_or_indexed(op):
    assert codes(network(f"x -> sum -> {op} -> output")) == ["E0404"]


def test_a_zero_dimensional_tensor_transposes_into_itself():
    assert netdsl.check_text(network("x -> sum -> transpose(0, -1) -> output")).network().output_shape == ()
    assert codes(network("output concat(x -> sum, x -> sum)")) == ["E0404"]


def test_pixel_shuffle_on_symbolic_channels_or_unbatched_input():
    assert codes(network("x -> pixel_shuffle(2) -> output", "x: [N, C, 4, 4]")) == []  # for C a multiple of 4
    assert netdsl.check_text(network("x -> pixel_shuffle(2) -> output", "x: [8, 3, 3]")).network().output_shape == \
        tuple(torch.nn.PixelShuffle(2)(torch.zeros(8, 3, 3)).shape)


def test_infinite_or_huge_scale_factors_are_refused():
    assert codes(network("x -> upsample(scale_factor=1e999) -> output", "x: [N, 1, 4]")) == ["E0314"]
    assert codes(network("x -> upsample(scale_factor=1e300) -> output", "x: [N, 1, 4]")) == ["E0425"]


def test_summary_of_huge_sizes_and_batches(capsys, tmp_path):
    spec = tmp_path / "huge.net"
    spec.write_text(network("x -> linear(2) -> output", "x: [N, 1099511627776]"))
    code, out, err = run_cli(capsys, "summary", str(spec), "--batch", "9223372036854775807")
    assert (code, err) == (0, "") and "Input memory:" in out
    with pytest.raises(SystemExit) as usage:  # argparse: the usage line and the error
        run_cli(capsys, "summary", str(spec), "--batch", "9" * 400)
    assert usage.value.code == 2 and "expected a positive 64-bit integer" in capsys.readouterr().err
    code, out, _ = run_cli(capsys, "summary", str(spec), "--format", "json", "--batch", "9223372036854775807")
    assert code == 0 and json.loads(out)["networks"][0]["totals"]["input_bytes"] == 9223372036854775807 * 2**40 * 4


def test_json_never_holds_infinity_or_nan_literals(capsys, tmp_path):
    spec = tmp_path / "inf.net"
    spec.write_text("network A(s: float = 1.0) {\n  input x: [N, 4]\n  x -> elu(alpha=s) -> output\n}\n")

    def strict(text: str):
        return json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} is not JSON"))
    code, out, _ = run_cli(capsys, "check", str(spec), "--format", "json", "-p", "s=-inf")
    assert code == 1  # elu's alpha must be finite, but the parameter is still reported
    assert strict(out)["files"][0]["diagnostics"][0]["code"] == "E0314"
    spec.write_text("network A(s: float = 1.0) {\n  input x: [N, 4]\n  output x * s\n}\n")
    code, out, _ = run_cli(capsys, "check", str(spec), "--format", "json", "-p", "s=inf")
    network_json = strict(out)["files"][0]["networks"][0]
    assert code == 0 and network_json["parameters"]["s"] == "Infinity"
    assert network_json["layers"][0]["arguments"]["scalar"] == "Infinity"
    code, out, _ = run_cli(capsys, "summary", str(spec), "--format", "json", "-p", "s=nan")
    assert code == 0 and strict(out)["networks"][0]["parameters"]["s"] == "NaN"


@pytest.mark.parametrize("plugin", ["", ".relative", "no such module"])
def test_a_plugin_that_cannot_be_imported_is_a_usage_error(plugin, capsys):
    assert "cannot import it" in one_line_error(capsys, "check", "specs/lenet.net", "--plugin", plugin)


def test_build_output_that_cannot_be_written_is_an_io_error(capsys, tmp_path, monkeypatch):
    assert "no such directory" in one_line_error(capsys, "build", "specs/lenet.net", "-o", str(tmp_path / "no" / "a.py"))
    assert "is a directory" in one_line_error(capsys, "build", "specs/lenet.net", "-o", str(tmp_path))
    import netdsl.output

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))
    monkeypatch.setattr(netdsl.output.tempfile, "mkstemp", read_only)
    for command in ("build", "render"):
        target = str(tmp_path / ("a.py" if command == "build" else "a.dot"))
        assert "Read-only file system" in one_line_error(capsys, command, "specs/lenet.net", "-o", target)


# ---------------------------------------------------------------- nothing hangs or explodes

def check_in_a_process(path: Path, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`netdsl check`, bounded: a hang fails the test (the bound is far above any honest run)."""
    return subprocess.run([sys.executable, "-m", "netdsl", "check", str(path), *argv], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env={**os.environ, "NO_COLOR": "1"}, check=False)


def test_splitting_a_huge_dim_into_small_pieces_is_refused_without_listing_them():
    message = netdsl.check_text(network("x -> split(1, index=0) -> output", "x: [576460752303423488]"))
    assert [d.code for d in message.diagnostics.items] == ["E0412"]
    assert f"more than the {MAX_PIECES:,}" in message.diagnostics.items[0].message
    assert codes(network("x -> unbind(index=0) -> output", "x: [9223372036854775807]")) == ["E0425"]
    assert codes(network("x -> chunk(9223372036854775807, index=0) -> output", "x: [0]")) == ["E0321"]


def test_block_calls_count_towards_the_work_limit(monkeypatch):
    # At the real limit (1,000,000 block calls) each case costs about 16 s of CPU; the count is the same.
    monkeypatch.setattr(netdsl.lower, "MAX_WORK", 20_000)
    empty = "block Id() { input x\n output x }\n" + network("x -> (Id() * 10000) * 10000 -> output")
    nested = "".join(f"block B{i}() {{ input x\n output x -> B{i + 1} -> B{i + 1} }}\n" for i in range(24))
    nested += "block B24() { input x\n output x }\n" + network("x -> B0 -> output")
    for text in (empty, nested):
        assert codes(text) == ["E0319"]


def test_a_repeated_mistake_is_reported_once():
    analysis = netdsl.check_text(network("x -> ((linear(-1) -> relu) * 10000) * 10000 -> output"))
    assert [d.code for d in analysis.diagnostics.items] == ["E0314"]


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_only_regular_files_of_bounded_size_are_read(kind, tmp_path, capsys):
    path = {"fifo": tmp_path / "spec.net", "device": Path("/dev/zero"), "huge": tmp_path / "big.net"}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    if kind == "huge":
        with open(path, "wb") as stream:
            stream.truncate(17 * 2**20)  # sparse: no disk used
    result = check_in_a_process(path, timeout=60)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert ("larger than 16 MiB" if kind == "huge" else "not a regular file") in result.stderr
    if kind != "device":
        importer = tmp_path / "importer.net"
        importer.write_text(f'import "{path.name}"\n' + network("x -> relu -> output"))
        result = check_in_a_process(importer, timeout=60)
        assert result.returncode == 1 and "error[E0218]: cannot import" in result.stderr


def test_max_params_counts_buffers():
    spec = network("x -> batchnorm1d -> output")  # 8 parameters, 9 buffers
    with pytest.raises(netdsl.NetdslError, match="17 parameters and buffers"):
        netdsl.build_module(spec, max_params=16)
    assert netdsl.build_module(spec, max_params=17) is not None


# ---------------------------------------------------------------- imports through the API

def test_api_imports_follow_the_directory_rule_of_a_base_directory(tmp_path):
    (tmp_path / "lib.net").write_text("block Stem() { input x\n output x -> relu }\n")
    (tmp_path / "inner").mkdir()
    spec = 'from "lib.net" import Stem\n' + network("x -> Stem -> output")
    outside = 'from "../lib.net" import Stem\n' + network("x -> Stem -> output")
    assert netdsl.check_text(spec, base_dir=tmp_path).ok
    assert netdsl.check_text(spec).diagnostics.items[0].code == "E0218"  # the current directory has no lib.net
    assert [d.code for d in netdsl.check_text(outside, base_dir=tmp_path / "inner").diagnostics.items] == ["E0210"]
    assert "class Stem" in netdsl.generate_source(spec, base_dir=tmp_path)
    assert "stem1" in netdsl.diagram(spec, base_dir=tmp_path).source
    assert netdsl.build_module(spec, base_dir=tmp_path)(torch.randn(2, 4)).shape == (2, 4)
    with pytest.raises(netdsl.NetdslError, match="E0210"):
        netdsl.build_module(outside, base_dir=tmp_path / "inner")


def test_a_file_that_is_not_a_spec_is_never_shown(tmp_path):
    (tmp_path / "secret.txt").write_text("root:x:0:0:TOPSECRET:/root:/bin/bash\n")
    (tmp_path / "secret.net").symlink_to(tmp_path / "secret.txt")
    for name in ("secret.txt", "secret.net"):
        analysis = netdsl.check_text(f'import "{name}"\n' + network("x -> relu -> output"), base_dir=tmp_path)
        shown = "".join(render_human(d) for d in analysis.diagnostics.sorted())
        assert "error[E0218]" in shown and "TOPSECRET" not in shown
    outside = netdsl.check_text('import "/etc/passwd"\n' + network("x -> relu -> output"), base_dir=tmp_path)
    assert "root:" not in "".join(render_human(d) for d in outside.diagnostics.sorted())


# ---------------------------------------------------------------- output files

def test_output_onto_the_spec_or_its_imports_is_refused(tmp_path, capsys):
    spec, lib = tmp_path / "lenet.net", tmp_path / "lib.net"
    lib.write_text("block Stem() { input x\n output x -> relu }\n")
    spec.write_text('import "lib.net"\n' + (ROOT / "specs" / "lenet.net").read_text())
    (tmp_path / "link.py").symlink_to(spec)
    for target in (spec, tmp_path / "link.py", lib):
        assert "is the spec" in one_line_error(capsys, "build", str(spec), "-o", str(target))
        assert "is the spec" in one_line_error(capsys, "render", str(spec), "-o", str(target), "--format", "dot")
    assert spec.read_text().endswith((ROOT / "specs" / "lenet.net").read_text()) and "Stem" in lib.read_text()


def test_written_files_get_the_umask_mode_or_keep_the_replaced_files(tmp_path, capsys):
    old = os.umask(0o027)
    try:
        assert run_cli(capsys, "build", "specs/lenet.net", "-o", str(tmp_path / "new.py"))[0] == 0
        assert stat.S_IMODE((tmp_path / "new.py").stat().st_mode) == 0o640
        kept = tmp_path / "kept.py"
        kept.write_text("old")
        kept.chmod(0o604)
        assert run_cli(capsys, "render", "specs/lenet.net", "-o", str(kept), "--format", "dot")[0] == 0
        assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text().startswith("digraph")
    finally:
        os.umask(old)


def test_output_through_a_symlink_replaces_its_target(tmp_path, capsys):
    target, link = tmp_path / "target.py", tmp_path / "link.py"
    target.write_text("old")
    link.symlink_to(target)
    assert run_cli(capsys, "build", "specs/lenet.net", "-o", str(link))[0] == 0
    assert link.is_symlink() and target.read_text().startswith("# Generated by netdsl")


def test_output_into_a_fifo_or_a_device_is_written_directly(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    code = run_cli(capsys, "build", "specs/lenet.net", "-o", str(fifo))[0]
    reader.join(timeout=60)
    assert code == 0 and received[0].startswith("# Generated by netdsl") and stat.S_ISFIFO(fifo.stat().st_mode)
    assert run_cli(capsys, "build", "specs/lenet.net", "-o", os.devnull)[0] == 0


# ---------------------------------------------------------------- what the terminal shows

def test_carets_count_display_columns_after_wide_characters():
    text = network("x -> linear(4, bias='名前🎉') -> output")
    (diagnostic,) = netdsl.check_text(text).diagnostics.sorted()
    line, carets = render_human(diagnostic).splitlines()[3:5]
    assert carets.index("^") == line.index("bias")  # only ASCII before it
    assert carets.count("^") == len("bias=''") + 2 * 3  # 名, 前 and 🎉 take two columns each
    combining = network("x -> linear(4, bias='e\u0301') -> output").replace("  x", "\tx")
    (diagnostic,) = netdsl.check_text(combining).diagnostics.sorted()
    line, carets = render_human(diagnostic).splitlines()[3:5]
    assert "\t" not in line and line.index("x ->") % 4 == (line.index("|") + 2) % 4  # a tab stop of 4
    assert carets.count("^") == len("bias='e'")  # the combining accent takes no column


def test_escape_sequences_in_a_spec_are_shown_escaped():
    text = network("x -> linear(4, bias='\x1b[2J\x1b[31m') -> output")
    shown = "".join(render_human(d) for d in netdsl.check_text(text).diagnostics.sorted())
    assert "\x1b" not in shown and "\\x1b[2J" in shown


def test_carriage_return_line_ends_number_lines_like_newlines():
    text = "network A() {\r  input x: [N, 4]\r  # a comment\r  x -> linear(4, in_features=5) -> output\r}\r"
    (diagnostic,) = netdsl.check_text(text).diagnostics.sorted()
    assert diagnostic.span.line_col == (4, 18)
    assert " 4 |   x -> linear(4, in_features=5) -> output" in render_human(diagnostic)


def test_the_int64_minimum_can_be_written():
    analysis = netdsl.check_text(network("output x", params="n: int = -9223372036854775807 - 1"))
    assert analysis.ok and analysis.network().graph.params["n"] == -(2**63)
    assert netdsl.check_text(network("output x", params="n: int = 0"), n=-(2**63)).ok
    assert codes(network("output x", params="n: int = -9223372036854775807 - 2")) == ["E0326"]


def test_negative_zero_keeps_its_sign_into_the_generated_module():
    # found by the agreement test: torch's softplus(beta=-0.0) is -inf where beta=0.0 gives +inf
    import torch
    text = network("output softplus(x, beta=-0.0)", "x: [2, 3]")
    assert "nn.Softplus(beta=-0.0)" in netdsl.generate_source(text)
    x = torch.randn(2, 3)
    assert torch.equal(netdsl.build_module(text)(x), torch.nn.functional.softplus(x, beta=-0.0))


# ---------------------------------------------------------------- found by the build-and-run property test

def test_a_size_list_given_as_one_keyword_value_is_an_argument_error():
    for layer in ("expand(sizes=3)", "reshape(shape=3)", "permute(dims=1)"):
        assert codes(network(f"x -> {layer} -> output", "x: [2, 1]")) == ["E0314"]
    assert codes(network("output ones(size=3) + x", "x: [3]")) == ["E0314"]


def test_float_arguments_of_functional_kinds_are_python_literals():
    for layer in ("std(correction=1e999)", "var(correction=-1e999)", "std(correction=1.5)"):
        source = netdsl.generate_source(network(f"x -> {layer} -> output", "x: [2, 3]"))
        compile(source, "generated", "exec")
    source = netdsl.generate_source(network("x -> interpolate(scale_factor=2.5, mode='linear') -> output", "x: [1, 2, 4]"))
    assert 'F.interpolate(x, scale_factor=2.5, mode="linear")' in source


def test_a_broadcast_between_sizes_that_differ_by_a_number_has_accepted_sizes():
    analysis = netdsl.check_text(network("t = x -> zeropad1d((4, 2))\n  output t * x", "x: [N, 4, S]"))
    assert analysis.ok and [a.symbol for a in analysis.accepted["A"].answers] == ["S"]


def test_none_is_not_an_operand_of_tensor_arithmetic():
    for expression in ("x + None", "None + x", "None * x"):
        assert codes(network(f"output {expression}")) == ["E0317"]
    assert netdsl.check_text(network("output -x")).ok
