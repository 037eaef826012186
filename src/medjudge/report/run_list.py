"""The store's runs at a glance (`medjudge runs`) and one run in full (`medjudge runs show`).

Every figure comes from one aggregate query of the store (`Store.answer_tallies` …), so a
store with many runs is listed without reading its answers or verdicts. Tokens and cost come
from the spend ledger (`Store.spend_tallies`): every billed request, answering and judging,
re-asked and failed ones too, at the price it was recorded with; requests recorded without
a price are counted (`answer_unpriced`, `judge_unpriced`), never hidden.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict
from rich.console import Group
from rich.table import Table
from rich.text import Text

from medjudge.records import Run
from medjudge.store import Store
from medjudge.store.spend_rows import SpendTally
from medjudge.store.tallies import (
    AnswerTally,
    GradingPassRow,
    McqTally,
    RubricUse,
    VerdictTally,
)

__all__ = [
    "RunDetails",
    "RunOverview",
    "details_to_json",
    "list_runs",
    "render_run_details",
    "render_runs",
    "run_details",
    "runs_to_csv",
    "runs_to_json",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunOverview(_Model):
    """One run: its settings and what the store holds for it."""

    run: Run
    answered: int = 0
    failed: int = 0
    #: Answering's requests in the ledger: tokens (None when none reported), the known
    #: cost (None: nothing recorded) and how many requests are unpriced.
    answer_requests: int = 0
    answer_prompt_tokens: int | None = None
    answer_completion_tokens: int | None = None
    answer_cost_usd: float | None = None
    answer_unpriced: int = 0
    mcq_scored: int = 0
    mcq_correct: int = 0
    #: Verdict counts per judge (their `cost_usd` is what the verdicts record; the ledger,
    #: `spend`, also has the requests that left no verdict).
    judges: tuple[VerdictTally, ...] = ()
    rubrics: tuple[RubricUse, ...] = ()
    #: The spend ledger per stage and model (answering first, then each judge).
    spend: tuple[SpendTally, ...] = ()

    def _graded(self) -> list[SpendTally]:
        return [t for t in self.spend if t.stage == "grade"]

    @property
    def judge_requests(self) -> int:
        return sum(t.requests for t in self._graded())

    @property
    def judge_prompt_tokens(self) -> int | None:
        return _sum(t.prompt_tokens for t in self._graded())

    @property
    def judge_completion_tokens(self) -> int | None:
        return _sum(t.completion_tokens for t in self._graded())

    @property
    def judge_cost_usd(self) -> float:
        return sum(t.cost_usd for t in self._graded())

    @property
    def judge_unpriced(self) -> int:
        return sum(t.unpriced for t in self._graded())


def _sum(values) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class RunDetails(_Model):
    """One run in full: its overview and every grading pass with its exact settings."""

    overview: RunOverview
    passes: tuple[GradingPassRow, ...] = ()


def _overview(
    run: Run,
    answers: AnswerTally | None,
    mcq: McqTally | None,
    judges: Sequence[VerdictTally],
    rubrics: Sequence[RubricUse],
    spend: Sequence[SpendTally] = (),
) -> RunOverview:
    fields: dict[str, object] = {"run": run, "judges": tuple(judges), "rubrics": tuple(rubrics),
                                 "spend": tuple(spend)}
    if answers is not None:
        fields |= {"answered": answers.ok, "failed": answers.failed}
    answering = [t for t in spend if t.stage == "answer"]
    if answering:
        fields |= {
            "answer_requests": sum(t.requests for t in answering),
            "answer_prompt_tokens": _sum(t.prompt_tokens for t in answering),
            "answer_completion_tokens": _sum(t.completion_tokens for t in answering),
            "answer_cost_usd": sum(t.cost_usd for t in answering),
            "answer_unpriced": sum(t.unpriced for t in answering),
        }
    if mcq is not None:
        fields |= {"mcq_scored": mcq.scored, "mcq_correct": mcq.correct}
    return RunOverview(**fields)  # type: ignore[arg-type]


def list_runs(store: Store, run_id: str | None = None) -> list[RunOverview]:
    """Every run (oldest first), or only `run_id`, with its tallies."""
    runs = [store.run(run_id)] if run_id is not None else store.runs()
    answers = {t.run_id: t for t in store.answer_tallies(run_id)}
    mcq = {t.run_id: t for t in store.mcq_tallies(run_id)}
    judges, rubrics = store.verdict_tallies(run_id), store.rubric_uses(run_id)
    spend = store.spend_tallies(None if run_id is None else [run_id])
    return [
        _overview(
            run, answers.get(run.run_id), mcq.get(run.run_id),
            [j for j in judges if j.run_id == run.run_id],
            [r for r in rubrics if r.run_id == run.run_id],
            [t for t in spend if t.run_id == run.run_id],
        )
        for run in runs
    ]


def run_details(store: Store, run_id: str) -> RunDetails:
    """One run's overview and grading passes (StoreError naming the known runs if absent)."""
    (overview,) = list_runs(store, run_id)
    return RunDetails(overview=overview, passes=tuple(store.grading_passes(run_id)))


