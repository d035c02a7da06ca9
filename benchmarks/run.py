"""netdsl benchmarks (issue #7). Measurements, not tests: medians over repeated runs, and ratios taken
within the same run. Writes docs/benchmarks.md, and its figures as JSON to docs/benchmarks.json (with the
machine, versions and date), which docs/performance.md and docs/robustness.md quote.

    python benchmarks/run.py                 # the full run (a few minutes)
    python benchmarks/run.py --repeats 3 --max-layers 10000 --out /tmp/b.md   # quicker

(a) cold processes: `netdsl check` / `netdsl summary` on each spec, from a non-editable install of this
    tree in a scratch virtual environment (benchmarks/startup.py) with bytecode caching on, as a user's
    `pip install` runs it, against a Python process that imports torch, builds the same network by hand (tests/reference_models.py) and runs one forward
    pass on the meta device or on the CPU: wall time and peak memory (the child's ru_maxrss);
(b) in-process parse + check of generated specs of 10 … 100,000 layers; every command (check, build,
    summary, render) on 10,000 and 100,000 layers, and 3,000 and 30,000 diagnostics on one line;
(c) netdsl.build_module against the hand-written module, and the emitted module's forward time
    against the hand-written one's with the same weights.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from startup import OUTSIDE, environment, scratch_install

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SPECS = ("lenet", "alexnet_imagenet", "vgg16", "resnet18", "unet")
# The specs with a hand-written torch twin in tests/reference_models.py.
TORCH_TWINS = ("lenet", "alexnet_imagenet", "vgg16", "resnet18")
RESULTS: dict[tuple[str, str], tuple[float, float]] = {}   # (spec or layers, command) → (seconds, bytes)
IMPORTS: dict[str, float | None] = {}                       # module → cumulative import time in ms
TORCH_CHILD = """
import sys, torch
sys.path.insert(0, "tests")
from reference_models import MODELS
build, shape = MODELS[sys.argv[1]]
with torch.device(sys.argv[2]), torch.no_grad():
    build()(torch.empty(shape))
"""
BUILD_CHILD = """
import sys, torch, netdsl
sys.path.insert(0, "tests")
from reference_models import MODELS
model = netdsl.build_module(sys.argv[1], max_params=10**9)
with torch.no_grad():
    model(torch.empty(MODELS[sys.argv[2]][1]))
"""


def child(argv: list[str], cwd: Path = ROOT) -> tuple[float, int]:
    """Run a process to completion, bytecode caching on: (wall seconds, peak resident memory in bytes)."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if status:
        raise RuntimeError(f"{' '.join(argv)} failed: {process.stderr.read().decode()[-500:]}")
    process.stderr.close()
    return wall, usage.ru_maxrss * 1024


