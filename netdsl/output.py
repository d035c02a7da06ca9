"""Writing `-o` files (`build`, `render`): a file that cannot be written is an I/O error (exit 2), never
a traceback, and the spec is never overwritten by its own output.

What `-o PATH` does, by what PATH is:
- missing or a regular file: written atomically (a temporary file beside it, then renamed over it), so a
  reader never sees half a file and a failed write leaves the old one. A new file gets the mode the
  umask gives (0644 under umask 022); a replaced file keeps its mode.
- a symlink: followed; the file it points to is replaced as above and the link stays a link.
- a FIFO or a device node (`/dev/null`, `/dev/stdout`): written directly, as `>` in a shell does;
  nothing can be replaced there.
- a directory, or the spec itself (or a file it imports): refused.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable

from .program import InputError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def write_output(path: str, data: bytes, sources: Iterable[str] = ()) -> None:
    """Write data to path as described above; InputError with a one-line reason when it cannot."""
    target = os.path.realpath(path)
    for source in sources:
        if _same_file(source, target):
            raise InputError(f"{path}: is the spec `{source}`; write the output to another file")
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(f"cannot write {path}: is a directory")
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            with open(target, "wb") as stream:
                stream.write(data)
            return
        mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".netdsl-", suffix=".tmp")
    except FileNotFoundError:
        raise InputError(f"cannot write {path}: no such directory {os.path.dirname(target)}") from None
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise InputError(f"cannot write {path}: {error.strerror}") from None
        raise
