"""`netdsl diff`: what changed between two versions of a spec, per layer and block, with the totals'
deltas — on a pair of specs with known changes (tests/diff/old.net → new.net), through a subprocess."""

import json
import subprocess

import pytest
from conftest import ROOT, netdsl

OLD, NEW = "tests/diff/old.net", "tests/diff/new.net"


def diff_json(*args: str, **kwargs) -> dict:
    result = netdsl("diff", *args, "--format", "json", **kwargs)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def name(change: dict) -> str:
    old, new = change["old"], change["new"]
    if old and new and old["path"] != new["path"]:
        return f"{old['path']} -> {new['path']}"
    return (old or new)["path"]


def test_every_known_change_is_reported():
    document = diff_json(OLD, NEW)
    assert document["version"] == 1 and document["changed"] is True
    (network,) = document["networks"]
    rows = {name(layer): layer for layer in network["layers"]}
    assert list(rows) == ["stage1", "stage1.bn1", "stage1.relu1", "stage2", "stage2.conv1", "stage2.bn1",
                          "stage2.relu1", "pool2", "flatten1", "fc1", "relu1", "head -> classifier"]
    status = {path: row["status"] for path, row in rows.items()}
    assert status["stage1.bn1"] == status["stage2.bn1"] == "added"
    assert status["fc1"] == status["relu1"] == "removed"
    # A changed argument, with its consequences for the shape, parameters and MACs.
    conv = rows["stage2.conv1"]
    assert conv["changed_arguments"] == {"out_channels": {"old": "32", "new": "64"}}
    assert (conv["old"]["output_shape"], conv["new"]["output_shape"]) == ("[N, 32, 16, 16]", "[N, 64, 16, 16]")
    assert (conv["old"]["params"], conv["new"]["params"]) == (32 * 16 * 9 + 32, 64 * 16 * 9 + 64)
    assert rows["stage2"]["changed_arguments"] == {"out": {"old": "32", "new": "64"}}
    # A renamed layer is a rename (here also wider: it now reads the flattened features).
    head = rows["head -> classifier"]
    assert head["status"] == "changed" and head["old"]["kind"] == head["new"]["kind"] == "linear"
    assert head["new"]["inputs"] == ["flatten1"] and head["old"]["inputs"] == ["relu1"]
    # The unchanged layers are not listed.
    assert "pool1" not in rows and "stage1.conv1" not in rows
    # Totals: the static counts of the two networks.
    assert network["old"]["params"] == diff_json(OLD, OLD)["networks"][0]["old"]["params"] == 136_874
    assert network["new"]["params"] == 50_858 and network["new"]["buffers"] == 162
    assert network["old"]["output_shape"] == network["new"]["output_shape"] == "[N, 10]"


def test_human_output():
    result = netdsl("diff", OLD, NEW)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[:3] == [f"--- {OLD}", f"+++ {NEW}", "network Net"]
    # MACs are formulas in the batch N
    assert "    + stage1.bn1  batchnorm2d(16): output [N, 16, 32, 32]; params 32; MACs 16384*N" in lines
    assert "  - fc1  linear(2048→64): output [N, 64]; params 131,136; MACs 131072*N" in lines
    assert any(line.startswith("  ~ head → classifier  linear(4096→10): inputs (relu1) → (flatten1); "
                               "params 650 → 40,970 (+40,320, ") for line in lines)
    assert lines[-1] == ("  totals: parameters 136,874 → 50,858 (-86,016, -62.8%); MACs 1778304*N → 2908160*N "
                         "(+1129856*N, +63.5%); buffers 0 → 162 (+162); output [N, 10]")


def test_markdown_for_a_pull_request_comment():
    result = netdsl("diff", OLD, NEW, "--format", "markdown")
    lines = result.stdout.splitlines()
    assert lines[0] == f"### netdsl diff: `{OLD}` → `{NEW}`"
    assert lines[2].startswith("**Net**: parameters 136,874 → 50,858 (-86,016, -62.8%)")
    assert "| | layer | kind | change |" in lines
    table = [line for line in lines if line.startswith("| ")][1:]
    assert all(line.count(" | ") == 3 for line in table)   # no cell breaks the table
    assert "| > renamed |" not in result.stdout and "| ~ changed | `head` → `classifier` | linear(4096→10) |" in \
        result.stdout


def test_an_inserted_layer_renumbers_names_without_changing_the_others(tmp_path):
    old, new = tmp_path / "old.net", tmp_path / "new.net"
    old.write_text("network M() { input x: [N, 3, 8, 8]\n"
                   " x -> conv2d(6, 3) -> relu -> conv2d(16, 3) -> output }\n")
    new.write_text("network M() { input x: [N, 3, 8, 8]\n"
                   " x -> conv2d(3, 1) -> conv2d(6, 3) -> relu -> conv2d(16, 3) -> output }\n")
    layers = diff_json(str(old), str(new))["networks"][0]["layers"]
    summary = [(c["status"], c["old"] and c["old"]["path"], c["new"] and c["new"]["path"]) for c in layers]
    assert summary == [("added", None, "conv1"), ("changed", "conv1", "conv2"), ("renamed", "conv2", "conv3")]
    assert layers[1]["changed_arguments"] == {}    # conv2 only reads from the new layer
    human = netdsl("diff", str(old), str(new)).stdout
    assert "  > conv2 → conv3  conv2d(6→16, 3×3): renamed\n" in human


