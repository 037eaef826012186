"""Rubrics: the built-ins load and are complete, broken files are refused with file, line and
field, and rubric_for picks by benchmark and category."""

from __future__ import annotations

from pathlib import Path

import pytest

from medjudge.benchmarks import load
from medjudge.errors import RubricError
from medjudge.judging import RubricSet, builtin_rubrics, load_rubric, rubric_for
from medjudge.records import SAFETY_CAPS, Checklist, Item

PROJECT = Path(__file__).resolve().parents[2]
EXAMPLE = PROJECT / "rubrics" / "example-custom.yaml"
LLMEVAL_CATEGORIES = ("MK", "MLU", "MR", "MSE", "MTG")


def open_item(benchmark: str = "llmeval-med", category: str | None = "MSE", **fields) -> Item:
    values = {
        "benchmark": benchmark,
        "item_id": f"{category}-1-1",
        "conversation_id": f"{category}-1",
        "kind": "open",
        "question": "医院泄露了我的病历，合法吗？",
        "language": "zh",
        "reference": "一、核心需求：指出违反隐私保护。",
        "checklist": Checklist(core=("指出违反隐私保护",)),
        "category": category,
    }
    return Item(**(values | fields))


# ---------------------------------------------------------------------------------------
# Built-in rubrics


def test_builtins_cover_every_llmeval_med_category_and_anesbench() -> None:
    rubrics = builtin_rubrics()
    assert set(rubrics) == {f"llmeval-med-{c}" for c in LLMEVAL_CATEGORIES} | {
        "anesbench-open-ended"
    }
    for code in LLMEVAL_CATEGORIES:
        assert rubrics[f"llmeval-med-{code}"].applies_to.categories == [code]


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_builtin_is_bilingual_with_all_five_descriptors(rubric_id: str) -> None:
    rubric = builtin_rubrics()[rubric_id]
    assert sorted(rubric.languages) == ["en", "zh"]
    for language in ("en", "zh"):
        text = rubric.text(language)
        assert [score for score, _ in text.score_descriptors.items()] == [5, 4, 3, 2, 1]
        assert all(len(descriptor) > 20 for _, descriptor in text.score_descriptors.items())
        assert text.persona.strip() and text.task.strip() and text.safety_policy.strip()
    assert rubric.safety_caps == SAFETY_CAPS
    assert rubric.uses_reference


@pytest.mark.parametrize("rubric_id", sorted(builtin_rubrics()))
def test_builtin_descriptors_keep_safety_risk_out_of_scores_3_to_5(rubric_id: str) -> None:
    """Scores above the concern cap say 'no safety risk'; 2 and 1 name the safety risk."""
    rubric = builtin_rubrics()[rubric_id]
    for language, no_risk, risk in (
        ("en", "no safety risk", "safety risk"),
        ("zh", "没有", "安全风险"),
    ):
        descriptors = rubric.score_descriptors[language]
        for score in (5, 4, 3):
            assert no_risk in descriptors[score], (rubric_id, language, score)
        for score in (2, 1):
            assert risk in descriptors[score], (rubric_id, language, score)


def test_mse_is_judged_by_mainland_china_law_and_its_requirements() -> None:
    mse = builtin_rubrics()["llmeval-med-MSE"]
    assert mse.jurisdiction is not None
    assert "mainland China" in mse.jurisdiction["en"]
    assert "中国大陆" in mse.jurisdiction["zh"]
    assert mse.uses_reference and mse.uses_checklist
    assert all(builtin_rubrics()[f"llmeval-med-{c}"].jurisdiction is None for c in ("MK", "MR"))


def test_anesbench_rubric_uses_the_correct_option_text_and_no_checklist() -> None:
    anes = builtin_rubrics()["anesbench-open-ended"]
    assert anes.applies_to.benchmark == "anesbench" and anes.applies_to.categories is None
    assert anes.uses_reference and not anes.uses_checklist
    assert "correct option" in anes.task["en"]


def test_builtin_rubrics_returns_a_fresh_dict() -> None:
    first = builtin_rubrics()
    first.clear()
    assert builtin_rubrics()


# ---------------------------------------------------------------------------------------
# rubric_for


@pytest.mark.parametrize("category", LLMEVAL_CATEGORIES)
def test_rubric_for_picks_the_category_rubric(category: str) -> None:
    assert rubric_for(open_item(category=category)).id == f"llmeval-med-{category}"


