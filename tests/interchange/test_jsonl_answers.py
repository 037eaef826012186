"""Importing answers made elsewhere in medjudge's JSONL answer format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.benchmarks import load
from medjudge.cli.main import app
from medjudge.errors import DatasetError
from medjudge.interchange.jsonl_answers import import_jsonl_answers
from medjudge.store import Store

runner = CliRunner()


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_history_is_rebuilt_from_the_imported_earlier_turns(tmp_path: Path):
    bench = load("sample:llmeval-med")
    rows = [{"id": i.item_id, "answer": f"A{i.turn}"} for i in bench.items
            if i.conversation_id == "MK-1"]
    imported = import_jsonl_answers(write(tmp_path / "a.jsonl", rows), bench, model="x")
    third = next(a for a in imported.answers if a.item_id == "MK-1-3")
    assert [m.content for m in third.messages if m.role == "assistant"] == ["A1", "A2"]
    assert len(imported.answers) == 3 and imported.run.model == "x"


def test_a_later_turn_without_its_earlier_turn_is_refused(tmp_path: Path):
    bench = load("sample:llmeval-med")
    with pytest.raises(DatasetError, match="MK-1-2"):
        import_jsonl_answers(write(tmp_path / "a.jsonl", [{"id": "MK-1-2", "answer": "x"}]),
                             bench, model="x")


def test_unknown_ids_and_fields_name_the_line(tmp_path: Path):
    bench = load("sample:llmeval-med")
    bad_id = write(tmp_path / "a.jsonl", [{"id": "MK-1-1", "answer": "x"},
                                          {"id": "nope", "answer": "y"}])
    with pytest.raises(DatasetError, match=r"line 2.*'id'"):
        import_jsonl_answers(bad_id, bench, model="x")
    typo = write(tmp_path / "b.jsonl", [{"id": "MK-1-1", "answr": "x"}])
    with pytest.raises(DatasetError, match="answr"):
        import_jsonl_answers(typo, bench, model="x")


def test_cli_import_then_score(tmp_path: Path):
    bench = load("sample:anesbench")
    rows = [{"id": i.item_id, "answer": f"Answer: {i.answer_key}"} for i in bench.items]
    path = write(tmp_path / "mcq.jsonl", rows)
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["import", "answers", str(path), "--benchmark",
                                 "sample:anesbench", "--model", "oracle", "--store", str(store)])
    assert result.exit_code == 0, result.output
    scored = runner.invoke(app, ["score", "--store", str(store)])
    assert scored.exit_code == 0, scored.output
    with Store(store) as db:
        scores = db.mcq_scores(db.runs()[0].run_id)
    assert len(scores) == len(bench.items) and all(s.correct for s in scores)


def _anesbench(tmp_path: Path) -> Path:
    """Two records in AnesBench's own schema (uuid ids, bilingual fields)."""
    rows = []
    for n, answer in enumerate(("B", "A")):
        rows.append({
            "id": f"6f1c9a2e-0000-4000-8000-00000000000{n}", "choice_num": 2,
            "answer": answer, "level": n + 1,
            "en_question": f"Question {n}?", "en_A": "yes", "en_B": "no",
            "zh_question": f"问题 {n}？", "zh_A": "是", "zh_B": "否",
        })
    return write(tmp_path / "anesbench.jsonl", rows)


def test_anesbench_answers_may_use_the_benchmarks_own_id(tmp_path: Path):
    bench_file = _anesbench(tmp_path)
    answers = write(tmp_path / "answers.jsonl", [
        {"id": "6f1c9a2e-0000-4000-8000-000000000000", "answer": "答案: B"},
        {"id": "6f1c9a2e-0000-4000-8000-000000000001", "answer": "答案: A"},
    ])
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["import", "answers", str(answers), "--benchmark",
                                 str(bench_file), "--lang", "zh", "--model", "m",
                                 "--store", str(store)])
    assert result.exit_code == 0, result.output
    with Store(store) as db:
        (run,) = db.runs()
        stored = {a.item_id: a.text for a in db.answers(run.run_id)}
    assert stored == {"6f1c9a2e-0000-4000-8000-000000000000:zh:mcq": "答案: B",
                      "6f1c9a2e-0000-4000-8000-000000000001:zh:mcq": "答案: A"}


def test_anesbench_own_id_with_both_languages_asks_for_one(tmp_path: Path):
    bench = load(str(_anesbench(tmp_path)), lang="both")
    answers = write(tmp_path / "answers.jsonl",
                    [{"id": "6f1c9a2e-0000-4000-8000-000000000000", "answer": "B"}])
    with pytest.raises(DatasetError, match=r"line 1, field 'id'.*2 items.*--lang en"):
        import_jsonl_answers(answers, bench, model="m")
