"""`answer --batch`: one provider batch per turn of the conversations (each turn built on the
model's own earlier answers), failed entries stored as failed answers and asked again on a
rerun, and a rerun after a kill resuming the stored batch instead of submitting again."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_batches import FakeBatches, Script

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.benchmarks import load
from medjudge.errors import ConfigError
from medjudge.store import Store


@pytest.fixture(autouse=True)
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-answer")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-answer")


def echo(body: dict) -> str:
    """The fake model's answer: names the question it was asked (its last user message)."""
    return f"answer to: {body['messages'][-1]['content'][:24]}"


def answer(server: FakeBatches, store: Path, model: str = "openai/gpt-4o-mini", **overrides):
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
    return answer_benchmark(config)


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
    from medjudge.models.batch.session import BatchSession

    real = BatchSession.wait

    async def killed(self, rows):
        raise KeyboardInterrupt

    store = tmp_path / "s.sqlite"
    with FakeBatches(Script(reply=echo, polls_to_end=2)) as server:
        monkeypatch.setattr(BatchSession, "wait", killed)
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
