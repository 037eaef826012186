"""`medjudge report` on stores that used to break it: two rubric versions (never averaged
together), two judges and two judge runs, half-graded runs (coverage beside every rate), and
broken input that must end in one line and exit code 2, never a traceback."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.records import Answer, Item, JudgeOutput, Run, SamplingConfig, Verdict
from medjudge.store import Store

runner = CliRunner()
WHEN = "2026-01-01T00:00:00+00:00"
RUN = "run-1"


def _item(item_id: str, category: str) -> Item:
    return Item(benchmark="llmeval-med", item_id=item_id, conversation_id=item_id,
                kind="open", question=f"问题 {item_id}", language="zh", category=category)


def _verdict(item_id: str, score: int, *, version: str = "1.9", judge: str = "openai/gpt-4o",
             judge_run: int = 0, run_id: str = RUN) -> Verdict:
    return Verdict(run_id=run_id, item_id=item_id, judge=judge, judge_run=judge_run,
                   rubric_id="llmeval-med-MK", rubric_version=version, prompt_hash="h",
                   status="scored", judge_score=score, final_score=score,
                   output=JudgeOutput(rationale="r", safety_risk="none", score=score),
                   created_at=WHEN)


def _store(path: Path, verdicts: list[Verdict], *, items: int = 4,
           runs: tuple[str, ...] = (RUN,)) -> Path:
    open_items = [_item(f"MK-{n}", "MK") for n in range(items)]
    with Store(path) as store:
        store.add_items("o" * 64, open_items)
        for run_id in runs:
            store.add_run(Run(run_id=run_id, model="m", benchmark="llmeval-med",
                              benchmark_path="x.json", benchmark_sha256="a" * 64,
                              sampling=SamplingConfig(), created_at=WHEN,
                              medjudge_version="0"), "o" * 64)
            store.save_answers(Answer(run_id=run_id, item_id=i.item_id, status="ok",
                                      text="回答", created_at=WHEN) for i in open_items)
        store.save_verdicts(verdicts)
    return path


def _json(store: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["report", "--store", str(store), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _overall(payload: dict, index: int = 0) -> dict:
    return payload["judged"][index]["usability"]["overall"]


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    """Each of 2 answers scored 5 under rubric version 1.9 and 2 under version 1.10."""
    old = [_verdict(f"MK-{n}", 5, version="1.9") for n in range(2)]
    new = [_verdict(f"MK-{n}", 2, version="1.10") for n in range(2)]
    return _store(tmp_path / "s.sqlite", old + new, items=2)


def test_report_uses_the_latest_rubric_version_never_a_mean_of_two(two_versions: Path):
    """1.10 is later than 1.9 (numbers compared as numbers): every answer's mean is 2, not
    (5 + 2) / 2 = 3.5, and the report names the version used and what it left out."""
    payload = _json(two_versions)
    overall = _overall(payload)
    assert overall["mean_score"] == 2.0 and overall["usability_rate"] == 0.0
    (rubric,) = payload["judged"][0]["rubrics"]
    assert (rubric["rubric_id"], rubric["version"], rubric["how"]) == (
        "llmeval-med-MK", "1.10", "latest")
    assert rubric["left_out"] == ["1.9"] and rubric["n_left_out"] == 2
    table = runner.invoke(app, ["report", "--store", str(two_versions)])
    assert table.exit_code == 0, table.output
    assert "llmeval-med-MK 1.10 (latest; 2 verdicts of 1.9 left out)" in " ".join(
        table.output.split())


def test_rubric_version_option_chooses_the_old_version(two_versions: Path):
    for option in ("llmeval-med-MK=1.9", "1.9"):
        overall = _overall(_json(two_versions, "--rubric-version", option))
        assert overall["mean_score"] == 5.0 and overall["usability_rate"] == 1.0


@pytest.mark.parametrize(("option", "says"), [
    ("llmeval-med-MK=3.0", "has no verdicts of version '3.0' (it has 1.10, 1.9)"),
    ("llmeval-med-MX=1.9", "'llmeval-med-MX', which no verdict"),
    ("=1.9", "write RUBRIC_ID=VERSION"),
])
def test_a_rubric_version_that_is_not_there_is_one_line_exit_2(two_versions: Path, option,
                                                                says):
    result = runner.invoke(app, ["report", "--store", str(two_versions),
                                 "--rubric-version", option])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_two_judges_two_judge_runs_two_rubric_versions_and_two_runs_report(tmp_path: Path):
    """Used to crash with "scored twice" (agreement and stability saw both versions). Each
    run is reported on its own; judges are averaged per question (LLMEval-Med)."""
    verdicts = []
    for run_id in ("run-1", "run-2"):
        for n in range(4):
            for version, score in (("1", 3), ("2", 5)):
                for judge in ("openai/gpt-4o", "anthropic/claude"):
                    for judge_run in (0, 1):
                        verdicts.append(_verdict(f"MK-{n}", score, version=version,
                                                 judge=judge, judge_run=judge_run,
                                                 run_id=run_id))
    store = _store(tmp_path / "s.sqlite", verdicts, runs=("run-1", "run-2"))
    for fmt in ("table", "csv", "markdown"):
        result = runner.invoke(app, ["report", "--store", str(store), "--format", fmt])
        assert result.exit_code == 0, result.output
    payload = _json(store)
    assert [j["run"]["run_id"] for j in payload["judged"]] == ["run-1", "run-2"]
    for index in (0, 1):
        report = payload["judged"][index]
        assert report["usability"]["overall"]["mean_score"] == 5.0  # version 2 only
        assert report["n_verdicts"] == 4 * 2 * 2  # answers × judges × judge runs
        assert report["agreement"][0]["agreement"]["exact"] == 1.0
    old = _json(store, "--rubric-version", "1")
    assert _overall(old, 1)["mean_score"] == 3.0


def test_half_graded_run_shows_coverage_in_every_format(tmp_path: Path):
    """4 answers, only 2 graded (both usable, e.g. `grade --limit 2`). By hand: usability
    (LLMEval-Med, all questions) 2/4 = 50.0%, among graded 2/2 = 100.0%, graded 2 of 4."""
    store = _store(tmp_path / "s.sqlite", [_verdict("MK-0", 5), _verdict("MK-1", 4)])
    overall = _overall(_json(store))
    assert overall["coverage"] == "graded 2 of 4"
    assert overall["usability_rate"] == 0.5 and overall["usability_rate_among_scored"] == 1.0
    assert overall["n_not_judged"] == 2

    table = runner.invoke(app, ["report", "--store", str(store)])
    assert table.exit_code == 0, table.output
    op_row = next(line for line in table.output.splitlines() if "OP (all)" in line)
    assert "2 of 4" in op_row and "50.0%" in op_row and "100.0%" in op_row
    assert "2 (2 not" in op_row and "judged" in table.output  # rich wraps the cell

    rows = list(csv.DictReader(io.StringIO(
        runner.invoke(app, ["report", "--store", str(store), "--format", "csv"])
        .output.split("\n", 1)[1])))
    op = next(row for row in rows if row["group"] == "OP (all)")
    assert op["coverage"] == "graded 2 of 4" and float(op["usability_rate"]) == 0.5
    assert float(op["usability_among_graded"]) == 1.0 and op["n_not_judged"] == "2"

    markdown = runner.invoke(app, ["report", "--store", str(store), "--format", "markdown"])
    op_line = next(line for line in markdown.output.splitlines() if "| OP (all) |" in line)
    assert "| 2 of 4 |" in op_line and "50.0%" in op_line and "| 100.0% |" in op_line


# -- broken input: one line, exit code 2, no traceback ---------------------------------------


def _one_line_error(result, *words: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit)  # friendly_errors, not an uncaught error
    text = " ".join(result.output.split())
    assert text.startswith("error:") and "Traceback" not in text
    for word in words:
        assert word in text, (word, text)


def test_a_verdict_of_an_item_the_run_does_not_have_is_one_line(tmp_path: Path):
    """Usability: a verdict names item MK-9, which is not among the run's 4 items."""
    store = _store(tmp_path / "s.sqlite", [_verdict("MK-0", 5), _verdict("MK-9", 4)])
    result = runner.invoke(app, ["report", "--store", str(store)])
    _one_line_error(result, f"run {RUN}", "'MK-9'", "not among the run's items")


