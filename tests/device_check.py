"""The GPU check, for a machine with CUDA (CI has none, so this is not part of the suite):
1. every network of every spec in specs/: the generated module, imported from its source file, computes on
   CUDA what it computes on the CPU (eval mode, TF32 off), runs backward there, and computes the same again
   under torch.compile (fullgraph first; a graph break is reported, then compiled without fullgraph);
2. specs written in torchvision's layout compute what torchvision's own model computes on the same weights;
3. torchvision's models imported by `netdsl import` build modules with the original's parameter count that
   compute the original's outputs on its weights; a model the importer refuses is reported with its reasons.

    PYTHONPATH=. python tests/device_check.py --out report.json [--deadline 420] [--device cuda]

Prints one line per case and writes a JSON report; exits 1 if any case disagrees or crashes."""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from spec_modules import (  # noqa: E402
    binding,
    checked,
    emitted_module,
    expected_shape,
    networks,
    random_inputs,
    with_weights_of,
)
from torch.utils._pytree import tree_leaves  # noqa: E402

import netdsl  # noqa: E402
from netdsl.importing import ImportFailed, import_model  # noqa: E402

TOLERANCE = dict(rtol=1e-3, atol=1e-4)
# spec file → torchvision model in the same layout (same state_dict shapes, in order)
TORCHVISION_TWINS = {"resnet18.net": "resnet18", "alexnet_imagenet.net": "alexnet", "vgg16.net": "vgg16",
                     "mobilenet_v2.net": "mobilenet_v2"}
# torchvision model → its keyword arguments (the auxiliary heads, unused in eval mode, left out) and image size
IMPORTED = {name: ({}, 224) for name in (
    "resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "alexnet", "vgg11_bn", "squeezenet1_1",
    "mobilenet_v2", "mobilenet_v3_small", "mnasnet0_5", "shufflenet_v2_x0_5", "densenet121", "efficientnet_b0",
    "regnet_x_400mf", "regnet_y_400mf", "convnext_tiny", "vit_b_16", "swin_t", "maxvit_t")}
IMPORTED.update(googlenet=(dict(aux_logits=False, init_weights=False), 224),
                inception_v3=(dict(aux_logits=False, init_weights=False), 299))


def leaves(output) -> list[torch.Tensor]:
    return [t for t in tree_leaves(output) if isinstance(t, torch.Tensor)]


def difference(a, b) -> float:
    """The largest |a - b| over every output tensor, relative to the largest |b| (0 when equal)."""
    pairs = list(zip(leaves(a), leaves(b), strict=True))
    for x, y in pairs:
        torch.testing.assert_close(x.float().cpu(), y.float().cpu(), **TOLERANCE)
    scale = max((y.detach().float().abs().max().item() for _, y in pairs if y.numel()), default=1.0) or 1.0
    return max((float((x.detach().float().cpu() - y.detach().float().cpu()).abs().max()) / scale
                for x, y in pairs if x.numel()), default=0.0)


