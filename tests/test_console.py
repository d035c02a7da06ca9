"""The `netdsl` command's start-up: a command line that starts with a command's name is parsed by that
command's parser alone, and everything else — help, a mistyped or missing command — by the whole parser,
with argparse's usual output; the command freezes its start-up objects for the garbage collector, and
importing netdsl leaves a library user's collector as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from netdsl.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def netdsl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "netdsl", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)


def test_help_lists_every_command():
    listed = [line.split()[0] for line in netdsl("--help").stdout.split("COMMAND\n", 1)[1].splitlines()
              if line.startswith("    ") and not line.startswith("      ")]
    assert listed == list(COMMANDS) and len(listed) == 11


def test_a_mistyped_or_missing_command_is_a_usage_error_naming_them_all():
    mistyped, missing = netdsl("chekc", "specs/lenet.net"), netdsl()
    assert mistyped.returncode == missing.returncode == 2
    assert "invalid choice: 'chekc' (choose from " + ", ".join(f"'{c}'" for c in COMMANDS) + ")" in mistyped.stderr
    assert "the following arguments are required: COMMAND" in missing.stderr


def test_a_command_parses_its_own_options():
    assert netdsl("check", "--help").stdout.startswith("usage: netdsl check [-h] [--shapes]")
    assert netdsl("-h", "check").stdout == netdsl("--help").stdout
    bad = netdsl("check", "specs/lenet.net", "--no-such-option")
    assert bad.returncode == 2 and "netdsl: error: unrecognized arguments: --no-such-option" in bad.stderr
    assert netdsl("check", "specs/lenet.net").returncode == 0


def test_importing_netdsl_leaves_the_garbage_collector_alone():
    code = ("import gc, netdsl, netdsl.cli\n"
            "assert netdsl.check_text('network M() {\\n    input x: [N, 4]\\n    output x -> linear(2)\\n}\\n').ok\n"
            "print(gc.isenabled(), gc.get_freeze_count())")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.split() == ["True", "0"]
