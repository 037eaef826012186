"""Price per million tokens, for cost estimates and --max-cost. Local engines cost nothing.

Prices are list prices in USD as published by the providers (checked 2026-11); pass
`--price-in/--price-out` style overrides through `Price` when yours differ.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Price", "cost_usd", "price_for"]


class Price(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


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


def price_for(model: str) -> Price | None:
    """The price of a canonical model name; local engines are free; unknown → None."""
    if model.startswith(("vllm/", "openai-compatible/")):
        return FREE
    if model in _KNOWN:
        return _KNOWN[model]
    # Dated snapshots ("openai/gpt-4o-2024-08-06") cost what their family costs.
    family = max((k for k in _KNOWN if model.startswith(k + "-")), key=len, default=None)
    return _KNOWN[family] if family else None


def cost_usd(price: Price | None, prompt_tokens: int | None, completion_tokens: int | None):
    if price is None or prompt_tokens is None or completion_tokens is None:
        return None
    return (prompt_tokens * price.input_per_mtok + completion_tokens * price.output_per_mtok) / 1e6
