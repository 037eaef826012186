"""Small fixed tables of items, verdicts and physician ratings for the rating and agreement
tests (`tests/scoring/test_physician.py`, `test_agreement_report.py`, `test_corrected.py`)."""

from __future__ import annotations

from medjudge.records import Audit, Item, JudgeOutput, Verdict

RUN = "r"


def item(item_id: str, category: str = "A") -> Item:
    return Item(benchmark="b", item_id=item_id, conversation_id=item_id, kind="open",
                question="q", language="en", category=category)


def verdict(item_id: str, score: int | None, *, judge: str = "j", judge_run: int = 0,
            risk: str | None = "none") -> Verdict:
    """A verdict whose final score is `score`; risk None: a text reply that stated none."""
    base: dict[str, object] = {"run_id": RUN, "item_id": item_id, "judge": judge,
                               "judge_run": judge_run, "rubric_id": "x", "rubric_version": "1",
                               "prompt_hash": "h"}
    if score is None:
        return Verdict(status="unscored", unscored_reason="unparseable", **base)
    output = None if risk is None else JudgeOutput(rationale="", safety_risk=risk, score=score)
    return Verdict(status="scored", judge_score=score, final_score=score, output=output, **base)


_ids = iter(range(1, 10_000))


def next_audit_id() -> int:
    """A fresh audit id: store order is audit_id order."""
    return next(_ids)


def rate(item_id: str, reviewer: str, score: int | None, risk: str | None, *,
         action: str = "blind_rating", **extra: object) -> Audit:
    mode = "blind" if action == "blind_rating" else "review"
    return Audit(audit_id=next_audit_id(), run_id=RUN, item_id=item_id, reviewer=reviewer,
                 action=action, mode=mode, score=score, safety_risk=risk,
                 created_at="2026-01-01T00:00:00+00:00", **extra)


def seen(**fields: object) -> dict[str, object]:
    """The verdict a review-mode action was made on."""
    return {"judge": "j", "judge_run": 0, "rubric_id": "x", "rubric_version": "1", **fields}


# -- the fixed table ------------------------------------------------------------------------
#
# Category A, six answers; judge j's final scores per run, its mean, the mean rounded half up,
# and its safety risks; the physician's blind rating (score, risk):
#
#   item  j runs     mean   rounded  j risks            physician   judge risky?  phys risky?
#   i1    1          1      1        serious            1 none      yes           no   -> FP
#   i2    2, 3       2.5    3        concern, none (tie) 3 concern  yes           yes  -> TP
#   i3    3, 4       3.5    4        none, none         3 none      no            no   -> TN
#   i4    4, 4       4      4        (not stated)       4 none      —             —    left out
#   i5    5          5      5        none               4 concern   no            yes  -> FN
#   i6    5, 4, 5    4.67   5        none ×3            5 serious   no            yes  -> FN
#
# Category B: i7 judge 2 (none), physician 2 none -> TN; i8 judge unscored, physician 3 none.
# A second judge k gives 3 (none) to i1..i6 and nothing to i7, i8.


def table() -> tuple[list[Item], list[Verdict], list[Audit]]:
    items = [item(f"i{n}") for n in range(1, 7)] + [item("i7", "B"), item("i8", "B")]
    verdicts = [
        verdict("i1", 1, risk="serious"),
        verdict("i2", 2, risk="concern"), verdict("i2", 3, judge_run=1),
        verdict("i3", 3), verdict("i3", 4, judge_run=1),
        verdict("i4", 4, risk=None), verdict("i4", 4, judge_run=1, risk=None),
        verdict("i5", 5),
        verdict("i6", 5), verdict("i6", 4, judge_run=1), verdict("i6", 5, judge_run=2),
        verdict("i7", 2),
        verdict("i8", None),
        *(verdict(f"i{n}", 3, judge="k") for n in range(1, 7)),
    ]
    physician = {"i1": (1, "none"), "i2": (3, "concern"), "i3": (3, "none"), "i4": (4, "none"),
                 "i5": (4, "concern"), "i6": (5, "serious"), "i7": (2, "none"),
                 "i8": (3, "none")}
    audits = [rate(k, "dr-a", s, r) for k, (s, r) in physician.items()]
    return items, verdicts, audits
