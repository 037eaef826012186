"""Where a reply states its answer: the phrases of `choice_patterns`, found and chosen.

Each finder reads `Candidate`s: the letters written after (or before) a marker and where.
`pick` chooses the one that decides. Explicit markers ("Answer: C", "答案：B", ``\\boxed``,
JSON, ``<answer>``) beat weaker conclusions ("D is correct", "Therefore, D.", "最可能的是D"),
the last one winning; a later weak conclusion wins only after a self-correction cue
("wait", "actually", "不对", "更正").

A `Scan` is one reply as the finders read it: its text, lowercased text and words, whether
it has Chinese, its option letters, computed once and shared by every finder and both
extractions. A finder runs only when its word gate (`word_gates`) is open: the words it
cannot match without are in the reply. Each gate is read off its pattern's branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from medjudge.scoring.choice_letters import STRONG_RULES, Candidate, Choices, Rule, letters_at
from medjudge.scoring.choice_patterns import (
    BOXED,
    CHOOSE,
    CJK,
    CORRECTION,
    EN_MARKER,
    HEDGE,
    JSON,
    LATEX_WRAP,
    LETTER_FIRST,
    LETTERS_ARE,
    NEGATION,
    NEGATION_AFTER,
    SENTENCE_END,
    SO_LETTER,
    TAG,
    THEREFORE,
    ZH_CONCLUSION,
    ZH_LETTER_FIRST,
    ZH_MARKER,
)
from medjudge.scoring.option_match import (
    canon,
    canon_option,
    option_conclusions,
    value_letters,
)
from medjudge.scoring.word_gates import Gate, either, fold_bits, gate

__all__ = [
    "Scan",
    "conclusion_end",
    "corrects",
    "lenient_extra",
    "opens",
    "pick",
    "scan",
    "strict_candidates",
]


@dataclass(slots=True)
class Scan:
    """One reply's body as the finders read it; what they share is computed once."""

    text: str
    #: `text` lowercased for the word gates; None when no gate can be trusted (`folded`)
    fold: str | None
    bits: int  # `word_bits` of its words: the needs of gates its whole words meet
    chinese: bool
    choices: Choices
    #: Where the last match of a pattern ends (-1: none), for the patterns looked for so far,
    #: by the pattern's text (a compiled pattern hashes its whole program at each lookup).
    ends: dict[str, int] = field(default_factory=dict)


def scan(text: str, choices: Choices) -> Scan:
    """`text` (a reply's body) ready for the finders."""
    fold, bits = fold_bits(text)
    chinese = not text.isascii() and CJK.search(text) is not None
    return Scan(text, fold, bits, chinese, choices)


class _Finder:
    """A pattern that reads letters next to a phrase, and the rule it decides by."""

    __slots__ = ("before", "chinese", "must_end", "regex", "rule", "words")

    def __init__(
        self, regex: re.Pattern[str], rule: Rule, must_end: bool, chinese: bool, words: Gate
    ) -> None:
        self.regex, self.rule = regex, rule
        #: The letter must end its sentence ("Therefore, D." but not "Therefore, D is wrong").
        self.must_end = must_end
        #: The pattern reads only Chinese: a reply without a CJK character cannot match it.
        self.chinese = chinese
        #: Words the pattern cannot match without (`word_gates`).
        self.words = words
        #: The letters are the match's group `letters` ("D is correct"), not after it.
        self.before = "letters" in regex.groupindex

    def may_match(self, reply: Scan) -> bool:
        if self.chinese and not reply.chinese:
            return False
        return reply.fold is None or self.words.opens(reply.bits, reply.fold, reply.chinese)


def opens(words: Gate, reply: Scan) -> bool:
    """Whether a pattern with the gate `words` may match the reply."""
    return reply.fold is None or words.opens(reply.bits, reply.fold, reply.chinese)


