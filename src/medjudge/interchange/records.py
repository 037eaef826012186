"""The record every importer of answers returns: a Run, its benchmark and its Answers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from medjudge.benchmarks.benchmark import Benchmark
from medjudge.records import Answer, Item, Run

__all__ = ["ImportedAnswers"]


class ImportedAnswers(BaseModel):
    """A model's answers read from a file made elsewhere, ready for the store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run: Run
    #: The benchmark the answers belong to: its path, hash and Items.
    benchmark: Benchmark
    answers: tuple[Answer, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return self.benchmark.items