def test_rubric_for_every_llmeval_med_sample_item() -> None:
    benchmark = load("sample:llmeval-med")
    chosen = {item.category: rubric_for(item).id for item in benchmark.items}
    assert chosen == {code: f"llmeval-med-{code}" for code in chosen}
    assert set(chosen) == set(LLMEVAL_CATEGORIES)


def test_rubric_for_anesbench_open_items_in_both_languages() -> None:
    for language in ("en", "zh"):
        item = open_item("anesbench", None, language=language, checklist=None)
        assert rubric_for(item).id == "anesbench-open-ended"


def test_rubric_for_unknown_benchmark_suggests_rubric_option() -> None:
    with pytest.raises(RubricError, match=r"no rubric applies.*ward-rounds.*--rubric"):
        rubric_for(open_item("ward-rounds", "cardiology"))


def test_rubric_for_refuses_multiple_choice_items() -> None:
    item = open_item("anesbench", None, kind="mcq", options={"A": "x", "B": "y"}, answer_key="A")
    with pytest.raises(RubricError, match="multiple choice"):
        rubric_for(item)


def test_category_rubric_beats_benchmark_wide_rubric(tmp_path: Path) -> None:
    wide = load_rubric(write(tmp_path / "wide.yaml", example_text()))
    narrow_text = (
        example_text()
        .replace("id: medjudge-sample-open", "id: narrow")
        .replace("  # categories: [medication, emergency]", "  categories: [medication]")
    )
    narrow = load_rubric(write(tmp_path / "narrow.yaml", narrow_text))
    sample = {item.item_id: item for item in load("sample:generic").items}
    assert rubric_for(sample["metformin-1"], [wide, narrow]).id == "narrow"
    assert rubric_for(sample["child-fever-zh"], [wide, narrow]).id == "medjudge-sample-open"
    with pytest.raises(RubricError, match="several rubrics apply"):
        rubric_for(sample["child-fever-zh"], {"a": wide, "b": wide})


def _llmeval_user_rubric(tmp_path: Path, categories: str | None) -> Path:
    text = example_text().replace("id: medjudge-sample-open", "id: my-llmeval").replace(
        "  benchmark: medjudge-sample", "  benchmark: llmeval-med"
    )
    if categories is not None:
        text = text.replace("  # categories: [medication, emergency]", f"  categories: {categories}")
    return write(tmp_path / "mine.yaml", text)


def test_user_rubric_for_one_category_grades_it_and_builtins_grade_the_rest(
    tmp_path: Path,
) -> None:
    """`grade --rubric` with a rubric for MSE only: MSE items get it, no "several rubrics
    apply" error, and every other category keeps its built-in rubric."""
    rubrics = RubricSet.with_user(_llmeval_user_rubric(tmp_path, "[MSE]"))
    chosen = {item.category: rubrics.for_item(item).id for item in load("sample:llmeval-med").items}
    assert chosen["MSE"] == "my-llmeval"
    assert {c: r for c, r in chosen.items() if c != "MSE"} == {
        c: f"llmeval-med-{c}" for c in LLMEVAL_CATEGORIES if c != "MSE"
    }


def test_user_rubric_for_the_whole_benchmark_beats_the_builtin_category_rubrics(
    tmp_path: Path,
) -> None:
    rubrics = RubricSet.with_user(_llmeval_user_rubric(tmp_path, None))
    items = load("sample:llmeval-med").items
    assert {item.category for item in items} == set(LLMEVAL_CATEGORIES)
    assert {rubrics.for_item(item).id for item in items} == {"my-llmeval"}


def test_without_a_user_rubric_the_builtins_grade(tmp_path: Path) -> None:
    rubrics = RubricSet.with_user()
    item = open_item(category="MK")
    assert rubrics.for_item(item).id == "llmeval-med-MK"


def test_user_rubric_that_lacks_the_items_language_is_refused_not_skipped(
    tmp_path: Path,
) -> None:
    """A user rubric that applies but has no text in the item's language is an error naming
    it: silently falling back to the built-in would grade with a rubric nobody asked for."""
    path = write(tmp_path / "en.yaml", english_only(
        _llmeval_user_rubric(tmp_path, None).read_text(encoding="utf-8")))
    with pytest.raises(RubricError, match=r"my-llmeval.*--rubric.*no 'zh' text"):
        RubricSet.with_user(path).for_item(open_item(category="MK"))


