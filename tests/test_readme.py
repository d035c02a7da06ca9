"""The README's two commands are the ones that work: CI runs the test command verbatim."""

import re

from conftest import ROOT
from readme_figures import fragments, mutant_table


def shell_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", quick_start, re.DOTALL)


def test_readme_gives_exactly_two_commands():
    commands = shell_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    assert all("pip install torch==2.13.0" in c for c in commands)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert shell_commands()[1] in ci.splitlines()


def test_readme_quotes_the_committed_reports():
    """Every figure of the long runs and of the benchmark comes from its committed report (docs/)."""
    text = (ROOT / "README.md").read_text()
    assert [fragment for fragment in fragments() if fragment not in text] == []


def test_fidelity_doc_shows_the_last_mutation_run():
    assert mutant_table() in (ROOT / "docs" / "fidelity.md").read_text()
