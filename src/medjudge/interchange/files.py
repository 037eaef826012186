"""Writing report and export files atomically: a crash leaves the old file or the new one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["atomic_writer"]


@contextmanager
def atomic_writer(out: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text file to write `out` through: a new file beside it (one file system, so the
    rename is atomic; the umask's permissions), renamed over `out` when the block ends
    without an exception, removed when it raises."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline=newline) as handle:
            yield handle
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
