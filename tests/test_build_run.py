"""Everything `check` accepts builds and runs in PyTorch with the static output shape and parameter count
(issue #11): specs drawn from the grammar and the registry (tests/spec_generator.py), each built and run
in a forked worker (tests/build_run.py), so that a segfault or a hang is a reported failure.

    pytest tests/test_build_run.py                                   # a few hundred specs
    NETDSL_BUILD_RUN_SPECS=20000 NETDSL_BUILD_RUN_JOBS=2 \\
        NETDSL_BUILD_RUN_REPORT=docs/build-run.json pytest tests/test_build_run.py   # the long run

The runner runs in a process of its own: torch in a pytest process that other tests used may hold
threads, which a fork does not survive.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = int(os.environ.get("NETDSL_BUILD_RUN_SPECS", "300"))
SEED = int(os.environ.get("NETDSL_BUILD_RUN_SEED", "0"))
JOBS = int(os.environ.get("NETDSL_BUILD_RUN_JOBS", "1"))


def run(tmp_path: Path, *args: str, env: dict | None = None, report: str | None = None) -> dict:
    path = report or str(tmp_path / "report.json")
    result = subprocess.run([sys.executable, str(ROOT / "tests" / "build_run.py"), *args, "--report", path],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
                            timeout=24 * 3600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(Path(path).read_text())


def test_every_spec_that_checks_builds_and_runs(tmp_path):
    report = run(tmp_path, "--specs", str(SPECS), "--seed", str(SEED), "--jobs", str(JOBS),
                 report=os.environ.get("NETDSL_BUILD_RUN_REPORT"))
    outcomes = report["outcomes"]
    assert sum(outcomes.values()) == SPECS
    assert report["failures"] == 0, json.dumps(report["first_failures"][:3], indent=1)
    # The generator must reach torch: most specs check, and nearly all of those are built and run.
    built = outcomes.get("ok", 0) + outcomes.get("training only", 0)
    assert built >= SPECS * 0.35, outcomes
    assert outcomes.get("rejected", 0) >= SPECS * 0.05, outcomes  # and the checker's errors get exercised


def test_a_crash_or_a_hang_in_a_worker_is_a_reported_failure(tmp_path):
    # 15 s: the other specs must not pass for hangs on a loaded machine
    report = run(tmp_path, "--specs", "8", "--timeout", "15", env={"NETDSL_BUILD_RUN_INJECT": "crash:2,hang:5"})
    failed = {f["index"]: f for f in report["first_failures"]}
    assert sorted(failed) == [2, 5] and report["failures"] == 2
    assert failed[2]["outcome"] == "crash" and "SIGSEGV" in failed[2]["detail"]
    assert failed[5]["outcome"] == "hang"
    assert sum(report["outcomes"].values()) == 8  # the other specs still ran, in fresh workers


# Specs the generator found failing, fixed, and kept here: each goes through what the runner does to a
# generated spec (check, every output, build and run on meta and the CPU) and must have the outcome given.
# (Those now rejected are in test_dtypes.py: a float64 tensor into float32 weights, fill values beyond a dtype.)
FOUND = [
    # squeeze(-1) of a 0-D tensor was an IndexError in `check` (torch accepts dim -1 or 0 and squeezes nothing)
    ("network Net() {\n    input x: [2, 3]\n    output x -> sum -> squeeze(-1)\n}\n", "ok"),
    # argmin's integer indices into logsigmoid were accepted and failed in torch; now E0426, and with the cast, ok
    ("network Net() {\n    input x: [2, 3]\n    output x -> argmin(1) -> to('float32') -> logsigmoid\n}\n", "ok"),
    # instancenorm with running statistics over one spatial element raises in training mode only, as documented
    ("network Net() {\n    input x: [2, 6, 1, 1]\n    output x -> instancenorm2d(track_running_stats=true)\n}\n",
     "training only"),
    # found by the confirmation run (seeds 31-50): a stride of 2**31 - 1 made the accepted-sizes analysis walk
    # one period of 2**31 values (check never finished); the repeated 6x6 convolution is then rejected
    ("block B() {\n    input x: [N, C, H, W]\n    output x -> (conv2d(4, 6, stride=2147483647) -> relu) * 2\n}\n"
     "network Net() {\n    input x: [N, 11, 7, 16]\n    output x -> permute(1, 2, 0, 3) -> B\n}\n", "rejected"),
    # torch's LocalResponseNorm views a 5-D input, which fails after a transpose: the generated forward passes
    # it contiguous
    ("network Net() {\n    input x: [2, 5, 11, 3, 11]\n    output x -> transpose(-2, -5) -> local_response_norm(2)\n}\n",
     "ok"),
]


@pytest.mark.parametrize("text, expected", FOUND)
def test_specs_the_generator_found_check_build_and_run(text, expected):
    from build_run import check_one
    from spec_generator import GeneratedSpec
    outcome = check_one(0, GeneratedSpec(text, text))
    assert outcome["outcome"] == expected, outcome
