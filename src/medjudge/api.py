"""medjudge from Python: load, answer, score, grade, report, runs — the CLI's library calls.

    import medjudge as mj
    bench = mj.load("sample:anesbench")
    run = mj.answer(bench, model="vllm/Qwen/Qwen2.5-7B-Instruct", samples=5, store="runs.sqlite")
    mj.score(run); mj.grade(run, judges=["gpt-4o"]); print(mj.report(run).to_markdown())

Every function takes a store the same way: a path, or a `Store` already open (`StoreLike`),
and a run as the `RunRef` `answer` returns, a `Run` record or a run id (with `store=`).
Each calls the library function its CLI command calls; nothing here decides anything else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from medjudge.answering import AnswerConfig, AnswerSummary, ProgressSink, answer_benchmark
from medjudge.answering.prompts import make_prompt
from medjudge.benchmarks import Benchmark
from medjudge.benchmarks import load as load_benchmark
from medjudge.errors import ConfigError, StoreError
from medjudge.judging.grade import GradeConfig, GradeProgress, GradeSummary
from medjudge.judging.grade import grade as grade_runs
from medjudge.mcq_scoring import McqRunSummary, score_mcq_run
from medjudge.models.base import ModelClient
from medjudge.models.registry import Dtype
from medjudge.prices import PricesLike, as_prices
from medjudge.records import Run, SamplingConfig
from medjudge.store import Store

if TYPE_CHECKING:
    from medjudge.report.document import Report
    from medjudge.report.run_list import RunDetails, RunOverview

__all__ = [
    "RunLike",
    "RunRef",
    "StoreLike",
    "answer",
    "grade",
    "load",
    "open_store",
    "report",
    "runs",
    "score",
    "show_run",
    "store_path",
]

#: A store: its file's path, or a `Store` already open (left open for its owner to close).
StoreLike = Store | str | os.PathLike[str]


class RunRef(BaseModel):
    """A handle on one answering run: its store file and run id. `answered` says what the
    `answer` call that returned it did (None for a handle made otherwise)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: Path
    run_id: str
    answered: AnswerSummary | None = None

    def __str__(self) -> str:
        return self.run_id


#: A run: the handle `answer` returns, a stored `Run` record, or a run id (then pass `store=`).
RunLike = RunRef | Run | str


def store_path(store: StoreLike) -> Path:
    return store.path if isinstance(store, Store) else Path(store)


@contextmanager
def open_store(store: StoreLike) -> Iterator[Store]:
    """The `Store` given, or the store at a path (which must exist), closed afterwards."""
    if isinstance(store, Store):
        yield store
        return
    path = Path(store)
    if not path.exists():
        raise StoreError(f"{path}: no such store; answer a benchmark into it first")
    with Store(path) as opened:
        yield opened


def _target(
    run: RunLike | Sequence[RunLike] | None, store: StoreLike | None
) -> tuple[StoreLike, tuple[str, ...] | None]:
    """The store and run ids `run` names (None: every run of the store)."""
    refs: list[RunLike] = [] if run is None else (
        [run] if isinstance(run, RunRef | Run | str) else list(run)
    )
    handles = [ref.store for ref in refs if isinstance(ref, RunRef)]
    stores = {path.resolve() for path in handles}
    if store is None and len(stores) != 1:
        raise ConfigError(
            "which store? pass store=PATH (or an open Store), or runs returned by answer()"
            + (" from one store" if stores else "")
        )
    if store is None:
        store = handles[0]
    elif stores - {store_path(store).resolve()}:
        raise ConfigError(f"a run handle belongs to {', '.join(map(str, stores))}, "
                          f"not to store={store_path(store)}; pass one store")
    ids = tuple(ref if isinstance(ref, str) else ref.run_id for ref in refs)
    return store, ids or None


def load(
    path: str | Path,
    *,
    lang: Literal["en", "zh", "both"] = "en",
    mode: Literal["mcq", "open"] = "mcq",
) -> Benchmark:
    """A benchmark file (LLMEval-Med, AnesBench, medjudge JSONL) or `sample:<name>`."""
    return load_benchmark(path, lang=lang, mode=mode)


