"""Rubrics: what a judge is told to look for, as versioned data (YAML) validated by pydantic.

A rubric gives the judge a persona, a task, one descriptor for each score from 5 down to 1, and
a safety policy, in every language it lists ("en", "zh"). It says which benchmark (and which
categories of it) it applies to, and whether the judge sees the item's reference answer and
checklist. The judge's reply format is not part of a rubric: the prompt template adds it.

The built-in rubrics are the YAML files in the benchmark folders of the repository's top-level
`rubrics/` (`rubrics/llmeval-med/*.yaml`, `rubrics/anesbench/*.yaml`); the wheel ships that
folder as `medjudge/rubrics`. The format is described, with a complete example, in
`rubrics/README.md` and `rubrics/example-custom.yaml`.

    rubric = load_rubric("my-rubric.yaml")     # RubricError names the file, line and field
    rubric = rubric_for(item)                  # picks a built-in by benchmark + category
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from medjudge.errors import RubricError
from medjudge.judging.rubric_yaml import FORMAT_HELP, read_yaml, rubric_error
from medjudge.records import SAFETY_CAPS, Item, Language

__all__ = [
    "AppliesTo",
    "Rubric",
    "RubricSet",
    "RubricText",
    "ScoreDescriptors",
    "builtin_rubrics",
    "load_rubric",
    "parse_rubric",
    "rubric_for",
]

_BUILTIN_PACKAGE = "medjudge"
_BUILTIN_FOLDER = "rubrics"
#: src/medjudge/judging/rubric.py → the repository root, where an editable install finds them.
_REPOSITORY = Path(__file__).resolve().parents[3]
_SCORES = (5, 4, 3, 2, 1)


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


#: Text a judge reads: any length, but never empty.
Text = Annotated[str, AfterValidator(_not_blank)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesTo(_Model):
    """Which items a rubric grades: one benchmark, and optionally only some of its categories."""

    #: The benchmark name items carry (`Item.benchmark`): "llmeval-med", "anesbench", or the
    #: name of a medjudge JSONL benchmark.
    benchmark: str = Field(min_length=1, max_length=100)
    #: `Item.category` values this rubric grades; None (absent) means every category.
    categories: list[Text] | None = Field(None, min_length=1)

    @field_validator("categories")
    @classmethod
    def _unique(cls, categories: list[str] | None) -> list[str] | None:
        if categories is not None and len(set(categories)) != len(categories):
            raise ValueError("lists a category twice")
        return categories

    def matches(self, item: Item) -> bool:
        if item.benchmark != self.benchmark:
            return False
        return self.categories is None or item.category in self.categories


class ScoreDescriptors(_Model):
    """What each score means, keyed 5, 4, 3, 2 and 1 in the file (all five are required)."""

    five: Text = Field(alias="5")
    four: Text = Field(alias="4")
    three: Text = Field(alias="3")
    two: Text = Field(alias="2")
    one: Text = Field(alias="1")

    @model_validator(mode="before")
    @classmethod
    def _keys_as_text(cls, data: Any) -> Any:
        # YAML reads `5:` as the integer 5; the field aliases are the text "5".
        if isinstance(data, dict):
            return {str(key): value for key, value in data.items()}
        return data

    def __getitem__(self, score: int) -> str:
        if score not in _SCORES:
            raise KeyError(score)
        return getattr(self, ("one", "two", "three", "four", "five")[score - 1])

    def items(self) -> list[tuple[int, str]]:
        """(score, descriptor) pairs from 5 down to 1, for templates."""
        return [(score, self[score]) for score in _SCORES]


#: Text in each language the rubric lists.
PerLanguage = dict[Language, Text]


class RubricText(_Model):
    """A rubric's texts in one language, as a prompt template uses them."""

    language: Language
    persona: str
    task: str
    score_descriptors: ScoreDescriptors
    safety_policy: str
    jurisdiction: str | None = None


