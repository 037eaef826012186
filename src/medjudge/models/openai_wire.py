"""The OpenAI chat-completions wire format, shared by both clients that speak it: the body
a request becomes, and the `Completion` a response body becomes."""

from __future__ import annotations

from typing import Any

from medjudge.records import ChatRequest, Completion

__all__ = ["chat_params", "read_chat_completion"]


def chat_params(model: str, request: ChatRequest) -> dict[str, Any]:
    """The JSON body of POST /chat/completions for `request`."""
    params: dict[str, Any] = {
        "model": model,
        "messages": [m.model_dump() for m in request.messages],
        "temperature": request.sampling.temperature,
        "top_p": request.sampling.top_p,
        "max_tokens": request.sampling.max_tokens,
    }
    if request.seed is not None:
        params["seed"] = request.seed
    if request.json_schema is not None:
        params["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": "reply", "schema": request.json_schema, "strict": True},
        }
    if request.chat_template_kwargs:
        # Not OpenAI's: vLLM's (and SGLang's) servers pass it to the model's chat template.
        params["chat_template_kwargs"] = request.chat_template_kwargs
    return params


def read_chat_completion(body: Any, latency_s: float) -> Completion:
    """A decoded chat.completion body → `Completion`. No choices, no text, empty or blank text,
    a refusal or a body of the wrong shape each become a recorded failure, never text."""
    try:
        return _read(body, latency_s)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        reason = (str(exc).strip().splitlines() or [""])[0][:300]
        return Completion(
            error=f"malformed chat completion ({type(exc).__name__}): {reason}",
            latency_s=latency_s,
        )


def _read(body: Any, latency_s: float) -> Completion:
    choices = body.get("choices")
    if not choices:
        return Completion(error="the server returned no choices", latency_s=latency_s)
    choice = choices[0]
    message = choice.get("message") or {}
    usage = body.get("usage") or {}
    text = message.get("content")
    refusal = message.get("refusal")
    error = None
    if text is None:
        error = f"refused: {refusal}" if refusal else "the server returned no text"
    elif not text.strip() and not message.get("tool_calls"):
        # An HTTP 200 with nothing in it is a failure a rerun retries, never an answer.
        error = "empty reply (HTTP 200 with no text)"
    return Completion(
        text=text,
        error=error,
        failed_by_model=error is not None and (bool(refusal) or text is not None),
        finish_reason=choice.get("finish_reason"),
        prompt_tokens=usage.get("prompt_tokens"),
        completion_tokens=usage.get("completion_tokens"),
        latency_s=latency_s,
        model_version=body.get("model"),
    )
