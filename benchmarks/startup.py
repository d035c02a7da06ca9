"""Start-up and re-check benchmark (issue #10, target 6). Measurements, not tests: medians, and ratios
taken within the same run.

    python benchmarks/startup.py                # installs into a scratch venv, ~1 minute
    python benchmarks/startup.py --repeats 15 --out docs/benchmarks-startup.md

(a) cold start: a non-editable install of this tree in a scratch virtual environment (an editable install
    adds its own finder to every interpreter start), bytecode caching on (PYTHONDONTWRITEBYTECODE unset),
    one warm-up run so that every .pyc exists; then, interleaved, `netdsl check specs/resnet18.net`
    through the installed console script against a bare `python -c "import lark, pydantic"`;
(b) warm re-check: `netdsl.check_text` on ResNet-18 in one process, the text edited before every
    check — one layer's argument changed, `linear(classes)` → `linear(classes + i)`: what an editor
    pays on a keystroke — and unchanged (what it pays when nothing changed);
(c) where a cold check's import time goes (`-X importtime`, cumulative, outermost import of each);
(d) with --instructions, the instructions each command of (a) executes (valgrind's callgrind, about
    20 s each): unlike wall times, they hardly depend on how busy the shared machine is.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "specs/resnet18.net"
# Children run outside the source tree, or `python -c "import netdsl"` would import the tree itself.
OUTSIDE = Path(tempfile.gettempdir())
TARGET_RATIO, TARGET_RECHECK_MS = 1.4, 5.0


def scratch_install(venv: Path) -> Path:
    """A virtual environment with netdsl installed as `pip install .` would: returns its python."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)], check=True)
    return python


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env.pop("VIRTUAL_ENV", None)
    return env


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=OUTSIDE, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def commands(python: Path) -> dict[str, list[str]]:
    """The cold commands, the floor first."""
    return {"`python -c \"import lark, pydantic\"`": [str(python), "-c", "import lark, pydantic"],
            f"`netdsl.check_file(\"{SPEC}\")` from Python": [
                str(python), "-c", f"import netdsl; assert netdsl.check_file({str(ROOT / SPEC)!r}).ok"],
            f"`netdsl check {SPEC}`": [str(python.parent / "netdsl"), "check", str(ROOT / SPEC)]}


def cold(python: Path, repeats: int) -> tuple[list[str], float]:
    env = environment()
    timed = commands(python)
    for argv in timed.values():
        wall(argv, env)   # writes the .pyc files and the analysed grammar's cache
    times: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(repeats):   # interleaved: machine noise hits every command alike
        for name, argv in timed.items():
            times[name].append(wall(argv, env))
    base = statistics.median(next(iter(times.values())))
    lines = ["| command | median wall | min | ÷ `import lark, pydantic` |", "|---|---:|---:|---:|"]
    for name, runs in times.items():
        lines.append(f"| {name} | {statistics.median(runs) * 1000:.1f} ms | {min(runs) * 1000:.1f} ms | "
                     f"{statistics.median(runs) / base:.2f}× |")
    ratio = statistics.median(times[f"`netdsl check {SPEC}`"]) / base
    return lines, ratio


def counted(argv: list[str]) -> int:
    """The instructions a command executes (valgrind's callgrind)."""
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv], cwd=OUTSIDE,
                            env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr)[1])


# A cold check in stages, each a process that goes one step further than the one before: what each step adds.
# The imports run as the command runs them (netdsl/console.py): the garbage collector paused, then frozen.
def _as_the_command_imports(imports: str) -> str:
    return f"import gc; gc.disable(); {imports}; gc.freeze(); gc.enable()"


STAGES = {"the interpreter (`python -c pass`)": "pass",
          "importing lark, with the standard modules it imports": _as_the_command_imports("import lark"),
          "importing everything else `netdsl check` imports at start-up (netdsl's modules, argparse, ...)":
              _as_the_command_imports("import lark, netdsl.cli"),
          "building the parser from the kept grammar (netdsl.parser.lark_parser, netdsl/grammar_cache.py)":
              _as_the_command_imports("import netdsl.cli, netdsl.parser") + "; netdsl.parser.lark_parser()"}


def instructions(python: Path) -> list[str]:
    counts = {name: counted(argv) for name, argv in commands(python).items()}
    base = next(iter(counts.values()))
    stages = {name: counted([str(python), "-c", code]) for name, code in STAGES.items()}
    stages["the check itself: parsing both files, lowering, checking, the kinds' families, output"] = \
        counts[f"`netdsl check {SPEC}`"]
    steps, before = [], 0
    for name, count in stages.items():
        steps.append(f"| {name} | {(count - before) / 1e6:,.0f} M |")
        before = count
    return ["| command | instructions | ÷ `import lark, pydantic` |", "|---|---:|---:|",
            *(f"| {name} | {count / 1e6:,.0f} M | {count / base:.2f}× |" for name, count in counts.items()), "",
            (f"Where a cold `netdsl check {SPEC}` executes them, step by step (each step a process that goes "
             "one step further than the one before):"), "",
            "| step | instructions it adds |", "|---|---:|", *steps]


