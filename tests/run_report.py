"""The JSON reports of the long runs (agreement, fuzz) and of the benchmark: what ran, where and when,
so that every figure the README quotes has a committed artifact behind it (docs/fidelity/, docs/)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def environment() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "") if Path("/proc/cpuinfo").exists() else platform.processor()
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(["git", "status", "--porcelain", "--", "netdsl", "tests", "benchmarks", "grammars"],
                             cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d"), "commit": commit + (" with uncommitted changes" if changed else ""),
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
    report = {"report": name, **environment(), **payload}
    if "per_kind" in payload:
        report["totals"] = totals(payload["per_kind"])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
