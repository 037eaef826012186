"""In-process model clients for library tests: a model that always gives one reply, and a
judge whose JSON verdict fits the per-item schema it is sent (no server, no engine)."""

from __future__ import annotations

from collections.abc import Sequence

from medjudge.records import ChatRequest, Completion
from support.judge_replies import FittingVerdict

#: Tokens every fake reply reports, so token and cost figures can be checked by hand.
PROMPT_TOKENS = 7
COMPLETION_TOKENS = 3


class FixedModel:
    """Answers every request with `text` (a batch engine: `generate` only)."""

    def __init__(self, text: str, name: str = "fixed") -> None:
        self.name = name
        self.text = text
        self.requests: list[ChatRequest] = []
        self.closed = False

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        self.requests.extend(requests)
        return [
            Completion(text=self.text, finish_reason="stop", prompt_tokens=PROMPT_TOKENS,
                       completion_tokens=COMPLETION_TOKENS)
            for _ in requests
        ]

    def close(self) -> None:
        self.closed = True


class FittingJudge(FixedModel):
    """A judge that replies with a `FittingVerdict` for the schema each request carries."""

    def __init__(self, score: int = 4, name: str = "fitting-judge") -> None:
        super().__init__("", name)
        self.verdict = FittingVerdict(score)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        self.requests.extend(requests)
        return [
            Completion(
                text=self.verdict({"response_format": {"json_schema": {
                    "schema": request.json_schema or {}}}}),
                finish_reason="stop", prompt_tokens=PROMPT_TOKENS,
                completion_tokens=COMPLETION_TOKENS,
            )
            for request in requests
        ]
