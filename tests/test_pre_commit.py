"""The pre-commit hooks (.pre-commit-hooks.yaml) run by pre-commit itself, from this repository's path,
on a test git repository: pre-commit installs netdsl into its own environment and runs `netdsl check`
on the staged .net files."""

import os
import shutil
import subprocess
import sys

from conftest import ROOT


def run(*args: str, cwd, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False, env=env)


def test_the_check_hook_fails_on_a_broken_spec_and_passes_once_fixed(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    assert run("git", "init", "-q", cwd=project).returncode == 0
    shutil.copy(ROOT / "specs" / "lenet.net", project / "lenet.net")
    shutil.copy(ROOT / "specs" / "errors" / "lenet_in_features.net", project / "broken.net")
    (project / "notes.txt").write_text("not a spec: the hook leaves it alone\n")
    assert run("git", "add", ".", cwd=project).returncode == 0
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "NO_COLOR": "1"}
    env.pop("VIRTUAL_ENV", None)
    # try-repo runs the hooks of a repository given by path (or URL), including its uncommitted changes.
    hook = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "netdsl-check", "--color", "never"]

    failed = run(*hook, cwd=project, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "netdsl check" in failed.stdout and "Failed" in failed.stdout
    assert "--> broken.net:8:22" in failed.stdout and "error[E0301]" in failed.stdout

    (project / "broken.net").write_text((project / "broken.net").read_text().replace(", in_features=400", ""))
    assert run("git", "add", ".", cwd=project).returncode == 0
    passed = run(*hook, cwd=project, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "netdsl check" in passed.stdout and "Passed" in passed.stdout