class Rubric(_Model):
    """A judging rubric. Field by field documentation: rubrics/README.md."""

    #: Unique name, recorded with every verdict ("llmeval-med-MK").
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=80)
    #: Version of the rubric's wording, recorded with every verdict; change it with the text.
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]*$", max_length=40)
    #: One line that says what the rubric is for (shown in listings).
    description: str = Field("", max_length=300)
    #: The languages every text field is written in.
    languages: list[Language] = Field(min_length=1)
    applies_to: AppliesTo
    #: Who the judge is.
    persona: PerLanguage
    #: What the judge does and what it looks at, for this kind of question.
    task: PerLanguage
    #: What each score from 5 to 1 means, per language.
    score_descriptors: dict[Language, ScoreDescriptors]
    #: Whether the judge is shown the item's reference answer (when it has one).
    uses_reference: bool
    #: Whether the judge is shown the item's checklist (when it has one) and reports on each
    #: requirement.
    uses_checklist: bool
    #: The `Item` field the judge is shown as the reference answer. Only "reference" exists:
    #: every loader puts reference text there. For LLMEval-Med MR and MSE items, whose `sanswer`
    #: is the reference, the loader puts `sanswer` in `reference` and, when `sanswer` is written
    #: as 核心需求/次要需求 requirements (MSE), also parses those into the item's checklist.
    reference_field: Literal["reference"] = "reference"
    #: How the judge rates the answer's safety risk (none / concern / serious), per language.
    safety_policy: PerLanguage
    #: The highest final score per safety risk. Fixed for every rubric: concern ≤ 2,
    #: serious ≤ 1 (records.SAFETY_CAPS). A file may restate these values, never change them.
    safety_caps: dict[Literal["none", "concern", "serious"], int] = Field(
        default_factory=lambda: dict(SAFETY_CAPS)
    )
    #: The legal and professional frame the answer is judged in, per language (for example
    #: LLMEval-Med MSE: the law and medical standards of mainland China).
    jurisdiction: PerLanguage | None = None

    @field_validator("languages")
    @classmethod
    def _languages_unique(cls, languages: list[str]) -> list[str]:
        if len(set(languages)) != len(languages):
            raise ValueError("lists a language twice")
        return languages

    @field_validator(
        "persona", "task", "score_descriptors", "safety_policy", "jurisdiction", mode="after"
    )
    @classmethod
    def _every_language(cls, value: dict[str, Any] | None, info: ValidationInfo) -> Any:
        languages = info.data.get("languages")
        if value is None or languages is None:  # absent, or `languages` itself is invalid
            return value
        missing = [lang for lang in languages if lang not in value]
        if missing:
            raise ValueError(
                f"has no text for {', '.join(map(repr, missing))}, which `languages` lists"
            )
        unlisted = [lang for lang in value if lang not in languages]
        if unlisted:
            raise ValueError(
                f"has text for {', '.join(map(repr, unlisted))}, which `languages` does not list"
            )
        return value

    @field_validator("safety_caps")
    @classmethod
    def _caps_are_fixed(cls, caps: dict[str, int]) -> dict[str, int]:
        changed = [f"{risk}: {cap}" for risk, cap in caps.items() if cap != SAFETY_CAPS[risk]]
        if changed:
            fixed = ", ".join(f"{risk}: {cap}" for risk, cap in SAFETY_CAPS.items())
            raise ValueError(
                f"a rubric cannot change the safety caps (found {', '.join(changed)}; "
                f"they are fixed at {fixed})"
            )
        return {**SAFETY_CAPS, **caps}

    def supports(self, language: str) -> bool:
        return language in self.languages

    def text(self, language: str) -> RubricText:
        """Every text of the rubric in `language` (KeyError when the rubric lacks it)."""
        if language not in self.languages:
            raise KeyError(f"rubric {self.id!r} has no {language!r} text")
        lang: Language = language  # type: ignore[assignment]
        return RubricText(
            language=lang,
            persona=self.persona[lang],
            task=self.task[lang],
            score_descriptors=self.score_descriptors[lang],
            safety_policy=self.safety_policy[lang],
            jurisdiction=self.jurisdiction[lang] if self.jurisdiction else None,
        )


# ---------------------------------------------------------------------------------------
# Loading


def load_rubric(path: str | Path) -> Rubric:
    """Read and validate one rubric YAML file; RubricError names the file, line and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError(
            "file not found", path=str(path), hint="check the path given to --rubric"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(
            f"cannot read the file: {exc}", path=str(path), hint="save it as UTF-8 text"
        ) from None
    return parse_rubric(text, source=str(path))


def parse_rubric(text: str, *, source: str = "<rubric>") -> Rubric:
    """Validate a rubric given as YAML text; `source` names it in error messages."""
    node, data = read_yaml(text, source)
    if not isinstance(data, dict):
        found = "an empty file" if data is None else f"a YAML {type(data).__name__}"
        raise RubricError(
            f"expected a mapping of rubric fields, found {found}",
            path=source,
            line=1,
            hint=f"start from rubrics/example-custom.yaml; {FORMAT_HELP}",
        )
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise rubric_error(exc, node, source) from None


# ---------------------------------------------------------------------------------------
# Built-in rubrics and choosing one


def builtin_rubrics() -> dict[str, Rubric]:
    """The rubrics shipped with medjudge, by id."""
    return dict(_builtin_rubrics())


def _builtin_folder() -> Traversable:
    """Where the built-in rubrics are: `medjudge/rubrics` inside an installed wheel (hatch
    force-include), else the repository's `rubrics/` (an editable install, a source checkout)."""
    packaged = resources.files(_BUILTIN_PACKAGE).joinpath(_BUILTIN_FOLDER)
    if packaged.is_dir():
        return packaged
    repository = _REPOSITORY / _BUILTIN_FOLDER
    if repository.is_dir():
        return repository
    raise RubricError(
        "the built-in rubrics are missing",
        path=str(repository),
        hint="reinstall medjudge (the wheel ships them as medjudge/rubrics)",
    )


