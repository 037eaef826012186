"""The store's record of provider batches: intents with their custom ids before submitting,
ids once accepted, results written once per request, and the migration that adds them."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from medjudge.records import Completion
from medjudge.store import Store
from medjudge.store.batch_queries import RequestOutcome
from medjudge.store.migrations import MIGRATIONS

KEYS = [
    '["grade", "r1", "MK-1-1", 0, "openai/gpt-4o", 0, "mk", "1"]',
    '["grade", "r1", "MK-1-2", 0, "openai/gpt-4o", 0, "mk", "1"]',
]


def intent(store: Store, tag: str = "t1", attempt: int = 0):
    return store.add_batch_intent(
        provider="openai",
        model="openai/gpt-4o",
        stage="grade",
        run_ids=["r1"],
        tag=tag,
        structured=True,
        jobs=[(key, attempt) for key in KEYS],
        reserved_usd=0.25,
        created_unix=1000.0,
    )


def test_an_intent_holds_its_custom_ids_before_any_batch_id(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        row, ids = intent(store)
        _, more = intent(store, tag="t2")  # the same jobs in a later batch
        (first, _) = store.batches()
        requests = store.batch_requests(row)
    assert (first.status, first.batch_id, first.requests) == ("submitting", None, 2)
    assert len(set(ids + more)) == 4  # unique in the store, not only in one batch
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cid) for cid in ids + more)
    assert [r.job_key for r in requests] == KEYS and {r.status for r in requests} == {"pending"}


def test_finishing_a_batch_records_each_request_once(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        row, ids = intent(store)
        store.set_batch_submitted(row, "batch_1")
        reply = Completion(text="{}", prompt_tokens=400, completion_tokens=100)
        store.finish_batch(
            row,
            provider_status="completed",
            counts={"total": 2},
            outcomes=[
                RequestOutcome(custom_id=ids[0], completion=reply),
                RequestOutcome(custom_id=ids[1], reason="expired", retryable=True),
                RequestOutcome(custom_id="someone-else", reason="x"),
            ],
            spent_usd=0.001,
            malformed=0,
        )
        # A second finish (another process polled it too) changes no request.
        store.finish_batch(
            row,
            provider_status="completed",
            counts={"total": 2},
            outcomes=[RequestOutcome(custom_id=ids[0], reason="late")],
            spent_usd=0.001,
            malformed=0,
        )
        done = store.batch_requests(row)
        (batch,) = store.batches()
        open_rows = store.open_batch_requests(model="openai/gpt-4o", stage="grade")
        store.close_batch_requests([KEYS[0]])
        left = store.open_batch_requests(model="openai/gpt-4o", stage="grade")
    assert [(r.status, r.reason, r.retryable) for r in done] == [
        ("replied", None, False),
        ("failed", "expired", True),
    ]
    assert done[0].completion == reply
    assert (batch.status, batch.batch_id, batch.spent_usd) == ("ended", "batch_1", 0.001)
    assert len(open_rows) == 2 and [r.job_key for r in left] == [KEYS[1]]


def test_an_abandoned_intent_frees_its_requests(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        row, _ = intent(store)
        store.abandon_batch(row)
        assert store.open_batch_requests(model="openai/gpt-4o", stage="grade") == []
        assert store.batches(unfinished=True) == []
        assert store.known_batch_ids("openai") == frozenset()


def test_a_store_from_before_batches_migrates_and_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    for script in MIGRATIONS[: len(MIGRATIONS) - 1]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    db.execute("INSERT INTO leases VALUES ('grade:x', 'h', 1, 'host', 'a', 'b')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.lease("grade:x").holder == "h"
        row, _ = intent(store)
        assert store.batch(row).tag == "t1"
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    assert version == len(MIGRATIONS)
