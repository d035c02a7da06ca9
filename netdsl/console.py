"""The `netdsl` command's entry point (the console script and `python -m netdsl`).

Start-up creates some 20,000 long-lived objects the cyclic garbage collector tracks — modules' dicts,
classes, functions — and it would scan them in its collections during the imports, again in each full
collection after, and once more at exit: 40 M of a cold `netdsl check`'s 603 M instructions
(docs/performance.md). So the command imports its modules with the collector paused, then freezes what
they made (gc.freeze: those objects are never scanned again) and resumes it; at the end it freezes what
the command made too, which the collection at exit would scan for nothing (9 M more). Only here, never
on `import netdsl`: a library user's process keeps its collector as it was.
"""

from __future__ import annotations

import gc


def main() -> int:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        from .cli import main as run
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
    try:
        return run()
    finally:
        # The process is about to exit and free everything: the collection at exit would only scan it.
        # (Every file the command writes is closed by its `with`, never by a collection.)
        gc.freeze()
