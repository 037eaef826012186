"""Answering: the history each turn carries, waves for batch engines, chains for APIs, resume."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge.answering import answer_items, build_messages, item_prompt, plan_run, run_id_for
from medjudge.models.openai import OpenAIChatClient
from medjudge.records import ChatRequest, Completion, Item, SamplingConfig
from medjudge.store import Store


def turn(conv: str, k: int, question: str) -> Item:
    return Item(
        benchmark="t", item_id=f"{conv}-{k}", conversation_id=conv, turn=k, kind="open",
        question=question, language="zh",
    )


CONVERSATION = [turn("a", 1, "我头痛三天了"), turn("a", 2, "需要吃药吗？"), turn("a", 3, "吃多少？")]
SINGLE = [turn("b", 1, "What is ASA class III?")]


class RecordingEngine:
    """A batch client that answers 'reply to <question>' and records every batch it gets."""

    name = "recording"

    def __init__(self, fail_when: str | None = None) -> None:
        self.batches: list[list[ChatRequest]] = []
        self.fail_when = fail_when

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        self.batches.append(list(requests))
        outs = []
        for request in requests:
            question = request.messages[-1].content
            if self.fail_when and self.fail_when in question:
                outs.append(Completion(error="engine exploded"))
            else:
                outs.append(Completion(text=f"reply to {question} (seed {request.seed})"))
        return outs

    def close(self) -> None:
        pass


def run_for(items: list[Item], samples: int = 1):
    return plan_run(
        model="m", benchmark="t", benchmark_path="t.jsonl", benchmark_sha256="x", items=items,
        sampling=SamplingConfig(seed=10), samples=samples,
    )


def open_store(tmp_path: Path, items: list[Item], run) -> Store:
    store = Store(tmp_path / "s.sqlite")
    store.add_items("d", items)
    store.add_run(run, "d")
    return store


def test_mcq_prompt_shows_options_and_asks_for_a_letter():
    item = Item(
        benchmark="t", item_id="m", conversation_id="m", kind="mcq", question="Best induction?",
        language="en", options={"A": "Propofol", "B": "Ketamine"}, answer_key="B",
    )
    assert item_prompt(item) == (
        "Best induction?\n\nA. Propofol\nB. Ketamine\n\nAnswer with the letter of the correct option."
    )


def test_waves_batch_every_conversation_turn_by_turn(tmp_path: Path):
    items = CONVERSATION + SINGLE
    run = run_for(items)
    engine = RecordingEngine()
    with open_store(tmp_path, items, run) as store:
        summary = answer_items(items, engine, run=run, store=store)
    assert [len(batch) for batch in engine.batches] == [2, 1, 1]
    assert summary.ok == 4 and summary.failed == 0


def test_a_wave_asks_the_conversations_that_go_on_last(tmp_path: Path):
    # vLLM keeps the most recently used prompt prefixes: asked last in wave 1, conversation
    # a's first turn is still cached when wave 2 sends it again as history.
    items = [*SINGLE, *CONVERSATION, turn("c", 1, "Name a bone.")]
    run = run_for(items)
    engine = RecordingEngine()
    with open_store(tmp_path, items, run) as store:
        answer_items(items, engine, run=run, store=store)
    first_wave = [request.messages[-1].content for request in engine.batches[0]]
    assert first_wave == ["What is ASA class III?", "Name a bone.", "我头痛三天了"]


def test_turn_three_carries_both_earlier_questions_and_the_models_own_answers(tmp_path: Path):
    run = run_for(CONVERSATION)
    engine = RecordingEngine()
    with open_store(tmp_path, CONVERSATION, run) as store:
        answer_items(CONVERSATION, engine, run=run, store=store)
        stored = {a.item_id: a for a in store.answers(run.run_id)}
    sent = engine.batches[2][0].messages
    assert [(m.role, m.content) for m in sent] == [
        ("user", "我头痛三天了"),
        ("assistant", "reply to 我头痛三天了 (seed 10)"),
        ("user", "需要吃药吗？"),
        ("assistant", "reply to 需要吃药吗？ (seed 10)"),
        ("user", "吃多少？"),
    ]
    assert stored["a-3"].messages == sent


def test_each_sample_follows_its_own_answers_and_seed(tmp_path: Path):
    run = run_for(CONVERSATION[:2], samples=2)
    engine = RecordingEngine()
    with open_store(tmp_path, CONVERSATION[:2], run) as store:
        answer_items(CONVERSATION[:2], engine, run=run, store=store)
    second_turns = engine.batches[1]
    assert sorted(r.seed for r in second_turns) == [10, 11]
    for request in second_turns:
        assert request.messages[1].content.endswith(f"(seed {request.seed})")


def test_a_failed_turn_fails_the_later_turns_and_a_rerun_retries_them(tmp_path: Path):
    run = run_for(CONVERSATION)
    with open_store(tmp_path, CONVERSATION, run) as store:
        first = answer_items(CONVERSATION, RecordingEngine(fail_when="头痛"), run=run, store=store)
        failed = {a.item_id: a for a in store.answers(run.run_id)}
        assert first.failed == 3 and first.ok == 0
        assert failed["a-1"].error == "engine exploded" and failed["a-1"].text is None
        assert "earlier turn 1 failed" in failed["a-3"].error

        again = answer_items(CONVERSATION, RecordingEngine(), run=run, store=store)
        assert again.ok == 3
        assert store.count_answers(run.run_id) == {"ok": 3, "failed": 0}


def test_rerun_asks_only_what_is_missing_and_reuses_stored_history(tmp_path: Path):
    run = run_for(CONVERSATION)
    with open_store(tmp_path, CONVERSATION, run) as store:
        answer_items(CONVERSATION[:1], RecordingEngine(), run=run, store=store)
        engine = RecordingEngine()
        summary = answer_items(CONVERSATION, engine, run=run, store=store)
        assert summary.already_done == 1 and summary.asked == 2
        assert [len(b) for b in engine.batches] == [1, 1]
        assert engine.batches[0][0].messages[1].content == "reply to 我头痛三天了 (seed 10)"
        assert len(store.answers(run.run_id)) == 3


def test_same_settings_give_the_same_run_and_new_settings_a_new_one():
    assert run_for(CONVERSATION).run_id == run_for(CONVERSATION).run_id
    assert run_for(CONVERSATION).run_id != run_for(CONVERSATION, samples=2).run_id


def test_the_run_id_is_the_one_earlier_versions_gave_so_old_stores_resume():
    """Pinned: the id is sha256 of the settings as sorted JSON, first 12 hex digits (the
    recipe spelled out here with hashlib, and today's value written down)."""
    items_json = json.dumps([item.model_dump(mode="json") for item in SINGLE], sort_keys=True)
    settings = {
        "model": "m",
        "dataset": hashlib.sha256(items_json.encode()).hexdigest(),
        "samples": 1,
        "sampling": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 512, "seed": 10},
    }
    by_hand = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    assert run_for(SINGLE).run_id == by_hand == "17328d2096fd"


