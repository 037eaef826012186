"""What the phrases that state an answer look like: one regex per family, with a comment
per branch. `choice_markers` finds them in a reply and chooses the one that decides.

Explicit markers ("Answer: C", "答案：B", ``\\boxed``, JSON, ``<answer>``), negations ("not
A; it is D"), weaker conclusions ("D is correct", "Therefore, D.", "最可能的是D"), hedges
("either B or C") and self-correction cues ("wait", "不对").
"""

from __future__ import annotations

import re

__all__ = [
    "BOXED",
    "CHOOSE",
    "CJK",
    "CORRECTION",
    "EN_MARKER",
    "HEDGE",
    "JSON",
    "LATEX_WRAP",
    "LETTERS_ARE",
    "LETTER_FIRST",
    "NEGATION",
    "NEGATION_AFTER",
    "SENTENCE_END",
    "SO_LETTER",
    "TAG",
    "THEREFORE",
    "ZH_CONCLUSION",
    "ZH_LETTER_FIRST",
    "ZH_MARKER",
]

EN_MARKER = re.compile(
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

ZH_MARKER = re.compile(
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

ZH_CONCLUSION = re.compile(
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

NEGATION = re.compile(
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
NEGATION_AFTER = re.compile(
    r"""
    (?=(?i:[it]))\b(?i:it'?s|it\s+is|this\s+is)\s+         # (fast reject first)
    (?P<letters>(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z]))
    \s*,?\s*(?i:and\s+)?(?i:not)\s+(?:(?i:option|choice)\s+)?(?:\(\s*[A-Za-z]\s*\)|[A-Z])\b
    """,
    re.VERBOSE,
)

LETTER_FIRST = re.compile(
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
LETTERS_ARE = re.compile(
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
SO_LETTER = re.compile(
    r"""
    (?=(?i:[sth]))\b(?i:so|therefore|thus|hence)\s*,?\s*  # (fast reject first)
    (?P<letters>(?:(?i:option|choice)\s+)?\(?[A-Z]\)?)
    \s+(?i:is|would\s+be|must\s+be)\s+(?i:the)\s+[\w-]+(?:\s+[\w-]+){0,3}?
    (?=\s*(?:[.!;\n]|$))                                         # ends the sentence
    """,
    re.VERBOSE,
)

ZH_LETTER_FIRST = re.compile(
    r"""
    (?<![A-Za-z])
    (?P<letters>[A-Za-z](?:\s*[、,和与及]\s*[A-Za-z])*)   # B / A、C
    \s*(?:选项|项)?\s*(?:是|为)?\s*最?                     # 选项 / 项 / 是
    (?:正确|对的|最佳|合适|恰当|符合)                        # 正确 (不正确 never matches)
    """,
    re.VERBOSE,
)

THEREFORE = re.compile(
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
SENTENCE_END = re.compile(r"\s*(?:[.!;,)。，；]|$)", re.MULTILINE)

CHOOSE = re.compile(
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

HEDGE = re.compile(
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

BOXED = re.compile(
    r"""
    \\boxed\s*\{
    (?P<body>(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)      # content, two levels of braces
    \}
    """,
    re.VERBOSE,
)
#: LaTeX around a boxed letter; longer commands first, or "\\textbf" leaves "bf".
LATEX_WRAP = re.compile(r"\\(?:textbf|textit|text|mathrm|mathbf|mathit|rm|bf)\s*|[{}$]|\\ ")

TAG = re.compile(
    r"""
    <\s*(?:answer|final_answer|final)\s*>                # <answer>
    (?P<body>[^<]{0,300})                               # its content
    <\s*/\s*(?:answer|final_answer|final)\s*>           # </answer>
    """,
    re.VERBOSE | re.IGNORECASE,
)

JSON = re.compile(
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

CORRECTION = re.compile(
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
CJK = re.compile(r"[\u4e00-\u9fff]")
