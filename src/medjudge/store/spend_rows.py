"""Rows of the spend ledger: one billed request as recorded (`SpendEntry`), and the ledger
summed per run, stage and model (`SpendTally`), as one SQL statement returns it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SpendEntry", "SpendStage", "SpendTally"]

SpendStage = Literal["answer", "grade"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SpendEntry(_Row):
    """One billed request: who asked what, the tokens the provider reported, the price used
    (USD per million tokens; None when unpriced) and its cost (None when unpriced).

    `request_key` names the request uniquely (recording it again adds nothing): a grading
    pass, answer, judge run and attempt for requests sent one by one; the provider's batch
    and custom id for batch requests."""

    request_key: str = Field(min_length=1)
    #: The answer run (for judging too: the run whose answer was judged).
    run_id: str
    stage: SpendStage
    #: The answering model, or the judge.
    model: str
    item_id: str
    sample: int = Field(ge=0)
    #: Judging: the grading pass (`grading_passes.pass_id`) and the judge run.
    pass_id: int | None = None
    judge_run: int | None = None
    #: 0 for the first ask, 1 for the first re-ask, ...
    attempt: int = Field(0, ge=0)
    prompt_tokens: int | None = Field(None, ge=0)
    completion_tokens: int | None = Field(None, ge=0)
    input_per_mtok: float | None = Field(None, ge=0)
    output_per_mtok: float | None = Field(None, ge=0)
    cost_usd: float | None = Field(None, ge=0)
    #: Sent through a provider batch API (billed at the batch price).
    batch: bool = False
    created_at: str


class SpendTally(_Row):
    """The ledger of one run, stage and model: requests, tokens (None when none reported),
    the known cost, and how many requests are unpriced (not in `cost_usd`)."""

    run_id: str
    stage: SpendStage
    model: str
    requests: int
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float
    unpriced: int
    batch: int
