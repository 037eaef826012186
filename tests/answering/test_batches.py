"""`answer --batch`: one provider batch per turn of the conversations (each turn built on the
model's own earlier answers), failed entries stored as failed answers and asked again on a
rerun, and a rerun after a kill resuming the stored batch instead of submitting again."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_batches import FakeBatches, Script
from support.progress_recorder import Recorder

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.benchmarks import load
from medjudge.errors import ConfigError
from medjudge.models.batch.session import BatchSession
from medjudge.store import Store


@pytest.fixture(autouse=True)
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-answer")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-answer")


def echo(body: dict) -> str:
    """The fake model's answer: names the question it was asked (its last user message)."""
    return f"answer to: {body['messages'][-1]['content'][:24]}"


def answer(
    server: FakeBatches, store: Path, model: str = "openai/gpt-4o-mini", progress=None,
    **overrides,
):
    url = server.root if model.startswith("anthropic/") else server.base_url
    config = AnswerConfig(
        benchmark="sample:llmeval-med",
        store=store,
        model=model,
        base_url=url,
        batch=True,
        poll_interval_s=0.001,
        **overrides,
    )
    return answer_benchmark(config, progress=progress)


async def killed_while_polling(self, rows):
    """`BatchSession.wait` of a process killed while it polls (batches already submitted)."""
    raise KeyboardInterrupt


def turns_by_depth() -> list[int]:
    """How many conversations of the sample have a turn 1, 2, 3, ..."""
    items = load("sample:llmeval-med").items
    depth = max(i.turn for i in items)
    return [sum(1 for i in items if i.turn == n) for n in range(1, depth + 1)]


@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"])
def test_each_turn_is_one_batch_built_on_the_models_own_answers(tmp_path: Path, model: str):
    store = tmp_path / "s.sqlite"
    with FakeBatches(Script(polls_to_end=2, reply=echo)) as server:
        summary = answer(server, store, model=model)
        batches = server.created()
    assert [len(b.lines) for b in batches] == turns_by_depth()
    assert summary.ok == sum(turns_by_depth()) and summary.failed == 0
    with Store(store) as db:
        answers = {a.item_id: a for a in db.answers(summary.run_id)}
    turn2 = next(a for a in answers.values() if len(a.messages) == 3)
    # The turn-2 request carried the turn-1 answer the batch returned, as the assistant's.
    assert turn2.messages[1].role == "assistant"
    assert turn2.messages[1].content == echo({"messages": [turn2.messages[0].model_dump()]})
    assert turn2.text == echo({"messages": [m.model_dump() for m in turn2.messages]})


