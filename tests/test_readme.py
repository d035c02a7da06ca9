"""The README's two commands are the ones that work: CI runs the test command verbatim. The
documentation's measured figures are those of the committed reports."""

import re

from conftest import ROOT
from documented_figures import pages


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


def test_the_documentation_quotes_the_committed_reports():
    """Every figure of the long runs and of the benchmark comes from its committed report (docs/)."""
    missing = {page: [f for f in figures if f not in (ROOT / page).read_text(encoding="utf-8")]
               for page, figures in pages().items()}
    assert {page: figures for page, figures in missing.items() if figures} == {}
