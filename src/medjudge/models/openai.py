"""Chat completions through the OpenAI SDK, for OpenAI itself (`openai/<model>`). Compatible
servers are spoken to over plain aiohttp (`openai_compatible`). Async, bounded retries that honour
Retry-After."""

from __future__ import annotations

from medjudge.models.api_client import ApiChatClient
from medjudge.models.openai_wire import chat_params, read_chat_completion
from medjudge.records import ChatRequest, Completion

__all__ = ["OpenAIChatClient", "should_retry"]


def should_retry(exc: BaseException) -> bool:
    """Rate limits, server errors, timeouts and dropped connections are worth another try."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APITimeoutError | openai.APIConnectionError)


class OpenAIChatClient(ApiChatClient):
    """An `AsyncModelClient` for the OpenAI API, through the OpenAI SDK."""

    api_key_env = "OPENAI_API_KEY"

    @property
    def takes_chat_template_kwargs(self) -> bool:
        """OpenAI's own API has no chat template; a server behind --base-url may (vLLM's)."""
        return self.base_url is not None

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
        params = chat_params(self.model, request)
        kwargs = params.pop("chat_template_kwargs", None)
        if kwargs is not None:
            # The SDK has no such argument: sent in the body, as vLLM's docs show.
            params["extra_body"] = {"chat_template_kwargs": kwargs}
        return params

    def _completion(self, response, request: ChatRequest, latency_s: float) -> Completion:
        return read_chat_completion(response.model_dump(warnings=False), latency_s)
