"""medjudge as a library: load → answer → score → grade → report with injected clients and
the bundled samples; stores given as paths or open Stores alike; `import medjudge` cheap."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.fake_clients import FittingJudge, FixedModel
from typer.testing import CliRunner

import medjudge as mj
from medjudge.cli.main import app
from medjudge.errors import ConfigError, StoreError

SAMPLES = Path(mj.__file__).parent / "benchmarks" / "samples"
JUDGE = "openai-compatible/fitting-judge"


def _raw_anesbench() -> list[dict]:
    """The AnesBench sample as its file says (not through medjudge's loader)."""
    return json.loads((SAMPLES / "anesbench_sample.json").read_text(encoding="utf-8"))


def test_the_whole_mcq_path_from_python(tmp_path: Path):
    keys = [record["answer"] for record in _raw_anesbench()]
    bench = mj.load("sample:anesbench")
    store = tmp_path / "runs.sqlite"

    run = mj.answer(bench, model="openai-compatible/always-b", samples=2, store=store,
                    client=FixedModel("Answer: B"))
    assert isinstance(run, mj.RunRef) and run.store == store
    assert (run.answered.ok, run.answered.failed) == (2 * len(keys), 0)

    scored = mj.score(run)
    assert (scored.scored, scored.correct) == (2 * len(keys), 2 * keys.count("B"))
    assert scored.strict_correct == 2 * keys.count("B")

    report = mj.report(run)
    heading = f"anesbench · openai-compatible/always-b · run {run.run_id} · MCQ accuracy"
    assert report.to_markdown().startswith(f"## {heading}\n\n")
    assert [m["run"]["run_id"] for m in json.loads(report.to_json())["mcq"]] == [run.run_id]
    lines = report.to_csv().splitlines()
    assert lines[0] == f"# {heading}"
    rows = list(csv.DictReader(io.StringIO("\n".join(lines[1:]))))
    overall = next(r for r in rows if r["level"] == "Total")
    assert (int(overall["n"]), int(overall["correct"])) == (len(keys), keys.count("B"))


def test_the_cli_prints_the_report_the_library_returns(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    run = mj.answer("sample:anesbench", model="openai-compatible/m", store=store,
                    client=FixedModel("Answer: D"))
    mj.score(run)
    for fmt, text in (("markdown", mj.report(run).to_markdown()),
                      ("csv", mj.report(run).to_csv()),
                      ("json", mj.report(run).to_json())):
        printed = CliRunner().invoke(app, ["report", "--store", str(store), "--format", fmt])
        assert printed.exit_code == 0, printed.output
        assert printed.output == text + "\n"


def test_open_answers_graded_by_an_injected_judge_and_reported(tmp_path: Path):
    raw = json.loads((SAMPLES / "llmeval_med_sample.json").read_text(encoding="utf-8"))
    questions = sum(len(records) for records in raw.values())
    store = tmp_path / "open.sqlite"
    run = mj.answer(mj.load("sample:llmeval-med"), model="openai-compatible/m", store=store,
                    client=FixedModel("Take amlodipine 5 mg daily."))

    judge = FittingJudge(score=4)
    graded = mj.grade(run, judges=[JUDGE], clients={JUDGE: judge})
    assert (graded.scored, graded.unscored, graded.failed_answers) == (questions, 0, 0)
    assert len(judge.requests) == questions
    again = mj.grade(run, judges=[JUDGE], clients={JUDGE: FittingJudge()})
    assert (again.scored, again.already_done) == (0, questions)

    judged = json.loads(mj.report(run).to_json())["judged"]
    assert [j["judges"] for j in judged] == [[JUDGE]]
    assert judged[0]["n_verdicts"] == questions
    assert f"run {run.run_id} · judged" in mj.report(run).to_markdown()


def test_a_store_is_a_path_or_an_open_store_alike(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    run = mj.answer("sample:anesbench", model="openai-compatible/m", store=str(store),
                    client=FixedModel("Answer: A"))
    by_handle = mj.score(run)
    with mj.Store(store) as db:
        by_open_store = mj.score(run.run_id, store=db)
        db.runs()  # still open: the caller's store is not closed for them
        by_record = mj.score(db.run(run.run_id), store=db)
    assert by_handle == by_open_store == by_record
    assert mj.score(run.run_id, store=store) == by_handle
    assert mj.report(store=store).to_json() == mj.report(run).to_json()
    assert [o.run.run_id for o in mj.runs(store)] == [run.run_id]


def test_unclear_or_missing_stores_are_typed_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="which store"):
        mj.score("abc")
    missing = tmp_path / "nowhere.sqlite"
    with pytest.raises(StoreError, match="no such store"):
        mj.report("abc", store=missing)
    assert not missing.exists()  # a typo never creates an empty store
    run = mj.answer("sample:anesbench", model="openai-compatible/m",
                    store=tmp_path / "a.sqlite", client=FixedModel("Answer: A"))
    with pytest.raises(ConfigError, match="pass one store"):
        mj.score(run, store=tmp_path / "other.sqlite")
    with pytest.raises(StoreError, match="no run 'nope'"):
        mj.score("nope", store=run.store)


def test_a_loaded_benchmark_is_answered_as_loaded(tmp_path: Path):
    bench = mj.load("sample:anesbench", lang="zh", mode="open")
    model = FixedModel("地氟烷")
    run = mj.answer(bench, model="openai-compatible/m", store=tmp_path / "s.sqlite",
                    client=model)
    with mj.Store(run.store) as db:
        assert tuple(db.run_items(run.run_id)) == bench.items
    assert len(model.requests) == len(bench.items)
    assert all(item.language == "zh" and item.kind == "open" for item in bench.items)


def test_a_benchmark_changed_since_it_was_loaded_is_refused(tmp_path: Path):
    copy = tmp_path / "anesbench.json"
    shutil.copy(SAMPLES / "anesbench_sample.json", copy)
    bench = mj.load(copy)
    records = json.loads(copy.read_text(encoding="utf-8"))
    copy.write_text(json.dumps(records[:-1]), encoding="utf-8")
    with pytest.raises(ConfigError, match="not what this file holds now"):
        mj.answer(bench, model="openai-compatible/m", store=tmp_path / "s.sqlite",
                  client=FixedModel("Answer: A"))
    assert not (tmp_path / "s.sqlite").exists()


def test_import_medjudge_loads_no_engine_or_sdk():
    probe = ("import sys, medjudge; print(sorted(m for m in ('vllm', 'openai', 'anthropic', "
             "'torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
    # Importing the report modules must not replace mj.report (the function) by the package.
    later = ("import medjudge, medjudge.report.document, medjudge.report.judged; "
             "print(type(medjudge.report).__name__)")
    out = subprocess.run([sys.executable, "-c", later], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "function"
    assert {"load", "answer", "score", "grade", "report", "Store", "Item", "Answer",
            "McqScore", "Verdict", "Audit", "Run"} <= set(mj.__all__)
