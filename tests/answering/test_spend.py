"""Answering's spend: every request the server billed is in the ledger exactly once (failed
and retried ones too), at the user's price; --max-cost holds across invocations, leaves the
turns it cannot fit unasked (never stored as failed) and exits 3; a budget without a price,
or a bad price, exits 2 before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply
from typer.testing import CliRunner

from medjudge.answering import answer_items, plan_run
from medjudge.benchmarks import load
from medjudge.cli.main import app
from medjudge.models.pricing import Price
from medjudge.records import SamplingConfig
from medjudge.store import Store

runner = CliRunner()
MODEL = "openai-compatible/fake"  # a local server: free unless priced
BILLED = {"prompt_tokens": 1234, "completion_tokens": 567}


def said(result) -> str:
    """What a command printed, with the console's line wrapping undone."""
    return " ".join(result.output.split())


def ledger(store: Path):
    with Store(store) as db:
        return db.spend_entries()


def answer_cli(store: Path, url: str, *more: str):
    return runner.invoke(
        app,
        [
            "answer",
            "sample:generic",
            "--model",
            MODEL,
            "--base-url",
            url,
            "--store",
            str(store),
            "--concurrency",
            "1",
            *more,
        ],
    )


def test_each_answer_request_is_in_the_ledger_at_the_users_price(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    with FakeOpenAI([Reply(**BILLED)]) as server:
        result = answer_cli(store, server.base_url, "--price", f"{MODEL}=2.50,10")
    assert result.exit_code == 0, result.output
    entries = ledger(store)
    assert len(entries) == len(server.seen) == 4 and {e.stage for e in entries} == {"answer"}
    # (1,234 × 2.50 + 567 × 10) / 1e6 = (3,085 + 5,670) / 1e6 = $0.008755 per answer.
    assert [e.cost_usd for e in entries] == pytest.approx([0.008755] * 4, abs=1e-12)
    assert "spent $0.0350" in said(result)  # 4 × 0.008755 = 0.03502


def test_failed_and_retried_requests_are_each_counted_once(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    with FakeOpenAI([Reply(text="   ", **BILLED), Reply(**BILLED)]) as server:
        first = answer_cli(store, server.base_url)  # one empty reply: a failed answer
        assert first.exit_code == 3
        rerun = answer_cli(store, server.base_url)
        again = answer_cli(store, server.base_url)  # nothing left: nothing sent, nothing added
    assert rerun.exit_code == again.exit_code == 0
    entries = ledger(store)
    assert len(entries) == len(server.seen) == 5  # 3 asked, then the failed turn and its next
    assert len({e.request_key for e in entries}) == 5
    assert all(e.cost_usd == 0.0 for e in entries)  # a local server is free


def test_max_cost_holds_across_invocations_and_leaves_turns_unasked(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    # Input free, output $10 per M; --max-tokens 100: a turn's worst case is
    # 100 × 10 / 1e6 = $0.001; each reply bills 50 output tokens: $0.0005. With one request
    # in flight a turn goes out while spent + 0.001 <= 0.00325, i.e. at spent 0, 0.0005,
    # 0.001, 0.0015 and 0.002: 5 of AnesBench's 20 single-turn items, $0.0025.
    args = [
        "answer",
        "sample:anesbench",
        "--model",
        MODEL,
        "--store",
        str(store),
        "--concurrency",
        "1",
        "--max-tokens",
        "100",
        "--price",
        f"{MODEL}=0,10",
    ]
    with FakeOpenAI([Reply(prompt_tokens=1234, completion_tokens=50)]) as server:
        first = runner.invoke(app, [*args, "--base-url", server.base_url, "--max-cost", "0.00325"])
        assert first.exit_code == 3, first.output
        assert "15 turns were not asked" in said(first) and len(server.seen) == 5
        second = runner.invoke(app, [*args, "--base-url", server.base_url, "--max-cost", "0.00325"])
        assert second.exit_code == 3 and len(server.seen) == 5  # $0.0025 spent before
        assert "+$0.0025 earlier" in said(second)
        with Store(store) as db:
            assert db.count_answers(db.runs()[0].run_id) == {"ok": 5, "failed": 0}
        done = runner.invoke(app, [*args, "--base-url", server.base_url, "--max-cost", "1"])
    assert done.exit_code == 0, done.output
    assert len(server.seen) == 20
    assert sum(e.cost_usd for e in ledger(store)) == pytest.approx(20 * 0.0005)


def test_a_batch_engine_sends_only_what_fits_and_keeps_conversations_whole(tmp_path: Path):
    bench = load("sample:llmeval-med")  # MK-1 has 3 turns; 5 more single-turn items
    run = plan_run(
        model="vllm/priced",
        benchmark=bench.name,
        benchmark_path=bench.path,
        benchmark_sha256=bench.sha256,
        items=bench.items,
        sampling=SamplingConfig(max_tokens=100),
        samples=1,
    )
    engine = FixedModel("ok")  # reports 7 in + 3 out per reply
    price = Price(input_per_mtok=0.0, output_per_mtok=10.0)
    with Store(tmp_path / "s.sqlite") as db:
        db.add_items("d", bench.items)
        db.add_run(run, "d")
        # Worst case $0.001 a turn, and a whole wave is in flight at once: $0.0015 fits one
        # turn of wave 1 (spent 3 × 10 / 1e6 = $0.00003). A wave asks the conversations that
        # go on last (for the prefix cache), so that turn is a single-turn item's; MK-1's
        # turn 1 does not fit, so its turns 2 and 3 stay unasked with it: 1 asked, 7 left.
        summary = answer_items(
            bench.items, engine, run=run, store=db, price=price, max_cost_usd=0.0015
        )
        assert (summary.ok, summary.failed, summary.not_sent_budget) == (1, 0, 7)
        assert db.count_answers(run.run_id) == {"ok": 1, "failed": 0}
        assert summary.cost_usd == pytest.approx(0.00003)
        more = answer_items(bench.items, engine, run=run, store=db, price=price)
    assert (more.ok, more.already_done) == (7, 1) and len(engine.requests) == 8


def test_a_budget_needs_a_price_and_bad_prices_exit_2(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    store = tmp_path / "s.sqlite"
    unpriced = runner.invoke(
        app,
        [
            "answer",
            "sample:generic",
            "--model",
            "openai/gpt-9",
            "--max-cost",
            "1",
            "--store",
            str(store),
        ],
    )
    assert unpriced.exit_code == 2
    assert "no price is known for openai/gpt-9" in said(unpriced)
    assert "--price openai/gpt-9=IN,OUT" in said(unpriced)
    bad = runner.invoke(
        app,
        [
            "answer",
            "sample:generic",
            "--model",
            "openai/gpt-4o",
            "--price",
            "gpt-4o=1;2",
            "--store",
            str(store),
        ],
    )
    assert bad.exit_code == 2 and "--price 'gpt-4o=1;2'" in said(bad)
    (tmp_path / "p.yaml").write_text("gpt-4o: [1, 2]\n")
    bad_file = runner.invoke(
        app,
        [
            "answer",
            "sample:generic",
            "--price-file",
            str(tmp_path / "p.yaml"),
            "--store",
            str(store),
        ],
    )
    assert bad_file.exit_code == 2 and "key 'gpt-4o'" in said(bad_file)
    assert "Traceback" not in unpriced.output + bad.output + bad_file.output
    assert not store.exists()
