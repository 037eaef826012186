"""`medjudge score --workers`: the same table for any number of worker processes, and a
number that makes no sense ends in one line and a non-zero exit, with nothing stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.records import Answer, Item, Run, SamplingConfig
from medjudge.store import Store

runner = CliRunner()
RUN = "r1"
OPTIONS = {"A": "Propofol", "B": "Ketamine", "C": "Etomidate", "D": "Midazolam"}
REPLIES = ("Answer: C", "B", "Etomidate is best in shock.", "I cannot answer that.")


def _store(path: Path) -> Path:
    items = [Item(benchmark="anesbench", item_id=f"q{i:03d}", conversation_id=f"q{i:03d}",
                  kind="mcq", question="Induction agent in septic shock?", language="en",
                  options=OPTIONS, answer_key="C", level="1") for i in range(40)]
    with Store(path) as store:
        store.add_items("a" * 64, items)
        store.add_run(Run(run_id=RUN, model="m", benchmark="anesbench",
                          benchmark_path="anesbench.json", benchmark_sha256="b" * 64,
                          sampling=SamplingConfig(), created_at="2026-01-01T00:00:00+00:00",
                          medjudge_version="0"), "a" * 64)
        store.save_answers(Answer(run_id=RUN, item_id=it.item_id, status="ok",
                                  text=REPLIES[i % len(REPLIES)]) for i, it in enumerate(items))
    return path


def _rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT item_id, sample, choice, rule, strict_choice, strict_rule"
                          " FROM mcq_scores ORDER BY item_id, sample").fetchall()


def test_two_workers_print_and_store_what_one_does(tmp_path: Path) -> None:
    # (one page here; pages in worker processes are tested in tests/test_mcq_scoring.py)
    one, two = _store(tmp_path / "one.sqlite"), _store(tmp_path / "two.sqlite")
    first = runner.invoke(app, ["score", "--store", str(one), "--workers", "1"])
    second = runner.invoke(app, ["score", "--store", str(two), "--workers", "2"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert first.output == second.output
    # 40 answers: 10 each of C (marker), B (wrong), C (option text), none (refusal)
    assert "20" in first.output and "50.0%" in first.output and "25.0%" in first.output
    assert _rows(one) == _rows(two) and len(_rows(one)) == 40


def test_zero_workers_is_a_clear_error_and_stores_nothing(tmp_path: Path) -> None:
    path = _store(tmp_path / "s.sqlite")
    result = runner.invoke(app, ["score", "--store", str(path), "--workers", "0"])
    assert result.exit_code != 0
    assert "workers = 0" in result.output and "Traceback" not in result.output
    assert _rows(path) == []
