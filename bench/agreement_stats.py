"""Agreement statistics and the HTML report with 10,000 verdicts.

    .venv/bin/python bench/agreement_stats.py [--answers 5000] [--rated 1000 5000]

Builds a store of N judged answers × 2 judges (5,000 → 10,000 verdicts), then for each
number of rated answers adds two physicians' blind ratings (every answer by one, a quarter
of them by a second, plus an override on a tenth) and times, end to end from the store file:
`store_agreement` (what `medjudge audit stats` runs, 2,000 bootstrap resamples per CI) in
blind and all modes, and `write_html_report` (`medjudge report --html`). Prints a markdown
table of wall (and CPU) seconds; target: agreement stats under 2 s.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.audit_data import JUDGES, RUN_ID, build_store

from medjudge.interchange.audit_export import store_agreement
from medjudge.records import Audit
from medjudge.report.html import write_html_report
from medjudge.store import Store

WHEN = "2026-01-02T00:00:00+00:00"


def rate(path: Path, rated: int) -> int:
    """Blind ratings of the first `rated` answers (a second reviewer on every fourth), and an
    override on every tenth. Returns the number of audits written."""
    with Store(path) as store:
        for name in ("dr-a", "dr-b"):
            store.add_reviewer(name, f"hash-{name}")
        answers = store.answers(RUN_ID)[:rated]
        audits = []
        for k, answer in enumerate(answers):
            key = {"run_id": RUN_ID, "item_id": answer.item_id, "created_at": WHEN}
            audits.append(Audit(reviewer="dr-a", action="blind_rating", mode="blind",
                                score=1 + (k * 3) % 5, safety_risk=("none", "concern")[k % 2],
                                **key))
            if k % 4 == 0:
                audits.append(Audit(reviewer="dr-b", action="blind_rating", mode="blind",
                                    score=1 + (k * 3 + 1) % 5, safety_risk="none", **key))
            if k % 10 == 0:
                audits.append(Audit(reviewer="dr-a", action="override", mode="review",
                                    judge=JUDGES[0], judge_run=0, rubric_id="llmeval-med/MK",
                                    rubric_version="1", score=2, reason="misses a dose",
                                    **key))
        for audit in audits:
            store.save_audit(audit)
    return len(audits)


def seconds(action: Callable[[], object]) -> str:
    """Wall time, and this process's CPU time (what other jobs on the machine cannot inflate
    as much)."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return f"{time.perf_counter() - wall:.2f} s ({time.process_time() - cpu:.2f} s CPU)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--rated", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    print("| verdicts | rated answers | audits | stats (blind) | stats (all) | report --html |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rated in args.rated:
        with tempfile.TemporaryDirectory() as folder:
            path = build_store(Path(folder) / "bench.sqlite", answers=args.answers)
            audits = rate(path, rated)
            blind = seconds(partial(store_agreement, path, mode="blind"))
            every = seconds(partial(store_agreement, path, mode="all"))
            html = seconds(partial(write_html_report, path, Path(folder) / "report.html"))
            print(f"| {2 * args.answers:,} | {rated:,} | {audits:,} | {blind} | {every} "
                  f"| {html} |")


if __name__ == "__main__":
    main()
