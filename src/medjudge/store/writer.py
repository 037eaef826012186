"""A store's writes on a thread of their own: one thread, its own SQLite connection (WAL),
the writes run one at a time in the order they were submitted.

An event loop that commits on its own thread stops every coroutine while SQLite writes (and,
every thousand pages, checkpoints the WAL into the database file); handed to this thread,
the commit waits for the disk while the loop goes on sending requests and reading replies.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from medjudge.store.db import Store

__all__ = ["StoreWriter"]

T = TypeVar("T")


class StoreWriter:
    """`writer.submit(lambda store: store.save_verdicts(...))` runs the write on the writer's
    thread and returns its `Future` (the write's result, or the exception it raised).
    `close()` waits for every write submitted, then closes the thread's connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="medjudge-store")
        self._store: Store | None = None  # opened on the writer's thread, used only there
        self._closed = False

    def submit(self, write: Callable[[Store], T]) -> Future[T]:
        if self._closed:
            raise RuntimeError(f"{self.path}: the store writer is closed")
        return self._thread.submit(self._run, write)

    def _run(self, write: Callable[[Store], T]) -> T:
        if self._store is None:  # a sqlite3 connection belongs to the thread that opened it
            self._store = Store(self.path)
        return write(self._store)

    def close(self) -> None:
        """Wait for the writes submitted, then close the connection (on its own thread)."""
        if self._closed:
            return
        self._closed = True
        self._thread.submit(self._close_store)
        self._thread.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
