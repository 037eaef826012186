"""Tokens and cost in `medjudge runs`, `runs show`, and every format of `medjudge report`
(markdown, JSON, CSV, table, HTML), from the spend ledger, checked against hand sums of the
fake clients' token counts at list prices; unpriced requests counted, not hidden."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from support.fake_clients import COMPLETION_TOKENS, PROMPT_TOKENS, FittingJudge, FixedModel
from typer.testing import CliRunner

import medjudge as mj
from medjudge.cli.main import app

runner = CliRunner()
MODEL = "openai/gpt-4o"  # $2.50 / $10.00 per million tokens
JUDGE = "openai/gpt-4o-mini"  # $0.15 / $0.60
UNPRICED = "openai/gpt-9"  # no list price
#: Each fake reply bills 7 in + 3 out. LLMEval-Med's sample has 8 questions:
#: answering 8 × (7 × 2.50 + 3 × 10) / 1e6 = 8 × 47.5e-6 = $0.00038;
#: judging 8 × (7 × 0.15 + 3 × 0.60) / 1e6 = 8 × 2.85e-6 = $0.0000228.
ANSWERING = 8 * (PROMPT_TOKENS * 2.50 + COMPLETION_TOKENS * 10.00) / 1e6
JUDGING = 8 * (PROMPT_TOKENS * 0.15 + COMPLETION_TOKENS * 0.60) / 1e6


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "s.sqlite"
    run = mj.answer("sample:llmeval-med", model=MODEL, store=path, client=FixedModel("ok"))
    mj.grade(run, judges=[JUDGE], clients={JUDGE: FittingJudge()})
    mj.grade(run, judges=[UNPRICED], clients={UNPRICED: FittingJudge()})
    return path, run.run_id


def test_hand_sums():
    assert ANSWERING == pytest.approx(0.00038) and JUDGING == pytest.approx(0.0000228)


def test_runs_show_tokens_and_cost_per_stage_and_judge(store):
    path, run_id = store
    (listed,) = json.loads(
        runner.invoke(app, ["runs", "--store", str(path), "--format", "json"]).output
    )
    assert (listed["answer_requests"], listed["answer_prompt_tokens"]) == (8, 56)
    assert listed["answer_cost_usd"] == pytest.approx(ANSWERING)
    assert listed["judge_requests"] == 16 and listed["judge_prompt_tokens"] == 112
    assert listed["judge_cost_usd"] == pytest.approx(JUDGING)  # the unpriced judge: not in it
    assert listed["judge_unpriced"] == 8
    by_model = {(s["stage"], s["model"]): s for s in listed["spend"]}
    assert by_model[("grade", UNPRICED)]["unpriced"] == 8
    assert by_model[("grade", JUDGE)]["completion_tokens"] == 24
    rows = list(
        csv.DictReader(
            io.StringIO(
                runner.invoke(app, ["runs", "--store", str(path), "--format", "csv"]).output
            )
        )
    )
    assert rows[0]["judge_unpriced"] == "8" and rows[0]["answer_requests"] == "8"
    shown = runner.invoke(
        app, ["runs", "show", run_id, "--store", str(path)], env={"COLUMNS": "400"}
    )
    assert shown.exit_code == 0, shown.output
    assert f"grade {JUDGE}: 8 requests, 56+24 tokens, $0.0000" in shown.output
    assert f"grade {UNPRICED}: 8 requests, 56+24 tokens, $0.0000 (+8 unpriced)" in shown.output
    assert f"answer {MODEL}: 8 requests, 56+24 tokens, $0.0004" in shown.output
    table = runner.invoke(app, ["runs", "--store", str(path)], env={"COLUMNS": "400"})
    assert "answers $0.0004, judges $0.0000 (+8 unpriced)" in table.output


def test_every_report_format_has_the_spend_section(store):
    path, _ = store
    data = json.loads(
        runner.invoke(app, ["report", "--store", str(path), "--format", "json"]).output
    )
    spend = data["spend"]
    assert spend["requests"] == 24 and spend["unpriced"] == 8
    assert spend["cost_usd"] == pytest.approx(ANSWERING + JUDGING)
    assert [(r["stage"], r["model"], r["requests"]) for r in spend["rows"]] == [
        ("answer", MODEL, 8),
        ("grade", JUDGE, 8),
        ("grade", UNPRICED, 8),
    ]

    markdown = runner.invoke(app, ["report", "--store", str(path), "--format", "markdown"])
    assert "## spend · tokens and cost" in markdown.output
    assert f"| answering | {MODEL} | 8 | 56 | 24 | $0.0004 | 0 | 0 |" in markdown.output
    assert "| total |  |  | 24 |  |  | $0.0004 | 8 |  |" in markdown.output

    text = runner.invoke(app, ["report", "--store", str(path), "--format", "csv"]).output
    section = text.split("# spend · tokens and cost\n", 1)[1]
    rows = list(csv.DictReader(io.StringIO(section)))
    assert [(r["model"], r["prompt_tokens"], r["unpriced"]) for r in rows] == [
        (MODEL, "56", "0"),
        (JUDGE, "56", "0"),
        (UNPRICED, "56", "8"),
    ]
    assert float(rows[1]["cost_usd"]) == pytest.approx(JUDGING)

    table = runner.invoke(app, ["report", "--store", str(path)], env={"COLUMNS": "300"})
    assert "spend · tokens and cost" in table.output and "judging" in table.output

    html = path.parent / "report.html"
    written = runner.invoke(app, ["report", "--store", str(path), "--html", str(html)])
    assert written.exit_code == 0, written.output
    page = html.read_text(encoding="utf-8")
    assert "Spend: tokens and cost" in page
    assert f"<td>{MODEL}</td>" in page and "$0.0004" in page
