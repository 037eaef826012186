"""One self-contained HTML report of a store: opens offline, from a single file.

Per answer run: MCQ accuracy by level × language with CIs (AnesBench's table), usability per
category with CIs and the distribution of scores (LLMEval-Med), unscored and capped counts.
Over the audited runs: judge–physician agreement (blind ratings, then all ratings) with the
physician–physician ceiling and a confusion matrix per judge, usability under judge-only,
physician-only and physician-corrected scores, the largest disagreements and flagged items.

Every number comes from the library's report functions (`report.mcq`, `report.judged`,
`scoring.agreement_report`, `scoring.corrected`) and is formatted the way the terminal tables
format it.
Text from models, judges and physicians passes through Jinja2 with autoescape on; plots are
SVG from matplotlib (`report.plots`), inline, with no reference outside the file. No scripts.
The file is written atomically: a temporary file in the target folder, renamed over it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from markupsafe import Markup

from medjudge import __version__
from medjudge.errors import StoreError
from medjudge.interchange.audit_export import AuditRecords, audit_records
from medjudge.interchange.files import atomic_writer
from medjudge.records import AnswerKey, Audit, Run
from medjudge.report import plots
from medjudge.report.agreement import fmt_num, fmt_pct
from medjudge.report.judged import JudgedReport, judged_reports
from medjudge.report.judged_store import item_group
from medjudge.report.mcq import AccuracyTable
from medjudge.report.mcq_store import accuracy_table_from_store
from medjudge.report.spend import build_spend_report
from medjudge.scoring.agreement_report import AgreementReport, agreement_report
from medjudge.scoring.corrected import VIEWS, View, corrected_usability
from medjudge.scoring.physician import (
    answer_key,
    category_map,
    judge_scores,
    physician_ratings,
)
from medjudge.scoring.stats import Interval
from medjudge.scoring.usability import UsabilityReport
from medjudge.scoring.versions import VersionPick
from medjudge.store import Store, utc_now

__all__ = ["build_html_report", "write_html_report"]

#: How many judge–physician disagreements the report shows, largest first.
MAX_DISAGREEMENTS = 25
#: Longer texts are cut (the full text is in the store and in `medjudge export`).
_CLIP = {"question": 1200, "answer": 3000, "rationale": 2000, "note": 1000}


@dataclass
class _RunSection:
    run: Run
    mcq: AccuracyTable | None = None
    mcq_plot: Markup | None = None
    judged: JudgedReport | None = None
    usability_plot: Markup | None = None
    distribution_plot: Markup | None = None
    #: group -> [count of final score 1, ..., 5] over scored verdicts.
    distribution: dict[str, list[int]] = field(default_factory=dict)
    #: group -> (verdicts, unscored, capped, safety risk not stated).
    verdict_counts: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    unscored_reasons: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Disagreement:
    run_id: str
    item_id: str
    sample: int
    category: str
    question: str
    answer: str
    judge: str
    judge_mean: float
    rationale: str
    reviewer: str
    physician_score: int
    notes: list[str]


@dataclass
class _AgreementSection:
    label: str
    report: AgreementReport
    confusion_plots: list[tuple[str, Markup]]


@dataclass
class _AuditSection:
    n_audits: int
    actions: list[tuple[str, int]]
    agreement: list[_AgreementSection]
    corrected: dict[View, UsabilityReport]
    categories: list[str]
    disagreements: list[_Disagreement]
    #: Overrides with their provenance, and the category of the item.
    overrides: list[tuple[Audit, str]]
    flags: list[tuple[Audit, str]]


class _Figures:
    """Numbers the plots of one page, so their ids never collide."""

    def __init__(self) -> None:
        self._count = 0

    def prefix(self) -> str:
        self._count += 1
        return f"fig{self._count}"


def build_html_report(
    store: Store,
    *,
    run_ids: Sequence[str] | None = None,
    seed: int = 0,
    n_resamples: int = 2000,
    generated_at: str | None = None,
    pick: VersionPick | None = None,
) -> str:
    """The report of `run_ids` (default: every run) as one HTML document. `n_resamples`
    applies to the MCQ, agreement and corrected tables (the judged report keeps its 2,000).
    Every figure over verdicts uses one version per rubric id: the latest, or `pick`'s.
    Raises StoreError when the runs have neither MCQ scores, verdicts nor audits."""
    figures = _Figures()
    runs = [store.run(r) for r in run_ids] if run_ids else store.runs()
    judged = {j.run.run_id: j for j in judged_reports(store, [r.run_id for r in runs],
                                                      seed=seed, pick=pick)}
    sections = [
        _run_section(store, run, judged.get(run.run_id), figures, seed=seed,
                     n_resamples=n_resamples)
        for run in runs
    ]
    sections = [s for s in sections if s.mcq is not None or s.judged is not None]
    audit = None
    if store.audit_count([r.run_id for r in runs]):  # else no audit section: skip reading
        records = audit_records(store, [r.run_id for r in runs], pick=pick)
        audit = _audit_section(records, figures, seed=seed, n_resamples=n_resamples)
    if not sections and audit is None:
        raise StoreError(
            f"{store.path}: nothing to report yet; run `medjudge score` for MCQs or "
            "`medjudge grade` for open answers"
        )
    return _environment().get_template("report.html.j2").render(
        store=store.path.name, version=__version__, generated_at=generated_at or utc_now(),
        sections=sections, audit=audit, views=VIEWS, seed=seed, n_resamples=n_resamples,
        spend=build_spend_report(store, [r.run_id for r in runs]),
    )


def write_html_report(
    store_path: Path,
    out: Path,
    *,
    run_ids: Sequence[str] | None = None,
    seed: int = 0,
    n_resamples: int = 2000,
    pick: VersionPick | None = None,
) -> Path:
    """Write the report of a store to `out`, atomically. Returns `out`."""
    if not Path(store_path).exists():
        raise StoreError(f"{store_path}: no such store; run `medjudge answer` first")
    with Store(store_path) as store:
        text = build_html_report(store, run_ids=run_ids, seed=seed, n_resamples=n_resamples,
                                 pick=pick)
    with atomic_writer(out) as handle:
        handle.write(text)
    return out


# -- sections ---------------------------------------------------------------------------------


def _run_section(
    store: Store, run: Run, judged: JudgedReport | None, figures: _Figures, *, seed: int,
    n_resamples: int,
) -> _RunSection:
    section = _RunSection(run=run, judged=judged)
    table = accuracy_table_from_store(store, run.run_id, seed=seed, n_resamples=n_resamples)
    if table is not None:
        section.mcq = table
        levels = list(table.levels)
        section.mcq_plot = Markup(plots.accuracy_bars(
            levels,
            {language: [_rate(c.accuracy, c.ci) for c in
                        (table.cell(language, level) for level in levels)]
             for language in table.languages},
            title="MCQ accuracy by level, per language (95% CI)", prefix=figures.prefix(),
        ))
    if judged is not None:
        _judged_parts(store, section, judged, figures)
    return section


def _judged_parts(
    store: Store, section: _RunSection, judged: JudgedReport, figures: _Figures
) -> None:
    """Score distribution and verdict counts per group, counted in SQL over the verdicts of
    the rubric versions the report used (`judged_store`): never the verdicts themselves."""
    usability = judged.usability
    run_id = judged.run.run_id
    versions = [(c.rubric_id, c.version) for c in judged.rubrics]
    dataset = store.run_dataset(run_id) or ""
    groups = [s.category for s in usability.categories]
    distribution = {g: [0] * 5 for g in groups}
    counts = {g: [0, 0, 0, 0] for g in groups}
    for language, level, category, status, score, capped, n in store.group_score_counts(
        run_id, dataset, versions
    ):
        tally = counts.get(item_group(language, level, category))
        if tally is None:
            continue
        tally[0] += n
        if status == "unscored":
            tally[1] += n
            continue
        tally[2] += capped * n
        if score is not None:
            distribution[item_group(language, level, category)][score - 1] += n
    for language, level, category, n in store.group_silent_counts(run_id, dataset, versions):
        if (tally := counts.get(item_group(language, level, category))) is not None:
            tally[3] += n
    reasons: Counter[str] = Counter()
    for reason, n in store.unscored_reasons(run_id, versions):
        reasons[reason or "no reason recorded"] += n
    section.distribution = distribution
    section.verdict_counts = {g: (c[0], c[1], c[2], c[3]) for g, c in counts.items()}
    section.unscored_reasons = reasons.most_common()
    section.usability_plot = Markup(plots.grouped_rate_bars(
        [*groups, "all"],
        {"usability": [_rate(s.usability_rate, s.usability_ci)
                       for s in (*usability.categories, usability.overall)]},
        title=f"Usability (mean score ≥ 4) by {judged.grouping}, 95% CI",
        prefix=figures.prefix(), xlabel="usable answers",
    ))
    if any(sum(c) for c in distribution.values()):
        section.distribution_plot = Markup(plots.score_distribution(
            distribution, title=f"Final scores by {judged.grouping}", prefix=figures.prefix(),
        ))


def _audit_section(
    records: AuditRecords, figures: _Figures, *, seed: int, n_resamples: int
) -> _AuditSection | None:
    if not records.audits:
        return None
    items, verdicts, audits = records.items, records.verdicts, records.audits
    agreement = []
    for mode, label in (("blind", "Blind ratings (made before the judge's verdict was shown)"),
                        ("all", "All ratings (blind ratings, agreements and overrides)")):
        report = agreement_report(items, verdicts, audits, mode=mode,  # type: ignore[arg-type]
                                  seed=seed, n_resamples=n_resamples)
        plots_ = [
            (judge, Markup(plots.confusion_heatmap(
                report.row(judge).confusion, title=f"{judge} ({mode})",
                prefix=figures.prefix())))
            for judge in report.judges
            if report.row(judge).agreement.n
        ]
        agreement.append(_AgreementSection(label=label, report=report, confusion_plots=plots_))
    known = category_map(items)
    judged = category_map(i for i in items if i.kind == "open")  # MCQs have no verdicts
    expected = [a for a in records.answers if a.item_id in judged]
    corrected = corrected_usability(judged, verdicts, audits, expected=expected, seed=seed,
                                    n_resamples=n_resamples)
    categories = list(dict.fromkeys(
        s.category for view in VIEWS for s in corrected[view].categories))
    questions = {item.item_id: item.question for item in items}
    return _AuditSection(
        n_audits=len(audits),
        actions=Counter(str(a.action) for a in audits).most_common(),
        agreement=agreement,
        corrected=corrected,
        categories=categories,
        disagreements=_disagreements(records),
        overrides=[(a, known.get(a.item_id, "")) for a in audits if a.action == "override"],
        flags=[(a, questions.get(a.item_id, "")) for a in audits if a.action == "flag_item"],
    )


def _disagreements(records: AuditRecords) -> list[_Disagreement]:
    """Physician ratings (all kinds) at least two points from a judge's mean, largest first."""
    categories = category_map(records.items)
    questions = {item.item_id: item.question for item in records.items}
    answers = {answer_key(a): a.text or a.error or "" for a in records.answers}
    rationale: dict[tuple[str, AnswerKey], str] = {}
    for v in records.verdicts:
        if v.status == "scored":
            text = v.output.rationale if v.output is not None else (v.raw_reply or "")
            rationale.setdefault((v.judge, answer_key(v)), text)
    notes: dict[tuple[AnswerKey, str], list[str]] = {}
    for a in records.audits:
        for note in (a.reason, a.comment):
            if note:
                notes.setdefault((answer_key(a), a.reviewer), []).append(note)
    scores = judge_scores(records.verdicts)
    found = []
    for rating in physician_ratings(records.audits, records.verdicts, mode="all"):
        for judge, per_answer in scores.items():
            js = per_answer.get(rating.key)
            if js is None or rating.score is None or abs(js.mean - rating.score) < 2:
                continue
            found.append(_Disagreement(
                run_id=rating.run_id, item_id=rating.item_id, sample=rating.sample,
                category=categories.get(rating.item_id, ""),
                question=_clip(questions.get(rating.item_id, ""), "question"),
                answer=_clip(answers.get(rating.key, ""), "answer"),
                judge=judge, judge_mean=js.mean,
                rationale=_clip(rationale.get((judge, rating.key), ""), "rationale"),
                reviewer=rating.reviewer, physician_score=rating.score,
                notes=[_clip(n, "note") for n in notes.get((rating.key, rating.reviewer), [])],
            ))
    found.sort(key=lambda d: -abs(d.judge_mean - d.physician_score))
    return found[:MAX_DISAGREEMENTS]


# -- helpers ----------------------------------------------------------------------------------


def _rate(
    value: float | None, ci: Interval | None
) -> tuple[float | None, tuple[float, float] | None]:
    return value, None if ci is None else (ci.low, ci.high)


def _clip(text: str, kind: str) -> str:
    limit = _CLIP[kind]
    return text if len(text) <= limit else text[:limit] + f" … [{len(text) - limit} more characters]"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("medjudge.report", "templates"),
        autoescape=True,  # every template, whatever its name: model text is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = fmt_pct
    env.filters["num"] = fmt_num
    return env
