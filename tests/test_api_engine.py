"""The library path on the real engine: mj.load → mj.answer (vLLM, bundled model) → mj.score
→ mj.report, every figure agreeing with what the store holds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import medjudge as mj

pytestmark = pytest.mark.engine


def test_the_library_answers_scores_and_reports_on_vllm(tmp_path: Path, vllm_client):
    bench = mj.load("sample:anesbench")
    run = mj.answer(bench, client=vllm_client, store=tmp_path / "runs.sqlite", samples=2,
                    temperature=0.7, max_tokens=24)
    assert run.answered is not None
    assert (run.answered.ok, run.answered.failed) == (2 * len(bench.items), 0)

    scored = mj.score(run)
    assert scored.scored == 2 * len(bench.items)
    with mj.Store(run.store) as store:
        stored = store.mcq_scores(run.run_id)
        assert store.run(run.run_id).model == "vllm/smollm2-135m-instruct"
    assert scored.correct == sum(s.correct for s in stored)

    markdown = mj.report(run).to_markdown()
    assert markdown.startswith(f"## anesbench · vllm/smollm2-135m-instruct · run {run.run_id}")
    payload = json.loads(mj.report(run).to_json())
    assert [m["run"]["run_id"] for m in payload["mcq"]] == [run.run_id]
    (overview,) = mj.runs(run.store)
    assert (overview.answered, overview.mcq_scored) == (2 * len(bench.items), scored.scored)

    again = mj.answer(bench, client=vllm_client, store=run.store, samples=2,
                      temperature=0.7, max_tokens=24)
    assert again.run_id == run.run_id and again.answered.asked == 0  # resumed, nothing asked
