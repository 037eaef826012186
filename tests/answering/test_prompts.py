"""Prompt settings: the templates' exact text, the system message, chat template kwargs on
the wire, the run id (unchanged for the defaults), the store, resume and refusals."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply

import medjudge as mj
from medjudge.answering import build_messages, item_prompt, plan_run
from medjudge.answering.prompts import (
    DEFAULT_PROMPT,
    TEMPLATES,
    make_prompt,
    parse_chat_template_kwargs,
)
from medjudge.errors import ConfigError
from medjudge.models.anthropic import AnthropicChatClient
from medjudge.models.openai import OpenAIChatClient
from medjudge.models.openai_compatible import OpenAICompatibleClient
from medjudge.records import ChatRequest, Item, Message, PromptConfig, SamplingConfig
from medjudge.store import Store
from medjudge.store.migrations import MIGRATIONS

ANES = "anesbench-step-by-step"
MCQ = Item(
    benchmark="t", item_id="m", conversation_id="m", kind="mcq", language="en",
    question="Which volatile anaesthetic has the lowest blood/gas partition coefficient?",
    options={"A": "Isoflurane", "B": "Halothane", "C": "Sevoflurane", "D": "Desflurane"},
    answer_key="D",
)
MCQ_ZH = MCQ.model_copy(update={
    "language": "zh", "question": "下列吸入麻醉药中，血/气分配系数最低的是哪一种？",
    "options": {"A": "异氟烷", "B": "氟烷", "C": "七氟烷", "D": "地氟烷"},
})
OPEN = Item(benchmark="t", item_id="o", conversation_id="o", kind="open", language="en",
            question="How is malignant hyperthermia treated?")

# The text of MiliLab/AnesBench eval/evaluate.py `format_example`, written out by hand for
# the item above (four options: "A, B, C and D"; every option line ends with a newline).
ANESBENCH_SYSTEM = (
    "You are a medical AI assistant specializing in anesthesiology and general medicine. "
    "Your goal is to provide accurate and concise answers to medical multiple-choice "
    "questions. Always choose the most suitable answer based on medical knowledge and "
    "reasoning."
)
ANESBENCH_USER = (
    "The following is a multiple-choice question related to medicine and anesthesiology. "
    "Please analyze the question carefully and select the most suitable one choice from "
    "A, B, C and D as the final answer. Please think step by step. Carefully analyze each "
    "option, explain why it is or isn't correct, and then choose the most suitable answer. "
    "Do not generate anything after providing the answer. The question and options are as "
    "follows:\n"
    "Which volatile anaesthetic has the lowest blood/gas partition coefficient?\n"
    "A. Isoflurane\nB. Halothane\nC. Sevoflurane\nD. Desflurane\n"
)


def run_for(items: list[Item], prompt: PromptConfig = DEFAULT_PROMPT):
    return plan_run(model="m", benchmark="t", benchmark_path="t.jsonl", benchmark_sha256="x",
                    items=items, sampling=SamplingConfig(seed=10), samples=1, prompt=prompt)


# -- the templates' text ----------------------------------------------------------------------


def test_the_default_template_is_todays_prompt_in_both_languages():
    assert item_prompt(MCQ_ZH) == (
        "下列吸入麻醉药中，血/气分配系数最低的是哪一种？\n\nA. 异氟烷\nB. 氟烷\nC. 七氟烷\nD. 地氟烷"
        "\n\n请给出正确选项的字母。"
    )
    assert item_prompt(OPEN) == "How is malignant hyperthermia treated?"
    assert [(m.role, m.content) for m in build_messages([MCQ], [])] == [
        ("user", item_prompt(MCQ, "default"))
    ]


def test_the_anesbench_template_sends_the_authors_system_and_user_text():
    prompt = make_prompt(template=ANES)
    assert [(m.role, m.content) for m in build_messages([MCQ], [], prompt)] == [
        ("system", ANESBENCH_SYSTEM), ("user", ANESBENCH_USER),
    ]


def test_the_anesbench_template_in_chinese_and_with_two_options():
    two = MCQ.model_copy(update={"options": {"A": "Isoflurane", "B": "Desflurane"}})
    assert "from A and B as the final answer" in item_prompt(two, ANES)
    system, user = build_messages([MCQ_ZH], [], make_prompt(template=ANES))
    assert system.role == "system" and "麻醉学" in system.content
    assert "从A、B、C和D中选择最合适的一个选项" in user.content
    assert user.content.endswith(
        "题目和选项如下：\n下列吸入麻醉药中，血/气分配系数最低的是哪一种？\n"
        "A. 异氟烷\nB. 氟烷\nC. 七氟烷\nD. 地氟烷\n"
    )


def test_open_items_under_the_anesbench_template_are_the_question_alone():
    assert [(m.role, m.content) for m in build_messages([OPEN], [], make_prompt(template=ANES))] == [
        ("user", "How is malignant hyperthermia treated?")
    ]


def test_a_system_prompt_comes_first_replaces_the_templates_and_stays_for_every_turn():
    prompt = make_prompt(template=ANES, system_prompt="Answer as a consultant anaesthetist.")
    assert build_messages([MCQ], [], prompt)[0] == Message(
        role="system", content="Answer as a consultant anaesthetist.")
    turn2 = OPEN.model_copy(update={"item_id": "o2", "turn": 2, "question": "And dantrolene?"})
    messages = build_messages([OPEN, turn2], ["Stop the trigger."], prompt)
    assert [m.role for m in messages] == ["system", "user", "assistant", "user"]


def test_unknown_templates_and_bad_kwargs_are_config_errors_that_say_what_to_do():
    with pytest.raises(ConfigError, match="the templates are: default, anesbench-step-by-step"):
        make_prompt(template="anesbench")
    with pytest.raises(ConfigError, match="system prompt is empty"):
        make_prompt(system_prompt="  \n")
    with pytest.raises(ConfigError, match=r"--chat-template-kwargs: not valid JSON \(Expecting"):
        parse_chat_template_kwargs("{enable_thinking: false}")
    with pytest.raises(ConfigError, match="expected a JSON object.*got a JSON list"):
        parse_chat_template_kwargs("[1]")
    with pytest.raises(ConfigError, match="not JSON compliant"):
        make_prompt(chat_template_kwargs={"budget": float("nan")})
    assert set(TEMPLATES) == {"default", ANES}


# -- the run id ----------------------------------------------------------------------------


def test_prompt_settings_enter_the_run_id_only_when_they_are_not_the_defaults():
    default = run_for([MCQ])
    assert run_for([MCQ], make_prompt()).run_id == default.run_id
    assert run_for([MCQ], make_prompt(chat_template_kwargs={})).run_id == default.run_id
    ids = {
        run_for([MCQ], make_prompt(template=ANES)).run_id,
        run_for([MCQ], make_prompt(system_prompt="Be brief.")).run_id,
        run_for([MCQ], make_prompt(system_prompt="Be thorough.")).run_id,
        run_for([MCQ], make_prompt(chat_template_kwargs={"enable_thinking": False})).run_id,
        run_for([MCQ], make_prompt(chat_template_kwargs={"enable_thinking": True})).run_id,
    }
    assert len(ids) == 5 and default.run_id not in ids
    swapped = [{"a": 1, "b": 2}, {"b": 2, "a": 1}]
    assert len({run_for([MCQ], make_prompt(chat_template_kwargs=k)).run_id for k in swapped}) == 1


def test_the_id_of_a_prompted_run_is_its_settings_json_hashed():
    """Pinned like today's ids: the settings as sorted JSON, with the prompt's non-default
    fields under "prompt", sha256, first 12 hex digits."""
    items_json = json.dumps([MCQ.model_dump(mode="json")], sort_keys=True)
    settings = {
        "model": "m",
        "dataset": hashlib.sha256(items_json.encode()).hexdigest(),
        "samples": 1,
        "sampling": {"temperature": 0.0, "top_p": 1.0, "max_tokens": 512, "seed": 10},
        "prompt": {"template": ANES, "chat_template_kwargs": {"enable_thinking": False}},
    }
    by_hand = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    prompt = make_prompt(template=ANES, chat_template_kwargs={"enable_thinking": False})
    assert run_for([MCQ], prompt).run_id == by_hand


# -- the store -------------------------------------------------------------------------------


def test_a_run_keeps_its_prompt_settings_in_the_store(tmp_path: Path):
    prompt = make_prompt(template=ANES, system_prompt="系统提示", chat_template_kwargs={
        "enable_thinking": False, "depth": {"max": 2}})
    run = run_for([MCQ], prompt)
    with Store(tmp_path / "s.sqlite") as store:
        store.add_run(run, "d")
        assert store.run(run.run_id).prompt == prompt
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        (stored,) = db.execute("SELECT prompt FROM runs").fetchone()
    assert json.loads(stored)["system_prompt"] == "系统提示"


def test_runs_stored_before_prompt_settings_read_as_the_default_prompt(tmp_path: Path):
    path = tmp_path / "old.sqlite"
    ours = next(i for i, sql in enumerate(MIGRATIONS) if "ADD COLUMN prompt" in sql)
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:ours]:  # a store as the version before this one left it
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {ours}")
    db.execute("INSERT INTO runs VALUES ('r1', 'm', 't', 't.jsonl', 'x', 'd', 1, ?, "
               "'2026-01-01T00:00:00+00:00', '0.1.0')", (SamplingConfig().model_dump_json(),))
    db.commit()
    db.close()
    with Store(path) as store:
        (run,) = store.runs()
    assert run.run_id == "r1" and run.prompt == PromptConfig() and run.prompt.is_default


# -- answering with prompt settings ------------------------------------------------------------


def test_answering_sends_the_prompt_and_a_rerun_resumes_while_a_new_system_prompt_is_new(
    tmp_path: Path,
):
    store = tmp_path / "s.sqlite"
    first_model = FixedModel("Answer: D")
    kwargs = {"enable_thinking": False}
    first = mj.answer("sample:anesbench", model="openai-compatible/m", store=store,
                      prompt_template=ANES, chat_template_kwargs=kwargs, client=first_model)
    (request, *_) = first_model.requests
    assert request.messages[0] == Message(role="system", content=ANESBENCH_SYSTEM)
    assert request.messages[1].content.startswith("The following is a multiple-choice")
    assert all(r.chat_template_kwargs == kwargs for r in first_model.requests)

    again_model = FixedModel("Answer: D")
    again = mj.answer("sample:anesbench", model="openai-compatible/m", store=store,
                      prompt_template=ANES, chat_template_kwargs=kwargs, client=again_model)
    assert again.run_id == first.run_id and again_model.requests == []
    assert again.answered.already_done == first.answered.ok > 0

    other = mj.answer("sample:anesbench", model="openai-compatible/m", store=store,
                      prompt_template=ANES, chat_template_kwargs=kwargs,
                      system_prompt="Be brief.", client=FixedModel("Answer: D"))
    assert other.run_id != first.run_id and other.answered.asked == first.answered.ok
    shown = mj.show_run(other)
    assert shown.overview.run.prompt.system_prompt == "Be brief."
    with Store(store) as opened:
        (answer, *_) = opened.answers(first.run_id)
    assert answer.messages[0].role == "system"  # what the model saw, stored with the answer


def test_anthropic_and_openai_itself_refuse_chat_template_kwargs_before_anything_is_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    store = tmp_path / "s.sqlite"
    with pytest.raises(ConfigError, match="has no chat template"):
        mj.answer("sample:anesbench", model="anthropic/claude-haiku-4-5", store=store,
                  chat_template_kwargs={"enable_thinking": False})
    assert not store.exists()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with pytest.raises(ConfigError, match="openai/gpt-4o has no chat template"):
        mj.answer("sample:anesbench", model="openai/gpt-4o", store=store,
                  chat_template_kwargs={"enable_thinking": False})
    assert not store.exists()
    request = ChatRequest(messages=(Message(role="user", content="q"),),
                          sampling=SamplingConfig(), chat_template_kwargs={"x": 1})
    with pytest.raises(ConfigError, match="no chat template"):
        AnthropicChatClient("claude-haiku-4-5")._params(request)


# -- on the wire -------------------------------------------------------------------------------

REQUEST = ChatRequest(
    messages=(Message(role="system", content="Be brief."), Message(role="user", content="q")),
    sampling=SamplingConfig(max_tokens=8),
    chat_template_kwargs={"enable_thinking": False},
)


@pytest.mark.parametrize("client_class", [OpenAICompatibleClient, OpenAIChatClient])
def test_openai_wire_clients_put_chat_template_kwargs_in_the_body(
    client_class, monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI([Reply(text="ok")]) as server:
        client = client_class("m", base_url=server.base_url, retry_base_s=0.01)

        async def once():
            try:
                return await client.complete(REQUEST)
            finally:
                await client.aclose()

        out = asyncio.run(once())
    assert out.text == "ok", out.error
    body = server.seen[0].body
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}


def test_without_kwargs_the_body_has_no_chat_template_kwargs():
    plain = REQUEST.model_copy(update={"chat_template_kwargs": None})
    with FakeOpenAI([Reply(text="ok")]) as server:
        client = OpenAICompatibleClient("m", base_url=server.base_url)

        async def once():
            try:
                return await client.complete(plain)
            finally:
                await client.aclose()

        asyncio.run(once())
    assert "chat_template_kwargs" not in server.seen[0].body


class _RecordingLLM:
    """Stands in for vllm.LLM: records each `chat` call's conversations and kwargs."""

    def __init__(self) -> None:
        self.calls: list[tuple[list, dict | None]] = []

    def get_tokenizer(self):
        from types import SimpleNamespace

        def cannot_count(*args, **kwargs):
            raise TypeError("no chat template here")  # vLLM then checks lengths itself

        return SimpleNamespace(apply_chat_template=cannot_count)

    def chat(self, conversations, params, use_tqdm=False, chat_template_kwargs=None):
        from types import SimpleNamespace

        self.calls.append((conversations, chat_template_kwargs))
        choice = SimpleNamespace(text="D", token_ids=[1], finish_reason="stop")
        return [SimpleNamespace(prompt_token_ids=[1], outputs=[choice]) for _ in conversations]


