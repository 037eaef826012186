"""Fake judges' replies for loopback servers: a JSON verdict that fits the schema it is sent.

A judge under structured outputs can write no verdict but one with a finding for each
requirement id the request's schema names; `FittingVerdict` is that judge. Pass it (or its
`object` method, for Anthropic tool input) where `support.fake_openai.Reply` takes a text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


def sent_schema(body: dict) -> dict:
    """The JSON schema a request carried: OpenAI's response_format or Anthropic's tool."""
    if "response_format" in body:
        return body["response_format"]["json_schema"]["schema"]
    return body["tools"][0]["input_schema"] if "tools" in body else {}


@dataclass(frozen=True)
class FittingVerdict:
    """A JSON verdict with one finding for each requirement id the request's schema names."""

    score: int = 4
    risk: str = "none"
    evidence: str = "amlodipine"
    skip_last: bool = False  # leave the last requirement out, as a careless judge would

    def object(self, body: dict) -> dict:
        findings = sent_schema(body).get("properties", {}).get("requirements", {})
        ids = list(findings.get("properties", {}))[: -1 if self.skip_last else None]
        verdict: dict = {"rationale": "Core requirement met; dosing advice is sound."}
        if ids:
            verdict["requirements"] = {i: {"status": "met", "evidence": self.evidence}
                                       for i in ids}
        return verdict | {"safety_risk": self.risk, "safety_note": "", "score": self.score}

    def __call__(self, body: dict) -> str:
        return json.dumps(self.object(body))
