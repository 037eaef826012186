"""Multiple-choice scoring: find the model's final letter in free text, then exact match.

`extract` runs one cascade over the reply and records which rule decided, for audit:

1. NFKC (full-width ``Ｃ（）：`` become ``C():``); only text after the last ``</think>``
   counts, and a ``<think>`` that never closes is truncated reasoning: no answer.
2. Explicit conclusions, the last one winning: ``Answer: C``, ``答案：B``, ``故选D``,
   ``\\boxed{D}``, ``{"answer": "B"}``, ``not A; it is D``. Weaker conclusions
   (``D is correct``, ``Therefore, D.``, ``B项正确``) count when there is no explicit one, or
   when they follow it after a self-correction cue ("wait", "actually", "不对").
3. A bare reply: ``C``, ``(C)``, ``C) Propofol``.
4. A refusal ("I cannot provide medical advice", "我无法回答") gives no answer.
5. The one option whose text the reply quotes (in a short reply, or in the sentence after
   a conclusion phrase).

Letters must be option keys and stand alone: the letter in "hemophilia A", "vitamin C",
"type B dissection", "group A strep", "HbA1c", "IgA" and the article in "A patient
presents" are not answers. Several letters for one question ("A and C", "答案：AC",
"B or C") give None with rule "multiple-answers": never a guess.

`strict_choice` keeps only the explicit markers of step 2 (answer-marker, zh-marker,
boxed, json), to be reported beside the lenient `extract_choice`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from medjudge.errors import DatasetError
from medjudge.records import Answer, Item, McqScore

__all__ = [
    "Extraction",
    "Rule",
    "extract",
    "extract_choice",
    "majority_vote",
    "score_answer",
    "strict_choice",
]

#: The rule that found the letter, or why there is none.
Rule = Literal[
    "answer-marker",  # Answer: C / The answer is (b)
    "zh-marker",  # 答案：B / 故选D / 正确答案是 B
    "boxed",  # \boxed{D}
    "json",  # {"answer": "B"}
    "negation",  # not A; it is D / 不是A，而是D
    "conclusion",  # D is correct / Therefore, D. / I choose D / B项正确
    "bare-letter",  # C / (C) / C) Propofol
    "option-text",  # the reply quotes one option's text
    "empty",
    "refusal",
    "truncated-reasoning",
    "multiple-answers",
    "no-answer",
    "failed-answer",
]


@dataclass(frozen=True, slots=True)
class Extraction:
    """The extracted letter (uppercase option key) or None, and the rule that decided."""

    choice: str | None
    rule: Rule


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    rule: Rule
    letters: tuple[str, ...]

    @property
    def strong(self) -> bool:
        """Explicit markers beat weaker conclusions ("D is correct", "Therefore, D.")."""
        return self.rule != "conclusion"


# ---------------------------------------------------------------- letters ---


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that may follow a letter answer; any other lowercase word makes "A" an article
#: ("A common cause", "a patient") or the letter part of a term ("B cells").
_ALLOWED_AFTER = _words(
    "is was are were would will should could can may might must seems appears remains "
    "and or but because since as so therefore thus hence which that for due here then "
    "it this also only"
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
    [\s:=>\-—–】\]]*                                  # punctuation between marker and letter
    (?:(?i:I\s+(?:think|believe)\s+(?:(?:it|that)(?:'s|\s+is)\s+)?))?  # "I think it's C"
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
    \s*(?:,|/|&|\+|、|和|与|及|或|(?i:and/or|and|or)\b)\s*   # separator: "A and C", "A、C"
    (?:(?i:option|choice)\s*|选项\s*)?                      # optional noun
    (?:
        [(\[]\s*(?P<wrapped>[A-Za-z])\s*[)\]]               # (C)
      | (?P<bare>[A-Z])(?![A-Za-z0-9'’\-])                  # C
    )
    (?=\s*(?:$|[^\w\s]|(?i:and|or|are|both)\b|[选项都均和或与及两正是为]))  # list goes on or ends
    """,
    re.VERBOSE | re.MULTILINE,
)


