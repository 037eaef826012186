"""Price per million tokens, for the spend ledger and --max-cost. Local engines cost nothing.

The table holds list prices in USD as published by the providers (checked 2026-11). A user's
own prices (`--price MODEL=IN,OUT`, `--price-file`, `prices:` in a run file; read by
`medjudge.prices`) come first, so a contract price, a new model or a priced local server
costs what the user says.

Provider batch requests cost half: OpenAI's Batch API ("50% lower costs",
https://platform.openai.com/docs/guides/batch) and Anthropic's Message Batches API
("reducing costs by 50%", https://platform.claude.com/docs/en/build-with-claude/batch-processing).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "BATCH_DISCOUNT",
    "FREE",
    "ModelPrice",
    "Price",
    "batch_price",
    "cost_usd",
    "price_for",
]

#: What a provider batch request costs, as a share of the same request sent on its own.
BATCH_DISCOUNT = 0.5
#: Providers whose batch APIs bill at `BATCH_DISCOUNT` (see the module docstring).
_BATCH_PROVIDERS = ("openai/", "anthropic/")


class Price(BaseModel):
    """USD per million input (prompt) and output (completion) tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: float = Field(ge=0, le=10_000)
    output_per_mtok: float = Field(ge=0, le=10_000)

    @property
    def free(self) -> bool:
        return self.input_per_mtok == 0 and self.output_per_mtok == 0


class ModelPrice(BaseModel):
    """A user's price for one model (its canonical name: `openai/gpt-4o`, `vllm/...`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    price: Price


FREE = Price(input_per_mtok=0.0, output_per_mtok=0.0)

_KNOWN: dict[str, Price] = {
    "openai/gpt-4o": Price(input_per_mtok=2.50, output_per_mtok=10.00),
    "openai/gpt-4o-mini": Price(input_per_mtok=0.15, output_per_mtok=0.60),
    "openai/gpt-4.1": Price(input_per_mtok=2.00, output_per_mtok=8.00),
    "openai/gpt-4.1-mini": Price(input_per_mtok=0.40, output_per_mtok=1.60),
    "anthropic/claude-sonnet-4-5": Price(input_per_mtok=3.00, output_per_mtok=15.00),
    "anthropic/claude-sonnet-4-0": Price(input_per_mtok=3.00, output_per_mtok=15.00),
    "anthropic/claude-opus-4-1": Price(input_per_mtok=15.00, output_per_mtok=75.00),
    "anthropic/claude-haiku-4-5": Price(input_per_mtok=1.00, output_per_mtok=5.00),
    "anthropic/claude-3-5-haiku-latest": Price(input_per_mtok=0.80, output_per_mtok=4.00),
}


def price_for(model: str, user: Sequence[ModelPrice] = ()) -> Price | None:
    """The price of a canonical model name: the user's (the last one given wins), else the
    list price; local engines (vllm/, openai-compatible/) are free unless the user prices
    them; unknown → None."""
    mine = {entry.model: entry.price for entry in user}
    if model in mine:
        return mine[model]
    if model.startswith(("vllm/", "openai-compatible/")):
        return FREE
    if model in _KNOWN:
        return _KNOWN[model]
    for table in (mine, _KNOWN):
        # Dated snapshots ("openai/gpt-4o-2024-08-06") cost what their family costs.
        family = max((k for k in table if model.startswith(k + "-")), key=len, default=None)
        if family is not None:
            return table[family]
    return None


def batch_price(model: str, price: Price | None) -> Price | None:
    """What a provider batch request of `model` costs at `price` (half, for OpenAI and
    Anthropic; anything else has no batch discount)."""
    if price is None or not model.startswith(_BATCH_PROVIDERS):
        return price
    return Price(
        input_per_mtok=price.input_per_mtok * BATCH_DISCOUNT,
        output_per_mtok=price.output_per_mtok * BATCH_DISCOUNT,
    )


def cost_usd(
    price: Price | None, prompt_tokens: int | None, completion_tokens: int | None
) -> float | None:
    """USD for one request's tokens; None when the price or the tokens are unknown (a free
    model costs 0 whatever it reported)."""
    if price is not None and price.free:
        return 0.0
    if price is None or prompt_tokens is None or completion_tokens is None:
        return None
    return (prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok) / 1e6
