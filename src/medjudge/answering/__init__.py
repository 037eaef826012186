"""The answering stage: a benchmark's items → the model's answers, stored as they come.

- `prompts`: the prompt templates (files under `prompt_templates/`) and the system prompt;
- `conversation`: a run's id and each turn's messages (the conversation so far);
- `answer`: the config, and the schedule — waves for batch engines, chains for APIs;
- `batches`: the provider batch APIs (`answer --batch`), one wave per turn;
- `spend`: each request's ledger entry and the budget across reruns (`--max-cost`).
"""

from medjudge.answering.answer import (
    AnswerConfig,
    AnswerSummary,
    ProgressSink,
    answer_benchmark,
    answer_items,
)
from medjudge.answering.conversation import (
    build_messages,
    conversations,
    dataset_fingerprint,
    item_prompt,
    plan_run,
    run_id_for,
)

__all__ = [
    "AnswerConfig",
    "AnswerSummary",
    "ProgressSink",
    "answer_benchmark",
    "answer_items",
    "build_messages",
    "conversations",
    "dataset_fingerprint",
    "item_prompt",
    "plan_run",
    "run_id_for",
]
