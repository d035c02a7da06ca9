"""The documentation's figures, generated from the committed reports of the long runs and of the
benchmark: docs/fidelity/agreement.json, fuzz.json, mutants.json and build-run.json, and docs/benchmarks.json.
test_readme.py checks that each page quotes its figures verbatim; after a new run, print them
(`python tests/documented_figures.py`) and paste them over the old ones.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def report(name: str) -> dict:
    return json.loads((ROOT / name).read_text(encoding="utf-8"))


def duration(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60} s"


def _where(run: dict) -> str:
    """"2 cores (load average 9.4)": the machine is shared, and durations depend on how busy it was."""
    return f"{run['machine'].rsplit(', ', 1)[-1]} (load average {run['load_average']})"


def agreement() -> list[str]:
    run = report("docs/fidelity/agreement.json")
    totals = run["totals"]

    def starting(prefix: str) -> int:
        return sum(n for outcome, n in totals.items() if outcome.startswith(prefix))
    symbolic = sum(n for outcome, n in totals.items() if outcome.startswith("symbolic") and "value:" not in outcome)
    disagreements = "no disagreement" if run["failed_tests"] == 0 else f"{run['failed_tests']} kinds disagree"
    return [
        f"**{totals['cases']:,} cases over {len(run['per_kind'])} kinds: {disagreements}**",
        f"{totals.get('both accept', 0):,} both accept (same shapes, counts, outputs, gradients and state), "
        f"{starting('both reject'):,} both reject, {starting('stricter'):,} netdsl deliberately stricter, "
        f"{starting('training mode only'):,} rejected by PyTorch in training only, and {symbolic:,} with symbolic "
        f"dims, checked at {starting('symbolic value'):,} concrete values",
        f"`{run['command']}`, {duration(run['seconds'])} on {_where(run)}, {run['date']}",
    ]


def fuzz() -> list[str]:
    run = report("docs/fidelity/fuzz.json")
    per_test = run["per_test"]
    checked = sum(counts["inputs"] for test, counts in per_test.items() if test != "every command")
    return [f"{run['inputs']:,} inputs — {checked:,} through `check_text`, {per_test['every command']['inputs']:,} "
            f"through all four commands ({run['command_runs']:,} command runs) — crashes: {run['failed_tests']}",
            f"`{run['command']}`, {duration(run['seconds'])} on {_where(run)}, {run['date']}"]


def build_run() -> list[str]:
    run = report("docs/fidelity/build-run.json")
    outcomes = run["outcomes"]
    built = outcomes.get("ok", 0) + outcomes.get("training only", 0)
    return [f"{run['specs']:,} generated specs: {built:,} checked, built and run in PyTorch, "
            f"{outcomes.get('rejected', 0):,} rejected by `check` — accept-then-crash, internal errors, hangs and "
            f"crashes: {run['failures']}",
            f"{len(run['seeds'])} runs of {run['specs'] // len(run['seeds']):,} specs (seeds {run['seeds'][0]} to "
            f"{run['seeds'][-1]}), {duration(run['duration_s'])} on {_where(run)}, {run['date']}"]


def mutants() -> list[str]:
    run = report("docs/fidelity/mutants.json")
    return [f"catches **{run['caught']} of {run['mutants']}** deliberately broken layer kinds"]


def benchmarks() -> list[str]:
    run = report("docs/benchmarks.json")
    results = run["results"]
    check = results["cold"]["resnet18"]["`netdsl check`"]
    meta = results["cold"]["resnet18"]["torch: import, build, forward on meta"]
    layers = results["in_process_check_ms"]
    imports = results["import_ms"]
    return [
        f"a cold `netdsl check specs/resnet18.net` takes about {check['wall_ms']} ms and {check['peak_rss_mib']} MiB, "
        f"{meta['wall_ms'] / check['wall_ms']:.0f}× faster than importing torch and running the same network on the "
        f"meta device ({meta['wall_ms'] / 1000:.1f} s, {meta['peak_rss_mib']} MiB)",
        f"about {layers['1000']:.0f} µs a layer (1,000 layers: {layers['1000']:.0f} ms; 10,000: "
        f"{layers['10000'] / 1000:.2f} s)",
        f"A 100,000-layer chain checks in about {layers['100000'] / 1000:.1f} s",
        f"importing `netdsl` takes {imports['netdsl']:.0f} ms, of which lark {imports['lark']:.0f} ms",
        f"({run['machine']}, load average {run['load_average']}, {run['date']})",
    ]


def mutant_table() -> str:
    """The table of docs/testing.md: each mutant and which checks caught it."""
    results = report("docs/fidelity/mutants.json")["results"]
    checks = list(next(iter(results.values()))["checks"])
    lines = ["| mutant | kind | bug | " + " | ".join(checks) + " |", "|---|---|---|" + "---|" * len(checks)]
    for name, result in results.items():
        marks = ["caught" if result["checks"].get(check) else "—" for check in checks]
        lines.append(f"| {name} | `{result['kind']}` | {result['bug']} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def pages() -> dict[str, list[str]]:
    """Each page of docs/ → the figures it quotes."""
    bench = benchmarks()
    return {"docs/testing.md": agreement() + mutants() + [mutant_table()],
            "docs/robustness.md": fuzz() + bench[2:3] + build_run(),
            "docs/performance.md": bench[:2] + bench[3:]}


if __name__ == "__main__":
    for page, figures in pages().items():
        print(f"{page}:", *figures, sep="\n\n", end="\n\n")
