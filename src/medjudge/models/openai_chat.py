"""Chat completions over the OpenAI wire format: OpenAI itself and compatible servers
(vLLM, SGLang, llama.cpp, ...). Async, bounded retries that honour Retry-After."""

from __future__ import annotations

from medjudge.models.api_client import ApiChatClient
from medjudge.records import ChatRequest, Completion

__all__ = ["OpenAIChatClient", "should_retry"]


def should_retry(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


class OpenAIChatClient(ApiChatClient):
    """An `AsyncModelClient` for any server that speaks OpenAI chat completions."""

    api_key_env = "OPENAI_API_KEY"

    def _make_sdk(self, api_key: str):
        import openai

        return openai.AsyncOpenAI(
            api_key=api_key, base_url=self.base_url, timeout=self._timeout_s, max_retries=0
        )

    async def _send(self, sdk, request: ChatRequest):
        return await sdk.chat.completions.create(**self._params(request))

    def _should_retry(self, exc: BaseException) -> bool:
        return should_retry(exc)

    def _params(self, request: ChatRequest) -> dict:
        params: dict = {
            "model": self.model,
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
        return params

    def _completion(self, response, request: ChatRequest, latency_s: float) -> Completion:
        if not response.choices:
            return Completion(error="the server returned no choices", latency_s=latency_s)
        choice = response.choices[0]
        usage = response.usage
        text = choice.message.content
        refusal = getattr(choice.message, "refusal", None)
        error = None
        if text is None:
            error = f"refused: {refusal}" if refusal else "the server returned no text"
        return Completion(
            text=text,
            error=error,
            finish_reason=choice.finish_reason,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            latency_s=latency_s,
            model_version=response.model,
        )
