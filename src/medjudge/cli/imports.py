"""`medjudge import`: answers and scores made by other tools, as runs in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from medjudge.cli.common import console, friendly_errors
from medjudge.interchange.imports import (
    import_anesbench_results,
    import_answers,
    import_jsonl,
    import_scores,
)

__all__ = ["import_app"]

import_app = typer.Typer(help="Import answers and scores produced by other tools.")


@import_app.command("llmeval-med-answers")
@friendly_errors
def import_llmeval_answers(
    path: Annotated[Path, typer.Argument(help="LLMEval-Med Answer.py output (model_answer).")],
    model: Annotated[str, typer.Option(help="Name of the model that answered.")],
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
) -> None:
    """Import LLMEval-Med answers as a run, ready to grade or audit."""
    run_id, count = import_answers(store, path, model=model)
    console.print(f"imported {count} answers as run {run_id}")


@import_app.command("llmeval-med-scores")
@friendly_errors
def import_llmeval_scores(
    path: Annotated[Path, typer.Argument(help="LLMEval-Med Evaluate.py score file.")],
    run: Annotated[str, typer.Option(help="The imported answer run these scores grade.")],
    judge: Annotated[str, typer.Option(help="Judge that produced the scores.")] = "gpt-4o",
    judge_run: Annotated[int, typer.Option(min=0, help="Which of the judge's runs.")] = 0,
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
) -> None:
    """Import LLMEval-Med scores as verdicts, to re-aggregate or audit without re-running."""
    count = import_scores(store, path, run_id=run, judge=judge, judge_run=judge_run)
    console.print(f"imported {count} verdicts for run {run}")


@import_app.command("answers")
@friendly_errors
def import_jsonl_answers(
    path: Annotated[Path, typer.Argument(
        help='JSONL: {"id": …, "answer": …, "sample": 0}; id is the item id, or for AnesBench '
             "the file's own id (with --lang en or zh).")],
    benchmark: Annotated[str, typer.Option(help="The benchmark the answers belong to.")],
    model: Annotated[str, typer.Option(help="Name of the model that answered.")],
    lang: Annotated[Literal["en", "zh", "both"], typer.Option(help="AnesBench language(s).")]
    = "en",
    mode: Annotated[Literal["mcq", "open"], typer.Option(help="AnesBench mode.")] = "mcq",
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
) -> None:
    """Import answers made elsewhere (medjudge JSONL answer format) as a run."""
    run_id, count = import_jsonl(store, path, benchmark=benchmark, model=model, lang=lang,
                                 mode=mode)
    console.print(f"imported {count} answers as run {run_id}")


@import_app.command("anesbench-results")
@friendly_errors
def import_anesbench(
    path: Annotated[Path, typer.Argument(
        help="AnesBench eval/evaluate.py's result.json (model_output, model_response, "
             "correctness).")],
    benchmark: Annotated[str, typer.Option(
        help="The AnesBench file evaluate.py read (its questions in the same order).")],
    model: Annotated[str, typer.Option(help="Name of the model that answered.")],
    lang: Annotated[Literal["en", "zh"], typer.Option(help="The language it was asked in.")]
    = "en",
    store: Annotated[Path, typer.Option(help="SQLite store file.")] = Path("medjudge.sqlite"),
) -> None:
    """Import AnesBench's own results as a run, and compare its extractor with medjudge's."""
    results = import_anesbench_results(store, path, benchmark=benchmark, lang=lang, model=model)
    imported = results.imported
    console.print(f"imported {len(imported.answers)} answers as run {imported.run.run_id}")
    console.print(results.comparison.line())
    console.print(results.comparison.agreement_line())
