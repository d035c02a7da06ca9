"""How long a re-check takes through `netdsl lsp`: the time from a didChange to its publishDiagnostics,
less the debounce delay, for a few specs (medians of 20 edits each). Run: python benchmarks/lsp_recheck.py"""

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from lsp_client import LspClient

from netdsl.lsp.server import DEBOUNCE_S


def main() -> None:
    client = LspClient(ROOT)
    client.request("initialize", {"processId": None, "rootUri": ROOT.as_uri(), "capabilities": {}})
    client.notify("initialized", {})
    for name in ("lenet.net", "resnet18.net", "unet.net"):
        path = ROOT / "specs" / name
        uri, text = path.as_uri(), path.read_text()
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "netdsl", "version": 1,
                                                                "text": text}})
        client.diagnostics(uri, 1)
        times = []
        for version in range(2, 22):
            edited = text + "\n" * (version % 2)
            start = time.perf_counter()
            client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [{"text": edited}]})
            client.diagnostics(uri, version)
            times.append(time.perf_counter() - start - DEBOUNCE_S)
        print(f"{name:14} warm re-check through the server: median {statistics.median(times) * 1000:.1f} ms "
              f"(min {min(times) * 1000:.1f} ms) over {len(times)} edits")
    client.close()


if __name__ == "__main__":
    main()