# -- formatting -----------------------------------------------------------------------------


def _sampling(run: Run) -> str:
    s = run.sampling
    return (f"n={run.samples} T={s.temperature:g} top_p={s.top_p:g} "
            f"max_tokens={s.max_tokens} seed={s.seed}")


def _prompt(run: Run) -> str:
    """The prompt settings: the template, and the system prompt and chat template kwargs
    when set (in full: they are what the model was told)."""
    prompt = run.prompt
    parts = [f"template {prompt.template}"]
    if prompt.system_prompt is not None:
        parts.append(f"system prompt {json.dumps(prompt.system_prompt, ensure_ascii=False)}")
    if prompt.chat_template_kwargs:
        kwargs = json.dumps(prompt.chat_template_kwargs, ensure_ascii=False, sort_keys=True)
        parts.append(f"chat template kwargs {kwargs}")
    return "; ".join(parts)


def _usd(value: float | None) -> str:
    return "?" if value is None else f"${value:.4f}"


def _tokens(prompt: int | None, completion: int | None) -> str:
    return "—" if prompt is None and completion is None else f"{prompt or 0}+{completion or 0}"


def _judges(o: RunOverview) -> str:
    return "; ".join(f"{j.judge} ({j.scored} scored, {j.unscored} unscored)"
                     for j in o.judges) or "—"


def _rubrics(o: RunOverview) -> str:
    return "; ".join(f"{r.rubric_id} v{r.rubric_version}" for r in o.rubrics) or "—"


def _unpriced(count: int) -> str:
    return f" (+{count} unpriced)" if count else ""


def _cost(o: RunOverview) -> str:
    answered = _usd(o.answer_cost_usd) + _unpriced(o.answer_unpriced)
    judged = _usd(o.judge_cost_usd) + _unpriced(o.judge_unpriced)
    return f"answers {answered}, judges {judged}"


def _sent(settings: dict[str, object]) -> str:
    """How a grading pass sent its requests (passes recorded before medjudge kept it: not
    recorded, never guessed)."""
    mode = settings.get("mode")
    if mode == "batch":
        return f"batch API ({settings.get('batch_provider') or '?'})"
    return str(mode) if mode is not None else "not recorded"


def _answered_through(o: RunOverview) -> str | None:
    """How many of answering's billed requests went through a provider's batch API (the
    ledger marks each), or None when none did."""
    answering = [t for t in o.spend if t.stage == "answer"]
    batched = sum(t.batch for t in answering)
    if not batched:
        return None
    total = sum(t.requests for t in answering)
    provider = o.run.model.split("/", 1)[0]
    return f"{batched} of {total} billed requests through the {provider} batch API"


def _spend_line(t: SpendTally) -> str:
    batch = f", {t.batch} batch" if t.batch else ""
    return (f"{t.stage} {t.model}: {t.requests} requests{batch}, "
            f"{_tokens(t.prompt_tokens, t.completion_tokens)} tokens, "
            f"{_usd(t.cost_usd)}{_unpriced(t.unpriced)}")


