"""Word gates: a cheap test that lets the extractor skip a pattern that cannot match.

A gate lists words a pattern cannot match without: ``gate(("are", "would"), ("correct*",))``
needs one item of every group. An item of ASCII letters is a whole word of the text: its
letters with no letter on either side ("so" is not in "also"), so it may stand only for a
word the pattern reads between two non-letters (``\\bso\\b``, ``\\s+so\\s+``). An item ending
in ``*`` is those letters anywhere ("correct*" also in "correctly"), for a word the pattern
may read as part of a longer one; any other item ("答案", ":", "...") is looked for anywhere.
`either` joins gates for a pattern of several branches: it may match when one of them does.

A gate never changes a result: it is a necessary condition, and a pattern whose gate is
closed would have found nothing. The words of a text are read once (`words_of`) and shared
by every gate.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Gate", "either", "folded", "gate", "may_match", "words_of"]


class _Need(NamedTuple):
    """One of `words` (whole words, as bytes) or one of `parts` or `chinese` (anywhere) in
    the text; `chinese` are the parts with a CJK character, tried only in a Chinese text."""

    words: frozenset[bytes]
    parts: tuple[str, ...]
    chinese: tuple[str, ...]


class Gate:
    """The ways a pattern may match (its branches), each a list of needs that must all be
    met; `opens` says whether one branch has all its needs in a text."""

    __slots__ = ("_only", "branches")

    def __init__(self, branches: tuple[tuple[_Need, ...], ...]) -> None:
        self.branches = branches
        #: The usual gate, one branch of one need, is tested without the loops.
        self._only = branches[0][0] if len(branches) == 1 and len(branches[0]) == 1 else None

    def opens(self, fold: str, words: frozenset[bytes], chinese: bool) -> bool:
        """Whether the pattern may match the lowercased text `fold` of `words_of` `words`
        (`chinese`: it has a CJK character)."""
        only = self._only
        if only is not None:
            return _met(only, fold, words, chinese)
        for needs in self.branches:
            for need in needs:
                if not _met(need, fold, words, chinese):
                    break  # this branch cannot match
            else:
                return True
        return False


def _met(need: _Need, fold: str, words: frozenset[bytes], chinese: bool) -> bool:
    if not need.words.isdisjoint(words):
        return True
    for part in need.parts:
        if part in fold:
            return True
    if chinese:
        for part in need.chinese:
            if part in fold:
                return True
    return False

_WORD = re.compile(r"[a-z]+")
_PART = re.compile(r"[a-z]+\*|[^A-Za-z]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _need(items: tuple[str, ...]) -> _Need:
    words, parts, chinese = [], [], []
    for item in items:
        if _WORD.fullmatch(item):
            words.append(item.encode())
        elif _PART.fullmatch(item):
            (chinese if _CJK.search(item) else parts).append(item.removesuffix("*"))
        else:
            raise ValueError(f"a gate item is a lowercase word, a 'stem*' or no letters: {item!r}")
    return _Need(frozenset(words), tuple(parts), tuple(chinese))


def gate(*groups: tuple[str, ...]) -> Gate:
    """A gate that needs one item of every group; ``gate()`` is always open."""
    return Gate((tuple(_need(group) for group in groups),))


def either(*gates: Gate) -> Gate:
    """A gate open when one of `gates` is (a pattern of several branches)."""
    return Gate(tuple(branch for g in gates for branch in g.branches))


#: Characters that `re.IGNORECASE` matches to an ASCII letter but `str.lower` does not
#: lower to it ("ı" is "i" to re), or that lower to one ("K" to "k"): in a text with one of
#: them, no gate is trusted. No other character does either (checked over all of Unicode).
_FOLD_EXCEPTION = re.compile("[\u0130\u0131\u017f\u212a]")


def folded(text: str) -> str | None:
    """`text` lowercased, for `may_match`; None when lowercasing cannot stand in for
    re's case-insensitive matching (then every pattern is tried)."""
    if not text.isascii() and _FOLD_EXCEPTION.search(text):
        return None
    return text.lower()


#: Bytes that are not lowercase ASCII letters become spaces (the fastest way to split).
_LETTERS_ONLY = bytes(c if 0x61 <= c <= 0x7A else 0x20 for c in range(256))


def words_of(fold: str) -> frozenset[bytes]:
    """The whole words of a lowercased text: each run of ASCII letters with no letter on
    either side. Other characters become "?" then spaces, so they separate words too."""
    return frozenset(fold.encode("ascii", "replace").translate(_LETTERS_ONLY).split())


def may_match(
    words: Gate, fold: str | None, text_words: frozenset[bytes] | None = None,
    chinese: bool | None = None,
) -> bool:
    """False only when no branch of the gate `words` has all its needs in the lowercased
    text `fold` (whose `words_of` and whether it has a CJK character, when already known,
    are `text_words` and `chinese`)."""
    if fold is None:
        return True
    if text_words is None:
        text_words = words_of(fold)
    if chinese is None:
        chinese = _CJK.search(fold) is not None
    return words.opens(fold, text_words, chinese)
