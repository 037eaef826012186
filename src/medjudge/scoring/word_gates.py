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
from itertools import count
from typing import NamedTuple

__all__ = ["Gate", "either", "fold_bits", "folded", "gate", "may_match", "word_bits", "words_of"]


class _Need(NamedTuple):
    """One of a group's words (whole words) or `parts` or `chinese` (anywhere) in the
    text; `chinese` are the parts with a CJK character, tried only in a Chinese text."""

    bit: int  # set in a text's `word_bits` when it has one of the group's words
    parts: tuple[str, ...]
    chinese: tuple[str, ...]


#: Each word of a gate → the bits of the needs that list it (all gates share the table).
_WORD_NEEDS: dict[bytes, int] = {}
_GATE_WORDS: set[bytes] = set()
_BITS = count()


def word_bits(words: frozenset[bytes]) -> int:
    """The bits of every need, of every gate, that a text of these `words_of` meets by a
    whole word: one set intersection, then the few gate words the text has."""
    bits = 0
    for word in words & _GATE_WORDS:
        bits |= _WORD_NEEDS[word]
    return bits


class Gate:
    """The ways a pattern may match (its branches), each a list of needs that must all be
    met; `opens` says whether one branch has all its needs in a text."""

    __slots__ = ("_branches", "needs")

    def __init__(self, needs: tuple[tuple[_Need, ...], ...]) -> None:
        self.needs = needs  # the needs of each branch
        #: Each branch as the bits of its needs of words only, which the text's
        #: `word_bits` must all have, and its needs with parts, tested one by one.
        self._branches = tuple(
            (
                sum(need.bit for need in branch if not (need.parts or need.chinese)),
                tuple(need for need in branch if need.parts or need.chinese),
            )
            for branch in needs
        )

    def opens(self, bits: int, fold: str, chinese: bool) -> bool:
        """Whether the pattern may match the lowercased text `fold`, whose `word_bits` are
        `bits` (`chinese`: it has a CJK character)."""
        for words, needs in self._branches:
            if bits & words != words:
                continue  # a word this branch cannot match without is missing
            for bit, parts, cjk in needs:
                if not (bits & bit or (parts and _has(parts, fold))
                        or (cjk and chinese and _has(cjk, fold))):
                    break  # neither a word nor a part of this need
            else:
                return True
        return False


def _has(parts: tuple[str, ...], fold: str) -> bool:
    for part in parts:
        if part in fold:
            return True
    return False


_WORD = re.compile(r"[a-z]+")
_PART = re.compile(r"[a-z]+\*|[^A-Za-z]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _need(items: tuple[str, ...]) -> _Need:
    bit = 1 << next(_BITS)
    parts: list[str] = []
    chinese: list[str] = []
    for item in items:
        if _WORD.fullmatch(item):
            word = item.encode()
            _WORD_NEEDS[word] = _WORD_NEEDS.get(word, 0) | bit
            _GATE_WORDS.add(word)
        elif _PART.fullmatch(item):
            (chinese if _CJK.search(item) else parts).append(item.removesuffix("*"))
        else:
            raise ValueError(f"a gate item is a lowercase word, a 'stem*' or no letters: {item!r}")
    return _Need(bit, tuple(parts), tuple(chinese))


def gate(*groups: tuple[str, ...]) -> Gate:
    """A gate that needs one item of every group; ``gate()`` is always open."""
    return Gate((tuple(_need(group) for group in groups),))


def either(*gates: Gate) -> Gate:
    """A gate open when one of `gates` is (a pattern of several branches)."""
    return Gate(tuple(branch for g in gates for branch in g.needs))


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


def fold_bits(text: str) -> tuple[str | None, int]:
    """`folded(text)` and the `word_bits` of its words, in one call (0 when None)."""
    fold = folded(text)
    if fold is None:
        return None, 0
    bits = 0
    for word in words_of(fold) & _GATE_WORDS:
        bits |= _WORD_NEEDS[word]
    return fold, bits


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
    return words.opens(word_bits(text_words), fold, chinese)
