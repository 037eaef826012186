"""Judge–physician agreement on small fixed tables, every number computed by hand
(the table: `support.rating_data.table`)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from support.rating_data import item, rate, seen, table, verdict

from medjudge.errors import StoreError
from medjudge.scoring.agreement_report import agreement_report


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


def test_a_rating_of_an_unknown_item_is_refused() -> None:
    with pytest.raises(StoreError, match="run r: physician dr-a rated item 'zz', which is not"):
        agreement_report([item("i1")], [], [rate("zz", "dr-a", 3, "none")])


def test_no_ratings_gives_empty_rows_not_errors() -> None:
    items, verdicts, _ = table()
    report = agreement_report(items, verdicts, [])
    assert report.n_ratings == 0
    assert report.row("j").agreement.n == 0 and report.row("j").agreement.exact is None
    assert report.row(None).agreement.kappa is None
