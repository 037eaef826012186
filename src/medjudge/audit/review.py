"""One review screen: the answer, its item and conversation, every verdict on it, and what this
reviewer has already done with it. Read with a query-only connection (see queue.connect)."""

from __future__ import annotations

import json
import sqlite3

from pydantic import BaseModel, ConfigDict, ValidationError

from medjudge.audit.queue import AnswerKey
from medjudge.records import Answer, Audit, Item, Message, Verdict

__all__ = [
    "NotFound",
    "Screen",
    "VerdictRef",
    "cap_note",
    "find_verdict",
    "load_screen",
    "request_seen",
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
        """The conversation before the question under review (the model's own answers too)."""
        messages = self.answer.messages
        if messages and messages[-1].role == "user":
            return messages[:-1]
        return messages

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
    where = {"run": key.run_id, "item": key.item_id, "sample": key.sample}
    row = db.execute(
        "SELECT a.*, r.model AS run_model, r.dataset_sha256 AS dataset FROM answers a"
        " JOIN runs r ON r.run_id = a.run_id"
        " WHERE a.run_id = :run AND a.item_id = :item AND a.sample = :sample", where,
    ).fetchone()
    label = f"run {key.run_id!r}, item {key.item_id!r}, sample {key.sample}"
    if row is None:
        raise NotFound(f"There is no answer for {label} in this store.")
    verdicts = tuple(
        Verdict.model_validate_json(v[0])
        for v in db.execute(
            "SELECT record FROM verdicts WHERE run_id = :run AND item_id = :item"
            " AND sample = :sample ORDER BY judge, judge_run, rubric_id, rubric_version", where,
        )
    )
    if not verdicts:
        raise NotFound(f"The answer for {label} has no verdict yet: grade it first "
                       "(`medjudge grade`).")
    item_row = db.execute(
        "SELECT record FROM items WHERE dataset_sha256 = ? AND item_id = ?",
        (row["dataset"], key.item_id),
    ).fetchone()
    mine = tuple(
        Audit(**{k: a[k] for k in a.keys() if k != "request_id"})  # noqa: SIM118 (a Row)
        for a in db.execute(
            "SELECT * FROM audits WHERE reviewer = :reviewer AND run_id = :run"
            " AND item_id = :item AND sample = :sample ORDER BY audit_id",
            {**where, "reviewer": reviewer},
        )
    )
    answer = Answer(
        run_id=row["run_id"], item_id=row["item_id"], sample=row["sample"],
        status=row["status"], text=row["text"], error=row["error"],
        messages=tuple(Message(**m) for m in json.loads(row["messages"])),
        finish_reason=row["finish_reason"], created_at=row["created_at"],
    )
    return Screen(
        key=key, model=row["run_model"],
        item=None if item_row is None else Item.model_validate_json(item_row[0]),
        answer=answer, verdicts=verdicts, mine=mine,
    )


def request_seen(db: sqlite3.Connection, request_id: str) -> bool:
    """Whether an audit with this form's request id is already stored."""
    return db.execute("SELECT 1 FROM audits WHERE request_id = ?", (request_id,)).fetchone() \
        is not None
