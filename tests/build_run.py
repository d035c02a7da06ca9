"""Build and run every generated spec that checks (issue #11's accept-then-crash property).

    python tests/build_run.py --specs 20000 --seed 1 --jobs 2 --report docs/build-run.json

For spec i of a run (tests/spec_generator.py, reproducible from the seed and i), in a forked worker:
1. `check_text`; on a spec that checks also `--shapes`, `summary` (table and JSON), `check --format json`,
   `render` (DOT) and `build` (source): an exception in netdsl here is an internal error;
2. the same spec with its symbols (N, L, S) set to the sizes the run gives them is checked again: when the
   symbolic spec checks but that one does not, the sizes chosen are outside what the spec accepts, and
   nothing is built;
3. `netdsl.build_module` builds it on the meta device and runs it in eval and in training mode: the output
   shape must be the static one, and the parameters and buffers the static counts. Where meta fails or
   disagrees, and wherever the network is small enough (meta skips some of the CPU kernels' checks), it
   is built and run on the CPU too, which decides.

A worker that dies (a segfault in torch) or goes quiet for --timeout seconds is a failure of the spec it was
on ("crash", "hang"); the run goes on with a fresh worker. Failures: accept-then-crash, internal error,
hang, crash. NETDSL_BUILD_RUN_INJECT="crash:3,hang:5" makes those specs crash or hang, to test the runner.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import select
import signal
import subprocess
import sys
import time
import traceback
import warnings
from importlib import metadata
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spec_generator import generate_spec  # noqa: E402

import netdsl  # noqa: E402
from netdsl.diagnostics import render_human, render_short  # noqa: E402
from netdsl.render import render  # noqa: E402
from netdsl.report import file_model  # noqa: E402
from netdsl.summary import format_shapes, format_summary, summary_dict  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FAILURES = ("accept-then-crash", "internal error", "hang", "crash")
CPU_ELEMENTS = 2**22           # a network whose parameters and activations fit, and whose MACs are few
CPU_MACS = 2**27               # (seconds at most, even for a 2-billion-wide pooling window), runs on the CPU too
BATCH = 25                     # specs per forked worker
# batchnorm over one value per channel, instancenorm with running statistics over one spatial element:
# documented as not static (torch raises in training mode only)
TRAINING_ONLY = ("Expected more than 1 value per channel when training", "Expected more than 1 spatial element when training")
# What the meta device cannot do (e.g. batchnorm with momentum=None reads a step count with .item() in
# training mode): a network too large for the CPU that hits one is "unverified", not a failure.
META_CANNOT = ("cannot be called on meta tensors", "from the 'Meta' backend")
# The CPU running out of memory for a network meta ran (a non-zero padding mode pads the input in a
# tensor no shape shows): netdsl checks what torch can compute, not what this machine holds.
OUT_OF_MEMORY = ("can't allocate memory", "not enough memory", "MemoryError")


class Refused(Exception):
    """The spec checks but PyTorch refuses it (or disagrees with the static result)."""


def _inputs(checked, index_inputs, device: str) -> list:
    return [torch.zeros(shape, dtype=torch.long if name in index_inputs else torch.float32, device=device)
            for name, shape in checked.input_shapes.items()]


def _run(spec, checked, device: str) -> str:
    """Build and run on device; Refused when torch fails or disagrees. Returns "ok" or "training only"."""
    expected = (tuple(checked.output_shape), checked.params + checked.frozen, checked.buffers)
    try:
        with torch.device(device):
            model = netdsl.build_module(spec.text, max_params=2**62, **spec.overrides)
        counts = (sum(p.numel() for p in model.parameters()), sum(b.numel() for b in model.buffers()))
        inputs = _inputs(checked, spec.index_inputs, device)
        with torch.no_grad():
            out = model.eval()(*inputs)
    except Exception as error:  # noqa: BLE001 — whatever torch (or the build) raises is the verdict
        raise Refused(f"{device}: {type(error).__name__}: {str(error)[:300]}") from None
    got = (tuple(out.shape), *counts)
    if got != expected:
        raise Refused(f"{device}: (shape, params, buffers) is {got}, statically {expected}")
    try:
        with torch.no_grad():
            trained = model.train()(*inputs)
    except ValueError as error:
        if any(text in str(error) for text in TRAINING_ONLY):
            return "training only"
        raise Refused(f"{device} (training): ValueError: {str(error)[:300]}") from None
    except Exception as error:  # noqa: BLE001
        raise Refused(f"{device} (training): {type(error).__name__}: {str(error)[:300]}") from None
    if tuple(trained.shape) != expected[0]:
        raise Refused(f"{device} (training): shape {tuple(trained.shape)}, statically {expected[0]}")
    return "ok"


def _small(checked) -> bool:
    from netdsl.shapes import numel
    from netdsl.summary import rows
    if checked.macs > CPU_MACS:
        return False
    elements = checked.params + checked.frozen + checked.buffers
    for shape in [*checked.input_shapes.values(), *(r.shape for r in rows(checked))]:
        elements += numel(shape) if shape is not None and numel(shape) is not None else CPU_ELEMENTS
    return elements <= CPU_ELEMENTS


def check_one(index: int, spec) -> dict:
    """The outcome of spec `index`: a dict with "outcome" and, for failures, "detail" and "spec"."""
    result = {"index": index}
    try:
        analysis = netdsl.check_text(spec.text, **spec.overrides)
        for diagnostic in analysis.diagnostics.sorted():
            render_human(diagnostic, color=True)
            render_short(diagnostic)
        if analysis.ok:
            for network in analysis.networks:
                format_shapes(network)
                format_summary(network, None, "float16")   # a --batch the inputs contradict is a usage error
                json.dumps(summary_dict(network), allow_nan=False)
                assert render(network).source
            file_model(analysis, analysis.diagnostics.sorted()).model_dump_json()
            netdsl.generate_source(spec.text, **spec.overrides)
        concrete = netdsl.check_text(spec.concrete, **spec.overrides) if analysis.ok else None
    except Exception:  # noqa: BLE001 — the failure this test exists for
        return {**result, "outcome": "internal error", "detail": traceback.format_exc(limit=-4)[-1500:],
                "spec": spec.text, "overrides": repr(spec.overrides)}
    if not analysis.ok:
        return {**result, "outcome": "rejected"}
    if not concrete.ok:
        return {**result, "outcome": "sizes chosen outside what the spec accepts"}
    checked, symbolic = concrete.network(), analysis.network()
    if (checked.params, checked.frozen, checked.buffers) != (symbolic.params, symbolic.frozen, symbolic.buffers):
        # e.g. `squeeze` of a symbolic dim that is 1 at the size chosen: symbolic sizes are issue #12's
        return {**result, "outcome": "symbolic result differs at the sizes chosen", "spec": spec.text,
                "detail": f"parameters and buffers {symbolic.params + symbolic.frozen}, {symbolic.buffers} "
                          f"symbolically, {checked.params + checked.frozen}, {checked.buffers} at the sizes chosen"}
    small = _small(checked)

    def failure(detail: str) -> dict:
        return {**result, "outcome": "accept-then-crash", "detail": detail, "spec": spec.text,
                "overrides": repr(spec.overrides)}
    try:
        verdict, meta_error = _run(spec, checked, "meta"), None
    except Refused as error:
        verdict, meta_error = None, error
    if small:  # the CPU decides: meta skips some checks, and cannot run everything
        try:
            return {**result, "outcome": _run(spec, checked, "cpu"), **({"meta overruled": True} if meta_error else {})}
        except Refused as cpu_error:
            if meta_error is None and any(text in str(cpu_error) for text in OUT_OF_MEMORY):
                return {**result, "outcome": "meta only: the CPU ran out of memory"}
            return failure(f"{meta_error or 'meta: ok'}\n{cpu_error}")
    if meta_error is None:
        return {**result, "outcome": verdict}
    if any(text in str(meta_error) for text in META_CANNOT):
        return {**result, "outcome": "unverified: meta cannot run it, too large for the CPU"}
    return failure(str(meta_error))


# ---------------------------------------------------------------- forked workers

def _injected() -> dict[int, str]:
    text = os.environ.get("NETDSL_BUILD_RUN_INJECT", "")
    return {int(index): what for what, index in (item.split(":") for item in text.split(",") if item)}


def _worker(seed: int, indices: list[int], write_fd: int) -> None:
    """Runs in the forked child: one JSON line per spec, a "start" line before each."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # torch's advice about odd arguments (dropout on one layer, ...)
    injected = _injected()
    with os.fdopen(write_fd, "w", buffering=1) as out:
        for index in indices:
            out.write(json.dumps({"start": index, "spec": f"(spec {seed}:{index}, being generated)",
                                  "overrides": ""}) + "\n")
            try:  # the generator asks netdsl's shape rules: what they raise is an internal error
                spec = generate_spec(seed, index)
            except Exception:  # noqa: BLE001
                out.write(json.dumps({"index": index, "outcome": "internal error", "spec": f"spec {seed}:{index}",
                                      "detail": traceback.format_exc(limit=-4)[-1500:]}) + "\n")
                continue
            out.write(json.dumps({"start": index, "spec": spec.text, "overrides": repr(spec.overrides)}) + "\n")
            if injected.get(index) == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if injected.get(index) == "hang":
                time.sleep(3600)
            out.write(json.dumps(check_one(index, spec)) + "\n")


