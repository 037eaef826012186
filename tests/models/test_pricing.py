"""Prices: the user's beat the list's, local engines are free unless priced, dated
snapshots cost what their family costs, batch requests cost half at OpenAI and Anthropic,
and costs match hand arithmetic."""

from __future__ import annotations

import pytest

from medjudge.models.pricing import ModelPrice, Price, batch_price, cost_usd, price_for


def mine(model: str, inp: float, out: float) -> ModelPrice:
    return ModelPrice(model=model, price=Price(input_per_mtok=inp, output_per_mtok=out))


def test_cost_by_hand():
    # 1,234 in + 567 out at $2.50 / $10 per M: (3,085 + 5,670) / 1e6 = $0.008755.
    gpt4o = price_for("openai/gpt-4o")
    assert cost_usd(gpt4o, 1234, 567) == pytest.approx(0.008755, abs=1e-12)
    assert cost_usd(gpt4o, None, 567) is None  # tokens unknown: unpriced, not 0
    assert cost_usd(None, 10, 10) is None


def test_user_prices_beat_the_list_and_price_local_engines():
    user = [mine("openai/gpt-4o", 2.0, 8.0), mine("vllm/qwen", 0.1, 0.2)]
    assert price_for("openai/gpt-4o", user) == Price(input_per_mtok=2.0, output_per_mtok=8.0)
    assert price_for("openai/gpt-4o-2024-08-06", user).input_per_mtok == 2.0  # its family
    assert price_for("openai/gpt-4o-mini", user).input_per_mtok == 0.15  # not gpt-4o's
    assert price_for("vllm/qwen", user).output_per_mtok == 0.2
    assert price_for("vllm/other", user).free and price_for("openai-compatible/x").free
    assert price_for("openai/gpt-9") is None
    later = [mine("openai/gpt-9", 1.0, 1.0), mine("openai/gpt-9", 3.0, 4.0)]
    assert price_for("openai/gpt-9", later).input_per_mtok == 3.0  # the last one given wins


def test_batch_requests_cost_half_at_openai_and_anthropic_only():
    price = Price(input_per_mtok=3.0, output_per_mtok=15.0)
    assert batch_price("anthropic/claude-sonnet-4-5", price) == Price(
        input_per_mtok=1.5, output_per_mtok=7.5
    )
    assert batch_price("openai/gpt-4o", price).output_per_mtok == 7.5
    assert batch_price("openai-compatible/x", price) == price
    assert batch_price("openai/gpt-4o", None) is None


def test_a_free_model_costs_nothing_even_without_token_counts():
    assert cost_usd(price_for("vllm/x"), None, None) == 0.0
