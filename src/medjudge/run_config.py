"""The run file of `medjudge run`: one YAML file that says what to evaluate and how.

    config = load_run_config("evaluation.yaml")   # RunConfigError names file, line and field

Sections: `store`, `benchmark` (path or sample:…, lang, mode, limit), `model` (name, base_url,
samples, sampling, dtype, concurrency, timeout_s, max_cost_usd, prompt_template,
system_prompt — text, or @FILE — and chat_template_kwargs, a mapping), `judges` (optional: no
judges, no grading), `report` (format, html), and the user's prices: `prices` (model →
{input, output} in USD per million tokens) and `price_file` (as `--price-file`). Relative
paths (store, benchmark, rubric, HTML report) are read from
the file's own folder, so a config means the same thing from wherever it is run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator

from medjudge.answering.prompts import TEMPLATES, read_system_prompt
from medjudge.errors import ConfigError, RubricError
from medjudge.judging.rubric import load_rubric
from medjudge.judging.rubric_yaml import line_of, read_yaml
from medjudge.models import DEFAULT_MODEL, canonical_name
from medjudge.models.client_settings import Concurrency, MaxCostUsd, TimeoutS
from medjudge.models.pricing import ModelPrice
from medjudge.models.registry import Dtype, check_engine
from medjudge.prices import PriceSpec, price_entries, read_price_file
from medjudge.records import SamplingConfig

__all__ = [
    "BenchmarkSection",
    "JudgeModel",
    "JudgesSection",
    "ModelSection",
    "ReportSection",
    "RunConfig",
    "RunConfigError",
    "load_run_config",
    "parse_run_config",
    "preflight",
]

#: Where the format is described, for error hints.
FORMAT_HELP = "the run file's format is in the README, section 'One command'"


# ---------------------------------------------------------------------------------------
# The error


class RunConfigError(ConfigError):
    """A run file is unreadable or breaks the format: names the file, line and dotted field."""

    def __init__(
        self, problem: str, *, path: str, line: int | None = None, field: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = [path] + ([f"line {line}"] if line is not None else [])
        where += [f"field '{field}'"] if field is not None else []
        super().__init__(f"{', '.join(where)}: {problem}" + (f" ({hint})" if hint else ""))
        self.path, self.line, self.field, self.problem = path, line, field, problem


# ---------------------------------------------------------------------------------------
# The run file


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_model(name: str) -> str:
    """A model name medjudge can use, in its canonical form (`gpt-4o` → `openai/gpt-4o`)."""
    try:
        return canonical_name(name)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


class BenchmarkSection(_Section):
    #: A benchmark file, a bundled sample (sample:anesbench|llmeval-med|generic), or a
    #: Hugging Face dataset (hf:OWNER/NAME[/FILE]).
    path: str = Field(min_length=1)
    lang: Literal["en", "zh", "both"] = "en"
    mode: Literal["mcq", "open"] = "mcq"
    limit: int | None = Field(None, ge=1)


class ModelSection(_Section):
    #: None: the embedded SmolLM2-135M (shows the machinery only).
    name: str | None = None
    base_url: str | None = None
    samples: int = Field(1, ge=1, le=1000)
    sampling: SamplingConfig = SamplingConfig()
    #: The weights dtype, requests in flight, seconds per request: as `medjudge answer` takes
    #: them (the bounds are defined once, in models/client_settings.py).
    dtype: Dtype | None = None
    concurrency: Concurrency = 8
    timeout_s: TimeoutS = 120.0
    #: As `medjudge answer --prompt-template`, `--system-prompt` (@FILE: read from the run
    #: file's folder) and `--chat-template-kwargs` (here a mapping, e.g. enable_thinking: false).
    prompt_template: str = "default"
    system_prompt: str | None = None
    chat_template_kwargs: dict[str, JsonValue] = Field(default_factory=dict)
    #: Total USD for answering, across reruns (as `medjudge answer --max-cost`).
    max_cost_usd: MaxCostUsd = None

    @field_validator("name")
    @classmethod
    def _known(cls, name: str | None) -> str | None:
        return None if name is None else _known_model(name)

    @field_validator("prompt_template")
    @classmethod
    def _known_template(cls, name: str) -> str:
        if name not in TEMPLATES:
            raise ValueError(
                f"unknown prompt template {name!r}; the templates are: {', '.join(TEMPLATES)}"
            )
        return name

    @field_validator("system_prompt")
    @classmethod
    def _has_text(cls, text: str | None) -> str | None:
        if text is not None and not text.strip():
            raise ValueError("the system prompt is empty; give it some text, or leave it out")
        return text


class JudgeModel(_Section):
    name: str = Field(min_length=1)
    #: This judge's own server (openai-compatible/, or a proxy for openai/ and anthropic/).
    base_url: str | None = None

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        return _known_model(name)


class JudgesSection(_Section):
    models: tuple[JudgeModel, ...] = Field(min_length=1, max_length=16)
    runs: int = Field(1, ge=1, le=20)
    rubric: Path | None = None
    #: Total USD for grading, across reruns (as `medjudge grade --max-cost`).
    max_cost_usd: MaxCostUsd = None
    max_tokens: int = Field(1024, ge=64, le=32768)
    judge_output: Literal["json", "text"] = "json"

    @field_validator("models", mode="before")
    @classmethod
    def _names_alone(cls, models: Any) -> Any:
        # `- gpt-4o` is short for `- name: gpt-4o`.
        if isinstance(models, list):
            return [{"name": m} if isinstance(m, str) else m for m in models]
        return models

    @field_validator("models")
    @classmethod
    def _unique(cls, models: tuple[JudgeModel, ...]) -> tuple[JudgeModel, ...]:
        names = [m.name for m in models]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"judge {', '.join(twice)} is listed twice; list each judge once")
        return models


class ReportSection(_Section):
    format: Literal["table", "json", "csv", "markdown"] = "table"
    #: Also write one self-contained HTML report (plots, agreement) to this file.
    html: Path | None = None


class RunConfig(_Section):
    """A whole evaluation. No `judges` section: nothing is graded."""

    store: Path
    benchmark: BenchmarkSection
    model: ModelSection = ModelSection()
    judges: JudgesSection | None = None
    report: ReportSection = ReportSection()
    #: The user's prices, model → {input, output} in USD per million tokens (beat the file's).
    prices: dict[str, PriceSpec] = Field(default_factory=dict)
    #: A price file (as `--price-file`), read from the run file's folder.
    price_file: Path | None = None

    @field_validator("prices")
    @classmethod
    def _priced_models(cls, prices: dict[str, PriceSpec]) -> dict[str, PriceSpec]:
        return {_known_model(name): spec for name, spec in prices.items()}

    def user_prices(self) -> tuple[ModelPrice, ...]:
        """The price file's prices, then the `prices` section's (later ones win)."""
        from_file = read_price_file(self.price_file) if self.price_file is not None else ()
        return (*from_file, *price_entries(self.prices, where="prices"))

    def relative_to(self, folder: Path) -> RunConfig:
        """The config with its relative paths read from `folder` (the run file's)."""
        def under(path: Path | None) -> Path | None:
            return None if path is None or path.is_absolute() else folder / path

        bench = self.benchmark.path
        if not bench.startswith(("sample:", "hf:")) and not Path(bench).is_absolute():
            bench = str(folder / bench)
        judges = self.judges and self.judges.model_copy(
            update={"rubric": under(self.judges.rubric) or self.judges.rubric}
        )
        return self.model_copy(update={
            "store": under(self.store) or self.store,
            "benchmark": self.benchmark.model_copy(update={"path": bench}),
            "judges": judges,
            "report": self.report.model_copy(
                update={"html": under(self.report.html) or self.report.html}
            ),
            "price_file": under(self.price_file) or self.price_file,
        })


def load_run_config(path: str | Path) -> RunConfig:
    """Read and validate a run file; RunConfigError names the file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunConfigError("file not found", path=str(path), hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunConfigError(
            f"cannot read the file: {exc}", path=str(path), hint="save it as UTF-8 text"
        ) from None
    folder = path.resolve().parent
    return _read_system_prompt_file(parse_run_config(text, source=str(path)).relative_to(folder),
                                    folder, str(path))


def _read_system_prompt_file(config: RunConfig, folder: Path, source: str) -> RunConfig:
    """`model.system_prompt: "@FILE"` replaced by the file's text (FILE read from `folder`)."""
    value = config.model.system_prompt
    if value is None or not value.startswith("@"):
        return config
    try:
        text = read_system_prompt(value, base=folder, source="model.system_prompt")
    except ConfigError as exc:
        raise RunConfigError(str(exc), path=source, field="model.system_prompt") from None
    if not (text or "").strip():
        raise RunConfigError(f"{value[1:]} is empty; write the system prompt in it",
                             path=source, field="model.system_prompt")
    model = config.model.model_copy(update={"system_prompt": text})
    return config.model_copy(update={"model": model})


def parse_run_config(text: str, *, source: str = "<run config>") -> RunConfig:
    """Validate a run file given as YAML text (paths left as written)."""
    try:
        node, data = read_yaml(text, source)
    except RubricError as exc:  # the YAML reader is the rubric files'; the error is ours
        raise RunConfigError(exc.problem, path=source, line=exc.line, hint=exc.hint) from None
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a YAML {type(data).__name__}"
        raise RunConfigError(
            f"expected a mapping with store, benchmark, model, judges, report; found {found}",
            path=source, line=1, hint=FORMAT_HELP,
        )
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, node, source) from None


_HINTS = {
    "missing": "add this field",
    "extra_forbidden": "remove it, or check its spelling",
    "literal_error": "use one of the values listed",
}


def _config_error(exc: ValidationError, root: yaml.Node | None, source: str) -> RunConfigError:
    error = exc.errors()[0]
    loc = [part for part in error["loc"] if part != "[key]"]
    problem = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        problem = "unknown field"
    more = len(exc.errors()) - 1
    if more:
        problem += f" (and {more} more problem{'s' if more > 1 else ''})"
    hint = "; ".join(h for h in (_HINTS.get(error["type"]), FORMAT_HELP) if h)
    return RunConfigError(
        problem, path=source, line=line_of(root, loc),
        field=".".join(str(part) for part in loc) or "(top level)", hint=hint,
    )


def preflight(config: RunConfig) -> None:
    """What can be checked before anything runs: engines installed, the rubric valid."""
    check_engine(config.model.name or DEFAULT_MODEL)
    for judge in config.judges.models if config.judges else ():
        check_engine(judge.name)
    if config.judges and config.judges.rubric is not None:
        load_rubric(config.judges.rubric)
    config.user_prices()  # a bad price file fails before anything runs
