"""`medjudge audit stats` (agreement out of a store) and `medjudge audit export` (audits and
the agreement table as JSONL / CSV, written atomically)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.report_data import OPEN_RUN, build_report_store
from typer.testing import CliRunner

from medjudge.cli.main import app

runner = CliRunner()


@pytest.fixture
def report_store(tmp_path: Path) -> Path:
    return build_report_store(tmp_path / "report.sqlite")


def test_audit_stats_formats(report_store: Path) -> None:
    table_out = runner.invoke(app, ["audit", "stats", "--store", str(report_store)])
    assert table_out.exit_code == 0, table_out.output
    assert "openai/gpt-4o vs physicians" in table_out.output and "overall" in table_out.output

    data = json.loads(runner.invoke(app, ["audit", "stats", "--store", str(report_store),
                                          "--format", "json"]).output)
    overall = next(r for r in data["judge_vs_physician"] if r["category"] == "overall")
    # blind ratings vs the judge's rounded means: o0 4 vs 5 (4.5), o1 4 vs 4 (3.5), o2 1 vs 1,
    # o4 1 vs 5 and 2 vs 5, o5 2 vs 2 -> 3 of 6 exact
    assert overall["agreement"]["n"] == 6 and overall["agreement"]["exact"] == 0.5
    every = json.loads(runner.invoke(app, ["audit", "stats", "--store", str(report_store),
                                           "--format", "json", "--mode", "all"]).output)
    assert every["mode"] == "all"  # the override of o1 (3) now counts: 2 of 6 exact
    assert next(r for r in every["judge_vs_physician"]
                if r["category"] == "overall")["agreement"]["exact"] == pytest.approx(2 / 6)

    rows = list(csv.DictReader(runner.invoke(app, ["audit", "stats", "--store",
                                                   str(report_store), "--format", "csv"])
                               .output.splitlines()))
    assert {r["comparison"] for r in rows} == {"judge-physician", "physician-physician"}
    assert float(next(r for r in rows if r["judge"] == "openai/gpt-4o"
                      and r["category"] == "overall")["exact"]) == 0.5


def test_audit_export_audits_and_agreement(report_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "audits.jsonl"
    result = runner.invoke(app, ["audit", "export", "audits", str(out), "--store",
                                 str(report_store)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 8 and {line["run_id"] for line in lines} == {OPEN_RUN}
    override = next(line for line in lines if line["action"] == "override")
    assert override["reviewer"] == "dr-a" and "monitoring" in override["reason"]

    table_csv = tmp_path / "agreement.csv"
    result = runner.invoke(app, ["audit", "export", "agreement", str(table_csv), "--store",
                                 str(report_store), "--mode", "all"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(table_csv.open(encoding="utf-8")))
    assert rows and all(r["mode"] == "all" for r in rows)
    assert not list(tmp_path.glob("**/.*.tmp"))  # the temporary files were renamed

    bad = runner.invoke(app, ["audit", "export", "audits", str(tmp_path / "a.xlsx"),
                              "--store", str(report_store)])
    assert bad.exit_code == 2 and ".jsonl or .csv" in bad.output
    missing = runner.invoke(app, ["audit", "stats", "--store", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 2 and "no such store" in missing.output