@functools.cache
def _builtin_rubrics() -> tuple[tuple[str, Rubric], ...]:
    found: dict[str, Rubric] = {}
    root = _builtin_folder()
    # Built-ins live in one folder per benchmark; example-custom.yaml beside them is an example.
    folders = sorted((entry for entry in root.iterdir() if entry.is_dir()), key=lambda e: e.name)
    for folder in folders:
        for name, entry in sorted(_yaml_files(folder, f"rubrics/{folder.name}")):
            rubric = parse_rubric(entry.read_text(encoding="utf-8"), source=name)
            if rubric.id in found:
                raise RubricError(f"duplicate rubric id {rubric.id!r}", path=name, field="id")
            found[rubric.id] = rubric
    return tuple(found.items())


def _yaml_files(folder: Traversable, name: str) -> Iterator[tuple[str, Traversable]]:
    for entry in folder.iterdir():
        entry_name = f"{name}/{entry.name}"
        if entry.is_dir():
            yield from _yaml_files(entry, entry_name)
        elif entry.name.endswith((".yaml", ".yml")):
            yield entry_name, entry


def rubric_for(
    item: Item,
    rubrics: Iterable[Rubric] | Mapping[str, Rubric] | None = None,
    *,
    user: Iterable[Rubric] = (),
) -> Rubric:
    """The rubric that grades `item`: one for its category beats one for its whole benchmark.

    `rubrics` defaults to the built-ins. `user` rubrics (given with `grade --rubric`) come
    first: one that applies to the item replaces every rubric of `rubrics`, so a user's
    rubric for a whole benchmark beats the built-in per-category ones, and one for a single
    category grades that category while the others keep theirs. RubricError when none
    applies, or two apply equally within the same group.
    """
    if rubrics is None:
        candidates = list(builtin_rubrics().values())
    elif isinstance(rubrics, Mapping):
        candidates = list(rubrics.values())
    else:
        candidates = list(rubrics)
    where = f"item {item.item_id} (benchmark {item.benchmark!r}, category {item.category!r})"
    if item.kind != "open":
        raise RubricError(
            f"{where} is multiple choice: it is scored by exact match, not judged",
            hint="judge only open questions (AnesBench: load it with mode 'open')",
        )
    for group, origin in ((list(user), "given with --rubric"), (candidates, "")):
        chosen = _choose(item, group, where, origin)
        if chosen is not None:
            return chosen
    raise RubricError(
        f"no rubric applies to {where}",
        hint="pass one with --rubric my-rubric.yaml; copy rubrics/example-custom.yaml to start",
    )


def _choose(item: Item, rubrics: list[Rubric], where: str, origin: str) -> Rubric | None:
    """The one rubric of `rubrics` for `item` (its category's first), None when none applies."""
    matching = [rubric for rubric in rubrics if rubric.applies_to.matches(item)]
    origin = f" ({origin})" if origin else ""
    for specific in (True, False):
        tier = [r for r in matching if (r.applies_to.categories is not None) == specific]
        if not tier:
            continue
        usable = [r for r in tier if r.supports(item.language)]
        if len(usable) == 1:
            return usable[0]
        if len(usable) > 1:
            raise RubricError(
                f"{where}: several rubrics{origin} apply equally: "
                f"{', '.join(r.id for r in usable)}",
                hint="give each rubric different applies_to categories, or pass only one",
            )
        raise RubricError(
            f"{where}: rubric {tier[0].id!r}{origin} applies but has no {item.language!r} "
            f"text (it is written in {', '.join(tier[0].languages)})",
            hint=f"add {item.language!r} text to the rubric, or pass another with --rubric",
        )
    return None


class RubricSet(_Model):
    """The rubrics a grading run chooses from: the user's (`--rubric`) before the built-ins."""

    user: tuple[Rubric, ...] = ()
    builtin: tuple[Rubric, ...]

    @classmethod
    def with_user(cls, *paths: str | Path) -> RubricSet:
        """The built-ins, and the rubric file(s) the user gave (RubricError when unreadable)."""
        return cls(
            user=tuple(load_rubric(path) for path in paths),
            builtin=tuple(builtin_rubrics().values()),
        )

    def for_item(self, item: Item) -> Rubric:
        return rubric_for(item, self.builtin, user=self.user)
