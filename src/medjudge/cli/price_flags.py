"""The price and budget options `answer` and `grade` share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["MaxCost", "PriceFileOption", "PriceOption"]

PriceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--price",
        metavar="MODEL=IN,OUT",
        help="A model's price: MODEL=IN,OUT in USD per million input and output tokens "
        "(e.g. openai/gpt-4o=2.50,10); repeatable; beats --price-file and the list prices. "
        "Local engines are free unless priced here.",
    ),
]
PriceFileOption = Annotated[
    Path | None,
    typer.Option(
        "--price-file",
        metavar="FILE",
        help="YAML (or JSON) file of prices: 'MODEL: {input: IN, output: OUT}' per line, USD "
        "per million tokens.",
    ),
]


def _positive(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise typer.BadParameter(f"{value} is not a positive amount of USD")
    return value


MaxCost = Annotated[
    float | None,
    typer.Option(
        "--max-cost",
        metavar="USD",
        callback=_positive,
        help="Stop before the spend would pass this (USD), counting what earlier runs of "
        "the same command spent (the store's spend ledger).",
    ),
]