def test_an_import_key_with_chinese_text_hashes_its_utf8_bytes():
    key = '{"import": "medjudge jsonl", "answers": [["a-1", 0, "头痛"]]}'
    assert run_id_for(key) == hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    assert run_id_for(key) != run_id_for(key.replace("头痛", "头疼"))


def test_api_chains_send_the_history_over_the_wire(tmp_path: Path):
    run = run_for(CONVERSATION + SINGLE)
    with FakeOpenAI([Reply(status=503), Reply()]) as server:
        client = OpenAIChatClient("m", base_url=server.base_url, retry_base_s=0.01, concurrency=2)
        with open_store(tmp_path, CONVERSATION + SINGLE, run) as store:
            summary = answer_items(CONVERSATION + SINGLE, client, run=run, store=store)
    assert summary.ok == 4
    third = [s.body for s in server.seen if s.body["messages"][-1]["content"] == "吃多少？"]
    assert third[0]["messages"][:4] == [
        {"role": "user", "content": "我头痛三天了"},
        {"role": "assistant", "content": "echo: 我头痛三天了"},
        {"role": "user", "content": "需要吃药吗？"},
        {"role": "assistant", "content": "echo: 需要吃药吗？"},
    ]


def test_build_messages_for_a_first_turn_is_just_the_question():
    assert [m.content for m in build_messages(CONVERSATION[:1], [])] == ["我头痛三天了"]


