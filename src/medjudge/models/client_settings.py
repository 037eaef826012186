"""How a stage reaches its models: the settings `AnswerConfig` and `GradeConfig` share.

Both stages make clients the same way (concurrency, timeouts and retries for API models;
context length, dtype, the known-answer probe and engine options for vLLM), may send their
requests through a provider's batch API, and may be held to a budget at the user's prices.
The fields are defined once here; each stage's config adds what is its own (the benchmark
and the model, or the judges and their base URLs). The names are the ones the CLI flags,
the run file's keys and `medjudge.answer(...)` / `medjudge.grade(...)` keywords map onto.
The run file's sections take a few of them too, with these bounds (`Concurrency`, `TimeoutS`,
`MaxCostUsd`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from medjudge.models.engine_options import EngineOptions
from medjudge.models.pricing import ModelPrice
from medjudge.models.registry import ClientOptions, Dtype

__all__ = ["ClientSettings", "Concurrency", "MaxCostUsd", "TimeoutS"]

#: API models: requests in flight at once.
Concurrency = Annotated[int, Field(ge=1, le=1024)]
#: API models: seconds one request may take.
TimeoutS = Annotated[float, Field(gt=0, le=3600)]
#: Total USD for a stage's work, across reruns; None: no limit.
MaxCostUsd = Annotated[float | None, Field(gt=0)]


class ClientSettings(BaseModel):
    """The model-client part of a stage's config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: API models: requests in flight at once, seconds one request may take, and tries per
    #: request (timeouts and 5xx retried).
    concurrency: Concurrency = 8
    timeout_s: TimeoutS = 120.0
    max_attempts: int = Field(4, ge=1, le=20)
    #: vLLM: the longest prompt + reply, the weights dtype (None: float32 for the embedded
    #: model on a CPU, else "auto"), whether to check the engine with a known-answer question
    #: after it starts, and the engine options (parallelism, memory, quantization, eager
    #: mode, engine args).
    max_model_len: int = Field(4096, ge=256)
    dtype: Dtype | None = None
    probe: bool = True
    engine: EngineOptions = EngineOptions()
    #: openai/ and anthropic/ models through their providers' batch APIs, at batch prices;
    #: `poll_interval_s` between polls of a running batch.
    batch: bool = False
    poll_interval_s: float = Field(30.0, gt=0, le=3600)
    #: Total USD for the stage's work (answering this run; grading these runs by these
    #: judges), across reruns (the spend ledger); None: no limit.
    max_cost_usd: MaxCostUsd = None
    #: The user's prices (`--price`, `--price-file`): they beat the list prices.
    prices: tuple[ModelPrice, ...] = ()

    def client_options(self, base_url: str | None) -> ClientOptions:
        """What `create_client` is given for a model served at `base_url` (None: the
        provider's own)."""
        return ClientOptions(
            base_url=base_url,
            concurrency=self.concurrency,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            max_model_len=self.max_model_len,
            dtype=self.dtype,
            probe=self.probe,
            engine=self.engine,
        )
