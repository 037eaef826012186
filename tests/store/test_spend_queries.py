"""The spend ledger in a real SQLite store: a request is counted once whatever is written
twice, aggregates match hand sums, unpriced requests are counted apart, and a store made
before the ledger is backfilled from its verdicts and answers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from medjudge.records import Run, SamplingConfig
from medjudge.store import Store
from medjudge.store.migrations import MIGRATIONS
from medjudge.store.spend_rows import SpendEntry


def entry(key: str, **fields) -> SpendEntry:
    base = {
        "request_key": key,
        "run_id": "r1",
        "stage": "grade",
        "model": "openai/gpt-4o",
        "item_id": "q1",
        "sample": 0,
        "created_at": "2026-12-01T00:00:00+00:00",
    }
    return SpendEntry(**(base | fields))


def add_run(store: Store, run_id: str, model: str) -> None:
    store.add_run(
        Run(
            run_id=run_id,
            model=model,
            benchmark="b",
            benchmark_path="b.json",
            benchmark_sha256="0" * 64,
            samples=1,
            sampling=SamplingConfig(),
            created_at="2026-12-01T00:00:00+00:00",
            medjudge_version="0",
        ),
        "d",
    )


def test_a_request_recorded_twice_is_counted_once(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        add_run(store, "r1", "openai/gpt-4o")
        once = entry("grade:1:q1:0", prompt_tokens=100, completion_tokens=10, cost_usd=0.00035)
        store.record_spend([once])
        store.record_spend([once])  # a rerun writing the same request again
        store.save_verdicts([], spend=[once])
        (tally,) = store.spend_tallies()
    assert (tally.requests, tally.prompt_tokens, tally.cost_usd) == (1, 100, 0.00035)


def test_tallies_sum_per_run_stage_and_model_and_count_the_unpriced(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        add_run(store, "r1", "openai/gpt-4o")
        add_run(store, "r2", "openai/gpt-4o")
        store.record_spend(
            [
                entry("a1", stage="answer", prompt_tokens=10, completion_tokens=5, cost_usd=0.25),
                entry("a2", stage="answer", prompt_tokens=20, completion_tokens=5, cost_usd=0.5),
                entry("g1", model="judge-x", prompt_tokens=7, completion_tokens=3),  # unpriced
                entry("g2", model="judge-x", prompt_tokens=1, completion_tokens=1, cost_usd=1.0),
                entry("other", run_id="r2", cost_usd=9.0),
            ]
        )
        tallies = store.spend_tallies(["r1"])
    assert [(t.stage, t.model) for t in tallies] == [
        ("answer", "openai/gpt-4o"),
        ("grade", "judge-x"),
    ]
    answer, judge = tallies
    assert (answer.requests, answer.prompt_tokens, answer.completion_tokens) == (2, 30, 10)
    assert answer.cost_usd == pytest.approx(0.75) and answer.unpriced == 0
    assert (judge.requests, judge.cost_usd, judge.unpriced) == (2, 1.0, 1)


def test_spent_counts_unpriced_requests_at_the_price_given_now(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        add_run(store, "r1", "openai/gpt-4o")
        store.record_spend(
            [
                entry("g1", model="judge-x", cost_usd=0.01),
                # 1,000 in + 500 out recorded unpriced; at $2 / $4 per M now:
                # (1000 × 2 + 500 × 4) / 1e6 = 0.004.
                entry("g2", model="judge-x", prompt_tokens=1000, completion_tokens=500),
                entry("g3", model="judge-y", cost_usd=5.0),  # another judge: not counted
                entry("a1", model="judge-x", stage="answer", cost_usd=5.0),  # another stage
            ]
        )
        spent = store.spent_usd("grade", ["r1"], {"judge-x": (2.0, 4.0)})
        unpriced = store.spent_usd("grade", ["r1"], {"judge-x": None})
    assert spent == pytest.approx(0.014)
    assert unpriced == pytest.approx(0.01)


def _old_store(path: Path) -> None:
    """A store at the schema just before the ledger, with one answer run and a verdict."""
    version = next(n for n, sql in enumerate(MIGRATIONS) if "CREATE TABLE spend" in sql)
    db = sqlite3.connect(path)
    for sql in MIGRATIONS[:version]:
        db.executescript(sql)
    db.execute(f"PRAGMA user_version = {version}")
    runs = [
        ("r-api", "openai/gpt-4o-2024-08-06"),
        ("r-local", "vllm/Qwen/Qwen2.5-7B"),
        ("r-new", "openai/gpt-9"),
    ]
    for run_id, model in runs:
        db.execute(
            "INSERT INTO runs (run_id, model, benchmark, benchmark_path, benchmark_sha256,"
            " dataset_sha256, samples, sampling, created_at, medjudge_version)"
            " VALUES (?, ?, 'b', 'b.json', ?, 'd', 1, '{}', 't', '0')",
            (run_id, model, "0" * 64),
        )
        db.execute(
            "INSERT INTO answers (run_id, item_id, sample, status, text, messages,"
            " prompt_tokens, completion_tokens, created_at)"
            " VALUES (?, 'q1', 0, 'ok', 'x', '[]', 1234, 567, 't')",
            (run_id,),
        )
    record = {"cost_usd": 0.0125, "prompt_tokens": 3000, "completion_tokens": 500}
    db.execute(
        "INSERT INTO verdicts (run_id, item_id, sample, judge, judge_run, rubric_id,"
        " rubric_version, prompt_hash, status, final_score, judge_score, capped, record,"
        " created_at) VALUES ('r-api', 'q1', 0, 'openai/gpt-4o', 0, 'r', '1', 'h',"
        " 'scored', 4, 4, 0, ?, 't')",
        (json.dumps(record),),
    )
    db.commit()
    db.close()


def test_an_old_store_is_backfilled_from_its_verdicts_and_answers(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    _old_store(path)
    with Store(path) as store:
        version = store._db.execute("PRAGMA user_version").fetchone()[0]
        tallies = {(t.run_id, t.stage): t for t in store.spend_tallies()}
        entries = store.spend_entries("r-api")
    assert version == len(MIGRATIONS)
    # The dated gpt-4o snapshot at gpt-4o's list price then: 1,234 in + 567 out at
    # $2.50 / $10 per M = (3,085 + 5,670) / 1e6 = $0.008755.
    assert tallies[("r-api", "answer")].cost_usd == pytest.approx(0.008755)
    assert tallies[("r-local", "answer")].cost_usd == 0.0  # a local engine is free
    unknown = tallies[("r-new", "answer")]
    assert (unknown.cost_usd, unknown.unpriced, unknown.prompt_tokens) == (0.0, 1, 1234)
    judged = tallies[("r-api", "grade")]
    assert (judged.requests, judged.prompt_tokens, judged.cost_usd) == (1, 3000, 0.0125)
    answer_row = next(e for e in entries if e.stage == "answer")
    assert (answer_row.input_per_mtok, answer_row.output_per_mtok) == (2.5, 10.0)
    assert {e.request_key.split(":")[0] for e in entries} == {"backfill"}
