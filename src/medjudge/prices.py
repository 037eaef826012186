"""The user's own prices: `--price MODEL=IN,OUT` (repeatable), `--price-file FILE`, and the
`prices:` section of a run file, all in USD per million input / output tokens.

A price file is YAML (a JSON object is YAML too), one model per key:

    # USD per million tokens
    openai/gpt-4o: {input: 2.00, output: 8.00}
    vllm/Qwen/Qwen2.5-7B-Instruct:
      input: 0.05
      output: 0.10

Model names are read as everywhere else (`gpt-4o` is `openai/gpt-4o`). A user's price beats
the list price (`models.pricing`); `--price` beats the file. Every mistake is a `PriceError`
naming the option or the file, the line and the model key, and what to do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from medjudge.errors import ConfigError, PriceError, RubricError
from medjudge.judging.rubric_yaml import line_of, read_yaml
from medjudge.models import canonical_name
from medjudge.models.pricing import ModelPrice, Price

__all__ = [
    "PRICE_FORMAT",
    "PriceSpec",
    "PricesLike",
    "as_prices",
    "parse_price_option",
    "price_entries",
    "read_price_file",
    "user_prices",
]

PRICE_FORMAT = (
    "write MODEL=IN,OUT in USD per million input and output tokens, e.g. "
    "--price openai/gpt-4o=2.50,10"
)
_FILE_FORMAT = (
    "a price file maps each model to its prices in USD per million tokens, e.g. "
    "'openai/gpt-4o: {input: 2.50, output: 10}'"
)


class PriceSpec(BaseModel):
    """One model's prices as a file or a run file writes them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0, le=10_000, allow_inf_nan=False)
    output: float = Field(ge=0, le=10_000, allow_inf_nan=False)

    def price(self) -> Price:
        return Price(input_per_mtok=self.input, output_per_mtok=self.output)


def _model(name: str) -> str:
    try:
        return canonical_name(name.strip())
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def parse_price_option(entry: str) -> ModelPrice:
    """`MODEL=IN,OUT` (one `--price`) as a model's price; PriceError naming the entry."""
    where = f"--price {entry!r}"
    name, equals, values = entry.rpartition("=")
    parts = values.split(",")
    if not equals or not name.strip() or len(parts) != 2:
        raise PriceError("expected MODEL=IN,OUT", where=where, hint=PRICE_FORMAT)
    try:
        model = _model(name)
    except ValueError as exc:
        raise PriceError(str(exc), where=where) from None
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        raise PriceError(
            f"{values!r} are not two numbers", where=where, hint=PRICE_FORMAT
        ) from None
    if any(not math.isfinite(n) or n < 0 or n > 10_000 for n in numbers):
        raise PriceError(
            "prices must be numbers from 0 to 10000 (USD per million tokens)",
            where=where,
            hint=PRICE_FORMAT,
        )
    return ModelPrice(
        model=model, price=Price(input_per_mtok=numbers[0], output_per_mtok=numbers[1])
    )


def price_entries(
    specs: Mapping[str, PriceSpec],
    *,
    where: str,
    root: yaml.Node | None = None,
    base: Sequence[str | int] = (),
) -> tuple[ModelPrice, ...]:
    """Validated `{model: PriceSpec}` as prices, names made canonical; PriceError names
    `where`, the line (from the YAML `root`, under `base`) and the key."""
    entries = []
    for name, spec in specs.items():
        try:
            model = _model(str(name))
        except ValueError as exc:
            raise PriceError(
                str(exc), where=where, line=line_of(root, [*base, name]), key=str(name)
            ) from None
        entries.append(ModelPrice(model=model, price=spec.price()))
    return tuple(entries)


def read_price_file(path: str | Path) -> tuple[ModelPrice, ...]:
    """The prices a file holds; PriceError names the file, line and model key."""
    path = Path(path)
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PriceError(
            "file not found", where=where, hint="check the --price-file path"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceError(
            f"cannot read the file: {exc}", where=where, hint="save it as UTF-8 text"
        ) from None
    try:
        root, data = read_yaml(text, where)
    except RubricError as exc:  # the rubric files' YAML reader; the error is ours
        raise PriceError(exc.problem, where=where, line=exc.line, hint=exc.hint) from None
    if not isinstance(data, dict) or not data:
        found = "nothing" if not data else f"a YAML {type(data).__name__}"
        raise PriceError(
            f"expected a mapping of models to prices; found {found}",
            where=where,
            line=1,
            hint=_FILE_FORMAT,
        )
    specs: dict[str, PriceSpec] = {}
    for name, value in data.items():
        try:
            specs[str(name)] = PriceSpec.model_validate(value)
        except ValidationError as exc:
            raise _spec_error(exc, where, root, name) from None
    return price_entries(specs, where=where, root=root)


def _spec_error(exc: ValidationError, where: str, root: Any, name: object) -> PriceError:
    # A misspelt key says more than the missing one it was meant to be.
    error = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    loc = [str(name), *(str(part) for part in error["loc"])]
    problem = error["msg"]
    if error["type"] == "extra_forbidden":
        problem = f"unknown field '{error['loc'][-1]}'"
    elif error["type"] == "model_type":
        problem = "expected a mapping with input and output"
    elif error["type"] == "missing":
        problem = f"'{error['loc'][-1]}' is missing"
    return PriceError(
        problem, where=where, line=line_of(root, loc), key=str(name), hint=_FILE_FORMAT
    )


def user_prices(
    entries: Sequence[str] = (), file: str | Path | None = None
) -> tuple[ModelPrice, ...]:
    """The prices of a price file, then of `--price` entries (later ones win)."""
    from_file = read_price_file(file) if file is not None else ()
    return (*from_file, *(parse_price_option(entry) for entry in entries))


#: Prices from Python: `{"gpt-4o": (2.50, 10.0)}` (or `Price` values), or `--price` entries.
PricesLike = Mapping[str, "tuple[float, float] | Price"] | Sequence["str | ModelPrice"]


def as_prices(
    prices: PricesLike | None = None, file: str | Path | None = None
) -> tuple[ModelPrice, ...]:
    """The prices a Python caller gives (`prices=`, `price_file=`) as the CLI reads them;
    PriceError names a bad one."""
    entries: list[ModelPrice] = list(read_price_file(file) if file is not None else ())
    if isinstance(prices, Mapping):
        for name, value in prices.items():
            if isinstance(value, Price):
                value = (value.input_per_mtok, value.output_per_mtok)
            try:
                pair = ",".join(str(float(v)) for v in value)
            except (TypeError, ValueError):
                raise PriceError(
                    f"expected (input, output) USD per million tokens, got {value!r}",
                    where="prices",
                    key=str(name),
                ) from None
            entries.append(parse_price_option(f"{name}={pair}"))
    else:
        for entry in prices or ():
            entries.append(entry if isinstance(entry, ModelPrice) else parse_price_option(entry))
    return tuple(entries)