def _is_term(text: str, start: int, end: int) -> bool:
    """True when the letter at text[start:end] belongs to a term or is the article 'A'."""
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if before:
        word = before[1].lower()
        if word in _TERM_BEFORE or word.rsplit("-", 1)[-1] in _TERM_BEFORE:
            return True
    if text.endswith(_ZH_TERM_BEFORE, max(0, start - 3), start):
        return True
    if text.startswith(_ZH_TERM_AFTER, end):
        return True
    if (abbr := _ABBREVIATION.match(text, end)) and (
        abbr[1] in _SPECIES or (text[start].islower() and text[end + 1].isalpha())
    ):
        return True
    after = _TOKEN_AFTER.match(text, end)
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
        if _is_term(text, start, end):
            return None
        letter = m["bare"].upper()
    return letter if letter in keys else None


def _letters_at(text: str, pos: int, keys: frozenset[str]) -> tuple[tuple[str, ...], int] | None:
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


# ---------------------------------------------------------------- markers ---

_EN_MARKER = re.compile(
    r"""
    \b(?=[abcfmr])                                      # fast reject: no marker starts here
    (?<!incorrect\s)(?<!wrong\s)(?<!each\s)(?<!every\s)(?<!other\s)(?<!possible\s)
    (?:
        answers?(?:\s+to\s+(?:this|the)\s+question)?    # "answer", "answer to this question"
        (?:\s+(?:choice|option|letter))?                # "answer choice"
        \s*(?:
            (?:is|are|would\s+be|will\s+be|should\s+be|must\s+be|could\s+be|might\s+be|may\s+be|=)
            (?:\s+(?:therefore|thus|clearly|probably|likely|most\s+likely|definitely|indeed
                    |actually|then|still|now|simply|either))*  # "the answer is therefore D"
            \s*:?
          | [:\-—=]                                     # "Answer: C", "Answer - C"
          | [ \t]*\n                                    # "## Final answer" with the letter below
        )
      | correct\s*:                                     # "Correct: C"
      | (?:correct|right|best|final|most\s+appropriate|most\s+likely)\s+
        (?:option|choice|response|selection)\s*       # "the correct option is D"
        (?:is|would\s+be|will\s+be|should\s+be|=|:)
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)

_ZH_MARKER = re.compile(
    r"""
    (?:
        答案\s*(?:选项)?\s*(?:应该?|应当|可能|也许)?\s*(?:是|为|选择?)?   # 答案：B / 正确答案是 B / 答案应选B
      | 正确的?(?:选项|选择)\s*(?:应该?)?\s*(?:是|为)?         # 正确选项为B
      | (?<!不)(?<!不应)(?<!不应该)(?<!不能)(?<!不该)(?<!不会)
        选(?!项)(?!择题)(?:择)?\s*(?:是|为)?                   # 故选D / 选C / 应选择C (not 不选A)
      | (?<![\u4e00-\u9fff])答\s*:                          # 答：C
    )
    """,
    re.VERBOSE,
)

_NEGATION = re.compile(
    r"""
    \b(?i:not)\s+(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z])(?![\w'’-])  # "not A"
    \s*[,;:.]?\s*
    (?:
        (?i:but|rather|instead)\b[\s,]*                 # "not A but D"
        (?:(?i:it|this|that)(?i:'s|\s+is|\s+must\s+be|\s+should\s+be)\s+)?
      | (?i:it|this|that)(?i:'s|\s+is|\s+must\s+be|\s+should\s+be)\s+  # "not A; it is D"
    )
  | (?:不是|并非|而非)\s*(?:选项)?\s*[A-Za-z]\s*(?:选项|项)?\s*[,;。]?\s*   # 不是A，
    (?:而是|应该?是|应该?选)                             # 而是D
    """,
    re.VERBOSE,
)

#: "It's D, not A": the letter comes first.
_NEGATION_AFTER = re.compile(
    r"""
    \b(?i:it'?s|it\s+is|this\s+is)\s+
    (?P<letters>(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z]))
    \s*,?\s*(?i:and\s+)?(?i:not)\s+(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z])\b
    """,
    re.VERBOSE,
)

_LETTER_FIRST = re.compile(
    r"""
    (?<![\w'’-])
    (?P<letters>(?:(?i:option|choice)\s+)?\(?[A-Za-z]\)?     # "D", "(d)", "Option D"
        (?:\s*(?:,|&|(?i:and|or))\s*(?:(?i:option|choice)\s+)?\(?[A-Za-z]\)?)*)  # "A and C"
    \s+(?i:is|are|would\s+be|seems\s+to\s+be|appears\s+to\s+be)\s+
    (?i:the\s+)?(?i:only\s+|both\s+)?
    (?i:(?:most\s+)?(?:correct|right|best|appropriate)          # "D is (the most) correct"
      | (?:most\s+likely|final)\s+(?:answer|option|choice)      # "D is the most likely answer"
      | answer)                                                 # "D is the answer"
    (?![\w-])
    """,
    re.VERBOSE,
)

_ZH_LETTER_FIRST = re.compile(
    r"""
    (?<![A-Za-z])
    (?P<letters>[A-Za-z](?:\s*[、,和与及]\s*[A-Za-z])*)   # B / A、C
    \s*(?:选项|项)?\s*(?:是|为)?\s*最?                     # 选项 / 项 / 是
    (?:正确|对的|最佳|合适|恰当)                            # 正确 (不正确 never matches)
    """,
    re.VERBOSE,
)

_THEREFORE = re.compile(
    r"""
    \b(?i:therefore|thus|hence|so|consequently|in\s+conclusion|in\s+summary|overall)\b
    \s*,?\s*(?:(?i:it'?s|it\s+is)\s+)?                  # "Therefore, D." / "So it's D."
  | \b(?i:it'?s|it\s+is)\s+(?:(?i:actually|really|clearly)\s+)?  # "It's D." / "it's actually C"
  | \bI\s+(?i:think|believe)\s+(?:(?i:it'?s|it\s+is)\s+)?  # "I think C."
    """,
    re.VERBOSE,
)
_SENTENCE_END = re.compile(r"\s*(?:[.!;,)]|$)", re.MULTILINE)

_CHOOSE = re.compile(
    r"""
    \bI(?i:\s+would|\s+will|'d|'ll)?\s+
    (?i:choose|select|pick|go\s+with|opt\s+for)\s+             # "I'd go with D"
  | \b(?i:my\s+(?:final\s+)?(?:choice|pick|selection)\s+is)\s*:?  # "my choice is D"
  | \b(?i:corresponds\s+to|matches)\s+(?=(?i:option|choice))  # "corresponds to option B"
    """,
    re.VERBOSE,
)

_BOXED = re.compile(
    r"""
    \\boxed\s*\{
    (?P<body>(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)      # content, two levels of braces
    \}
    """,
    re.VERBOSE,
)
_LATEX_WRAP = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mathit|rm|bf)\s*|[{}$]|\\ ")

_JSON = re.compile(
    r"""
    ["'](?:(?:final|correct)[_ ]?)?(?:answer|choice|option)["']   # "answer", "final_answer"
    \s*:\s*
    (?:
        "(?P<dq>[^"\n]{0,300})"                         # "B" / "B. Propofol"
      | '(?P<sq>[^'\n]{0,300})'                         # 'B'
      | \[(?P<arr>[^\]\n]{0,300})\]                     # ["A", "C"]
      | (?P<raw>[A-Za-z])\b                             # unquoted B
    )
  | ["'](?:正确)?(?:答案|选项)["']\s*:\s*"(?P<zh>[^"\n]{0,300})"  # {"答案": "B"}
    """,
    re.VERBOSE | re.IGNORECASE,
)

_CORRECTION = re.compile(
    r"\b(?:wait|actually|on\s+second\s+thought|correction|scratch\s+that|I\s+was\s+wrong"
    r"|I\s+made\s+a\s+mistake|let\s+me\s+reconsider)\b|不对|等等|更正|纠正|修正|其实|重新考虑",
    re.IGNORECASE,
)

_REFUSAL = re.compile(
    r"""
    \bI\s*(?:cannot|can\s*not|can'?t|am\s+(?:not\s+able|unable)|'?m\s+(?:not\s+able|unable)
          |won'?t|will\s+not|must\s+decline)
      \s+(?:to\s+)?(?:provide|give|offer|answer|help|assist|diagnose|recommend|choose|select
                    |determine)                       # "I cannot provide medical advice"
  | \bas\s+an\s+AI\b                                    # "As an AI language model"
  | \bunable\s+to\s+(?:answer|provide|determine|choose) # "I am sorry, unable to answer"
  | (?:无法|不能|不便|没法|不可以)(?:回答|提供|作答|给出|确定|判断|选择)  # 我无法回答
  | 抱歉|对不起                                          # an apology instead of an answer
    """,
    re.VERBOSE | re.IGNORECASE,
)

_THINK_OPEN = re.compile(r"<\s*(?:think|thinking|reasoning)\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*(?:think|thinking|reasoning)\s*>", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*`]+")
_CJK = re.compile(r"[\u4e00-\u9fff]")

# -------------------------------------------------------------- candidates ---


def _find(
    regex: re.Pattern[str], rule: Rule, text: str, keys: frozenset[str], must_end: bool
) -> Iterator[_Candidate]:
    """Letters right after each match, or in its group `letters` ("D is correct")."""
    before = "letters" in regex.groupindex
    for m in regex.finditer(text):
        parsed = _letters_at(text, m.start("letters") if before else m.end(), keys)
        if parsed is None or (before and text[parsed[1] : m.end("letters")].strip()):
            continue
        if not must_end or _SENTENCE_END.match(text, parsed[1]):
            yield _Candidate(m.start(), max(m.end(), parsed[1]), rule, parsed[0])


def _fragment(frag: str, keys: frozenset[str], options: Mapping[str, str]) -> tuple[str, ...]:
    """Letters in a boxed or JSON value: a letter ("B", "B. Propofol") or an option's text."""
    frag = frag.strip().strip("'\"").strip()
    parsed = _letters_at(frag, 0, keys)
    if parsed:
        return parsed[0]
    norm = _norm(frag)
    return tuple(k for k, t in options.items() if norm and _norm(t) == norm)[:1]


def _boxed(text: str, keys: frozenset[str], options: Mapping[str, str]) -> Iterator[_Candidate]:
    for m in _BOXED.finditer(text):
        letters = _fragment(_LATEX_WRAP.sub("", m["body"]), keys, options)
        if letters:
            yield _Candidate(m.start(), m.end(), "boxed", letters)


def _json(text: str, keys: frozenset[str], options: Mapping[str, str]) -> Iterator[_Candidate]:
    for m in _JSON.finditer(text):
        if m["arr"] is not None:
            parts = [_fragment(p, keys, options) for p in m["arr"].split(",")]
            letters = tuple(dict.fromkeys(x for p in parts for x in p))
        else:
            letters = _fragment(m["dq"] or m["sq"] or m["raw"] or m["zh"] or "", keys, options)
        if letters:
            yield _Candidate(m.start(), m.end(), "json", letters)


#: (pattern, rule, the letter must end its sentence, needs Chinese text); strict ones first.
_FINDERS: tuple[tuple[re.Pattern[str], Rule, bool, bool], ...] = (
    (_EN_MARKER, "answer-marker", False, False),
    (_ZH_MARKER, "zh-marker", False, True),
    (_NEGATION, "negation", False, False),
    (_NEGATION_AFTER, "negation", False, False),
    (_LETTER_FIRST, "conclusion", False, False),
    (_ZH_LETTER_FIRST, "conclusion", False, True),
    (_THEREFORE, "conclusion", True, False),
    (_CHOOSE, "conclusion", False, False),
)


def _candidates(
    text: str, keys: frozenset[str], options: Mapping[str, str], strict: bool
) -> list[_Candidate]:
    chinese = _CJK.search(text) is not None
    found = [*_boxed(text, keys, options), *_json(text, keys, options)]
    for regex, rule, must_end, needs_chinese in _FINDERS[: 2 if strict else None]:
        if chinese or not needs_chinese:
            found += _find(regex, rule, text, keys, must_end)
    return found


def _pick(found: list[_Candidate], text: str) -> _Candidate | None:
    """The last strong conclusion; a later weak one wins only after a self-correction cue."""
    strong = [c for c in found if c.strong]
    weak = sorted((c for c in found if not c.strong), key=lambda c: c.start)
    if not strong:
        return weak[-1] if weak else None
    last = max(strong, key=lambda c: (c.start, c.end))
    corrected = [
        c for c in weak if c.start >= last.end and _CORRECTION.search(text, last.end, c.end)
    ]
    return corrected[-1] if corrected else last


# ------------------------------------------------------- lenient fallbacks ---

_BARE = re.compile(
    r"""
    (?:(?i:option|choice|answer)\s*|选项\s*)?         # "Option C", "选项C"
    (?:[(\[]\s*(?P<wrapped>[A-Za-z])\s*[)\]] | (?P<bare>[A-Za-z])(?![A-Za-z0-9'’]))  # C, (C)
    \s*(?:选项|项)?                                    # "C项"
    (?P<sep>\s*[.):\-—–、])?                            # "C." / "C)" / "C:"
    """,
    re.VERBOSE,
)
_BARE_MULTI = re.compile(
    r"""
    (?:[A-Z]{2,}                                        # "AC"
      | \(?[A-Za-z]\)?(?:\s*(?:,|/|&|、|和|或|(?i:and/or|and|or))\s*\(?[A-Za-z]\)?)+)  # "B or C"
    \s*[.。]?
    """,
    re.VERBOSE,
)
_LONE_LETTER = re.compile(r"(?<![A-Za-z])[A-Za-z](?![A-Za-z])")
_LABEL_LINE = re.compile(r"\(?(?P<letter>[A-Za-z])\)?\s*[.):、]\s*(?P<text>.+)")
_QUOTES = "\"'“”「」『』 \t"


def _restates_option(lines: list[str], options: Mapping[str, str]) -> bool:
    """True when the line is an option restated ("A. Propofol"): the reply lists options."""
    m = _LABEL_LINE.fullmatch(lines[0]) if lines else None
    return m is not None and _norm(m["text"]) == _norm(options.get(m["letter"].upper(), ""))


def _bare_letter(body: str, keys: frozenset[str], options: Mapping[str, str]) -> Extraction | None:
    """A reply that is just a letter, or a letter and its option text on the first line."""
    lines = [s for line in body.splitlines() if (s := line.strip(_QUOTES))]
    if not lines:
        return None
    first = lines[0]
    if _BARE_MULTI.fullmatch(first):
        letters = {c.upper() for c in _LONE_LETTER.findall(first)}
        letters |= set(first) if first.rstrip(".。").isupper() else set()
        letters &= keys
        if len(letters) > 1:
            return Extraction(None, "multiple-answers")
    m = _BARE.match(first)
    if m is None:
        return None
    letter = (m["wrapped"] or m["bare"]).upper()
    if letter not in keys or (m["bare"] and _is_term(first, *m.span("bare"))):
        return None
    rest = first[m.end() :].strip()
    labelled = bool(m["wrapped"] or m["sep"])
    option = _norm(options.get(letter, ""))
    quotes_option = bool(option) and _norm(rest).startswith(option)
    if not rest or (len(lines) > 1 and _norm(rest) == option):
        return None if _restates_option(lines[1:2], options) else Extraction(letter, "bare-letter")
    if len(lines) == 1 and (labelled or quotes_option):
        return Extraction(letter, "bare-letter")
    return None


#: A sentence that rejects something: an option quoted in it is not the answer.
_NEGATIVE = re.compile(
    r"\b(?:not|no|isn't|cannot|can't|never|except|incorrect|wrong|false|contraindicated|avoid(?:ed)?"
    r"|rather\s+than|instead\s+of)\b|不是|并非|而非|不选|排除|错误|不正确|禁忌|禁用"
)
_SENTENCE_STOP = re.compile(r"[.!?;。！？；\n]")
_SHORT_REPLY = 400


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split()).strip(" .。,，;；:：!！()")


def _mentions(hay: str, needle: str) -> bool:
    """True when `needle` occurs in `hay` as whole words, in a sentence that rejects nothing."""
    s = -1
    while (s := hay.find(needle, s + 1)) >= 0:
        e = s + len(needle)
        if needle[0].isalnum() and s > 0 and hay[s - 1].isalnum() and hay[s - 1].isascii():
            continue
        if needle[-1].isalnum() and e < len(hay) and hay[e].isalnum() and hay[e].isascii():
            continue
        stops = [x.end() for x in _SENTENCE_STOP.finditer(hay, max(0, s - 300), s)]
        stop = _SENTENCE_STOP.search(hay, e)
        if not _NEGATIVE.search(
            hay, stops[-1] if stops else max(0, s - 300), stop.start() if stop else len(hay)
        ):
            return True
    return False


def _only_option(hay: str, options: Mapping[str, str]) -> str | None:
    texts = {k: _norm(t) for k, t in options.items()}
    usable = {k: t for k, t in texts.items() if len(t) >= (2 if not t.isascii() else 3)}
    hits = {k for k, t in usable.items() if _mentions(hay, t)}
    # "Hepatitis B and C" quoted also contains "Hepatitis B": keep the longer option.
    hits = {k for k in hits if not any(k != o and usable[k] in usable[o] for o in hits)}
    return next(iter(hits)) if len(hits) == 1 else None


def _option_text(body: str, keys: frozenset[str], options: Mapping[str, str]) -> str | None:
    """The one option whose text the reply quotes (a short reply, or its last conclusion)."""
    valid = {k: t for k, t in options.items() if k in keys}
    ends = [
        m.end() for r in (_EN_MARKER, _ZH_MARKER, _THEREFORE, _CHOOSE) for m in r.finditer(body)
    ]
    if ends:
        tail = body[max(ends) :].split("\n", 1)[0]
        if key := _only_option(_norm(tail), valid):
            return key
    return _only_option(_norm(body), valid) if len(body) <= _SHORT_REPLY else None


# ----------------------------------------------------------------- public ---


def _keys(options: Mapping[str, str]) -> frozenset[str]:
    keys = (unicodedata.normalize("NFKC", k).strip().upper() for k in options)
    return frozenset(k for k in keys if len(k) == 1 and "A" <= k <= "Z")


def _after_reasoning(text: str) -> str | None:
    """The text after the last closing </think>; None when reasoning never closed."""
    closing = None
    for closing in _THINK_CLOSE.finditer(text):
        pass
    body = text[closing.end() :] if closing else text
    return None if _THINK_OPEN.search(body) else body


def extract(text: str | None, options: Mapping[str, str], *, strict: bool = False) -> Extraction:
    """The model's final answer letter in `text`, and the rule that found it (or why not).

    `options` maps option letters to their texts; only its letters can be answers.
    With `strict=True` only explicit markers count (answer-marker, zh-marker, boxed, json).
    """
    if text is None or not text.strip():
        return Extraction(None, "empty")
    normalized = unicodedata.normalize("NFKC", text).replace("’", "'")
    body = _after_reasoning(_MARKDOWN.sub("", normalized))
    if body is None:
        return Extraction(None, "truncated-reasoning")
    if not body.strip():
        return Extraction(None, "no-answer")
    keys = _keys(options)
    norm_options = {unicodedata.normalize("NFKC", k).strip().upper(): v for k, v in options.items()}
    chosen = _pick(_candidates(body, keys, norm_options, strict), body)
    if chosen is not None:
        if len(chosen.letters) > 1:
            return Extraction(None, "multiple-answers")
        return Extraction(chosen.letters[0], chosen.rule)
    if not strict and (bare := _bare_letter(body, keys, norm_options)) is not None:
        return bare
    if _REFUSAL.search(body):
        return Extraction(None, "refusal")
    if strict:
        return Extraction(None, "no-answer")
    if (key := _option_text(body, keys, norm_options)) is not None:
        return Extraction(key, "option-text")
    return Extraction(None, "no-answer")


def extract_choice(text: str | None, options: Mapping[str, str]) -> str | None:
    """The model's final answer letter (uppercase option key), or None: never a guess."""
    return extract(text, options).choice


def strict_choice(text: str | None, options: Mapping[str, str]) -> str | None:
    """The answer letter from explicit markers only ("Answer: C", "答案：B", boxed, JSON)."""
    return extract(text, options, strict=True).choice


def _answer_key(item: Item) -> str:
    key = unicodedata.normalize("NFKC", item.answer_key or "").strip().upper()
    if item.kind == "mcq" and key in _keys(item.options):
        return key
    raise DatasetError(
        item.source or item.benchmark,
        f"a {item.kind} item with answer key {item.answer_key!r} and options "
        f"{sorted(item.options)} cannot be scored as a multiple-choice question",
        item=item.item_id,
        field="answer_key",
        hint="the answer key must be one of the option letters; open items go to the judge",
    )


def score_answer(item: Item, answer: Answer) -> McqScore:
    """Exact match of the extracted letter against `item.answer_key`."""
    key = _answer_key(item)
    if answer.item_id != item.item_id:
        raise ValueError(f"answer for item {answer.item_id!r} scored against {item.item_id!r}")
    if answer.status == "failed" or answer.text is None:
        found = Extraction(None, "failed-answer")
    else:
        found = extract(answer.text, item.options)
    return McqScore(
        run_id=answer.run_id,
        item_id=answer.item_id,
        sample=answer.sample,
        choice=found.choice,
        rule=found.rule,
        correct=found.choice == key,
    )


def majority_vote(choices: Sequence[str | None]) -> str | None:
    """The most common letter among `choices`; None when letters tie or none was found."""
    counts = Counter(c for c in choices if c is not None).most_common(2)
    if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]
