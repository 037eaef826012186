"""The judge path from the command line: grade, report (all formats), export, import."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply, fitting_verdict
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.store import Store

runner = CliRunner()

VERDICT = fitting_verdict


@pytest.fixture
def answered(tmp_path: Path) -> tuple[Path, str]:
    """The LLMEval-Med sample answered through the OpenAI-wire path (the fake echoes)."""
    store = tmp_path / "s.sqlite"
    with FakeOpenAI() as server:
        result = runner.invoke(app, [
            "answer", "sample:llmeval-med", "--model", "openai-compatible/fake",
            "--base-url", server.base_url, "--store", str(store),
        ])
    assert result.exit_code == 0, result.output
    return store, server.base_url


def test_grade_then_report_shows_usability_per_category(answered, monkeypatch):
    store, _ = answered
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI([Reply(text=VERDICT)]) as judge:
        graded = runner.invoke(app, ["grade", "--store", str(store), "--judge", "gpt-4o",
                                     "--judge-base-url", judge.base_url, "--runs", "2"])
    assert graded.exit_code == 0, graded.output
    assert "16 scored, 0 unscored" in graded.output

    table = runner.invoke(app, ["report", "--store", str(store)])
    assert table.exit_code == 0, table.output
    for category in ("MK", "MLU", "MR", "MSE", "MTG", "OP"):
        assert category in table.output
    assert "Judge stability" in table.output

    data = json.loads(runner.invoke(app, ["report", "--store", str(store), "--format",
                                          "json"]).output)
    overall = data["judged"][0]["usability"]["overall"]
    assert overall["n_questions"] == 8 and overall["usability_rate"] == 1.0

    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(app, ["report", "--store", str(store), "--format", "csv"])
        .output.split("\n", 1)[1])))
    assert {row["group"] for row in rows} >= {"MK", "MSE", "OP (all)"}

    markdown = runner.invoke(app, ["report", "--store", str(store), "--format", "markdown"])
    assert "| MK |" in markdown.output


def test_export_verdicts_and_answers(answered, tmp_path: Path, monkeypatch):
    store, _ = answered
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI([Reply(text=VERDICT)]) as judge:
        runner.invoke(app, ["grade", "--store", str(store), "--judge-base-url", judge.base_url])
    out = tmp_path / "verdicts.jsonl"
    result = runner.invoke(app, ["export", "verdicts", str(out), "--store", str(store)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 8 and all(line["final_score"] == 4 for line in lines)

    answers_csv = tmp_path / "answers.csv"
    runner.invoke(app, ["export", "answers", str(answers_csv), "--store", str(store)])
    rows = list(csv.DictReader(answers_csv.open(encoding="utf-8")))
    assert len(rows) == 8 and json.loads(rows[0]["messages"])[0]["role"] == "user"

    bad = runner.invoke(app, ["export", "answers", str(tmp_path / "x.xlsx"), "--store",
                              str(store)])
    assert bad.exit_code == 2 and ".jsonl or .csv" in bad.output


def test_grade_without_a_key_says_which_variable(answered):
    store, _ = answered
    result = runner.invoke(app, ["grade", "--store", str(store), "--judge", "gpt-4o"])
    assert result.exit_code == 2 and "OPENAI_API_KEY is not set" in result.output


def test_max_cost_with_an_unpriced_judge_is_refused(answered, monkeypatch):
    store, _ = answered
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    result = runner.invoke(app, ["grade", "--store", str(store), "--judge", "openai/mystery",
                                 "--max-cost", "1"])
    assert result.exit_code == 2 and "no price is known" in result.output


def test_import_llmeval_med_answers_and_scores(tmp_path: Path):
    sample = json.loads((Path(__file__).parents[2] / "src/medjudge/benchmarks/samples/"
                         "llmeval_med_sample.json").read_text(encoding="utf-8"))
    for items in sample.values():
        for item in items:
            item["model_answer"] = f"answer to {item['problem'][:10]}"
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    store = tmp_path / "s.sqlite"
    imported = runner.invoke(app, ["import", "llmeval-med-answers", str(answers_file),
                                   "--model", "their-model", "--store", str(store)])
    assert imported.exit_code == 0, imported.output
    run_id = imported.output.split("as run ")[1].split()[0]

    for items in sample.values():
        for item in items:
            item["model_answer_score"] = "5" if item["round"] == 1 else "3"  # as Evaluate.py writes
            item["model_answer_judgement"] = "理由……"
    scores_file = tmp_path / "scores.json"
    scores_file.write_text(json.dumps(sample, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["import", "llmeval-med-scores", str(scores_file),
                                 "--run", run_id, "--store", str(store)])
    assert result.exit_code == 0, result.output
    with Store(store) as db:
        verdicts = db.verdicts(run_id)
    assert len(verdicts) == 8
    assert sorted(v.final_score for v in verdicts) == [3, 3, 5, 5, 5, 5, 5, 5]
