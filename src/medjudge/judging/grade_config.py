"""What a grading is given and what it reports: `GradeConfig`, `GradeSummary`, and the
progress hooks a caller may pass to `grade`."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from medjudge.judging.prompt import OutputMode
from medjudge.models.client_settings import ClientSettings

__all__ = ["STABILITY_TEMPERATURE", "GradeConfig", "GradeProgress", "GradeSummary", "OutputMode"]

#: The judges' API default temperature, used for `runs > 1` unless one is given.
STABILITY_TEMPERATURE = 1.0


class GradeProgress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...

    def spend(self, usd: float) -> None: ...


class GradeConfig(ClientSettings):
    """Everything `medjudge grade` needs. The client, batch and budget fields are
    `ClientSettings`' (shared with answering): `max_model_len` is the longest prompt +
    verdict; `max_cost_usd` bounds this grading (these answer runs, these judges)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Path
    judges: tuple[str, ...] = ("gpt-4o",)
    #: A bare URL: the only judge's, or a jury's only openai-compatible judge's.
    judge_base_url: str | None = None
    #: Each judge's own server: `JUDGE=URL` entries (a bare URL as above).
    judge_base_urls: tuple[str, ...] = ()
    judge_output: OutputMode = "json"
    runs: int = Field(1, ge=1, le=20)
    answer_runs: tuple[str, ...] | None = None
    rubric: Path | None = None
    reasks: int = Field(2, ge=0, le=10)
    #: None: 0 for a single run; with runs > 1, STABILITY_TEMPERATURE (see `_default_temp`).
    temperature: float = Field(0.0, ge=0, le=2)
    max_tokens: int = Field(1024, ge=64, le=32768)
    retry_unscored: bool = False
    #: Tight string bounds in the verdict schema, so a small local judge finishes inside
    #: max_tokens. None: on for vllm/ judges, off for the rest.
    compact_verdicts: bool | None = None
    limit: int | None = Field(None, ge=1)
    #: Another process grading the same runs with the same judges: wait, or fail at once.
    wait_for_lease: bool = False

    @model_validator(mode="before")
    @classmethod
    def _default_temp(cls, data: object) -> object:
        # Repeated runs at temperature 0 agree by construction; LLMEval-Med measured judge
        # stability at the judge's default temperature (1.0 for OpenAI and Anthropic).
        if isinstance(data, dict) and data.get("temperature") is None:
            runs = data.get("runs", 1)
            temperature = STABILITY_TEMPERATURE if isinstance(runs, int) and runs > 1 else 0.0
            data = {**data, "temperature": temperature}
        return data


class GradeSummary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    scored: int
    unscored: int
    already_done: int
    failed_answers: int
    not_sent_budget: int
    #: Spent by this process; `cost_before_usd` by earlier runs of this grading (the store).
    cost_usd: float
    cost_before_usd: float = 0.0
    #: Unscored verdicts the store holds for this grading after the run (this run's included).
    unscored_stored: int = 0

    @property
    def complete(self) -> bool:
        """Every planned verdict is stored and scored."""
        return self.unscored_stored == 0 and self.not_sent_budget == 0

