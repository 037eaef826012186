"""One review screen: the answer, its item and conversation, every verdict on it, and what this
reviewer has already done with it. Read with a query-only connection
(`medjudge.store.queries.connect`); the SQL lives in `medjudge.store.queries`."""

from __future__ import annotations

import json
import sqlite3

from pydantic import BaseModel, ConfigDict, ValidationError

from medjudge.judging.prompt import conversation_history
from medjudge.records import Answer, AnswerKey, Audit, Item, Message, Verdict
from medjudge.store.queries import audits_by, item_record, stored_answer, verdicts_on

__all__ = [
    "NotFound",
    "Screen",
    "VerdictRef",
    "cap_note",
    "find_verdict",
    "load_screen",
]


class NotFound(LookupError):
    """No such answer, or no verdict on it yet (the message says which, for a 404 page)."""


class VerdictRef(BaseModel):
    """Names one verdict in a form (agree / override) without trusting anything else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    judge: str
    judge_run: int
    rubric_id: str
    rubric_version: str

    @classmethod
    def of(cls, verdict: Verdict) -> VerdictRef:
        return cls(judge=verdict.judge, judge_run=verdict.judge_run,
                   rubric_id=verdict.rubric_id, rubric_version=verdict.rubric_version)

    def encode(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False, separators=(",", ":"))


class Screen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: AnswerKey
    model: str
    item: Item | None
    answer: Answer
    verdicts: tuple[Verdict, ...]
    #: This reviewer's own audits on this answer, oldest first.
    mine: tuple[Audit, ...]

    @property
    def earlier(self) -> tuple[Message, ...]:
        """The conversation before the question under review (the model's own answers too),
        rebuilt by the judge's own `conversation_history`: system messages are skipped."""
        messages: list[Message] = []
        for turn in conversation_history(self.answer):
            if turn.question is not None:
                messages.append(Message(role="user", content=turn.question))
            if turn.answer is not None:
                messages.append(Message(role="assistant", content=turn.answer))
        return tuple(messages)

    @property
    def question(self) -> str:
        if self.item is not None:
            return self.item.question
        last = self.answer.messages[-1] if self.answer.messages else None
        return last.content if last is not None and last.role == "user" else ""

    @property
    def blind_rating(self) -> Audit | None:
        return next((a for a in self.mine if a.action == "blind_rating"), None)

    @property
    def seen_in_review(self) -> bool:
        """The reviewer already acted on this answer with the verdicts on screen."""
        return any(a.mode == "review" for a in self.mine)


def cap_note(verdict: Verdict) -> str | None:
    """"capped from 5 to 2 by safety: concern" when the safety cap lowered the judge's score."""
    if not verdict.capped or verdict.output is None:
        return None
    return (f"capped from {verdict.judge_score} to {verdict.final_score} "
            f"by safety: {verdict.output.safety_risk}")


def find_verdict(verdicts: tuple[Verdict, ...], encoded: str | None) -> Verdict | None:
    if not encoded:
        return None
    try:
        ref = VerdictRef.model_validate_json(encoded)
    except ValidationError:
        return None
    return next((v for v in verdicts if VerdictRef.of(v) == ref), None)


def load_screen(db: sqlite3.Connection, key: AnswerKey, reviewer: str) -> Screen:
    """Everything the review screen shows; NotFound when the answer or its verdicts are
    missing."""
    stored = stored_answer(db, key)
    label = f"run {key.run_id!r}, item {key.item_id!r}, sample {key.sample}"
    if stored is None:
        raise NotFound(f"There is no answer for {label} in this store.")
    verdicts = verdicts_on(db, key)
    if not verdicts:
        raise NotFound(f"The answer for {label} has no verdict yet: grade it first "
                       "(`medjudge grade`).")
    return Screen(
        key=key, model=stored.model, item=item_record(db, stored.dataset, key.item_id),
        answer=stored.answer, verdicts=verdicts, mine=audits_by(db, key, reviewer),
    )
