"""Multiple-choice scoring: find the model's final letter in free text, then exact match.

`extract` runs one cascade over the reply and records which rule decided, for audit:

1. NFKC (full-width ``Ｃ（）：`` become ``C():``); only text after the last ``</think>``
   counts, and a ``<think>`` that never closes is truncated reasoning: no answer.
2. Explicit conclusions, the last one winning (`choice_markers`): ``Answer: C``, ``Ans: D``,
   ``Final: A``, ``<answer>B</answer>``, ``答案：B``, ``故选D``, ``即为选项A``, ``更正为C``,
   ``\\boxed{D}``, ``{"answer": "B"}``, ``not A; it is D``. Weaker conclusions (``D is
   correct``, ``Therefore, D.``, ``I would pick A over C``, ``the one not included is B``,
   ``最可能的是D``, ``不属于…的是D``, ``… therefore corresponds to A``, ``因此…对应A``,
   ``… the phrenic nerve — A.``, ``40 mg (option C)``, ``rocuronium is best``) count when
   there is no explicit one, or when they follow it after a self-correction cue ("wait",
   "不对"). Of several letters after values, one marked ``(option B)`` is the choice and the
   bare ``(C)`` ones are mentions. Hedges ("either B or C", "B or maybe C", "I'd answer B or
   C", "B或C都可以", "可能是B也可能是C") and several letters give None; so does a letter whose quoted option text is another option's
   (``Answer: B (propofol)`` when B is not propofol): rule "contradiction".
3. A reply that begins with its letter (``C``, ``(C)``, ``B. Ketamine keeps…``, ``C。…``),
   or ends with a lone letter on its last line. An opening letter beats a later letter in
   parentheses after a value, which is a mention in the explanation.
4. The one ticked or bolded row of a markdown table of options.
5. A refusal ("I cannot provide medical advice", "我无法回答") gives no answer.
6. The one option whose text or value the reply states (`option_match`): in a short reply,
   or in the sentence after a conclusion phrase; exactly, in other case, units or numerals
   ("six hours", "25 percent", "六小时", "2.0%" as "2%", "Ⅳ级" as "4级"). Then the option
   its opening phrase is ("Sevoflurane. (Desflurane, by contrast…)"); in a short reply that
   names no option in full, the one option its opening phrase is part of ("phrenic") or, in
   Chinese, nearly spells; the one option a short reply sets apart while it lists all the
   others together ("X is contraindicated. Y, Z and W are safe."); all its words in other
   order.

Negations ("not A", "A is incorrect", "排除A") never choose A. Letters must be option keys
and stand alone (`choice_letters`): "hemophilia A", "vitamin C" and the article in "A
patient presents" are not answers.

`strict_choice` keeps only the explicit markers of step 2 (answer-marker, answer-tag,
zh-marker, boxed, json), to be reported beside the lenient `extract_choice`; `extract_both`
gives both from one pass (strict's candidates are the first lenient looks for). Patterns that
cannot match are skipped by word gates (`word_gates`): a cheap necessary condition,
never a different result.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from medjudge.errors import DatasetError
from medjudge.records import Answer, Item, McqScore
from medjudge.scoring.choice_letters import Candidate, Rule, choices_of, is_term, keys_of, norm
from medjudge.scoring.choice_markers import (
    Scan,
    conclusion_end,
    corrects,
    lenient_extra,
    opens,
    pick,
    scan,
    strict_candidates,
)
from medjudge.scoring.option_match import (
    contradicts,
    head_option,
    only_option,
    paraphrased_option,
    singled_out,
)
from medjudge.scoring.word_gates import Gate, gate

__all__ = [
    "Extraction",
    "Rule",
    "answer_key",
    "extract",
    "extract_answer",
    "extract_both",
    "extract_choice",
    "majority_vote",
    "score_answer",
    "strict_choice",
    "strict_correct",
]

@dataclass(frozen=True, slots=True)
class Extraction:
    """The extracted letter (uppercase option key) or None, and the rule that decided."""

    choice: str | None
    rule: Rule


# ------------------------------------------------------- lenient fallbacks ---

_BARE = re.compile(
    r"""
    (?:(?i:option|choice|answer)\s*|选项\s*)?         # "Option C", "选项C"
    (?:[(\[]\s*(?P<wrapped>[A-Za-z])\s*[)\]] | (?P<bare>[A-Za-z])(?![A-Za-z0-9'’]))  # C, (C)
    \s*(?:选项|项)?                                    # "C项"
    (?P<sep>\s*[.):\-—–、。])?                          # "C." / "C)" / "C:" / "C。"
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
_LAST_LINE = re.compile(r"\(?(?P<letter>[A-Z])\)?[.。]?")
#: Option labels in a listing or an analysis: "A. Propofol …\nB. Ketamine …", "A项：…；B项：…"
_LABEL = re.compile(
    r"""
    (?:^|[;；。.!?]\s*)\s*(?:[-•]\s*)?(?:\d+\.\s*)?(?i:option\s+)?  # a line or sentence start
    \(?(?P<letter>[A-Z])\)?\s*(?:项|选项)?\s*[.:：)、]                 # "A." / "(B)" / "C项："
    """,
    re.VERBOSE | re.MULTILINE,
)
#: What follows a first-line letter that is a list or a rejection, not an answer.
_REJECTS = re.compile(
    r"""
    (?:[,、/&和与及]|and\b|or\b)\s*(?:选项)?\(?[A-Z]\b   # a list: "A、B、C …", "A and B …"
  | (?i:is\s+)?(?i:not|incorrect|wrong|false)\b       # "A is incorrect"
  | (?:项|选项)?\s*(?:都|均|也)?(?:不|错|非)              # "A项错误", "A不对"
    """,
    re.VERBOSE,
)
_QUOTES = "\"'“”「」『』 \t"


def _labels(body: str) -> set[str]:
    return {m["letter"] for m in _LABEL.finditer(body)}


def _lines(body: str) -> list[str]:
    """The reply's lines that say something, without quotes around them."""
    return [s for line in body.splitlines() if (s := line.strip(_QUOTES))]


def _bare_letter(reply: Scan, lines: list[str]) -> Extraction | None:
    """A reply that begins with its letter: "C", "(C)", "C) Etomidate", "B. Ketamine keeps…"."""
    if not lines:
        return None
    body, keys, options = reply.text, reply.choices.keys, reply.choices.options
    first = lines[0]
    if _BARE_MULTI.fullmatch(first) and norm(first) not in {norm(t) for t in options.values()}:
        letters = {c.upper() for c in _LONE_LETTER.findall(first)}
        run = first.rstrip(".。")
        letters |= set(run) if run.isupper() and set(run) <= keys else set()
        if len(letters & keys) > 1:
            return _result(None, "multiple-answers")
    m = _BARE.match(first)
    if m is None:
        return None
    letter = (m["wrapped"] or m["bare"]).upper()
    if letter not in keys or (m["bare"] and is_term(first, *m.span("bare"))):
        return None
    rest = first[m.end() :].strip()
    letter_end = m.end("bare") if m["bare"] else m.end("wrapped") + 1
    if _REJECTS.match(first[letter_end:].lstrip()):
        return None  # "选项A、B、C都不对", "A is incorrect"
    if contradicts(first, letter_end, letter, options):
        return _result(None, "contradiction")
    if not rest:
        return _result(letter, "bare-letter")
    labelled = bool(m["wrapped"] or m["sep"])
    if not labelled or _labels(body) - {letter}:
        return None  # "A is wrong …", or an option-by-option analysis
    return _result(letter, "bare-letter")


def _last_line(lines: list[str], keys: frozenset[str]) -> Extraction | None:
    """A lone letter on the last line, after the reasoning: "…\n\nC"."""
    m = _LAST_LINE.fullmatch(lines[-1]) if len(lines) > 1 else None
    if m is None or m["letter"] not in keys:
        return None
    return _result(m["letter"], "last-line")


_TICK = re.compile(r"[✓✔☑✅√]|\*\*|\|\s*(?i:yes|correct|是|正确)\s*\|")
_CROSS = re.compile(r"[✗✘❌×]")
_TABLE_LETTER = re.compile(r"\|\s*\**\s*\(?(?P<letter>[A-Z])\)?\s*\**\s*\|")


def _table_row(raw: str, keys: frozenset[str]) -> Extraction | None:
    """The one row of a markdown table of options that is ticked or bolded."""
    chosen = set()
    for line in raw.splitlines():
        row = line.strip()
        if not row.startswith("|") or (m := _TABLE_LETTER.match(row)) is None:
            continue
        if m["letter"] in keys and _TICK.search(row) and not _CROSS.search(row):
            chosen.add(m["letter"])
    return _result(chosen.pop(), "table-row") if len(chosen) == 1 else None


_REFUSAL = re.compile(
    r"""
    \bI\s*(?:cannot|can\s*not|can'?t|am\s+(?:not\s+able|unable)|'?m\s+(?:not\s+able|unable)
          |won'?t|will\s+not|must\s+decline)
      \s+(?:to\s+)?(?:provide|give|offer|answer|help|assist|diagnose|recommend|choose|select
                    |determine|make)                   # "I cannot provide medical advice"
  | \bas\s+an\s+AI\b                                    # "As an AI language model"
  | \bunable\s+to\s+(?:answer|provide|determine|choose) # "I am sorry, unable to answer"
  | (?:无法|不能|不便|没法|不可以)(?:回答|提供|作答|给出|确定|判断|选择)  # 我无法回答
  | 抱歉|对不起                                          # an apology instead of an answer
    """,
    re.VERBOSE | re.IGNORECASE,
)
#: Words a refusal cannot do without (`word_gates`): the verbs may go on ("provides").
_REFUSAL_GATE: Gate = gate(("provide*", "give*", "offer*", "answer*", "help*", "assist*",
                            "diagnose*", "recommend*", "choose*", "select*", "determine*",
                            "make*", "ai", "unable", "无法", "不能", "不便", "没法", "不可以",
                            "抱歉", "对不起"))


def _refuses(reply: Scan) -> bool:
    return opens(_REFUSAL_GATE, reply) and _REFUSAL.search(reply.text) is not None


_SHORT_REPLY = 400


def _option_text(reply: Scan) -> Extraction | None:
    """The one option the reply states: in the sentence after its last conclusion phrase,
    or anywhere in a short reply; exactly (or as its value); then the option its opening
    phrase is, or the one a short reply names apart from all others; then all its words."""
    body, options = reply.text, reply.choices.valid
    end = conclusion_end(reply)
    places = [body[end:].split("\n", 1)[0]] if end is not None else []
    short = len(body) <= _SHORT_REPLY
    if short:
        places.append(body)
    for place in places:
        if key := only_option(place, options):
            return _result(key, "option-text")
    if not corrects(reply, 0, len(body)) and (key := head_option(body, options, loose=short)):
        return _result(key, "option-text")
    if short and (key := singled_out(body, options)):
        return _result(key, "option-text")
    for place in places:
        if key := paraphrased_option(place, options):
            return _result(key, "option-paraphrase")
    return None


# ----------------------------------------------------------------- public ---

_THINK_OPEN = re.compile(r"<\s*(?:think|thinking|reasoning)\s*>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"<\s*/\s*(?:think|thinking|reasoning)\s*>", re.IGNORECASE)
_MARKDOWN = re.compile(r"[*`]+")


def _after_reasoning(text: str) -> str | None:
    """The text after the last closing </think>; None when reasoning never closed."""
    if "<" not in text:  # both tags begin with it
        return text
    closing = None
    for closing in _THINK_CLOSE.finditer(text):
        pass
    body = text[closing.end() :] if closing else text
    return None if _THINK_OPEN.search(body) else body


#: One frozen record per (letter, rule): at most 27 × 21 of them.
_result = lru_cache(maxsize=1024)(Extraction)
_REFUSAL_FOUND, _NO_ANSWER = _result(None, "refusal"), _result(None, "no-answer")


def _decide(chosen: Candidate, reply: Scan) -> Extraction:
    """The chosen candidate's letter, unless it is several letters or contradicts itself;
    an opening letter beats a letter in parentheses after a value."""
    if chosen.rule == "value-letter":
        # "C。依托咪酯对循环影响最小。丙泊酚（A）…": the opening letter is the answer, and a
        # letter in parentheses in the explanation is a mention
        opening = _bare_letter(reply, _lines(reply.text))
        if opening is not None and opening.choice is not None:
            return opening
    if len(chosen.letters) > 1:
        return _result(None, "hedge" if chosen.rule == "hedge" else "multiple-answers")
    letter = chosen.letters[0]
    if chosen.rule == "contradiction" or (
        chosen.rule != "option-text"
        and contradicts(reply.text, chosen.end, letter, reply.choices.options)
    ):
        return _result(None, "contradiction")
    return _result(letter, chosen.rule)


def _fallbacks(reply: Scan, raw: str, refused: bool) -> Extraction:
    """When no phrase states a letter: how the reply begins and ends, tables, refusals
    (`refused`), option text."""
    keys, lines = reply.choices.keys, _lines(reply.text)
    found = _bare_letter(reply, lines) or _last_line(lines, keys) or _table_row(raw, keys)
    if found is not None:
        return found
    if refused:
        return _REFUSAL_FOUND
    return _option_text(reply) or _NO_ANSWER


def _prepared(text: str | None) -> Extraction | tuple[str, str]:
    """The reply's body (after reasoning, without markdown) and raw text, or why there is
    no answer to look for; the same for strict and lenient extraction."""
    if text is None or not text.strip():
        return _result(None, "empty")
    raw = _after_reasoning(unicodedata.normalize("NFKC", text).replace("’", "'"))
    if raw is None:
        return _result(None, "truncated-reasoning")
    body = _MARKDOWN.sub("", raw) if "*" in raw or "`" in raw else raw
    if not body.strip():
        return _NO_ANSWER
    return body, raw


def _strict(found: list[Candidate], reply: Scan) -> Extraction:
    """The strict extraction from the strict candidates `found`."""
    chosen = pick(found, reply)
    if chosen is not None:
        return _decide(chosen, reply)
    return _REFUSAL_FOUND if _refuses(reply) else _NO_ANSWER


def extract(text: str | None, options: Mapping[str, str], *, strict: bool = False) -> Extraction:
    """The model's final answer letter in `text`, and the rule that found it (or why not).

    `options` maps option letters to their texts; only its letters can be answers.
    With `strict=True` only explicit markers count (answer-marker, answer-tag, zh-marker,
    boxed, json).
    """
    if strict:
        prepared = _prepared(text)
        if isinstance(prepared, Extraction):
            return prepared
        reply = scan(prepared[0], choices_of(options))
        return _strict(strict_candidates(reply), reply)
    return extract_both(text, options)[0]


def extract_both(text: str | None, options: Mapping[str, str]) -> tuple[Extraction, Extraction]:
    """`extract(text, options)` and `extract(text, options, strict=True)` in one pass: the
    strict candidates are the first the lenient extraction looks for."""
    prepared = _prepared(text)
    if isinstance(prepared, Extraction):
        return prepared, prepared
    body, raw = prepared
    reply = scan(body, choices_of(options))
    strict = strict_candidates(reply)
    extra = lenient_extra(reply, strict)
    if not strict and not extra:  # no phrase states a letter
        refused = _refuses(reply)
        return _fallbacks(reply, raw, refused), _REFUSAL_FOUND if refused else _NO_ANSWER
    found = _strict(strict, reply)
    if not extra:  # the same candidates: the same choice
        return found, found
    chosen = pick(strict + extra, reply)
    lenient = _decide(chosen, reply) if chosen else _fallbacks(reply, raw, _refuses(reply))
    return lenient, found


def extract_choice(text: str | None, options: Mapping[str, str]) -> str | None:
    """The model's final answer letter (uppercase option key), or None: never a guess."""
    return extract(text, options).choice


def strict_choice(text: str | None, options: Mapping[str, str]) -> str | None:
    """The answer letter from explicit markers only ("Answer: C", "答案：B", boxed, JSON)."""
    return extract(text, options, strict=True).choice


def answer_key(item: Item) -> str:
    """The item's answer letter, checked: a DatasetError when it is not one of its options."""
    key = unicodedata.normalize("NFKC", item.answer_key or "").strip().upper()
    if item.kind == "mcq" and key in keys_of(item.options):
        return key
    raise DatasetError(
        item.source or item.benchmark,
        f"a {item.kind} item with answer key {item.answer_key!r} and options "
        f"{sorted(item.options)} cannot be scored as a multiple-choice question",
        item=item.item_id,
        field="answer_key",
        hint="the answer key must be one of the option letters; open items go to the judge",
    )


_FAILED = _result(None, "failed-answer")


def extract_answer(
    status: str, text: str | None, options: Mapping[str, str]
) -> tuple[Extraction, Extraction]:
    """The lenient and strict extraction of a stored answer; a failed one has no letter."""
    if status == "failed" or text is None:
        return _FAILED, _FAILED
    if len(text) <= _REMEMBERED_LENGTH:  # "Answer: C", "答案：B": short replies repeat
        return _remembered(text, tuple(options.items()))
    return extract_both(text, options)


#: Replies up to this length are remembered with their options (a few thousand of them).
_REMEMBERED_LENGTH = 64


@lru_cache(maxsize=4096)
def _remembered(text: str, options: tuple[tuple[str, str], ...]) -> tuple[Extraction, Extraction]:
    return extract_both(text, dict(options))


def score_answer(item: Item, answer: Answer) -> McqScore:
    """Exact match of the extracted letter against `item.answer_key`, with the strict
    extraction recorded beside the lenient one."""
    key = answer_key(item)
    if answer.item_id != item.item_id:
        raise ValueError(f"answer for item {answer.item_id!r} scored against {item.item_id!r}")
    found, strict = extract_answer(answer.status, answer.text, item.options)
    return McqScore(
        run_id=answer.run_id,
        item_id=answer.item_id,
        sample=answer.sample,
        choice=found.choice,
        rule=found.rule,
        correct=found.choice == key,
        strict_choice=strict.choice,
        strict_rule=strict.rule,
    )


def strict_correct(item: Item, score: McqScore) -> bool | None:
    """Whether the strict letter of `score` is `item`'s answer key; None when the score was
    stored before strict extraction existed (no strict rule recorded)."""
    if score.strict_rule is None:
        return None
    return score.strict_choice == answer_key(item)


def majority_vote(choices: Sequence[str | None]) -> str | None:
    """The most common letter among `choices`; None when letters tie or none was found."""
    counts = Counter(c for c in choices if c is not None).most_common(2)
    if not counts or (len(counts) == 2 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]
