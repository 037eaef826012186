"""`medjudge run FILE`: the whole pipeline from one YAML file, against loopback servers."""

from __future__ import annotations

import json
from pathlib import Path

from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.store import Store

runner = CliRunner()


def write_config(folder: Path, model_url: str, judge_url: str | None, *, extra: str = "") -> Path:
    judges = (
        "judges:\n"
        "  models:\n"
        "    - name: openai-compatible/judge\n"
        f"      base_url: {judge_url}\n"
        "  runs: 1\n"
        "  max_tokens: 512\n"
    ) if judge_url else ""
    path = folder / "evaluation.yaml"
    path.write_text(
        "store: results/run.sqlite\n"
        "benchmark:\n"
        "  path: sample:llmeval-med\n"
        "model:\n"
        "  name: openai-compatible/answerer\n"
        f"  base_url: {model_url}\n"
        "  sampling:\n"
        "    max_tokens: 64\n"
        f"{judges}"
        "report:\n"
        "  format: json\n"
        f"{extra}",
        encoding="utf-8",
    )
    return path


def test_run_answers_grades_and_reports_then_a_rerun_sends_nothing(tmp_path: Path):
    with FakeOpenAI() as model, FakeOpenAI([Reply(text=FittingVerdict(evidence="echo"))]) as judge:
        config = write_config(tmp_path, model.base_url, judge.base_url,
                              extra="  html: results/report.html\n")
        first = runner.invoke(app, ["run", str(config)])
        assert first.exit_code == 0, first.output
        answered, judged = len(model.seen), len(judge.seen)
        again = runner.invoke(app, ["run", str(config)])
        assert again.exit_code == 0, again.output
        assert len(model.seen) == answered and len(judge.seen) == judged  # nothing re-asked

    assert answered == 8 and judged == 8  # the sample's 8 open turns, one verdict each
    assert "8 answered, 0 failed" in first.output
    assert "8 scored, 0 unscored" in first.output
    assert "0 answered, 0 failed, 8 already stored" in again.output
    assert "0 scored, 0 unscored, 8 already stored" in again.output
    report = json.loads(first.stdout)
    overall = report["judged"][0]["usability"]["overall"]
    assert overall["n_questions"] == 8 and overall["usability_rate"] == 1.0
    assert (tmp_path / "results" / "report.html").read_text(encoding="utf-8").startswith("<")
    with Store(tmp_path / "results" / "run.sqlite") as store:
        assert len(store.runs()) == 1


def test_run_without_judges_answers_and_reports_mcqs(tmp_path: Path):
    (tmp_path / "results").mkdir()
    with FakeOpenAI([Reply(text="Answer: C")]) as model:
        config = write_config(tmp_path, model.base_url, None)
        config.write_text(config.read_text().replace("sample:llmeval-med", "sample:anesbench"))
        result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 0, result.output
    assert "grade" not in result.stderr
    report = json.loads(result.stdout)
    assert report["mcq"] and not report["judged"]


def test_a_bad_config_names_file_line_and_field_and_writes_no_store(tmp_path: Path):
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", None)
    text = config.read_text().replace("    max_tokens: 64\n", "    max_tokens: 64\n    top_k: 5\n")
    config.write_text(text)
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    message = " ".join(result.stderr.split())
    assert f"{config}, line 9, field 'model.sampling.top_k': unknown field" in message
    assert not (tmp_path / "results").exists()


def test_a_stage_that_ends_incomplete_stops_the_run_with_exit_3(tmp_path: Path):
    (tmp_path / "results").mkdir()
    with FakeOpenAI([Reply(status=400)]) as model, FakeOpenAI() as judge:
        config = write_config(tmp_path, model.base_url, judge.base_url)
        result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 3, result.output
    assert "stopped after stage 'answer'" in result.stderr
    assert judge.seen == []  # nothing graded after the incomplete stage
    assert result.stdout == ""  # and no report


def test_bad_input_in_a_stage_names_the_stage_with_exit_2(tmp_path: Path):
    config = write_config(tmp_path, "http://127.0.0.1:9/v1", None)
    config.write_text(config.read_text().replace("sample:llmeval-med", "missing.json"))
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2
    assert "stage 'answer':" in result.stderr and "missing.json" in result.stderr
    assert not (tmp_path / "results" / "run.sqlite").exists()
