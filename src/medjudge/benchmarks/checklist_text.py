"""Parse LLMEval-Med checklist text (核心需求 / 次要需求) into a `Checklist`.

The published file writes requirements in several hands:

    核心需求：                 一、核心需求：             一、核心需求
    1. 内容要求：...           1.拒绝编写宣传文案。       明确指出...（no numbers）
    次要需求：                 二、次要需求：             - 《法规》...（bullets continue an entry）
    无                         2、...  1.. ...

Numbered lines start entries; bullets and wrapped lines continue the entry above; a section
that holds only 无 is empty; an exact repeat of an entry (one MSE answer repeats its whole
checklist) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medjudge.records import Checklist

__all__ = ["has_checklist_sections", "parse_checklist"]

_HEADER = re.compile(
    r"""
    ^\s*
    (?:[一二三四五六七八九十]+\s*[、.．]\s*)?   # an ordinal such as 一、 or 二.
    (?:\#{1,6}\s*)?(?:\*\*)?                   # markdown heading or bold, if any
    (?P<section>核心需求|次要需求)
    \s*(?:\*\*)?\s*[:：]?\s*                   # colon, half- or full-width, optional
    (?P<rest>.*)$
    """,
    re.VERBOSE,
)

_NUMBERED = re.compile(
    r"""
    ^\s*
    (?:\d{1,2}|[①-⑳])            # 1 .. 99, or a circled number
    \s*[.．、)）]+                # then '.', '．', '、' or ')' — "1.." occurs too
    (?!\d)                        # but not a decimal such as 1.5
    \s*(?P<text>.*)$
    """,
    re.VERBOSE,
)

_BULLET = re.compile(r"^\s*[-•·*]\s*")

#: Lines that say "nothing here".
_EMPTY_MARKERS = frozenset({"无", "无。", "暂无", "/", "-"})

_SECTIONS = {"核心需求": "core", "次要需求": "secondary"}


@dataclass
class _Section:
    entries: list[str] = field(default_factory=list)
    numbered: bool = False
    #: The previous line continued an entry (a bullet, or a line after one).
    continuing: bool = False

    def start(self, text: str) -> None:
        self.entries.append(text)
        self.continuing = False

    def extend(self, text: str) -> None:
        self.entries[-1] = f"{self.entries[-1]}\n{text}"
        self.continuing = True

    def add_line(self, line: str) -> None:
        stripped = line.strip()
        if not stripped or stripped in _EMPTY_MARKERS:
            return
        numbered = _NUMBERED.match(stripped)
        if numbered:
            self.numbered = True
            self.start(numbered.group("text").strip())
        elif self.entries and self._continues_entry(stripped):
            self.extend(stripped)
        else:
            self.start(stripped)

    def _continues_entry(self, line: str) -> bool:
        """A bullet, a line inside a numbered list, or one after a colon continues an entry."""
        return bool(
            _BULLET.match(line)
            or self.numbered
            or self.continuing
            or _ends_with_colon(self.entries[-1])
        )

    def unique_entries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry for entry in self.entries if entry))


def _ends_with_colon(text: str) -> bool:
    return text.rstrip().endswith((":", "："))


def has_checklist_sections(text: str) -> bool:
    """True when the text has a 核心需求 or 次要需求 heading line."""
    return any(_HEADER.match(line) for line in text.splitlines())


def parse_checklist(text: str, *, headings_required: bool = True) -> Checklist | None:
    """The requirements in `text`, or None when it holds none.

    With `headings_required=False`, text without headings is read as core requirements
    (for a field that is a checklist by definition); otherwise such text gives None.
    """
    sections = {"core": _Section(), "secondary": _Section()}
    current: _Section | None = None
    if not has_checklist_sections(text):
        if headings_required:
            return None
        current = sections["core"]
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            current = sections[_SECTIONS[header.group("section")]]
            current.numbered = current.continuing = False
            line = header.group("rest")
        if current is not None:
            current.add_line(line)
    core, secondary = sections["core"].unique_entries(), sections["secondary"].unique_entries()
    if not core and not secondary:
        return None
    return Checklist(core=core, secondary=secondary)
