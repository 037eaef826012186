"""What answering spends: each request's ledger entry, and the budget (`max_cost_usd`)
that holds across reruns of the same run (what the ledger says this run's answering spent
before, plus a worst-case reservation for each turn in flight).

A turn the budget cannot fit is left unasked, and so are the later turns of its
conversation (they need its answer): nothing is stored for them, so the same command with a
higher --max-cost asks them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from medjudge.errors import ConfigError
from medjudge.judging.budget import Budget, worst_case_cost
from medjudge.models.pricing import ModelPrice, Price, price_for
from medjudge.records import ChatRequest, Completion, Run
from medjudge.spend import spend_entry
from medjudge.store import Store
from medjudge.store.spend_rows import SpendEntry

__all__ = ["AnswerSpend", "answer_price"]


def answer_price(
    model: str, prices: Sequence[ModelPrice] = (), max_cost_usd: float | None = None
) -> Price | None:
    """The answering model's price (the user's first); with a budget it must have one."""
    price = price_for(model, prices)
    if price is None and max_cost_usd is not None:
        raise ConfigError(
            f"no price is known for {model}, so --max-cost cannot be enforced; give one with "
            f"--price {model}=IN,OUT (USD per million input, output tokens) or --price-file, "
            "or drop --max-cost"
        )
    return price


@dataclass
class AnswerSpend:
    """One answering call's spend: the model's price, the budget, and a session id that
    makes each request's ledger key unique (a retry in a later call is a new request)."""

    model: str
    price: Price | None
    budget: Budget
    session: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def for_run(
        cls, store: Store, run: Run, price: Price | None, max_cost_usd: float | None = None
    ) -> AnswerSpend:
        prices = {
            run.model: None if price is None else (price.input_per_mtok, price.output_per_mtok)
        }
        before = store.spent_usd("answer", [run.run_id], prices)
        return cls(model=run.model, price=price, budget=Budget(max_cost_usd, before=before))

    def estimate(self, request: ChatRequest) -> float:
        """The most this request can cost: its prompt's worst case and max_tokens out."""
        return worst_case_cost(self.price, request.messages, request.sampling.max_tokens)

    def entry(self, run_id: str, item_id: str, sample: int, out: Completion) -> SpendEntry | None:
        return spend_entry(
            request_key=f"answer:{self.session}:{run_id}:{item_id}:{sample}",
            run_id=run_id,
            stage="answer",
            model=self.model,
            item_id=item_id,
            sample=sample,
            completion=out,
            price=self.price,
        )

    @staticmethod
    def actual(entry: SpendEntry | None) -> float | None:
        """What a request that came back cost the budget (not billed: 0; unpriced: None,
        so its worst case counts)."""
        return 0.0 if entry is None else entry.cost_usd