#: The patterns that read letters next to a phrase; strict ones first. A gate's whole words
#: are the words its pattern reads between non-letters (``\b``, ``\s``, punctuation, a
#: letter that must stand alone); a word it may read inside a longer one is a "stem*".
_FINDERS: tuple[_Finder, ...] = (
    _Finder(EN_MARKER, "answer-marker", False, False, gate(
        ("answer*", "correct", "right", "best", "final", "most", "ans", "response",
         "conclusion", "my", "selected", "chosen"))),  # "answeris": \s* may be empty
    _Finder(ZH_MARKER, "zh-marker", False, True, gate(("答", "选", "为", "成", "结论"))),
    _Finder(NEGATION, "negation", False, False, either(
        gate(("not",), ("but", "rather", "instead", "it", "this", "that")),
        gate(("不是", "并非", "而非"),))),
    _Finder(NEGATION_AFTER, "negation", False, False, gate(
        ("it", "its", "this"), ("not*",))),  # "it's Dnot A": \s* may be empty
    _Finder(LETTER_FIRST, "conclusion", False, False, gate(
        ("correct", "right", "best", "appropriate", "answer", "option", "choice"))),
    _Finder(LETTERS_ARE, "conclusion", False, False, gate(
        ("are", "would"), ("correct*", "right*", "true*", "answer*"))),
    _Finder(SO_LETTER, "conclusion", False, False, gate(
        ("so*", "therefore*", "thus*", "hence*"), ("the",), ("is", "would", "must"))),
    _Finder(ZH_LETTER_FIRST, "conclusion", False, True, gate(
        ("正确", "对的", "最佳", "合适", "恰当", "符合"))),
    _Finder(ZH_CONCLUSION, "conclusion", False, True, gate(
        ("最", "的", "对应", "属于", "应该", "应当"))),
    _Finder(THEREFORE, "conclusion", True, False, gate(
        ("therefore", "thus", "hence", "so", "consequently", "overall", "conclusion",
         "summary", "it", "its", "think", "believe", "this", "maybe", "perhaps", "probably",
         "likely", ":", "—", "–"))),
    _Finder(CHOOSE, "conclusion", False, False, either(
        gate(("choose", "select", "pick", "go", "opt", "answer"), ("i", "we")),  # "I'd pick"
        gate(("go",), ("with",)),  # "Go with A"
        gate(("my",), ("choice", "pick", "selection", "answer")),  # "my choice is D"
        gate(("corresponds", "matches", "exception", "odd", "outlier", "culprit"),),
        gate(("that", "this"), ("option", "choice")),  # "that is option D"
        gate(("leaves", "leaving"), ("as",)),  # "That leaves B as …"
        gate(("only",), ("remains",)),  # "Only C remains."
        gate(("one",), ("the",)))),  # "the one not included is B"
)
_MARKERS, _NEGATIONS, _WEAK = _FINDERS[:2], _FINDERS[2:4], _FINDERS[4:]
#: Phrases after which a reply states its answer, also in an option's words ("Answer: T4").
_CONCLUSION_PHRASES = tuple(f for f in _FINDERS if f.regex in (EN_MARKER, ZH_MARKER, THEREFORE,
                                                               CHOOSE))
_HEDGE_GATE = either(
    gate(("either", "maybe", "perhaps", "possibly", "probably", "likely", "between", "both",
          "可能是", "或", "/"),),
    gate(("answer", "choose", "pick", "select", "say", "go"), ("i", "we")),  # "I'd say B or C"
)
_CORRECTION_WORDS = ("wait", "actually", "thought", "correction", "scratch", "wrong",
                     "mistake", "reconsider")
_CORRECTION_OTHERS = ("...", "…", "不对", "等等", "更正", "纠正", "修正", "其实", "重新考虑",
                      "再想")
_CORRECTION_GATE = gate((*_CORRECTION_WORDS, *_CORRECTION_OTHERS))
#: For a search that stops before the end of the text: there a cut may end a word that
#: goes on ("wait" of "waiting" matches ``wait\b``), so the words are parts.
_CORRECTION_CUT_GATE = gate((*(f"{w}*" for w in _CORRECTION_WORDS), *_CORRECTION_OTHERS))


def corrects(reply: Scan, pos: int, endpos: int) -> bool:
    """A self-correction cue ("wait", "actually", "不对") in the text between pos and endpos."""
    words = _CORRECTION_GATE if endpos == len(reply.text) else _CORRECTION_CUT_GATE
    return opens(words, reply) and CORRECTION.search(reply.text, pos, endpos) is not None


def _find(finder: _Finder, reply: Scan) -> list[Candidate]:
    """Letters right after each match, or in its group `letters` ("D is correct"); also
    records where the last match ends (`conclusion_end`)."""
    regex, text, keys, before = finder.regex, reply.text, reply.choices.keys, finder.before
    found: list[Candidate] = []
    last = -1
    for m in regex.finditer(text):
        last = m.end()
        parsed = letters_at(text, m.start("letters") if before else last, keys)
        if parsed is None or (before and text[parsed[1] : m.end("letters")].strip()):
            continue
        if not finder.must_end or SENTENCE_END.match(text, parsed[1]):
            end = m.end("letters") if before else parsed[1]
            found.append(Candidate(m.start(), end, finder.rule, parsed[0]))
    reply.ends[regex.pattern] = last
    return found


def _look(finders: tuple[_Finder, ...], reply: Scan) -> list[Candidate]:
    """The candidates of each finder whose pattern may match, in the order of `finders`."""
    found: list[Candidate] = []
    fold, bits, chinese = reply.fold, reply.bits, reply.chinese
    for finder in finders:
        if (chinese or not finder.chinese) and (
            fold is None or finder.words.opens(bits, fold, chinese)
        ):
            found += _find(finder, reply)
    return found


