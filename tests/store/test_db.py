"""The SQLite store: migrations, idempotent keys, failed answers replaced, ok answers final."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from medjudge.errors import StoreError
from medjudge.records import Answer, Item, Run, SamplingConfig
from medjudge.store import Store

ITEM = Item(
    benchmark="b", item_id="q1", conversation_id="c1", kind="open", question="Q?",
    language="en",
)
RUN = Run(
    run_id="r1", model="m", benchmark="b", benchmark_path="b.jsonl", benchmark_sha256="x",
    sampling=SamplingConfig(), created_at="2026-01-01T00:00:00+00:00", medjudge_version="0",
)


def answer(status: str, text: str | None = None, error: str | None = None) -> Answer:
    return Answer(run_id="r1", item_id="q1", sample=0, status=status, text=text, error=error)


def test_store_is_wal_and_versioned(tmp_path: Path):
    Store(tmp_path / "s.sqlite").close()
    db = sqlite3.connect(tmp_path / "s.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_items_and_runs_are_idempotent(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        for _ in range(2):
            store.add_items("d", [ITEM])
            store.add_run(RUN, "d")
        assert store.run_items("r1") == [ITEM]
        assert [r.run_id for r in store.runs()] == ["r1"]


def test_failed_answer_is_replaced_by_a_retry_but_ok_is_final(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(RUN, "d")
        store.save_answers([answer("failed", error="HTTP 500")])
        store.save_answers([answer("ok", text="first")])
        store.save_answers([answer("ok", text="second")])
        stored = store.answers("r1")
    assert len(stored) == 1
    assert stored[0].text == "first"


def test_an_ok_answer_without_text_is_refused(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(RUN, "d")
        with pytest.raises(sqlite3.IntegrityError):
            store.save_answers([answer("ok", text=None)])
        assert store.answers("r1") == []


def test_a_file_that_is_not_a_store_gives_a_clear_error(tmp_path: Path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(StoreError, match="notes.txt"):
        Store(bogus)


def test_unknown_run_names_the_runs_that_exist(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(RUN, "d")
        with pytest.raises(StoreError, match="r1"):
            store.run("nope")


OPEN_WHEN_TOLD = """
import os, sys, time
from medjudge.store import Store
while not os.path.exists(sys.argv[2]):  # every process starts, then all open at once
    time.sleep(0.001)
with Store(sys.argv[1]) as store:
    store.runs()
"""


def test_processes_opening_one_new_store_at_once_all_succeed(tmp_path: Path):
    import subprocess
    import sys

    from medjudge.store.migrations import MIGRATIONS

    for round_ in range(3):
        path, go = tmp_path / f"new-{round_}.sqlite", tmp_path / f"go-{round_}"
        children = [
            subprocess.Popen([sys.executable, "-c", OPEN_WHEN_TOLD, str(path), str(go)],
                             stderr=subprocess.PIPE, text=True)
            for _ in range(4)
        ]
        go.touch()
        errors = [child.communicate(timeout=120)[1] for child in children]
        assert [child.returncode for child in children] == [0] * 4, errors
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert db.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0
        db.close()


def test_a_stored_empty_ok_answer_is_replaced_by_a_retry(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(RUN, "d")
        store.save_answers([answer("ok", text=" \n")])  # what older versions stored
        store.save_answers([answer("ok", text="a real answer")])
        assert [a.text for a in store.answers("r1")] == ["a real answer"]
