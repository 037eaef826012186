"""The budget: spend against `max_cost_usd`, reserved per request in flight, for grading and
answering alike; and the worst case one request can cost.

Provider batches (`grade --batch`, `answer --batch`) reserve a whole chunk of requests at
once: `reserve_chunk` holds as many of a chunk's worst cases as fit (`submit_chunks` sends
chunks that way), `hold_chunk` takes back the reservation of a batch an earlier process
submitted, `cancel_chunk` frees one that was never sent, and `settle_chunk` replaces a
reservation by what the batch really cost.

What was spent before (by earlier runs of the same command) comes from the store's spend
ledger (`Store.spent_usd`), so a limit holds across reruns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from medjudge.models.pricing import Price, cost_usd
from medjudge.records import Message

__all__ = ["Budget", "worst_case_cost", "worst_case_prompt_tokens"]

#: Tokens a chat format adds around each message (role markers), and once per request; above
#: what OpenAI documents for its chat models (3-4 per message, 3 per reply).
_PER_MESSAGE = 8
_PER_REQUEST = 16
#: Below this, a reservation is rounding left over from settled ones, not a request in flight.
_EPSILON = 1e-9

T = TypeVar("T")


def worst_case_prompt_tokens(messages: Sequence[Message]) -> int:
    """An upper bound on a request's prompt tokens: byte-level BPE tokenizers never make
    more tokens of a text than it has UTF-8 bytes, plus the chat format's own tokens."""
    return _PER_REQUEST + sum(len(m.content.encode("utf-8")) + _PER_MESSAGE for m in messages)


def worst_case_cost(price: Price | None, messages: Sequence[Message], max_tokens: int) -> float:
    """The most one request can cost: its prompt's worst case and `max_tokens` of output
    (0 for an unpriced model: a budget needs every model priced, checked before sending)."""
    if price is None:
        return 0.0
    return cost_usd(price, worst_case_prompt_tokens(messages), max_tokens) or 0.0


@dataclass
class Budget:
    """Spend against `max_cost_usd`. Only requests in flight hold a reservation (their worst
    case); a job waits while those crowd it out, and is refused only when what was really
    spent (by this process and, from the store, by earlier runs) leaves no room for it."""

    limit: float | None
    before: float = 0.0
    spent: float = 0.0
    reserved: float = 0.0
    refused: int = 0
    #: What waiting requests wait on, and the event loop it belongs to (`_settled_here`).
    _settled: asyncio.Condition | None = field(default=None, init=False, repr=False,
                                               compare=False)
    _settled_loop: asyncio.AbstractEventLoop | None = field(default=None, init=False,
                                                           repr=False, compare=False)

    def _settled_here(self) -> asyncio.Condition:
        """The condition of the running event loop, made on its first use there: a Budget
        outlives one `asyncio.run` (a jury's judges are sent one loop each, provider
        batches in another), and a condition a request waited on is bound to its loop."""
        loop = asyncio.get_running_loop()
        if self._settled is None or self._settled_loop is not loop:
            self._settled, self._settled_loop = asyncio.Condition(), loop
        return self._settled

    def _room(self, estimate: float, *, in_flight: bool) -> bool:
        held = self.reserved if in_flight else 0.0
        return self.limit is None or self.before + self.spent + held + estimate <= self.limit

    def try_reserve(self, estimate: float) -> bool:
        """Hold `estimate` if it fits beside what is in flight now (batch engines: a whole
        batch is in flight at once); False otherwise."""
        if not self._room(estimate, in_flight=True):
            return False
        self.reserved += estimate
        return True

    async def reserve(self, estimate: float) -> bool:
        """Hold `estimate` for one request; False when the budget can never fit it."""
        settled = self._settled_here()
        async with settled:
            while True:  # bounded: every wait ends when an in-flight request settles
                if not self._room(estimate, in_flight=False):
                    return False
                if self.try_reserve(estimate):
                    return True
                await settled.wait()

    def release(self, estimate: float, actual: float | None) -> None:
        """A request held `estimate` and came back costing `actual` (None: unknown, counted
        at its worst case)."""
        self.reserved -= estimate
        self.spent += actual if actual is not None else estimate

    async def settle(self, estimate: float, actual: float | None) -> None:
        self.release(estimate, actual)
        settled = self._settled_here()
        async with settled:
            settled.notify_all()

    # -- chunks of requests (provider batches) ---------------------------------------------
    @property
    def in_flight(self) -> bool:
        """Some reservation is held (a request or a batch has not settled yet)."""
        return self.reserved > _EPSILON

    def reserve_chunk(self, estimates: Sequence[float]) -> int:
        """Hold the worst cases of the first requests of a chunk, in order, as many as fit
        beside what was spent and what is in flight; returns how many (every one without a
        limit). 0: none fits now; it may once what is in flight settles (`in_flight`), or
        never (not `in_flight`)."""
        fits = len(estimates)
        if self.limit is not None:
            room = self.limit - self.before - self.spent - self.reserved
            total = 0.0
            for n, estimate in enumerate(estimates):
                total += estimate
                if total > room:
                    fits = n
                    break
        self.reserved += sum(estimates[:fits])
        return fits

    def hold_chunk(self, reserved: float) -> None:
        """A batch an earlier process submitted, still running: its reservation (as stored
        with the batch) is held again."""
        self.reserved += reserved

    def cancel_chunk(self, reserved: float) -> None:
        """A chunk reserved but never submitted: nothing was spent."""
        self.reserved -= reserved

    def spent_earlier(self, usd: float) -> None:
        """Count what an earlier process spent that the ledger does not hold yet (replies
        it fetched but turned into no answer or verdict)."""
        self.before += usd

    async def submit_chunks(
        self,
        chunks: Sequence[Sequence[T]],
        estimate: Callable[[T], float],
        submit: Callable[[Sequence[T], float], Awaitable[None]],
        refuse: Callable[[Sequence[T]], None],
    ) -> int:
        """Send each chunk's first requests that fit, their worst cases reserved first:
        `submit(requests, reserved)` (on failure the reservation is freed). A chunk none of
        whose requests fits is left to wait while something is in flight, and is
        `refuse`d when nothing is (it can never fit). Returns how many requests were sent;
        the rest of a chunk cut short waits for the caller's next round."""
        sent = 0
        for chunk in chunks:
            estimates = [estimate(request) for request in chunk]
            fits = self.reserve_chunk(estimates)
            if fits == 0:
                if not self.in_flight:
                    refuse(chunk)
                continue
            reserved = sum(estimates[:fits])
            try:
                await submit(chunk[:fits], reserved)
            except BaseException:
                self.cancel_chunk(reserved)
                raise
            sent += fits
        return sent

    async def settle_chunk(self, reserved: float, actual: float) -> None:
        """A batch that held `reserved` (0: one this process holds nothing for) ended
        costing `actual`: the reservation is replaced by the actual cost."""
        await self.settle(reserved, actual)