def _file_of(benchmark: Benchmark | str | Path, lang: str | None, mode: str | None):
    """(what to load, lang, mode) for AnswerConfig. A loaded Benchmark is answered from its
    file with the language and mode of its items, checked to be the very items given."""
    if not isinstance(benchmark, Benchmark):
        return str(benchmark), lang or "en", mode or "mcq"
    languages = {item.language for item in benchmark.items}
    lang = lang or (languages.pop() if len(languages) == 1 else "both")
    mode = mode or ("open" if all(item.kind == "open" for item in benchmark.items) else "mcq")
    again = load_benchmark(benchmark.path, lang=lang, mode=mode)  # type: ignore[arg-type]
    if again.sha256 != benchmark.sha256 or again.items != benchmark.items:
        raise ConfigError(
            f"{benchmark.path}: the benchmark given is not what this file holds now (changed "
            "since it was loaded, or built in memory); pass the file's path, and lang/mode"
        )
    return benchmark.path, lang, mode


def answer(
    benchmark: Benchmark | str | Path,
    *,
    model: str | None = None,
    store: StoreLike = "medjudge.sqlite",
    samples: int = 1,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_tokens: int = 512,
    seed: int = 0,
    limit: int | None = None,
    lang: Literal["en", "zh", "both"] | None = None,
    mode: Literal["mcq", "open"] | None = None,
    base_url: str | None = None,
    system_prompt: str | None = None,
    prompt_template: str = "default",
    chat_template_kwargs: dict[str, Any] | None = None,
    concurrency: int = 8,
    timeout_s: float = 120.0,
    max_attempts: int = 4,
    dtype: Dtype | None = None,
    probe: bool = True,
    wait: bool = False,
    batch: bool = False,
    poll_interval_s: float = 30.0,
    max_cost_usd: float | None = None,
    prices: PricesLike | None = None,
    price_file: str | Path | None = None,
    client: ModelClient | None = None,
    progress: ProgressSink | None = None,
) -> RunRef:
    """Answer every item (`samples` per item) into `store`; again, only what is missing.

    `model` as `medjudge answer --model` (default: the embedded model); `client` reuses an
    engine you made (it stays open). `system_prompt` (the text itself), `prompt_template`
    (a name in `medjudge.answering.prompts.TEMPLATES`) and `chat_template_kwargs` (a dict) as
    the `--system-prompt`, `--prompt-template`, `--chat-template-kwargs` options. `prices`
    (`{"gpt-4o": (2.50, 10.0)}` in USD per million input, output tokens, or `MODEL=IN,OUT`
    entries) and `price_file` as `--price` and `--price-file`; `max_cost_usd` as
    `--max-cost`; `batch` as `--batch`. Returns the run's handle, with what was answered (and
    what the budget left unasked).
    """
    source, lang, mode = _file_of(benchmark, lang, mode)
    prompt = make_prompt(template=prompt_template, system_prompt=system_prompt,
                         chat_template_kwargs=chat_template_kwargs)
    config = AnswerConfig(
        benchmark=source, store=store_path(store), model=model, base_url=base_url,
        lang=lang, mode=mode, samples=samples, limit=limit, concurrency=concurrency,
        sampling=SamplingConfig(
            temperature=temperature, top_p=top_p, max_tokens=max_tokens, seed=seed
        ),
        timeout_s=timeout_s, max_attempts=max_attempts, dtype=dtype, probe=probe,
        wait_for_lease=wait, prompt=prompt, batch=batch, poll_interval_s=poll_interval_s,
        max_cost_usd=max_cost_usd, prices=as_prices(prices, price_file),
    )
    summary = answer_benchmark(config, progress=progress, client=client)
    return RunRef(store=config.store, run_id=summary.run_id, answered=summary)


def score(
    run: RunLike, *, store: StoreLike | None = None, workers: int | None = None
) -> McqRunSummary:
    """Score the run's MCQ answers by exact match (lenient and strict extraction); `workers`
    as `medjudge score --workers` (default: the usable CPUs, at most 8). From a process that
    runs other threads, the workers import the main script: call this under
    `if __name__ == "__main__":` there."""
    where, ids = _target(run, store)
    if ids is None or len(ids) != 1:
        raise ConfigError("score() takes one run; loop over mj.runs(store) for several")
    with open_store(where) as db:
        return score_mcq_run(db, ids[0], workers=workers)


