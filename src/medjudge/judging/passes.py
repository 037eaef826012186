"""Grading passes: the exact settings a `grade` call starts with, per run and judge, stored
so any verdict can be traced to the command that made it (and re-run). Never a secret: a
base URL is kept without its user info, query and fragment, and no key is ever read here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict

from medjudge import __version__
from medjudge.models.registry import assign_base_urls
from medjudge.store import Store, utc_now

if TYPE_CHECKING:
    from medjudge.judging.grade_config import GradeConfig

__all__ = ["GradingSettings", "RubricRef", "public_base_url", "record_passes"]


class RubricRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: str


class GradingSettings(BaseModel):
    """What one judge grades one run with (the `grading_passes.settings` JSON)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    judge: str
    #: The judge's server, without secrets; None: the provider's default (or a given client).
    base_url: str | None
    output: Literal["json", "text"]
    temperature: float
    max_tokens: int
    reasks: int
    runs: int
    rubrics: tuple[RubricRef, ...]
    medjudge_version: str
    #: How the judge's requests are sent: "batch" through its provider's batch API
    #: (`grade --batch`), "online" each on its own (a local vLLM judge always: it batches
    #: offline by itself). Passes recorded before this field existed have neither key.
    mode: Literal["online", "batch"] = "online"
    #: The batch API's provider ("openai", "anthropic") when `mode` is "batch".
    batch_provider: str | None = None


def public_base_url(url: str | None) -> str | None:
    """`url` without user info (`user:key@`), query (`?key=…`) or fragment."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def record_passes(
    store: Store,
    config: GradeConfig,
    judges: Sequence[str],
    rubrics: Mapping[tuple[str, str], Iterable[tuple[str, str]]],
    batch_apis: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], int]:
    """One `grading_passes` row per (run, judge) in `rubrics`, the (run, judge) pairs that
    have verdicts to request, with the (rubric id, version) pairs its requests use; for a
    judge in `batch_apis` (judge → provider) that it grades through that provider's batch
    API. Rows are added in `rubrics`' order. Returns each (run, judge)'s pass id."""
    batch_apis = batch_apis or {}
    entries = (*([config.judge_base_url] if config.judge_base_url else []),
               *config.judge_base_urls)
    base_urls = assign_base_urls(judges, entries)
    started = utc_now()
    pass_ids: dict[tuple[str, str], int] = {}
    for (run_id, judge), used in rubrics.items():
        refs = {RubricRef(id=rubric_id, version=version) for rubric_id, version in used}
        settings = GradingSettings(
            judge=judge,
            base_url=public_base_url(base_urls.get(judge)),
            output=config.judge_output,
            temperature=config.temperature,
            max_tokens=config.max_tokens,
            reasks=config.reasks,
            runs=config.runs,
            rubrics=tuple(sorted(refs, key=lambda r: (r.id, r.version))),
            medjudge_version=__version__,
            mode="batch" if judge in batch_apis else "online",
            batch_provider=batch_apis.get(judge),
        )
        pass_ids[(run_id, judge)] = store.add_grading_pass(
            run_id, judge, settings.model_dump_json(), started
        )
    return pass_ids
