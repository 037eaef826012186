"""The user's prices: `--price MODEL=IN,OUT`, a price file, Python mappings; each mistake
is a PriceError naming the option or file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from medjudge.errors import PriceError
from medjudge.prices import as_prices, parse_price_option, read_price_file, user_prices


def test_a_price_option_is_read_with_the_models_canonical_name():
    entry = parse_price_option("gpt-4o=2.5,10")
    assert entry.model == "openai/gpt-4o"
    assert (entry.price.input_per_mtok, entry.price.output_per_mtok) == (2.5, 10.0)
    assert parse_price_option("vllm/org/m=0,0.25").model == "vllm/org/m"


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("gpt-4o", "expected MODEL=IN,OUT"),
        ("gpt-4o=2.5", "expected MODEL=IN,OUT"),
        ("gpt-4o=two,10", "are not two numbers"),
        ("gpt-4o=-1,10", "from 0 to 10000"),
        ("gpt-4o=nan,10", "from 0 to 10000"),
        ("mystery=1,2", "unknown model 'mystery'"),
    ],
)
def test_a_bad_price_option_names_itself(entry: str, says: str):
    with pytest.raises(PriceError, match=says) as caught:
        parse_price_option(entry)
    assert str(caught.value).startswith(f"--price '{entry}'")


def test_a_price_file_in_yaml_or_json(tmp_path: Path):
    yaml_file = tmp_path / "prices.yaml"
    yaml_file.write_text(
        "# USD per million tokens\nopenai/gpt-4o: {input: 2, output: 8}\n"
        "vllm/qwen:\n  input: 0.05\n  output: 0.1\n",
        encoding="utf-8",
    )
    json_file = tmp_path / "prices.json"
    json_file.write_text('{"claude-haiku-4-5": {"input": 0.8, "output": 4}}')
    assert [(e.model, e.price.output_per_mtok) for e in read_price_file(yaml_file)] == [
        ("openai/gpt-4o", 8.0),
        ("vllm/qwen", 0.1),
    ]
    assert read_price_file(json_file)[0].model == "anthropic/claude-haiku-4-5"
    # --price entries come after the file's, so they win in price_for.
    both = user_prices(["gpt-4o=1,1"], yaml_file)
    assert [e.model for e in both] == ["openai/gpt-4o", "vllm/qwen", "openai/gpt-4o"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "gpt-4o: {input: 2, output: 8}\nclaude-haiku-4-5: {input: 1, ouput: 5}\n",
            "line 2, key 'claude-haiku-4-5': unknown field 'ouput'",
        ),
        ("gpt-4o: {input: 2}\n", "line 1, key 'gpt-4o': 'output' is missing"),
        ("gpt-4o: {input: 2, output: -8}\n", "line 1, key 'gpt-4o': "),
        ("gpt-4o: 2.5\n", "key 'gpt-4o': expected a mapping with input and output"),
        ("\n\nnope: {input: 1, output: 1}\n", "line 3, key 'nope': unknown model 'nope'"),
        ("gpt-4o: {input: 2, output: 8\n", "not valid YAML"),
        ("- gpt-4o\n", "expected a mapping of models to prices"),
        ("gpt-4o: {input: 1, output: 1}\ngpt-4o: {input: 2, output: 2}\n", "appears twice"),
    ],
)
def test_a_bad_price_file_names_the_file_line_and_key(tmp_path: Path, text: str, says: str):
    path = tmp_path / "prices.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PriceError) as caught:
        read_price_file(path)
    assert str(caught.value).startswith(str(path)) and says in str(caught.value)


def test_a_missing_price_file_is_named(tmp_path: Path):
    with pytest.raises(PriceError, match="nowhere.yaml: file not found"):
        read_price_file(tmp_path / "nowhere.yaml")


def test_prices_from_python():
    from medjudge.models.pricing import Price

    got = as_prices({"gpt-4o": (2, 8), "vllm/m": Price(input_per_mtok=1, output_per_mtok=1)})
    assert [(e.model, e.price.output_per_mtok) for e in got] == [
        ("openai/gpt-4o", 8.0),
        ("vllm/m", 1.0),
    ]
    assert as_prices(["gpt-4o=1,2"])[0].price.output_per_mtok == 2.0
    with pytest.raises(PriceError, match="key 'gpt-4o'"):
        as_prices({"gpt-4o": "cheap"})
