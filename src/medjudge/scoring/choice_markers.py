"""Where a reply states its answer: markers, conclusions, tags, boxes, JSON and hedges.

Each finder yields `Candidate`s: the letters written after (or before) a marker and where.
`pick` chooses the one that decides. Explicit markers ("Answer: C", "答案：B", ``\\boxed``,
JSON, ``<answer>``) beat weaker conclusions ("D is correct", "Therefore, D.", "最可能的是D"),
the last one winning; a later weak conclusion wins only after a self-correction cue
("wait", "actually", "不对", "更正").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from medjudge.scoring.choice_letters import (
    Candidate,
    Gate,
    Rule,
    folded,
    gate,
    letters_at,
    may_match,
)
from medjudge.scoring.option_match import (
    canon,
    canon_option,
    option_conclusions,
    value_letters,
)

__all__ = [
    "CONCLUSION_PHRASES",
    "candidates",
    "has_correction",
    "lenient_candidates",
    "pick",
    "strict_candidates",
]

_EN_MARKER = re.compile(
    r"""
    \b(?=[abcfmrs])                                     # fast reject: no marker starts here
    (?<!incorrect\s)(?<!wrong\s)(?<!each\s)(?<!every\s)(?<!other\s)(?<!possible\s)
    (?:
        answers?(?:\s+to\s+(?:this|the)\s+question)?    # "answer", "answer to this question"
        (?:\s+(?:choice|option|letter))?(?:\s+here)?    # "answer choice", "answer here"
        \s*(?:
            (?:is|are|would\s+be|will\s+be|should\s+be|must\s+be|could\s+be|might\s+be|may\s+be|=)
            (?:\s+(?:therefore|thus|clearly|probably|likely|most\s+likely|definitely|indeed
                    |actually|then|still|now|simply|either))*  # "the answer is therefore D"
            \s*:?
          | [:\-—=→]                                    # "Answer: C", "Answer - C", "answer → B"
          | [ \t]*\n                                    # "## Final answer" with the letter below
        )
      | correct\s*:                                     # "Correct: C"
      | (?:correct|right|best|final|most\s+appropriate|most\s+likely)\s+
        (?:option|choice|response|selection)(?:\s+here)?\s*  # "the correct option is D",
                                                        # "the best response here would be"
        (?:is|would\s+be|will\s+be|should\s+be|=|:)
      | (?:ans|final|response|conclusion|my\s+(?:answer|pick|choice|selection)
          |(?:selected|chosen)\s+(?:option|answer|choice))
        \s*(?:[:\-—=→]|\.(?=\s*\(?[A-Z]\b))             # "Ans: D", "Ans. B", "My pick: B"
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)

_ZH_MARKER = re.compile(
    r"""
    (?=[答正选即应就更修改结最])                              # fast reject: no marker starts here
    (?:
        答案\s*(?:选项)?\s*(?:应该?|应当|可能|也许)?\s*(?:是|为|选择?)?\s*(?:选项)?  # 答案：B / 答案应选B
      | 正确的?(?:选项|选择)\s*(?:应该?)?\s*(?:是|为)?         # 正确选项为B
      | (?<!不)(?<!不应)(?<!不应该)(?<!不能)(?<!不该)(?<!不会)
        选(?!项)(?!择题)(?:择)?\s*(?:是|为)?\s*(?:选项)?       # 故选D / 应选择选项A (not 不选A)
      | (?:即为?|即是|应为|就是)\s*选项                        # 即为选项A
      | (?:更正|修正|改)\s*(?:答案)?\s*(?:为|成)\s*(?:选项)?     # 更正为C
      | (?:结论|最终选择)\s*(?::|是|为)                         # 结论：B
      | (?<![\u4e00-\u9fff])答\s*:                          # 答：C
    )
    """,
    re.VERBOSE,
)

_ZH_CONCLUSION = re.compile(
    r"""
    (?=[最正的因所故综应])                                  # fast reject: no phrase starts here
    (?:
    最(?:有)?(?:可能|佳|合适|恰当|符合)的?(?:答案|选项|选择)?\s*(?:是|为)   # 最可能的是D / 最佳选择是C
  | 正确的\s*(?:是|为)                                    # 正确的是D
  | (?<!排除)(?<!不选)的\s*(?:是|为)\s*(?:选项)?           # 不属于…表现的是D (ends there)
    (?=[A-Z]\s*(?:选项|项)?\s*(?:[。.；;，,！!]|$))
  | (?:因此|所以|因而|故|综上)[^。；;\n]{0,30}?              # 因此昂丹司琼对应A。
    (?:对应于?|属于)\s*(?:选项)?(?=[A-Z]\s*(?:[。.；;，,！!]|$))
  | (?:应该|应当)\s*(?:是|为)                             # 应该是D (after 不对: a correction)
    )
    """,
    re.VERBOSE,
)

_NEGATION = re.compile(
    r"""
    (?=(?i:n)|[不并而])                                   # fast reject: no negation starts here
    (?:
    \b(?i:not)\s+(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z])(?![\w'’-])  # "not A"
    \s*[,;:.]?\s*
    (?:
        (?i:but|rather|instead)\b[\s,]*                 # "not A but D"
        (?:(?i:it|this|that)(?i:'s|\s+is|\s+must\s+be|\s+should\s+be)\s+)?
      | (?i:it|this|that)(?i:'s|\s+is|\s+must\s+be|\s+should\s+be)\s+  # "not A; it is D"
    )
  | (?:不是|并非|而非)\s*(?:选项)?\s*[A-Za-z]\s*(?:选项|项)?\s*[,;。]?\s*   # 不是A，
    (?:而是|应该?是|应该?选)                             # 而是D
    )
    """,
    re.VERBOSE,
)

#: "It's D, not A": the letter comes first.
_NEGATION_AFTER = re.compile(
    r"""
    (?=(?i:[it]))\b(?i:it'?s|it\s+is|this\s+is)\s+         # (fast reject first)
    (?P<letters>(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z]))
    \s*,?\s*(?i:and\s+)?(?i:not)\s+(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z])\b
    """,
    re.VERBOSE,
)

_LETTER_FIRST = re.compile(
    r"""
    (?<![\w'’-])
    (?P<letters>(?:(?i:option|choice)\s+)?\(?[A-Za-z]\)?)      # "D", "(d)", "Option D"
    \s+(?:
        (?i:is|would\s+be|seems\s+to\s+be|appears\s+to\s+be|remains)\s+
        (?i:the\s+)?(?i:only\s+)?
        (?i:(?:most\s+)?(?:correct|right|best|appropriate)      # "D is (the most) correct"
          | (?:most\s+likely|final)\s+(?:answer|option|choice)  # "D is the most likely answer"
          | answer | best\s+fit)                                # "D is the answer"
      | (?i:fits|matches)(?:\s+(?!best)[\w-]+){0,3}\s+(?i:best)  # "B fits the scenario best"
    )
    (?![\w-])
    """,
    re.VERBOSE,
)

#: "A and C are correct": several letters, so several answers.
_LETTERS_ARE = re.compile(
    r"""
    (?<![\w'’-])
    (?P<letters>(?:(?i:options?|choices?)\s+)?\(?[A-Za-z]\)?(?![\w'’-])
        (?:\s*(?:,|&|(?i:and|or))\s*(?:(?i:option|choice)\s+)?\(?[A-Za-z]\)?(?![\w'’-]))+)
                                                               # "A and C"
    \s+(?i:are|would\s+be)\s+(?i:both\s+|all\s+)?(?i:correct|right|true|the\s+answers?)
    """,
    re.VERBOSE,
)

#: "So A is the contraindication", "Thus B is the drug of choice."
_SO_LETTER = re.compile(
    r"""
    (?=(?i:[sth]))\b(?i:so|therefore|thus|hence)\s*,?\s*  # (fast reject first)
    (?P<letters>(?:(?i:option|choice)\s+)?\(?[A-Z]\)?)
    \s+(?i:is|would\s+be|must\s+be)\s+(?i:the)\s+[\w-]+(?:\s+[\w-]+){0,3}?
    (?=\s*(?:[.!;\n]|$))                                         # ends the sentence
    """,
    re.VERBOSE,
)

_ZH_LETTER_FIRST = re.compile(
    r"""
    (?<![A-Za-z])
    (?P<letters>[A-Za-z](?:\s*[、,和与及]\s*[A-Za-z])*)   # B / A、C
    \s*(?:选项|项)?\s*(?:是|为)?\s*最?                     # 选项 / 项 / 是
    (?:正确|对的|最佳|合适|恰当|符合)                        # 正确 (不正确 never matches)
    """,
    re.VERBOSE,
)

_THEREFORE = re.compile(
    r"""
    (?:(?<![A-Za-z])(?=[TtHhSsCcIiOoMmPpLl])|(?=[:—–]))  # fast reject: no phrase starts here
    (?:
    \b(?i:therefore|thus|hence|so|consequently|in\s+conclusion|in\s+summary|overall)\b
    \s*,?\s*(?:(?i:it'?s|it\s+is)\s+)?                  # "Therefore, D." / "So it's D."
  | \b(?i:it'?s|it\s+is)\s+(?:(?i:actually|really|clearly)\s+)?  # "It's D." / "it's actually C"
  | \bI\s+(?i:think|believe)\s+(?:(?i:it'?s|it\s+is)\s+)?  # "I think C."
  | \b(?i:it|this)\s+(?i:must|should|has\s+to|would)\s+be\s+  # "It must be B, since…"
  | \b(?i:maybe|perhaps|probably|likely)\s+              # "I'm not sure, maybe B."
  | (?<=\S):(?=[ \t]*\(?[A-Z]\)?[ \t]*(?:[.!。]|$))        # "…safe and fast: B."
  | (?:(?<=\S)|(?<=\S[ \t]))[—–][ \t]*                   # "…the phrenic nerve — A."
    (?=\(?[A-Z]\)?[ \t]*(?:[.!。]|$))                     # (inline: not a list's dash)
    )
    """,
    re.VERBOSE | re.MULTILINE,
)
_SENTENCE_END = re.compile(r"\s*(?:[.!;,)。，；]|$)", re.MULTILINE)

_CHOOSE = re.compile(
    r"""
    (?<![A-Za-z'])(?=[IiWwGgMmCcTtLlOoHhSs])                 # fast reject: no phrase starts here
    (?:
    \b(?:I|[Ww]e)(?i:\s+would|\s+will|'d|'ll|\s+should|\s+can|\s+must)?\s+
    (?i:choose|select|pick|go\s+with|opt\s+for|answer)\s+      # "I'd go with D", "I'd answer B"
  | (?:^|(?<=[.!?]\s))(?i:go\s+with)\s+                      # "Go with A - propofol."
  | \b(?i:my\s+(?:final\s+)?(?:choice|pick|selection|answer)\s+(?:is|would\s+be))\s*:?
                                                               # "my choice is D"
  | \b(?i:corresponds\s+to|matches)\s+(?=(?i:option|choice))  # "corresponds to option B"
  | \b(?i:therefore|thus|hence|so)\b[^.;!?\n]{0,60}?          # "X therefore corresponds to A."
    \b(?i:corresponds\s+to|matches)\s+(?=\(?[A-Z]\)?\s*(?:[.!;]|$))
  | \b(?i:that|this)(?i:'s|\s+is|\s+would\s+be)\s+(?=(?i:option|choice)\b)  # "that is option D"
  | \b(?i:leaves|leaving)\s+(?=\S+\s+as\b)                   # "That leaves B as the correct choice"
  | \b(?i:only)\s+(?=\S+\s+(?i:remains)\b)                   # "Only C remains."
  | \b(?i:the\s+(?:exception|odd\s+one\s+out|outlier|culprit))\s+(?i:here\s+)?(?i:is)\s+
                                                               # "The exception is A"
  | \b(?i:the\s+one)\s+(?:(?i:that|which)\s+)?(?:(?i:is|does|was)\s+)?(?i:not|n't)\s+
    [\w-]+(?:\s+[\w-]+){0,3}?\s+(?i:is)\s+                   # "the one not included is B"
  | \b(?i:the\s+one)\s+(?i:we|you|I)\s+[\w-]+(?:\s+[\w-]+){0,2}?\s+(?i:is)\s+
                                                               # "the one we need is C"
    )
    """,
    re.VERBOSE | re.MULTILINE,
)

_HEDGE = re.compile(
    r"""
    (?:(?<![A-Za-z])(?=[EePpLlMmCcBbWw(A-Z])|(?=可))    # fast reject: no hedge starts here
    (?:
    \b(?i:either)\s+(?:(?i:option)\s+)?\(?(?P<a>[A-Z])\)?\s*,?\s*(?i:or)\s+
        (?:(?i:option)\s+)?\(?(?P<b>[A-Z])\)?(?![\w'’-])             # "either B or C"
  | (?<![\w'’-])\(?(?P<c>[A-Z])\)?\s*,?\s*(?i:or)\s+(?i:maybe|perhaps|possibly)\s+
        \(?(?P<d>[A-Z])\)?(?![\w'’-])                                 # "B or maybe C"
  | \b(?i:probably|likely|maybe|perhaps|possibly)\s+\(?(?P<e>[A-Z])\)?\s*[,;]?\s*(?i:but)\s+
        (?:(?i:option)\s+)?\(?(?P<f>[A-Z])\)?\s+(?i:is|could|might|may)\s+(?i:also\s+)?
        (?i:be\s+)?(?i:possible|right|correct|plausible|reasonable)  # "probably A, but D is possible"
  | \b(?i:can'?t|cannot|could\s+not|couldn'?t)\s+(?i:decide|choose)\s+(?i:between)\s+
        \(?(?P<g>[A-Z])\)?\s+(?i:and|or)\s+\(?(?P<h>[A-Z])\)?(?![\w'’-])  # "can't decide: A or C"
  | \b(?i:both)\s+\(?(?P<i>[A-Z])\)?\s+(?i:and)\s+\(?(?P<j>[A-Z])\)?\s+
        (?i:could|might|may|seem|are\s+plausible)                     # "Both B and C could be"
  | 可能是\s*(?P<k>[A-Z])\s*[,，]?\s*(?:也|或)可能是\s*(?P<l>[A-Z])     # 可能是B，也可能是C
  | \b(?:I|[Ww]e)(?i:\s+would|\s+will|\s+might|\s+could|'d|'ll)?\s+
        (?i:answer|choose|pick|select|say|go\s+with)\s+(?:(?i:option)\s+)?\(?(?P<m>[A-Z])\)?
        \s*(?:/|(?i:or))\s*(?:(?i:option)\s+)?\(?(?P<n>[A-Z])\)?(?![\w'’-])  # "I'd answer B or C"
  | (?<![A-Za-z])(?P<o>[A-Z])\s*(?:或者|或|/)\s*(?:选项)?(?P<p>[A-Z])\s*
        (?:都|均|皆)?(?:可以|可|说得通|取决于|视)                    # B或C都可以 / B或C取决于…
    )
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
#: LaTeX around a boxed letter; longer commands first, or "\\textbf" leaves "bf".
_LATEX_WRAP = re.compile(r"\\(?:textbf|textit|text|mathrm|mathbf|mathit|rm|bf)\s*|[{}$]|\\ ")

_TAG = re.compile(
    r"""
    <\s*(?:answer|final_answer|final)\s*>                # <answer>
    (?P<body>[^<]{0,300})                               # its content
    <\s*/\s*(?:answer|final_answer|final)\s*>           # </answer>
    """,
    re.VERBOSE | re.IGNORECASE,
)

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
    r"""
    (?=[waocsil.…不等更纠修其重再])                         # fast reject: no cue starts here
    (?:
    \b(?:wait|actually|on\s+second\s+thought|correction|scratch\s+that|I\s+was\s+wrong
       |I\s+made\s+a\s+mistake|let\s+me\s+reconsider)\b  # English self-corrections
  | (?:\.{3}|…)\s*no\b                                 # "the answer is A... no, C"
  | 不对|等等|更正|纠正|修正|其实|重新考虑|再想                 # Chinese self-corrections
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_CJK = re.compile(r"[\u4e00-\u9fff]")


def has_correction(text: str) -> bool:
    """True when the reply corrects itself ("wait", "actually", "不对"): its opening phrase
    is then not its answer."""
    return _corrects(text, folded(text), 0, len(text))


def _corrects(text: str, fold: str | None, pos: int, endpos: int) -> bool:
    """A self-correction cue in text[pos:endpos] (`fold` is the text lowercased)."""
    return may_match(_CORRECTION_GATE, fold) and _CORRECTION.search(text, pos, endpos) is not None

#: Phrases after which a reply states its answer, also in an option's words ("Answer: T4").
CONCLUSION_PHRASES: tuple[re.Pattern[str], ...] = (_EN_MARKER, _ZH_MARKER, _THEREFORE, _CHOOSE)


def _find(
    regex: re.Pattern[str], rule: Rule, text: str, keys: frozenset[str], must_end: bool
) -> Iterator[Candidate]:
    """Letters right after each match, or in its group `letters` ("D is correct")."""
    before = "letters" in regex.groupindex
    for m in regex.finditer(text):
        parsed = letters_at(text, m.start("letters") if before else m.end(), keys)
        if parsed is None or (before and text[parsed[1] : m.end("letters")].strip()):
            continue
        if not must_end or _SENTENCE_END.match(text, parsed[1]):
            end = parsed[1] if not before else m.end("letters")
            yield Candidate(m.start(), end, rule, parsed[0])


def _hedges(text: str, keys: frozenset[str]) -> Iterator[Candidate]:
    for m in _HEDGE.finditer(text):
        letters = tuple(dict.fromkeys(g for g in m.groups() if g))
        if len(letters) > 1 and set(letters) <= keys:
            yield Candidate(m.start(), m.end(), "hedge", letters)


def _fragment(
    frag: str, keys: frozenset[str], options: Mapping[str, str]
) -> tuple[tuple[str, ...], int]:
    """Letters in a boxed, tagged or JSON value ("B", "B. Propofol" or an option's text),
    and where the letters end in `frag` (-1 when the value is an option's text)."""
    lead = len(frag) - len(frag.lstrip(" \t\n'\""))
    parsed = letters_at(frag, lead, keys)
    if parsed:
        return parsed
    said = canon(frag.strip(" \t\n'\""))
    found = tuple(k for k, t in options.items() if said and canon_option(t) == said)[:1]
    return found, -1


def _boxed(text: str, keys: frozenset[str], options: Mapping[str, str]) -> Iterator[Candidate]:
    for m in _BOXED.finditer(text):
        letters, _ = _fragment(_LATEX_WRAP.sub("", m["body"]), keys, options)
        if letters:
            yield Candidate(m.start(), m.end(), "boxed", letters)


def _tags(text: str, keys: frozenset[str], options: Mapping[str, str]) -> Iterator[Candidate]:
    """<answer>C</answer>; the candidate ends after the letter, so what follows is checked."""
    for m in _TAG.finditer(text):
        letters, end = _fragment(m["body"], keys, options)
        if letters:
            stop = m.start("body") + end if end >= 0 else m.end()
            yield Candidate(m.start(), stop, "answer-tag", letters)


def _json(text: str, keys: frozenset[str], options: Mapping[str, str]) -> Iterator[Candidate]:
    for m in _JSON.finditer(text):
        if m["arr"] is not None:
            parts = [_fragment(p, keys, options)[0] for p in m["arr"].split(",")]
            letters = tuple(dict.fromkeys(x for p in parts for x in p))
        else:
            value = m["dq"] or m["sq"] or m["raw"] or m["zh"] or ""
            letters = _fragment(value, keys, options)[0]
        if letters:
            yield Candidate(m.start(), m.end(), "json", letters)


#: (pattern, rule, the letter must end its sentence, needs Chinese text, words it cannot
#: match without); strict ones first.
_FINDERS: tuple[tuple[re.Pattern[str], Rule, bool, bool, Gate], ...] = (
    (_EN_MARKER, "answer-marker", False, False, gate(
        ("ans", "correct", "option", "choice", "response", "selection", "final", "conclusion",
         "my", "selected", "chosen"))),
    (_ZH_MARKER, "zh-marker", False, True, gate(("答", "选", "为", "成", "结论"))),
    (_NEGATION, "negation", False, False, gate(("not", "不是", "并非", "而非"))),
    (_NEGATION_AFTER, "negation", False, False, gate(("not",))),
    (_LETTER_FIRST, "conclusion", False, False, gate(
        ("correct", "right", "best", "appropriate", "answer", "option", "choice"))),
    (_LETTERS_ARE, "conclusion", False, False, gate(
        ("are", "would"), ("correct", "right", "true", "answer"))),
    (_SO_LETTER, "conclusion", False, False, gate(
        ("so", "therefore", "thus", "hence"), ("the",), ("is", "would", "must"))),
    (_ZH_LETTER_FIRST, "conclusion", False, True, gate(
        ("正确", "对的", "最佳", "合适", "恰当", "符合"))),
    (_ZH_CONCLUSION, "conclusion", False, True, gate(
        ("最", "的", "对应", "属于", "应该", "应当"))),
    (_THEREFORE, "conclusion", True, False, gate()),
    (_CHOOSE, "conclusion", False, False, gate(
        ("choose", "select", "pick", "go", "opt", "answer", "correspond", "match", "option",
         "choice", "leav", "remains", "exception", "odd", "outlier", "culprit", "one"))),
)
_HEDGE_GATE = gate(("either", "maybe", "perhaps", "possibl", "probabl", "likely", "between",
                    "both", "可能是", "answer", "choose", "pick", "select", "say", "go", "或",
                    "/"))
_CORRECTION_GATE = gate(("wait", "actually", "thought", "correction", "scratch", "wrong",
                         "mistake", "reconsider", "...", "…", "不对", "等等", "更正", "纠正",
                         "修正", "其实", "重新考虑", "再想"))
#: How many of `_FINDERS` are explicit markers or negations (strong); the rest are weak.
_STRONG_FINDERS = 4


def candidates(
    text: str, keys: frozenset[str], options: Mapping[str, str], strict: bool
) -> list[Candidate]:
    """Every place `text` states letters that `pick` could choose; with `strict`, explicit
    markers only. Weak conclusions are looked for only where they could win: when there
    is no explicit marker, or a self-correction cue follows the last one."""
    found = strict_candidates(text, keys, options)
    return found if strict else lenient_candidates(text, keys, options, found)


def strict_candidates(
    text: str, keys: frozenset[str], options: Mapping[str, str]
) -> list[Candidate]:
    """The explicit markers: boxed, JSON, tags, hedges, English and Chinese markers."""
    found = [*_boxed(text, keys, options)] if "boxed" in text else []
    if ":" in text:  # JSON keys and values
        found += _json(text, keys, options)
    if "<" in text:
        found += _tags(text, keys, options)
    fold = folded(text)
    if may_match(_HEDGE_GATE, fold):
        found += _hedges(text, keys)
    chinese = _CJK.search(text) is not None
    for regex, rule, must_end, needs_chinese, words in _FINDERS[:2]:
        if (chinese or not needs_chinese) and may_match(words, fold):
            found += _find(regex, rule, text, keys, must_end)
    return found


def lenient_candidates(
    text: str, keys: frozenset[str], options: Mapping[str, str], strict: list[Candidate]
) -> list[Candidate]:
    """`strict_candidates` (given, so one pass serves both extractions) and then negations,
    and weak conclusions where they could win."""
    found = [*strict]
    fold = folded(text)
    chinese = _CJK.search(text) is not None
    for regex, rule, must_end, needs_chinese, words in _FINDERS[2:_STRONG_FINDERS]:
        if (chinese or not needs_chinese) and may_match(words, fold):
            found += _find(regex, rule, text, keys, must_end)
    last = max(found, key=lambda c: (c.start, c.end), default=None)
    if last is None or _corrects(text, fold, last.end, len(text)):
        found += _weak(text, fold, keys, options, chinese)
    return found


def _weak(
    text: str, fold: str | None, keys: frozenset[str], options: Mapping[str, str],
    chinese: bool,
) -> list[Candidate]:
    """Conclusions weaker than an explicit marker: "D is correct", "最可能的是D",
    "40 mg (option C)", "rocuronium is best"."""
    found: list[Candidate] = []
    for regex, rule, must_end, needs_chinese, words in _FINDERS[_STRONG_FINDERS:]:
        if (chinese or not needs_chinese) and may_match(words, fold):
            found += _find(regex, rule, text, keys, must_end)
    valid = {k: t for k, t in options.items() if k in keys}
    if "(" in text or "," in text:  # "40 mg (option C)", ", option B,"
        found += value_letters(text, valid)
    return [*found, *option_conclusions(text, valid)]


def pick(found: list[Candidate], text: str) -> Candidate | None:
    """The last strong conclusion; a later weak one wins only after a self-correction cue."""
    strong = [c for c in found if c.strong]
    weak = sorted((c for c in found if not c.strong), key=lambda c: (c.start, c.end))
    if not strong:
        return weak[-1] if weak else None
    last = max(strong, key=lambda c: (c.start, c.end))
    later = [c for c in weak if c.start >= last.end]
    fold = folded(text) if later else None
    corrected = [c for c in later if _corrects(text, fold, last.end, c.end)]
    return corrected[-1] if corrected else last

