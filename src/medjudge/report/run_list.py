"""The store's runs at a glance (`medjudge runs`) and one run in full (`medjudge runs show`).

Every figure comes from one aggregate query of the store (`Store.answer_tallies` …), so a
store with many runs is listed without reading its answers or verdicts. The answering cost
is priced from the model's list price (`models.pricing`; None when unknown); the judging
cost is what the stored verdicts cost (`judge_unpriced` counts those without a known cost).
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

from medjudge.models.pricing import cost_usd, price_for
from medjudge.records import Run
from medjudge.store import Store
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
    answer_prompt_tokens: int | None = None
    answer_completion_tokens: int | None = None
    #: Answering at the model's list price; None when the price or the tokens are unknown.
    answer_cost_usd: float | None = None
    mcq_scored: int = 0
    mcq_correct: int = 0
    judges: tuple[VerdictTally, ...] = ()
    rubrics: tuple[RubricUse, ...] = ()

    @property
    def judge_cost_usd(self) -> float:
        return sum(j.cost_usd for j in self.judges)

    @property
    def judge_unpriced(self) -> int:
        return sum(j.unpriced for j in self.judges)


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
) -> RunOverview:
    fields: dict[str, object] = {"run": run, "judges": tuple(judges), "rubrics": tuple(rubrics)}
    if answers is not None:
        fields |= {
            "answered": answers.ok, "failed": answers.failed,
            "answer_prompt_tokens": answers.prompt_tokens,
            "answer_completion_tokens": answers.completion_tokens,
            "answer_cost_usd": cost_usd(
                price_for(run.model), answers.prompt_tokens, answers.completion_tokens
            ),
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
    return [
        _overview(
            run, answers.get(run.run_id), mcq.get(run.run_id),
            [j for j in judges if j.run_id == run.run_id],
            [r for r in rubrics if r.run_id == run.run_id],
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


def _cost(o: RunOverview) -> str:
    judged = _usd(o.judge_cost_usd) + (f" (+{o.judge_unpriced} unpriced)"
                                       if o.judge_unpriced else "")
    return f"answers {_usd(o.answer_cost_usd)}, judges {judged}"


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
        "answer_prompt_tokens": o.answer_prompt_tokens,
        "answer_completion_tokens": o.answer_completion_tokens,
        "judge_prompt_tokens": sum(j.prompt_tokens or 0 for j in o.judges),
        "judge_completion_tokens": sum(j.completion_tokens or 0 for j in o.judges),
        "answer_cost_usd": o.answer_cost_usd,
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
    payload = [{**o.model_dump(mode="json"), "judge_cost_usd": o.judge_cost_usd}
               for o in overviews]
    return json.dumps(payload, ensure_ascii=False, indent=2)


def render_runs(overviews: Sequence[RunOverview]) -> Table:
    table = Table(title="Runs in this store")
    for column in ("run", "when", "model", "benchmark", "sampling", "answered", "MCQ scored",
                   "judges", "rubrics", "tokens (answers; judges)", "cost"):
        table.add_column(column)
    for o in overviews:
        judge_tokens = _tokens(sum(j.prompt_tokens or 0 for j in o.judges) or None,
                               sum(j.completion_tokens or 0 for j in o.judges) or None)
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
        ("MCQ", f"{o.mcq_correct}/{o.mcq_scored} correct" if o.mcq_scored else "—"),
        ("judges", _judges(o)), ("rubrics", _rubrics(o)), ("cost", _cost(o)),
    ):
        facts.add_row(Text(name, style="bold"), Text(value))
    passes = Table(title="Grading passes")
    for column in ("pass", "started", "judge", "settings"):
        passes.add_column(column)
    for p in details.passes:
        passes.add_row(str(p.pass_id), p.started_at, p.judge,
                       json.dumps(p.settings, ensure_ascii=False, sort_keys=True))
    return Group(facts, passes if details.passes else Text("no grading passes recorded"))