class Report:
    def __init__(self, path: Path):
        self.path, self.cases, self.started = path, [], time.monotonic()

    def add(self, section: str, name: str, outcome: str, **details) -> None:
        self.cases.append(dict(section=section, name=name, outcome=outcome, **details))
        shown = ", ".join(f"{k}={v}" for k, v in details.items() if k != "trace")
        print(f"[{time.monotonic() - self.started:6.1f}s] {section:<12} {name:<40} {outcome:<10} {shown}", flush=True)
        self.write()

    def write(self) -> None:
        summary = {}
        for case in self.cases:
            summary.setdefault(case["section"], {}).setdefault(case["outcome"], 0)
            summary[case["section"]][case["outcome"]] += 1
        environment = dict(torch=torch.__version__, cuda=torch.version.cuda, netdsl=netdsl.__version__,
                           device=torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu")
        self.path.write_text(json.dumps(dict(environment=environment, summary=summary, cases=self.cases), indent=1))

    @property
    def failed(self) -> bool:
        return any(case["outcome"] in ("differs", "crashed") for case in self.cases)


def generated_specs(report: Report, device: str, directory: Path) -> list:
    """CPU against CUDA for every network; returns (name, module, inputs, output) of those that agree."""
    agreed = []
    for spec, network in networks():
        name = f"{spec.name}:{network}"
        try:
            graph, sizes = checked(spec, network), binding(spec, network)
            torch.manual_seed(0)
            module = emitted_module(spec, network, directory).eval()
            inputs = random_inputs(graph, sizes)
            with torch.no_grad():
                on_cpu = module(*inputs)
            module.to(device)
            inputs = [t.to(device) for t in inputs]
            with torch.no_grad():
                on_device = module(*inputs)
            shapes = [tuple(t.shape) for t in leaves(on_device)]
            assert shapes[0] == expected_shape(graph, sizes), (shapes, expected_shape(graph, sizes))
            relative = difference(on_device, on_cpu)
            # backward in training mode (cuDNN's RNNs have none in eval mode), on a copy: batch norm's
            # running statistics must stay those the compiled module is compared on
            trained = copy.deepcopy(module).train()
            floating = [t for t in leaves(trained(*inputs)) if t.is_floating_point() and t.requires_grad]
            if floating:
                sum(t.sum() for t in floating).backward()
            report.add("cuda", name, "agrees", relative=f"{relative:.1e}", backward=bool(floating))
            agreed.append((name, module, inputs, on_device))
        except Exception as error:   # noqa: BLE001 - every failure is a reported case
            report.add("cuda", name, "differs" if isinstance(error, AssertionError) else "crashed",
                       error=f"{type(error).__name__}: {error}"[:400], trace=traceback.format_exc()[-2000:])
    return agreed


def compiled(report: Report, agreed: list, deadline: float) -> None:
    """torch.compile of each module that agreed on CUDA: fullgraph, or a reported graph break."""
    for name, module, inputs, on_device in agreed:
        if time.monotonic() - report.started > deadline:
            report.add("compile", name, "skipped", reason="past the deadline")
            continue
        started = time.monotonic()
        try:
            mode = "fullgraph"
            try:
                with torch.no_grad():
                    output = torch.compile(module, fullgraph=True)(*inputs)
            except Exception as graph_break:   # noqa: BLE001
                mode = f"graph break: {type(graph_break).__name__}: {str(graph_break).splitlines()[0][:200]}"
                torch._dynamo.reset()
                with torch.no_grad():
                    output = torch.compile(module)(*inputs)
            relative = difference(output, on_device)
            report.add("compile", name, "agrees", relative=f"{relative:.1e}", mode=mode,
                       seconds=round(time.monotonic() - started, 1))
        except Exception as error:   # noqa: BLE001
            report.add("compile", name, "differs" if isinstance(error, AssertionError) else "crashed",
                       error=f"{type(error).__name__}: {error}"[:400], trace=traceback.format_exc()[-2000:])
        torch._dynamo.reset()


def torchvision_twins(report: Report, device: str, directory: Path) -> None:
    import torchvision
    for spec, network in networks():
        if spec.name not in TORCHVISION_TWINS:
            continue
        name = f"{spec.name} = torchvision {TORCHVISION_TWINS[spec.name]}"
        try:
            torch.manual_seed(0)
            theirs = getattr(torchvision.models, TORCHVISION_TWINS[spec.name])(weights=None).eval().to(device)
            ours = with_weights_of(emitted_module(spec, network, directory).to(device), theirs).eval()
            x = torch.randn(2, 3, 224, 224, device=device)
            with torch.no_grad():
                relative = difference(ours(x), theirs(x))
            report.add("torchvision", name, "agrees", relative=f"{relative:.1e}",
                       params=sum(p.numel() for p in ours.parameters()))
        except Exception as error:   # noqa: BLE001
            report.add("torchvision", name, "differs" if isinstance(error, AssertionError) else "crashed",
                       error=f"{type(error).__name__}: {error}"[:400], trace=traceback.format_exc()[-2000:])


def imported_models(report: Report, device: str) -> None:
    import torchvision
    for model_name, (keywords, size) in IMPORTED.items():
        started = time.monotonic()
        try:
            torch.manual_seed(0)
            original = getattr(torchvision.models, model_name)(weights=None, **keywords).eval()
            try:
                imported = import_model(original, f"[N, 3, {size}, {size}]", source=f"torchvision.models.{model_name}")
            except ImportFailed as refused:
                report.add("import", model_name, "refused", reasons=[str(p)[:300] for p in refused.problems[:4]],
                           count=len(refused.problems))
                continue
            analysis = netdsl.check_text(imported.text)
            assert analysis.ok, [d.message for d in analysis.diagnostics.items][:3]
            built = netdsl.build_module(imported.text, max_params=10**9).eval()
            count = sum(p.numel() for p in built.parameters())
            assert count == sum(p.numel() for p in original.parameters()), count
            built.load_state_dict(imported.state_dict(original))
            built.to(device), original.to(device)
            x = torch.randn(2, 3, size, size, device=device)
            with torch.no_grad():
                relative = difference(built(x), original(x))
            report.add("import", model_name, "agrees", relative=f"{relative:.1e}", params=count,
                       lines=imported.text.count("\n"), seconds=round(time.monotonic() - started, 1))
        except Exception as error:   # noqa: BLE001
            report.add("import", model_name, "differs" if isinstance(error, AssertionError) else "crashed",
                       error=f"{type(error).__name__}: {error}"[:400], trace=traceback.format_exc()[-2000:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--deadline", type=float, default=420,
                        help="seconds from the start after which no further torch.compile is started")
    parser.add_argument("--sections", default="cuda,torchvision,import,compile")
    options = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    report = Report(options.out)
    sections = options.sections.split(",")
    with tempfile.TemporaryDirectory() as directory:
        agreed = generated_specs(report, options.device, Path(directory)) if "cuda" in sections else []
        if "torchvision" in sections:
            torchvision_twins(report, options.device, Path(directory))
        if "import" in sections:
            imported_models(report, options.device)
        if "compile" in sections:
            compiled(report, agreed, options.deadline)
    report.write()
    print(json.dumps(json.loads(options.out.read_text())["summary"]))
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
