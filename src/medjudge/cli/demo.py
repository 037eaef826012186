"""`medjudge demo`: the whole path on the bundled samples with the embedded model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.cli.common import RichProgress, console, friendly_errors
from medjudge.cli.report import report
from medjudge.cli.score import score
from medjudge.judging.grade import GradeConfig, grade
from medjudge.models import DEFAULT_MODEL, create_client
from medjudge.records import SamplingConfig

__all__ = ["demo"]

_NOTICE = (
    "[bold yellow]Demo:[/] the embedded model is SmolLM2-135M-Instruct, a 135M-parameter model "
    "that only shows the machinery. Its answers, and its verdicts as a judge, mean nothing "
    "clinically; a real evaluation names a real model with --model and a real judge with "
    "--judge (e.g. gpt-4o)."
)


@friendly_errors
def demo(
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge-demo.sqlite"),
    max_tokens: Annotated[int, typer.Option(min=1, help="Most tokens per answer.")] = 128,
) -> None:
    """Answer the bundled AnesBench (EN + ZH) and LLMEval-Med samples, score the MCQs, grade
    the open answers with the embedded model as a local judge, and report."""
    console.print(_NOTICE)
    sampling = SamplingConfig(temperature=0.0, max_tokens=max_tokens)
    client = create_client(DEFAULT_MODEL)
    try:
        for benchmark, lang in (("sample:anesbench", "both"), ("sample:llmeval-med", "en")):
            config = AnswerConfig(benchmark=benchmark, store=store, lang=lang, sampling=sampling)
            with RichProgress(f"answering {benchmark}") as progress:
                summary = answer_benchmark(config, progress=progress, client=client)
            console.print(
                f"{benchmark}: run {summary.run_id}, {summary.ok} answered, "
                f"{summary.failed} failed, {summary.already_done} already stored"
            )
        # Measured on the bundled samples: 400 tokens left 3 of 8 verdicts cut off, 900 left
        # 2 (the 135M judge loops inside a bounded string on those; they stay unscored).
        judging = GradeConfig(store=store, judges=(DEFAULT_MODEL,), max_tokens=900)
        with RichProgress("grading open answers (local judge)", show_spend=True) as progress:
            graded = grade(judging, progress=progress, clients={DEFAULT_MODEL: client})
        console.print(
            f"judge {DEFAULT_MODEL}: {graded.scored} scored, {graded.unscored} unscored "
            f"(reasons kept), {graded.already_done} already stored"
        )
    finally:
        client.close()
    score(store=store, run=None)
    report(store=store, run=None, format="table", seed=0)
    console.print(_NOTICE)
