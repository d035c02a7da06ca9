import os
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


def layer_arguments(capsys) -> dict[str, set[str]]:
    """Every registered kind → its argument names, as `netdsl layers` lists them (a kind's line starts
    with its name, then its arguments; the next line, indented, is its description)."""
    code, out, _ = run_cli(capsys, "layers")
    assert code == 0
    lines = [line.split(None, 1) for line in out.splitlines() if line and not line[0].isspace()]
    return {parts[0]: set(parts[1].split(", ")) if len(parts) > 1 else set() for parts in lines}


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `netdsl ARGV` in-process; return (exit code, stdout, stderr)."""
    from netdsl.cli import main
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


os.environ.setdefault("NO_COLOR", "1")
