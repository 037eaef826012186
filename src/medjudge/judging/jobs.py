"""One grading job (an answer, a judge, a judge run, its rubric and prompt) and how a judge's
reply to it is read."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from medjudge.judging.prompt import JudgePrompt, OutputMode, render_judge_prompt
from medjudge.judging.rubric import Rubric
from medjudge.judging.verdict import ParsedReply, ParseFailure, ReplyContext, parse_judge_reply
from medjudge.records import Answer, Checklist, Item

__all__ = ["GradeJob", "PromptSource", "read_judge_reply", "reply_context", "shown_checklist"]


class PromptSource:
    """The judge prompt for one answer, rendered the first time a job needs it and then shared
    by every judge and judge run of that answer. Planning stays cheap, so the first requests
    go out at once instead of after every prompt of the run has been rendered."""

    def __init__(self, item: Item, answer: Answer, rubric: Rubric, output: OutputMode) -> None:
        self._args = (item, answer, rubric)
        self._output = output

    @cached_property
    def prompt(self) -> JudgePrompt:
        item, answer, rubric = self._args
        return render_judge_prompt(item, answer, rubric, output=self._output)


@dataclass
class GradeJob:
    item: Item
    answer: Answer
    judge: str
    judge_run: int
    rubric: Rubric
    source: PromptSource

    @property
    def prompt(self) -> JudgePrompt:
        return self.source.prompt


def read_judge_reply(
    text: str, mode: OutputMode, context: ReplyContext | None = None
) -> ParsedReply | ParseFailure:
    """Read a judge's reply against `context` (the checklist it was shown, the answer).

    In json mode the reply must hold a JSON verdict (safety risk stated, one finding per
    checklist requirement by id, in order); in text mode the tolerant parser reads every
    format it knows. Either way a reply cut off, or with an unreadable safety line, is refused.
    """
    parsed = parse_judge_reply(text, context)
    if mode == "json" and isinstance(parsed, ParsedReply) and parsed.rule != "json":
        return ParseFailure(
            reason="no JSON verdict in the reply (a score, but no JSON object with the safety"
            " risk and the findings)",
            raw=text,
        )
    return parsed


def shown_checklist(job: GradeJob) -> Checklist | None:
    """The checklist the judge's prompt shows (none when the rubric does not use it)."""
    return job.item.checklist if job.rubric.uses_checklist else None


def reply_context(job: GradeJob) -> ReplyContext:
    return ReplyContext.of(shown_checklist(job), job.answer.text)
