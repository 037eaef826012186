"""`medjudge runs` and `medjudge runs show`: every figure checked against hand counts from
the sample files and the fake clients' token counts; grading passes recorded with their
settings, and no secret (key, URL user info or query) ever stored."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from support.fake_clients import COMPLETION_TOKENS, PROMPT_TOKENS, FittingJudge, FixedModel
from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict
from typer.testing import CliRunner

import medjudge as mj
from medjudge.cli.main import app

runner = CliRunner()
SAMPLES = Path(mj.__file__).parent / "benchmarks" / "samples"
SECRET = "sk-live-DO-NOT-LEAK-0123456789"
JUDGE = "openai/gpt-4o-mini"  # $0.15 / $0.60 per million tokens (list price)
MCQ_MODEL = "openai/gpt-4o"  # $2.50 / $10.00 per million tokens


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, mj.RunRef, mj.RunRef]:
    """An MCQ run (answered twice per item, scored) and an open run graded by one judge
    whose base URL carries a secret in its user info and its query."""
    path = tmp_path / "runs.sqlite"
    mcq = mj.answer("sample:anesbench", model=MCQ_MODEL, samples=2, store=path,
                    client=FixedModel("Answer: B"))
    mj.score(mcq)
    open_run = mj.answer("sample:llmeval-med", model="openai-compatible/m", store=path,
                         client=FixedModel("Take amlodipine 5 mg daily."))
    mj.grade(open_run, judges=[JUDGE], clients={JUDGE: FittingJudge()},
             judge_base_urls=[(f"{JUDGE}=https://me:{SECRET}@judge.example:8443/v1"
                               f"?api_key={SECRET}#{SECRET}")])
    return path, mcq, open_run


def _runs_json(path: Path) -> list[dict]:
    result = runner.invoke(app, ["runs", "--store", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_runs_lists_every_figure_of_each_run(store):
    path, mcq, open_run = store
    keys = [r["answer"] for r in json.loads((SAMPLES / "anesbench_sample.json").read_text())]
    raw_open = json.loads((SAMPLES / "llmeval_med_sample.json").read_text(encoding="utf-8"))
    questions = sum(len(records) for records in raw_open.values())
    first, second = _runs_json(path)

    assert (first["run"]["run_id"], second["run"]["run_id"]) == (mcq.run_id, open_run.run_id)
    assert first["run"]["model"] == MCQ_MODEL and first["run"]["benchmark"] == "anesbench"
    assert first["run"]["samples"] == 2 and first["run"]["sampling"]["max_tokens"] == 512
    answers = 2 * len(keys)
    assert (first["answered"], first["failed"]) == (answers, 0)
    assert (first["mcq_scored"], first["mcq_correct"]) == (answers, 2 * keys.count("B"))
    assert (first["answer_prompt_tokens"], first["answer_completion_tokens"]) == (
        answers * PROMPT_TOKENS, answers * COMPLETION_TOKENS)
    # gpt-4o list price by hand: 40 answers × (7 × 2.50 + 3 × 10.00) / 1e6.
    assert first["answer_cost_usd"] == pytest.approx(40 * (7 * 2.50 + 3 * 10.00) / 1e6)
    assert first["judges"] == [] and first["rubrics"] == []

    assert (second["answered"], second["mcq_scored"]) == (questions, 0)
    assert second["answer_cost_usd"] == 0.0  # a local server costs nothing
    (judge,) = second["judges"]
    assert (judge["judge"], judge["scored"], judge["unscored"]) == (JUDGE, questions, 0)
    assert judge["prompt_tokens"] == questions * PROMPT_TOKENS
    # gpt-4o-mini by hand: 8 verdicts × (7 × 0.15 + 3 × 0.60) / 1e6.
    assert second["judge_cost_usd"] == pytest.approx(8 * (7 * 0.15 + 3 * 0.60) / 1e6)
    codes = {"医疗知识": "MK", "医疗语言理解": "MLU", "医疗推理": "MR", "医疗安全伦理": "MSE",
             "医疗文本生成": "MTG"}
    assert {(r["rubric_id"], r["verdicts"]) for r in second["rubrics"]} == {
        (f"llmeval-med-{codes[name]}", len(records)) for name, records in raw_open.items()}


def test_runs_as_csv_and_as_a_table(store):
    path, mcq, open_run = store
    result = runner.invoke(app, ["runs", "--store", str(path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["run_id"] for r in rows] == [mcq.run_id, open_run.run_id]
    assert rows[0]["answered"] == "40" and rows[0]["temperature"] == "0.0"
    assert rows[1]["judges"] == JUDGE and rows[1]["verdicts_scored"] == "8"
    table = runner.invoke(app, ["runs", "--store", str(path)], env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    assert mcq.run_id in table.output and "40 ok, 0 failed" in table.output


def test_runs_show_gives_the_exact_settings_and_grading_passes(store):
    path, _, open_run = store
    result = runner.invoke(app, ["runs", "show", open_run.run_id, "--store", str(path),
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["run"]["sampling"] == {"temperature": 0.0, "top_p": 1.0, "max_tokens": 512,
                                        "seed": 0}
    (grading,) = shown["grading_passes"]
    settings = grading["settings"]
    assert grading["judge"] == JUDGE == settings["judge"]
    assert settings["base_url"] == "https://judge.example:8443/v1"
    assert (settings["output"], settings["temperature"], settings["max_tokens"],
            settings["reasks"], settings["runs"]) == ("json", 0.0, 1024, 2, 1)
    assert {r["id"] for r in settings["rubrics"]} == {r["rubric_id"] for r in shown["rubrics"]}
    assert settings["medjudge_version"] == mj.__version__
    # Graded one request at a time, not through a provider's batch API.
    assert (settings["mode"], settings["batch_provider"]) == ("online", None)
    table = runner.invoke(app, ["runs", "show", open_run.run_id, "--store", str(path)],
                          env={"COLUMNS": "400"})
    assert table.exit_code == 0 and "Grading passes" in table.output
    assert "judge.example:8443" in table.output
    assert "│ online │" in table.output


def test_a_pass_recorded_before_its_mode_was_kept_says_so(store):
    path, _, open_run = store
    older = {"judge": JUDGE, "base_url": None, "output": "json", "temperature": 0.0,
             "max_tokens": 1024, "reasks": 2, "runs": 1, "rubrics": [],
             "medjudge_version": "0.1.0"}
    with mj.Store(path) as db:
        db.add_grading_pass(open_run.run_id, JUDGE, json.dumps(older), "2025-01-01T00:00:00Z")
    table = runner.invoke(app, ["runs", "show", open_run.run_id, "--store", str(path)],
                          env={"COLUMNS": "400"})
    assert table.exit_code == 0, table.output
    sent = {}  # started → how the pass sent its requests, from each pass's first line
    for line in table.output.splitlines():
        cells = [c.strip() for c in line.split("│")]  # "", pass, started, judge, sent, ...
        if len(cells) > 4 and cells[1].isdigit():
            sent[cells[2]] = cells[4]
    assert sent["2025-01-01T00:00:00Z"] == "not recorded"
    assert sorted(sent.values()) == ["not recorded", "online"]


def test_a_rerun_with_nothing_to_grade_records_no_pass(store):
    _, _, open_run = store
    mj.grade(open_run, judges=[JUDGE], clients={JUDGE: FittingJudge()})
    assert len(mj.show_run(open_run).passes) == 1
    mj.grade(open_run, judges=[JUDGE], clients={JUDGE: FittingJudge()}, runs=2)
    passes = mj.show_run(open_run).passes
    assert [p.settings["runs"] for p in passes] == [1, 2]
    assert passes[1].settings["temperature"] == 1.0  # the --runs > 1 default


def test_no_secret_reaches_the_store(store, tmp_path: Path):
    path, _, open_run = store
    # And a real SDK judge against a loopback server, with the key in the environment.
    with FakeOpenAI([Reply(text=FittingVerdict(3))]) as server:
        mj.grade(open_run, judges=["gpt-4o"], judge_base_urls=[server.base_url])
    assert server.seen[0].headers["authorization"] == f"Bearer {SECRET}"
    passes = mj.show_run(open_run).passes
    assert passes[-1].settings["base_url"] == server.base_url
    # The spend ledger holds that judge's requests too (and is in the bytes checked below).
    with mj.Store(path) as db:
        billed = [e for e in db.spend_entries(open_run.run_id) if e.model == "openai/gpt-4o"]
    assert len(billed) == len(server.seen) and billed[0].pass_id == passes[-1].pass_id
    for file in path.parent.glob(path.name + "*"):  # the store, its WAL and shared memory
        assert SECRET.encode() not in file.read_bytes(), file


def test_unknown_run_and_empty_store_end_in_one_line(tmp_path: Path, store):
    path, mcq, _ = store
    result = runner.invoke(app, ["runs", "show", "nope", "--store", str(path)])
    assert result.exit_code == 2
    assert "no run 'nope'" in result.output and mcq.run_id in result.output
    missing = tmp_path / "missing.sqlite"
    result = runner.invoke(app, ["runs", "--store", str(missing)])
    assert result.exit_code == 2 and "no such store" in result.output
    assert not missing.exists()
