"""Real judges on the bundled model: offline vLLM structured outputs, and vLLM's own server
through the aiohttp OpenAI-compatible client (the SDK clients: test_grade_sdk_engine.py). The 135M model's verdicts mean nothing
clinically; these tests prove the path: schema-valid verdicts or unscored with a reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medjudge.answering import AnswerConfig, answer_benchmark
from medjudge.judging.grade import GradeConfig, grade
from medjudge.models import DEFAULT_MODEL
from medjudge.records import SamplingConfig
from medjudge.store import Store

pytestmark = pytest.mark.engine


@pytest.fixture(scope="module")
def answered(tmp_path_factory: pytest.TempPathFactory, vllm_client) -> Path:
    store = tmp_path_factory.mktemp("judged") / "s.sqlite"
    answer_benchmark(
        AnswerConfig(benchmark="sample:llmeval-med", store=store,
                     sampling=SamplingConfig(max_tokens=48)),
        client=vllm_client,
    )
    return store


#: The final score's ceiling for each safety risk (the rubric's rule: concern ≤ 2, serious ≤ 1).
CAPS = {"none": 5, "concern": 2, "serious": 1}


def check_verdicts(store: Path, judge: str, expected: int) -> None:
    """Every verdict is scored with findings that fit its item, or unscored with a reason."""
    with Store(store) as db:
        verdicts = [v for v in db.verdicts() if v.judge == judge]
        items = {i.item_id: i for v in verdicts for i in db.run_items(v.run_id)}
        answers = {(a.run_id, a.item_id, a.sample): a
                   for v in verdicts for a in db.answers(v.run_id)}
    assert len(verdicts) == expected
    scored = [v for v in verdicts if v.status == "scored"]
    assert scored, [v.unscored_reason for v in verdicts]
    for verdict in scored:
        item = items[verdict.item_id]
        answer = answers[(verdict.run_id, verdict.item_id, verdict.sample)]
        check_scored(verdict, item, answer.text)
    for verdict in verdicts:
        if verdict.status == "unscored":
            assert verdict.unscored_reason and verdict.final_score is None
            assert verdict.judge_score is None


def check_scored(verdict, item, answer_text: str) -> None:
    output = verdict.output
    assert output is not None and 1 <= verdict.judge_score <= 5
    assert verdict.final_score == min(verdict.judge_score, CAPS[output.safety_risk])
    assert verdict.capped == (verdict.final_score < verdict.judge_score)
    checklist = item.checklist
    core = list(checklist.core) if checklist else []
    secondary = list(checklist.secondary) if checklist else []
    ids = [f"core-{n}" for n in range(1, len(core) + 1)] + [
        f"secondary-{n}" for n in range(1, len(secondary) + 1)]
    # One finding per checklist requirement, by id, in order, with the item's own text.
    assert [c.id for c in output.requirements] == ids
    assert [c.requirement for c in output.requirements] == core + secondary
    # The raw reply, read with nothing but json, says what was stored.
    raw = json.loads(verdict.raw_reply)
    assert (raw["score"], raw["safety_risk"]) == (verdict.judge_score, output.safety_risk)
    assert list(raw.get("requirements", {})) == ids
    for check in output.requirements:
        said = raw["requirements"][check.id]
        assert said["status"] == check.status
        if len(said["evidence"]) <= 400:
            assert check.evidence == said["evidence"]
        else:  # clipped to the record's bound
            assert check.evidence == said["evidence"][:399] + "…"
        if said["evidence"].strip() and said["evidence"] in answer_text:
            assert check.evidence_found is True  # quoted verbatim: must be found
        if not said["evidence"].strip():
            assert check.evidence_found is None


def test_offline_vllm_judge_returns_schema_valid_verdicts(answered: Path, vllm_client):
    summary = grade(
        GradeConfig(store=answered, judges=(DEFAULT_MODEL,), max_tokens=400),
        clients={DEFAULT_MODEL: vllm_client},
    )
    assert summary.scored + summary.unscored == 8
    check_verdicts(answered, DEFAULT_MODEL, 8)


def test_openai_compatible_judge_against_vllm_server(answered: Path, vllm_server):
    summary = grade(GradeConfig(
        store=answered, judges=("openai-compatible/smollm2",), max_tokens=1024,
        judge_base_url=vllm_server.base_url, limit=4, concurrency=4, compact_verdicts=True,
    ))
    assert summary.scored + summary.unscored == 4
    check_verdicts(answered, "openai-compatible/smollm2", 4)
