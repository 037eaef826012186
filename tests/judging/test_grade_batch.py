"""`grade --batch` through the real SDKs against a loopback server that speaks the OpenAI
Batch API and Anthropic Message Batches: batch prices, re-asks in the next batch, expired and
failed entries unscored then resubmitted alone, a malformed result line, the budget, and
resuming after the process is killed (before the batch id was stored, or while polling)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support.answered_store import answered_first_conversation
from support.fake_batches import FakeBatches, Script
from support.progress_recorder import Recorder

from medjudge.errors import ConfigError
from medjudge.judging.grade import GradeConfig, grade
from medjudge.records import Completion
from medjudge.store import Store

SECRET = "sk-live-DO-NOT-LEAK-0123456789"
ANSWER = "Take amlodipine 5 mg once a day; see your doctor if your ankles swell."
#: What one verdict bills (the fake's usage: 400 prompt + 100 completion tokens) at batch
#: price, half the list price: gpt-4o $2.50/$10 per M → $1.25/$5; claude-haiku-4-5 $1/$5 →
#: $0.50/$2.50.
GPT_EACH = (400 * 1.25 + 100 * 5.00) / 1e6  # 0.001
HAIKU_EACH = (400 * 0.50 + 100 * 2.50) / 1e6  # 0.00045


class CannedEngine:
    name = "canned"

    def generate(self, requests):
        return [Completion(text=ANSWER) for _ in requests]

    def close(self) -> None:
        pass


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """The LLMEval-Med sample's first conversation (3 turns) answered and stored."""
    return answered_first_conversation(tmp_path / "s.sqlite", "m", CannedEngine())


@pytest.fixture(autouse=True)
def api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET + "-ant")


def batch_grade(server: FakeBatches, store: Path, judge: str = "gpt-4o", **overrides):
    url = server.root if judge.startswith("claude") else server.base_url
    config = GradeConfig(
        store=store,
        judges=(judge,),
        judge_base_url=url,
        batch=True,
        poll_interval_s=0.001,
        **overrides,
    )
    return grade(config)


def verdicts(store: Path):
    with Store(store) as db:
        return db.verdicts()


def stored_batches(store: Path):
    with Store(store) as db:
        return db.batches()


def test_openai_batch_grades_every_answer_at_half_price(store_path: Path):
    with FakeBatches(Script(polls_to_end=3)) as server:
        summary = batch_grade(server, store_path)
        (batch,) = server.created("openai")
    assert (summary.scored, summary.unscored, summary.complete) == (3, 0, True)
    assert summary.cost_usd == pytest.approx(3 * GPT_EACH)
    assert all(
        v.cost_usd == pytest.approx(GPT_EACH) and v.final_score == 4 for v in verdicts(store_path)
    )
    # One input file of three chat-completions lines, each with its own custom id.
    assert [line["method"] for line in batch.lines] == ["POST"] * 3
    assert {line["url"] for line in batch.lines} == {"/v1/chat/completions"}
    assert len({line["custom_id"] for line in batch.lines}) == 3
    body = batch.lines[0]["body"]
    assert body["model"] == "gpt-4o" and body["response_format"]["type"] == "json_schema"
    # The batch was polled until the server ended it (3 polls), then its output fetched.
    paths = [s.path for s in server.seen]
    assert paths.count(f"/v1/batches/{batch.id}") >= 3
    assert f"/v1/files/file-out-{batch.id}/content" in paths
    assert all(s.headers["authorization"] == f"Bearer {SECRET}" for s in server.seen)
    (row,) = stored_batches(store_path)
    assert (row.batch_id, row.status, row.provider_status) == (batch.id, "ended", "completed")
    assert row.counts == {"total": 3, "completed": 3, "failed": 0}
    assert row.spent_usd == pytest.approx(3 * GPT_EACH)


def test_anthropic_message_batch_grades_through_forced_tool_use(store_path: Path):
    with FakeBatches(Script(polls_to_end=2)) as server:
        summary = batch_grade(server, store_path, judge="claude-haiku-4-5")
        (batch,) = server.created("anthropic")
    assert (summary.scored, summary.unscored) == (3, 0)
    assert summary.cost_usd == pytest.approx(3 * HAIKU_EACH)
    params = batch.lines[0]["params"]
    assert params["model"] == "claude-haiku-4-5" and params["temperature"] == 0.0
    assert params["tool_choice"] == {"type": "tool", "name": params["tools"][0]["name"]}
    assert "extra_body" not in params
    seen = [s for s in server.seen if s.path.startswith("/v1/messages/batches")]
    # The pinned SDK sends the key as a bearer token (older ones as x-api-key): the
    # Anthropic key, never the OpenAI one.
    for s in seen:
        sent = s.headers.get("x-api-key") or s.headers["authorization"].removeprefix("Bearer ")
        assert sent == SECRET + "-ant" and "anthropic-version" in s.headers
    assert seen[-1].path == f"/v1/messages/batches/{batch.id}/results"


