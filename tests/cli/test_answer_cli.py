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


def test_an_unknown_prompt_template_lists_the_known_ones(tmp_path: Path):
    result = runner.invoke(app, ["answer", "sample:anesbench", "--prompt-template", "cot",
                                 "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert "unknown prompt template 'cot'" in result.output
    assert "default, anesbench-step-by-step" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s.sqlite").exists()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{enable_thinking: false}", "not valid JSON (Expecting property name"),
        ('"enable_thinking"', "expected a JSON object"),
    ],
)
def test_malformed_chat_template_kwargs_name_the_flag(tmp_path: Path, value: str, problem: str):
    result = runner.invoke(app, ["answer", "sample:anesbench", "--chat-template-kwargs", value,
                                 "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert f"--chat-template-kwargs: {problem}" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s.sqlite").exists()


def test_a_missing_system_prompt_file_is_named(tmp_path: Path):
    result = runner.invoke(app, ["answer", "sample:anesbench", "--system-prompt", "@nope.txt",
                                 "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert "--system-prompt: nope.txt: no such file" in result.output
    assert not (tmp_path / "s.sqlite").exists()


def test_prompt_options_reach_the_server_and_runs_show_lists_them(tmp_path: Path):
    (tmp_path / "system.txt").write_text("Answer as a consultant anaesthetist.", "utf-8")
    store = tmp_path / "s.sqlite"
    with FakeOpenAI([Reply(text="Answer: D")]) as server:
        args = ["answer", "sample:anesbench", "--model", "openai-compatible/fake",
                "--base-url", server.base_url, "--store", str(store),
                "--system-prompt", "@system.txt", "--prompt-template", "anesbench-step-by-step",
                "--chat-template-kwargs", '{"enable_thinking": false}']
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        again = runner.invoke(app, args)
    assert again.exit_code == 0 and "0 answered" in again.output  # same settings: resumed
    body = server.seen[0].body
    assert body["messages"][0] == {"role": "system",
                                   "content": "Answer as a consultant anaesthetist."}
    assert body["messages"][1]["content"].startswith("The following is a multiple-choice")
    assert body["chat_template_kwargs"] == {"enable_thinking": False}
    with sqlite3.connect(store) as db:
        (run_id,) = db.execute("SELECT run_id FROM runs").fetchone()
    shown = runner.invoke(app, ["runs", "show", run_id, "--store", str(store)],
                          env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    assert ('template anesbench-step-by-step; system prompt "Answer as a consultant '
            'anaesthetist."; chat template kwargs {"enable_thinking": false}') in shown.output


def test_a_hub_name_offline_and_not_cached_exits_2_with_the_download_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
):
    from support.hub_cache import hub_cache

    hub_cache(tmp_path, monkeypatch)
    result = runner.invoke(app, ["answer", "hf:MiliLab/AnesBench", "--lang", "zh",
                                 "--store", "s.sqlite"])
    assert result.exit_code == 2
    assert "could not reach the Hugging Face Hub" in result.output
    assert "hf download MiliLab/AnesBench anesbench_zh.json" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "s.sqlite").exists()
