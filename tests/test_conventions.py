"""The habits ruff, mypy and pytest taught: --version, directories, `-` for standard input and output,
every file checked whatever happens to one, the worst exit status, NO_COLOR/FORCE_COLOR, outputs
beside their input, a browsable layer reference, stable JSON, the umask, and shell completion."""

import json
import os
import shutil
import stat
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest
from conftest import ROOT, netdsl

import netdsl as package

LENET = (ROOT / "specs" / "lenet.net").read_text()
BROKEN = "specs/errors/lenet_in_features.net"


def test_version_has_one_source():
    result = netdsl("--version")
    assert result.returncode == 0 and result.stdout == f"netdsl {package.__version__}\n"
    assert version("netdsl") == package.__version__


def test_a_directory_is_searched_for_specs(tmp_path):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.net").write_text(LENET)
    (tmp_path / "nested" / "deeper" / "b.net").write_text(LENET.replace("LeNet", "Other"))
    (tmp_path / "nested" / "notes.txt").write_text("not a spec")
    (tmp_path / ".hidden" / "broken.net").write_text("network {")
    result = netdsl("check", str(tmp_path), "--format", "json")
    assert result.returncode == 0
    paths = [f["path"] for f in json.loads(result.stdout)["files"]]
    assert paths == [str(tmp_path / "a.net"), str(tmp_path / "nested" / "deeper" / "b.net")]


def test_standard_input_is_read_for_dash(tmp_path):
    checked = netdsl("check", "-", "--format", "short", input=LENET)
    assert checked.returncode == 0 and checked.stdout == "ok: 1 network, 61,706 parameters\n"
    broken = netdsl("check", "-", "--format", "short", input=(ROOT / BROKEN).read_text())
    assert broken.returncode == 1 and broken.stdout.startswith("<stdin>:8:22: error[E0301]")
    summary = netdsl("summary", "-", input=LENET)
    assert summary.returncode == 0 and "Parameters:         61,706" in summary.stdout
    # Imports are relative to the current directory.
    (tmp_path / "blocks.net").write_text("block Twice() {\n input x\n output x -> relu -> relu\n}\n")
    imported = netdsl("check", "-", cwd=tmp_path, input='from "blocks.net" import Twice\n'
                      "network M() { input x: [N, 4]  x -> Twice -> linear(2) -> output }\n")
    assert imported.returncode == 0 and "W0105" in imported.stderr


def test_dash_output_writes_standard_output(tmp_path):
    source = netdsl("build", "-", "-o", "-", input=LENET)
    assert source.returncode == 0 and "class LeNet(nn.Module):" in source.stdout
    assert source.stdout == netdsl("build", "specs/lenet.net").stdout.replace("specs/lenet.net", "<stdin>")
    dot = netdsl("render", "specs/lenet.net", "-o", "-", "--format", "dot")
    assert dot.returncode == 0 and dot.stdout.startswith("digraph LeNet {")
    svg = netdsl("render", "-", "-o", "-", input=LENET.encode(), text=False)
    assert svg.returncode == 0 and b"<svg" in svg.stdout
    nowhere = netdsl("render", "-", input=LENET)
    assert nowhere.returncode == 2 and "give -o FILE, or -o - to write to standard output" in nowhere.stderr


def test_render_without_output_writes_beside_the_spec(tmp_path):
    spec = tmp_path / "lenet.net"
    spec.write_text(LENET)
    drawn = netdsl("render", str(spec))
    assert drawn.returncode == 0 and drawn.stderr == f"netdsl: wrote {tmp_path / 'lenet.svg'}\n"
    assert (tmp_path / "lenet.svg").read_text().lstrip().startswith("<?xml")
    assert netdsl("render", str(spec), "--format", "dot").returncode == 0
    assert (tmp_path / "lenet.dot").read_text().startswith("digraph LeNet {")


def test_every_file_is_checked_and_the_exit_status_is_the_worst(tmp_path):
    missing = str(tmp_path / "missing.net")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = netdsl("check", missing, "specs/lenet.net", BROKEN, str(empty), "--format", "short")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"netdsl: error: {missing}: no such file",
                                          f"netdsl: error: {empty}: a directory with no .net files",
                                          "error: 1 error in 2 files; 2 files could not be read"]
    assert result.stdout.startswith(f"{BROKEN}:8:22: error[E0301]")
    assert netdsl("check", "specs/lenet.net", BROKEN).returncode == 1
    only_unreadable = netdsl("check", "specs/lenet.net", missing)
    assert only_unreadable.returncode == 2 and only_unreadable.stdout == "ok: 1 network, 61,706 parameters\n"


@pytest.mark.parametrize("env, flag, coloured", [
    ({}, [], False),                                        # not a terminal
    ({"FORCE_COLOR": "1"}, [], True),
    ({"FORCE_COLOR": ""}, [], False),                       # set but empty: not set (no-color.org)
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
    ({"NO_COLOR": "1"}, ["--color", "always"], True),       # an explicit flag wins
    ({"FORCE_COLOR": "1"}, ["--color", "never"], False),
    ({"FORCE_COLOR": "1"}, ["--color", "auto"], True),
])
def test_colour(env, flag, coloured):
    result = netdsl("check", BROKEN, *flag, env={"NO_COLOR": None, "FORCE_COLOR": None, **env})
    assert ("\x1b[" in result.stderr) is coloured