def test_vllm_sends_each_set_of_kwargs_in_its_own_chat_call_in_order():
    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    from medjudge.models.vllm import VllmClient

    llm = _RecordingLLM()
    thinking = REQUEST.model_copy(update={"chat_template_kwargs": {"enable_thinking": True}})
    plain = REQUEST.model_copy(update={"chat_template_kwargs": None})
    outs = VllmClient("smollm2-135m-instruct")._generate(llm, [REQUEST, plain, thinking, REQUEST])
    assert [o.text for o in outs] == ["D"] * 4
    assert [(len(convs), kwargs) for convs, kwargs in llm.calls] == [
        (2, {"enable_thinking": False}), (1, None), (1, {"enable_thinking": True}),
    ]
    assert llm.calls[0][0][0][0] == {"role": "system", "content": "Be brief."}


@pytest.mark.engine
def test_the_vllm_engine_takes_a_system_prompt_and_chat_template_kwargs(vllm_client):
    """The real `LLM.chat`: the system message reaches the prompt (a longer one costs more
    prompt tokens) and chat template kwargs are accepted (SmolLM2's template ignores them)."""
    def asked(system: str) -> ChatRequest:
        return ChatRequest(
            messages=(Message(role="system", content=system),
                      Message(role="user", content="What is the capital of France?")),
            sampling=SamplingConfig(max_tokens=8), chat_template_kwargs={"enable_thinking": False},
        )

    long_system = "You are a careful consultant anaesthetist. " * 10
    short, long = vllm_client.generate([asked("Be brief."), asked(long_system)])
    assert short.error is None and long.error is None, (short.error, long.error)
    assert long.prompt_tokens > short.prompt_tokens + 40