class _Child:
    def __init__(self, seed: int, indices: list[int]):
        self.indices, self.current, self.results = list(indices), None, []
        read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child
            os.close(read_fd)
            code = 0
            try:
                _worker(seed, self.indices, write_fd)
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
                code = 1
            os._exit(code)
        os.close(write_fd)
        self.stream = os.fdopen(read_fd, "r")
        self.last_progress = time.monotonic()
        self.buffer = ""

    def read(self) -> bool:
        """Consume what the child wrote; False at end of stream."""
        data = os.read(self.stream.fileno(), 65536).decode()
        if not data:
            return False
        self.buffer += data
        *lines, self.buffer = self.buffer.split("\n")
        for line in lines:
            message = json.loads(line)
            if "start" in message:
                self.current = message
            else:
                self.results.append(message)
                self.indices.remove(message["index"])
                self.current = None
        self.last_progress = time.monotonic()
        return True

    def stop(self, outcome: str, timeout: float) -> list[int]:
        """Kill the child; the spec it was on gets `outcome`; returns the indices it did not reach."""
        if outcome == "hang":
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        self.stream.close()
        if self.current is not None:
            if outcome == "hang":
                detail = f"no result after {timeout:.0f} s"
            elif os.WIFSIGNALED(status):
                detail = f"the worker died of {signal.Signals(os.WTERMSIG(status)).name}"
            else:
                detail = f"the worker exited with status {os.WEXITSTATUS(status)}"
            self.results.append({"index": self.current["start"], "outcome": outcome, "detail": detail,
                                 "spec": self.current["spec"], "overrides": self.current["overrides"]})
            self.indices.remove(self.current["start"])
        return self.indices


