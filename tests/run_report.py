"""The JSON reports of the long runs (agreement, fuzz) and of the benchmark: what ran, where and when,
so that every figure the README quotes has a committed artifact behind it (docs/fidelity/, docs/)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "") if Path("/proc/cpuinfo").exists() else platform.processor()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip()
    changed = subprocess.run(["git", "status", "--porcelain", "--", "netdsl", "tests", "benchmarks", "grammars"],
                             cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d"), "commit": commit + (" with uncommitted changes" if changed else ""),
            "load_average": round(os.getloadavg()[0], 1),   # the machine is shared: timings depend on it
            "machine": f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores",
            "versions": {"python": platform.python_version(),
                         **{p: metadata.version(p) for p in ("torch", "hypothesis", "pydantic", "lark")}}}


def totals(per_kind: dict[str, dict[str, int]]) -> dict[str, int]:
    """Every counter summed over the kinds."""
    summed: Counter = Counter()
    for counts in per_kind.values():
        summed.update(counts)
    return dict(sorted(summed.items()))


def write_report(path: str | Path, name: str, payload: dict) -> None:
    report = {"report": name, **environment(), **payload}   # payload's own environment, if any, wins
    if "per_kind" in payload:
        report["totals"] = totals(payload["per_kind"])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")


def reporting(variable: str, name: str, payload: Callable[[], dict]):
    """A module fixture: after the module's tests, when the environment variable names a path, write the
    report there — payload(), how long the tests took, how many failed, and where and when they ran (the
    commit is read before the tests, so that editing the tree meanwhile cannot relabel the run)."""
    import pytest   # here: benchmarks/run.py imports this module without pytest

    @pytest.fixture(scope="module", autouse=True)
    def report(request):
        started, failed, where = time.time(), request.session.testsfailed, environment()
        yield
        path = os.environ.get(variable)
        if path:
            write_report(path, name, {**where, **payload(), "seconds": round(time.time() - started),
                                      "failed_tests": request.session.testsfailed - failed})
    return report
