"""One rubric version per rubric id: which verdicts a report's figures use.

A rubric's wording changes with its version, and a 5 under the old wording and a 2 under the
new one are not two opinions about the same question: averaging them (3.5) measures nothing.
So every figure uses the verdicts of ONE version of each rubric id: by default the latest
(the highest version present, numeric parts compared as numbers: "1.10" > "1.9" > "1.2"),
or the one chosen with `--rubric-version ID=VERSION` (or `VERSION` for every rubric id).
The report lists the versions it used and how many verdicts of other versions it left out.

    pick = parse_version_choice(["llmeval-med-MK=1.0"])
    used, choices = select_rubric_versions(verdicts, pick)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from medjudge.errors import ConfigError
from medjudge.records import Verdict

__all__ = [
    "RubricVersionChoice",
    "VersionPick",
    "check_pick_used",
    "choose_rubric_versions",
    "parse_version_choice",
    "select_rubric_versions",
    "version_key",
]

_PARTS = re.compile(
    r"""
      (?P<number>\d+)          # a run of digits: compared as a number ("10" > "9")
    | (?P<word>[A-Za-z]+)      # a run of letters: compared as text ("rc" < "zz")
    """,
    re.VERBOSE,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def version_key(version: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key for a rubric version: "1.10" > "1.9"; a number ranks above a word in the
    same place ("1.0" > "1.rc"); separators (".", "-", "_", "+") only split parts."""
    key = []
    for match in _PARTS.finditer(version):
        if match.group("number") is not None:
            key.append((1, int(match.group("number")), ""))
        else:
            key.append((0, 0, match.group("word").lower()))
    return (*key, (0, 0, version))  # ties (e.g. "1.0" and "1-0") fall back to the text


class VersionPick(_Model):
    """Which rubric versions to report: `by_id` rubric id -> version; `every`: one version
    for every rubric id that `by_id` does not name; neither: the latest of each."""

    by_id: dict[str, str] = Field(default_factory=dict)
    every: str | None = None


def parse_version_choice(texts: Sequence[str] | None) -> VersionPick:
    """`--rubric-version` values: "ID=VERSION" (repeatable) or one bare "VERSION"."""
    by_id: dict[str, str] = {}
    every: str | None = None
    for text in texts or ():
        rubric_id, sep, version = text.strip().partition("=")
        if not sep:
            rubric_id, version = "", rubric_id
        if not version or (sep and not rubric_id):
            raise ConfigError(
                f"--rubric-version {text!r}: write RUBRIC_ID=VERSION (for example "
                "llmeval-med-MK=1.1), or VERSION alone for every rubric"
            )
        if not rubric_id:
            if every is not None and every != version:
                raise ConfigError(
                    f"--rubric-version: two versions for every rubric ({every!r} and "
                    f"{version!r}); give one, or name the rubric: RUBRIC_ID=VERSION"
                )
            every = version
        elif by_id.setdefault(rubric_id, version) != version:
            raise ConfigError(
                f"--rubric-version: rubric {rubric_id!r} is given two versions "
                f"({by_id[rubric_id]!r} and {version!r}); give one"
            )
    return VersionPick(by_id=by_id, every=every)


class RubricVersionChoice(_Model):
    """The version of one rubric id a report used, and what it left out."""

    rubric_id: str
    version: str
    #: "latest" (the highest version present) or "chosen" (--rubric-version).
    how: str
    #: Verdicts of this version: the ones every figure uses.
    n_verdicts: int = Field(ge=0)
    #: The other versions present, highest first, and how many verdicts they hold.
    left_out: tuple[str, ...] = ()
    n_left_out: int = Field(0, ge=0)

    def describe(self) -> str:
        """ "llmeval-med-MK 1.1 (latest; 4 verdicts of 1.0 left out)"."""
        text = f"{self.rubric_id} {self.version} ({self.how}"
        if self.left_out:
            text += f"; {self.n_left_out} verdicts of {', '.join(self.left_out)} left out"
        return text + ")"


def select_rubric_versions(
    verdicts: Iterable[Verdict], pick: VersionPick | None = None, *, where: str = "the store"
) -> tuple[list[Verdict], tuple[RubricVersionChoice, ...]]:
    """The verdicts of one version per rubric id (first seen first), and what was chosen.

    ConfigError when `pick` names a version the verdicts do not have (`where` names the run
    in the message). A rubric id that `pick.by_id` names but no verdict uses is ignored here:
    the caller knows whether any run has it (`check_pick_used`)."""
    verdicts = list(verdicts)
    present: dict[str, dict[str, int]] = {}
    for v in verdicts:
        counts = present.setdefault(v.rubric_id, {})
        counts[v.rubric_version] = counts.get(v.rubric_version, 0) + 1
    choices = choose_rubric_versions(present, pick, where=where)
    chosen = {c.rubric_id: c.version for c in choices}
    used = [v for v in verdicts if chosen[v.rubric_id] == v.rubric_version]
    return used, choices


def choose_rubric_versions(
    present: Mapping[str, Mapping[str, int]], pick: VersionPick | None = None, *,
    where: str = "the store",
) -> tuple[RubricVersionChoice, ...]:
    """`select_rubric_versions` from counts: rubric id -> version -> verdicts (rubric ids
    in the order first seen), as a store aggregates them."""
    pick = pick or VersionPick()
    choices = []
    for rubric_id, counts in present.items():
        wanted = pick.by_id.get(rubric_id, pick.every)
        ordered = sorted(counts, key=version_key, reverse=True)
        if wanted is not None and wanted not in counts:
            raise ConfigError(
                f"{where}: rubric {rubric_id!r} has no verdicts of version {wanted!r} "
                f"(it has {', '.join(ordered)}); pick one of those with "
                f"--rubric-version {rubric_id}=VERSION"
            )
        version = wanted if wanted is not None else ordered[0]
        others = tuple(v for v in ordered if v != version)
        choices.append(RubricVersionChoice(
            rubric_id=rubric_id, version=version,
            how="latest" if wanted is None else "chosen", n_verdicts=counts[version],
            left_out=others, n_left_out=sum(counts[v] for v in others),
        ))
    return tuple(choices)


def check_pick_used(pick: VersionPick, choices: Iterable[RubricVersionChoice]) -> None:
    """ConfigError when `--rubric-version` names a rubric id that no reported verdict uses
    (a typo would otherwise be silently ignored)."""
    seen = {choice.rubric_id for choice in choices}
    unknown = sorted(set(pick.by_id) - seen)
    if unknown:
        raise ConfigError(
            f"--rubric-version names {', '.join(map(repr, unknown))}, which no verdict of the "
            f"reported runs uses (they use {', '.join(sorted(seen)) or 'no rubric'}); "
            "check the rubric id"
        )