def median_child(argv: list[str], repeats: int) -> tuple[float, float]:
    runs = [child(argv) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def cold(repeats: int, installed: Path) -> list[str]:
    """installed: the python of the scratch install; netdsl runs from outside the tree, so that the
    installed package is imported, not the source tree."""
    lines = ["| spec | command | median wall | peak RSS | wall ÷ `netdsl check` |", "|---|---|---:|---:|---:|"]
    for spec in SPECS:
        path = f"specs/{spec}.net"
        if not (ROOT / path).exists():
            lines.append(f"| {spec} | (no {path} yet) | | | |")
            continue
        commands = {"`netdsl check`": [str(installed), "-m", "netdsl", "check", str(ROOT / path)],
                    "`netdsl summary`": [str(installed), "-m", "netdsl", "summary", str(ROOT / path)]}
        installed_commands = set(commands)
        for argv in commands.values():
            child(argv, OUTSIDE)   # writes the .pyc files and the analysed grammar's cache
        if spec in TORCH_TWINS:
            for device in ("meta", "cpu"):
                commands[f"torch: import, build, forward on {device}"] = [PY, "-c", TORCH_CHILD, spec, device]
        results = {}
        for _ in range(repeats):   # interleaved, so that machine noise hits every command alike
            for name, argv in commands.items():
                results.setdefault(name, []).append(child(argv, OUTSIDE if name in installed_commands else ROOT))
        base = statistics.median(r[0] for r in results["`netdsl check`"])
        for name, runs in results.items():
            wall, rss = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            RESULTS[spec, name] = wall, rss
            lines.append(f"| {spec} | {name} | {wall * 1000:.0f} ms | {rss / 2**20:.0f} MiB | {wall / base:.1f}× |")
    return lines


def import_times(installed: Path, spec: str = "specs/lenet.net") -> list[str]:
    """`python -X importtime -m netdsl check SPEC` from the scratch install: cumulative import time of the
    heaviest packages."""
    result = subprocess.run([str(installed), "-X", "importtime", "-m", "netdsl", "check", str(ROOT / spec)],
                            cwd=OUTSIDE, env=environment(), capture_output=True, text=True, check=True)
    cumulative = {}
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, total, name = line.split("|")
            if not total.strip().isdigit():
                continue   # the header
            cumulative.setdefault(name.strip(), int(total) / 1000)   # first (outermost) import wins
    shown = ("netdsl", "netdsl.cli", "netdsl.pipeline", "netdsl.parser", "lark", "interegular", "pydantic",
             "pydantic_core", "netdsl.layers.conv", "importlib.metadata", "graphviz", "torch")
    IMPORTS.update({name: cumulative.get(name) for name in shown})
    lines = ["| module (with what it imports) | cumulative import time |", "|---|---:|"]
    lines += [f"| `{name}` | {cumulative[name]:.1f} ms |" if name in cumulative else f"| `{name}` | not imported |"
              for name in shown]
    return lines


def generated_spec(layers: int) -> str:
    """One long chain alternating linear(16) and relu, one layer per line."""
    stages = "".join(f"\n      -> {'linear(16)' if i % 2 == 0 else 'relu'}" for i in range(layers))
    return f"network Deep() {{\n    input x: [N, 16]\n    x{stages}\n      -> output\n}}\n"


def in_process(max_layers: int) -> list[str]:
    import netdsl
    from netdsl.parser import parse
    from netdsl.source import SourceFile
    netdsl.check_text(generated_spec(10))   # imports, grammar and schemas: not part of the measurement
    lines = ["| layers | lines | parse (median) | parse + check (median) | per layer | lines/second |",
             "|---:|---:|---:|---:|---:|---:|"]
    sizes = [n for n in (10, 100, 1_000, 10_000, 100_000) if n <= max_layers]
    for layers in sizes:
        text = generated_spec(layers)
        repeats = 15 if layers <= 1000 else 5 if layers <= 10_000 else 3
        parse_times, check_times = [], []
        for _ in range(repeats):
            gc.collect()
            start = time.perf_counter()
            parse(SourceFile("<generated>", text))
            parse_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            analysis = netdsl.check_text(text)
            check_times.append(time.perf_counter() - start)
            assert analysis.ok
        parse_t, total = statistics.median(parse_times), statistics.median(check_times)
        RESULTS[str(layers), "check"] = total, 0
        count = text.count("\n")
        lines.append(f"| {layers:,} | {count:,} | {parse_t * 1000:.1f} ms | {total * 1000:.1f} ms | "
                     f"{total / layers * 1e6:.0f} µs | {count / total:,.0f} |")
    return lines


def _median_time(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def large_specs(max_layers: int, repeats: int = 3) -> list[str]:
    """Every command on one long chain (issue #11): check, build (the code generator, after the check),
    summary and render (DOT text), in process. Linear growth shows as the same time per layer."""
    import netdsl
    from netdsl.codegen import generate
    from netdsl.render import render
    from netdsl.summary import format_summary
    commands = ("check", "build", "summary", "render")
    lines = ["| layers | " + " | ".join(commands) + " |", "|---:|" + "---:|" * len(commands)]
    per_layer = {}
    for layers in [n for n in (10_000, 100_000) if n <= max_layers]:
        text = generated_spec(layers)
        analysis = netdsl.check_text(text)
        checked = analysis.network()
        actions = {"check": lambda text=text: netdsl.check_text(text),
                   "build": lambda analysis=analysis: generate(analysis.networks, "deep.net"),
                   "summary": lambda checked=checked: format_summary(checked),
                   "render": lambda checked=checked: render(checked).source}
        times = {name: _median_time(actions[name], repeats) for name in commands}
        per_layer[layers] = {name: t / layers for name, t in times.items()}
        lines.append(f"| {layers:,} | " + " | ".join(f"{times[n]:.2f} s ({times[n] / layers * 1e6:.0f} µs a layer)"
                                                       for n in commands) + " |")
    if len(per_layer) == 2:
        small, large = per_layer.values()
        lines.append("| time a layer, 100,000 ÷ 10,000 | " + " | ".join(f"{large[n] / small[n]:.2f}" for n in commands)
                     + " |")
    return lines


def long_line_diagnostics(repeats: int = 3) -> list[str]:
    """Many diagnostics on one long line (issue #11): check, then render every diagnostic as `check` shows it."""
    import netdsl
    from netdsl.diagnostics import render_human
    lines = ["| warnings | line length | check + render (median) | per diagnostic |", "|---:|---:|---:|---:|"]
    for count in (3_000, 30_000):
        text = "network A() { input x: [N, 4]  x" + " -> relu" * (count + 1) + " -> output }"

        def run(text=text):
            return [render_human(d) for d in netdsl.check_text(text).diagnostics.sorted()]
        took = _median_time(run, repeats)
        lines.append(f"| {count:,} | {len(text):,} | {took:.2f} s | {took / count * 1e6:.0f} µs |")
    return lines


def builder(repeats: int) -> list[str]:
    lines = ["| spec | command | median wall | peak RSS |", "|---|---|---:|---:|"]
    for spec in TORCH_TWINS:
        path = f"specs/{spec}.net"
        if not (ROOT / path).exists():
            continue
        for name, argv in (("netdsl.build_module + CPU forward", [PY, "-c", BUILD_CHILD, path, spec]),
                           ("hand-written torch, build + CPU forward", [PY, "-c", TORCH_CHILD, spec, "cpu"])):
            try:
                wall, rss = median_child(argv, repeats)
            except RuntimeError as error:
                lines.append(f"| {spec} | {name} | failed: {str(error).splitlines()[-1][:80]} | |")
                continue
            lines.append(f"| {spec} | {name} | {wall * 1000:.0f} ms | {rss / 2**20:.0f} MiB |")
    return lines


FORWARD_CHILD = """
import json, statistics, sys, time, torch, netdsl
sys.path.insert(0, "tests")
from reference_models import MODELS
spec, repeats = sys.argv[1], int(sys.argv[2])
build, shape = MODELS[spec]
torch.manual_seed(0)
hand = build().eval()
emitted = netdsl.build_module(f"specs/{spec}.net", max_params=10**9).eval()
theirs, ours = list(hand.state_dict().values()), emitted.state_dict()
assert [t.shape for t in theirs] == [t.shape for t in ours.values()], "layer order differs"
emitted.load_state_dict(dict(zip(ours, theirs)))
x = torch.randn(shape)
with torch.no_grad():
    assert torch.allclose(hand(x), emitted(x), atol=1e-4), "outputs differ"
    start = time.perf_counter()
    hand(x)
    calls = max(1, int(0.05 / (time.perf_counter() - start)))  # ≥ 50 ms a sample: tiny nets too
    times = {"hand": [], "emitted": []}
    for run in range(repeats + 1):  # the first round warms up both
        for name, model in (("hand", hand), ("emitted", emitted)):
            start = time.perf_counter()
            for _ in range(calls):
                model(x)
            if run:
                times[name].append((time.perf_counter() - start) / calls)
print(json.dumps({name: statistics.median(values) for name, values in times.items()}))
"""


def forward_times(repeats: int) -> list[str]:
    """Forward time of the emitted module against the hand-written one with the same weights,
    interleaved in one process so that both see the same machine load."""
    lines = ["| spec | hand-written forward | emitted forward | emitted ÷ hand-written |", "|---|---:|---:|---:|"]
    for spec in TORCH_TWINS:
        result = subprocess.run([PY, "-c", FORWARD_CHILD, spec, str(repeats)], capture_output=True, text=True,
                                cwd=ROOT, check=False)
        if result.returncode:
            lines.append(f"| {spec} | failed: {result.stderr.strip().splitlines()[-1][:80]} | | |")
            continue
        times = json.loads(result.stdout)
        ratio = times["emitted"] / times["hand"]
        RESULTS[spec, "forward ratio"] = (ratio, 0)
        lines.append(f"| {spec} | {times['hand'] * 1000:.2f} ms | {times['emitted'] * 1000:.2f} ms | {ratio:.3f} |")
    return lines


def targets() -> list[str]:
    """Issue #7's targets against this run's medians."""
    check, meta = RESULTS.get(("resnet18", "`netdsl check`")), RESULTS.get(("resnet18", "torch: import, build, forward on meta"))
    rows = []
    if check:
        rows.append(("cold `netdsl check specs/resnet18.net`", "< 150 ms", f"{check[0] * 1000:.0f} ms", check[0] < 0.15))
        rows.append(("peak memory of that check", "< 50 MiB", f"{check[1] / 2**20:.0f} MiB", check[1] < 50 * 2**20))
    if check and meta:
        rows.append(("speed-up over torch on meta", "≥ 10×", f"{meta[0] / check[0]:.1f}×", meta[0] / check[0] >= 10))
    for layers, limit in (("1000", 0.05), ("10000", 0.5)):
        if (layers, "check") in RESULTS:
            took = RESULTS[layers, "check"][0]
            rows.append((f"in-process check, {int(layers):,} layers", f"< {limit * 1000:.0f} ms", f"{took * 1000:.0f} ms",
                         took < limit))
    ratios = [RESULTS[spec, "forward ratio"][0] for spec in TORCH_TWINS if (spec, "forward ratio") in RESULTS]
    if ratios:
        worst = max(ratios, key=lambda r: abs(r - 1))
        rows.append(("emitted forward vs hand-written (worst spec)", "within 3 %", f"{(worst - 1) * 100:+.1f} %",
                     abs(worst - 1) <= 0.03))
    return ["| target | wanted | measured | met |", "|---|---|---:|---|",
            *(f"| {what} | {wanted} | {got} | {'yes' if ok else '**no**'} |" for what, wanted, got, ok in rows)]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("lark", "pydantic", "torch"))
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores; "
            f"Python {platform.python_version()}; {versions}")