def test_a_changed_initialiser_is_a_changed_argument(tmp_path):
    old, new = tmp_path / "old.net", tmp_path / "new.net"
    net = "network M() {{\n    input x: [N, 4]\n    param b: [4] {init}\n    output x + b\n}}\n"
    old.write_text(net.format(init="= zeros"))
    new.write_text(net.format(init="= normal(0, 0.02)"))
    (change,) = [c for c in diff_json(str(old), str(new))["networks"][0]["layers"] if c["status"] != "unchanged"]
    assert change["new"]["path"] == "b" and change["changed_arguments"] == {
        "init": {"old": "zeros", "new": "normal"}, "std": {"old": None, "new": "0.02"}}


def test_networks_added_removed_and_renamed(tmp_path):
    old, new = tmp_path / "old.net", tmp_path / "new.net"
    net = "network {name}() {{ input x: [N, 4]  x -> linear({width}) -> output }}\n"
    old.write_text(net.format(name="A", width=2) + net.format(name="Gone", width=2))
    new.write_text(net.format(name="A", width=3) + net.format(name="Fresh", width=2) + net.format(name="B", width=2))
    statuses = {(n["old_name"], n["new_name"]): n["status"] for n in diff_json(str(old), str(new))["networks"]}
    assert statuses == {("A", "A"): "changed", ("Gone", None): "removed", (None, "Fresh"): "added",
                        (None, "B"): "added"}
    new.write_text(net.format(name="A", width=2) + net.format(name="Kept", width=2))
    statuses = {(n["old_name"], n["new_name"]): n["status"] for n in diff_json(str(old), str(new))["networks"]}
    assert statuses == {("A", "A"): "unchanged", ("Gone", "Kept"): "changed"}   # one each side: a rename


def test_identical_specs_and_exit_code():
    same = netdsl("diff", OLD, OLD)
    assert same.returncode == 0 and same.stdout.endswith("no differences\n")
    assert netdsl("diff", OLD, OLD, "--exit-code").returncode == 0
    assert netdsl("diff", OLD, NEW, "--exit-code").returncode == 1


def test_a_spec_with_errors_is_not_compared():
    result = netdsl("diff", OLD, "specs/errors/lenet_in_features.net")
    assert result.returncode == 1 and result.stdout == ""
    assert "error[E0301]" in result.stderr and "error: cannot compare specs with errors" in result.stderr


def test_usage():
    assert netdsl("diff", OLD).returncode == 2
    assert "give two files (OLD NEW), or one file and --rev REV" in netdsl("diff", OLD).stderr
    assert netdsl("diff", OLD, NEW, "--rev", "HEAD").returncode == 2


def git(*args: str, cwd) -> None:
    subprocess.run(["git", "-c", "user.name=netdsl", "-c", "user.email=netdsl@example.com", *args], cwd=cwd,
                   check=True, capture_output=True)


@pytest.fixture
def repository(tmp_path):
    """A git repository whose spec imports a block from beside it; both change after the first commit."""
    specs = tmp_path / "specs"
    specs.mkdir()
    git("init", "-q", cwd=tmp_path)
    (specs / "blocks.net").write_text("block Head() {\n input x\n output x -> linear(10)\n}\n")
    (specs / "model.net").write_text((ROOT / OLD).read_text().replace(
        "head: linear(classes)", "Head").replace("# tests", 'from "blocks.net" import Head\n# tests'))
    git("add", ".", cwd=tmp_path)
    git("commit", "-qm", "first", cwd=tmp_path)
    (specs / "blocks.net").write_text("block Head() {\n input x\n output x -> dropout(0.5) -> linear(10)\n}\n")
    (specs / "model.net").write_text((specs / "model.net").read_text().replace("linear(64)", "linear(128)"))
    return tmp_path


def test_a_file_against_a_git_revision(repository):
    document = diff_json("specs/model.net", "--rev", "HEAD", cwd=repository)
    assert document["old"] == "specs/model.net@HEAD" and document["new"] == "specs/model.net"
    changes = {(c["new"] or c["old"])["path"]: c for c in document["networks"][0]["layers"]}
    assert changes["fc1"]["changed_arguments"] == {"out_features": {"old": "64", "new": "128"}}
    # The imported block is read as it was at the revision too.
    assert changes["head1.drop1"]["status"] == "added"
    inside = diff_json("model.net", "--rev", "HEAD", cwd=repository / "specs")
    assert inside["networks"] == document["networks"]


def test_revision_errors_are_usage_errors(repository, tmp_path_factory):
    missing = netdsl("diff", "specs/model.net", "--rev", "no-such-revision", cwd=repository)
    assert missing.returncode == 2 and "no-such-revision" in missing.stderr and "Traceback" not in missing.stderr
    (repository / "specs" / "new.net").write_text("network A() { input x: [N, 4]  x -> output }\n")
    absent = netdsl("diff", "specs/new.net", "--rev", "HEAD", cwd=repository)
    assert absent.returncode == 2 and "specs/new.net does not exist at revision HEAD" in absent.stderr
    outside = tmp_path_factory.mktemp("plain")
    (outside / "a.net").write_text("network A() { input x: [N, 4]  x -> output }\n")
    no_git = netdsl("diff", "a.net", "--rev", "HEAD", cwd=outside)
    assert no_git.returncode == 2 and "not a git repository" in no_git.stderr
