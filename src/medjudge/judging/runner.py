"""One judge's requests and verdicts: the request for a job, its cost estimate, whether a
reply is a valid verdict (and worth re-asking), the verdict it becomes, and recording it.
How the requests are sent lives beside it: `chains` (async API clients), `rounds` (vLLM)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from medjudge.judging.budget import Budget
from medjudge.judging.grade_config import GradeConfig, GradeProgress
from medjudge.judging.jobs import GradeJob, read_judge_reply, reply_context, shown_checklist
from medjudge.judging.verdict import ParsedReply
from medjudge.judging.verdict_schema import provider_family, verdict_json_schema
from medjudge.models.base import ModelClient
from medjudge.models.pricing import Price, cost_usd
from medjudge.records import ChatRequest, Completion, SamplingConfig, Verdict
from medjudge.store import Store, utc_now

__all__ = ["SAVE_AFTER_S", "SAVE_EVERY", "Checked", "JudgeRunner"]

#: Verdicts from async judges are written in groups: this many, or after this many seconds.
SAVE_EVERY = 64
SAVE_AFTER_S = 0.25


@dataclass(frozen=True)
class Checked:
    """What checking one reply found: why it is not a valid verdict (None: it is), whether
    asking again may help, and the verdict it holds (read once, kept for `verdict`)."""

    reason: str | None
    again: bool
    reply: ParsedReply | None = None


class JudgeRunner:
    """What sending one judge's jobs needs, and the steps shared by every way of sending."""

    def __init__(
        self,
        config: GradeConfig,
        store: Store,
        client: ModelClient,
        price: Price | None,
        budget: Budget,
        progress: GradeProgress | None,
        counts: dict[str, int],
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.price = price
        self.budget = budget
        self.progress = progress
        self.counts = counts
        self._unsaved: list[Verdict] = []
        self._saved_at = time.monotonic()

    # -- requests and verdicts ---------------------------------------------------------------
    def request(self, job: GradeJob, attempt: int) -> ChatRequest:
        schema = None
        if self.config.judge_output == "json":
            # One schema per item: its own checklist's findings, in the subset the judge's
            # engine accepts; a small local model needs tight bounds to finish in max_tokens.
            family = provider_family(job.judge)
            compact = self.config.compact_verdicts
            schema = verdict_json_schema(
                shown_checklist(job),
                family,
                compact=family == "vllm" if compact is None else compact,
            )
        return ChatRequest(
            messages=job.prompt.messages,
            sampling=SamplingConfig(
                temperature=self.config.temperature, max_tokens=self.config.max_tokens
            ),
            seed=job.judge_run * 1000 + attempt,
            json_schema=schema,
        )

    def estimate(self, job: GradeJob) -> float:
        if self.price is None:
            return 0.0
        prompt_tokens = sum(len(m.content) for m in job.prompt.messages) // 2 + 50
        return cost_usd(self.price, prompt_tokens, self.config.max_tokens) or 0.0

    def verdict(self, job: GradeJob, outs: list[Completion], checked: Checked) -> Verdict:
        """The verdict for `job` from its replies `outs`, the last of which was `checked`."""
        last = outs[-1]
        base = {
            "run_id": job.answer.run_id,
            "item_id": job.item.item_id,
            "sample": job.answer.sample,
            "judge": job.judge,
            "judge_run": job.judge_run,
            "rubric_id": job.rubric.id,
            "rubric_version": job.rubric.version,
            "prompt_hash": job.prompt.prompt_hash,
            "raw_reply": last.text,
            "judge_model_version": last.model_version,
            "prompt_tokens": _total(o.prompt_tokens for o in outs),
            "completion_tokens": _total(o.completion_tokens for o in outs),
            "latency_s": sum(o.latency_s or 0.0 for o in outs),
            "cost_usd": self._cost(outs),
            "attempts": len(outs),
            "created_at": utc_now(),
        }
        parsed = checked.reply
        if checked.reason is not None or parsed is None:
            reason = checked.reason or "not asked"
            return Verdict(status="unscored", unscored_reason=reason, **base)
        score, capped = parsed.final_score()
        return Verdict(
            status="scored",
            output=parsed.output,
            judge_score=parsed.score,
            final_score=score,
            capped=capped,
            **base,
        )

    def _cost(self, outs: list[Completion]) -> float | None:
        costs = [cost_usd(self.price, o.prompt_tokens, o.completion_tokens) for o in outs]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)

    def check(self, job: GradeJob, out: Completion) -> Checked:
        """Whether `out` is a valid verdict for `job`, and if not, whether to ask again."""
        if out.text is None or out.error is not None:
            # Transport failures were already retried by the client; a refusal, a missing
            # tool call or an empty reply is the judge's answer, so re-asking may help.
            return Checked(out.error or "no reply", out.failed_by_model)
        if out.finish_reason == "length":
            return Checked("reply cut off at max_tokens", True)
        parsed = read_judge_reply(out.text, self.config.judge_output, reply_context(job))
        if isinstance(parsed, ParsedReply):
            return Checked(None, False, parsed)
        return Checked(f"invalid verdict: {parsed.reason}", True)

    def record(self, verdicts: list[Verdict], *, defer: bool = False) -> None:
        """Store `verdicts`. With `defer`, they are held and written together with the ones
        that follow: at most `SAVE_EVERY` verdicts or `SAVE_AFTER_S` seconds later, and always
        by `flush()`. One transaction per group instead of per verdict keeps the event loop
        free; a crash loses at most that group, which a rerun asks again."""
        self._unsaved.extend(verdicts)
        due = time.monotonic() - self._saved_at >= SAVE_AFTER_S
        if not defer or due or len(self._unsaved) >= SAVE_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write every verdict held by `record(..., defer=True)`."""
        verdicts, self._unsaved = self._unsaved, []
        self._saved_at = time.monotonic()
        if not verdicts:
            return
        self.store.save_verdicts(verdicts)
        for verdict in verdicts:
            self.counts[verdict.status] += 1
        if self.progress is not None:
            self.progress.advance(len(verdicts))
            self.progress.spend(self.budget.spent)


def _total(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)