def run(specs: int, seed: int, jobs: int, timeout: float) -> list[dict]:
    pending = [list(range(start, min(start + BATCH, specs))) for start in range(0, specs, BATCH)]
    children: list[_Child] = []
    results: list[dict] = []
    while pending or children:
        while pending and len(children) < jobs:
            children.append(_Child(seed, pending.pop(0)))
        ready, _, _ = select.select([c.stream for c in children], [], [], 1.0)
        for child in list(children):
            if child.stream in ready:
                if child.read():
                    continue
                outcome = "crash"  # end of stream: the worker is done, or died on the spec it was on
            elif time.monotonic() - child.last_progress < timeout:
                continue
            else:
                outcome = "hang"
            left = child.stop(outcome, timeout)
            results += child.results
            children.remove(child)
            if left:
                pending.insert(0, left)
    return sorted(results, key=lambda r: r["index"])


def summarize(results: list[dict], specs: int, seed: int, seconds: float, command: str) -> dict:
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result["outcome"]] = outcomes.get(result["outcome"], 0) + 1
    revision = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                              check=False)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    return {
        "command": command, "specs": specs, "seed": seed, "date": time.strftime("%Y-%m-%d"),
        "duration_s": round(seconds), "outcomes": dict(sorted(outcomes.items())),
        "failures": sum(outcomes.get(f, 0) for f in FAILURES),
        "meta_overruled_by_cpu": sum(1 for r in results if r.get("meta overruled")),
        "versions": {"netdsl": revision.stdout.strip() or "unknown", "python": platform.python_version(),
                     **{p: metadata.version(p) for p in ("torch", "lark", "pydantic")}},
        "machine": f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores",
        "first_failures": [r for r in results if r["outcome"] in FAILURES][:20],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--specs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds a worker may spend on one spec")
    parser.add_argument("--report", help="write the JSON report there")
    options = parser.parse_args(argv)
    # torch loads most of itself on its first meta operation: once here, not in every worker.
    torch.nn.Conv2d(1, 1, 1, device="meta")(torch.empty(1, 1, 2, 2, device="meta"))
    start = time.monotonic()
    results = run(options.specs, options.seed, options.jobs, options.timeout)
    command = f"python tests/build_run.py --specs {options.specs} --seed {options.seed} --jobs {options.jobs}"
    report = summarize(results, options.specs, options.seed, time.monotonic() - start, command)
    text = json.dumps(report, indent=1)
    if options.report:
        Path(options.report).write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: report[k] for k in ("specs", "outcomes", "failures", "duration_s")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
