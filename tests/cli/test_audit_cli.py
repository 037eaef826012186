"""`medjudge audit stats --rubric-version`: the agreement table compares the physicians with
the verdicts of one rubric version, chosen as `medjudge report` chooses it, with the same
errors (one line, exit code 2, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.records import Answer, Audit, Item, JudgeOutput, Run, SamplingConfig, Verdict
from medjudge.store import Store

runner = CliRunner()
WHEN = "2026-01-01T00:00:00+00:00"
RUN = "run-1"
JUDGE = "openai/gpt-4o"


def _verdict(item_id: str, score: int, version: str) -> Verdict:
    return Verdict(run_id=RUN, item_id=item_id, judge=JUDGE, rubric_id="llmeval-med-MK",
                   rubric_version=version, prompt_hash="h", status="scored",
                   judge_score=score, final_score=score,
                   output=JudgeOutput(rationale="r", safety_risk="none", score=score),
                   created_at=WHEN)


@pytest.fixture
def two_versions(tmp_path: Path) -> Path:
    """Two answers, each scored 5 under rubric version 1.9 and 2 under 1.10; a physician's
    blind rating of each is 5."""
    items = [Item(benchmark="llmeval-med", item_id=f"MK-{n}", conversation_id=f"MK-{n}",
                  kind="open", question=f"问题 {n}", language="zh", category="MK")
             for n in range(2)]
    path = tmp_path / "s.sqlite"
    with Store(path) as store:
        store.add_items("o" * 64, items)
        store.add_run(Run(run_id=RUN, model="m", benchmark="llmeval-med",
                          benchmark_path="x.json", benchmark_sha256="a" * 64,
                          sampling=SamplingConfig(), created_at=WHEN, medjudge_version="0"),
                      "o" * 64)
        store.save_answers(Answer(run_id=RUN, item_id=i.item_id, status="ok", text="回答",
                                  created_at=WHEN) for i in items)
        store.save_verdicts([_verdict(i.item_id, score, version) for i in items
                             for version, score in (("1.9", 5), ("1.10", 2))])
        store.add_reviewer("dr-a", "hash-dr-a")
        for item in items:
            store.save_audit(Audit(run_id=RUN, item_id=item.item_id, reviewer="dr-a",
                                   action="blind_rating", mode="blind", score=5,
                                   safety_risk="none", created_at=WHEN))
    return path


def _overall(store: Path, *extra: str) -> dict:
    result = runner.invoke(app, ["audit", "stats", "--store", str(store), "--format", "json",
                                 *extra])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["judge_vs_physician"]
    return next(r for r in rows if r["judge"] == JUDGE and r["category"] == "overall")


def test_audit_stats_compares_the_latest_version_by_default(two_versions: Path):
    # 1.10 is later than 1.9: the judge's 2s against the physician's 5s, 0 of 2 exact.
    agreement = _overall(two_versions)["agreement"]
    assert agreement["n"] == 2 and agreement["exact"] == 0.0


@pytest.mark.parametrize("option", ["llmeval-med-MK=1.9", "1.9"])
def test_rubric_version_makes_audit_stats_compare_the_old_version(two_versions: Path, option):
    # Under 1.9 the judge gave 5 twice, as the physician did: 2 of 2 exact.
    agreement = _overall(two_versions, "--rubric-version", option)["agreement"]
    assert agreement["n"] == 2 and agreement["exact"] == 1.0


@pytest.mark.parametrize(("option", "says"), [
    ("llmeval-med-MK=3.0", "has no verdicts of version '3.0' (it has 1.10, 1.9)"),
    ("llmeval-med-MX=1.9", "'llmeval-med-MX', which no verdict"),
    ("=1.9", "write RUBRIC_ID=VERSION"),
])
def test_a_rubric_version_that_is_not_there_is_one_line_exit_2(two_versions: Path, option,
                                                                says):
    result = runner.invoke(app, ["audit", "stats", "--store", str(two_versions),
                                 "--rubric-version", option])
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert "Traceback" not in result.output