def import_breakdown(python: Path) -> list[str]:
    result = subprocess.run([str(python), "-X", "importtime", "-c",
                             f"import sys; from netdsl.cli import main; sys.argv[1:] = ['check', {str(ROOT / SPEC)!r}]; main()"],
                            cwd=OUTSIDE, env=environment(), capture_output=True, text=True, check=False)
    rows = []
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or line.count("|") != 2:
            continue
        _, own, total, name = (part.strip() for part in line.replace("import time:", "|", 1).split("|"))
        if total.isdigit() and (len(name) - len(name.lstrip())) <= 2 * 2:
            rows.append((int(total) / 1000, int(own) / 1000, name.strip()))
    top = sorted(rows, reverse=True)[:15]
    return ["| module (cumulative: with what it imports) | cumulative | own |", "|---|---:|---:|",
            *(f"| `{name}` | {total:.1f} ms | {own:.1f} ms |" for total, own, name in top)]


RECHECK_CHILD = """
import statistics, sys, time, netdsl
text = open(sys.argv[1]).read()
repeats = int(sys.argv[2])
assert "linear(classes)" in text
netdsl.check_text(text, path=sys.argv[1])
def median(make):
    times = []
    for i in range(repeats):
        edited = make(i)
        start = time.perf_counter()
        assert netdsl.check_text(edited, path=sys.argv[1]).ok
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000
print(*median(lambda i: text.replace("linear(classes)", f"linear(classes + {i})")), *median(lambda i: text))
"""


def recheck(python: Path, repeats: int) -> tuple[list[str], float]:
    result = subprocess.run([str(python), "-c", RECHECK_CHILD, str(ROOT / SPEC), str(repeats * 5)], cwd=OUTSIDE,
                            env=environment(), capture_output=True, text=True, check=True)
    edited, edited_min, same, same_min = map(float, result.stdout.split())
    return ["| re-check of ResNet-18 in one process | median | min |", "|---|---:|---:|",
            f"| a layer edited before each check (a keystroke) | {edited:.2f} ms | {edited_min:.2f} ms |",
            f"| text unchanged | {same:.2f} ms | {same_min:.2f} ms |"], edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--out", help="also write the report to this markdown file")
    parser.add_argument("--instructions", action="store_true", help="also count instructions (needs valgrind)")
    parser.add_argument("--recheck-only", action="store_true",
                        help="only (b), with this interpreter's netdsl (no install: a warm re-check imports nothing)")
    options = parser.parse_args()
    if options.recheck_only:
        lines, edited = recheck(Path(sys.executable), options.repeats)
        print("\n".join([*lines, "", f"Edited re-check {edited:.2f} ms (target ≤ {TARGET_RECHECK_MS:g} ms); "
                         f"load average {os.getloadavg()[0]:.1f}."]))
        return
    if options.instructions and not shutil.which("valgrind"):
        raise SystemExit("--instructions needs valgrind (apt-get install valgrind)")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="netdsl-startup-") as scratch:
        python = scratch_install(Path(scratch) / "venv")
        cold_lines, ratio = cold(python, options.repeats)
        recheck_lines, recheck_ms = recheck(python, options.repeats)
        breakdown = import_breakdown(python)
        counted = instructions(python) if options.instructions else []
    load_after = os.getloadavg()[0]
    report = [
        "# Start-up and re-check (issue #10)", "",
        f"Generated by `python benchmarks/startup.py --repeats {options.repeats}"
        f"{' --instructions' if options.instructions else ''}` on {time.strftime('%Y-%m-%d')}; "
        f"non-editable install, bytecode caching on; {options.repeats} interleaved runs each; "
        f"load average {load:.1f} before, {load_after:.1f} after.", "",
        *cold_lines, "",
        f"Cold-start ratio {ratio:.2f}× (target ≤ {TARGET_RATIO}×: {'met' if ratio <= TARGET_RATIO else '**missed**'}).", "",
        *recheck_lines, "",
        f"Edited re-check {recheck_ms:.2f} ms (target ≤ {TARGET_RECHECK_MS:g} ms: "
        f"{'met' if recheck_ms <= TARGET_RECHECK_MS else '**missed**'}).", "",
        "Where one cold check's import time goes (`-X importtime`, the top-level and second-level imports):", "",
        *breakdown, "",
        *(["Instructions executed (valgrind's callgrind; they hardly depend on the machine's load):", "",
           *counted, ""] if counted else []),
    ]
    text = "\n".join(report)
    print(text)
    if options.out:
        Path(options.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
