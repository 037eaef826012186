"""The audit page's reads (store/queries.py): answers come back as the records that were saved,
the connection cannot write, the queue's SQL uses migration 4's indexes, and "reviewed" counts
only the actions it is given."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from support.audit_data import JUDGES, RUN_ID, build_store, make_items

from medjudge.records import AnswerKey, Audit
from medjudge.store import Store
from medjudge.store.queries import (
    AnswerFilter,
    audits_by,
    connect,
    facets,
    item_record,
    items_signature,
    next_in_queue,
    queue_counts,
    request_seen,
    stored_answer,
    verdicts_on,
)

N = 12


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = build_store(tmp_path / "store.sqlite", answers=N)
    with Store(path) as db:
        db.add_reviewer("alice", "a" * 64)
        db.add_reviewer("bob", "b" * 64)
    return path


def audit(item_id: str, reviewer: str, action: str, **fields: object) -> Audit:
    return Audit(run_id=RUN_ID, item_id=item_id, sample=0, reviewer=reviewer, action=action,
                 mode="blind" if action == "blind_rating" else "review",
                 created_at="2026-01-02T00:00:00+00:00", **fields)


def test_the_connection_reads_but_cannot_write(store: Path) -> None:
    with closing(connect(store)) as db:
        assert db.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == N
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute("DELETE FROM audits")


def test_an_answer_comes_back_as_saved_with_its_runs_model(store: Path) -> None:
    first = make_items(N)[0]
    with Store(store) as db:
        saved = next(a for a in db.answers(RUN_ID) if a.item_id == first.item_id)
    key = AnswerKey(run_id=RUN_ID, item_id=first.item_id)
    with closing(connect(store)) as db:
        found = stored_answer(db, key)
        assert found is not None
        assert (found.answer, found.model, found.dataset) == (saved, "demo-model", "d" * 64)
        assert item_record(db, found.dataset, first.item_id) == first
        assert stored_answer(db, key.model_copy(update={"sample": 1})) is None
        assert item_record(db, found.dataset, "no-such-item") is None


def test_verdicts_on_an_answer_are_its_own_in_judge_order(store: Path) -> None:
    key = AnswerKey(run_id=RUN_ID, item_id=make_items(N)[1].item_id)
    with closing(connect(store)) as db:
        verdicts = verdicts_on(db, key)
    assert [v.judge for v in verdicts] == sorted(JUDGES)
    assert {(v.run_id, v.item_id, v.sample) for v in verdicts} == {(RUN_ID, key.item_id, 0)}


def test_audits_by_are_this_reviewers_on_this_answer_oldest_first(store: Path) -> None:
    one, other = (item.item_id for item in make_items(N)[:2])
    with Store(store) as db:
        db.save_audit(audit(one, "alice", "comment", comment="first"), request_id="r1")
        db.save_audit(audit(one, "bob", "comment", comment="bob's"))
        db.save_audit(audit(other, "alice", "comment", comment="elsewhere"))
        db.save_audit(audit(one, "alice", "comment", comment="second"))
    with closing(connect(store)) as db:
        mine = audits_by(db, AnswerKey(run_id=RUN_ID, item_id=one), "alice")
        assert [a.comment for a in mine] == ["first", "second"]
        assert request_seen(db, "r1") and not request_seen(db, "r2")


def test_reviewed_counts_only_the_actions_given(store: Path) -> None:
    one = make_items(N)[0].item_id
    with Store(store) as db:
        db.save_audit(audit(one, "alice", "comment", comment="looked at it"))
    with closing(connect(store)) as db:
        assert queue_counts(db, "alice", AnswerFilter(), ("comment",)).reviewed == 1
        assert queue_counts(db, "alice", AnswerFilter(), ("blind_rating",)).reviewed == 0
        assert queue_counts(db, "bob", AnswerFilter(), ("comment",)).reviewed == 0
        assert queue_counts(db, "alice", AnswerFilter(), ("comment",)).total == N
        # Not yet reviewed by alice with a comment: the first answer is skipped.
        unreviewed = AnswerFilter(unreviewed=True)
        assert next_in_queue(db, "alice", unreviewed, ("comment",)).item_id != one
        assert next_in_queue(db, "alice", AnswerFilter(), ("comment",)).item_id == one


def test_facets_and_the_items_signature_follow_the_stored_items(store: Path) -> None:
    items = make_items(N)
    with closing(connect(store)) as db:
        found, before = facets(db), items_signature(db)
    assert found.runs == (RUN_ID,)
    assert found.categories == tuple(sorted({i.category for i in items if i.category}))
    assert found.languages == tuple(sorted({i.language for i in items}))
    assert found.levels == tuple(sorted({i.level for i in items if i.level}))
    with Store(store) as db:
        db.add_items("d" * 64, make_items(N + 4)[N:])
    with closing(connect(store)) as db:
        assert items_signature(db) != before


def test_the_queue_reads_verdicts_through_migration_4s_indexes(store: Path) -> None:
    with closing(connect(store)) as db:
        statements: list[str] = []
        db.set_trace_callback(statements.append)
        queue_counts(db, "alice", AnswerFilter(risk="serious"), ("blind_rating",))
        db.set_trace_callback(None)
        plan = " | ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statements[-1]}"))
    assert "COVERING INDEX verdicts_for_queue" in plan
    assert "INDEX verdicts_by_risk" in plan
    assert "INDEX audits_by_reviewer" in plan
