import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite golden files from the current output (review the diff before committing)")


@pytest.fixture(autouse=True)
def _repo_root_and_plain_output(monkeypatch):
    """Goldens hold paths relative to the repository root and no colour."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def golden(request):
    """golden(path, text): compare text with the file, or rewrite it under --update-goldens."""
    update = request.config.getoption("--update-goldens")

    def compare(path: Path, text: str) -> None:
        if update:
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"missing golden {path}; run pytest --update-goldens and review it"
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"
    return compare


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `netdsl ARGV` in-process; return (exit code, stdout, stderr)."""
    from netdsl.cli import main
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def netdsl(*args: str, env: dict | None = None, cwd: Path = ROOT, input: str | bytes | None = None,
           text: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m netdsl ARGS` as a user would; env entries set to None are removed."""
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "netdsl", *args], capture_output=True, text=text, cwd=cwd,
                          input=input, env={k: v for k, v in environment.items() if v is not None}, check=False)


os.environ.setdefault("NO_COLOR", "1")
