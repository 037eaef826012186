"""Run leases: one process at a time answers a run (or grades a set of runs with a jury).

Two `medjudge answer` processes on one store would otherwise both send every missing request
(and, with a paid judge, pay twice). A lease is a row in the store's `leases` table: who holds
it (a random token, pid, host), since when, and a heartbeat a thread refreshes every few
seconds. A lease is stale, and taken over, when its heartbeat is older than `stale_after_s`
or its holder's pid is dead on this host. It is released on exit (Ctrl-C included).
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from medjudge.errors import StoreError
from medjudge.store.db import Store
from medjudge.store.lease_queries import LeaseRow

__all__ = ["RunLease", "pid_alive"]

logger = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="microseconds")


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class RunLease:
    """`with RunLease(store_path, "answer:<run_id>"):` holds the lease for the block.

    Another live holder makes entering fail with a StoreError naming its pid, host and start
    (or, with `wait=True`, wait until it is released or goes stale). `clock`, `is_alive`,
    `host` and `pid` are injectable so tests decide staleness without racing a clock.
    """

    def __init__(
        self,
        store_path: str | Path,
        name: str,
        *,
        wait: bool = False,
        stale_after_s: float = 60.0,
        heartbeat_s: float = 5.0,
        poll_s: float = 2.0,
        clock: Callable[[], float] = time.time,
        is_alive: Callable[[int], bool] = pid_alive,
        host: str | None = None,
        pid: int | None = None,
    ) -> None:
        self.store_path = Path(store_path)
        self.name = name
        self.wait = wait
        self.stale_after_s = stale_after_s
        self.heartbeat_s = heartbeat_s
        self.poll_s = poll_s
        self.clock = clock
        self.is_alive = is_alive
        self.host = host or socket.gethostname()
        self.pid = os.getpid() if pid is None else pid
        self.holder = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- staleness -------------------------------------------------------------------------
    def is_stale(self, held: LeaseRow) -> bool:
        """No heartbeat for `stale_after_s`, or a dead pid on this very host."""
        if self.clock() - _seconds(held.heartbeat_at) > self.stale_after_s:
            return True
        return held.host == self.host and not self.is_alive(held.pid)

    # -- taking and releasing -----------------------------------------------------------------
    def acquire(self) -> None:
        while True:  # bounded by the holder: it releases, dies, or stops its heartbeat
            now = _iso(self.clock())
            mine = LeaseRow(name=self.name, holder=self.holder, pid=self.pid, host=self.host,
                            acquired_at=now, heartbeat_at=now)
            with Store(self.store_path) as store:
                held = store.take_lease(mine, self.is_stale)
            if held is None:
                break
            if not self.wait:
                raise StoreError(
                    f"{self.store_path}: {self.name} is being run by another medjudge "
                    f"process (pid {held.pid} on {held.host}, since {held.acquired_at}, last "
                    f"heartbeat {held.heartbeat_at}); wait for it to finish or pass --wait"
                )
            self._stop.wait(self.poll_s)
        self._thread = threading.Thread(target=self._beat, name=f"lease {self.name}",
                                        daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with Store(self.store_path) as store:
            store.release_lease(self.name, self.holder)

    def _beat(self) -> None:
        with Store(self.store_path) as store:
            while not self._stop.wait(self.heartbeat_s):
                try:
                    ours = store.heartbeat_lease(self.name, self.holder, _iso(self.clock()))
                except sqlite3.Error:  # a busy store: the next beat tries again
                    continue
                if not ours:
                    logger.warning(
                        "%s: lease %s was taken over by another process (no heartbeat for "
                        "%g s?); both may now send the same requests", self.store_path,
                        self.name, self.stale_after_s,
                    )
                    return

    def __enter__(self) -> RunLease:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
