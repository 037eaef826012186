"""Anthropic Messages API (and servers that speak it, such as vLLM's). A JSON-schema request
becomes forced tool use: the judge must call one tool whose input is the schema."""

from __future__ import annotations

import json

from medjudge.errors import ConfigError
from medjudge.models.api_client import ApiChatClient
from medjudge.records import ChatRequest, Completion

__all__ = ["TOOL_NAME", "AnthropicChatClient", "message_params", "read_message", "should_retry"]

#: The tool a JSON-schema request forces the model to call.
TOOL_NAME = "submit_reply"


def should_retry(exc: BaseException) -> bool:
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return isinstance(exc, anthropic.APITimeoutError | anthropic.APIConnectionError)


class AnthropicChatClient(ApiChatClient):
    """An `AsyncModelClient` for the Anthropic Messages API."""

    api_key_env = "ANTHROPIC_API_KEY"
    #: The Messages API has no chat template: answering refuses chat template kwargs.
    takes_chat_template_kwargs = False

    def _make_sdk(self, api_key: str):
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=api_key, base_url=self.base_url, timeout=self._timeout_s, max_retries=0
        )

    async def _send(self, sdk, request: ChatRequest):
        return await sdk.messages.create(**self._params(request))

    def _should_retry(self, exc: BaseException) -> bool:
        return should_retry(exc)

    def _params(self, request: ChatRequest) -> dict:
        return message_params(self.model, request)

    def _completion(self, response, request: ChatRequest, latency_s: float) -> Completion:
        return read_message(response, structured=request.json_schema is not None,
                            latency_s=latency_s)


def message_params(model: str, request: ChatRequest) -> dict:
    """The keyword arguments of `messages.create` for `request` (a batch sends them too)."""
    if request.chat_template_kwargs:
        raise ConfigError(
            f"anthropic/{model}: the Anthropic Messages API has no chat template, so chat "
            "template kwargs cannot be sent; leave them out"
        )
    system = [m.content for m in request.messages if m.role == "system"]
    params: dict = {
        "model": model,
        "max_tokens": request.sampling.max_tokens,
        "messages": [m.model_dump() for m in request.messages if m.role != "system"],
        # This SDK version takes sampling settings through the request body.
        "extra_body": {"temperature": request.sampling.temperature},
    }
    if system:
        params["system"] = "\n\n".join(system)
    if request.json_schema is not None:
        params["tools"] = [
            {
                "name": TOOL_NAME,
                "description": "Submit your reply. Call this exactly once.",
                "input_schema": request.json_schema,
            }
        ]
        params["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
    return params


def read_message(response, *, structured: bool, latency_s: float | None) -> Completion:
    """A Message (SDK object) → `Completion`; with `structured`, the forced tool call's input."""
    usage = response.usage
    common = {
        "finish_reason": response.stop_reason,
        "prompt_tokens": getattr(usage, "input_tokens", None),
        "completion_tokens": getattr(usage, "output_tokens", None),
        "latency_s": latency_s,
        "model_version": response.model,
    }
    if response.stop_reason == "refusal":
        return Completion(error="refused by the model", failed_by_model=True, **common)
    if structured:
        calls = [b for b in response.content if b.type == "tool_use" and b.name == TOOL_NAME]
        if not calls:
            texts = "".join(b.text for b in response.content if b.type == "text")
            return Completion(
                text=texts or None,
                error=f"the model did not call {TOOL_NAME}",
                failed_by_model=True,
                **common,
            )
        return Completion(text=json.dumps(calls[0].input, ensure_ascii=False), **common)
    text = "".join(b.text for b in response.content if b.type == "text")
    if not text.strip():
        return Completion(
            error="empty reply (no text in the message)", failed_by_model=True, **common
        )
    return Completion(text=text, **common)
