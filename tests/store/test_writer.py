"""The store writer: writes run on a thread of their own, in the order submitted; `close()`
leaves every submitted write in the store; a write that fails says so in its future."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from medjudge.answering import plan_run
from medjudge.benchmarks import load
from medjudge.errors import StoreError
from medjudge.records import SamplingConfig
from medjudge.store import Store, utc_now
from medjudge.store.spend_rows import SpendEntry
from medjudge.store.writer import StoreWriter


def store_with_a_run(path: Path) -> str:
    bench = load("sample:llmeval-med")
    run = plan_run(model="m", benchmark=bench.name, benchmark_path=bench.path,
                   benchmark_sha256=bench.sha256, items=bench.items[:1],
                   sampling=SamplingConfig(), samples=1)
    with Store(path) as store:
        store.add_items("d", bench.items[:1])
        store.add_run(run, "d")
    return run.run_id


def entry(run_id: str, number: int) -> SpendEntry:
    return SpendEntry(request_key=f"r{number}", run_id=run_id, stage="grade", model="judge",
                      item_id=f"item-{number}", sample=0, created_at=utc_now())


def test_every_write_submitted_is_stored_in_order_once_closed(tmp_path: Path):
    path = tmp_path / "s.sqlite"
    run_id = store_with_a_run(path)
    writer = StoreWriter(path)
    threads = [writer.submit(lambda store: threading.get_ident()) for _ in range(2)]
    writes = [
        writer.submit(lambda store, n=number: store.record_spend([entry(run_id, n)]))
        for number in range(50)
    ]
    writer.close()
    assert all(w.done() and w.exception() is None for w in writes)
    with Store(path) as store:
        keys = [e.request_key for e in store.spend_entries()]
    assert keys == [f"r{n}" for n in range(50)]
    # One thread for every write, and not the caller's (its connection is its own).
    assert len({t.result() for t in threads}) == 1
    assert threads[0].result() != threading.get_ident()
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(lambda store: None)


def test_a_write_that_fails_reports_it_and_the_writes_after_it_still_run(tmp_path: Path):
    path = tmp_path / "s.sqlite"
    Store(path).close()
    writer = StoreWriter(path)
    first = writer.submit(lambda store: store.add_reviewer("ana", "h1"))
    again = writer.submit(lambda store: store.add_reviewer("ana", "h2"))
    other = writer.submit(lambda store: store.add_reviewer("ben", "h3"))
    writer.close()
    assert first.result().name == "ana" and other.result().name == "ben"
    with pytest.raises(StoreError, match="already exists"):
        again.result()
    with Store(path) as store:
        assert [r.name for r in store.reviewers()] == ["ana", "ben"]