def test_layers_reference():
    result = netdsl("layers", "conv2d", "maxpool2d")
    assert result.returncode == 0
    conv, pool = result.stdout.split("\n\n")
    assert conv.startswith("conv2d — torch.nn.Conv2d")
    lines = {line.split()[0]: line for line in conv.splitlines()[1:]}
    assert lines["out_channels"].endswith("required")
    assert lines["kernel_size"].endswith("required  (alias: kernel)")
    assert lines["padding"].endswith("= 0") and "'same' | 'valid'" in lines["padding"]
    assert lines["padding_mode"].endswith("= 'zeros'") and lines["bias"].endswith("= true")
    assert pool.startswith("maxpool2d")
    assert "outputs" not in netdsl("layers", "chunk").stdout   # filled in by unpacking, never written
    unknown = netdsl("layers", "conv2", "relu")
    assert unknown.returncode == 2 and "no layer kind `conv2`; did you mean `conv2d`?" in unknown.stderr
    everything = netdsl("layers", "--format", "json")
    document = json.loads(everything.stdout)
    kinds = {k["name"]: k for k in document["layers"]}
    assert document["version"] == 1 and len(kinds) >= 60
    kernel = next(a for a in kinds["conv2d"]["arguments"] if a["name"] == "kernel_size")
    assert kernel == {"name": "kernel_size", "type": "int > 0 | (int > 0, int > 0)", "required": True,
                      "default": None, "aliases": ["kernel"]}
    assert kinds["conv2d"]["positional"][:2] == ["out_channels", "kernel_size"]


def test_summary_json_has_one_shape_whatever_the_number_of_networks(tmp_path):
    two = tmp_path / "two.net"
    two.write_text(LENET + LENET.replace("LeNet", "Wide").replace("linear(120)", "linear(240)"))
    one = json.loads(netdsl("summary", "specs/lenet.net", "--format", "json").stdout)
    both = json.loads(netdsl("summary", str(two), "--format", "json").stdout)
    assert one.keys() == both.keys() == {"version", "file", "networks"} and one["version"] == 1
    assert [n["network"] for n in both["networks"]] == ["LeNet", "Wide"]
    assert one["networks"][0].keys() == both["networks"][1].keys()


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_build_output_respects_the_umask(tmp_path, umask, mode):
    target = tmp_path / "model.py"
    code = f"import os, sys; os.umask({umask}); from netdsl.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([os.sys.executable, "-c", code, "build", "specs/lenet.net", "-o", str(target)],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(target.stat().st_mode) == mode


def test_build_output_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o640)
    assert netdsl("build", "specs/lenet.net", "-o", str(target)).returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and "class LeNet" in target.read_text()


# ---------------------------------------------------------------- shell completion

def completion_script(shell: str, directory: Path) -> Path:
    result = netdsl("completion", shell)
    assert result.returncode == 0
    path = directory / {"bash": "netdsl.bash", "zsh": "_netdsl", "fish": "netdsl.fish"}[shell]
    path.write_text(result.stdout)
    return path


def candidates_bash(script: Path, line: str) -> list[str]:
    words = line.split(" ")
    program = (f"source {script}; COMP_WORDS=({' '.join(repr(w) for w in words)}); "
               f"COMP_CWORD={len(words) - 1}; _netdsl 2>/dev/null; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
    result = subprocess.run(["bash", "-c", program], cwd=ROOT, capture_output=True, text=True, check=True)
    return sorted(set(result.stdout.split()))


def candidates_fish(script: Path, line: str) -> list[str]:
    result = subprocess.run(["fish", "-c", f"source {script}; complete -C {line!r}"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    return sorted({entry.split("\t")[0] for entry in result.stdout.splitlines()})


def candidates_zsh(script: Path, line: str) -> list[str]:
    capture = ROOT / "tests" / "zsh_complete.zsh"
    result = subprocess.run(["zsh", str(capture), str(script.parent), line], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    return sorted(set(result.stdout.split()))


COMPLETE = {"bash": candidates_bash, "zsh": candidates_zsh, "fish": candidates_fish}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion(shell, tmp_path):
    assert shutil.which(shell), f"{shell} is needed (apt-get install {shell}; .ci/run installs it)"
    script = completion_script(shell, tmp_path)
    complete = COMPLETE[shell]
    assert {"check", "render", "build", "summary", "diff", "layers", "completion"} <= set(complete(script, "netdsl "))
    assert complete(script, "netdsl su") == ["summary"]
    assert complete(script, "netdsl check --for") == ["--format"]
    assert complete(script, "netdsl check --format ") == ["github", "human", "json", "sarif", "short"]
    assert complete(script, "netdsl render --rankdir ") == ["LR", "TB"]
    assert complete(script, "netdsl completion ") == ["bash", "fish", "zsh"]
    specs = complete(script, "netdsl check specs/le")
    assert specs in (["specs/lenet.net"], ["lenet.net"])   # zsh lists the file's name within its directory
