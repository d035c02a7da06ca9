"""Silencing warnings without changing a spec's structure: --select/--ignore by code or prefix, inline
`# netdsl: ignore[CODE]` comments (and W0901 for those that suppress nothing), and [tool.netdsl] in
pyproject.toml, found by walking up from the spec, with command-line flags winning over it."""

import shutil
from pathlib import Path

import pytest
from conftest import ROOT, netdsl

# A feature extractor that deliberately ends in an activation (W0104), with `relu -> relu` (W0105).
FEATURES = """network Features() {
    input x: [N, 16]
    x -> linear(32) -> relu -> relu -> linear(8) -> relu -> output
}
"""


@pytest.fixture
def features(tmp_path) -> Path:
    spec = tmp_path / "features.net"
    spec.write_text(FEATURES)
    return spec


def codes(result) -> list[str]:
    import re
    return re.findall(r"(?:warning|error)\[([EW]\d{4})\]", result.stderr + result.stdout)


def test_without_control_both_warnings(features):
    assert codes(netdsl("check", str(features))) == ["W0105", "W0104"]


@pytest.mark.parametrize("flags, shown", [
    (["--ignore", "W0104"], ["W0105"]),
    (["--ignore", "W01"], []),                      # a prefix
    (["--ignore", "w0104,W0105"], []),              # comma-separated, any case
    (["--ignore", "W0104", "--ignore", "W0105"], []),
    (["--select", "W0104"], ["W0104"]),
    (["--select", "E"], []),                        # errors only
    (["--select", "W01", "--ignore", "W0105"], ["W0104"]),
])
def test_select_and_ignore(features, flags, shown):
    result = netdsl("check", str(features), *flags)
    assert result.returncode == 0 and codes(result) == shown


def test_errors_are_always_reported_and_cannot_be_ignored():
    broken = "specs/errors/lenet_in_features.net"
    assert codes(netdsl("check", broken, "--select", "W")) == ["E0301"]
    refused = netdsl("check", broken, "--ignore", "E0301")
    assert refused.returncode == 2
    assert refused.stderr == "netdsl: error: --ignore: E0301 would ignore errors; only warnings can be ignored\n"
    bad = netdsl("check", broken, "--select", "unused")
    assert bad.returncode == 2 and "'UNUSED' is not a diagnostic code or prefix" in bad.stderr


def test_ignored_warnings_do_not_become_errors_with_W_error(features):
    assert netdsl("check", str(features), "-W", "error", "--ignore", "W01").returncode == 0
    assert netdsl("check", str(features), "-W", "error", "--ignore", "W0104").returncode == 1


# ---------------------------------------------------------------- suppression comments

def test_a_comment_suppresses_the_warning_on_its_line(tmp_path):
    spec = tmp_path / "features.net"
    spec.write_text(FEATURES.replace("-> relu -> output", "-> relu -> output  # netdsl: ignore[W0104]"))
    assert codes(netdsl("check", str(spec))) == ["W0105"]
    spec.write_text(FEATURES.replace("-> relu -> output", "-> relu -> output  # netdsl: ignore[W0105, W0104]"))
    assert codes(netdsl("check", str(spec))) == []


def test_a_comment_that_suppresses_nothing_is_reported(tmp_path):
    spec = tmp_path / "stale.net"
    spec.write_text("network A() {\n    input x: [N, 4]\n    x -> linear(2)  # netdsl: ignore[W0104]\n"
                    "      -> output\n}\n")
    result = netdsl("check", str(spec))
    assert result.returncode == 0
    assert result.stderr.startswith(f"warning[W0901]: unused suppression: line 3 has no `W0104` warning\n"
                                    f"  --> {spec}:3:38\n")
    assert codes(netdsl("check", str(spec), "--ignore", "W0901")) == []


def test_a_bare_comment_names_no_codes(tmp_path):
    spec = tmp_path / "bare.net"
    spec.write_text(FEATURES.replace("-> relu -> output", "-> relu -> output  # netdsl: ignore"))
    result = netdsl("check", str(spec))
    assert codes(result) == ["W0105", "W0104", "W0901"]
    assert "`# netdsl: ignore` needs the codes it suppresses" in result.stderr


def test_errors_cannot_be_suppressed(tmp_path):
    spec = tmp_path / "broken.net"
    spec.write_text("network A() {\n input x: [N, 4]\n x -> linear(2, in_features=5)  # netdsl: ignore[E0301]\n"
                    " -> output\n}\n")
    assert codes(netdsl("check", str(spec))) == ["E0301"]


def test_text_in_a_string_is_not_a_comment(tmp_path):
    spec = tmp_path / "string.net"
    spec.write_text("network A(s: str = '# netdsl: ignore[W0104]') {\n input x: [N, 4]\n"
                    " x -> linear(2) -> relu -> output\n}\n")
    assert codes(netdsl("check", str(spec))) == ["W0104"]
    spec.write_text("network A(s: str = 'x') {  # netdsl: ignore[W0104]\n input x: [N, 4]\n"
                    " x -> linear(2) -> relu -> output\n}\n")
    assert codes(netdsl("check", str(spec))) == ["W0901", "W0104"]   # a comment, but on another line