def conclusion_end(reply: Scan) -> int | None:
    """Where the last conclusion phrase ("Answer:", "答案", "Therefore", "I choose") ends;
    None when there is none. A pattern whose gate is closed cannot match: it is not run."""
    last = -1
    for finder in _CONCLUSION_PHRASES:
        end = reply.ends.get(finder.regex.pattern)
        if end is None:
            end = -1
            if finder.may_match(reply):
                for m in finder.regex.finditer(reply.text):
                    end = m.end()
                reply.ends[finder.regex.pattern] = end
        last = max(last, end)
    return last if last >= 0 else None


def _hedges(reply: Scan) -> list[Candidate]:
    found = []
    keys = reply.choices.keys
    for m in HEDGE.finditer(reply.text):
        letters = tuple(dict.fromkeys(g for g in m.groups() if g))
        if len(letters) > 1 and set(letters) <= keys:
            found.append(Candidate(m.start(), m.end(), "hedge", letters))
    return found


def _fragment(frag: str, choices: Choices) -> tuple[tuple[str, ...], int]:
    """Letters in a boxed, tagged or JSON value ("B", "B. Propofol" or an option's text),
    and where the letters end in `frag` (-1 when the value is an option's text)."""
    lead = len(frag) - len(frag.lstrip(" \t\n'\""))
    parsed = letters_at(frag, lead, choices.keys)
    if parsed:
        return parsed
    said = canon(frag.strip(" \t\n'\""))
    found = tuple(k for k, t in choices.options.items() if said and canon_option(t) == said)[:1]
    return found, -1


def _boxed(reply: Scan) -> list[Candidate]:
    found = []
    for m in BOXED.finditer(reply.text):
        letters, _ = _fragment(LATEX_WRAP.sub("", m["body"]), reply.choices)
        if letters:
            found.append(Candidate(m.start(), m.end(), "boxed", letters))
    return found


def _tags(reply: Scan) -> list[Candidate]:
    """<answer>C</answer>; the candidate ends after the letter, so what follows is checked."""
    found = []
    for m in TAG.finditer(reply.text):
        letters, end = _fragment(m["body"], reply.choices)
        if letters:
            stop = m.start("body") + end if end >= 0 else m.end()
            found.append(Candidate(m.start(), stop, "answer-tag", letters))
    return found


def _json(reply: Scan) -> list[Candidate]:
    found = []
    for m in JSON.finditer(reply.text):
        if m["arr"] is not None:
            parts = [_fragment(p, reply.choices)[0] for p in m["arr"].split(",")]
            letters = tuple(dict.fromkeys(x for p in parts for x in p))
        else:
            value = m["dq"] or m["sq"] or m["raw"] or m["zh"] or ""
            letters = _fragment(value, reply.choices)[0]
        if letters:
            found.append(Candidate(m.start(), m.end(), "json", letters))
    return found


def strict_candidates(reply: Scan) -> list[Candidate]:
    """The explicit markers: boxed, JSON, tags, hedges, English and Chinese markers."""
    text = reply.text
    found = _boxed(reply) if "boxed" in text else []
    if ":" in text and ('"' in text or "'" in text):  # JSON: a quoted key, a colon
        found += _json(reply)
    if "<" in text:
        found += _tags(reply)
    if opens(_HEDGE_GATE, reply):
        found += _hedges(reply)
    return found + _look(_MARKERS, reply)


def lenient_extra(reply: Scan, strict: list[Candidate]) -> list[Candidate]:
    """What the lenient extraction looks for beyond `strict` (the strict candidates, so one
    pass serves both): negations, and weak conclusions where they could win, that is when
    there is no explicit marker or a self-correction cue follows the last one."""
    extra = _look(_NEGATIONS, reply)
    found = strict + extra
    if not found or corrects(reply, max(found, key=_position).end, len(reply.text)):
        extra += _weak(reply)
    return extra


def _weak(reply: Scan) -> list[Candidate]:
    """Conclusions weaker than an explicit marker: "D is correct", "最可能的是D",
    "40 mg (option C)", "rocuronium is best"."""
    found = _look(_WEAK, reply)
    text, valid = reply.text, reply.choices.valid
    if "(" in text or "," in text:  # "40 mg (option C)", ", option B,"
        found += value_letters(text, valid)
    found += option_conclusions(text, valid)
    return found


def _position(c: Candidate) -> tuple[int, int]:
    return c.start, c.end


def pick(found: list[Candidate], reply: Scan) -> Candidate | None:
    """The last strong conclusion; a later weak one wins only after a self-correction cue."""
    if len(found) < 2:
        return found[0] if found else None
    strong = [c for c in found if c.rule in STRONG_RULES]
    if len(strong) == len(found):  # no weak ones (strict extraction, or only markers)
        return max(strong, key=_position)
    weak = sorted((c for c in found if c.rule not in STRONG_RULES), key=_position)
    if not strong:
        return weak[-1]
    last = max(strong, key=_position)
    later = [c for c in weak if c.start >= last.end]
    corrected = [c for c in later if corrects(reply, last.end, c.end)]
    return corrected[-1] if corrected else last
