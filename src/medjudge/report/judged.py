"""Reports on judged (open) answers: usability per category and OP (LLMEval-Med), mean score
and usability per language × level (AnesBench open-ended), unscored and capped counts,
judge stability across runs and agreement between judges."""

from __future__ import annotations

import csv
import io
import json

from pydantic import BaseModel, ConfigDict
from rich.console import Group
from rich.table import Table

from medjudge.records import Item, Run, Verdict
from medjudge.scoring.agreement import (
    PairAgreement,
    Stability,
    judge_ratings,
    judge_run_scores,
    pairwise_agreement,
    run_stability,
)
from medjudge.scoring.stats import Interval
from medjudge.scoring.usability import (
    UsabilityReport,
    UsabilitySummary,
    group_of,
    usability_report,
)
from medjudge.scoring.versions import (
    RubricVersionChoice,
    VersionPick,
    check_pick_used,
    select_rubric_versions,
)
from medjudge.store import Store

__all__ = [
    "JudgedReport",
    "build_judged_report",
    "judged_reports",
    "judged_to_csv",
    "judged_to_json",
    "judged_to_markdown",
    "render_judged",
]


class JudgeStability(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    judge: str
    stability: Stability


class JudgedReport(BaseModel):
    """Everything the judges said about one answer run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    judges: tuple[str, ...]
    #: The one version of each rubric id whose verdicts every figure uses.
    rubrics: tuple[RubricVersionChoice, ...] = ()
    #: "category" for LLMEval-Med-style items, "language × level" for AnesBench open-ended.
    grouping: str
    usability: UsabilityReport
    n_verdicts: int
    n_unscored_verdicts: int
    #: Verdicts whose final score the safety cap lowered below the judge's own.
    n_capped: int
    #: Scored text-format verdicts that never stated the safety risk (no cap could apply).
    n_safety_not_stated: int
    stability: tuple[JudgeStability, ...]
    agreement: tuple[PairAgreement, ...]


def build_judged_report(
    run: Run, items: list[Item], verdicts: list[Verdict], expected, *, seed: int = 0,
    pick: VersionPick | None = None,
) -> JudgedReport:
    """The report of one run, over one rubric version per rubric id (`scoring.versions`:
    the latest unless `pick` chooses). Judges are averaged per question (LLMEval-Med)."""
    verdicts, rubrics = select_rubric_versions(verdicts, pick, where=f"run {run.run_id}")
    open_items = [item for item in items if item.kind == "open"]
    groups = {item.item_id: group_of(item) for item in open_items}
    judges = tuple(dict.fromkeys(v.judge for v in verdicts))
    by_level = any(item.level is not None for item in open_items)
    usability = usability_report(
        verdicts, groups, expected=[a for a in expected if a.item_id in groups], seed=seed
    )
    stability = tuple(
        JudgeStability(judge=j, stability=run_stability(judge_run_scores(verdicts, judge=j)))
        for j in judges
        if len({v.judge_run for v in verdicts if v.judge == j}) > 1
    )
    agreement = pairwise_agreement(judge_ratings(verdicts), seed=seed) if len(judges) > 1 else ()
    return JudgedReport(
        run=run,
        judges=judges,
        rubrics=rubrics,
        grouping="language × level" if by_level else "category",
        usability=usability,
        n_verdicts=len(verdicts),
        n_unscored_verdicts=sum(v.status == "unscored" for v in verdicts),
        n_capped=sum(v.capped for v in verdicts),
        n_safety_not_stated=sum(v.status == "scored" and v.output is None for v in verdicts),
        stability=stability,
        agreement=agreement,
    )


def judged_reports(
    store: Store, run_ids: list[str] | None = None, *, seed: int = 0,
    pick: VersionPick | None = None,
) -> list[JudgedReport]:
    """One JudgedReport per answer run that has verdicts, each over one version of every
    rubric id (the latest, or the one `pick` chooses). ConfigError when `pick` names a
    version or a rubric id the runs do not have. Built from the store's aggregates
    (`report.judged_store`): the same numbers as `build_judged_report`, with
    `usability.questions` left empty."""
    from medjudge.report.judged_store import judged_report_from_store

    runs = [store.run(r) for r in run_ids] if run_ids else store.runs()
    reports = [
        report for run in runs
        if (report := judged_report_from_store(store, run, seed=seed, pick=pick)) is not None
    ]
    if pick is not None:
        check_pick_used(pick, (choice for r in reports for choice in r.rubrics))
    return reports


def _rubric_text(report: JudgedReport) -> str:
    return "; ".join(choice.describe() for choice in report.rubrics) or "—"


# -- rendering -------------------------------------------------------------------------------


def _pct(value: float | None, ci: Interval | None = None) -> str:
    if value is None:
        return "—"
    text = f"{value:.1%}"
    if ci is not None:
        text += f" [{ci.low:.1%}–{ci.high:.1%}]"
    return text


def _num(value: float | None, ci: Interval | None = None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f}" + (f" [{ci.low:.2f}–{ci.high:.2f}]" if ci is not None else "")


def _rows(report: JudgedReport) -> list[tuple[str, UsabilitySummary]]:
    label = "OP (all)" if report.grouping == "category" else "all"
    return [(s.category, s) for s in report.usability.categories] + [
        (label, report.usability.overall)
    ]


#: The coverage columns of every format: how many questions the rate counts, and why the
#: others are not graded.
_COVERAGE_NOTE = (
    "usability = usable / all questions (LLMEval-Med; ungraded questions count as not "
    "usable); among graded = usable / graded"
)


def _not_graded(s: UsabilitySummary) -> str:
    """"3 (1 answer failed, 2 not judged)": the ungraded questions and why."""
    why = [(s.n_answer_failed, "answer failed"), (s.n_not_judged, "not judged"),
           (s.n_judge_failed, "judge failed")]
    parts = [f"{count} {reason}" for count, reason in why if count]
    return f"{s.n_unscored} ({', '.join(parts)})" if parts else str(s.n_unscored)


def render_judged(report: JudgedReport) -> Group:
    table = Table(title=f"Judged answers by {report.grouping} (usable = mean score ≥ 4)",
                  caption=_COVERAGE_NOTE)
    for column in ("group", "graded", "usable", "usability", "among graded", "mean score",
                   "not graded"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for name, s in _rows(report):
        table.add_row(
            name, f"{s.n_scored} of {s.n_questions}", str(s.n_usable),
            _pct(s.usability_rate, s.usability_ci), _pct(s.usability_rate_among_scored),
            _num(s.mean_score, s.mean_score_ci), _not_graded(s),
        )
    parts: list = [table]
    notes = Table.grid(padding=(0, 2))
    notes.add_row("judges", ", ".join(report.judges))
    notes.add_row("rubrics", _rubric_text(report))
    notes.add_row(
        "verdicts",
        f"{report.n_verdicts} ({report.n_unscored_verdicts} unscored, {report.n_capped} lowered "
        f"by the safety cap, {report.n_safety_not_stated} without a stated safety risk)",
    )
    parts.append(notes)
    if report.stability:
        stab = Table(title="Judge stability across runs")
        for column in ("judge", "answers", "identical", "mean std", "mean range"):
            stab.add_column(column)
        for entry in report.stability:
            s = entry.stability
            stab.add_row(entry.judge, str(s.n_questions), _pct(s.identical, s.identical_ci),
                         _num(s.mean_std), _num(s.mean_range))
        parts.append(stab)
    if report.agreement:
        agree = Table(title="Agreement between judges (run 0)")
        for column in ("judges", "n", "exact", "±1", "κ (quadratic)", "usability"):
            agree.add_column(column)
        for pair in report.agreement:
            a = pair.agreement
            agree.add_row(f"{pair.rater_a} vs {pair.rater_b}", str(a.n),
                          _pct(a.exact, a.exact_ci), _pct(a.within_one, a.within_one_ci),
                          _num(a.kappa), _pct(a.usability, a.usability_ci))
        parts.append(agree)
    return Group(*parts)


def judged_to_csv(report: JudgedReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run_id", "group", "coverage", "n_questions", "n_scored", "n_unscored",
                     "n_answer_failed", "n_not_judged", "n_judge_failed", "n_usable",
                     "usability_rate", "usability_low", "usability_high",
                     "usability_among_graded", "mean_score", "mean_low", "mean_high",
                     "rubrics"])
    for name, s in _rows(report):
        ci, mci = s.usability_ci, s.mean_score_ci
        writer.writerow([
            report.run.run_id, name, s.coverage, s.n_questions, s.n_scored, s.n_unscored,
            s.n_answer_failed, s.n_not_judged, s.n_judge_failed, s.n_usable,
            s.usability_rate, ci.low if ci else None, ci.high if ci else None,
            s.usability_rate_among_scored, s.mean_score,
            mci.low if mci else None, mci.high if mci else None, _rubric_text(report),
        ])
    return out.getvalue()


def judged_to_markdown(report: JudgedReport) -> str:
    lines = [
        (f"| {report.grouping} | graded | usable | usability (95% CI) | among graded "
         "| mean score | not graded |"),
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in _rows(report):
        lines.append(
            f"| {name} | {s.n_scored} of {s.n_questions} | {s.n_usable} | "
            f"{_pct(s.usability_rate, s.usability_ci)} | "
            f"{_pct(s.usability_rate_among_scored)} | "
            f"{_num(s.mean_score, s.mean_score_ci)} | {_not_graded(s)} |"
        )
    lines.append("")
    lines.append(f"{_COVERAGE_NOTE[0].upper()}{_COVERAGE_NOTE[1:]}.")
    lines.append(
        f"Judges: {', '.join(report.judges)}. Rubrics: {_rubric_text(report)}. "
        f"Verdicts: {report.n_verdicts} "
        f"({report.n_unscored_verdicts} unscored, {report.n_capped} capped by safety)."
    )
    return "\n".join(lines) + "\n"


def judged_to_json(report: JudgedReport) -> str:
    payload = report.model_dump(mode="json", exclude={"usability": {"questions"}})
    return json.dumps(payload, ensure_ascii=False, indent=2)