def test_the_fix_removes_only_the_unused_codes():
    from netdsl import check_text
    from netdsl.selection import Selection, apply, checked_spans
    text = FEATURES.replace("-> relu -> output", "-> relu -> output  # netdsl: ignore[W0104, W0106]")
    analysis = check_text(text, "spec.net")
    (unused,) = [d for d in apply(analysis.diagnostics.sorted(), analysis.source, Selection(),
                                  checked_spans(analysis.networks)) if d.code == "W0901"]
    (edit,) = unused.fixes[0].edits
    fixed = text[:edit.span.start] + edit.replacement + text[edit.span.end:]
    assert "output  # netdsl: ignore[W0104]\n" in fixed


def test_unused_suppressions_are_not_guessed_when_a_network_is_chosen(tmp_path):
    """With -n, warnings of the other networks were not looked for: their comments are not 'unused'."""
    spec = tmp_path / "two.net"
    spec.write_text(FEATURES + FEATURES.replace("Features", "Other").replace(
        "-> relu -> output", "-> relu -> output  # netdsl: ignore[W0104]"))
    assert "W0901" not in codes(netdsl("check", str(spec), "-n", "Features"))


# ---------------------------------------------------------------- [tool.netdsl] in pyproject.toml

@pytest.fixture
def project(tmp_path, features) -> Path:
    """tmp_path/pyproject.toml configures the specs in tmp_path/specs/..."""
    (tmp_path / "specs" / "extractors").mkdir(parents=True)
    shutil.move(features, tmp_path / "specs" / "extractors" / "features.net")
    return tmp_path


def configure(project: Path, table: str) -> None:
    (project / "pyproject.toml").write_text(f"[project]\nname = 'example'\n\n[tool.netdsl]\n{table}\n")


def test_pyproject_is_found_by_walking_up_from_the_spec(project):
    configure(project, 'ignore = ["W0104"]')
    spec = str(project / "specs" / "extractors" / "features.net")
    assert codes(netdsl("check", spec)) == ["W0105"]               # run from the netdsl checkout
    assert codes(netdsl("check", "specs/extractors/features.net", cwd=project)) == ["W0105"]
    assert codes(netdsl("check", spec, "--isolated")) == ["W0105", "W0104"]


def test_a_pyproject_without_the_table_is_passed_over(project):
    configure(project, 'ignore = ["W0104"]')
    (project / "specs" / "pyproject.toml").write_text("[project]\nname = 'inner'\n")
    assert codes(netdsl("check", str(project / "specs" / "extractors" / "features.net"))) == ["W0105"]


def test_flags_win_over_the_file(project):
    configure(project, 'select = ["W0104"]\nignore = ["W0105"]')
    spec = str(project / "specs" / "extractors" / "features.net")
    assert codes(netdsl("check", spec)) == ["W0104"]
    assert codes(netdsl("check", spec, "--select", "W")) == ["W0104"]      # the file's ignore still applies
    assert codes(netdsl("check", spec, "--select", "W", "--ignore", "W0104")) == ["W0105"]


def test_per_file_ignores_match_globs_relative_to_the_file(project):
    configure(project, '[tool.netdsl.per-file-ignores]\n"specs/extractors/*.net" = ["W0104"]\n'
                       '"specs/other/*.net" = ["W0105"]')
    assert codes(netdsl("check", str(project / "specs"))) == ["W0105"]


def test_plugins_and_outside_imports_from_the_file(project):
    shutil.copytree(ROOT / "examples" / "plugin" / "netdsl_example_plugin", project / "netdsl_example_plugin")
    (project / "lib.net").write_text("block Centered() {\n input x\n output x -> center\n}\n")
    spec = project / "specs" / "model.net"
    spec.write_text('from "../lib.net" import Centered\n'
                    "network M() {\n input x: [N, 4]\n x -> Centered -> dense(2) -> output\n}\n")
    assert netdsl("check", str(spec)).returncode == 1   # the import leaves the spec's directory, no plugin
    configure(project, 'plugins = ["netdsl_example_plugin"]\nallow-outside-imports = true')
    result = netdsl("check", str(spec))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: 1 network, 10 parameters\n"


def test_colour_from_the_file_yields_to_the_environment_and_flags(project):
    configure(project, 'color = "always"')
    broken = project / "specs" / "broken.net"
    broken.write_text("network A() { input x: [N, 4]  x -> linear(2, in_features=5) -> output }\n")
    plain = {"NO_COLOR": None, "FORCE_COLOR": None}
    assert "\x1b[" in netdsl("check", str(broken), env=plain).stderr
    assert "\x1b[" not in netdsl("check", str(broken), env={"NO_COLOR": "1"}).stderr
    assert "\x1b[" not in netdsl("check", str(broken), "--color", "never", env=plain).stderr


@pytest.mark.parametrize("table, message", [
    ('selct = ["W01"]', "unknown key `selct` (did you mean `select`?)"),
    ('ignore = "W0104"', "`ignore` must be a list of strings"),
    ('color = "sometimes"', '`color` must be "auto", "always" or "never"'),
    ('ignore = ["E03"]', "ignore: E03 would ignore errors"),
    ("ignore = [", "not valid TOML"),
])
def test_an_invalid_configuration_is_a_usage_error_naming_the_file(project, table, message):
    configure(project, table)
    result = netdsl("check", str(project / "specs" / "extractors" / "features.net"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1
    assert str(project / "pyproject.toml") in result.stderr and message in result.stderr
