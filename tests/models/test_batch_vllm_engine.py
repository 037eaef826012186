"""vLLM's own `run_batch` (which reads and writes the OpenAI batch file format) as the real
peer for our batch files: it answers the input file we write, and our result parser maps
every line of its output file back by custom id. Starts an engine: marked `engine`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from medjudge.models.batch import BatchLine
from medjudge.models.batch.openai import OpenAIBatchProvider, read_output_line
from medjudge.records import ChatRequest, Message, SamplingConfig

pytestmark = pytest.mark.engine

QUESTIONS = {
    "mj-capital-0-1": "What is the capital of France?",
    "mj-insulin-0-1": "Which organ produces insulin?",
    "mj-json-0-1": "Rate this answer from 1 to 5: 'Paris is the capital of France.'",
}
SCHEMA = {
    "type": "object",
    "properties": {"score": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["score"],
    "additionalProperties": False,
}


def test_vllm_run_batch_answers_our_input_file_and_we_read_its_output(
    embedded_model: Path, cache_dir: Path, tmp_path: Path
):
    provider = OpenAIBatchProvider(str(embedded_model))  # run_batch serves the model by path
    lines = [
        BatchLine(
            custom_id=cid,
            request=ChatRequest(
                messages=(Message(role="user", content=text),),
                sampling=SamplingConfig(temperature=0.0, max_tokens=48),
                seed=0,
                json_schema=SCHEMA if cid == "mj-json-0-1" else None,
            ),
        )
        for cid, text in QUESTIONS.items()
    ]
    given = tmp_path / "in.jsonl"
    given.write_bytes(b"".join(provider.encode(line) for line in lines))
    out = tmp_path / "out.jsonl"
    env = {
        **os.environ,
        "VLLM_CPU_KVCACHE_SPACE": "1",
        "HF_HUB_OFFLINE": "1",
        "VLLM_CACHE_ROOT": str(cache_dir / "vllm"),
    }
    if (os.cpu_count() or 1) >= 2:
        # As tests/support/vllm_server.py: the session's offline engine may hold core 0.
        env.setdefault("VLLM_CPU_OMP_THREADS_BIND", "1")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vllm.entrypoints.openai.run_batch",
            "-i",
            str(given),
            "-o",
            str(out),
            "--model",
            str(embedded_model),
            "--enforce-eager",
            "--max-model-len",
            "2048",
            "--dtype",
            "float32",
        ],
        env=env,
        capture_output=True,
        check=False,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes = [read_output_line(raw) for raw in out.read_text().splitlines() if raw.strip()]
    assert all(o is not None for o in outcomes)
    by_id = {o.custom_id: o for o in outcomes}
    assert set(by_id) == set(QUESTIONS)
    for outcome in by_id.values():
        assert outcome.failure is None and outcome.completion.error is None
        assert outcome.completion.text.strip() and outcome.completion.prompt_tokens > 0
    assert "paris" in by_id["mj-capital-0-1"].completion.text.lower()
