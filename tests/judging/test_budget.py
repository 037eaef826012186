"""The budget's chunk reservations (provider batches): how many of a chunk's worst cases fit
beside what was spent and what is in flight, and a reservation replaced by the actual cost;
and a request that waits for room, in each of the event loops one Budget is used in."""

from __future__ import annotations

import asyncio

import pytest

from medjudge.judging.budget import Budget


def test_a_chunk_gets_the_requests_that_fit_in_order():
    budget = Budget(1.0, before=0.25)  # $0.75 left
    assert budget.reserve_chunk([0.25, 0.25, 0.25, 0.25]) == 3
    assert budget.in_flight
    # Only the $0.75 of the three that fit is held: a fourth request fits in nothing now.
    assert budget.reserve_chunk([0.25]) == 0


def test_a_request_larger_than_what_is_left_stops_the_chunk_even_if_later_ones_are_small():
    budget = Budget(1.0)
    assert budget.reserve_chunk([0.5, 0.75, 0.125]) == 1


def test_settling_replaces_the_reservation_by_the_actual_cost():
    budget = Budget(1.0)
    assert budget.reserve_chunk([0.5, 0.5]) == 2
    assert budget.reserve_chunk([0.25]) == 0
    asyncio.run(budget.settle_chunk(1.0, 0.125))
    assert not budget.in_flight and budget.spent == 0.125
    # $0.875 left now: seven $0.125 requests fit, the eighth does not.
    assert budget.reserve_chunk([0.125] * 8) == 7


def test_a_batch_held_again_after_a_crash_and_earlier_replies_count():
    budget = Budget(1.0)
    budget.hold_chunk(0.5)  # a live batch an earlier process submitted
    budget.spent_earlier(0.25)  # replies it fetched and recorded nothing for
    assert budget.before == 0.25
    assert budget.reserve_chunk([0.25, 0.25]) == 1
    budget.cancel_chunk(0.25)  # that chunk's submission failed: nothing spent
    assert budget.reserve_chunk([0.25]) == 1


def test_without_a_limit_every_request_fits():
    budget = Budget(None)
    assert budget.reserve_chunk([1e6, 1e6]) == 2
    asyncio.run(budget.settle_chunk(0.0, 0.5))  # a batch nothing was held for
    assert budget.spent == 0.5


def test_submit_chunks_sends_what_fits_and_refuses_only_what_never_can():
    budget = Budget(1.0)
    sent: list[tuple[list[str], float]] = []
    refused: list[list[str]] = []

    async def submit(chunk, reserved):
        sent.append((list(chunk), reserved))

    chunks = [["a", "b"], ["c", "d"]]
    cost = {"a": 0.5, "b": 0.25, "c": 0.5, "d": 0.125}.__getitem__
    # a and b ($0.75) go; c does not fit beside them, and they are in flight: it waits.
    assert asyncio.run(budget.submit_chunks(chunks, cost, submit, refused.append)) == 2
    assert sent == [(["a", "b"], 0.75)] and refused == []
    asyncio.run(budget.settle_chunk(0.75, 0.75))  # they really cost their worst case
    # Nothing is in flight now and c ($0.5) can never fit in the $0.25 left: refused.
    assert asyncio.run(budget.submit_chunks([["c", "d"]], cost, submit, refused.append)) == 0
    assert refused == [["c", "d"]] and len(sent) == 1


def test_a_chunk_whose_submission_fails_holds_nothing():
    budget = Budget(1.0)

    async def fails(chunk, reserved):
        raise ConnectionError("the provider is down")

    with pytest.raises(ConnectionError):
        asyncio.run(budget.submit_chunks([[0.5]], float, fails, lambda chunk: None))
    assert not budget.in_flight and budget.spent == 0.0


async def _wait_for_room(budget: Budget, ahead: float, waiting: float) -> tuple[bool, bool]:
    """A request holding `ahead` and one that needs `waiting` beside it: whether the second
    was still waiting before the first settled (at $0.125), and whether it then got its room."""
    assert await budget.reserve(ahead)
    second = asyncio.create_task(budget.reserve(waiting))
    await asyncio.sleep(0)  # one turn of the loop: the second request runs until it waits
    waited = not second.done()
    await budget.settle(ahead, 0.125)
    got = await second
    await budget.settle(waiting, 0.125)
    return waited, got


def test_one_budget_shared_by_event_loops_lets_a_waiting_request_through_in_each():
    # As a jury grades: one budget, one asyncio.run per judge, a request waiting in each.
    budget = Budget(1.0)
    assert asyncio.run(_wait_for_room(budget, 0.75, 0.5)) == (True, True)
    # $0.25 spent: $0.5 held leaves no room for $0.5 more until it settles.
    assert asyncio.run(_wait_for_room(budget, 0.5, 0.5)) == (True, True)
    assert budget.spent == 0.5 and not budget.in_flight
