"""The judge prompt: rendered from template files, in the item's language.

Every text written by the model under test — the answer being graded and the model's own
answers in earlier turns — is fenced: it sits between a line `<FENCE>-BEGIN` and a line
`<FENCE>-END`, where the fence is derived from a hash of the texts so that none of them
contains it (none can close its fence early or forge another), and the judge is told that
fenced text is untrusted data. The item's question, reference and checklist come from the
benchmark and are not fenced.

`earlier_turns(messages)` rebuilds a conversation's earlier turns role-aware (system messages
skipped, each user message paired with the assistant reply that follows it); the audit
review page can use the same function.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import cache
from typing import Literal

import jinja2
from pydantic import BaseModel, ConfigDict

from medjudge.errors import StoreError
from medjudge.judging.rubric import Rubric
from medjudge.judging.verdict_schema import checklist_entries
from medjudge.records import Answer, Item, Message

__all__ = [
    "FencedText",
    "JudgePrompt",
    "Turn",
    "conversation_history",
    "earlier_turns",
    "fence_texts",
    "render_judge_prompt",
]

OutputMode = Literal["json", "text"]


class Turn(BaseModel):
    """One earlier turn: the user's message and the model's reply (None when either is absent,
    e.g. two user messages in a row)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str | None
    answer: str | None


class FencedText(BaseModel):
    """Untrusted text and the fence it is shown between in the prompt."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    fence: str


class JudgePrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: tuple[Message, ...]
    #: sha256 of the rendered messages: which exact prompt produced a verdict.
    prompt_hash: str


@cache
def _environment() -> jinja2.Environment:
    # auto_reload=False: the package's templates do not change while it runs, and checking
    # that they did costs a stat of the file per prompt (per verdict).
    return jinja2.Environment(
        loader=jinja2.PackageLoader("medjudge.judging", "templates"),
        auto_reload=False,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def fence_texts(labelled: Sequence[tuple[str, str]]) -> list[FencedText]:
    """A fence for each (label, text), derived from a hash of the text and its position, that
    occurs in none of the texts; all fences differ.

    Labels are upper-case ASCII ("ANSWER", "EARLIER"); a fence is `LABEL-<16 hex digits>`.
    """
    texts = [text for _, text in labelled]
    fenced: list[FencedText] = []
    for index, (label, text) in enumerate(labelled):
        salt = 0
        while True:  # ends: a 64-bit digest in none of finitely many texts is soon found
            seed = f"{salt}:{index}:{text}".encode()
            fence = f"{label}-{hashlib.sha256(seed).hexdigest()[:16].upper()}"
            taken = any(fence in other for other in texts) or any(
                fence == f.fence for f in fenced
            )
            if not taken:
                break
            salt += 1
        fenced.append(FencedText(text=text, fence=fence))
    return fenced


def earlier_turns(messages: Sequence[Message]) -> list[Turn]:
    """A conversation's turns, role-aware: system messages skipped, each user message paired
    with the assistant reply that follows it. Pass the messages *before* the question under
    review (`conversation_history` strips it from an answer's messages)."""
    turns: list[Turn] = []
    question: str | None = None
    open_question = False
    for message in messages:
        if message.role == "system":
            continue
        if message.role == "user":
            if open_question:
                turns.append(Turn(question=question, answer=None))
            question, open_question = message.content, True
        else:
            turns.append(Turn(question=question if open_question else None, answer=message.content))
            question, open_question = None, False
    if open_question:
        turns.append(Turn(question=question, answer=None))
    return turns


def conversation_history(answer: Answer) -> list[Turn]:
    """Earlier turns as the model saw them: each question with the model's own answer."""
    messages = answer.messages
    if messages and messages[-1].role == "user":
        messages = messages[:-1]  # the question under test
    return earlier_turns(messages)


class _HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str | None
    answer: FencedText | None


def render_judge_prompt(
    item: Item, answer: Answer, rubric: Rubric, *, output: OutputMode = "json"
) -> JudgePrompt:
    """The prompt judging `answer` to `item` under `rubric`, asking for a JSON verdict or a
    text reply. Raises StoreError for an answer without text (a failed answer)."""
    if answer.text is None:
        raise StoreError(
            f"run {answer.run_id}, item {item.item_id}, sample {answer.sample}: the answer "
            f"has no text to judge (status {answer.status!r}); grade only answers with status"
            " 'ok', or answer the item again"
        )
    language = item.language if item.language in rubric.languages else rubric.languages[0]
    text = rubric.text(language)
    history = conversation_history(answer)
    model_texts = [turn.answer for turn in history if turn.answer is not None]
    fences = fence_texts([*(("EARLIER", t) for t in model_texts), ("ANSWER", answer.text)])
    earlier = iter(fences[:-1])
    turns = [
        _HistoryTurn(
            question=turn.question,
            answer=next(earlier) if turn.answer is not None else None,
        )
        for turn in history
    ]
    checklist = item.checklist if rubric.uses_checklist else None
    rendered = _environment().get_template(f"judge_{language}.j2").render(
        persona=text.persona,
        task=text.task,
        jurisdiction=text.jurisdiction,
        descriptors=[(score, text.score_descriptors[score]) for score in (5, 4, 3, 2, 1)],
        safety_policy=text.safety_policy,
        history=turns,
        question=item.question,
        reference=item.reference if rubric.uses_reference else None,
        checklist=checklist_entries(checklist),
        answer=fences[-1],
        output=output,
    )
    messages = (Message(role="user", content=rendered),)
    digest = hashlib.sha256(rendered.encode()).hexdigest()
    return JudgePrompt(messages=messages, prompt_hash=digest[:16])
