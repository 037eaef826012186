"""The per-item verdict schema: one finding per checklist requirement, by id, in order.

A judge is sent a schema built from the item's own checklist. Its `requirements` part is an
OBJECT with one required property per requirement id ("core-1", "core-2", "secondary-1", …),
in checklist order, and no other property; each finding is `{"status", "evidence"}`. The
requirement's text and kind are not echoed back (they are known from the item), which keeps
the output short. An item without a checklist (open AnesBench, or a rubric that does not show
it) gets no `requirements` part at all.

Why an object and not an array with `prefixItems`/`minItems = maxItems = n`: the object shape
is the one all three structured-output engines accept and enforce.

- OpenAI strict `json_schema`: every property required, `additionalProperties: false` on every
  object, no `$ref` needed here; `enum` is accepted, `prefixItems` is not, and string
  `minLength`/`maxLength` are not (so no length bounds are sent to `openai/` judges).
- Anthropic tool `input_schema`: a JSON schema; its strict (grammar-constrained) subset takes
  `enum`, `required`, `additionalProperties: false`, but no string-length keywords and no
  `minItems` other than 0 or 1. No length bounds are sent, so the schema also fits strict use.
- vLLM (xgrammar, the backend medjudge configures; guidance alike): objects with required
  properties are generated in schema order; `maxLength` is enforced, so `vllm/` and
  `openai-compatible/` judges get length bounds (tight ones for small local judges).

The parser does not trust any engine to have enforced the schema (Anthropic's plain tool use
does not): `verdict.parse_judge_reply` checks the findings against the same checklist.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from annotated_types import MaxLen
from pydantic import BaseModel, ConfigDict

from medjudge.records import Checklist, JudgeOutput, RequirementCheck

__all__ = [
    "COMPACT_LIMITS",
    "ChecklistEntry",
    "ProviderFamily",
    "checklist_entries",
    "max_length",
    "provider_family",
    "verdict_json_schema",
]

#: How a judge's structured outputs are enforced: by the model name's prefix.
ProviderFamily = Literal["openai", "anthropic", "vllm", "openai-compatible"]

#: Tighter bounds for small local judges: what they must fit inside max_tokens.
COMPACT_LIMITS: dict[str, int] = {"rationale": 300, "evidence": 150, "safety_note": 150}

#: Families whose engine enforces string `maxLength` (grammar backends).
_WITH_LIMITS: frozenset[str] = frozenset({"vllm", "openai-compatible"})


class ChecklistEntry(BaseModel):
    """One requirement of an item's checklist, with the id a judge's finding names it by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Literal["core", "secondary"]
    text: str


def checklist_entries(checklist: Checklist | None) -> tuple[ChecklistEntry, ...]:
    """The checklist's requirements in order: core-1..n, then secondary-1..m."""
    if checklist is None:
        return ()
    core = [
        ChecklistEntry(id=f"core-{n}", kind="core", text=text)
        for n, text in enumerate(checklist.core, 1)
    ]
    secondary = [
        ChecklistEntry(id=f"secondary-{n}", kind="secondary", text=text)
        for n, text in enumerate(checklist.secondary, 1)
    ]
    return (*core, *secondary)


def provider_family(judge: str) -> ProviderFamily:
    """`openai/gpt-4o` → "openai"; names without a known prefix count as OpenAI (strictest)."""
    prefix = judge.partition("/")[0]
    families: tuple[str, ...] = get_args(ProviderFamily)
    return prefix if prefix in families else "openai"  # type: ignore[return-value]


def max_length(model: type[BaseModel], field: str) -> int:
    """The `max_length` bound a record declares on one of its string fields."""
    for meta in model.model_fields[field].metadata:
        if isinstance(meta, MaxLen):
            return meta.max_length
    raise LookupError(f"{model.__name__}.{field} has no max_length")


def verdict_json_schema(
    checklist: Checklist | None, family: ProviderFamily = "openai", *, compact: bool = False
) -> dict[str, Any]:
    """The JSON schema one item's verdict must follow, for `family`'s structured outputs.

    `checklist` is the checklist the judge is shown (None when the rubric does not show it).
    Length bounds are sent only to families whose engine enforces them; `compact=True` makes
    them tighter (COMPACT_LIMITS) for small local judges. The reply is validated against the
    record bounds either way.
    """
    limits = family in _WITH_LIMITS

    def text(description: str, model: type[BaseModel], field: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "description": description}
        if limits:
            bound = max_length(model, field)
            schema["maxLength"] = min(bound, COMPACT_LIMITS[field]) if compact else bound
        return schema

    properties: dict[str, Any] = {
        "rationale": text("Brief reasons for the score.", JudgeOutput, "rationale")
    }
    entries = checklist_entries(checklist)
    if entries:
        evidence = text(
            "Words quoted exactly from the answer that support the finding; empty when none.",
            RequirementCheck,
            "evidence",
        )
        properties["requirements"] = _findings_schema(entries, evidence)
    properties |= {
        "safety_risk": _enum(
            JudgeOutput, "safety_risk", "The answer's medical safety risk: none, concern, serious."
        ),
        "safety_note": text(
            "What the safety risk is; empty when there is none.", JudgeOutput, "safety_note"
        ),
        "score": {
            "type": "integer",
            "enum": [1, 2, 3, 4, 5],
            "description": "The score from 1 to 5 under the rubric.",
        },
    }
    return _closed_object(properties, title="JudgeOutput")


def _findings_schema(
    entries: tuple[ChecklistEntry, ...], evidence: dict[str, Any]
) -> dict[str, Any]:
    findings = {
        entry.id: _closed_object(
            {
                "status": _enum(RequirementCheck, "status", "Whether the answer meets it."),
                "evidence": evidence,
            },
            description=f"{entry.kind}: {_short(entry.text)}",
        )
        for entry in entries
    }
    return _closed_object(
        findings, description="One finding per checklist requirement, by id, in order."
    )


def _closed_object(properties: dict[str, Any], **annotations: str) -> dict[str, Any]:
    """An object whose properties are all required and nothing else is allowed."""
    return {
        "type": "object",
        **annotations,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _enum(model: type[BaseModel], field: str, description: str) -> dict[str, Any]:
    values = list(get_args(model.model_fields[field].annotation))
    return {"type": "string", "enum": values, "description": description}


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
