"""The spend ledger of grading, through the real OpenAI SDK against a loopback server:
every billed request at hand-computed cost (re-asked and unscored ones too), nothing
counted twice on a rerun, a paid request kept through a crash, user prices, and --max-cost
across invocations from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.answered_store import answered_first_conversation
from support.fake_clients import FixedModel
from support.fake_openai import FakeOpenAI, Reply
from support.judge_replies import FittingVerdict
from typer.testing import CliRunner

from medjudge.cli.main import app
from medjudge.judging.grade import GradeConfig, grade
from medjudge.models.pricing import ModelPrice, Price
from medjudge.records import ChatRequest, Completion
from medjudge.store import Store

runner = CliRunner()
JUDGE = "openai/gpt-4o"  # list price $2.50 / $10.00 per million tokens
#: A request billing 1,234 in + 567 out at gpt-4o's list price:
#: (1,234 × 2.50 + 567 × 10.00) / 1e6 = (3,085 + 5,670) / 1e6 = $0.008755.
BILLED = {"prompt_tokens": 1234, "completion_tokens": 567}
EACH = 0.008755


@pytest.fixture(autouse=True)
def api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-key")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """LLMEval-Med's first conversation (3 open turns) answered by a local engine (free)."""
    return answered_first_conversation(tmp_path / "s.sqlite", "vllm/local", FixedModel("Take amlodipine."))


def judged(db_path: Path) -> list:
    with Store(db_path) as db:
        return [e for e in db.spend_entries() if e.stage == "grade"]


def grade_with(server: FakeOpenAI, store: Path, **overrides):
    return grade(
        GradeConfig(store=store, judges=(JUDGE,), judge_base_url=server.base_url, **overrides)
    )


def test_each_judge_request_is_in_the_ledger_at_its_hand_computed_cost(store: Path):
    with FakeOpenAI([Reply(text=FittingVerdict(4), **BILLED)]) as server:
        summary = grade_with(server, store)
    entries = judged(store)
    assert summary.scored == 3 and len(entries) == 3
    assert all(e.cost_usd == pytest.approx(EACH, abs=1e-12) for e in entries)
    assert {(e.input_per_mtok, e.output_per_mtok, e.batch) for e in entries} == {(2.5, 10.0, False)}
    with Store(store) as db:
        (grading_pass,) = db.grading_passes()
        (tally,) = [t for t in db.spend_tallies() if t.stage == "grade"]
    assert {e.pass_id for e in entries} == {grading_pass.pass_id}
    assert (tally.requests, tally.prompt_tokens, tally.completion_tokens) == (3, 3702, 1701)
    assert tally.cost_usd == pytest.approx(3 * EACH)  # $0.026265


def test_a_re_asked_request_is_counted(store: Path):
    # Attempt 0: an invalid reply (billed 1,234 + 567: $0.008755); attempt 1: a valid one
    # billing 1,000 + 100: (1,000 × 2.50 + 100 × 10) / 1e6 = $0.0035. Total $0.012255.
    script = [
        Reply(text="not a verdict", **BILLED),
        Reply(text=FittingVerdict(3), prompt_tokens=1000, completion_tokens=100),
    ]
    with FakeOpenAI(script) as server:
        grade_with(server, store, limit=1)
    entries = judged(store)
    assert [(e.attempt, e.prompt_tokens) for e in entries] == [(0, 1234), (1, 1000)]
    assert sum(e.cost_usd for e in entries) == pytest.approx(0.012255)
    with Store(store) as db:
        (verdict,) = db.verdicts()
    assert verdict.attempts == 2 and verdict.cost_usd == pytest.approx(0.012255)


def test_unscored_requests_are_counted_and_unbilled_failures_are_not(store: Path):
    with FakeOpenAI([Reply(text="{not json", **BILLED)]) as server:
        summary = grade_with(server, store, limit=1, reasks=2)
    assert summary.unscored == 1 and len(judged(store)) == 3  # three paid asks, no verdict
    with FakeOpenAI([Reply(status=500)]) as server:  # an HTTP error reports no usage
        grade_with(server, store, limit=1, runs=2, max_attempts=1)
    assert len(judged(store)) == 3


def test_a_rerun_counts_nothing_twice(store: Path):
    with FakeOpenAI([Reply(text=FittingVerdict(4), **BILLED)]) as server:
        grade_with(server, store)
        again = grade_with(server, store)
        assert len(server.seen) == 3
    assert again.already_done == 3 and len(judged(store)) == 3
    assert again.cost_before_usd == pytest.approx(3 * EACH)


class CrashingJudge:
    """An API judge whose first reply is invalid (billed) and whose second call is cut
    short by Ctrl-C, as a user stopping a run mid-chain."""

    name = "crashing"
    concurrency = 1

    def __init__(self, crash: bool) -> None:
        self.crash, self.calls = crash, 0

    async def complete(self, request: ChatRequest) -> Completion:
        self.calls += 1
        if self.calls == 1 and self.crash:
            return Completion(text="not a verdict", finish_reason="stop", **BILLED)
        if self.crash:
            raise KeyboardInterrupt
        body = {"response_format": {"json_schema": {"schema": request.json_schema or {}}}}
        return Completion(text=FittingVerdict(4)(body), finish_reason="stop", **BILLED)

    def generate(self, requests):  # pragma: no cover - an API client: complete() only
        raise NotImplementedError

    def close(self) -> None:
        pass


