"""What a script running medjudge relies on: early checks before the store or the screen is
touched, documented exit codes, --timeout/--max-attempts reaching the clients, one process
per run, and each judge's key and server kept to itself."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply, fitting_verdict
from typer.testing import CliRunner

from medjudge.cli.main import app

runner = CliRunner()


def answered_store(tmp_path: Path) -> Path:
    store = tmp_path / "s.sqlite"
    with FakeOpenAI() as server:
        result = runner.invoke(app, ["answer", "sample:llmeval-med", "--model",
                                     "openai-compatible/fake", "--base-url", server.base_url,
                                     "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


def test_no_vllm_fails_before_the_store_and_names_both_extras(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setitem(sys.modules, "vllm", None)  # as on a core install: `import vllm` fails
    result = runner.invoke(app, ["answer", "sample:generic", "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert "pip install 'medjudge[cpu]'" in result.output
    assert "pip install 'medjudge[vllm]'" in result.output
    assert "Traceback" not in result.output and "answering" not in result.output  # no bar
    assert not (tmp_path / "s.sqlite").exists()


def test_grade_without_a_key_draws_nothing_and_leaves_the_store_alone(tmp_path: Path):
    store = answered_store(tmp_path)
    before = store.stat().st_mtime_ns, store.stat().st_size
    result = runner.invoke(app, ["grade", "--store", str(store), "--judge", "claude-haiku-4-5"])
    assert result.exit_code == 2 and "ANTHROPIC_API_KEY is not set" in result.output
    assert "grading" not in result.output
    assert (store.stat().st_mtime_ns, store.stat().st_size) == before


def test_help_documents_the_exit_codes():
    for command in ("answer", "grade"):
        result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert "Exit codes: 0 complete; 2 bad input" in result.output
        assert "3 incomplete" in result.output


def test_failed_answers_exit_3_and_a_complete_rerun_exits_0(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    args = ["answer", "sample:generic", "--model", "openai-compatible/fake", "--store",
            str(store), "--max-attempts", "1"]
    with FakeOpenAI([Reply(status=500)]) as broken:
        first = runner.invoke(app, [*args, "--base-url", broken.base_url])
    assert first.exit_code == 3, first.output
    with FakeOpenAI() as healthy:
        second = runner.invoke(app, [*args, "--base-url", healthy.base_url])
    assert second.exit_code == 0, second.output
    with sqlite3.connect(store) as db:
        asked = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    # One try per turn asked (--max-attempts 1); later turns of a failed one are not asked.
    assert 0 < len(broken.seen) <= asked == len(healthy.seen)


def test_timeout_and_max_attempts_reach_the_answering_client(tmp_path: Path):
    with FakeOpenAI([Reply(delay_s=2.0)]) as slow:
        result = runner.invoke(app, [
            "answer", "sample:generic", "--limit", "1", "--model", "openai-compatible/fake",
            "--base-url", slow.base_url, "--timeout", "0.3", "--max-attempts", "2",
            "--store", str(tmp_path / "s.sqlite"),
        ])
    assert result.exit_code == 3, result.output
    assert len(slow.seen) == 2
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        (error,) = db.execute("SELECT error FROM answers").fetchone()
    assert "within 0.3 s" in error


def test_unscored_verdicts_exit_3_and_timeouts_reach_the_judge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = answered_store(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with FakeOpenAI([Reply(text="{}", delay_s=2.0)]) as slow:
        result = runner.invoke(app, ["grade", "--store", str(store), "--judge-base-url",
                                     slow.base_url, "--limit", "1", "--timeout", "0.3",
                                     "--max-attempts", "2"])
    assert result.exit_code == 3, result.output
    assert "unscored" in result.output
    assert len(slow.seen) == 2  # --limit 1: one answer, one verdict, two tries


def test_a_jury_from_the_command_line_keeps_keys_and_servers_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    store = answered_store(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-PRIVATE")
    with FakeOpenAI([Reply(text=fitting_verdict)]) as openai, \
            FakeOpenAI([Reply(text=fitting_verdict)]) as local:
        result = runner.invoke(app, [
            "grade", "--store", str(store), "--judge", "gpt-4o", "--judge",
            "openai-compatible/qwen", "--judge-base-url", f"gpt-4o={openai.base_url}",
            "--judge-base-url", local.base_url,
        ])
    assert result.exit_code == 0, result.output
    assert {s.body["model"] for s in local.seen} == {"qwen"}
    assert {s.body["model"] for s in openai.seen} == {"gpt-4o"}
    assert all("authorization" not in s.headers for s in local.seen)
    assert all(s.headers["authorization"] == "Bearer sk-openai-PRIVATE" for s in openai.seen)


def test_a_second_answer_process_on_the_same_run_sends_nothing(tmp_path: Path):
    store = tmp_path / "s.sqlite"
    # The first process's requests are held until the second has been turned away, so the
    # first still holds its lease however slowly the second starts.
    held = threading.Event()
    with FakeOpenAI([Reply(gate=held)]) as server:
        args = [sys.executable, "-m", "medjudge", "answer", "sample:generic", "--model",
                "openai-compatible/fake", "--base-url", server.base_url, "--concurrency", "1",
                "--store", str(store)]
        first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        try:
            wait_for_lease(store, first)
            second = subprocess.run(args, capture_output=True, text=True, timeout=300,
                                    check=False)
        finally:
            held.set()
        _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 2
    assert f"pid {first.pid}" in second.stderr and "--wait" in second.stderr
    with sqlite3.connect(store) as db:
        answers = db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert len(server.seen) == answers  # every turn was asked once, by the first process


def wait_for_lease(store: Path, process: subprocess.Popen) -> None:
    """Until `process` holds its lease (a condition, polled; the deadline only guards a hang)."""
    deadline = time.monotonic() + 300
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first process never took its lease"
        if store.exists():
            try:
                with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                    if db.execute("SELECT COUNT(*) FROM leases").fetchone()[0]:
                        return
            except sqlite3.OperationalError:  # schema not created yet
                pass
        time.sleep(0.02)
