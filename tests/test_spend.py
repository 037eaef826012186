"""`spend_entry`, what every billed request becomes in the ledger: the price used, its cost,
the batch price for provider batch requests (the function the batch path calls), and no
entry for a failure that reported no usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from medjudge.models.pricing import price_for
from medjudge.records import Completion, Run, SamplingConfig
from medjudge.spend import spend_entry
from medjudge.store import Store

SONNET = "anthropic/claude-sonnet-4-5"  # $3 / $15 per million tokens


def entry(completion: Completion, *, batch: bool, key: str = "k"):
    return spend_entry(
        request_key=key,
        run_id="r1",
        stage="grade",
        model=SONNET,
        item_id="q1",
        sample=0,
        completion=completion,
        price=price_for(SONNET),
        batch=batch,
        pass_id=7,
        judge_run=0,
    )


def test_a_batch_request_is_recorded_at_half_price():
    billed = Completion(text="ok", prompt_tokens=1234, completion_tokens=567)
    alone, batched = entry(billed, batch=False), entry(billed, batch=True)
    # Alone: (1,234 × 3 + 567 × 15) / 1e6 = (3,702 + 8,505) / 1e6 = $0.012207.
    assert alone.cost_usd == pytest.approx(0.012207, abs=1e-12) and not alone.batch
    # Batch: (1,234 × 1.50 + 567 × 7.50) / 1e6 = (1,851 + 4,252.5) / 1e6 = $0.0061035.
    assert batched.cost_usd == pytest.approx(0.0061035, abs=1e-12) and batched.batch
    assert (batched.input_per_mtok, batched.output_per_mtok) == (1.5, 7.5)


def test_only_billed_requests_have_an_entry():
    assert entry(Completion(error="HTTP 500"), batch=False) is None
    refused = entry(Completion(error="refused", prompt_tokens=10, completion_tokens=2), batch=False)
    assert refused is not None and refused.cost_usd == pytest.approx((30 + 30) / 1e6)
    unpriced = spend_entry(
        request_key="u",
        run_id="r1",
        stage="answer",
        model="openai/gpt-9",
        item_id="q1",
        sample=0,
        completion=Completion(text="ok", prompt_tokens=5, completion_tokens=5),
        price=None,
    )
    assert unpriced.cost_usd is None and unpriced.input_per_mtok is None


def test_a_batch_result_read_twice_is_counted_once(tmp_path: Path):
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(
            Run(
                run_id="r1",
                model="m",
                benchmark="b",
                benchmark_path="b",
                benchmark_sha256="0" * 64,
                samples=1,
                sampling=SamplingConfig(),
                created_at="t",
                medjudge_version="0",
            ),
            "d",
        )
        billed = Completion(text="ok", prompt_tokens=1234, completion_tokens=567)
        result = entry(billed, batch=True, key="batch:msgbatch_01:req-7")
        store.record_spend([result])
        store.record_spend([entry(billed, batch=True, key="batch:msgbatch_01:req-7")])
        (tally,) = store.spend_tallies()
    assert (tally.requests, tally.batch) == (1, 1)
    assert tally.cost_usd == pytest.approx(0.0061035)