def test_a_crash_keeps_the_paid_request_and_the_rerun_adds_only_its_own(store: Path):
    config = GradeConfig(store=store, judges=(JUDGE,), limit=1)
    with pytest.raises(KeyboardInterrupt):
        grade(config, clients={JUDGE: CrashingJudge(crash=True)})
    (paid,) = judged(store)  # the re-asked reply was paid for: it is in the ledger
    assert paid.attempt == 0 and paid.cost_usd == pytest.approx(EACH)
    with Store(store) as db:
        assert db.verdicts() == []
    grade(config, clients={JUDGE: CrashingJudge(crash=False)})
    entries = judged(store)
    assert len(entries) == 2 and len({e.pass_id for e in entries}) == 2
    assert sum(e.cost_usd for e in entries) == pytest.approx(2 * EACH)


def test_user_prices_override_and_history_keeps_its_price(store: Path):
    mine = ModelPrice(model=JUDGE, price=Price(input_per_mtok=1.0, output_per_mtok=2.0))
    with FakeOpenAI([Reply(text=FittingVerdict(4), **BILLED)]) as server:
        grade_with(server, store, limit=1, prices=(mine,))
        grade_with(server, store, limit=1, runs=2)  # judge run 1 at the list price
    first, second = judged(store)
    # (1,234 × 1 + 567 × 2) / 1e6 = (1,234 + 1,134) / 1e6 = $0.002368.
    assert first.cost_usd == pytest.approx(0.002368) and first.input_per_mtok == 1.0
    assert second.cost_usd == pytest.approx(EACH) and second.input_per_mtok == 2.5


def _grade_cli(store: Path, url: str, *more: str):
    return runner.invoke(
        app,
        [
            "grade",
            "--store",
            str(store),
            "--judge",
            JUDGE,
            "--judge-base-url",
            url,
            "--runs",
            "8",
            *more,
        ],
    )


def test_max_cost_holds_across_two_invocations(store: Path):
    # 3 answers × 8 runs = 24 verdicts at $0.008755 each ($0.21); $0.05 pays for 5 of them.
    with FakeOpenAI([Reply(text=FittingVerdict(4), **BILLED)]) as server:
        first = _grade_cli(store, server.base_url, "--max-cost", "0.05")
        sent = len(server.seen)
        second = _grade_cli(store, server.base_url, "--max-cost", "0.05")
        assert first.exit_code == second.exit_code == 3
        assert "stopped at the budget" in first.output and len(server.seen) == sent
        spent = sum(e.cost_usd for e in judged(store))
        assert 1 <= sent <= 5 and spent == pytest.approx(sent * EACH) and spent <= 0.05
        done = _grade_cli(store, server.base_url, "--max-cost", "1")
    assert done.exit_code == 0, done.output
    assert sum(e.cost_usd for e in judged(store)) == pytest.approx(24 * EACH)


def test_a_priced_local_judge_can_have_a_budget(store: Path):
    with FakeOpenAI([Reply(text=FittingVerdict(4), **BILLED)]) as server:
        refused = runner.invoke(
            app, ["grade", "--store", str(store), "--judge", "openai/mystery", "--max-cost", "1"]
        )
        priced = runner.invoke(
            app,
            [
                "grade",
                "--store",
                str(store),
                "--judge",
                "openai-compatible/qwen",
                "--judge-base-url",
                server.base_url,
                "--max-cost",
                "1",
                "--price",
                "openai-compatible/qwen=0.5,1.5",
            ],
        )
    assert refused.exit_code == 2 and "--price openai/mystery=IN,OUT" in refused.output
    assert priced.exit_code == 0, priced.output
    # (1,234 × 0.5 + 567 × 1.5) / 1e6 = (617 + 850.5) / 1e6 = $0.0014675 each.
    assert [e.cost_usd for e in judged(store)] == pytest.approx([0.0014675] * 3)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--price", "gpt-4o=ten,20"], "--price 'gpt-4o=ten,20': 'ten,20' are not two numbers"),
        (["--price", "gpt-4o"], "--price 'gpt-4o': expected MODEL=IN,OUT"),
        (["--price-file", "prices.yaml"], "prices.yaml, line 2, key 'gpt-4o': unknown field"),
        (["--max-cost", "0"], "0.0 is not a positive amount of USD"),
    ],
)
def test_bad_prices_exit_2_naming_them_and_send_nothing(store: Path, args: list[str], says: str):
    Path("prices.yaml").write_text(
        "openai/gpt-4.1: {input: 2, output: 8}\ngpt-4o: {input: 2, outptu: 8}\n"
    )
    with FakeOpenAI([Reply(text=FittingVerdict(4))]) as server:
        result = runner.invoke(
            app, ["grade", "--store", str(store), "--judge-base-url", server.base_url, *args]
        )
    assert result.exit_code == 2 and says in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert server.seen == [] and judged(store) == []


def test_a_priced_local_judge_in_rounds_sends_only_what_fits(store: Path):
    from support.fake_clients import FittingJudge

    judge = "vllm/priced-judge"
    engine = FittingJudge()  # a batch engine: 7 in + 3 out per reply
    mine = ModelPrice(model=judge, price=Price(input_per_mtok=0.0, output_per_mtok=10.0))
    # Worst case a request: 100 × $10 / 1e6 = $0.001 (input free), and a round is in flight
    # at once: $0.0015 fits one of the three; it bills 3 × 10 / 1e6 = $0.00003.
    config = GradeConfig(store=store, judges=(judge,), prices=(mine,), max_tokens=100,
                         max_cost_usd=0.0015)
    summary = grade(config, clients={judge: engine})
    assert (summary.scored, summary.not_sent_budget) == (1, 2) and len(engine.requests) == 1
    (entry,) = judged(store)
    assert entry.model == judge and entry.cost_usd == pytest.approx(0.00003)
    again = grade(config, clients={judge: engine})  # $0.00003 before: one more fits
    assert (again.scored, again.not_sent_budget) == (1, 1)
    assert again.cost_before_usd == pytest.approx(0.00003)
