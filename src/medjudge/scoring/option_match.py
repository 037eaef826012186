"""Reading an answer given as an option's content rather than its letter.

A reply may state the option ("Etomidate", "the ulnar nerve"), the value it holds in other
words ("six hours" for "6 hours", "25 percent" for "25%", "10mg" for "10 mg", "六小时" for
"6小时"), or all its words in another order ("hyperthermia with rigidity" for
"Hyperthermia and rigidity"). Each counts only when exactly one option matches and the
sentence that states it rejects nothing ("not propofol", "排除A").

The same comparison finds contradictions: "Answer: B (propofol)" when B is not propofol.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from difflib import SequenceMatcher
from functools import lru_cache
from itertools import pairwise

from medjudge.scoring.choice_letters import Candidate, Rule

__all__ = [
    "canon",
    "contradicts",
    "head_option",
    "only_option",
    "option_conclusions",
    "paraphrased_option",
    "singled_out",
    "value_letters",
]

_EN_NUMBERS = {
    word: str(n)
    for n, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
    )
} | {"fifteen": "15", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
     "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90", "hundred": "100"}
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_NUMBERS) + r")\b")
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9}
_ZH_NUMBER = re.compile(
    r"""
    (?P<tens>[一二三四五六七八九])?十(?P<ones>[一二三四五六七八九])?  # 十 / 二十 / 十二 / 二十四
  | (?P<digit>[零一二两三四五六七八九])(?=小时|分钟|天|周|个月|年|毫克|次|岁|%)  # 六小时
    """,
    re.VERBOSE,
)
_UNITS = re.compile(
    r"""
    (?P<n>\d)\s*
    (?:
        (?P<h>hours?|hrs?|h\b|小时)                      # 6 hours / 6 h / 6小时
      | (?P<min>minutes?|mins?\b|分钟)                   # 10 minutes / 10 min
      | (?P<d>days?\b|天)                                # 3 days / 3天
      | (?P<pct>%|percent\b|per\s+cent\b)                # 25% / 25 percent
      | (?P<mcg>μg|µg|ug\b|mcg\b|micrograms?\b|微克)     # 5 mcg / 5 μg
      | (?P<mg>mg\b|milligrams?\b|毫克)                  # 10 mg / 10 milligrams
      | (?P<other>(?=[a-zμµ]+/|/                         # 1 mg/kg: drop the space
          |(?:ml|l|kg|g|cm|mm|mmhg|mmol|meq|iu|mac|bpm)\b)) # 5 ml, 1.3 mac
    )
    """,
    re.VERBOSE,
)
_UNIT_NAMES = ("h", "min", "d", "pct", "mcg", "mg")


#: The Unicode Roman numerals Ⅰ–Ⅻ and ⅰ–ⅻ as Arabic digits ("Ⅳ级" is "4级").
_ROMAN_CHARS = {0x2160 + i: str(i + 1) for i in range(12)} | {
    0x2170 + i: str(i + 1) for i in range(12)
}
_ROMAN_VALUES = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8,
                 "ix": 9, "x": 10, "xi": 11, "xii": 12}
#: A Roman numeral written in letters, only where it grades something ("class IV", "IV级"):
#: elsewhere "i" is a pronoun and "x" a letter.
_ROMAN = re.compile(
    r"""
    (?<=\b(?:class|grade|stage|phase|level)\s)     # "class iv" (five letters each: a
                                                    # look-behind has a single width)
    (?P<a>x?(?:ix|iv|v?i{1,3}|v)|x)\b
  | (?<=\btype\s)(?P<b>x?(?:ix|iv|v?i{1,3}|v)|x)\b   # "type ii"
  | (?<![a-z])(?P<c>x?(?:ix|iv|v?i{1,3}|v))(?=[ \t]?[级期度型类])   # "iv级", "iii期"
    """,
    re.VERBOSE,
)
#: "2.0" is "2" and "2.50" is "2.5": a value written with trailing zeros.
_TRAILING_ZEROS = re.compile(
    r"""
    (?<![\d.])(?P<int>\d+)\.        # the whole part: "2."
    (?P<frac>\d*[1-9])?0+(?![\d])   # its decimals, then only zeros: "0", "50"
    """,
    re.VERBOSE,
)


def _roman(m: re.Match[str]) -> str:
    numeral = m["a"] or m["b"] or m["c"]
    return str(_ROMAN_VALUES.get(numeral, numeral))


def _zh_number(m: re.Match[str]) -> str:
    if m["digit"]:
        return str(_ZH_DIGITS[m["digit"]])
    tens = _ZH_DIGITS[m["tens"]] if m["tens"] else 1
    ones = _ZH_DIGITS[m["ones"]] if m["ones"] else 0
    return str(10 * tens + ones)


def _unit(m: re.Match[str]) -> str:
    unit = next((name for name in _UNIT_NAMES if m[name] is not None), "")
    return m["n"] + ("%" if unit == "pct" else unit)


@lru_cache(maxsize=8192)  # option texts repeat over a benchmark's answers
def canon_option(text: str) -> str:
    """`canon` of a short text (an option's, or the words after a letter), remembered."""
    return canon(text)


#: What a text needs for each rewrite of `canon` to change it: found fast (literals or a
#: character class first), so a rewrite that cannot apply is not scanned for.
_HAS_ROMAN_CHAR = re.compile("[\u2160-\u216b\u2170-\u217b]")  # the keys of _ROMAN_CHARS
_HAS_EN_NUMBER = re.compile("|".join(_EN_NUMBERS))  # _EN_NUMBER without its \b
_HAS_ZH_NUMBER = re.compile("[零一二两三四五六七八九十]")  # every _ZH_NUMBER match has one
_HAS_ROMAN = re.compile("class|grade|stage|phase|level|type|[级期度型类]")  # each branch's
_HAS_TRAILING_ZEROS = re.compile(r"\d\.\d*0")  # "2.0", "2.50"


@lru_cache(maxsize=256)  # one reply is compared with its options by several rules
def canon(text: str) -> str:
    """Text to compare with an option: casefolded, numbers in digits ("Ⅳ级", "class IV",
    "four" and "4" alike; "2.0%" as "2%"), units in one spelling."""
    if not text.isascii() and _HAS_ROMAN_CHAR.search(text):
        text = text.translate(_ROMAN_CHARS)
    text = unicodedata.normalize("NFKC", text).casefold()
    if _HAS_EN_NUMBER.search(text):
        text = _EN_NUMBER.sub(lambda m: _EN_NUMBERS[m[1]], text)
    if _HAS_ZH_NUMBER.search(text):
        text = _ZH_NUMBER.sub(_zh_number, text)
    if _HAS_ROMAN.search(text):
        text = _ROMAN.sub(_roman, text)
    if _HAS_TRAILING_ZEROS.search(text):
        text = _TRAILING_ZEROS.sub(
            lambda m: m["int"] + (f".{m['frac']}" if m["frac"] else ""), text
        )
    text = _UNITS.sub(_unit, text)
    return " ".join(text.split()).strip(" .。,，;；:：!！()")


#: A sentence that rejects something: an option quoted in it is not the answer.
_NEGATIVE = re.compile(
    r"""
    \b(?:not|no|isn't|cannot|can't|never|except|incorrect|wrong|false|neither|nor
       |contraindicated|avoid(?:ed)?|exclude[ds]?|rule[ds]?\s+out
       |rather\s+than|instead\s+of)\b                  # English negations
  | 不是|并非|而非|不选|排除|错误|不正确|禁忌|禁用|不宜|避免   # Chinese negations
    """,
    re.VERBOSE,
)
_SENTENCE_STOP = re.compile(r"[.!?;。！？；\n]")
#: Where a negation stops: "The dose is 40 mg, not 80 mg" rejects only 80 mg.
_CLAUSE_STOP = re.compile(r"[.!?;。！？；\n,，]")


def _whole(hay: str, s: int, e: int) -> bool:
    """True when hay[s:e] is not part of a longer ASCII word or number ("2" in "2.5")."""
    before = hay[max(0, s - 2) : s].rjust(2)
    after = hay[e : e + 2].ljust(2)
    if (before[1].isascii() and before[1].isalnum()) or (after[0].isascii() and after[0].isalnum()):
        return False
    if before[1] in ".," and before[0].isdigit():  # "2" in "2.5"
        return False
    return not (after[0] in "./" and after[1].isascii() and after[1].isalnum())  # "5mg/kg"


def _sentence(hay: str, s: int, e: int) -> str:
    """The clause around hay[s:e], where a negation would reject it."""
    stops = [x.end() for x in _CLAUSE_STOP.finditer(hay, max(0, s - 300), s)]
    stop = _CLAUSE_STOP.search(hay, e)
    return hay[stops[-1] if stops else max(0, s - 300) : stop.start() if stop else len(hay)]


def _occurrences(hay: str, needle: str) -> Iterator[tuple[int, int]]:
    """Where `needle` occurs in `hay` as whole words."""
    s = -1
    while (s := hay.find(needle, s + 1)) >= 0:
        if _whole(hay, s, s + len(needle)):
            yield s, s + len(needle)


def _mentions(hay: str, needle: str) -> bool:
    """True when `needle` occurs in `hay` as whole words, in a sentence that rejects nothing."""
    return any(not _NEGATIVE.search(_sentence(hay, s, e)) for s, e in _occurrences(hay, needle))


def _usable(text: str) -> bool:
    """Long enough to be told apart from ordinary words ("T4", "5mg", "肝素", "Propofol")."""
    return len(text) >= 3 or (len(text) == 2 and (not text.isascii() or not text.isalpha()))


@lru_cache(maxsize=1024)
def _usable_texts(options: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """The options' `canon_option` texts that are long enough to look for (never changed)."""
    texts = {k: canon_option(t) for k, t in options}
    return {k: t for k, t in texts.items() if _usable(t)}


def only_option(hay: str, options: Mapping[str, str]) -> str | None:
    """The one option whose text (or value) `hay` states; None for none or several."""
    hay = canon(hay)
    usable = _usable_texts(tuple(options.items()))
    hits = {k for k, t in usable.items() if _mentions(hay, t)}
    # "Hepatitis B and C" quoted also contains "Hepatitis B": keep the longer option.
    hits = {k for k in hits if not any(k != o and usable[k] in usable[o] for o in hits)}
    return next(iter(hits)) if len(hits) == 1 else None


_STOPWORDS = frozenset("and or with of the a an in to on at by for".split())  # noqa: SIM905
_WORD = re.compile(r"[a-z0-9%/]+|[\u4e00-\u9fff]+")


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(canon_option(text)) if w not in _STOPWORDS and len(w) >= 3]


def paraphrased_option(hay: str, options: Mapping[str, str]) -> str | None:
    """The one option of two or more content words all stated in one sentence of `hay`."""
    hay = canon(hay)
    sentences = [s for s in _SENTENCE_STOP.split(hay) if not _NEGATIVE.search(s)]
    said = [set(_WORD.findall(s)) for s in sentences]
    hits = set()
    for key, text in options.items():
        words = _content_words(text)
        if len(words) < 2:
            continue
        for found in said:
            if all(w in found or w + "s" in found or w.rstrip("s") in found for w in words):
                hits.add(key)
    return next(iter(hits)) if len(hits) == 1 else None


def contradicts(text: str, end: int, letter: str, options: Mapping[str, str]) -> bool:
    """True when the words right after a letter quote another option ("B (propofol)")."""
    m = _QUOTED.match(text, end)
    if m is None or not m["frag"].strip():
        return False
    said = canon_option(m["frag"])  # remembered: the same words follow many letters
    own = canon_option(options.get(letter, ""))
    if not said or said == own:
        return False
    return any(k != letter and canon_option(t) == said for k, t in options.items())


_QUOTED = re.compile(
    r"""
    [ \t]*[.:\-—–(),=]*[ \t]*                          # "B (", "C. ", "D - ", "C) ", "C, "
    (?P<frag>[^\n;,。，；()]{1,80}?)                     # the words quoted after the letter
    [ \t]*(?:\.(?=\s|$)|[\n;,。，；)]|$)                  # up to the end of that phrase
    """,
    re.VERBOSE,
)

_VALUE_LETTER = re.compile(
    r"""
    (?<=[^\s(])[ \t]*                                   # right after a value: "1 mg/kg (B)"
    (?:
        \([ \t]*(?P<marked>(?i:option|choice)[ \t]*|选项)?(?P<wrapped>[A-Z])[ \t]*\)
                                                            # "(option B)", "(选项B)", "(C)"
      | ,[ \t]*(?i:option|choice)[ \t]+(?P<named>[A-Z])[ \t]*,                # ", option B,"
    )
    """,
    re.VERBOSE,
)
#: What every `_VALUE_LETTER` match holds; it begins with "(" or ",", which `re` finds fast
#: (`_VALUE_LETTER` begins with a look-behind, tried at every character).
_VALUE_CORE = re.compile(
    r"\([ \t]*(?:(?i:option|choice)[ \t]*|选项)?[A-Z][ \t]*\)"
    r"|,[ \t]*(?i:option|choice)[ \t]+[A-Z][ \t]*,"
)
_VALUE_START = re.compile(r"[\n()]")


def _value_before(text: str, at: int) -> tuple[int, str]:
    """Where the value before a letter starts (its line, after any parenthesis, at most 60
    characters back) and the value itself."""
    start = max(0, at - 60)
    for stop in _VALUE_START.finditer(text, start, at):
        start = stop.end()
    return start, text[start:at]


def value_letters(text: str, options: Mapping[str, str]) -> Iterator[Candidate]:
    """"… 40 mg (option C)": a letter in parentheses after a value, when it is the only one.

    Several different such letters are a listing ("propofol (A), ketamine (B)"), not an answer,
    unless one letter alone is marked as the choice: "4.5 mg/kg (option B); with epinephrine
    7 mg/kg (C)" chooses B, and the bare "(C)" is a mention.
    """
    if _VALUE_CORE.search(text) is None:
        return
    found = list(_value_letters(text, options))
    marked = [c for c, is_marked in found if is_marked]
    for group in ([c for c, _ in found], marked):
        if len({c.letters for c in group}) == 1:
            yield group[-1]
            return


def _value_letters(text: str, options: Mapping[str, str]) -> Iterator[tuple[Candidate, bool]]:
    """Each letter in parentheses after a value, and whether it is marked ("option B")."""
    for m in _VALUE_LETTER.finditer(text):
        letter = m["wrapped"] or m["named"]
        start, value = _value_before(text, m.start())
        if letter not in options or not value.strip():
            continue
        if _NEGATIVE.search(_sentence(text, start, m.end())):
            continue
        others = tuple(canon_option(t) for k, t in options.items() if k != letter and t)
        # "Answer: Propofol (C)" when C is not propofol: the letter contradicts the value
        rule: Rule = "contradiction" if canon(value).endswith(others) else "value-letter"
        yield Candidate(start, m.end(), rule, (letter,)), bool(m["marked"] or m["named"])


_OPTION_CONCLUSION = re.compile(
    r"""
    \s*(?:would\s+be|is)\s+(?:the\s+)?(?:most\s+)?
    (?:best|preferred|correct|right|appropriate|answer|ideal|indicated
      |(?:drug|agent|treatment)\s+of\s+choice)\b          # "rocuronium is best"
  | \s*(?:最合适|最佳|最恰当|正确|最符合)                   # "氯胺酮最合适"
    """,
    re.VERBOSE | re.IGNORECASE,
)


@lru_cache(maxsize=8192)
def _needle(option: str) -> str:
    return unicodedata.normalize("NFKC", option).casefold().strip()


@lru_cache(maxsize=1024)
def _needles(options: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each option's key and the text `option_conclusions` looks for, if usable."""
    return tuple((key, needle) for key, option in options if _usable(needle := _needle(option)))


def option_conclusions(text: str, options: Mapping[str, str]) -> list[Candidate]:
    """"Rocuronium is best", "氯胺酮最合适": an option's text followed by a conclusion."""
    lowered = unicodedata.normalize("NFKC", text).casefold()
    found = []
    for key, needle in _needles(tuple(options.items())):
        s = -1
        while (s := lowered.find(needle, s + 1)) >= 0:
            e = s + len(needle)
            concludes = _OPTION_CONCLUSION.match(lowered, e) and _whole(lowered, s, e)
            if concludes and not _NEGATIVE.search(_sentence(lowered, s, e)):
                found.append(Candidate(s, e, "option-text", (key,)))
    return found


# ------------------------------------------------- a reply that is its option ---

#: Where a reply's opening phrase ends: a sentence stop, not a decimal point ("2.5%").
_HEAD_STOP = re.compile(r"[!;。！；\n]|\.(?!\d)|(?P<question>[?？])")
#: Words before a value that do not change which option it is: "About 2%", "约2小时".
_FILLER = re.compile(
    r"""
    ^(?:(?:about|approximately|approx\.?|roughly|around|nearly|circa|~|≈)\s*  # "About 2%"
      | the\s+                                                              # "The phrenic nerve"
      | (?:大约|约为|约))                                                     # 约2小时
    """,
    re.VERBOSE | re.IGNORECASE,
)
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_DIGITS = re.compile(r"\d+")
#: How alike a short Chinese reply and its option must be ("穿刺" for "穿破"), and how much
#: less alike every other option must be.
_NEAR, _MARGIN, _NEAR_MAX = 0.75, 0.25, 30


def _head(body: str) -> str:
    """The reply's opening phrase, without fillers; "" when it is a question."""
    stop = _HEAD_STOP.search(body)
    if stop is not None and stop["question"]:
        return ""
    head = body[: stop.start() if stop else len(body)].strip(" \t\"'“”「」")
    return canon(_FILLER.sub("", head, count=1))


def head_option(body: str, options: Mapping[str, str], *, loose: bool) -> str | None:
    """The one option that the reply's opening phrase is: "Sevoflurane. (Desflurane, by
    contrast…)", "About 2%."; with `loose`, also a phrase that is part of only one option
    ("phrenic" for "Phrenic nerve", "脂肪乳剂" for "20%脂肪乳剂") or, in Chinese, nearly one
    ("穿刺后头痛" for "穿破后头痛")."""
    head = _head(body)
    if not _usable(head) or _NEGATIVE.search(head):
        return None
    texts = {k: canon_option(t) for k, t in options.items()}
    if hits := _equal(head, texts):  # and no other option is a sentence of its own
        return hits[0] if _alone(body, texts) == set(hits[:1]) else None
    if not loose or any(next(_occurrences(canon(body), t), None) for t in texts.values()):
        return None  # a loose match only when the reply names no option in full
    for matches in (_part_of, _near):
        if hits := matches(head, texts):
            return hits[0] if len(hits) == 1 else None
    return None


def _alone(body: str, texts: Mapping[str, str]) -> set[str]:
    """The options that are a sentence of `body` on their own ("Propofol.\nKetamine.")."""
    said = {canon(_FILLER.sub("", s.strip(), count=1)) for s in _SENTENCES.split(body)}
    return {k for k, t in texts.items() if t in said}


def _equal(head: str, texts: Mapping[str, str]) -> list[str]:
    return [k for k, t in texts.items() if t == head]


def _part_of(head: str, texts: Mapping[str, str]) -> list[str]:
    return [k for k, t in texts.items() if next(_occurrences(t, head), None)]


def _near(head: str, texts: Mapping[str, str]) -> list[str]:
    """The options a short Chinese reply nearly spells, with the same numbers."""
    if len(head) > _NEAR_MAX or len(_CJK_CHAR.findall(head)) * 2 < len(head):
        return []
    digits = _DIGITS.findall(head)
    ratios = sorted(
        (
            (SequenceMatcher(None, head, t, autojunk=False).ratio(), k)
            for k, t in texts.items()
            if _DIGITS.findall(t) == digits
        ),
        reverse=True,
    )
    if not ratios or ratios[0][0] < _NEAR:
        return []
    if len(ratios) > 1 and ratios[1][0] > ratios[0][0] - _MARGIN:
        return [ratios[0][1], ratios[1][1]]
    return [ratios[0][1]]


_SENTENCES = re.compile(r"[!?;。！？；\n]|\.(?!\d)")


#: What joins the options of a list: "propofol, fentanyl and rocuronium", "A、B和C".
_LIST_GLUE = re.compile(
    r"""
    [ \t]*(?:,|、|/|和|与|及|以及|或)[ \t]*          # "propofol, fentanyl", "芬太尼和罗库溴铵"
  | [ \t]*,?[ \t]+(?:and|or)[ \t]+                # "fentanyl and rocuronium", ", and"
    """,
    re.VERBOSE,
)


#: A listing that says the same of the others: "… are also safe", "…也安全": none is apart.
_ALSO = re.compile(r"\b(?:also|too|as\s+well|likewise|similarly|equally)\b|也|同样")


def singled_out(hay: str, options: Mapping[str, str]) -> str | None:
    """The one option a reply sets apart from all the others, named alone in one sentence
    while another lists all the rest: "Thiopental is contraindicated. Propofol, fentanyl and
    rocuronium are considered safe." A single-answer question has one answer: the one."""
    texts = {k: t for k, t in ((k, canon_option(t)) for k, t in options.items()) if _usable(t)}
    if len(texts) < 3 or len(texts) != len(options):
        return None
    naming = []
    for sentence in _SENTENCES.split(canon(hay)):
        spans = {k: at for k, t in texts.items() if (at := next(_occurrences(sentence, t), None))}
        if spans:
            naming.append((sentence, spans))
    if len(naming) != 2:
        return None
    (_, alone), (listing, rest) = sorted(naming, key=lambda n: len(n[1]))
    if len(alone) != 1 or alone.keys() & rest.keys() or alone.keys() | rest.keys() != texts.keys():
        return None
    if _ALSO.search(listing):
        return None
    spans = sorted(rest.values())
    gaps = (listing[e:s] for (_, e), (s, _) in pairwise(spans))
    return next(iter(alone)) if all(_LIST_GLUE.fullmatch(g) for g in gaps) else None
