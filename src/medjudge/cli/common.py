"""What every command shares: the consoles, error reporting, the progress bar."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from medjudge.errors import MedjudgeError

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CODES",
    "EXIT_INCOMPLETE",
    "RichProgress",
    "StoreOption",
    "console",
    "err_console",
    "friendly_errors",
]

#: A medjudge error: bad input, a missing dependency or key, a busy store. Nothing was sent.
EXIT_BAD_INPUT = 2
#: The run finished but is incomplete: failed answers, unscored verdicts, or verdict requests
#: not sent for the budget. Everything done is stored; the same command again retries the rest.
EXIT_INCOMPLETE = 3

#: The paragraph each command's --help ends with.
EXIT_CODES = (
    "Exit codes: 0 complete; 2 bad input, nothing sent (a bad file or option, a missing "
    "extra or API key, the store busy with another process); 3 incomplete (see the summary; "
    "the same command again retries the rest); 130 interrupted."
)

console = Console()
err_console = Console(stderr=True)

StoreOption = Annotated[
    Path,
    typer.Option("--store", help="SQLite file that holds runs, answers and scores."),
]

P = ParamSpec("P")
R = TypeVar("R")


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn medjudge's own errors into one red line and exit code 2; Ctrl-C into exit 130."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MedjudgeError as exc:
            # escape: "pip install 'medjudge[cpu]'" is not rich markup to be swallowed.
            err_console.print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt:
            err_console.print(
                "[yellow]interrupted[/]: everything answered so far is stored; "
                "run the same command again to finish."
            )
            raise typer.Exit(130) from None

    return wrapper


class RichProgress:
    """A rich progress bar with rate and ETA, fed by the library's ProgressSink calls.

    Nothing is drawn until the library calls `start`, i.e. after every early check passed."""

    def __init__(self, description: str, *, show_spend: bool = False) -> None:
        self._description = description
        spend = [TextColumn("[green]${task.fields[spent]:.4f}")] if show_spend else []
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("[cyan]{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            *spend,
            console=err_console,
            transient=False,
        )
        self._task = None

    def __enter__(self) -> RichProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._task is not None:
            self._progress.stop()

    def start(self, total: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task(
            self._description, total=total, rate="", spent=0.0
        )

    def advance(self, count: int) -> None:
        if self._task is None:
            return
        self._progress.advance(self._task, count)
        task = self._progress.tasks[self._task]
        speed = task.finished_speed or task.speed
        self._progress.update(self._task, rate=f"{speed:.2f}/s" if speed else "")

    def spend(self, usd: float) -> None:
        if self._task is not None:
            self._progress.update(self._task, spent=usd)
