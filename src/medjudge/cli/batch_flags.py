"""`--batch` and `--poll-interval`, declared once for `answer` and `grade`, and a progress bar
that also shows provider batches submitted / ended."""

from __future__ import annotations

from typing import Annotated

import typer

from medjudge.cli.common import RichProgress

__all__ = ["BatchAwareProgress", "BatchFlag", "PollInterval"]

BatchFlag = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="openai/ and anthropic/ models through their providers' batch APIs, at half "
        "price; results within 24 h. Batch ids are stored: a rerun resumes them and never "
        "submits a request twice.",
    ),
]
PollInterval = Annotated[
    float,
    typer.Option(min=0.001, max=3600.0, help="With --batch: seconds between polls of a batch."),
]


class BatchAwareProgress(RichProgress):
    """The progress bar, its description followed by `batches ended/submitted`."""

    def batches(self, submitted: int, ended: int) -> None:
        if self._task is not None:
            self._progress.update(
                self._task, description=f"{self._description} · batches {ended}/{submitted}"
            )
