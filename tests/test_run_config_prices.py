"""Prices and the answering budget in a run file (`prices:`, `price_file:`,
`model.max_cost_usd`): read with their lines named when wrong, and used by `medjudge run`."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.fake_openai import FakeOpenAI, Reply

from medjudge.errors import ConfigError
from medjudge.pipeline import run_pipeline
from medjudge.run_config import RunConfigError, load_run_config, parse_run_config
from medjudge.store import Store

BASE = "store: s.sqlite\nbenchmark: {path: 'sample:anesbench', limit: 2}\n"


def test_prices_and_a_price_file_are_read_from_the_run_files_folder(tmp_path: Path):
    (tmp_path / "prices.yaml").write_text(
        "gpt-4o: {input: 1, output: 2}\nvllm/m: {input: 0.5, output: 0.5}\n"
    )
    run_file = tmp_path / "evaluation.yaml"
    run_file.write_text(
        BASE + "price_file: prices.yaml\nprices:\n  gpt-4o: {input: 3, output: 4}\n"
    )
    config = load_run_config(run_file)
    assert config.price_file == tmp_path / "prices.yaml"
    # The file's prices first, then the run file's own: the later one wins in price_for.
    assert [(p.model, p.price.input_per_mtok) for p in config.user_prices()] == [
        ("openai/gpt-4o", 1.0),
        ("vllm/m", 0.5),
        ("openai/gpt-4o", 3.0),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "prices:\n  gpt-4o: {input: 1, ouput: 2}\n",
            "line 4, field 'prices.gpt-4o.output': Field required (and 1 more",
        ),
        ("prices:\n  gpt-4o: {input: -1, output: 2}\n", "line 4, field 'prices.gpt-4o.input'"),
        ("prices:\n  mystery: {input: 1, output: 2}\n", "unknown model 'mystery'"),
        ("model:\n  max_cost_usd: 0\n", "field 'model.max_cost_usd'"),
    ],
)
def test_a_bad_price_in_a_run_file_names_its_line_and_field(text: str, says: str):
    with pytest.raises(RunConfigError) as caught:
        parse_run_config(BASE + text)
    assert says in str(caught.value)


def test_a_bad_price_file_stops_before_anything_runs(tmp_path: Path):
    (tmp_path / "prices.yaml").write_text("gpt-4o: {input: 1}\n")
    run_file = tmp_path / "evaluation.yaml"
    run_file.write_text(BASE + "price_file: prices.yaml\n")
    with pytest.raises(ConfigError, match="prices.yaml, line 1, key 'gpt-4o'"):
        run_pipeline(load_run_config(run_file))
    assert not (tmp_path / "s.sqlite").exists()


def test_the_run_prices_answering_and_stops_at_its_budget(tmp_path: Path):
    with FakeOpenAI([Reply(text="Answer: B", prompt_tokens=1000, completion_tokens=50)]) as s:
        run_file = tmp_path / "evaluation.yaml"
        # Worst case a turn: 100 × $10 / 1e6 = $0.001 (input free); each reply bills
        # 50 × 10 / 1e6 = $0.0005; $0.0012 pays for the first of the two items only.
        run_file.write_text(
            "store: s.sqlite\nbenchmark: {path: 'sample:anesbench', limit: 2}\n"
            f"model:\n  name: openai-compatible/m\n  base_url: {s.base_url}\n"
            "  concurrency: 1\n  max_cost_usd: 0.0012\n"
            "  sampling: {max_tokens: 100}\n"
            "prices:\n  openai-compatible/m: {input: 0, output: 10}\n"
        )
        result = run_pipeline(load_run_config(run_file))
    assert len(s.seen) == 1 and not result.complete and result.stopped_at == "answer"
    assert "1 turns not asked (budget" in result.stages[0].summary
    with Store(tmp_path / "s.sqlite") as db:
        (entry,) = db.spend_entries()
    assert entry.cost_usd == pytest.approx(0.0005) and entry.output_per_mtok == 10.0
