"""What one billed request goes into the spend ledger as: `spend_entry`.

Answering and judging call it for every request that came back (re-asked and failed ones
too) and store the entry in the same transaction as the answer or verdict it produced
(`Store.save_answers(..., spend=...)`, `Store.save_verdicts(..., spend=...)`), or on its own
(`Store.record_spend`) when nothing else is stored for it. Provider batch results use it too:

    entry = spend_entry(
        request_key=f"batch:{provider_batch_id}:{custom_id}", run_id=..., stage="grade",
        model=judge, item_id=..., sample=..., completion=out, price=price, batch=True,
        pass_id=..., judge_run=..., attempt=...,
    )
    store.save_verdicts([verdict], spend=[entry] if entry else [])

`price` is the model's price for a request sent on its own (`models.pricing.price_for`);
with `batch=True` the entry records (and costs) the provider's batch price instead.
"""

from __future__ import annotations

from medjudge.models.pricing import Price, batch_price, cost_usd
from medjudge.records import Completion
from medjudge.store import utc_now
from medjudge.store.spend_rows import SpendEntry, SpendStage

__all__ = ["spend_entry"]


def spend_entry(
    *,
    request_key: str,
    run_id: str,
    stage: SpendStage,
    model: str,
    item_id: str,
    sample: int,
    completion: Completion,
    price: Price | None,
    batch: bool = False,
    pass_id: int | None = None,
    judge_run: int | None = None,
    attempt: int = 0,
) -> SpendEntry | None:
    """The ledger entry of one request that came back as `completion`, or None when it
    was not billed: a transport failure (HTTP error, timeout) that reported no usage."""
    prompt, completion_tokens = completion.prompt_tokens, completion.completion_tokens
    if completion.error is not None and prompt is None and completion_tokens is None:
        return None
    used = batch_price(model, price) if batch else price
    return SpendEntry(
        request_key=request_key,
        run_id=run_id,
        stage=stage,
        model=model,
        item_id=item_id,
        sample=sample,
        pass_id=pass_id,
        judge_run=judge_run,
        attempt=attempt,
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        input_per_mtok=used.input_per_mtok if used is not None else None,
        output_per_mtok=used.output_per_mtok if used is not None else None,
        cost_usd=cost_usd(used, prompt, completion_tokens),
        batch=batch,
        created_at=utc_now(),
    )
