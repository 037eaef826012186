"""`medjudge answer` as users run it: clear errors, and kill-and-resume on a real run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply
from typer.testing import CliRunner

from medjudge.cli.main import app

runner = CliRunner()


def stored_answers(store: Path) -> dict[tuple[str, int], tuple[str, str | None]]:
    if not store.exists():
        return {}
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
        try:
            rows = db.execute("SELECT item_id, sample, status, text FROM answers").fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return {}
    return {(item, sample): (status, text) for item, sample, status, text in rows}


def medjudge(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "medjudge", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_answers(store: Path, at_least: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while len(stored_answers(store)) < at_least:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no answers appeared"
        time.sleep(0.05)


def test_invalid_benchmark_exits_nonzero_and_creates_no_store(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1", "question": "fine"}\n{"id": "q2", "question": \n')
    result = runner.invoke(app, ["answer", str(bad), "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert "bad.jsonl" in result.output and "line 2" in result.output
    assert not (tmp_path / "s.sqlite").exists()


def test_unknown_model_name_is_a_clear_error(tmp_path: Path):
    result = runner.invoke(app, ["answer", "sample:generic", "--model", "mystery-llm"])
    assert result.exit_code == 2
    assert "unknown model 'mystery-llm'" in result.output
    assert not (tmp_path / "medjudge.sqlite").exists()


def test_ctrl_c_stops_cleanly_and_the_rerun_finishes(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    with FakeOpenAI([Reply(delay_s=0.3)]) as server:
        args = ["answer", "sample:anesbench", "--model", "openai-compatible/fake",
                "--base-url", server.base_url, "--concurrency", "1", "--store", str(store)]
        process = medjudge(*args)
        wait_for_answers(store, 2, process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 130
        assert "run the same command again" in err
        partial = stored_answers(store)
        rerun = medjudge(*args)
        out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    final = stored_answers(store)
    assert len(final) > len(partial)
    assert all(status == "ok" for status, _ in final.values())
    assert f"{len(partial)} already in" in out


@pytest.mark.engine
def test_killed_real_run_resumes_without_loss_or_duplicates(tmp_path: Path, vllm_server):
    store = tmp_path / "s.sqlite"
    args = ["answer", "sample:anesbench", "--lang", "both", "--max-tokens", "48",
            "--model", "openai-compatible/smollm2", "--base-url", vllm_server.base_url,
            "--concurrency", "1", "--store", str(store)]
    process = medjudge(*args)
    wait_for_answers(store, 3, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = stored_answers(store)
    rerun = medjudge(*args)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    after = stored_answers(store)
    with sqlite3.connect(store) as db:
        total = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        items = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert integrity == "ok"
    assert 3 <= len(before) < items
    assert total == len(after) == items
    assert all(after[key] == value for key, value in before.items() if value[0] == "ok")
    assert all(status == "ok" for status, _ in after.values())
