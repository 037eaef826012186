"""The review screen's conversation: the earlier turns as the judge saw them (system messages
left out, the model's own answers in), then the question under review."""

from __future__ import annotations

from medjudge.audit.review import Screen
from medjudge.records import Answer, AnswerKey, Message


def screen(*messages: Message) -> Screen:
    answer = Answer(run_id="r", item_id="i-3", status="ok", text="now", messages=messages)
    return Screen(key=AnswerKey(run_id="r", item_id="i-3"), model="m", item=None,
                  answer=answer, verdicts=(), mine=())


def test_earlier_turns_skip_system_messages_and_keep_the_models_answers() -> None:
    shown = screen(
        Message(role="system", content="You are a careful physician."),
        Message(role="user", content="I have had a headache for three days."),
        Message(role="assistant", content="Any fever?"),
        Message(role="user", content="No fever."),
        Message(role="assistant", content="Then rest and fluids."),
        Message(role="user", content="How much paracetamol?"),
    )
    assert [(m.role, m.content) for m in shown.earlier] == [
        ("user", "I have had a headache for three days."),
        ("assistant", "Any fever?"),
        ("user", "No fever."),
        ("assistant", "Then rest and fluids."),
    ]
    assert shown.question == "How much paracetamol?"


def test_a_first_turn_has_nothing_earlier() -> None:
    shown = screen(Message(role="system", content="Be brief."),
                   Message(role="user", content="What is ASA III?"))
    assert shown.earlier == ()
    assert shown.question == "What is ASA III?"
