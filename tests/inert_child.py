"""Runs generated modules and reports anything they do beyond building torch modules (test_injection.py).

Reads a JSON list of {"source", "class", "inputs"} on stdin, and for each: executes the source as
`netdsl.build_module` does, instantiates the class and runs one forward pass on the meta device, with an
audit hook (PEP 578) watching every event raised by code of the generated module itself. The generated
module may import torch and math and nothing else; any other event — a process started, a file opened,
code compiled or executed, a socket, an import — is a payload that ran. Prints a JSON list of problems.
"""

import json
import sys

import torch

from netdsl.builder import exec_source
from netdsl.codegen import Generated

GENERATED = "<netdsl generated"
ALLOWED_IMPORTS = {"torch", "torch.nn", "torch.nn.functional", "math"}
seen: list[str] = []
watching: list[str] = []


def watch(event: str, args: tuple) -> None:
    if watching:  # the frame lookup below raises events of its own
        return
    watching.append(event)
    try:
        caller = sys._getframe(1)
        if caller.f_code.co_filename.startswith(GENERATED) and not (event == "import" and args[0] in ALLOWED_IMPORTS):
            seen.append(f"{event} {str(args)[:200]}")
    except ValueError:  # no Python frame: the event comes from the interpreter itself
        pass
    finally:
        watching.clear()


def run(case: dict) -> list[str]:
    seen.clear()
    generated = Generated(case["source"], {case["class"]: case["class"]})
    try:
        with torch.device("meta"):
            module = exec_source(generated, "injection")
            model = getattr(module, case["class"])()
            model(*(torch.empty(shape) for shape in case["inputs"]))
    except Exception as error:  # noqa: BLE001 — reported, the test fails on it
        seen.append(f"failed to build or run: {type(error).__name__}: {error}")
    return list(seen)


if __name__ == "__main__":
    cases = json.load(sys.stdin)
    torch.empty(1, device="meta") + 1  # torch's lazy imports happen here, before anything is watched
    sys.addaudithook(watch)
    json.dump([run(case) for case in cases], sys.stdout)