def test_a_physician_rating_of_an_unknown_item_is_one_line(tmp_path: Path):
    """Agreement: `audit stats` over a rating of an item the run does not have."""
    from medjudge.records import Audit

    store = _store(tmp_path / "s.sqlite", [_verdict("MK-0", 5)])
    with Store(store) as db:
        db.add_reviewer("dr-a", "hash-a")
        db.save_audit(Audit(run_id=RUN, item_id="MK-9", reviewer="dr-a", action="blind_rating",
                            mode="blind", score=3, safety_risk="none", created_at=WHEN))
    result = runner.invoke(app, ["audit", "stats", "--store", str(store)])
    _one_line_error(result, f"run {RUN}", "dr-a", "'MK-9'", "not among the run's items")


@pytest.mark.parametrize("command", [
    ["import", "llmeval-med-answers", "answers.json", "--model", " "],
    ["import", "answers", "answers.jsonl", "--benchmark", "sample:anesbench", "--model", ""],
])
def test_an_import_without_a_model_name_is_one_line(tmp_path: Path, command: list[str]):
    (tmp_path / "answers.jsonl").write_text('{"id": "x", "answer": "A"}\n', encoding="utf-8")
    command = [str(tmp_path / part) if part.startswith("answers.") else part for part in command]
    result = runner.invoke(app, [*command, "--store", str(tmp_path / "s.sqlite")])
    _one_line_error(result, "the model name is empty", "--model")
