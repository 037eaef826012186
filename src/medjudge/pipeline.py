"""One evaluation from one file: answer → score → grade → report (`medjudge run FILE`).

    from medjudge.run_config import load_run_config
    config = load_run_config("evaluation.yaml")   # RunConfigError names file, line and field
    result = run_pipeline(config)                 # PipelineResult: each stage, the report

Each stage calls the library function its own command calls (`medjudge.api`), so each is
resumable the same way: a rerun only does what the store is missing. A stage that runs a
local engine (answering with a `vllm/` model, grading by a `vllm/` judge) runs in a child
process of its own, started with `multiprocessing`'s "spawn" method, so the engine's memory
(GPU included) is freed when the stage ends and before the next model loads. Spawn rather
than a `python -m medjudge …` subprocess: the child calls the very function the in-process
path calls, with the same validated config object, and hands back the typed summary, so no
second mapping of every option onto command-line flags has to be kept in step; and spawn
rather than fork, because a forked child inherits the parent's threads and cannot start CUDA.
API stages (OpenAI, Anthropic, an OpenAI-compatible server) run in this process.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from medjudge import api
from medjudge.answering import AnswerSummary
from medjudge.errors import MedjudgeError
from medjudge.judging.grade import GradeSummary
from medjudge.mcq_scoring import McqRunSummary
from medjudge.models import DEFAULT_MODEL, canonical_name
from medjudge.models.pricing import ModelPrice
from medjudge.report.document import Report
from medjudge.run_config import JudgesSection, RunConfig, preflight

__all__ = [
    "PipelineResult",
    "ProgressFactory",
    "StageCrashed",
    "StageFailed",
    "StageResult",
    "judge_stages",
    "needs_own_process",
    "run_pipeline",
]

#: Makes the progress display of one stage ("answering", "grading openai/gpt-4o"): a context
#: manager whose value takes the library's progress calls. It must pickle (a module-level
#: function or class), since a child-process stage builds its own.
ProgressFactory = Callable[[str], AbstractContextManager[Any]]


# ---------------------------------------------------------------------------------------
# Errors


class StageFailed(MedjudgeError):
    """A stage stopped on bad input (a medjudge error); nothing of that stage was sent."""

    def __init__(self, stage: str, message: str, *, kind: str) -> None:
        super().__init__(f"stage '{stage}': {message}")
        self.stage, self.kind = stage, kind


class StageCrashed(RuntimeError):
    """A stage's child process died without a result (killed, out of memory, a bug)."""

    def __init__(self, stage: str, exitcode: int | None) -> None:
        super().__init__(
            f"stage '{stage}': its process exited with code {exitcode} and no result (killed, "
            "out of memory, or a bug: see its output above); everything it stored is kept, "
            "so the same command again resumes"
        )
        self.stage, self.exitcode = stage, exitcode


# ---------------------------------------------------------------------------------------
# Running it


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StageResult(_Record):
    #: "answer", "score", "grade openai/gpt-4o", "report".
    stage: str
    complete: bool
    #: One line for people: what the stage did.
    summary: str
    #: Whether the stage ran in a child process of its own (a local engine).
    own_process: bool = False


class PipelineResult(_Record):
    run: api.RunRef
    stages: tuple[StageResult, ...]
    #: The report of the run; None when the pipeline stopped before it.
    report: Report | None = None
    html: Path | None = None

    @property
    def complete(self) -> bool:
        return all(stage.complete for stage in self.stages) and self.report is not None

    @property
    def stopped_at(self) -> str | None:
        """The incomplete stage the pipeline stopped after (None: it ran to the end)."""
        return next((s.stage for s in self.stages if not s.complete), None)


def needs_own_process(model: str) -> bool:
    """Whether a stage using `model` runs a local engine, and so gets a process of its own."""
    return canonical_name(model).startswith("vllm/")


def run_pipeline(
    config: RunConfig,
    *,
    progress: ProgressFactory | None = None,
    on_stage: Callable[[StageResult], None] | None = None,
) -> PipelineResult:
    """Answer, score, grade (with each judge group), report; stop after an incomplete stage.

    A stage that fails on bad input raises `StageFailed` naming it; an incomplete one (failed
    answers, unscored verdicts, the budget reached) ends the pipeline with its result last.
    """
    preflight(config)
    config.store.parent.mkdir(parents=True, exist_ok=True)  # the file's folder, not the store
    stages: list[StageResult] = []

    def record(result: StageResult) -> bool:
        stages.append(result)
        if on_stage is not None:
            on_stage(result)
        return result.complete

    own = needs_own_process(config.model.name or DEFAULT_MODEL)
    answered = _stage("answer", own, _answer, config, progress)
    run = api.RunRef(store=config.store, run_id=answered.run_id, answered=answered)
    if not record(_answer_result(answered, own)):
        return PipelineResult(run=run, stages=tuple(stages))
    record(_score_result(_stage("score", False, _score, run)))
    for judges in judge_stages(config.judges) if config.judges is not None else ():
        stage, own = f"grade {', '.join(judges)}", needs_own_process(judges[0])
        graded = _stage(stage, own, _grade, config.judges, run, judges, progress,
                        config.user_prices())
        if not record(_grade_result(stage, graded, own)):
            return PipelineResult(run=run, stages=tuple(stages))
    built, html = _stage("report", False, _report, config, run)
    record(StageResult(stage="report", complete=True, summary=_report_line(built, html)))
    return PipelineResult(run=run, stages=tuple(stages), report=built, html=html)


def judge_stages(judges: JudgesSection) -> list[tuple[str, ...]]:
    """API judges together (one budget, one process: this one), then each local judge alone."""
    names = [judge.name for judge in judges.models]
    remote = tuple(name for name in names if not needs_own_process(name))
    return ([remote] if remote else []) + [(n,) for n in names if needs_own_process(n)]