def grade(
    run: RunLike | Sequence[RunLike] | None = None,
    *,
    store: StoreLike | None = None,
    judges: Sequence[str] = ("gpt-4o",),
    judge_base_urls: Sequence[str] = (),
    judge_output: Literal["json", "text"] = "json",
    runs: int = 1,
    rubric: str | Path | None = None,
    concurrency: int = 8,
    reasks: int = 2,
    max_cost_usd: float | None = None,
    prices: PricesLike | None = None,
    price_file: str | Path | None = None,
    temperature: float | None = None,
    max_tokens: int = 1024,
    timeout_s: float = 120.0,
    max_attempts: int = 4,
    retry_unscored: bool = False,
    limit: int | None = None,
    compact_verdicts: bool | None = None,
    dtype: Dtype | None = None,
    probe: bool = True,
    wait: bool = False,
    batch: bool = False,
    poll_interval_s: float = 30.0,
    clients: dict[str, ModelClient] | None = None,
    progress: GradeProgress | None = None,
) -> GradeSummary:
    """Have `judges` grade the open answers of `run` (several, or None: every run), as
    `medjudge grade` does; verdicts already stored are never asked for again.

    `judge_base_urls` are `JUDGE=URL` entries; `clients` (judge name → client) reuse engines.
    `batch`: openai/ and anthropic/ judges through their batch APIs, at half price.
    `prices` and `price_file` as in `answer`.
    """
    where, ids = _target(run, store)
    config = GradeConfig(
        store=store_path(where), judges=tuple(judges), judge_base_urls=tuple(judge_base_urls),
        judge_output=judge_output, runs=runs, answer_runs=ids,
        rubric=Path(rubric) if rubric is not None else None, concurrency=concurrency,
        reasks=reasks, max_cost_usd=max_cost_usd, prices=as_prices(prices, price_file),
        temperature=temperature,
        max_tokens=max_tokens, timeout_s=timeout_s, max_attempts=max_attempts,
        retry_unscored=retry_unscored, limit=limit, compact_verdicts=compact_verdicts,
        dtype=dtype, probe=probe, wait_for_lease=wait, batch=batch,
        poll_interval_s=poll_interval_s,
    )
    if not config.store.exists():
        raise StoreError(f"{config.store}: no such store; answer a benchmark into it first")
    return grade_runs(config, progress=progress, clients=clients)


def report(
    run: RunLike | Sequence[RunLike] | None = None,
    *,
    store: StoreLike | None = None,
    seed: int = 0,
    rubric_versions: Sequence[str] | None = None,
) -> Report:
    """MCQ accuracy and judged usability of `run` (several, or None: every run), with 95%
    bootstrap CIs (`seed`); `.to_markdown()`, `.to_json()`, `.to_csv()` print it.

    `rubric_versions`: `RUBRIC_ID=VERSION` entries (or one `VERSION`) as `--rubric-version`.
    """
    from medjudge.report.document import build_report  # numpy and rich, only when asked
    from medjudge.scoring.versions import parse_version_choice

    where, ids = _target(run, store)
    pick = parse_version_choice(list(rubric_versions)) if rubric_versions else None
    with open_store(where) as db:
        return build_report(db, ids, seed=seed, pick=pick)


def runs(store: StoreLike) -> list[RunOverview]:
    """Every run of the store with its tallies (what `medjudge runs` lists)."""
    from medjudge.report.run_list import list_runs

    with open_store(store) as db:
        return list_runs(db)


def show_run(run: RunLike, *, store: StoreLike | None = None) -> RunDetails:
    """One run's tallies, exact settings and grading passes (`medjudge runs show`)."""
    from medjudge.report.run_list import run_details

    where, ids = _target(run, store)
    if ids is None or len(ids) != 1:
        raise ConfigError("show_run() takes one run")
    with open_store(where) as db:
        return run_details(db, ids[0])
