"""The `medjudge` command: one thin module per subcommand."""

from __future__ import annotations

import typer

from medjudge.cli.answer import answer
from medjudge.cli.audit import audit_app
from medjudge.cli.demo import demo
from medjudge.cli.export import export
from medjudge.cli.grade import grade
from medjudge.cli.imports import import_app
from medjudge.cli.report import report
from medjudge.cli.run import run
from medjudge.cli.runs import runs_app
from medjudge.cli.score import score

__all__ = ["app"]

app = typer.Typer(
    name="medjudge",
    help="Grade medical LLMs: answer benchmarks, score MCQs, judge open answers, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(answer)
app.command()(score)
app.command()(grade)
app.command()(report)
app.command()(run)
app.add_typer(runs_app, name="runs")
app.command()(export)
app.add_typer(import_app, name="import")
app.command()(demo)
app.add_typer(audit_app, name="audit")
