"""The queue: every filter returns exactly the answers the verdicts say it should (checked
against the records, not against the SQL), progress counts this reviewer only, blind mode shows
and filters by nothing a judge said, and "next" walks the filtered queue in order."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from contextlib import closing

import pytest
from support.audit_client import location_params, review_path
from support.audit_data import RUN_ID, make_items

from medjudge.audit.queue import QueueFilters, next_answer, queue_page
from medjudge.records import AnswerKey
from medjudge.store import Store
from medjudge.store.queries import connect


def rows_of(page) -> list[str]:
    return [html.unescape(m) for m in re.findall(
        r'data-testid="queue-row" data-run="[^"]*" data-item="([^"]*)"', page.html)]


@pytest.fixture
def by_answer(store):
    with Store(store) as db:
        verdicts = db.verdicts(RUN_ID)
    grouped = defaultdict(list)
    for v in verdicts:
        grouped[v.item_id].append(v)
    return grouped


ITEMS = {item.item_id: item for item in make_items(40)}


def expected(by_answer, keep) -> list[str]:
    order = list(ITEMS)
    return sorted((i for i, vs in by_answer.items() if keep(ITEMS[i], vs)), key=order.index)


def scores(vs):
    return [v.final_score for v in vs if v.final_score is not None]


CASES = {
    "": lambda item, vs: True,
    "category=MK": lambda item, vs: item.category == "MK",
    "language=en": lambda item, vs: item.language == "en",
    "level=System+2": lambda item, vs: item.level == "System 2",
    "score=3": lambda item, vs: 3 in scores(vs),
    "risk=serious": lambda item, vs: any(v.output and v.output.safety_risk == "serious"
                                         for v in vs),
    "capped=1": lambda item, vs: any(v.capped for v in vs),
    "disagree=1": lambda item, vs: len(set(scores(vs))) > 1,
    "unscored=1": lambda item, vs: any(v.status == "unscored" for v in vs),
    "category=MR&disagree=1": lambda item, vs: item.category == "MR" and len(set(scores(vs))) > 1,
    "risk=concern&capped=1": lambda item, vs: any(v.output and v.output.safety_risk == "concern"
                                                  for v in vs) and any(v.capped for v in vs),
}


@pytest.mark.parametrize("query", list(CASES))
def test_each_filter_returns_exactly_the_matching_answers(client, tokens, by_answer, query):
    want = expected(by_answer, CASES[query])
    assert want or query == "", "the test store should exercise every filter"
    page = client(tokens["alice"]).get(f"/queue?{query}")
    assert page.status == 200
    assert rows_of(page) == want
    assert f"0 reviewed of {len(want)}" in page.text("progress")


def test_test_store_has_every_kind_of_row(by_answer):
    for query, keep in CASES.items():
        assert expected(by_answer, keep), query


def test_progress_and_not_yet_reviewed_are_per_reviewer(client, tokens):
    alice, bob = client(tokens["alice"]), client(tokens["bob"])
    for item_id in ("MK-0-1", "MK-0-2"):
        alice.submit(alice.get(review_path(RUN_ID, item_id)).form("agree-form"))
    alice.submit(alice.get(review_path(RUN_ID, "MK-0-3")).form("comment-form"), comment="c")
    page = alice.get("/queue?unreviewed=1")
    assert "2 reviewed of 40" in page.text("progress")
    assert "MK-0-1" not in rows_of(page) and "MK-0-3" in rows_of(page)  # a comment is no review
    assert len(rows_of(page)) == 38
    assert "0 reviewed of 40" in bob.get("/queue?unreviewed=1").text("progress")
    assert len(rows_of(bob.get("/queue?unreviewed=1"))) == 40


def test_blind_queue_shows_and_filters_by_nothing_a_judge_said(client, tokens):
    alice = client(tokens["alice"])
    page = alice.get("/queue?mode=blind&risk=serious&score=1&capped=1")
    assert len(rows_of(page)) == 40  # verdict filters are ignored in blind mode
    for word in ("Final score", "capped", "disagree", 'name="risk"', 'name="score"'):
        assert word not in page.html
    alice.submit(alice.get(review_path(RUN_ID, "MK-0-1")).form("agree-form"))
    assert "0 reviewed of 40" in alice.get("/queue?mode=blind").text("progress")
    blind = alice.get(review_path(RUN_ID, "MK-0-2", mode="blind"))
    alice.submit(blind.form("blind-form"), score="4", risk="none")
    assert "1 reviewed of 40" in alice.get("/queue?mode=blind").text("progress")


def test_a_bad_filter_value_is_a_400_page_not_a_500(client, tokens):
    page = client(tokens["alice"]).get("/queue?score=9")
    assert page.status == 400 and "queue filter not understood" in page.html


def test_next_link_and_skip_walk_the_filtered_queue(client, tokens, by_answer):
    alice = client(tokens["alice"])
    want = expected(by_answer, CASES["category=MK"])
    first = alice.http.get("/next?category=MK")
    assert location_params(first)["item_id"] == want[0]
    page = alice.get(first.headers["location"])
    skipped = alice.http.post("/review", data=page.form("skip-form").fields)
    params = location_params(skipped)
    assert params["item_id"] == want[1] and params["category"] == "MK"


def test_queue_paging_and_next_answer_in_the_library(store, tokens):
    with closing(connect(store)) as db:
        pages = [queue_page(db, "alice", QueueFilters(), page=n, page_size=15) for n in range(3)]
        assert [p.pages for p in pages] == [3, 3, 3]
        keys = [r.key.item_id for p in pages for r in p.rows]
        assert keys == list(ITEMS)
        assert queue_page(db, "alice", QueueFilters(), page=5, page_size=15).matching == 40
        last = AnswerKey(run_id=RUN_ID, item_id=keys[-1])
        assert next_answer(db, "alice", QueueFilters(), after=last).item_id == keys[0]
        only = QueueFilters(risk="serious")
        matching = [r.key for r in queue_page(db, "alice", only).rows]
        assert len(matching) >= 2
        assert next_answer(db, "alice", only, after=matching[0]) == matching[1]
        assert next_answer(db, "alice", only, after=matching[-1]) == matching[0]
        one = QueueFilters(run=RUN_ID, category="MK", risk="serious")
        [single] = [r.key for r in queue_page(db, "alice", one).rows]
        assert next_answer(db, "alice", one, after=single) is None


def test_next_prefers_answers_not_yet_reviewed(client, tokens):
    alice = client(tokens["alice"])
    alice.submit(alice.get(review_path(RUN_ID, "MK-0-2")).form("agree-form"))
    response = alice.http.post("/review",
                               data=alice.get(review_path(RUN_ID, "MK-0-1")).form("skip-form")
                               .fields)
    assert location_params(response)["item_id"] == "MK-0-3"  # MK-0-2 is already reviewed
    start = alice.http.get("/next")
    assert location_params(start)["item_id"] == "MK-0-1"  # skipped, so still to review
