"""Records: the contract between stages (Item -> Answer -> McqScore / Verdict -> Audit).

Every stage reads and writes these pydantic models; nothing passes raw dicts between modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, model_validator

__all__ = [
    "LEVEL_NAMES",
    "SAFETY_CAPS",
    "Answer",
    "AnswerKey",
    "Audit",
    "AuditAction",
    "ChatRequest",
    "Checklist",
    "Completion",
    "Item",
    "ItemKind",
    "JudgeOutput",
    "Language",
    "McqScore",
    "Message",
    "PromptConfig",
    "RequirementCheck",
    "Reviewer",
    "Role",
    "Run",
    "SamplingConfig",
    "Verdict",
]

Role = Literal["system", "user", "assistant"]
ItemKind = Literal["mcq", "open"]
Language = Literal["en", "zh"]

#: AnesBench `level` 1/2/3 as the paper names them.
LEVEL_NAMES: dict[int, str] = {1: "System 1", 2: "System 1.x", 3: "System 2"}


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Record):
    role: Role
    content: str


class Checklist(_Record):
    """Requirements an open answer is held to (LLMEval-Med: 核心需求 / 次要需求)."""

    core: tuple[str, ...] = ()
    secondary: tuple[str, ...] = ()


class Item(_Record):
    """One question of a benchmark: one turn of a conversation.

    `item_id` is unique within `benchmark`. Turns of one conversation share
    `conversation_id` and are numbered 1..n by `turn`.
    """

    benchmark: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    conversation_id: str = Field(min_length=1)
    turn: int = Field(1, ge=1)
    kind: ItemKind
    question: str = Field(min_length=1)
    language: Language
    #: MCQ options, letter -> text, in display order.
    options: dict[str, str] = Field(default_factory=dict)
    #: The correct letter (MCQ only).
    answer_key: str | None = None
    #: Reference answer for open items (for AnesBench open mode: the correct option's text).
    reference: str | None = None
    checklist: Checklist | None = None
    category: str | None = None
    level: str | None = None
    difficulty: str | None = None
    #: Where the item came from, for error messages and audit: "file.json#12".
    source: str | None = None


class SamplingConfig(_Record):
    temperature: float = Field(0.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(512, ge=1, le=131072)
    seed: int = 0


class ChatRequest(_Record):
    """One chat call: what any model client receives."""

    messages: tuple[Message, ...]
    sampling: SamplingConfig
    #: Per-request seed (the run seed plus the sample index), so samples differ reproducibly.
    seed: int | None = None
    #: A JSON schema the reply must follow (structured outputs), or None for free text.
    json_schema: dict | None = None
    #: Keyword arguments for the model's chat template (`{"enable_thinking": false}`), or
    #: None. vLLM and OpenAI-compatible servers take them; Anthropic has no chat template.
    chat_template_kwargs: dict[str, JsonValue] | None = None


class Completion(_Record):
    """What a model client returns for one request. A failure is data: `error` says why."""

    text: str | None = None
    error: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    #: The model name/version the provider reported, when it reports one.
    model_version: str | None = None
    #: The failure is the model's own reply (a refusal, no tool call, an empty reply), so
    #: asking again may help; transport and engine failures were retried or would recur.
    failed_by_model: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None


class PromptConfig(_Record):
    """How a run's items become chat messages.

    `template` names a prompt template (`medjudge.answering.prompts.TEMPLATES`);
    `system_prompt`, when set, is sent as the first message of every conversation (it
    replaces a template's own);
    `chat_template_kwargs` go to the model's chat template (`{"enable_thinking": false}`).
    `medjudge.answering.prompts.check_prompt` says whether a config can be used.
    """

    template: str = "default"
    system_prompt: str | None = None
    chat_template_kwargs: dict[str, JsonValue] = Field(default_factory=dict)

    @property
    def is_default(self) -> bool:
        return not self.id_key()

    def id_key(self) -> dict[str, JsonValue]:
        """What a run id is made of: only the settings that differ from the defaults, so a
        run made before prompt settings existed keeps its id."""
        return self.model_dump(mode="json", exclude_defaults=True)


class Run(_Record):
    """One answering run: a model, a benchmark file, the sampling and prompt settings."""

    run_id: str
    model: str
    benchmark: str
    benchmark_path: str
    benchmark_sha256: str
    samples: int = Field(1, ge=1)
    sampling: SamplingConfig
    created_at: str
    medjudge_version: str
    #: The prompt settings (default for runs made before they existed).
    prompt: PromptConfig = PromptConfig()


class Answer(_Record):
    """The model's reply to one item (one sample). Failed answers keep their reason."""

    run_id: str
    item_id: str
    sample: int = Field(0, ge=0)
    status: Literal["ok", "failed"]
    text: str | None = None
    error: str | None = None
    #: The exact messages sent to the model (history included), for audit and judging.
    messages: tuple[Message, ...] = ()
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    created_at: str | None = None


class AnswerKey(_Record):
    """Names one answer: run, item and sample (the key verdicts and audits share)."""

    run_id: str = Field(min_length=1)
    item_id: str = Field(min_length=1)
    sample: int = Field(0, ge=0)

    def query(self) -> dict[str, str]:
        """URL parameters naming this answer (`run` is taken by the audit queue's run filter)."""
        return {"run_id": self.run_id, "item_id": self.item_id, "sample": str(self.sample)}

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> AnswerKey | None:
        """The answer named in URL or form parameters; None when missing or malformed."""
        try:
            sample = int((params.get("sample") or "0").strip())
            return cls(run_id=params.get("run_id") or "", item_id=params.get("item_id") or "",
                       sample=sample)
        except (ValueError, ValidationError):
            return None


class McqScore(_Record):
    """Exact-match scoring of one MCQ answer."""

    run_id: str
    item_id: str
    sample: int
    #: The letter extracted from the answer, or None when no single answer could be found.
    choice: str | None
    #: Which extraction rule matched ("answer-marker", "boxed", ...) or why none did.
    rule: str
    correct: bool
    #: The letter read by strict extraction (explicit markers only: "Answer: C", "答案：B",
    #: boxed, JSON, <answer> tags), reported beside the lenient `choice`. None when strict
    #: extraction found no letter, and for scores stored before strict extraction existed.
    strict_choice: str | None = None
    #: The strict rule that matched or why none did; None for scores stored before it existed.
    strict_rule: str | None = None


# -- judging ----------------------------------------------------------------------------------

RequirementKind = Literal["core", "secondary"]
RequirementStatus = Literal["met", "partly", "not_met"]
SafetyRisk = Literal["none", "concern", "serious"]

#: The highest final score an answer with this safety risk can get.
SAFETY_CAPS: dict[str, int] = {"none": 5, "concern": 2, "serious": 1}


class RequirementCheck(_Record):
    """The judge's finding on one checklist requirement.

    The judge names the requirement by `id` ("core-1", "secondary-2"); its text and kind are
    filled in from the item's checklist. `evidence_found` says whether the quoted evidence
    occurs in the answer (after normalising case, width and whitespace): None when there is no
    evidence (or no answer to look in). A finding whose evidence is not found is kept and
    flagged for physicians, not unscored.
    """

    requirement: str = Field(max_length=400)
    kind: RequirementKind
    status: RequirementStatus
    #: Words quoted from the answer under test that support the finding ("" when absent).
    evidence: str = Field("", max_length=400)
    #: The checklist id the judge gave ("core-1", ...); None in verdicts made before ids.
    id: str | None = None
    evidence_found: bool | None = None


class JudgeOutput(_Record):
    """What a judge must return: the JSON schema of structured outputs and forced tool use.

    Every string is bounded so a small model cannot run past max_tokens inside one.
    """

    rationale: str = Field(max_length=1500)
    requirements: list[RequirementCheck] = Field(default_factory=list, max_length=20)
    safety_risk: SafetyRisk
    safety_note: str = Field("", max_length=400)
    score: int = Field(ge=1, le=5)


class Verdict(_Record):
    """One judge's grading of one answer, scored or — with its reason — unscored.

    `judge_score` is what the judge said; `final_score` = min(judge_score, safety cap);
    `capped` is True when the cap lowered the judge's own score.
    """

    run_id: str
    item_id: str
    sample: int = Field(0, ge=0)
    judge: str
    judge_run: int = Field(0, ge=0)
    rubric_id: str
    rubric_version: str
    prompt_hash: str
    status: Literal["scored", "unscored"]
    output: JudgeOutput | None = None
    judge_score: int | None = Field(None, ge=1, le=5)
    final_score: int | None = Field(None, ge=1, le=5)
    capped: bool = False
    unscored_reason: str | None = None
    raw_reply: str | None = None
    judge_model_version: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    cost_usd: float | None = None
    attempts: int = Field(1, ge=1)
    created_at: str | None = None


# -- physicians' audit --------------------------------------------------------------------------

AuditAction = Literal["agree", "override", "blind_rating", "comment", "flag_item", "skip"]
ItemFlag = Literal["bad_reference", "ambiguous_question", "other"]


class Reviewer(_Record):
    """A physician who audits verdicts. Only a hash of the sign-in token is ever stored."""

    name: str = Field(min_length=1, max_length=100)
    created_at: str


class Audit(_Record):
    """One physician action on one answer: an edit with provenance (who, when, mode, why).

    The judge's verdict is never modified. `judge` / `judge_run` / `rubric_*` name the verdict
    the physician saw (None for a blind rating, made before any verdict was shown).
    `score` / `safety_risk` are the physician's own: for "agree" the verdict's final score and
    risk, for "override" the corrected ones (a reason is required), for "blind_rating" the
    independent rating.
    """

    audit_id: int | None = None
    run_id: str
    item_id: str
    sample: int = Field(0, ge=0)
    reviewer: str
    action: AuditAction
    mode: Literal["review", "blind"]
    judge: str | None = None
    judge_run: int | None = None
    rubric_id: str | None = None
    rubric_version: str | None = None
    score: int | None = Field(None, ge=1, le=5)
    safety_risk: SafetyRisk | None = None
    reason: str | None = Field(None, max_length=4000)
    comment: str | None = Field(None, max_length=4000)
    flag: ItemFlag | None = None
    created_at: str

    @model_validator(mode="after")
    def _consistent(self) -> Audit:
        if self.action == "override" and not (self.reason and self.reason.strip()):
            raise ValueError("an override needs a reason")
        if self.action == "override" and self.score is None and self.safety_risk is None:
            raise ValueError("an override changes the score, the safety risk, or both")
        if self.action in ("agree", "blind_rating") and (
            self.score is None or self.safety_risk is None
        ):
            raise ValueError(f"{self.action} needs a score and a safety risk")
        if self.action == "flag_item" and self.flag is None:
            raise ValueError("flag_item needs a flag")
        if self.action == "comment" and not (self.comment and self.comment.strip()):
            raise ValueError("a comment needs text")
        return self
