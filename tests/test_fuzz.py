"""No input makes netdsl crash: random text, random token soup from the grammar's vocabulary, and
mutations of the valid specs all end in a result or diagnostics, never an exception — through the
Python API (`check_text`) and through every command of the CLI (check, summary, build, render to DOT).

NETDSL_FUZZ_EXAMPLES sets the number of examples per test (the normal run uses a few thousand in all);
NETDSL_FUZZ_REPORT=path.json writes what every input gave (docs/fidelity/fuzz.json is the long run's):

    NETDSL_FUZZ_EXAMPLES=10000 NETDSL_FUZZ_REPORT=docs/fidelity/fuzz.json pytest tests/test_fuzz.py
"""

import contextlib
import io
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from run_report import reporting

import netdsl
from netdsl.cli import main
from netdsl.diagnostics import render_human, render_short

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("NETDSL_FUZZ_EXAMPLES", "700"))
SPECS = [p.read_text() for p in sorted((ROOT / "specs").glob("*.net"))]
TOKEN = re.compile(r"\s+|#[^\n]*|[A-Za-z_]\w*|\d+\.?\d*(?:[eE][-+]?\d+)?|'[^']*'|\"[^\"]*\"|->|//|\*\*|[=!<>]=|\.\.\.|.")
VOCABULARY = ["network", "block", "input", "output", "import", "from", "->", "(", ")", "[", "]", "{", "}",
              ",", ":", "=", "+", "-", "*", "/", "//", "%", "x", "y", "N", "H", "conv2d", "linear", "relu",
              "maxpool2d", "flatten", "reshape", "softmax", "dim", "kernel", "padding", "stride", "0", "1",
              "3", "-1", "2.5", "'same'", "true", "None", "\n", "#c\n", "A", "int", "float",
              "if", "else", "for", "in", "and", "or", "not", "==", "!=", "<", ">=", "**", "tuple", "range", "..."]
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
OUTCOMES: dict[str, Counter] = defaultdict(Counter)   # test → outcome → inputs


def must_not_crash(text: str, test: str) -> None:
    analysis = netdsl.check_text(text, "fuzz.net")
    for diagnostic in analysis.diagnostics.sorted():  # rendering must not crash either
        render_human(diagnostic)
        render_short(diagnostic)
    if analysis.ok:
        assert all(network.output_shape is not None for network in analysis.networks)
    OUTCOMES[test]["inputs"] += 1
    OUTCOMES[test]["checks" if analysis.ok else "diagnostics"] += 1


@fuzz
@given(st.text(max_size=200))
def test_random_text(text):
    must_not_crash(text, "random text")


@fuzz
@given(st.lists(st.sampled_from(VOCABULARY), max_size=60))
def test_token_soup(tokens):
    must_not_crash(" ".join(tokens), "token soup")


def tokens_of(spec: str) -> list[str]:
    return TOKEN.findall(spec)


@st.composite
def mutated_specs(draw):
    tokens = tokens_of(draw(st.sampled_from(SPECS)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(tokens) - 1))
        operation = draw(st.sampled_from(["delete", "duplicate", "swap", "number", "vocabulary"]))
        if operation == "delete":
            del tokens[i]
        elif operation == "duplicate":
            tokens.insert(i, tokens[i])
        elif operation == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif operation == "number":
            numbers = [k for k, t in enumerate(tokens) if t[0].isdigit()]
            if numbers:
                k = draw(st.sampled_from(numbers))
                tokens[k] = draw(st.sampled_from(["0", "-1", "-7", "99999999999999999999", "2.5", "1e9", "1"]))
        else:
            tokens.insert(i, draw(st.sampled_from(VOCABULARY)))
        if not tokens:
            break
    return "".join(tokens)


@fuzz
@given(mutated_specs())
def test_mutated_specs(text):
    must_not_crash(text, "mutated specs")


# ---------------------------------------------------------------- every command, through the CLI

COMMANDS = ("check", "summary", "build", "render")


def run_command(argv: list[str]) -> tuple[int, str, str]:
    """`netdsl ARGV` in-process, with its own captured streams (hypothesis reuses the test's fixtures)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def every_command_survives(text: str, directory: Path) -> None:
    """check, summary, build and render (to DOT) each end with exit 0, 1 or 2 and no traceback; a
    successful build is Python that compiles (it is never executed here)."""
    spec = directory / "fuzz.net"
    spec.write_text(text, encoding="utf-8")
    OUTCOMES["every command"]["inputs"] += 1
    for command in COMMANDS:
        extra = ["-o", str(directory / "fuzz.dot")] if command == "render" else []
        code, out, err = run_command([command, str(spec), *extra])
        assert code in (0, 1, 2), f"`netdsl {command}` exited {code}:\n{err}"
        OUTCOMES["every command"][f"{command} exit {code}"] += 1
        assert "internal error" not in err and "Traceback" not in err, err
        if code == 2:  # a usage problem, such as render without -n on a file of several networks
            assert err.strip().splitlines()[-1].startswith("netdsl: error: "), err
        if command == "build" and code == 0:
            compile(out, "<generated>", "exec")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# Found by the long run (a mutated specs/unet.net): a block input whose shape names an undefined size is
# left out of the block, and `render` crashed drawing a later call's edges (IndexError).
UNDEFINED_SIZE_IN_BLOCK_INPUT = """block Up(out: int) {
    input x: [N, C, HH, W], skip: [N, S, 2 * H, 2 * W]
    output concat(x, skip, dim=1)
}

network T() {
    input x: [1, 8, 4, 4]
    a = Up(x, x, 4)
    output Up(a, x, 4)
}
"""


@fuzz
@given(st.one_of(st.text(max_size=120), st.lists(st.sampled_from(VOCABULARY), max_size=60).map(" ".join),
                 mutated_specs()))
@example(text=UNDEFINED_SIZE_IN_BLOCK_INPUT)
def test_every_command_survives(workdir, text):
    every_command_survives(text, workdir)


def _fuzz_report() -> dict:
    return {"command": f"NETDSL_FUZZ_EXAMPLES={EXAMPLES} pytest tests/test_fuzz.py", "examples_per_test": EXAMPLES,
            "seed": "derandomized (hypothesis derandomize=True: the same inputs every run)",
            "inputs": sum(counts["inputs"] for counts in OUTCOMES.values()),
            "command_runs": sum(n for key, n in OUTCOMES["every command"].items() if " exit " in key),
            "per_test": {test: dict(sorted(counts.items())) for test, counts in sorted(OUTCOMES.items())}}


_report = reporting("NETDSL_FUZZ_REPORT", "fuzz", _fuzz_report)
