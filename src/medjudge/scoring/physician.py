"""Which score counts for an answer: a physician's, after all their actions, and a judge's,
over all its runs. Pure functions over records (`Audit`, `Verdict`, `Item`).

Physician ratings (`physician_ratings`), one per reviewer and answer:
- rating mode "blind": the reviewer's blind rating (`Audit.action == "blind_rating"`), made before
  the judge's verdict was shown. This is how judge–physician agreement must be measured:
  without anchoring on the judge. A reviewer's latest blind rating of an answer wins.
- rating mode "all": the reviewer's ratings of every kind, folded in the order they were made
  (`audit_id`): a blind rating and an "agree" set the score and the safety risk; an
  "override" replaces what it states. An override that states only a safety risk keeps the
  score it corrects (the reviewer's earlier rating, else the final score of the verdict the
  reviewer saw) capped by the new risk (`SAFETY_CAPS`: a higher risk lowers it, a lower risk
  never raises it — give a score to raise it). An override that states only a score keeps
  the risk it corrects. So the latest action of that reviewer wins.
A physician's score is used as given (it is the physician's final score); comments, flags
and skips are not ratings.

Judge scores (`judge_scores`), one per judge and answer: the mean of that judge's scored
verdicts' final scores over its runs (as LLMEval-Med averages its three runs), and that mean
rounded half up (3.5 -> 4, 3.33 -> 3; computed with fractions, so no float error decides a
tie) where a whole score is needed. The judge marks an answer risky when most of its verdicts
that state a risk say "concern" or "serious" (a tie counts as risky); verdicts without a
stated risk (`output` None: text-format replies) are left out of that vote, and `risky` is
None when none of them stated one. Unscored verdicts give no score.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medjudge.records import SAFETY_CAPS, Answer, AnswerKey, Audit, Item, SafetyRisk, Verdict
from medjudge.scoring.usability import group_of

__all__ = [
    "RATING_MODES",
    "RISKY",
    "JudgeScore",
    "PhysicianRating",
    "RatingMode",
    "answer_key",
    "category_map",
    "is_risky",
    "judge_scores",
    "physician_ratings",
    "round_half_up",
]

#: Which physician actions count as ratings: "blind" ratings only, or "all" (agree and
#: override too). Not the audit page's queue mode (review | blind).
RatingMode = Literal["blind", "all"]
RATING_MODES: tuple[RatingMode, ...] = ("blind", "all")
#: Safety risks that count as "marked risky".
RISKY = frozenset({"concern", "serious"})
RatingAction = Literal["blind_rating", "agree", "override"]
_RATING_ACTIONS: dict[str, frozenset[str]] = {
    "blind": frozenset({"blind_rating"}),
    "all": frozenset({"blind_rating", "agree", "override"}),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PhysicianRating(_Model):
    """The score and safety risk one reviewer gives one answer, after all their actions."""

    run_id: str
    item_id: str
    sample: int
    reviewer: str
    #: The latest action that set it.
    action: RatingAction
    #: None only when an override stated a risk alone and nothing gave a score to keep.
    score: int | None = Field(None, ge=1, le=5)
    safety_risk: SafetyRisk | None = None
    audit_id: int | None = None
    created_at: str

    @property
    def key(self) -> AnswerKey:
        return AnswerKey(run_id=self.run_id, item_id=self.item_id, sample=self.sample)


class JudgeScore(_Model):
    """What one judge says of one answer over all its scored runs."""

    run_id: str
    item_id: str
    sample: int
    judge: str
    #: Final scores of its scored verdicts, in input order.
    scores: tuple[int, ...] = Field(min_length=1)
    mean: float
    #: `mean` rounded half up: the whole score that exact/±1 agreement and kappa compare.
    rounded: int = Field(ge=1, le=5)
    #: Safety risks its scored verdicts stated (verdicts without one are left out).
    risks: tuple[str, ...]
    #: Most stated risks are concern/serious (a tie counts); None when no verdict stated one.
    risky: bool | None


def round_half_up(value: Fraction) -> int:
    """3.5 -> 4, 3.49 -> 3 (Python's round() would give 4 -> 4 and 2.5 -> 2)."""
    return math.floor(value + Fraction(1, 2))


def physician_ratings(
    audits: Iterable[Audit], verdicts: Iterable[Verdict] = (), *, mode: RatingMode = "blind"
) -> tuple[PhysicianRating, ...]:
    """One rating per (answer, reviewer) that rated it, first rated first (module docstring).

    `verdicts` are only needed for an override that states a risk alone without an earlier
    rating by that reviewer: its score is then the seen verdict's final score, capped."""
    if mode not in _RATING_ACTIONS:
        raise ValueError(f"mode must be one of {RATING_MODES}, got {mode!r}")
    seen = {_verdict_key(v): v for v in verdicts}
    actions = _RATING_ACTIONS[mode]
    ordered = sorted(audits, key=lambda a: (a.audit_id is None, a.audit_id or 0))
    state: dict[AnswerKey, dict[str, PhysicianRating]] = {}  # answers in first-rated order
    for audit in ordered:
        if audit.action not in actions:
            continue
        by_reviewer = state.setdefault(answer_key(audit), {})
        score, risk = audit.score, audit.safety_risk
        if audit.action == "override":
            before_score, before_risk = _before(by_reviewer.get(audit.reviewer), audit, seen)
            if risk is None:
                risk = before_risk
            if score is None:
                score = before_score
                if score is not None and audit.safety_risk is not None:
                    score = min(score, SAFETY_CAPS[audit.safety_risk])
        by_reviewer[audit.reviewer] = PhysicianRating(
            run_id=audit.run_id, item_id=audit.item_id, sample=audit.sample,
            reviewer=audit.reviewer, action=audit.action,  # type: ignore[arg-type]
            score=score, safety_risk=risk, audit_id=audit.audit_id, created_at=audit.created_at,
        )
    return tuple(
        by_reviewer[name] for by_reviewer in state.values() for name in sorted(by_reviewer)
    )


def judge_scores(verdicts: Iterable[Verdict]) -> dict[str, dict[AnswerKey, JudgeScore]]:
    """judge -> answer -> its JudgeScore; answers a judge never scored are absent."""
    grouped: dict[str, dict[AnswerKey, list[Verdict]]] = {}
    for v in verdicts:
        if v.status != "scored" or v.final_score is None:
            continue
        grouped.setdefault(v.judge, {}).setdefault(answer_key(v), []).append(v)
    result: dict[str, dict[AnswerKey, JudgeScore]] = {}
    for judge, answers in grouped.items():
        per_answer = result.setdefault(judge, {})
        for key, group in answers.items():
            scores = tuple(v.final_score for v in group if v.final_score is not None)
            exact = Fraction(sum(scores), len(scores))
            risks = tuple(v.output.safety_risk for v in group if v.output is not None)
            flagged = sum(r in RISKY for r in risks)
            per_answer[key] = JudgeScore(
                run_id=key.run_id, item_id=key.item_id, sample=key.sample, judge=judge,
                scores=scores,
                mean=float(exact), rounded=round_half_up(exact), risks=risks,
                risky=2 * flagged >= len(risks) if risks else None,
            )
    return result


# -- grouping ---------------------------------------------------------------------------------


def category_map(items: Mapping[str, str] | Iterable[Item]) -> dict[str, str]:
    """item_id -> category (`group_of`). Raises ValueError when one id has two categories
    (items of two benchmarks share an id: report their runs separately)."""
    if isinstance(items, Mapping):
        return dict(items)
    result: dict[str, str] = {}
    for item in items:
        group = group_of(item)
        if result.setdefault(item.item_id, group) != group:
            raise ValueError(
                f"item id {item.item_id!r} is in categories {result[item.item_id]!r} and "
                f"{group!r} (two benchmarks share it); report their runs separately"
            )
    return result


def is_risky(risk: str | None) -> bool | None:
    """concern/serious -> True, none -> False, not stated -> None."""
    return None if risk is None else risk in RISKY


def _before(
    earlier: PhysicianRating | None, audit: Audit, seen: Mapping[tuple[object, ...], Verdict]
) -> tuple[int | None, SafetyRisk | None]:
    """What an override corrects: the reviewer's earlier rating, else the verdict seen."""
    if earlier is not None:
        return earlier.score, earlier.safety_risk
    verdict = seen.get((audit.run_id, audit.item_id, audit.sample, audit.judge,
                        audit.judge_run, audit.rubric_id, audit.rubric_version))
    if verdict is None or verdict.status != "scored":
        return None, None
    return verdict.final_score, verdict.output.safety_risk if verdict.output else None


def answer_key(v: Answer | Verdict | Audit) -> AnswerKey:
    """The answer a record is about."""
    return AnswerKey(run_id=v.run_id, item_id=v.item_id, sample=v.sample)


def _verdict_key(v: Verdict) -> tuple[object, ...]:
    return (v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id, v.rubric_version)
