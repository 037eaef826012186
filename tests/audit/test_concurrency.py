"""Two physicians saving at once while a grading run writes verdicts and the queue is read:
every audit and every verdict is there afterwards, and no request failed."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from support.audit_client import ReviewerClient, review_path
from support.audit_data import JUDGES, RUN_ID, make_items, make_verdict, stored_audits

from medjudge.records import Answer
from medjudge.store import Store

ITEM_IDS = [item.item_id for item in make_items(40)]


def test_concurrent_reviewers_and_a_grading_run_lose_nothing(server, store, tokens):
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    stop_reading = threading.Event()

    def note(status: int) -> None:
        with lock:
            statuses[status] += 1

    def review(name: str, item_ids: list[str]) -> None:
        reviewer = ReviewerClient(server.url)
        try:
            assert reviewer.sign_in(tokens[name]).status_code == 303
            for item_id in item_ids:
                page = reviewer.get(review_path(RUN_ID, item_id))
                note(page.status)
                saved = reviewer.submit(page.form("comment-form"), follow=False,
                                        comment=f"{name} on {item_id}")
                note(saved.status)
                if page.form("agree-form").fields.get("verdict"):
                    agreed = reviewer.submit(page.form("agree-form"), follow=False)
                    note(agreed.status)
        finally:
            reviewer.close()

    def grade() -> None:
        """A second judge run written in small transactions, as `medjudge grade` does."""
        with Store(store) as db:
            for start in range(0, len(ITEM_IDS), 4):
                batch = [
                    make_verdict(Answer(run_id=RUN_ID, item_id=item_id, status="ok", text="t"),
                                 JUDGES[0], score=4, judge_run=1)
                    for item_id in ITEM_IDS[start:start + 4]
                ]
                db.save_verdicts(batch)

    def read_queue() -> None:
        reader = ReviewerClient(server.url)
        reader.sign_in(tokens["alice"])
        while not stop_reading.is_set():
            note(reader.get("/queue?unreviewed=1").status)
        reader.close()

    halves = [ITEM_IDS[::2], ITEM_IDS[1::2]]
    reader = threading.Thread(target=read_queue)
    reader.start()
    with ThreadPoolExecutor(max_workers=5) as pool:
        jobs = [pool.submit(review, name, half) for name in ("alice", "bob") for half in halves]
        jobs.append(pool.submit(grade))
        for job in jobs:
            job.result()
    stop_reading.set()
    reader.join()

    assert set(statuses) <= {200, 303}, statuses
    rows = stored_audits(store)
    comments = sorted(a.comment for a in rows if a.action == "comment")
    assert comments == sorted(f"{name} on {item_id}" for name in ("alice", "bob")
                              for item_id in ITEM_IDS)
    agrees = Counter(a.reviewer for a in rows if a.action == "agree")
    assert agrees["alice"] == agrees["bob"] > 0
    assert len({a.audit_id for a in rows}) == len(rows)
    with Store(store) as db:
        verdicts = db.verdicts(RUN_ID)
    assert sorted(v.item_id for v in verdicts if v.judge_run == 1) == sorted(ITEM_IDS)
    assert len(verdicts) == 3 * len(ITEM_IDS)
