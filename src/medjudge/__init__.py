"""medjudge: grade medical LLMs — answer benchmarks, score MCQs, judge open answers, audit.

    import medjudge as mj
    bench = mj.load("sample:anesbench")                    # or a benchmark file
    run = mj.answer(bench, model="vllm/Qwen/Qwen2.5-7B-Instruct", samples=5, store="runs.sqlite")
    mj.score(run); mj.grade(run, judges=["gpt-4o"]); print(mj.report(run).to_markdown())

Importing medjudge loads no engine or SDK: vLLM, OpenAI and Anthropic are imported when a
client for them is made.
"""

__version__ = "0.1.0"

# The version first: the modules below read it while this package is still being imported.
# The report package before the functions: importing a submodule binds it as an attribute of
# this package, and `medjudge.report` must stay the function (imported after it, below).
import medjudge.report  # noqa: F401  (rich and numpy; no engine or SDK)
from medjudge.api import (
    RunLike,
    RunRef,
    StoreLike,
    answer,
    grade,
    load,
    open_store,
    report,
    runs,
    score,
    show_run,
)
from medjudge.benchmarks import Benchmark
from medjudge.errors import MedjudgeError
from medjudge.models.registry import register_provider
from medjudge.pipeline import run_pipeline
from medjudge.records import (
    Answer,
    Audit,
    Item,
    McqScore,
    Message,
    Run,
    SamplingConfig,
    Verdict,
)
from medjudge.run_config import load_run_config
from medjudge.store import Store

__all__ = [
    "Answer",
    "Audit",
    "Benchmark",
    "Item",
    "McqScore",
    "MedjudgeError",
    "Message",
    "Run",
    "RunLike",
    "RunRef",
    "SamplingConfig",
    "Store",
    "StoreLike",
    "Verdict",
    "__version__",
    "answer",
    "grade",
    "load",
    "load_run_config",
    "open_store",
    "register_provider",
    "report",
    "run_pipeline",
    "runs",
    "score",
    "show_run",
]