def test_a_jury_batches_with_both_providers_side_by_side(store_path: Path):
    with FakeBatches(Script(polls_to_end=2)) as server:
        config = GradeConfig(
            store=store_path,
            judges=("gpt-4o", "claude-haiku-4-5"),
            batch=True,
            judge_base_urls=(f"gpt-4o={server.base_url}", f"claude-haiku-4-5={server.root}"),
            poll_interval_s=0.001,
        )
        summary = grade(config)
        wires = sorted(b.wire for b in server.created())
    assert wires == ["anthropic", "openai"] and (summary.scored, summary.complete) == (6, True)
    assert summary.cost_usd == pytest.approx(3 * GPT_EACH + 3 * HAIKU_EACH)
    by_judge = {v.judge for v in verdicts(store_path)}
    assert by_judge == {"openai/gpt-4o", "anthropic/claude-haiku-4-5"}


@pytest.mark.parametrize("judge", ["gpt-4o", "claude-haiku-4-5"])
def test_an_expired_entry_is_unscored_then_resubmitted_alone(store_path: Path, judge: str):
    script = Script(
        fault=lambda number, index, body: "expire" if (number, index) == (0, 1) else None
    )
    with FakeBatches(script) as server:
        first = batch_grade(server, store_path, judge=judge)
        unscored = [v for v in verdicts(store_path) if v.status == "unscored"]
        again = batch_grade(server, store_path, judge=judge)
        batches = server.created()
    assert (first.scored, first.unscored, first.complete) == (2, 1, False)
    assert "expired" in unscored[0].unscored_reason and unscored[0].final_score is None
    # The rerun sends exactly the expired request, nothing else.
    assert [len(b.lines) for b in batches] == [3, 1]
    assert batches[1].lines[0]["custom_id"] not in {line["custom_id"] for line in batches[0].lines}
    assert (again.scored, again.unscored, again.complete) == (1, 0, True)
    assert {v.status for v in verdicts(store_path)} == {"scored"}


def test_a_batch_that_expires_whole_is_resubmitted_whole(store_path: Path):
    script = Script(fate=lambda number: "expired" if number == 0 else "completed")
    with FakeBatches(script) as server:
        first = batch_grade(server, store_path)
        again = batch_grade(server, store_path)
        batches = server.created()
    assert (first.scored, first.unscored) == (0, 3)
    assert (again.scored, again.complete) == (3, True)
    assert [len(b.lines) for b in batches] == [3, 3]
    # Expired entries were not billed: the rerun's spend is the only spend.
    assert again.cost_before_usd == 0 and again.cost_usd == pytest.approx(3 * GPT_EACH)


def test_partial_errors_a_server_error_is_resubmitted_a_refused_request_is_final(
    store_path: Path,
):
    faults = {(0, 0): "error500", (0, 1): "error400"}
    script = Script(fault=lambda number, index, body: faults.get((number, index)))
    with FakeBatches(script) as server:
        first = batch_grade(server, store_path)
        reasons = sorted(v.unscored_reason for v in verdicts(store_path) if v.status == "unscored")
        again = batch_grade(server, store_path)
        batches = server.created()
    assert (first.scored, first.unscored) == (1, 2)
    assert "HTTP 400" in reasons[0] and "HTTP 500" in reasons[1]
    assert [len(b.lines) for b in batches] == [3, 1]  # only the server error goes again
    assert (again.scored, again.unscored_stored) == (1, 1)
    (left,) = [v for v in verdicts(store_path) if v.status == "unscored"]
    assert "HTTP 400" in left.unscored_reason


def test_a_malformed_result_line_is_unscored_and_resubmitted(store_path: Path):
    script = Script(
        fault=lambda number, index, body: "malformed" if (number, index) == (0, 2) else None
    )
    with FakeBatches(script) as server:
        first = batch_grade(server, store_path)
        (bad,) = [v for v in verdicts(store_path) if v.status == "unscored"]
        again = batch_grade(server, store_path)
        batches = server.created()
    assert (first.scored, first.unscored) == (2, 1)
    assert "no result line" in bad.unscored_reason and "could not be read" in bad.unscored_reason
    assert stored_batches(store_path)[0].malformed == 1
    assert [len(b.lines) for b in batches] == [3, 1] and again.complete


