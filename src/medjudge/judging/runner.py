"""One judge's requests and verdicts: the request for a job, its cost estimate, whether a
reply is a valid verdict (and worth re-asking), the verdict it becomes, and recording it.
How the requests are sent lives beside it: `chains` (async API clients), `rounds` (vLLM)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from medjudge.judging.budget import Budget, worst_case_cost
from medjudge.judging.grade_config import GradeConfig, GradeProgress
from medjudge.judging.jobs import GradeJob, read_judge_reply, reply_context, shown_checklist
from medjudge.judging.verdict import ParsedReply
from medjudge.judging.verdict_schema import provider_family, verdict_json_schema
from medjudge.models.base import ModelClient
from medjudge.models.pricing import Price, batch_price, cost_usd
from medjudge.records import ChatRequest, Completion, SamplingConfig, Verdict
from medjudge.spend import spend_entry
from medjudge.store import Store, utc_now
from medjudge.store.spend_rows import SpendEntry

__all__ = ["Checked", "JudgeRunner"]


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
        pass_ids: dict[tuple[str, str], int] | None = None,
        *,
        batch: bool = False,
    ) -> None:
        self.config = config
        #: Sent through the provider's batch API: every request costs the batch price.
        self.batch = batch
        #: The price one request is sent at (estimates, verdict costs), and the list price
        #: the ledger records beside its batch flag.
        self.list_price = price
        price = batch_price(client.name, price) if batch else price
        #: (answer run, judge) -> this grading's pass, for the spend ledger's request keys.
        self.pass_ids = pass_ids or {}
        self._session = uuid.uuid4().hex  # request keys when no pass was recorded
        self.store = store
        self.client = client
        self.price = price
        self.budget = budget
        self.progress = progress
        self.counts = counts

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
        """The most one request of `job` can cost (its reservation while in flight)."""
        return worst_case_cost(self.price, job.prompt.messages, self.config.max_tokens)

    def spend(
        self, job: GradeJob, out: Completion, attempt: int, *, batch: bool = False,
        request_key: str | None = None,
    ) -> SpendEntry | None:
        """The ledger entry of one request of `job` (None: not billed). A provider batch
        result passes `batch=True` (the batch price) and its own `request_key` (e.g.
        `batch:<batch id>:<custom id>`, so reading the results twice counts them once)."""
        pass_id = self.pass_ids.get((job.answer.run_id, job.judge))
        scope = pass_id if pass_id is not None else self._session
        key = request_key or (
            f"grade:{scope}:{job.answer.run_id}:{job.item.item_id}:{job.answer.sample}:"
            f"{job.judge}:{job.judge_run}:{job.rubric.id}@{job.rubric.version}:{attempt}"
        )
        return spend_entry(
            request_key=key, run_id=job.answer.run_id, stage="grade", model=job.judge,
            item_id=job.item.item_id, sample=job.answer.sample, completion=out,
            price=self.list_price, batch=batch or self.batch, pass_id=pass_id,
            judge_run=job.judge_run, attempt=attempt,
        )

    def record_spend(self, entries: list[SpendEntry | None]) -> None:
        """Requests whose reply was re-asked: recorded now, so a crash loses none of them."""
        self.store.record_spend(e for e in entries if e is not None)

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

    def record(
        self, verdicts: list[Verdict], spend: list[SpendEntry | None] | None = None
    ) -> None:
        """Store verdicts with the requests that produced them, in one transaction, now (the
        batch ways of sending; async chains write in groups through `verdict_groups`)."""
        entries = [e for e in spend or () if e is not None]
        if not verdicts and not entries:
            return
        self.store.save_verdicts(verdicts, spend=entries)
        self.stored(verdicts)

    def stored(self, verdicts: list[Verdict]) -> None:
        """Count verdicts now in the store, and show them."""
        for verdict in verdicts:
            self.counts[verdict.status] += 1
        if self.progress is not None:
            self.progress.advance(len(verdicts))
            self.progress.spend(self.budget.spent)


def _total(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)
