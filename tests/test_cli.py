"""The `netdsl` command as users run it: a subprocess, its exit codes and its output."""

import json
import subprocess
import sys

import jsonschema
import pytest
from conftest import ROOT, netdsl

VALID = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "specs").glob("*.net"))


def test_all_example_specs_check():
    result = netdsl("check", *VALID)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].startswith("ok: ")


def test_broken_specs_exit_1_with_diagnostics():
    result = netdsl("check", "specs/lenet.net", "specs/errors/lenet_in_features.net")
    assert result.returncode == 1
    assert "error[E0301]: `linear` expects 400 input features, but receives 576" in result.stderr
    assert "--> specs/errors/lenet_in_features.net:8:22" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"\xff\xfe\x00network", "binary"),
    (b"network A() { \xe9 }", "not valid UTF-8"),
    (b"  \n\t\n", "is empty"),
])
def test_io_problems_exit_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "spec.net"
    if content is not None:
        path.write_bytes(content)
    result = netdsl("check", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_a_directory_without_specs_is_a_usage_error(tmp_path):
    (tmp_path / "notes.txt").write_text("not a spec")
    result = netdsl("check", str(tmp_path))
    assert result.returncode == 2 and "a directory with no .net files" in result.stderr


def test_usage_error_exits_2():
    assert netdsl("check").returncode == 2
    assert netdsl("frobnicate").returncode == 2


def test_shapes_lists_every_layer_with_shape_and_parameters():
    result = netdsl("check", "specs/lenet.net", "--shapes")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "LeNet  (input x: [N, 1, 32, 32])"
    conv1 = next(line for line in lines if line.strip().startswith("conv1 "))
    assert "conv2d(1→6, 5×5)" in conv1 and "[N, 6, 28, 28]" in conv1 and conv1.endswith("156")
    assert lines[-1] == "ok: 1 network, 61,706 parameters"


def test_parameter_override_changes_the_network():
    result = netdsl("check", "specs/lenet.net", "--shapes", "-p", "classes=100")
    assert "linear(84→100)" in result.stdout


def test_unknown_parameter_override_is_an_error_with_a_suggestion():
    result = netdsl("check", "specs/lenet.net", "-p", "clases=3")
    assert result.returncode == 1
    assert "no network in `specs/lenet.net` has a parameter `clases`" in result.stderr
    assert "did you mean `classes`?" in result.stderr


def test_override_of_the_wrong_type_is_an_error():
    result = netdsl("check", "specs/lenet.net", "-p", "classes=ten")
    assert result.returncode == 1 and "parameter `classes` is int, but gets 'ten'" in result.stderr


def test_network_selection(tmp_path):
    spec = tmp_path / "two.net"
    spec.write_text("network A() { input x: [N, 4]  x -> linear(2) -> output }\n"
                    "network B() { input x: [N, 4]  x -> linear(3) -> output }\n")
    assert "linear(4→3)" in netdsl("check", str(spec), "-n", "B", "--shapes").stdout
    assert "linear(4→2)" not in netdsl("check", str(spec), "-n", "B", "--shapes").stdout
    missing = netdsl("check", str(spec), "-n", "C")
    assert missing.returncode == 1 and "has no network `C`" in missing.stderr


def test_json_output_follows_the_documented_schema():
    schema = json.loads((ROOT / "docs" / "check-schema.json").read_text())
    result = netdsl("check", "specs/lenet.net", "specs/errors/lenet_in_features.net", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema)
    lenet, broken = report["files"]
    network = lenet["networks"][0]
    assert network["total_params"] == 61_706 and network["output_shape"] == ["N", 10]
    assert network["layers"][0] == {"path": "conv1", "name": "conv1", "depth": 0, "kind": "conv2d",
                                    "arguments": network["layers"][0]["arguments"], "output_shape": ["N", 6, 28, 28],
                                    "params": 156, "buffers": 0, "macs": "117600*N"}
    assert network["layers"][0]["arguments"]["out_channels"] == 6
    diagnostic = broken["diagnostics"][0]
    assert diagnostic["code"] == "E0301" and diagnostic["span"]["line"] == 8 and diagnostic["span"]["column"] == 22


def test_committed_schema_matches_the_models():
    from netdsl.report import CheckReport
    assert json.loads((ROOT / "docs" / "check-schema.json").read_text()) == CheckReport.model_json_schema()


def test_short_format_is_one_line_per_diagnostic():
    result = netdsl("check", "specs/errors/lenet_in_features.net", "--format", "short")
    assert result.stdout.splitlines()[0] == ("specs/errors/lenet_in_features.net:8:22: error[E0301]: `linear` expects "
                                             "400 input features, but receives 576 (input [N, 576])")


def test_colour_on_a_terminal_or_when_asked():
    broken = "specs/errors/lenet_in_features.net"
    plain = {"NO_COLOR": None, "FORCE_COLOR": None}
    assert "\x1b[" not in netdsl("check", broken, env=plain).stderr  # not a terminal
    assert "\x1b[" in netdsl("check", broken, "--color", "always", env=plain).stderr


def test_warnings_as_errors(tmp_path):
    spec = tmp_path / "unused.net"
    spec.write_text("network A() {\n input x: [N, 4]\n h = x -> relu\n x -> linear(2) -> output\n}\n")
    assert netdsl("check", str(spec)).returncode == 0
    strict = netdsl("check", str(spec), "-W", "error")
    assert strict.returncode == 1 and "error[W0101]: tensor `h` is never used" in strict.stderr


def test_check_never_imports_torch():
    code = ("import sys, netdsl.cli as cli\n"
            "cli.main(['check', 'specs/alexnet.net', '--shapes', '--format', 'json'])\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
