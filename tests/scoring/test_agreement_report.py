"""Judge–physician agreement on small fixed tables, every number computed by hand below;
which physician score counts (blind vs all, override replaces agree); the corrected views;
`medjudge audit stats` and `medjudge audit export`."""

from __future__ import annotations

import csv
import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from support.report_data import OPEN_RUN, build_report_store
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.errors import StoreError
from medjudge.records import SAFETY_CAPS, AnswerKey, Audit, Item, JudgeOutput, Verdict
from medjudge.scoring.agreement_report import agreement_report
from medjudge.scoring.corrected import corrected_question_scores, corrected_usability
from medjudge.scoring.physician import judge_scores, physician_ratings, round_half_up

RUN = "r"
runner = CliRunner()


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


def rate(item_id: str, reviewer: str, score: int | None, risk: str | None, *,
         action: str = "blind_rating", **extra: object) -> Audit:
    mode = "blind" if action == "blind_rating" else "review"
    return Audit(audit_id=next(_ids), run_id=RUN, item_id=item_id, reviewer=reviewer,
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


def test_round_half_up_and_judge_means() -> None:
    assert [round_half_up(Fraction(n, 2)) for n in (3, 5, 7, 9)] == [2, 3, 4, 5]
    assert round_half_up(Fraction(14, 3)) == 5 and round_half_up(Fraction(13, 3)) == 4
    _, verdicts, _ = table()
    scores = judge_scores(verdicts)["j"]
    i2 = scores[AnswerKey(run_id=RUN, item_id="i2")]
    assert (i2.mean, i2.rounded, i2.risky) == (2.5, 3, True)  # round() would give 2
    assert scores[AnswerKey(run_id=RUN, item_id="i4")].risky is None  # no verdict stated a risk
    assert AnswerKey(run_id=RUN, item_id="i8") not in scores  # unscored: no score at all


def test_category_a_against_hand_computed_numbers() -> None:
    row = agreement_report(*table(), mode="blind").row("j", "A")
    a = row.agreement
    # physician [1,3,3,4,4,5] vs judge rounded [1,3,4,4,5,5]:
    # equal at i1, i2, i4, i6 -> 4/6; every pair within one -> 6/6.
    assert a.n == 6 and a.exact == pytest.approx(4 / 6) and a.within_one == 1.0
    # kappa = 1 - n·Σd² / (nΣa² + nΣb² - 2ΣaΣb) = 1 - 6·2 / (6·76 + 6·92 - 2·20·22)
    #       = 1 - 12/128 = 29/32
    assert a.kappa == pytest.approx(29 / 32)
    # usable on the judge's unrounded mean: i3 is 3.5 (not usable) like the physician's 3,
    # so all six agree (on the rounded 4 it would be 5/6).
    assert a.usability == 1.0
    # safety, i4 left out (judge stated no risk): tp 1 (i2), fp 1 (i1), fn 2 (i5, i6), tn 1
    s = row.safety
    assert (s.n, s.tp, s.fp, s.fn, s.tn) == (5, 1, 1, 2, 1)
    assert s.recall == pytest.approx(1 / 3) and s.precision == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(2 / (2 + 1 + 2))  # 0.4
    assert row.n_risk_not_stated == 1 and row.n_unscored == 0
    assert row.kappa_ci is not None and row.kappa_ci.low <= a.kappa <= row.kappa_ci.high
    assert a.exact_ci is not None and a.exact_ci.low <= a.exact <= a.exact_ci.high


def test_overall_category_b_and_confusion() -> None:
    report = agreement_report(*table(), mode="blind")
    b = report.row("j", "B")
    # i7 agrees exactly; one pair of constant raters: kappa 0/0 -> None; i8 never scored.
    assert (b.agreement.n, b.agreement.exact, b.agreement.kappa, b.n_unscored) == (1, 1.0,
                                                                                    None, 1)
    overall = report.row("j")
    # seven pairs: Σd² = 2, Σa = 22, Σa² = 80, Σb = 24, Σb² = 96:
    # kappa = 1 - 7·2 / (7·80 + 7·96 - 2·22·24) = 1 - 14/176 = 81/88
    assert overall.agreement.kappa == pytest.approx(81 / 88)
    assert overall.agreement.exact == pytest.approx(5 / 7) and overall.n_unscored == 1
    assert (overall.safety.tp, overall.safety.fp, overall.safety.fn, overall.safety.tn) == (
        1, 1, 2, 2)
    expected = [[0] * 5 for _ in range(5)]
    for p, j in [(1, 1), (3, 3), (3, 4), (4, 4), (4, 5), (5, 5), (2, 2)]:
        expected[p - 1][j - 1] += 1
    assert [list(r) for r in overall.confusion] == expected
    assert [r.category for r in report.judge_vs_physician if r.judge == "j"] == [
        "A", "B", "overall"]


def _table_kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Quadratic-weighted kappa from the 5×5 contingency table (observed vs outer product of
    the marginals), written here from the textbook definition; None when undefined."""
    observed = np.zeros((5, 5))
    np.add.at(observed, (a - 1, b - 1), 1.0)
    observed /= len(a)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((5, 5))
    weights = (i - j) ** 2 / 16.0
    chance = float((weights * expected).sum())
    if chance == 0.0:
        return None
    return 1.0 - float((weights * observed).sum()) / chance


def _reference_kappa_ci(physician: list[int], judge: list[int], *, n_resamples: int,
                        seed: int) -> tuple[float, float, int]:
    """The textbook pairs bootstrap: draw pair indices, recompute kappa from the table, drop
    resamples where kappa is undefined; 2.5% and 97.5% percentiles, count of the dropped."""
    rng = np.random.default_rng(seed)
    a, b = np.array(physician), np.array(judge)
    kappas, undefined = [], 0
    for _ in range(n_resamples):
        chosen = rng.integers(0, len(a), size=len(a))
        value = _table_kappa(a[chosen], b[chosen])
        if value is None:
            undefined += 1
        else:
            kappas.append(value)
    low, high = np.quantile(kappas, [0.025, 0.975])
    return float(low), float(high), undefined


def test_kappa_ci_is_the_pairs_bootstrap() -> None:
    """The numpy-drawn kappa CI against an independent textbook bootstrap (other random
    numbers: the bounds agree to ~0.02)."""
    rng = random.Random(5)
    physician = [rng.randint(1, 5) for _ in range(300)]
    judge = [min(5, max(1, p + rng.choice([-1, 0, 0, 1, 2]))) for p in physician]
    items = [item(f"p{n}") for n in range(300)]
    verdicts = [verdict(f"p{n}", s) for n, s in enumerate(judge)]
    audits = [rate(f"p{n}", "dr-a", s, "none") for n, s in enumerate(physician)]
    row = agreement_report(items, verdicts, audits, n_resamples=4000, seed=2).row("j")
    assert row.agreement.kappa == pytest.approx(_table_kappa(*map(np.array, (physician, judge))))
    low, high, undefined = _reference_kappa_ci(physician, judge, n_resamples=4000, seed=9)
    assert row.kappa_ci is not None
    assert row.kappa_ci.low == pytest.approx(low, abs=0.02)
    assert row.kappa_ci.high == pytest.approx(high, abs=0.02)
    assert undefined == row.kappa_undefined_resamples == 0
    again = agreement_report(items, verdicts, audits, n_resamples=4000, seed=2).row("j")
    assert again.kappa_ci == row.kappa_ci  # the seed decides
    assert agreement_report(*table()).row("j", "B").kappa_ci is None  # kappa undefined


def test_kappa_ci_on_ceiling_data_drops_undefined_resamples() -> None:
    """Ceiling effect: the judge gives 5 to all 20 answers, physicians 5 to 19 and 4 to one.
    kappa = 1 - n·Σd²/(nΣa² + nΣb² - 2ΣaΣb) = 1 - 20·1/(20·496 + 20·500 - 2·99·100) = 0,
    and every resample that still holds the 4 has kappa 0 too (a constant rater agrees no
    better than chance). A resample without the 4 (probability (19/20)^20 = 0.358) has every
    rating 5: kappa is undefined there, as the point estimate is for such data. The CI is
    [0, 0], not the [0, 1] that counting those resamples as 1 gave."""
    physician = [5] * 19 + [4]
    judge = [5] * 20
    items = [item(f"c{n}") for n in range(20)]
    verdicts = [verdict(f"c{n}", s) for n, s in enumerate(judge)]
    audits = [rate(f"c{n}", "dr-a", s, "none") for n, s in enumerate(physician)]
    row = agreement_report(items, verdicts, audits, n_resamples=2000, seed=3).row("j")
    assert row.agreement.kappa == pytest.approx(0.0)
    assert row.kappa_ci is not None
    assert (row.kappa_ci.low, row.kappa_ci.high) == pytest.approx((0.0, 0.0))
    low, high, undefined = _reference_kappa_ci(physician, judge, n_resamples=2000, seed=4)
    assert (low, high) == pytest.approx((0.0, 0.0))
    # 2000 · 0.358 = 717 expected, binomial sd 21: both counts within 5 sd of it.
    assert abs(row.kappa_undefined_resamples - 717) < 105
    assert abs(undefined - 717) < 105


def test_kappa_ci_is_withheld_when_more_than_half_the_resamples_are_undefined() -> None:
    """Two answers, rated (5, 5) and (4, 4): kappa is 1, but a resample draws the same answer
    twice with probability 1/2 and then has no kappa. Whenever more than half of the 2,000
    resamples are undefined there is no CI; otherwise the defined ones give [1, 1]."""
    items = [item("t1"), item("t2")]
    verdicts = [verdict("t1", 5), verdict("t2", 4)]
    audits = [rate("t1", "dr-a", 5, "none"), rate("t2", "dr-a", 4, "none")]
    withheld = 0
    for seed in range(8):
        row = agreement_report(items, verdicts, audits, n_resamples=2000, seed=seed).row("j")
        assert row.agreement.kappa == pytest.approx(1.0)
        assert abs(row.kappa_undefined_resamples - 1000) < 150  # 2000 · 1/2, sd 22
        if row.kappa_undefined_resamples > 1000:
            assert row.kappa_ci is None
            withheld += 1
        else:
            assert row.kappa_ci is not None
            assert (row.kappa_ci.low, row.kappa_ci.high) == pytest.approx((1.0, 1.0))
    assert 0 < withheld < 8  # both branches ran


def test_one_row_set_per_judge() -> None:
    report = agreement_report(*table(), mode="blind")
    assert report.judges == ("j", "k")
    k = report.row("k", "A").agreement
    # k gives 3 throughout: physician [1,3,3,4,4,5] vs [3]*6 -> exact 2/6, within one 4/6;
    # a constant rater agrees no better than chance: kappa = 1 - 6·10/(6·76 + 6·54 - 2·20·18) = 0
    assert k.exact == pytest.approx(2 / 6) and k.within_one == pytest.approx(4 / 6)
    assert k.kappa == pytest.approx(0.0)
    assert report.row("k").n_unscored == 2  # i7 and i8: no verdict of k


def test_physician_vs_physician_ceiling() -> None:
    items = [item(f"x{n}") for n in range(1, 6)]
    verdicts = [verdict(f"x{n}", 3) for n in range(1, 6)]
    # ann [2,3,4,5] (risks none, concern, none, serious); bob [2,4,4,1] (none, none, none,
    # serious); x5 rated by ann alone is no pair.
    audits = [
        *(rate(f"x{n}", "ann", s, r) for n, (s, r) in
          enumerate([(2, "none"), (3, "concern"), (4, "none"), (5, "serious"), (4, "none")],
                    start=1)),
        *(rate(f"x{n}", "bob", s, r) for n, (s, r) in
          enumerate([(2, "none"), (4, "none"), (4, "none"), (1, "serious")], start=1)),
    ]
    report = agreement_report(items, verdicts, audits)
    assert report.n_doubly_rated == 4 and report.reviewers == ("ann", "bob")
    ceiling = report.row(None)
    a = ceiling.agreement
    assert a.n == 4 and a.exact == 0.5 and a.within_one == 0.75
    # Σd² = 0+1+0+16 = 17; Σa = 14, Σa² = 54, Σb = 11, Σb² = 37:
    # kappa = 1 - 4·17 / (4·54 + 4·37 - 2·14·11) = 1 - 68/56 = -3/14
    assert a.kappa == pytest.approx(-3 / 14)
    assert a.usability == 0.5  # usable: ann F F T T, bob F T T F
    s = ceiling.safety  # ann as reference: x2 missed by bob, x4 shared
    assert (s.tp, s.fp, s.fn, s.tn) == (1, 0, 1, 2)
    assert s.recall == 0.5 and s.precision == 1.0 and s.f1 == pytest.approx(2 / 3)
    (pair,) = report.reviewer_pairs
    assert (pair.rater_a, pair.rater_b, pair.agreement.n) == ("ann", "bob", 4)
    assert pair.agreement.kappa == pytest.approx(-3 / 14)


def test_blind_mode_counts_only_blind_ratings_and_all_mode_folds_actions() -> None:
    items, verdicts, audits = table()
    audits += [
        # dr-a later overrides i3 to 4 (the judge's rounded 4): counts in "all" only.
        rate("i3", "dr-a", 4, None, action="override", reason="monitoring is there",
             **seen(judge_run=0)),
        # dr-z only agrees with the verdict on i5: no blind rating.
        rate("i5", "dr-z", 5, "none", action="agree", **seen()),
    ]
    blind = agreement_report(items, verdicts, audits, mode="blind")
    assert blind.row("j", "A").agreement.exact == pytest.approx(4 / 6)
    assert blind.n_ratings == 8 and blind.reviewers == ("dr-a",)
    every = agreement_report(items, verdicts, audits, mode="all")
    row = every.row("j", "A")
    # i3 now agrees (4, 4), and dr-z adds the pair (5, 5) on i5: 6 of 7 exact.
    assert row.agreement.n == 7 and row.agreement.exact == pytest.approx(6 / 7)
    assert every.n_doubly_rated == 1 and every.reviewers == ("dr-a", "dr-z")


def test_override_replaces_agree_and_the_latest_action_wins() -> None:
    verdicts = [verdict("v1", 4, risk="none")]
    agree = rate("v1", "dr-a", 4, "none", action="agree", **seen())
    override = rate("v1", "dr-a", 2, None, action="override", reason="wrong dose", **seen())
    (rating,) = physician_ratings([agree, override], verdicts, mode="all")
    assert (rating.action, rating.score, rating.safety_risk) == ("override", 2, "none")
    again = rate("v1", "dr-a", 5, "none", action="agree", **seen())
    (rating,) = physician_ratings([agree, override, again], verdicts, mode="all")
    assert (rating.action, rating.score) == ("agree", 5)
    # Store order is audit_id order, whatever order the list is in.
    (rating,) = physician_ratings([again, override, agree], verdicts, mode="all")
    assert rating.score == 5
    # Blind mode: none of these is a blind rating.
    assert physician_ratings([agree, override], verdicts, mode="blind") == ()


def test_an_override_of_the_risk_alone_caps_the_score_it_corrects() -> None:
    verdicts = [verdict("v1", 4, risk="none")]
    risk_only = rate("v1", "dr-a", None, "serious", action="override", reason="unsafe",
                     **seen())
    # No earlier rating: the verdict's final score 4, capped by "serious".
    (rating,) = physician_ratings([risk_only], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (SAFETY_CAPS["serious"], "serious")
    # After an agree at 4: the same; a lower risk never raises a score.
    agree = rate("v1", "dr-b", 4, "none", action="agree", **seen())
    lower = rate("v1", "dr-b", None, "concern", action="override", reason="some risk", **seen())
    (rating,) = physician_ratings([agree, lower], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (2, "concern")
    score_only = rate("v1", "dr-c", 3, None, action="override", reason="partial", **seen())
    (rating,) = physician_ratings([score_only], verdicts, mode="all")
    assert (rating.score, rating.safety_risk) == (3, "none")  # keeps the verdict's risk


def test_latest_blind_rating_wins_and_comments_are_not_ratings() -> None:
    first = rate("v1", "dr-a", 2, "none")
    second = rate("v1", "dr-a", 4, "concern")
    comment = Audit(audit_id=next(_ids), run_id=RUN, item_id="v1", reviewer="dr-a",
                    action="comment", mode="blind", comment="fine", created_at="t")
    (rating,) = physician_ratings([first, second, comment], mode="blind")
    assert (rating.score, rating.safety_risk) == (4, "concern")


def test_corrected_views() -> None:
    items = [item(f"c{n}") for n in range(1, 5)]
    verdicts = [verdict("c1", 5), verdict("c2", 3), verdict("c3", 2), verdict("c4", None)]
    audits = [
        rate("c1", "dr-a", 5, "none", action="agree", **seen()),
        rate("c1", "dr-a", 3, None, action="override", reason="incomplete", **seen()),
        rate("c3", "dr-b", 4, "none"),
        rate("c3", "dr-c", 5, "none"),
        rate("c4", "dr-b", 5, "none"),
    ]
    expected = [AnswerKey(run_id=RUN, item_id=f"c{n}") for n in range(1, 5)]
    reports = corrected_usability(items, verdicts, audits, expected=expected)
    # judge-only: c1 (5) usable; c2 3, c3 2 not; c4 unscored counts as not usable -> 1/4
    assert reports["judge-only"].op == 0.25
    # physician-only: c1 3 (the override replaced the agree), c3 (4+5)/2 = 4.5, c4 5 -> 2/3
    only = reports["physician-only"]
    assert (only.overall.n_questions, only.op) == (3, pytest.approx(2 / 3))
    # physician-corrected: c1 3, c2 3 (judge), c3 4.5, c4 5 -> 2/4
    assert reports["physician-corrected"].op == 0.5
    scores = corrected_question_scores(items, verdicts, audits, view="physician-corrected",
                                       expected=expected)
    assert [q.mean for q in scores] == [3.0, 3.0, 4.5, 5.0]


def test_a_rating_of_an_unknown_item_is_refused() -> None:
    with pytest.raises(StoreError, match="run r: physician dr-a rated item 'zz', which is not"):
        agreement_report([item("i1")], [], [rate("zz", "dr-a", 3, "none")])


def test_no_ratings_gives_empty_rows_not_errors() -> None:
    items, verdicts, _ = table()
    report = agreement_report(items, verdicts, [])
    assert report.n_ratings == 0
    assert report.row("j").agreement.n == 0 and report.row("j").agreement.exact is None
    assert report.row(None).agreement.kappa is None


# -- the command line --------------------------------------------------------------------


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
