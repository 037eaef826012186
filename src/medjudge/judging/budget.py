"""The grading budget: spend against `max_cost_usd`, reserved per request in flight."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

__all__ = ["Budget"]


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
    settled: asyncio.Condition | None = field(default=None, repr=False)

    def _room(self, estimate: float, *, in_flight: bool) -> bool:
        held = self.reserved if in_flight else 0.0
        return self.limit is None or self.before + self.spent + held + estimate <= self.limit

    async def reserve(self, estimate: float) -> bool:
        """Hold `estimate` for one request; False when the budget can never fit it."""
        if self.settled is None:
            self.settled = asyncio.Condition()
        async with self.settled:
            while True:  # bounded: every wait ends when an in-flight request settles
                if not self._room(estimate, in_flight=False):
                    return False
                if self._room(estimate, in_flight=True):
                    self.reserved += estimate
                    return True
                await self.settled.wait()

    async def settle(self, estimate: float, actual: float | None) -> None:
        self.reserved -= estimate
        self.spent += actual if actual is not None else estimate
        if self.settled is not None:
            async with self.settled:
                self.settled.notify_all()