def json_results() -> dict:
    """The measured figures, in the units the documentation quotes them in."""
    results: dict = {"cold": {}, "in_process_check_ms": {}, "forward_ratio": {}, "import_ms": IMPORTS}
    for (subject, measure), (value, size) in RESULTS.items():
        if measure == "check":
            results["in_process_check_ms"][subject] = round(value * 1000, 1)
        elif measure == "forward ratio":
            results["forward_ratio"][subject] = round(value, 3)
        else:
            results["cold"].setdefault(subject, {})[measure] = {"wall_ms": round(value * 1000),
                                                                "peak_rss_mib": round(size / 2**20)}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per cold-process measurement")
    parser.add_argument("--max-layers", type=int, default=100_000)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=str(ROOT / "docs" / "benchmarks.json"))
    parser.add_argument("--only-large", action="store_true",
                        help="only the large-spec sections, printed (the machine-wide run takes many minutes)")
    options = parser.parse_args()
    if options.only_large:
        print("\n".join([*large_specs(options.max_layers), "", *long_line_diagnostics()]))
        return
    command = "python benchmarks/run.py" + "".join(
        f" {flag} {value}" for flag, value, default in (("--repeats", options.repeats, 7),
                                                          ("--max-layers", options.max_layers, 100_000))
        if value != default)
    with tempfile.TemporaryDirectory(prefix="netdsl-benchmarks-") as scratch:
        installed = scratch_install(Path(scratch) / "venv")
        cold_lines, import_lines = cold(options.repeats, installed), import_times(installed)
    sections = [
        "# netdsl benchmarks", "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}.", "",
        f"Machine: {machine()}. Medians; the machine is shared and noisy, so compare ratios within a table.", "",
        "## Cold processes", "",
        ("Whole-process wall time and peak memory of `python -m netdsl check SPEC` (a non-editable install, "
         "bytecode caching on), against what a user does without netdsl: import torch, build the same network "
         "by hand and run one forward pass."), "",
        *cold_lines, "",
        ("Where a cold `netdsl check specs/lenet.net` spends its import time (one run of `-X importtime`; "
         "nested rows are included in their parents):"), "",
        *import_lines, "",
        ("Against the start-up target of issue #10 (a cold check at most 1.4× `python -c \"import lark, pydantic\"`), "
         "with instruction counts and where they go step by step: [benchmarks-startup.md](benchmarks-startup.md), "
         "written by `python benchmarks/startup.py --instructions`."), "",
        # build_module before the in-process section: a child's ru_maxrss includes the parent image it
        # was forked from, and the 100,000-layer check makes this process large.
        "## build_module", "",
        *builder(options.repeats), "",
        ("Forward time on the CPU, batch 1, the emitted module carrying the hand-written one's weights "
         f"(median of {options.repeats * 3} interleaved runs each, after a warm-up):"), "",
        *forward_times(options.repeats * 3), "",
        "## In-process parse + check of generated specs", "",
        ("`netdsl.check_text` on one chain alternating `linear(16)` and `relu`, one layer per line "
         "(imports and grammar loading excluded)."), "",
        *in_process(options.max_layers), "",
        "## Every command on large specs", "",
        ("One chain alternating `linear(16)` and `relu`, in process, median of 3: the time a layer stays the "
         "same from 10,000 to 100,000 layers when a command grows linearly (a ratio near 1)."), "",
        *large_specs(options.max_layers), "",
        "One warning per layer (`relu` twice in a row) on a single line, every diagnostic rendered:", "",
        *long_line_diagnostics(), "",
        "## Targets (issue #7)", "",
        *targets(), "",
    ]
    Path(options.out).write_text("\n".join(sections), encoding="utf-8")
    sys.path.insert(0, str(ROOT / "tests"))
    from run_report import write_report
    write_report(options.json, "benchmarks", {"command": command, "results": json_results()})
    print("\n".join(sections))


if __name__ == "__main__":
    main()
