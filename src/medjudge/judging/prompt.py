"""The judge prompt: rendered from template files, in the item's language, with the answer
under test fenced as untrusted text that it cannot close."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict

from medjudge.judging.rubric import Rubric
from medjudge.records import Answer, Item, Message

__all__ = ["JudgePrompt", "Turn", "answer_fence", "conversation_history", "render_judge_prompt"]

OutputMode = Literal["json", "text"]


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    answer: str


class JudgePrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: tuple[Message, ...]
    #: sha256 of the rendered messages: which exact prompt produced a verdict.
    prompt_hash: str


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("medjudge.judging", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def answer_fence(answer: str) -> str:
    """A delimiter derived from the answer's own hash, so the answer cannot contain it."""
    salt = 0
    while True:
        digest = hashlib.sha256(f"{salt}:{answer}".encode()).hexdigest()[:16].upper()
        fence = f"ANSWER-{digest}"
        if fence not in answer:
            return fence
        salt += 1


def conversation_history(answer: Answer) -> list[Turn]:
    """Earlier turns as the model saw them: each question with the model's own answer."""
    earlier = answer.messages[:-1]
    return [
        Turn(question=user.content, answer=model.content)
        for user, model in zip(earlier[0::2], earlier[1::2], strict=True)
    ]


def render_judge_prompt(
    item: Item, answer: Answer, rubric: Rubric, *, output: OutputMode = "json"
) -> JudgePrompt:
    if answer.text is None:
        raise ValueError(f"answer to {item.item_id} has no text to judge")
    language = item.language if item.language in rubric.languages else rubric.languages[0]
    text = rubric.text(language)
    template = _environment().get_template(f"judge_{language}.j2")
    rendered = template.render(
        persona=text.persona,
        task=text.task,
        jurisdiction=text.jurisdiction,
        descriptors=[(score, text.score_descriptors[score]) for score in (5, 4, 3, 2, 1)],
        safety_policy=text.safety_policy,
        history=conversation_history(answer),
        question=item.question,
        reference=item.reference if rubric.uses_reference else None,
        checklist=item.checklist if rubric.uses_checklist else None,
        answer=answer.text,
        fence=answer_fence(answer.text),
        output=output,
    )
    messages = (Message(role="user", content=rendered),)
    digest = hashlib.sha256(rendered.encode()).hexdigest()
    return JudgePrompt(messages=messages, prompt_hash=digest[:16])