def test_an_invalid_reply_is_re_asked_in_the_next_batch(store_path: Path):
    script = Script(
        fault=lambda number, index, body: "invalid" if (number, index) == (0, 0) else None
    )
    with FakeBatches(script) as server:
        summary = batch_grade(server, store_path, reasks=2)
        batches = server.created()
    assert [len(b.lines) for b in batches] == [3, 1]
    assert (summary.scored, summary.unscored) == (3, 0)
    # The re-ask is the same job's next attempt (its seed moves on, as online).
    first_seeds = {line["body"]["seed"] for line in batches[0].lines}
    assert batches[1].lines[0]["body"]["seed"] == 1 and first_seeds == {0}
    re_asked = [v for v in verdicts(store_path) if v.attempts == 2]
    assert len(re_asked) == 1 and re_asked[0].cost_usd == pytest.approx(2 * GPT_EACH)
    assert summary.cost_usd == pytest.approx(4 * GPT_EACH)


def test_an_invalid_reply_with_no_re_asks_left_is_unscored_with_the_raw_reply(
    store_path: Path,
):
    script = Script(fault=lambda number, index, body: "invalid" if index == 0 else None)
    with FakeBatches(script) as server:
        summary = batch_grade(server, store_path, reasks=1)
        batches = server.created()
    assert [len(b.lines) for b in batches] == [3, 1]
    assert (summary.scored, summary.unscored) == (2, 1)
    (verdict,) = [v for v in verdicts(store_path) if v.status == "unscored"]
    assert verdict.raw_reply == "this is no verdict" and verdict.attempts == 2
    assert verdict.unscored_reason.startswith("invalid verdict")


