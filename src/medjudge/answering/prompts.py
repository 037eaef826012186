"""Prompt templates: how an item becomes the user message, and the system prompt beside it.

Templates are data: files under `medjudge/answering/prompt_templates/<name>/`, rendered with
jinja2 `StrictUndefined` (a misspelt variable fails instead of printing nothing):

- `mcq_<lang>.j2` and `open_<lang>.j2`: the user message for an MCQ / an open item, given
  `question`, `options` (a list of (letter, text)), `letters` and `option_lines` ("A. text"
  lines joined by newlines);
- `mcq_system_<lang>.j2` (optional): the system message sent with a conversation of MCQs.

A system prompt given by the user (`PromptConfig.system_prompt`) replaces the template's own
and is sent with every conversation, MCQ or open. `default` renders today's prompt byte for
byte, so runs made before templates existed keep their prompts and their ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, ValidationError

from medjudge.errors import ConfigError
from medjudge.records import Item, PromptConfig

__all__ = [
    "DEFAULT_PROMPT",
    "TEMPLATES",
    "PromptTemplate",
    "check_prompt",
    "make_prompt",
    "parse_chat_template_kwargs",
    "read_system_prompt",
    "render_system",
    "render_user",
]


class PromptTemplate(BaseModel):
    """A named prompt template: what it is, where its text comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    #: Where the text was taken from (None: medjudge's own).
    source: str | None = None
    #: Whether the template has its own system message for MCQs (`mcq_system_<lang>.j2`).
    mcq_system: bool = False


#: Every template, by name. Their files live in medjudge/answering/prompt_templates/<name>/.
TEMPLATES: dict[str, PromptTemplate] = {
    template.name: template
    for template in (
        PromptTemplate(
            name="default",
            description="the stem, the lettered options, and 'Answer with the letter of the "
            "correct option.' (请给出正确选项的字母。); open items: the question alone",
        ),
        PromptTemplate(
            # English: the system and user messages of `format_example` in MiliLab/AnesBench,
            # eval/evaluate.py (commit 2b0d562d9e385be0c43bb3e052f93fe5cfa60a94), the script
            # behind the paper's published accuracies. Their code asks in English only; the
            # Chinese files are medjudge's translation of the same text, not the authors'.
            name="anesbench-step-by-step",
            description="AnesBench's evaluation prompt: an anesthesiology system message, "
            "then 'think step by step ... select the most suitable one choice from A, B, C "
            "and D'; open items: the question alone",
            source="MiliLab/AnesBench eval/evaluate.py (format_example); Chinese: our translation",
            mcq_system=True,
        ),
    )
}

DEFAULT_PROMPT = PromptConfig()

_TEMPLATE_DIR = Path(__file__).parent / "prompt_templates"


@cache
def _environment() -> jinja2.Environment:
    # No trim_blocks: the files' text is the prompt, every newline in it counts. The file's
    # own final newline is dropped (keep_trailing_newline=False). auto_reload=False: the
    # package's templates do not change while it runs (no stat of the file per prompt).
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATE_DIR),
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def _template(name: str) -> PromptTemplate:
    template = TEMPLATES.get(name)
    if template is None:
        known = ", ".join(TEMPLATES)
        raise ConfigError(f"unknown prompt template {name!r}; the templates are: {known}")
    return template


def render_user(item: Item, template: str = "default") -> str:
    """The user message for one item under `template`."""
    _template(template)
    options = list(item.options.items())
    return (
        _environment()
        .get_template(f"{template}/{item.kind}_{item.language}.j2")
        .render(
            question=item.question,
            options=options,
            letters=[letter for letter, _ in options],
            option_lines="\n".join(f"{letter}. {text}" for letter, text in options),
        )
    )


def render_system(first: Item, prompt: PromptConfig) -> str | None:
    """The system message of a conversation that starts with `first`, or None for none."""
    if prompt.system_prompt is not None:
        return prompt.system_prompt
    template = _template(prompt.template)
    if template.mcq_system and first.kind == "mcq":
        path = f"{template.name}/mcq_system_{first.language}.j2"
        return _environment().get_template(path).render()
    return None


def check_prompt(prompt: PromptConfig) -> None:
    """Raise ConfigError unless `prompt` can be used: a known template, a system prompt with
    text in it, chat template kwargs that are JSON."""
    _template(prompt.template)
    if prompt.system_prompt is not None and not prompt.system_prompt.strip():
        raise ConfigError(
            "the system prompt is empty; give it some text, or leave --system-prompt out"
        )
    try:
        json.dumps(prompt.chat_template_kwargs, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"chat template kwargs must be JSON values: {exc}") from None


def make_prompt(
    *,
    template: str = "default",
    system_prompt: str | None = None,
    chat_template_kwargs: Mapping[str, Any] | None = None,
) -> PromptConfig:
    """A checked PromptConfig (ConfigError names what is wrong)."""
    if chat_template_kwargs is not None and not isinstance(chat_template_kwargs, Mapping):
        raise ConfigError(
            "chat template kwargs must be a mapping of names to JSON values, e.g. "
            f'{{"enable_thinking": false}}, not {type(chat_template_kwargs).__name__}'
        )
    kwargs = dict(chat_template_kwargs or {})
    if any(not isinstance(key, str) or not key for key in kwargs):
        raise ConfigError("chat template kwargs need non-empty text names")
    try:
        prompt = PromptConfig(
            template=template, system_prompt=system_prompt, chat_template_kwargs=kwargs
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ConfigError(f"prompt setting {where}: {problem['msg']}") from None
    check_prompt(prompt)
    return prompt


def parse_chat_template_kwargs(
    text: str | None, *, source: str = "--chat-template-kwargs"
) -> dict[str, Any]:
    """A JSON object given as text (`'{"enable_thinking": false}'`); {} for None."""
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            """give a JSON object such as '{"enable_thinking": false}'"""
        ) from None
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source}: expected a JSON object such as "
            f"""'{{"enable_thinking": false}}', got a JSON {type(value).__name__}"""
        )
    return value


def read_system_prompt(
    value: str | None, *, base: Path | None = None, source: str = "--system-prompt"
) -> str | None:
    """The system prompt `value` names: the text itself, or with a leading `@` the contents
    of that UTF-8 file (relative paths read from `base`, else the working folder)."""
    if value is None or not value.startswith("@"):
        return value
    path = Path(value[1:]).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{source}: {path}: no such file (a value starting with @ names a file holding "
            "the system prompt)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read {path}: {exc}; save it as UTF-8 text") from None