def _flat(o: RunOverview) -> dict[str, object]:
    return {
        "run_id": o.run.run_id, "created_at": o.run.created_at, "model": o.run.model,
        "benchmark": o.run.benchmark, "samples": o.run.samples,
        **{k: v for k, v in o.run.sampling.model_dump().items()},
        "answered": o.answered, "failed": o.failed,
        "mcq_scored": o.mcq_scored, "mcq_correct": o.mcq_correct,
        "judges": "; ".join(j.judge for j in o.judges),
        "verdicts_scored": sum(j.scored for j in o.judges),
        "verdicts_unscored": sum(j.unscored for j in o.judges),
        "rubrics": "; ".join(f"{r.rubric_id}={r.rubric_version}" for r in o.rubrics),
        "answer_requests": o.answer_requests,
        "answer_prompt_tokens": o.answer_prompt_tokens,
        "answer_completion_tokens": o.answer_completion_tokens,
        "answer_cost_usd": o.answer_cost_usd,
        "answer_unpriced": o.answer_unpriced,
        "judge_requests": o.judge_requests,
        "judge_prompt_tokens": o.judge_prompt_tokens or 0,
        "judge_completion_tokens": o.judge_completion_tokens or 0,
        "judge_cost_usd": o.judge_cost_usd,
        "judge_unpriced": o.judge_unpriced,
    }


def runs_to_csv(overviews: Sequence[RunOverview]) -> str:
    """One row per run; `judges` and `rubrics` are `; `-separated lists."""
    rows = [_flat(o) for o in overviews]
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buffer.getvalue()


def runs_to_json(overviews: Sequence[RunOverview]) -> str:
    payload = [{**o.model_dump(mode="json"), "judge_requests": o.judge_requests,
                "judge_prompt_tokens": o.judge_prompt_tokens,
                "judge_completion_tokens": o.judge_completion_tokens,
                "judge_cost_usd": o.judge_cost_usd, "judge_unpriced": o.judge_unpriced}
               for o in overviews]
    return json.dumps(payload, ensure_ascii=False, indent=2)


def render_runs(overviews: Sequence[RunOverview]) -> Table:
    table = Table(title="Runs in this store")
    for column in ("run", "when", "model", "benchmark", "sampling", "answered", "MCQ scored",
                   "judges", "rubrics", "tokens (answers; judges)", "cost"):
        table.add_column(column)
    for o in overviews:
        judge_tokens = _tokens(o.judge_prompt_tokens, o.judge_completion_tokens)
        table.add_row(
            o.run.run_id, o.run.created_at, o.run.model, o.run.benchmark, _sampling(o.run),
            f"{o.answered} ok, {o.failed} failed",
            f"{o.mcq_correct}/{o.mcq_scored} correct" if o.mcq_scored else "—",
            _judges(o), _rubrics(o),
            f"{_tokens(o.answer_prompt_tokens, o.answer_completion_tokens)}; {judge_tokens}",
            _cost(o),
        )
    return table


def details_to_json(details: RunDetails) -> str:
    payload = {**json.loads(runs_to_json([details.overview]))[0],
               "grading_passes": [p.model_dump(mode="json") for p in details.passes]}
    return json.dumps(payload, ensure_ascii=False, indent=2)


def render_run_details(details: RunDetails) -> Group:
    o, run = details.overview, details.overview.run
    facts = Table.grid(padding=(0, 2))
    for name, value in (
        ("run", run.run_id), ("created", run.created_at), ("model", run.model),
        ("benchmark", f"{run.benchmark} ({run.benchmark_path}, sha256 {run.benchmark_sha256})"),
        ("sampling", run.sampling.model_dump_json()), ("samples", str(run.samples)),
        ("prompt", _prompt(run)), ("medjudge", run.medjudge_version),
        ("answers", f"{o.answered} ok, {o.failed} failed"),
        *((("answered via", via),) if (via := _answered_through(o)) else ()),
        ("MCQ", f"{o.mcq_correct}/{o.mcq_scored} correct" if o.mcq_scored else "—"),
        ("judges", _judges(o)), ("rubrics", _rubrics(o)), ("cost", _cost(o)),
        *((("spend" if n == 0 else ""), _spend_line(t)) for n, t in enumerate(o.spend)),
    ):
        facts.add_row(Text(name, style="bold"), Text(value))
    passes = Table(title="Grading passes")
    for column in ("pass", "started", "judge", "sent", "settings"):
        passes.add_column(column)
    for p in details.passes:
        passes.add_row(str(p.pass_id), p.started_at, p.judge, _sent(p.settings),
                       json.dumps(p.settings, ensure_ascii=False, sort_keys=True))
    return Group(facts, passes if details.passes else Text("no grading passes recorded"))