def test_an_empty_http_200_is_a_failed_answer_and_no_turn_is_built_on_it(tmp_path: Path):
    from medjudge.models.openai_compatible import OpenAICompatibleClient

    run = run_for(CONVERSATION)
    with FakeOpenAI([Reply(text=" \n")]) as server:
        client = OpenAICompatibleClient("m", base_url=server.base_url, concurrency=1)
        with open_store(tmp_path, CONVERSATION, run) as store:
            first = answer_items(CONVERSATION, client, run=run, store=store)
            failed = {a.item_id: a for a in store.answers(run.run_id)}
    assert (first.ok, first.failed) == (0, 3)
    assert len(server.seen) == 1  # turns 2 and 3 were never asked on an empty history
    assert "empty reply" in failed["a-1"].error and failed["a-1"].text is None
    assert "earlier turn 1 failed" in failed["a-2"].error

    with FakeOpenAI() as server:
        client = OpenAICompatibleClient("m", base_url=server.base_url, concurrency=1)
        with Store(tmp_path / "s.sqlite") as store:
            again = answer_items(CONVERSATION, client, run=run, store=store)
    assert again.ok == 3
    second = next(s.body for s in server.seen if s.body["messages"][-1]["content"] == "需要吃药吗？")
    assert second["messages"][1] == {"role": "assistant", "content": "echo: 我头痛三天了"}


def test_an_empty_answer_stored_as_ok_by_an_older_version_is_asked_again(tmp_path: Path):
    from medjudge.records import Answer

    run = run_for(CONVERSATION[:2])
    with open_store(tmp_path, CONVERSATION[:2], run) as store:
        store.save_answers([Answer(run_id=run.run_id, item_id="a-1", sample=0, status="ok",
                                   text="", created_at="2026-01-01T00:00:00+00:00")])
        engine = RecordingEngine()
        summary = answer_items(CONVERSATION[:2], engine, run=run, store=store)
        stored = {a.item_id: a for a in store.answers(run.run_id)}
    assert summary.already_done == 0 and summary.ok == 2
    assert stored["a-1"].text == "reply to 我头痛三天了 (seed 10)"
    assert engine.batches[1][0].messages[1].content == "reply to 我头痛三天了 (seed 10)"


def test_a_blank_completion_from_a_batch_engine_is_failed(tmp_path: Path):
    class Blank(RecordingEngine):
        def generate(self, requests):
            return [Completion(text="   ") for _ in requests]

    run = run_for(SINGLE)
    with open_store(tmp_path, SINGLE, run) as store:
        summary = answer_items(SINGLE, Blank(), run=run, store=store)
        (answer,) = store.answers(run.run_id)
    assert summary.failed == 1 and answer.status == "failed" and "empty reply" in answer.error


@pytest.mark.engine
def test_an_overlong_turn_is_stored_failed_with_its_length_and_the_other_turns_are_answered(
    vllm_client, tmp_path: Path
):
    from transformers import AutoTokenizer

    long_question = "头痛" * 6000  # more tokens than the session engine's max_model_len of 8192
    items = [
        turn("a", 1, "What is a fever?"), turn("a", 2, "And a cough?"),
        turn("b", 1, long_question), turn("b", 2, "为什么？"),
        turn("c", 1, "Name a bone."),
    ]  # fmt: skip
    tokenizer = AutoTokenizer.from_pretrained(vllm_client.model_path)
    length = len(
        tokenizer.apply_chat_template(
            [{"role": "user", "content": long_question}],
            add_generation_prompt=True, tokenize=True, return_dict=True,
        )["input_ids"]
    )  # fmt: skip
    run = plan_run(
        model="vllm/smollm2-135m-instruct", benchmark="t", benchmark_path="t.jsonl",
        benchmark_sha256="x", items=items, sampling=SamplingConfig(max_tokens=8), samples=1,
    )  # fmt: skip
    with open_store(tmp_path, items, run) as store:
        summary = answer_items(items, vllm_client, run=run, store=store)
        stored = {a.item_id: a for a in store.answers(run.run_id)}

    assert (summary.ok, summary.failed) == (3, 2)
    assert all(stored[i].status == "ok" and stored[i].text for i in ("a-1", "a-2", "c-1"))
    reason = f"prompt is {length} tokens, over max_model_len 8192; raise --max-model-len"
    assert stored["b-1"].status == "failed" and stored["b-1"].error == reason
    assert stored["b-1"].prompt_tokens == length
    assert stored["b-2"].error == f"not asked: earlier turn 1 failed ({reason})"
