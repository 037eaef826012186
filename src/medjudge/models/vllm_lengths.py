"""Prompt lengths for the offline vLLM engine: a request whose prompt leaves no room for a
reply fails alone, with its length, before the batch is sent (vLLM would refuse the whole
`chat` call for it, and finding it by running the batch one request at a time costs most of
the batching's gain)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medjudge.records import Completion

if TYPE_CHECKING:
    from vllm import LLM, SamplingParams

__all__ = ["without_overlong"]


def without_overlong(
    llm: LLM,
    max_model_len: int,
    batch: list[int],
    conversations: list[list[dict[str, str]]],
    params: list[SamplingParams],
    results: dict[int, Completion],
    rejected: tuple[type[BaseException], ...],
) -> tuple[list[int], list[list[dict[str, str]]], list[SamplingParams]]:
    """Fail, alone (into `results`), each request whose prompt leaves no room for a reply;
    return the rest. The prompt is counted as vLLM counts it: the engine's tokenizer over the
    chat-templated conversation. `rejected`: the errors vLLM raises for a bad request."""
    limit = _engine_max_model_len(llm, max_model_len)
    tokenizer = llm.get_tokenizer()
    kept: tuple[list[int], list[list[dict[str, str]]], list[Any]] = ([], [], [])
    for index, conversation, param in zip(batch, conversations, params, strict=True):
        tokens = _prompt_tokens(tokenizer, conversation, rejected)
        if tokens is not None and tokens >= limit:
            results[index] = Completion(error=_overlong_error(tokens, limit), prompt_tokens=tokens)
            continue
        kept[0].append(index)
        kept[1].append(conversation)
        kept[2].append(param)
    return kept


def _engine_max_model_len(llm: LLM, asked: int) -> int:
    """The engine's context length (what it validates prompts against); `asked` if unknown."""
    length = getattr(getattr(llm, "model_config", None), "max_model_len", None)
    return length if isinstance(length, int) and length > 0 else asked


def _prompt_tokens(
    tokenizer: object, conversation: list[dict[str, str]], rejected: tuple[type[BaseException], ...]
) -> int | None:
    """Tokens of the chat-templated prompt, or None when this tokenizer cannot say (vLLM then
    checks the length itself)."""
    try:
        rendered = tokenizer.apply_chat_template(  # type: ignore[attr-defined]
            conversation, add_generation_prompt=True, tokenize=True
        )
    except (*rejected, TypeError, KeyError):  # vLLM reports a bad template itself
        return None
    ids = rendered.get("input_ids") if hasattr(rendered, "get") else rendered
    return len(ids) if isinstance(ids, list) else None


def _overlong_error(tokens: int, limit: int) -> str:
    if tokens > limit:
        return f"prompt is {tokens} tokens, over max_model_len {limit}; raise --max-model-len"
    return (
        f"prompt is {tokens} tokens, max_model_len {limit} leaves no room for a reply; "
        "raise --max-model-len"
    )