# --- the stages: module-level functions, so a spawned child can run them -----------------


def _progress(factory: ProgressFactory | None, description: str) -> AbstractContextManager[Any]:
    return factory(description) if factory is not None else nullcontext()


def _answer(config: RunConfig, progress: ProgressFactory | None) -> AnswerSummary:
    bench, model = config.benchmark, config.model
    with _progress(progress, "answering") as sink:
        run = api.answer(
            bench.path, model=model.name, store=config.store, samples=model.samples,
            temperature=model.sampling.temperature, top_p=model.sampling.top_p,
            max_tokens=model.sampling.max_tokens, seed=model.sampling.seed, limit=bench.limit,
            lang=bench.lang, mode=bench.mode, base_url=model.base_url,
            concurrency=model.concurrency, timeout_s=model.timeout_s, dtype=model.dtype,
            system_prompt=model.system_prompt, prompt_template=model.prompt_template,
            chat_template_kwargs=model.chat_template_kwargs,
            max_cost_usd=model.max_cost_usd, prices=config.user_prices(), progress=sink,
        )
    assert run.answered is not None  # answer() always says what it did
    return run.answered


def _score(run: api.RunRef) -> McqRunSummary:
    return api.score(run)


def _grade(
    section: JudgesSection, run: api.RunRef, judges: tuple[str, ...],
    progress: ProgressFactory | None, prices: tuple[ModelPrice, ...] = (),
) -> GradeSummary:
    urls = [f"{m.name}={m.base_url}" for m in section.models if m.name in judges and m.base_url]
    with _progress(progress, f"grading {', '.join(judges)}") as sink:
        return api.grade(
            run, judges=judges, judge_base_urls=urls, judge_output=section.judge_output,
            runs=section.runs, rubric=section.rubric, max_cost_usd=section.max_cost_usd,
            max_tokens=section.max_tokens, prices=prices, progress=sink,
        )


def _report(config: RunConfig, run: api.RunRef) -> tuple[Report, Path | None]:
    built = api.report(run)
    if config.report.html is None:
        return built, None
    from medjudge.report.html import write_html_report  # matplotlib, only when asked

    return built, write_html_report(config.store, config.report.html, run_ids=[run.run_id])


# --- what each stage's summary says ---------------------------------------------------------


def _answer_result(s: AnswerSummary, own: bool) -> StageResult:
    line = f"run {s.run_id}: {s.ok} answered, {s.failed} failed, {s.already_done} already stored"
    if s.failed:
        line += "; their reasons are stored, the same command again retries them"
    if s.not_sent_budget:
        line += f"; {s.not_sent_budget} turns not asked (budget: raise max_cost_usd)"
    return StageResult(stage="answer", complete=not s.failed and not s.not_sent_budget,
                       summary=line, own_process=own)


def _score_result(s: McqRunSummary) -> StageResult:
    line = (f"{s.correct} of {s.scored} MCQs correct ({s.strict_correct} by strict extraction)"
            if s.scored else "no MCQ answers to score")
    return StageResult(stage="score", complete=True, summary=line)


def _grade_result(stage: str, s: GradeSummary, own: bool) -> StageResult:
    line = (f"{s.scored} scored, {s.unscored} unscored, {s.already_done} already stored, "
            f"{s.failed_answers} failed answers not graded; spent ${s.cost_usd:.4f}")
    if s.not_sent_budget:
        line += f"; {s.not_sent_budget} requests not sent (budget: raise max_cost_usd)"
    if s.unscored_stored:
        line += f"; {s.unscored_stored} unscored verdicts stored (reasons kept)"
    return StageResult(stage=stage, complete=s.complete, summary=line, own_process=own)


def _report_line(built: Report, html: Path | None) -> str:
    line = ("nothing to report: open answers need a judges section" if built.is_empty
            else "built")
    return line + (f"; wrote {html}" if html is not None else "")


# --- one stage, here or in a child process of its own -------------------------------------


class _Outcome(BaseModel):
    """What a child process hands back: its stage's result, or the error that stopped it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    result: Any = None
    error: str | None = None
    kind: str | None = None


def _stage(stage: str, own_process: bool, run: Callable[..., Any], *args: Any) -> Any:
    """`run(*args)`, here or in a spawned child; a medjudge error becomes StageFailed."""
    if not own_process:
        try:
            return run(*args)
        except MedjudgeError as exc:
            raise StageFailed(stage, str(exc), kind=type(exc).__name__) from exc
    outcome = _in_child(stage, run, args)
    if outcome.error is not None:
        raise StageFailed(stage, outcome.error, kind=outcome.kind or "MedjudgeError")
    return outcome.result


def _in_child(stage: str, run: Callable[..., Any], args: tuple[Any, ...]) -> _Outcome:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main, args=(sender, run, args), name=f"medjudge {stage}"
    )
    child.start()
    sender.close()  # the child holds the only writer: its death ends recv() with EOFError
    try:
        try:
            outcome: _Outcome | None = receiver.recv()
        except EOFError:
            outcome = None
        child.join()
    finally:
        if child.is_alive():  # interrupted: give the child (Ctrl-C reached it too) a moment
            child.join(10)
            if child.is_alive():
                child.terminate()
                child.join(5)
        receiver.close()
    if outcome is None:
        raise StageCrashed(stage, child.exitcode)
    return outcome


def _child_main(sender: Any, run: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        outcome = _Outcome(result=run(*args))
    except MedjudgeError as exc:
        outcome = _Outcome(error=str(exc), kind=type(exc).__name__)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    sender.send(outcome)
    sender.close()