def test_an_expired_turn_fails_its_conversation_and_a_rerun_asks_only_that(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    script = Script(
        reply=echo,
        fault=lambda number, index, body: "expire" if (number, index) == (0, 0) else None,
    )
    with FakeBatches(script) as server:
        first = answer(server, store)
        sent_first = len(server.created())
        with Store(store) as db:
            failed = [a for a in db.answers(first.run_id) if a.status == "failed"]
        again = answer(server, store)
        rerun = server.created()[sent_first:]
    depth = turns_by_depth()
    conversation = sorted(failed, key=lambda a: len(a.error))  # the expired turn first
    assert "expired" in conversation[0].error
    assert all("not asked: earlier turn 1 failed" in a.error for a in conversation[1:])
    assert first.failed == len(failed) >= 1 and again.failed == 0
    # The rerun sends the failed conversation's turns, one batch per turn, and nothing else.
    assert [len(b.lines) for b in rerun] == [1] * len(failed)
    assert again.ok == len(failed) and again.already_done == sum(depth) - len(failed)


def test_a_rerun_after_a_kill_while_polling_submits_nothing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    real = BatchSession.wait
    store = tmp_path / "s.sqlite"
    with FakeBatches(Script(reply=echo, polls_to_end=2)) as server:
        monkeypatch.setattr(BatchSession, "wait", killed_while_polling)
        with pytest.raises(KeyboardInterrupt):
            answer(server, store)
        monkeypatch.setattr(BatchSession, "wait", real)
        summary = answer(server, store)
        assert [len(b.lines) for b in server.created()] == turns_by_depth()
    assert summary.ok == sum(turns_by_depth()) and summary.failed == 0


def test_batch_answering_needs_a_provider_with_a_batch_api(tmp_path: Path):
    store = tmp_path / "never-made.sqlite"
    config = AnswerConfig(
        benchmark="sample:llmeval-med",
        store=store,
        model="openai-compatible/qwen",
        base_url="http://127.0.0.1:9/v1",
        batch=True,
    )
    with pytest.raises(ConfigError, match="no batch API"):
        answer_benchmark(config)
    assert not store.exists()


def test_the_cli_answers_in_batches(tmp_path: Path):
    from typer.testing import CliRunner

    from medjudge.cli.main import app

    store = tmp_path / "s.sqlite"
    with FakeBatches(Script(reply=echo)) as server:
        result = CliRunner().invoke(
            app,
            [
                "answer",
                "sample:llmeval-med",
                "--model",
                "openai/gpt-4o-mini",
                "--base-url",
                server.base_url,
                "--batch",
                "--poll-interval",
                "0.001",
                "--store",
                str(store),
            ],
        )
        batches = server.created()
    assert result.exit_code == 0, result.output
    assert f"{sum(turns_by_depth())} answered, 0 failed" in result.output
    assert [len(b.lines) for b in batches] == turns_by_depth()


def test_the_cli_refuses_batch_for_a_model_without_a_batch_api(tmp_path: Path):
    from typer.testing import CliRunner

    from medjudge.cli.main import app

    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(
        app,
        [
            "answer",
            "sample:llmeval-med",
            "--model",
            "vllm/some-model",
            "--batch",
            "--store",
            str(store),
        ],
    )
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "offline batches already" in result.output
    assert not store.exists()


def test_batch_answers_are_in_the_spend_ledger_at_the_batch_price(tmp_path: Path):
    from typer.testing import CliRunner

    from medjudge.cli.main import app

    store = tmp_path / "s.sqlite"
    with FakeBatches(Script(reply=echo)) as server:
        summary = answer(server, store)
        answer(server, store)  # a rerun asks nothing and counts nothing twice
    with Store(store) as db:
        entries = [e for e in db.spend_entries(summary.run_id) if e.stage == "answer"]
    # gpt-4o-mini lists at $0.15 / $0.60 per M; a batch costs half: $0.075 / $0.30. Each
    # reply reports 400 prompt + 100 completion tokens: (30 + 30) / 1e6 = $0.00006.
    assert len(entries) == sum(turns_by_depth()) and all(e.batch for e in entries)
    assert {(e.input_per_mtok, e.output_per_mtok) for e in entries} == {(0.075, 0.30)}
    assert sum(e.cost_usd for e in entries) == pytest.approx(len(entries) * 0.00006)
    # `runs show` says how the run was answered.
    shown = CliRunner().invoke(app, ["runs", "show", summary.run_id, "--store", str(store)],
                               env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    total = sum(turns_by_depth())
    assert f"{total} of {total} billed requests through the openai batch API" in shown.output


# -- the budget (--max-cost) ----------------------------------------------------------------
#: With no input price and $2 per M output tokens, a batch request costs half: $1 per M
#: output tokens. A turn may write `max_tokens` = 1000 tokens, so its worst case is exactly
#: $0.001 whatever its prompt; the fake bills 1000 completion tokens (`FULL`) or 100 (`TENTH`).
PRICED = {
    "openai/gpt-4o-mini": "openai",
    "anthropic/claude-haiku-4-5": "anthropic",
}
FULL, TENTH = 1000, 100


def two_per_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    from medjudge.models.batch import BatchLimits
    from medjudge.models.batch.anthropic import AnthropicBatchProvider
    from medjudge.models.batch.openai import OpenAIBatchProvider

    small = BatchLimits(max_requests=2, max_bytes=10**9)
    monkeypatch.setattr(OpenAIBatchProvider, "limits", small)
    monkeypatch.setattr(AnthropicBatchProvider, "limits", small)


def budgeted(server: FakeBatches, store: Path, model: str, max_cost_usd: float, **overrides):
    from medjudge.models.pricing import ModelPrice, Price
    from medjudge.records import SamplingConfig

    return answer(
        server, store, model=model, max_cost_usd=max_cost_usd,
        prices=(ModelPrice(model=model, price=Price(input_per_mtok=0, output_per_mtok=2.0)),),
        sampling=SamplingConfig(max_tokens=1000), **overrides,
    )


@pytest.mark.parametrize("model", sorted(PRICED))
def test_a_budget_that_fits_two_batches_submits_two_then_a_rerun_nothing_then_more_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str
):
    two_per_batch(monkeypatch)
    store = tmp_path / "s.sqlite"
    total = sum(turns_by_depth())  # 8 turns: 6 first turns, one conversation of 3
    with FakeBatches(Script(reply=echo, completion_tokens=FULL)) as server:
        # $0.0045 holds two batches of two turns ($0.004) but not a third ($0.006).
        first = budgeted(server, store, model, 0.0045)
        sent_first = [len(b.lines) for b in server.created()]
        again = budgeted(server, store, model, 0.0045)
        sent_again = len(server.created())
        raised = budgeted(server, store, model, 0.01)
        rest = [len(b.lines) for b in server.created()[sent_again:]]
        custom_ids = server.custom_ids()
    assert sent_first == [2, 2]
    assert (first.ok, first.not_sent_budget) == (4, total - 4)
    assert first.cost_usd == pytest.approx(0.004)
    # The same budget again: the ledger says $0.004 is spent, so no turn fits any more.
    assert sent_again == 2 and again.asked == 0 and again.not_sent_budget == total - 4
    assert again.cost_before_usd == pytest.approx(0.004)
    # A higher budget asks the other four turns, each once.
    assert sum(rest) == total - 4 and raised.ok == total - 4 and raised.not_sent_budget == 0
    assert len(set(custom_ids)) == len(custom_ids) == total
    with Store(store) as db:
        answers = db.answers(first.run_id)
        entries = [e for e in db.spend_entries(first.run_id) if e.stage == "answer"]
        rows = db.batches()
    assert len(answers) == total and all(a.status == "ok" for a in answers)
    assert len(entries) == total and sum(e.cost_usd for e in entries) == pytest.approx(0.008)
    assert [r.reserved_usd for r in rows[:2]] == [pytest.approx(0.002)] * 2
    assert {r.provider for r in rows} == {PRICED[model]}


def test_a_batch_that_does_not_fit_beside_those_in_flight_waits_for_them_to_settle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    two_per_batch(monkeypatch)
    progress = Recorder()
    with FakeBatches(Script(reply=echo, completion_tokens=TENTH)) as server:
        summary = budgeted(
            server, tmp_path / "s.sqlite", "openai/gpt-4o-mini", 0.0045, progress=progress
        )
        sizes = [len(b.lines) for b in server.created()]
    total = sum(turns_by_depth())
    # Two batches ($0.002 each at worst) are in flight; the third waits until both settled
    # at what they really cost (4 × 100 tokens at $1/M = $0.0004), then fits.
    batches = [c[1:] for c in progress.calls if c[0] == "batches"]
    assert batches[:4] == [(1, 0), (2, 0), (2, 2), (3, 2)]
    assert sizes == [2, 2, 2, 1, 1]
    assert (summary.ok, summary.not_sent_budget) == (total, 0)
    assert summary.cost_usd == pytest.approx(total * 0.0001)
    spends = [c[1] for c in progress.calls if c[0] == "spend"]
    # The spend shown grows as each batch settles: two turns × $0.0001 each.
    assert spends[:2] == [pytest.approx(0.0002), pytest.approx(0.0004)]
    assert spends[-1] == pytest.approx(total * 0.0001)


def test_the_cli_says_what_the_budget_left_unasked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from typer.testing import CliRunner

    from medjudge.cli.main import app

    two_per_batch(monkeypatch)
    model = "openai/gpt-4o-mini"
    with FakeBatches(Script(reply=echo, completion_tokens=FULL)) as server:
        result = CliRunner().invoke(app, [
            "answer", "sample:llmeval-med", "--model", model, "--base-url", server.base_url,
            "--batch", "--poll-interval", "0.001", "--max-tokens", "1000",
            "--price", f"{model}=0,2", "--max-cost", "0.0045",
            "--store", str(tmp_path / "s.sqlite"),
        ])
        assert len(server.created()) == 2
    text = " ".join(result.output.split())  # rich wraps lines at the terminal width
    assert result.exit_code == 3 and "Traceback" not in text
    assert "4 answered, 0 failed" in text and "spent $0.0040" in text
    assert "stopped at the budget: 4 turns were not asked" in text


async def fetched_then_killed(self, rows):
    """`BatchSession.wait` of a process killed after the batches ended and their replies
    were stored, before any answer (or ledger entry) was."""
    await REAL_WAIT(self, rows)
    raise KeyboardInterrupt


REAL_WAIT = BatchSession.wait


@pytest.mark.parametrize(
    ("kill", "polls"),
    [
        # The ledger is still empty: only the live batches' stored reservations ($0.004)
        # keep a third batch from being sent beside them.
        (killed_while_polling, 2),
        # The ledger is empty, but the four replies fetched cost $0.004.
        (fetched_then_killed, 1),
    ],
    ids=["live-batches-hold-their-reservations", "fetched-replies-count-as-spent"],
)
def test_a_rerun_after_a_kill_keeps_to_the_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kill, polls: int
):
    two_per_batch(monkeypatch)
    store = tmp_path / "s.sqlite"
    model = "openai/gpt-4o-mini"
    with FakeBatches(Script(reply=echo, completion_tokens=FULL, polls_to_end=polls)) as server:
        monkeypatch.setattr(BatchSession, "wait", kill)
        with pytest.raises(KeyboardInterrupt):
            budgeted(server, store, model, 0.0045)  # dies with two batches submitted
        assert [len(b.lines) for b in server.created()] == [2, 2]
        monkeypatch.setattr(BatchSession, "wait", REAL_WAIT)
        summary = budgeted(server, store, model, 0.0045)
        assert [len(b.lines) for b in server.created()] == [2, 2]  # no third batch
    total = sum(turns_by_depth())
    assert (summary.ok, summary.not_sent_budget) == (4, total - 4)
    assert summary.cost_usd + summary.cost_before_usd == pytest.approx(0.004)
    with Store(store) as db:
        entries = [e for e in db.spend_entries(summary.run_id) if e.stage == "answer"]
    assert len(entries) == 4 and sum(e.cost_usd for e in entries) == pytest.approx(0.004)