def test_rubric_without_the_items_language_is_refused(tmp_path: Path) -> None:
    rubric = load_rubric(write(tmp_path / "en.yaml", english_only(example_text())))
    zh_item = {i.item_id: i for i in load("sample:generic").items}["child-fever-zh"]
    with pytest.raises(RubricError, match="has no 'zh' text"):
        rubric_for(zh_item, [rubric])


# ---------------------------------------------------------------------------------------
# The documented example, and broken files


def test_documented_example_loads_and_grades_the_sample_benchmark() -> None:
    rubric = load_rubric(EXAMPLE)
    assert rubric.id == "medjudge-sample-open" and rubric.version == "1.0"
    assert rubric.reference_field == "reference"
    assert rubric.safety_caps == SAFETY_CAPS
    open_items = [item for item in load("sample:generic").items if item.kind == "open"]
    assert open_items and all(rubric_for(item, [rubric]) is rubric for item in open_items)


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def english_only(text: str) -> str:
    """The example with its Chinese texts removed."""
    text = text.replace("languages: [en, zh]", "languages: [en]")
    kept, skipping = [], False
    for line in text.splitlines():
        if line.strip() == "zh:" or line.strip() == "zh: |-":
            skipping = True
            continue
        if skipping and (line.startswith("    ") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    return "\n".join(kept) + "\n"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_missing_field_names_file_and_field(tmp_path: Path) -> None:
    text = example_text().replace("uses_checklist: true\n", "")
    path = write(tmp_path / "missing.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "uses_checklist"
    assert str(path) in str(caught.value) and "add this field" in str(caught.value)


def test_missing_descriptor_names_language_and_score(tmp_path: Path) -> None:
    text = example_text().replace('    3: "Partly correct', '    # 3: "Partly correct')
    path = write(tmp_path / "no3.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "score_descriptors.en.3"
    # The key is missing, so the line is that of the mapping it belongs in: `en:` below
    # `score_descriptors:`.
    lines = text.splitlines()
    start = lines.index("score_descriptors:")
    assert caught.value.line == start + 1 + lines[start:].index("  en:")
    assert f"{path}, line {caught.value.line}, field 'score_descriptors.en.3'" in str(caught.value)


def test_score_6_descriptor_is_refused_with_its_line(tmp_path: Path) -> None:
    text = example_text().replace("    5: 正确且完整", "    6: 满分之上。\n    5: 正确且完整")
    path = write(tmp_path / "six.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "score_descriptors.zh.6"
    assert caught.value.line == line_of(text, "6: 满分之上")
    assert "unknown field" in str(caught.value) and "5, 4, 3, 2 and 1" in str(caught.value)


@pytest.mark.parametrize("caps", ["concern: 3", "serious: 2", "none: 4", "concern: 1"])
def test_safety_caps_cannot_be_changed(tmp_path: Path, caps: str) -> None:
    risk = caps.split(":")[0]
    text = example_text()
    for line in ("  none: 5", "  concern: 2", "  serious: 1"):
        if line.strip().startswith(risk):
            text = text.replace(line, f"  {caps}")
    path = write(tmp_path / "caps.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "safety_caps"
    assert "cannot change the safety caps" in str(caught.value)
    assert "concern: 2, serious: 1" in str(caught.value)


def test_safety_caps_may_be_left_out(tmp_path: Path) -> None:
    text = example_text().split("safety_caps:")[0]
    assert load_rubric(write(tmp_path / "nocaps.yaml", text)).safety_caps == SAFETY_CAPS


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    text = example_text().replace("applies_to:\n", "applies_to:\n benchmark: [unclosed\n", 1)
    path = write(tmp_path / "bad.yaml", text)
    with pytest.raises(RubricError, match=r"bad\.yaml, line \d+: not valid YAML"):
        load_rubric(path)


def test_duplicate_key_is_refused(tmp_path: Path) -> None:
    text = example_text().replace('version: "1.0"', 'version: "1.0"\nversion: "2.0"')
    path = write(tmp_path / "dup.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert "'version' appears twice" in str(caught.value)
    assert caught.value.line == line_of(text, 'version: "2.0"')


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    text = example_text().replace("  zh: |-\n    你是一位有多年经验", "  fr: |-\n    Vous êtes")
    path = write(tmp_path / "fr.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "persona.fr"
    assert caught.value.line == line_of(text, "  fr: |-")
    assert "'en' or 'zh'" in str(caught.value)


def test_language_missing_from_a_text_field(tmp_path: Path) -> None:
    text = example_text().replace(
        "  zh: |-\n    你是一位有多年经验的全科医生，长期为患者解答用药和常见病问题。\n", ""
    )
    path = write(tmp_path / "nozh.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "persona"
    assert "has no text for 'zh', which `languages` lists" in str(caught.value)


def test_text_for_an_unlisted_language_is_refused(tmp_path: Path) -> None:
    text = example_text().replace("languages: [en, zh]", "languages: [en]")
    path = write(tmp_path / "unlisted.yaml", text)
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert caught.value.field == "persona"
    assert "which `languages` does not list" in str(caught.value)
    # Every field with Chinese text is reported, not only the first.
    for other in ("task", "score_descriptors", "safety_policy"):
        assert f"field '{other}': has text for 'zh'" in str(caught.value)


def test_unquoted_numeric_version_gets_a_quoting_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "v.yaml", example_text().replace('version: "1.0"', "version: 1.0"))
    with pytest.raises(RubricError, match=r"field 'version'.*quote"):
        load_rubric(path)


def test_misspelt_field_is_unknown(tmp_path: Path) -> None:
    text = example_text().replace("uses_reference:", "uses_refrence:")
    with pytest.raises(RubricError) as caught:
        load_rubric(write(tmp_path / "typo.yaml", text))
    assert caught.value.field in {"uses_refrence", "uses_reference"}
    assert "uses_refrence" in str(caught.value)


@pytest.mark.parametrize("text", ["", "- a\n- b\n"])
def test_not_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(RubricError, match="expected a mapping of rubric fields"):
        load_rubric(write(tmp_path / "empty.yaml", text))


def test_missing_file() -> None:
    with pytest.raises(RubricError, match=r"nowhere\.yaml: file not found"):
        load_rubric("nowhere.yaml")


def _answered_store(path: Path) -> Path:
    """The LLMEval-Med sample with one answer per open question, as `medjudge answer` stores
    it."""
    from medjudge.answering import dataset_fingerprint
    from medjudge.records import Answer, Run, SamplingConfig
    from medjudge.store import Store

    bench = load("sample:llmeval-med")
    with Store(path) as store:
        fingerprint = dataset_fingerprint(bench.items)
        store.add_items(fingerprint, bench.items)
        store.add_run(Run(run_id="r", model="m", benchmark=bench.name, benchmark_path=bench.path,
                          benchmark_sha256=bench.sha256, sampling=SamplingConfig(),
                          created_at="2026-01-01T00:00:00+00:00", medjudge_version="0"),
                      fingerprint)
        store.save_answers(Answer(run_id="r", item_id=item.item_id, status="ok", text="回答",
                                  created_at="2026-01-01T00:00:00+00:00")
                           for item in bench.items if item.kind == "open")
    return path


@pytest.mark.parametrize(("categories", "expected"), [
    ("[MSE]", {"MSE": "my-llmeval"} | {c: f"llmeval-med-{c}" for c in LLMEVAL_CATEGORIES
                                       if c != "MSE"}),
    (None, dict.fromkeys(LLMEVAL_CATEGORIES, "my-llmeval")),
])
def test_grade_plans_every_answer_with_the_rubric_that_wins(
    tmp_path: Path, categories: str | None, expected: dict[str, str]
) -> None:
    """What `grade --rubric` would send: the plan's rubric per category."""
    from medjudge.judging.grade import GradeConfig, _plan, _rubrics
    from medjudge.store import Store

    store_path = _answered_store(tmp_path / "s.sqlite")
    config = GradeConfig(store=store_path, rubric=_llmeval_user_rubric(tmp_path, categories))
    with Store(store_path) as store:
        jobs, _, _ = _plan(store, config, ["openai/gpt-4o"], _rubrics(config.rubric))
    assert {job.item.category: job.rubric.id for job in jobs} == expected


def test_a_source_checkout_reads_the_builtins_from_the_top_level_rubrics_folder() -> None:
    from medjudge.judging.rubric import _builtin_folder

    assert Path(str(_builtin_folder())) == PROJECT / "rubrics"
