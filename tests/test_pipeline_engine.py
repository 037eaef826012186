"""The whole first path on the real engine: bundled samples → vLLM → store → score → report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.cli.main import app
from medjudge.records import SamplingConfig
from medjudge.store import Store

pytestmark = pytest.mark.engine


def test_real_engine_answers_scores_and_reports(tmp_path: Path, vllm_client):
    store_path = tmp_path / "run.sqlite"
    sampling = SamplingConfig(max_tokens=24)
    mcq = answer_benchmark(
        AnswerConfig(benchmark="sample:anesbench", store=store_path, lang="both",
                     sampling=sampling),
        client=vllm_client,
    )
    chat = answer_benchmark(
        AnswerConfig(benchmark="sample:llmeval-med", store=store_path, sampling=sampling),
        client=vllm_client,
    )
    assert mcq.failed == 0 and mcq.ok >= 20
    assert chat.failed == 0 and chat.ok >= 3

    with Store(store_path) as store:
        answers = store.answers(chat.run_id)
        items = {item.item_id: item for item in store.run_items(chat.run_id)}
    by_item = {a.item_id: a for a in answers}
    later_turns = [a for a in answers if items[a.item_id].turn > 1]
    assert later_turns, "the LLMEval-Med sample has a multi-turn conversation"
    for answer in later_turns:
        item = items[answer.item_id]
        earlier = sorted(
            (i for i in items.values() if i.conversation_id == item.conversation_id
             and i.turn < item.turn),
            key=lambda i: i.turn,
        )
        sent = answer.messages
        assert [m.role for m in sent] == ["user", "assistant"] * len(earlier) + ["user"]
        for k, turn in enumerate(earlier):
            assert sent[2 * k].content == turn.question
            assert sent[2 * k + 1].content == by_item[turn.item_id].text  # its own answer
        assert sent[-1].content == item.question

    # Rerunning the same command asks nothing.
    again = answer_benchmark(
        AnswerConfig(benchmark="sample:anesbench", store=store_path, lang="both",
                     sampling=sampling),
        client=vllm_client,
    )
    assert again.asked == 0 and again.already_done == mcq.ok

    runner = CliRunner()
    scored = runner.invoke(app, ["score", "--store", str(store_path)])
    assert scored.exit_code == 0, scored.output
    report = runner.invoke(app, ["report", "--store", str(store_path), "--format", "json"])
    assert report.exit_code == 0, report.output
    payload = json.loads(report.output)
    assert [entry["run"]["run_id"] for entry in payload["mcq"]] == [mcq.run_id]
    assert "System 1" in report.output and "System 2" in report.output
