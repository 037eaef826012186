"""Reading option letters in free text: which "C" is an answer letter and which is not.

Letters must be option keys and stand alone: the letter in "hemophilia A", "vitamin C",
"type B dissection", "group A strep", "HbA1c", "IgA" and the article in "A patient
presents" are not answers. `letters_at` reads one letter or a list of them ("A and C",
"A、C", "AC") at a position, for the marker rules of `choice_markers`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal, NamedTuple

from medjudge.scoring.word_gates import Gate, folded, gate, may_match

__all__ = [
    "STRONG_RULES",
    "Candidate",
    "Choices",
    "Gate",
    "Rule",
    "choices_of",
    "folded",
    "gate",
    "is_term",
    "keys_of",
    "letters_at",
    "may_match",
    "norm",
    "normalize_keys",
]

#: The rule that found the letter, or why there is none.
Rule = Literal[
    "answer-marker",  # Answer: C / The answer is (b) / Ans: D / Final: A
    "answer-tag",  # <answer>C</answer>
    "zh-marker",  # 答案：B / 故选D / 正确答案是 B / 即为选项A / 更正为C
    "boxed",  # \boxed{D}
    "json",  # {"answer": "B"}
    "negation",  # not A; it is D / 不是A，而是D
    "conclusion",  # D is correct / Therefore, D. / I choose D / B项正确 / 最可能的是D
    "bare-letter",  # C / (C) / C) Etomidate / "B. Ketamine keeps the pressure up."
    "last-line",  # a lone letter on the last line after an analysis
    "value-letter",  # "… 40 mg (option C)": a letter in parentheses after the chosen value
    "table-row",  # the one ticked or bolded row of a markdown table of options
    "option-text",  # the reply states one option's text (or the value it holds)
    "option-paraphrase",  # the reply states all the words of one option, in other order
    "empty",
    "refusal",
    "truncated-reasoning",
    "multiple-answers",
    "hedge",  # "either B or C", "B or maybe C", "可能是B也可能是C"
    "contradiction",  # "Answer: B (propofol)" when B is not propofol
    "no-answer",
    "failed-answer",
]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that may follow a letter answer; any other lowercase word makes "A" an article
#: ("A common cause", "a patient") or the letter part of a term ("B cells").
_ALLOWED_AFTER = _words(
    "is was are were would will should could can may might must seems appears remains "
    "and or but because since as so therefore thus hence which that for due here then "
    "it this also only over rather instead fits matches given remains best"
)
#: Words before a letter that make it part of a medical term ("hemophilia A", "Class C").
_TERM_BEFORE = _words(
    "vitamin vitamins hepatitis hep hemophilia haemophilia type types class classes group "
    "groups grade stage factor protein complex zone phase category schedule asa mallampati "
    "killip nyha forrest pugh gustilo harris fort lehane influenza coxsackie apolipoprotein "
    "apo immunoglobulin ig botulinum serotype subtype strain hemoglobin haemoglobin hb plan "
    "lipoprotein hla"
)
#: Capitalised words after a letter that make it part of a term ("A Strep", "B Cells").
_TERM_AFTER = _words(
    "strep streptococcus streptococci streptococcal cell cells lymphocyte lymphocytes "
    "virus hepatitis vitamin vitamins antigen antigens personality dissection mode scan "
    "toxin fiber fibers fibre fibres receptor receptors"
)
_TERM_BEFORE_ENDINGS = tuple(_TERM_BEFORE)
_ZH_TERM_BEFORE = ("维生素", "血友病", "因子", "肝炎", "蛋白", "分级", "分型", "分期")
_ZH_TERM_AFTER = ("型", "类", "组", "级", "超", "族", "期", "细胞", "反应", "链球菌", "群", "受体")

#: Species after an abbreviated genus: "E. coli", "C. difficile" are not answers E and C.
_SPECIES = _words(
    "coli difficile diff perfringens botulinum tetani albicans diphtheriae trachomatis jejuni "
    "neoformans immitis faecalis faecium histolytica vermicularis baumannii fumigatus israelii "
    "fragilis anthracis pertussis burgdorferi henselae cereus glabrata auris"
)
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z'’-]*)[ \t-]+\Z")
_TOKEN_AFTER = re.compile(r"[ \t]+(\S+)")
_ALPHA = re.compile(r"[A-Za-z]+")
_ABBREVIATION = re.compile(r"\.\s?([a-z]+)")  # "E. coli", "i.e."

_LEAD = re.compile(
    r"""
    [\s:=>\-—–→】\]]*                                 # punctuation between marker and letter
    (?:(?i:I\s+(?:think|believe)\s+(?:(?:it|that)(?:'s|\s+is)\s+)?))?  # "I think it's C"
    (?:(?i:the\s+(?:first|second|third|fourth|fifth|last)\s+(?:option|choice)\s*,?\s*))?
                                                      # "the second option, B"
    (?:(?i:option|choice|letter)\s*|选项\s*)?          # a noun before it: "option C", "选项C"
    (?:
        [(\[{]\s*(?P<wrapped>[A-Za-z])\s*[)\]}]        # wrapped: (C), [c], {D}
      | (?P<run>[A-Z]{2,})(?=\s*(?:$|[^\w\s]|[选项两都均]))  # run: "AC" (zh multi-select)
      | (?P<bare>[A-Za-z])(?![A-Za-z0-9'’\-])          # bare: C
    )
    """,
    re.VERBOSE | re.MULTILINE,
)

_CHAIN = re.compile(
    r"""
    \s*(?:,|/|&|\+|、|和|与|及|或者|或|还是|(?i:and/or|and|or)\b)\s*   # "A and C", "A、C", "A或者D"
    (?:(?i:option|choice)\s*|选项\s*)?                      # optional noun
    (?:
        [(\[]\s*(?P<wrapped>[A-Za-z])\s*[)\]]               # (C)
      | (?P<bare>[A-Z])(?![A-Za-z0-9'’\-])                  # C
    )
    (?=\s*(?:$|[^\w\s]|(?i:and|or|are|both)\b|[选项都均和或与及两正是为]))  # list goes on or ends
    """,
    re.VERBOSE | re.MULTILINE,
)


def is_term(text: str, start: int, end: int) -> bool:
    """True when the letter at text[start:end] belongs to a term or is the article 'A'."""
    # each search below needs a character that is checked first: " ", "\t" or "-" before,
    # "." or a space after; and the word before counts only when the text before the
    # letter ends with a word of _TERM_BEFORE
    lo = max(0, start - 40)
    before = (
        _WORD_BEFORE.search(text, lo, start)
        if start and text[start - 1] in " \t-"
        and text[lo:start].rstrip(" \t-").lower().endswith(_TERM_BEFORE_ENDINGS)
        else None
    )
    if before:
        word = before[1].lower()
        if word in _TERM_BEFORE or word.rsplit("-", 1)[-1] in _TERM_BEFORE:
            return True
    if text.endswith(_ZH_TERM_BEFORE, max(0, start - 3), start):
        return True
    if text.startswith(_ZH_TERM_AFTER, end):
        return True
    if text.startswith(".", end) and (abbr := _ABBREVIATION.match(text, end)) and (
        abbr[1] in _SPECIES or (text[start].islower() and text[end + 1].isalpha())
    ):
        return True
    return _term_after(text, start, end)


def _term_after(text: str, start: int, end: int) -> bool:
    """True when the word after the letter makes it an article or part of a term."""
    after = _TOKEN_AFTER.match(text, end) if text[end : end + 1] in (" ", "\t") else None
    if after is None:  # punctuation, a line break or the end follows
        return False
    token = after[1]
    word = _ALPHA.match(token)
    if token[0].isdigit():  # "A 45-year-old man"
        return True
    if word is None:  # "C — Propofol", "C (propofol)"
        return False
    if token[0].islower():
        return word[0] not in _ALLOWED_AFTER
    return text[start].islower() or word[0].lower() in _TERM_AFTER


def _accept(text: str, m: re.Match[str], keys: frozenset[str]) -> str | None:
    """The option key a letter match stands for, or None if it is not an answer."""
    if m["wrapped"]:
        letter = m["wrapped"].upper()
    else:
        start, end = m.span("bare")
        if is_term(text, start, end):
            return None
        letter = m["bare"].upper()
    return letter if letter in keys else None


def letters_at(text: str, pos: int, keys: frozenset[str]) -> tuple[tuple[str, ...], int] | None:
    """The letters written at `pos` ("C", "(b)", "A and C", "AC") and where they end."""
    m = _LEAD.match(text, pos)
    if m is None:
        return None
    if m["run"]:
        run = tuple(dict.fromkeys(m["run"]))
        return (run, m.end()) if set(run) <= keys else None
    first = _accept(text, m, keys)
    if first is None:
        return None
    found, end = [first], m.end()
    while (link := _CHAIN.match(text, end)) is not None:
        letter = _accept(text, link, keys)
        if letter is None:
            break
        found.append(letter)
        end = link.end()
    return tuple(dict.fromkeys(found)), end


@lru_cache(maxsize=1024)  # a benchmark has few distinct sets of option keys
def _normal_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFKC", k).strip().upper() for k in keys)


@lru_cache(maxsize=1024)
def _letter_keys(keys: tuple[str, ...]) -> frozenset[str]:
    return frozenset(k for k in _normal_keys(keys) if len(k) == 1 and "A" <= k <= "Z")


def keys_of(options: Mapping[str, str]) -> frozenset[str]:
    """The single-letter option keys A–Z (full-width keys read as ASCII)."""
    return _letter_keys(tuple(options))


def normalize_keys(options: Mapping[str, str]) -> dict[str, str]:
    """The options with their keys NFKC-normalised and uppercased ("ａ" → "A")."""
    return dict(zip(_normal_keys(tuple(options)), options.values(), strict=True))


class Choices(NamedTuple):
    """A question's options as the extractor reads them; shared, never to be changed."""

    keys: frozenset[str]  # `keys_of`
    options: dict[str, str]  # `normalize_keys`
    valid: dict[str, str]  # the options whose key is one of `keys`


def choices_of(options: Mapping[str, str]) -> Choices:
    """`keys_of`, `normalize_keys` and the valid options, once per set of options."""
    return _choices(tuple(options.items()))


@lru_cache(maxsize=1024)  # the answers to one question share its options
def _choices(items: tuple[tuple[str, str], ...]) -> Choices:
    options = dict(items)
    keys, normal = keys_of(options), normalize_keys(options)
    return Choices(keys, normal, {k: t for k, t in normal.items() if k in keys})


def norm(text: str) -> str:
    """Casefolded NFKC text with collapsed spaces and no surrounding punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split()).strip(" .。,，;；:：!！()")


class Candidate(NamedTuple):  # a tuple: built in half the time of a frozen dataclass
    """Letters some rule read at text[start:end]; several letters mean several answers."""

    start: int
    end: int
    rule: Rule
    letters: tuple[str, ...]

    @property
    def strong(self) -> bool:
        """Explicit markers beat weaker conclusions ("D is correct", "Therefore, D.")."""
        return self.rule in STRONG_RULES


#: Explicit markers: the only rules strict extraction keeps.
STRONG_RULES: frozenset[Rule] = frozenset(
    {"answer-marker", "answer-tag", "zh-marker", "boxed", "json", "negation", "hedge"}
)
