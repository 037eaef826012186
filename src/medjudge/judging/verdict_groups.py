"""Verdicts from async judges, written in groups off the event loop.

A group is written in one transaction (its verdicts with the requests that paid for them) by
a `StoreWriter` thread, so the event loop keeps sending requests and reading replies while
SQLite commits. One group is written at a time: while it is, the next one grows, so a slow
disk makes fewer, larger transactions instead of a queue. A crash loses at most the group
being written and the one growing (a rerun asks for them again); an interrupt or an error
elsewhere loses nothing replied: `aclose()` writes every group held. A write that fails fails
the run with the store's path and what to do, and nothing more is written after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from medjudge.errors import StoreError
from medjudge.records import Verdict
from medjudge.store import Store
from medjudge.store.spend_rows import SpendEntry
from medjudge.store.writer import StoreWriter

__all__ = ["SAVE_AFTER_S", "SAVE_EVERY", "VerdictGroups"]

#: A group is written once it holds this many verdicts, or this many seconds after the last.
SAVE_EVERY = 64
SAVE_AFTER_S = 0.25


class VerdictGroups:
    """Verdicts (and spend) held for `writer`, written one group at a time. `stored` is called
    on the event loop with each group's verdicts once they are in the store."""

    def __init__(
        self,
        writer: StoreWriter,
        stored: Callable[[list[Verdict]], None],
        *,
        every: int = SAVE_EVERY,
        after_s: float = SAVE_AFTER_S,
    ) -> None:
        self._writer = writer
        self._stored = stored
        self._every = every
        self._after_s = after_s
        self._verdicts: list[Verdict] = []
        self._spend: list[SpendEntry] = []
        #: Spend of re-asked requests is held: written as soon as the writer is free.
        self._urgent = False
        self._saved_at = time.monotonic()
        self._writing: asyncio.Future[None] | None = None
        #: A write that failed (a StoreError), or the `stored` callback's own error.
        self._failure: BaseException | None = None
        self._timer: asyncio.TimerHandle | None = None

    def add(self, verdicts: Iterable[Verdict], spend: Iterable[SpendEntry | None] = ()) -> None:
        """Hold verdicts with the requests that produced them; write a group when it is due.
        Raises the failure of an earlier write (the run cannot go on storing verdicts)."""
        self._raise_failure()
        self._verdicts.extend(verdicts)
        self._spend.extend(e for e in spend if e is not None)
        if self._due():
            self._write()
        elif self._timer is None and self._held():
            # Written `after_s` from now even if no other verdict comes (a slow judge).
            self._timer = asyncio.get_running_loop().call_later(self._after_s, self._on_time)

    def add_spend(self, spend: Iterable[SpendEntry | None]) -> None:
        """Requests whose reply was re-asked (no verdict yet): written with the next group,
        which is written as soon as the writer is free, so a crash loses as few as can be."""
        self._raise_failure()
        entries = [e for e in spend if e is not None]
        if entries:
            self._spend.extend(entries)
            self._urgent = True
            self._write()

    async def aclose(self) -> None:
        """Write every group held and wait for it; raise a write's failure."""
        while self._failure is None and (self._writing is not None or self._held()):
            if self._writing is None:
                self._write()
            if self._writing is not None:
                await asyncio.wait([self._writing])
        self._raise_failure()

    # -- inside --------------------------------------------------------------------------------
    def _on_time(self) -> None:
        self._timer = None
        self._write()

    def _held(self) -> bool:
        return bool(self._verdicts or self._spend)

    def _due(self) -> bool:
        return self._urgent or len(self._verdicts) >= self._every or (
            self._held() and time.monotonic() - self._saved_at >= self._after_s
        )

    def _write(self) -> None:
        if self._writing is not None or self._failure is not None or not self._held():
            return  # one group at a time: the one held grows until the writer is free
        verdicts, self._verdicts = self._verdicts, []
        spend, self._spend = self._spend, []
        self._urgent = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._saved_at = time.monotonic()

        def save(store: Store) -> None:
            store.save_verdicts(verdicts, spend=spend)

        future = asyncio.wrap_future(self._writer.submit(save))
        self._writing = future
        future.add_done_callback(lambda done: self._written(done, verdicts, len(spend)))

    def _written(self, done: asyncio.Future[None], verdicts: list[Verdict], paid: int) -> None:
        self._writing = None
        exc = None if done.cancelled() else done.exception()
        if done.cancelled() or exc is not None:
            reason = "the write was cancelled" if exc is None else f"{type(exc).__name__}: {exc}"
            failure = StoreError(
                f"{self._writer.path}: could not store {len(verdicts)} verdicts and {paid}"
                f" judge requests ({reason}). Verdicts stored before are kept; fix the"
                " cause (disk space, file permissions, another program changing the store)"
                " and run the same command again: it asks only for the verdicts missing."
            )
            failure.__cause__ = exc
            self._failure = failure
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        try:
            self._stored(verdicts)
        except Exception as error:  # noqa: BLE001 (raised to the run by the next add or aclose)
            self._failure = error
            return
        if self._due():
            self._write()
        elif self._held() and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._after_s, self._on_time)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