def test_a_rerun_after_a_kill_while_polling_resumes_the_stored_batch(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from medjudge.models.batch.session import BatchSession

    real_wait = BatchSession.wait

    async def killed(self, rows):
        raise KeyboardInterrupt

    with FakeBatches(Script(polls_to_end=2)) as server:
        monkeypatch.setattr(BatchSession, "wait", killed)
        with pytest.raises(KeyboardInterrupt):
            batch_grade(server, store_path)
        (row,) = stored_batches(store_path)
        assert row.status == "submitted" and row.batch_id == server.created()[0].id
        monkeypatch.setattr(BatchSession, "wait", real_wait)
        progress = Recorder()
        config = GradeConfig(
            store=store_path,
            judges=("gpt-4o",),
            batch=True,
            judge_base_url=server.base_url,
            poll_interval_s=0.001,
        )
        summary = grade(config, progress=progress)
        assert len(server.created()) == 1  # polled, never submitted again
    assert (summary.scored, summary.complete) == (3, True)
    assert [c for c in progress.calls if c[0] == "batches"] == [
        ("batches", 1, 0),
        ("batches", 1, 1),
    ]  # the resumed batch counts as submitted


def test_a_kill_after_the_results_were_fetched_makes_the_verdicts_without_asking_again(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from medjudge.judging.runner import JudgeRunner

    real = JudgeRunner.record

    def dies(self, *args, **kwargs):
        raise KeyboardInterrupt  # the replies are stored, no verdict is

    with FakeBatches(Script()) as server:
        monkeypatch.setattr(JudgeRunner, "record", dies)
        with pytest.raises(KeyboardInterrupt):
            batch_grade(server, store_path)
        assert verdicts(store_path) == []
        monkeypatch.setattr(JudgeRunner, "record", real)
        summary = batch_grade(server, store_path)
        assert len(server.created()) == 1
    assert (summary.scored, summary.complete) == (3, True)
    # What the first process spent counts once, as spent before this run.
    assert summary.cost_before_usd == pytest.approx(3 * GPT_EACH) and summary.cost_usd == 0


def test_a_stored_batch_the_provider_no_longer_knows_fails_loudly(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from medjudge.errors import ModelError
    from medjudge.models.batch.session import BatchSession

    async def killed(self, rows):
        raise KeyboardInterrupt

    with FakeBatches(Script()) as server:
        with monkeypatch.context() as patch:
            patch.setattr(BatchSession, "wait", killed)
            with pytest.raises(KeyboardInterrupt):
                batch_grade(server, store_path)
        (batch,) = server.created()
        server.batches.clear()  # another account's server, or the batch was deleted
        with pytest.raises(ModelError, match=f"polling batch {batch.id} failed.*HTTP 404"):
            batch_grade(server, store_path)
        assert server.created() == []  # nothing submitted in its place
    (row,) = stored_batches(store_path)
    assert (row.batch_id, row.status) == (batch.id, "submitted")


def run_grade_cli(server: FakeBatches, store: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medjudge",
            "grade",
            "--store",
            str(store),
            "--judge",
            "gpt-4o",
            "--judge-base-url",
            server.base_url,
            "--batch",
            "--poll-interval",
            "0.001",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_kill_between_submit_and_store_never_pays_twice(store_path: Path):
    # The server kills the grading process after it has accepted the batch and before its
    # reply reaches it: the store has the batch's intent and custom ids, not its id.
    started = threading.Event()
    grading: list[subprocess.Popen] = []

    def kill(batch) -> None:
        started.wait(60)  # the process handle is known before it is killed
        os.kill(grading[0].pid, signal.SIGKILL)

    with FakeBatches(Script()) as server:
        server.on_create = kill
        process = run_grade_cli(server, store_path)
        grading.append(process)
        started.set()
        process.wait(timeout=120)
        assert process.returncode == -signal.SIGKILL
        (intent,) = stored_batches(store_path)
        assert (intent.status, intent.batch_id) == ("submitting", None)
        server.on_create = None
        summary = batch_grade(server, store_path)
        (batch,) = server.created()  # the rerun adopted the orphan by its tag
    assert batch.metadata["medjudge_tag"] == intent.tag
    assert (summary.scored, summary.complete) == (3, True)
    (row,) = stored_batches(store_path)
    assert (row.batch_id, row.status) == (batch.id, "ended")


def test_an_anthropic_batch_accepted_but_never_stored_is_adopted(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
):
    real = Store.set_batch_submitted

    def dies(self, batch_row, batch_id):
        raise KeyboardInterrupt  # the process ends with the provider's id in hand

    with FakeBatches(Script()) as server:
        monkeypatch.setattr(Store, "set_batch_submitted", dies)
        with pytest.raises(KeyboardInterrupt):
            batch_grade(server, store_path, judge="claude-haiku-4-5")
        monkeypatch.setattr(Store, "set_batch_submitted", real)
        summary = batch_grade(server, store_path, judge="claude-haiku-4-5")
        (batch,) = server.created()
    assert (summary.scored, summary.complete) == (3, True)
    assert stored_batches(store_path)[0].batch_id == batch.id


def test_a_batch_never_accepted_is_freed_and_sent_once(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from medjudge.models.batch.openai import OpenAIBatchProvider

    real = OpenAIBatchProvider.submit

    async def dies(self, lines, tag):
        raise KeyboardInterrupt  # after the intent is written, before anything is sent

    with FakeBatches(Script()) as server:
        monkeypatch.setattr(OpenAIBatchProvider, "submit", dies)
        with pytest.raises(KeyboardInterrupt):
            batch_grade(server, store_path)
        monkeypatch.setattr(OpenAIBatchProvider, "submit", real)
        summary = batch_grade(server, store_path)
        assert len(server.created()) == 1
    assert summary.complete
    assert [b.status for b in stored_batches(store_path)] == ["abandoned", "ended"]


def test_a_create_whose_reply_is_lost_is_found_not_sent_again(store_path: Path):
    def drop(batch) -> None:
        raise ConnectionResetError  # the server made the batch; its reply never leaves

    with FakeBatches(Script()) as server:
        server.on_create = drop
        summary = batch_grade(server, store_path, max_attempts=3)
        assert len(server.created()) == 1
    assert summary.complete


def test_the_budget_is_reserved_for_a_whole_batch_before_it_is_sent(store_path: Path):
    # A job's worst case is its prompt's UTF-8 bytes as tokens at $1.25/M plus 1024 output
    # tokens at $5/M (≈ $0.0064 + $0.0051 ≈ $0.0115 for these prompts): two of the three jobs
    # fit into the first batch under $0.025, three ($0.0345) would not; when the first batch
    # settles at what it really cost ($0.002) the third fits.
    with FakeBatches(Script()) as server:
        summary = batch_grade(server, store_path, max_cost_usd=0.025)
        batches = server.created()
    rows = stored_batches(store_path)
    assert [len(b.lines) for b in batches] == [2, 1]
    assert rows[0].reserved_usd <= 0.025
    assert rows[1].reserved_usd <= 0.025 - 2 * GPT_EACH
    assert summary.complete and summary.cost_usd == pytest.approx(3 * GPT_EACH)


def test_a_budget_that_fits_no_request_sends_nothing(store_path: Path):
    with FakeBatches(Script()) as server:
        summary = batch_grade(server, store_path, max_cost_usd=0.0005)
        assert server.created() == [] and server.seen == []
    assert summary.not_sent_budget == 3 and not summary.complete
    assert stored_batches(store_path) == [] and verdicts(store_path) == []


def test_progress_shows_batches_submitted_and_ended_requests_and_spend(store_path: Path):
    progress = Recorder()
    script = Script(
        fault=lambda number, index, body: "invalid" if (number, index) == (0, 0) else None
    )
    with FakeBatches(script) as server:
        config = GradeConfig(
            store=store_path,
            judges=("gpt-4o",),
            judge_base_url=server.base_url,
            batch=True,
            poll_interval_s=0.001,
        )
        grade(config, progress=progress)
    assert progress.calls[0] == ("start", 3)
    assert [c for c in progress.calls if c[0] == "batches"] == [
        ("batches", 1, 0),
        ("batches", 1, 1),
        ("batches", 2, 1),
        ("batches", 2, 2),
    ]
    assert sum(c[1] for c in progress.calls if c[0] == "advance") == 3
    assert progress.calls[-1] == ("spend", round(4 * GPT_EACH, 6))


def test_the_python_api_grades_in_batches(store_path: Path):
    import medjudge as mj

    with FakeBatches(Script()) as server:
        summary = mj.grade(
            store=store_path,
            judges=["gpt-4o"],
            batch=True,
            judge_base_urls=[f"gpt-4o={server.base_url}"],
            poll_interval_s=0.001,
        )
        assert len(server.created()) == 1
    assert (summary.scored, summary.cost_usd) == (3, pytest.approx(3 * GPT_EACH))


def test_batch_mode_refuses_a_judge_without_a_batch_api_before_the_store_is_read(
    tmp_path: Path,
):
    missing = tmp_path / "never-made.sqlite"
    with pytest.raises(ConfigError, match="no batch API"):
        grade(
            GradeConfig(
                store=missing,
                judges=("openai-compatible/qwen",),
                judge_base_url="http://127.0.0.1:9/v1",
                batch=True,
            )
        )
    assert not missing.exists()


def test_the_api_key_never_reaches_the_store(store_path: Path):
    with FakeBatches(Script()) as server:
        batch_grade(server, store_path)
    for path in store_path.parent.glob("s.sqlite*"):
        assert SECRET.encode() not in path.read_bytes()


def test_the_cli_grades_in_batches_and_prints_the_spend(store_path: Path):
    with FakeBatches(Script()) as server:
        process = run_grade_cli(server, store_path)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "3 scored" in text and "$0.0030" in text
    assert "batches 1/1" in err.decode()
    assert len(verdicts(store_path)) == 3


def test_batch_requests_are_in_the_spend_ledger_at_the_batch_price(store_path: Path):
    with FakeBatches(Script()) as server:
        batch_grade(server, store_path)
        batch_grade(server, store_path)  # a rerun fetches nothing new and counts nothing twice
    with Store(store_path) as store:
        grading = [e for e in store.spend_entries() if e.stage == "grade"]
    # Each reply: 400 prompt + 100 completion tokens at gpt-4o's batch price, half of the
    # list $2.50 / $10 per M: $1.25 / $5 → (500 + 500) / 1e6 = $0.001.
    assert len(grading) == 3 and all(e.batch for e in grading)
    assert {(e.input_per_mtok, e.output_per_mtok) for e in grading} == {(1.25, 5.0)}
    assert sum(e.cost_usd for e in grading) == pytest.approx(3 * 0.001)


@pytest.mark.parametrize(("judge", "provider"), [("gpt-4o", "openai"),
                                                 ("claude-haiku-4-5", "anthropic")])
def test_the_grading_pass_records_that_it_went_through_the_batch_api(
    store_path: Path, judge: str, provider: str
):
    from typer.testing import CliRunner

    from medjudge.cli.main import app

    with FakeBatches(Script()) as server:
        batch_grade(server, store_path, judge=judge)
    with Store(store_path) as store:
        (grading,) = store.grading_passes()
    assert (grading.settings["mode"], grading.settings["batch_provider"]) == ("batch", provider)
    shown = CliRunner().invoke(
        app, ["runs", "show", grading.run_id, "--store", str(store_path)],
        env={"COLUMNS": "400"},
    )
    assert shown.exit_code == 0, shown.output
    assert f"│ batch API ({provider}) │" in shown.output
