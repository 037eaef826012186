"""Run leases: a second process is refused (or waits) while a live one holds the run; a dead
or silent holder is taken over. Real processes hold the leases; staleness uses an injected
clock, never a sleep racing the 60 s limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from medjudge.errors import StoreError
from medjudge.store import Store
from medjudge.store.lease import RunLease

HOLD = """
import sys
from medjudge.store.lease import RunLease
with RunLease(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test closes our stdin
"""


def holder(store: Path, name: str = "answer:r1") -> subprocess.Popen:
    """Another process holding the lease (returns once it is held)."""
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(store), name],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_live_holder_refuses_the_second_process_and_says_who(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    other = holder(store)
    try:
        with pytest.raises(StoreError) as refused, RunLease(store, "answer:r1"):
            pass
        message = str(refused.value)
        assert f"pid {other.pid}" in message and "--wait" in message and "answer:r1" in message
        with RunLease(store, "answer:other-run"):  # other runs are not blocked
            pass
    finally:
        other.communicate("\n", timeout=60)
    with RunLease(store, "answer:r1") as mine:  # released on exit: free again
        with Store(store) as db:
            assert db.lease("answer:r1").pid == os.getpid() == mine.pid
    with Store(store) as db:
        assert db.lease("answer:r1") is None


def test_a_killed_holder_on_this_host_is_taken_over_at_once(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    other = holder(store)
    os.kill(other.pid, signal.SIGKILL)
    other.wait()
    with Store(store) as db:
        assert db.lease("answer:r1").pid == other.pid  # the dead holder's row is still there
    with RunLease(store, "answer:r1"), Store(store) as db:
        assert db.lease("answer:r1").pid == os.getpid()


def test_a_holder_without_heartbeat_for_60_s_is_stale(tmp_path: Path):
    store = tmp_path / "s.sqlite"

    def alive(pid: int) -> bool:  # a holder on another host: its pid cannot be checked
        return True

    first = RunLease(store, "grade:r1|j", clock=lambda: 1000.0, host="gpu-box", is_alive=alive)
    first.acquire()
    try:
        soon = RunLease(store, "grade:r1|j", clock=lambda: 1059.0, is_alive=alive)
        with pytest.raises(StoreError, match="gpu-box"):
            soon.acquire()
        late = RunLease(store, "grade:r1|j", clock=lambda: 1061.0, is_alive=alive)
        late.acquire()
        with Store(store) as db:
            assert db.lease("grade:r1|j").holder == late.holder
            assert not db.heartbeat_lease("grade:r1|j", first.holder, "2026-01-01T00:00:00+00:00")
        late.release()
    finally:
        first.release()  # releasing a lease taken over from us deletes nothing of theirs


def test_wait_takes_the_lease_once_the_holder_finishes(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    other = holder(store)
    got: list[int] = []

    def second() -> None:
        with RunLease(store, "answer:r1", wait=True, poll_s=0.05), Store(store) as db:
            got.append(db.lease("answer:r1").pid)

    waiting = threading.Thread(target=second)
    waiting.start()
    other.communicate("\n", timeout=60)  # the holder finishes and releases
    waiting.join(timeout=120)
    assert not waiting.is_alive() and got == [os.getpid()]
