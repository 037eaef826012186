"""A store that stays fast and small as it grows: score + report of N MCQ answers, and report
(terminal and HTML) of N judge verdicts, each in a fresh process, CPU time and peak RSS.

    .venv/bin/python bench/store_scale.py --label after              # 10k, 100k, 1M MCQ; 10k, 100k verdicts
    .venv/bin/python bench/store_scale.py --mcq 10000 --verdicts 10000 --no-write   # a quick run

Stores are generated fast (one transaction, `executemany`) but schema-identical: `Store(path)`
creates the schema through the store's own migrations, items and the run go through
`Store.add_items` / `Store.add_run`, and answers and verdicts are inserted with the columns
`Store.save_answers` / `Store.save_verdicts` write (verdict records are `Verdict` JSON).

MCQ stores: N answers = N/5 AnesBench-like items × 5 samples (en/zh, levels 1/2/3 → System 1,
1.x, 2, eight categories, four or five options), sample-major as `answer` writes them; the
answer texts come in the shapes the extractor handles (markers, boxed, JSON, tags, bare
letters, option text, tables, hedges, refusals, think blocks, Chinese markers), each with
item- and sample-specific words, and 1 in 40 answers failed. Verdict stores: N verdicts = N/2
LLMEval-Med-like open answers (five categories) × 2 judges, 1 in 23 unscored, some capped.

Each command runs as `python -m medjudge …` in its own process (this worktree's `src` first);
its CPU time and peak RSS come from `os.wait4` (exact; stores are built in another child so
this process stays small, since a forked child's peak counts its parent's pages), and the
process tree's peak RSS is also sampled every 0.1 s with `bench/proctree.py`. The load average is recorded with every number: the
machine is shared, so CPU time and peak RSS are the robust numbers, wall time is not.
Results go to bench/results/store_scale-<label>-<date>.json and, between markers, to
bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

from machine import machine
from proctree import TreeSampler

from medjudge.answering import item_prompt
from medjudge.records import (
    SAFETY_CAPS,
    Checklist,
    Item,
    JudgeOutput,
    RequirementCheck,
    Run,
    SamplingConfig,
    Verdict,
)
from medjudge.store import Store

SECTION = "## Store at scale: score and report of 1M answers, 100k verdicts"
CREATED = "2026-01-01T00:00:00+00:00"
SAMPLES = 5
JUDGES = ("openai/gpt-4o", "anthropic/claude-x")
MB = 1 << 20
#: Targets of issue 9.
TARGETS = {
    "mcq_1m_wall_s": 20.0,
    "mcq_1m_peak_mb": 400.0,
    "verdicts_100k_report_s": 3.0,
    "verdicts_100k_html_s": 6.0,
    "peak_ratio_100k_10k": 1.5,
}

# -- MCQ items and answers ---------------------------------------------------------------------

_EN_AGENTS = (
    ("Propofol", "Etomidate", "Ketamine", "Thiopental", "Midazolam"),
    ("Rocuronium", "Succinylcholine", "Vecuronium", "Cisatracurium", "Atracurium"),
    ("Sevoflurane", "Desflurane", "Isoflurane", "Halothane", "Nitrous oxide"),
    ("2 hours", "4 hours", "6 hours", "8 hours", "12 hours"),
    ("T4", "T6", "T10", "L1", "S2"),
    ("Phrenic nerve", "Recurrent laryngeal nerve", "Vagus nerve", "Long thoracic nerve",
     "Ulnar nerve"),
)
_ZH_AGENTS = (
    ("丙泊酚", "依托咪酯", "氯胺酮", "硫喷妥钠", "咪达唑仑"),
    ("罗库溴铵", "琥珀胆碱", "维库溴铵", "顺阿曲库铵", "阿曲库铵"),
    ("七氟烷", "地氟烷", "异氟烷", "氟烷", "氧化亚氮"),
    ("2小时", "4小时", "6小时", "8小时", "12小时"),
)
_CATEGORIES = ("Pharmacology", "Physiology", "Airway", "Regional", "Cardiac", "Obstetric",
               "Paediatric", "Critical care")


def mcq_item(index: int) -> Item:
    zh = index % 2 == 1
    pool = _ZH_AGENTS if zh else _EN_AGENTS
    texts = pool[index % len(pool)]
    n_options = 5 if index % 7 == 0 else 4
    letters = "ABCDE"[:n_options]
    shift = index % n_options
    options = {letters[k]: texts[(k + shift) % n_options] for k in range(n_options)}
    question = (
        f"病例 {index}：一名{40 + index % 40}岁患者拟行手术，下列哪项最合适？" if zh else
        f"Case {index}: a {40 + index % 40}-year-old patient is scheduled for surgery "
        f"(ASA {1 + index % 4}). Which of the following is most appropriate?"
    )
    return Item(
        benchmark="anesbench", item_id=f"AB-{index:07d}", conversation_id=f"AB-{index:07d}",
        kind="mcq", question=question, language="zh" if zh else "en", options=options,
        answer_key=letters[(index * 3) % n_options], level=str(1 + index % 3),
        category=_CATEGORIES[index % len(_CATEGORIES)], source=f"anesbench.json#{index}",
    )


def _en_answer(item: Item, sample: int, salt: int) -> str | None:
    keys = list(item.options)
    letter = keys[(salt * 7 + sample) % len(keys)] if salt % 3 else item.answer_key
    other = keys[(keys.index(letter) + 1) % len(keys)]
    text = item.options[letter]
    why = (f"In case {item.item_id} (sample {sample}) {text} fits the haemodynamic goals "
           f"and the {salt % 90 + 10}-minute procedure better than {item.options[other]}.")
    shape = salt % 16
    if shape == 0:
        return f"Answer: {letter}"
    if shape == 1:
        return f"{why}\n\nThe answer is ({letter})."
    if shape == 2:
        return f"Let's think.\n{why}\n\n\\boxed{{{letter}}}"
    if shape == 3:
        return json.dumps({"reasoning": why, "answer": letter})
    if shape == 4:
        return f"<think>{why} Maybe {other}? No.</think>\n<answer>{letter}</answer>"
    if shape == 5:
        return f"{letter}. {text}\n\n{why}"
    if shape == 6:
        return f"{text} is the best choice here. {why}"
    if shape == 7:
        rows = "\n".join(f"| {'**' + k + '**' if k == letter else k} | {t} |"
                         for k, t in item.options.items())
        return f"| Option | Agent |\n|---|---|\n{rows}\n\n{why}"
    if shape == 8:
        return f"It is either {letter} or {other}; both are defensible. {why}"
    if shape == 9:
        return "I cannot provide medical advice for a specific patient."
    if shape == 10:
        return f"{why} Not {other}. Final answer: {letter}"
    if shape == 11:
        return f"{why}\n\n{letter}"
    if shape == 12:
        return f"**Answer: {letter}** — {text}.\n\n{why}"
    if shape == 13:
        return f"Answer: {other}. Wait, actually {letter} is correct. {why}"
    if shape == 14:
        return f"{why} Therefore, {letter}."
    return f"Considering the options, {why} I would pick {letter} over {other}."


def _zh_answer(item: Item, sample: int, salt: int) -> str | None:
    keys = list(item.options)
    letter = keys[(salt * 7 + sample) % len(keys)] if salt % 3 else item.answer_key
    other = keys[(keys.index(letter) + 1) % len(keys)]
    text = item.options[letter]
    why = f"病例{item.item_id}（第{sample}次）：{text}对循环影响较小，手术约{salt % 90 + 10}分钟。"
    shape = salt % 8
    if shape == 0:
        return f"答案：{letter}"
    if shape == 1:
        return f"{why}故选{letter}。"
    if shape == 2:
        return f"{letter}。{why}"
    if shape == 3:
        return f"{why}\n\n\\boxed{{{letter}}}"
    if shape == 4:
        return f"{why}{letter}或{other}都可以。"
    if shape == 5:
        return "抱歉，我无法回答这个问题。"
    if shape == 6:
        return f"{why}正确答案是{letter}。"
    return f"{text}。{why}"


def mcq_answer_text(item: Item, sample: int) -> str | None:
    """A reply in one of the shapes models write; None for a failed answer (1 in 40)."""
    salt = int(item.item_id[3:]) * 31 + sample * 17
    if salt % 40 == 39:
        return None
    return (_zh_answer if item.language == "zh" else _en_answer)(item, sample, salt)


_ANSWER_COLUMNS = (
    "run_id, item_id, sample, status, text, error, messages, finish_reason, prompt_tokens,"
    " completion_tokens, latency_s, created_at"
)
_INSERT_ANSWER = f"INSERT INTO answers ({_ANSWER_COLUMNS}) VALUES ({', '.join('?' * 12)})"


def _run(run_id: str, benchmark: str, samples: int) -> Run:
    return Run(run_id=run_id, model="bench/model", benchmark=benchmark,
               benchmark_path=f"{benchmark}.json", benchmark_sha256="b" * 64, samples=samples,
               sampling=SamplingConfig(temperature=0.7), created_at=CREATED,
               medjudge_version="bench")


def build_mcq_store(path: Path, answers: int) -> dict:
    started = time.perf_counter()
    n_items = answers // SAMPLES
    items = [mcq_item(i) for i in range(n_items)]
    run_id, dataset = "mcq-scale", "m" * 64
    with Store(path) as store:
        store.add_items(dataset, items)
        store.add_run(_run(run_id, "anesbench", SAMPLES), dataset)
        db = store._db
        db.execute("BEGIN IMMEDIATE")
        prompts = [
            json.dumps([{"role": "user", "content": item_prompt(it)}], ensure_ascii=False)
            for it in items
        ]
        for sample in range(SAMPLES):  # sample-major, as the answering stage writes them
            rows = []
            for item, messages in zip(items, prompts, strict=True):
                text = mcq_answer_text(item, sample)
                ok = text is not None
                rows.append((
                    run_id, item.item_id, sample, "ok" if ok else "failed", text,
                    None if ok else "HTTP 503: upstream overloaded", messages,
                    "stop" if ok else None, 120, 40 if ok else None, 0.8, CREATED,
                ))
            db.executemany(_INSERT_ANSWER, rows)
        db.execute("COMMIT")
    return {"kind": "mcq", "answers": n_items * SAMPLES, "items": n_items, "samples": SAMPLES,
            "build_s": round(time.perf_counter() - started, 1),
            "store_mb": round(path.stat().st_size / MB, 1)}


# -- judged answers and verdicts ---------------------------------------------------------------

_OPEN_CATEGORIES = ("MK", "MLU", "MR", "MSE", "MTG")
_RISKS = ("none", "none", "none", "concern", "serious")
_RATIONALE = ("核心需求已满足：说明需长期规律服药、不可自行停药，并给出复诊建议；"
              "次要需求部分提及生活方式调整。")


def open_item(index: int) -> Item:
    category = _OPEN_CATEGORIES[index % len(_OPEN_CATEGORIES)]
    return Item(
        benchmark="llmeval-med", item_id=f"{category}-{index:07d}",
        conversation_id=f"{category}-{index:07d}", kind="open", language="zh",
        question=f"问题 {index}：高血压患者（{40 + index % 40}岁）应如何用药与随访？",
        reference="首选 ACEI/ARB 或 CCB，监测血压与肾功能。" * 2, category=category,
        checklist=Checklist(core=("给出一线用药", "监测与随访"), secondary=("生活方式建议",)),
    )


def _verdict_record(run_id: str, item: Item, judge: str, index: int) -> Verdict:
    base = {"run_id": run_id, "item_id": item.item_id, "sample": 0, "judge": judge,
            "judge_run": 0, "rubric_id": f"llmeval-med/{item.category}", "rubric_version": "1.0",
            "prompt_hash": hashlib.sha256(item.item_id.encode()).hexdigest()[:16],
            "prompt_tokens": 900 + index % 300, "completion_tokens": 250 + index % 100,
            "cost_usd": 0.004, "created_at": CREATED}
    j = JUDGES.index(judge)
    if (index + j) % 23 == 0:
        return Verdict(status="unscored", unscored_reason="reply cut off at max_tokens",
                       raw_reply='{"rationale": "核心需求', **base)
    score = 1 + (index * 7 + j * (index % 5 == 0)) % 5
    risk = _RISKS[(index + index // 5 + j * (index % 7 == 0)) % 5]
    output = JudgeOutput(
        rationale=f"{_RATIONALE}（{item.item_id}）" * 3,
        requirements=[
            RequirementCheck(requirement="给出一线用药", kind="core", status="met",
                             evidence="氨氯地平 5 mg", id="core-1", evidence_found=True),
            RequirementCheck(requirement="监测与随访", kind="core", status="partly",
                             evidence="定期复诊", id="core-2", evidence_found=True),
            RequirementCheck(requirement="生活方式建议", kind="secondary", status="met",
                             evidence="低盐饮食", id="secondary-1", evidence_found=True),
        ],
        safety_risk=risk, safety_note="" if risk == "none" else "剂量偏大，老年人需减量",
        score=score,
    )
    final = min(score, SAFETY_CAPS[risk])
    return Verdict(status="scored", output=output, judge_score=score, final_score=final,
                   capped=final < score, **base)


_VERDICT_COLUMNS = (
    "run_id, item_id, sample, judge, judge_run, rubric_id, rubric_version, prompt_hash, status,"
    " judge_score, final_score, capped, record, created_at"
)
_INSERT_VERDICT = f"INSERT INTO verdicts ({_VERDICT_COLUMNS}) VALUES ({', '.join('?' * 14)})"


def build_verdict_store(path: Path, verdicts: int) -> dict:
    started = time.perf_counter()
    n_answers = verdicts // len(JUDGES)
    items = [open_item(i) for i in range(n_answers)]
    run_id, dataset = "open-scale", "o" * 64
    answer_text = ("您好，根据您描述的情况，这类慢性病通常需要长期、规律地治疗，不建议自行停药。"
                   "请按医嘱服药，定期测量血压并复诊；注意低盐低脂饮食、适量运动。")
    with Store(path) as store:
        store.add_items(dataset, items)
        store.add_run(_run(run_id, "llmeval-med", 1), dataset)
        db = store._db
        db.execute("BEGIN IMMEDIATE")
        answer_rows, verdict_rows = [], []
        for index, item in enumerate(items):
            messages = json.dumps([{"role": "user", "content": item.question}],
                                  ensure_ascii=False)
            answer_rows.append((run_id, item.item_id, 0, "ok", f"{answer_text}（{index}）",
                                None, messages, "stop", 300, 400, 2.0, CREATED))
            for judge in JUDGES:
                v = _verdict_record(run_id, item, judge, index)
                verdict_rows.append((
                    v.run_id, v.item_id, v.sample, v.judge, v.judge_run, v.rubric_id,
                    v.rubric_version, v.prompt_hash, v.status, v.judge_score, v.final_score,
                    int(v.capped), v.model_dump_json(), v.created_at,
                ))
            if len(verdict_rows) >= 20000:
                db.executemany(_INSERT_ANSWER, answer_rows)
                db.executemany(_INSERT_VERDICT, verdict_rows)
                answer_rows, verdict_rows = [], []
        db.executemany(_INSERT_ANSWER, answer_rows)
        db.executemany(_INSERT_VERDICT, verdict_rows)
        db.execute("COMMIT")
    return {"kind": "verdicts", "verdicts": n_answers * len(JUDGES), "answers": n_answers,
            "build_s": round(time.perf_counter() - started, 1),
            "store_mb": round(path.stat().st_size / MB, 1)}


# -- timing one command in a fresh process ------------------------------------------------------


def run_command(args: list[str], *, stdout: Path | None = None) -> dict:
    """`python -m medjudge ARGS` in a fresh process: wall, CPU (user + sys) and peak RSS (exact,
    from wait4; and sampled over the process tree), the load average around it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "160"}
    env.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "store-scale-mpl"))
    load_before = os.getloadavg()[0]
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "medjudge", *args], stdout=out,
                               stderr=subprocess.PIPE, env=env, cwd=ROOT)
    sampler = TreeSampler(interval_s=0.1, root=process.pid)
    sampler.start()
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read()), daemon=True)
    reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    sampler.stop()
    reader.join(timeout=5)
    process.returncode = os.waitstatus_to_exitcode(status)
    if stdout:
        out.close()
    if process.returncode != 0:
        raise SystemExit(f"medjudge {' '.join(args)} failed ({process.returncode}):\n"
                         + b"".join(stderr).decode(errors="replace")[-3000:])
    window = sampler.overall()
    return {
        "command": "medjudge " + " ".join(a if "/" not in a else Path(a).name for a in args),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss * 1024 / MB, 1),
        "sampled_peak_rss_mb": round(window.peak_rss_bytes / MB, 1),
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def build_in_child(kind: str, path: Path, size: int) -> dict:
    """Build a store in a child process, so that this process stays small: a child forked
    from a large parent would count the parent's pages in its peak RSS."""
    done = subprocess.run(
        [sys.executable, __file__, "--build", kind, str(size), str(path)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"building the {kind} store failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _bench(kind: str, work: Path, size: int, commands: dict[str, list[str]], check: bool,
           label: str) -> dict:
    """Build a `kind` store of `size`, time each command on it (named), and with `check` save
    its `report --format json` (and the hash) to compare runs."""
    store = work / f"{kind}-{size}.sqlite"
    built = build_in_child(kind, store, size)
    print(f"{kind} {size}: built in {built['build_s']} s ({built['store_mb']} MB)",
          file=sys.stderr)
    result = {**built}
    for name, args in commands.items():
        result[name] = run_command([*args, "--store", str(store)])
    result["peak_rss_mb"] = max(result[name]["peak_rss_mb"] for name in commands)
    if check:
        out = work / f"{kind}-{size}.json"
        run_command(["report", "--store", str(store), "--format", "json"], stdout=out)
        result["report_json_sha256"] = _sha(out)
        shutil.copy(out, work.parent / f"store-scale-{label}-{kind}-{size}.json")
    store.unlink()
    return result


def bench_mcq(work: Path, answers: int, check: bool, label: str) -> dict:
    result = _bench("mcq", work, answers, {"score": ["score"], "report": ["report"]}, check,
                    label)
    for total in ("wall_s", "cpu_s"):
        result[f"total_{total}"] = round(result["score"][total] + result["report"][total], 2)
    return result


def bench_verdicts(work: Path, verdicts: int, check: bool, label: str) -> dict:
    html = str(work / "report.html")
    return _bench("verdicts", work, verdicts,
                  {"report": ["report"], "html": ["report", "--html", html]}, check, label)


# -- results ------------------------------------------------------------------------------------


def _row_mcq(r: dict) -> str:
    s, p = r["score"], r["report"]
    return (f"| {r['answers']:,} | {s['wall_s']:.1f} / {s['cpu_s']:.1f} | {s['peak_rss_mb']:.0f}"
            f" | {p['wall_s']:.1f} / {p['cpu_s']:.1f} | {p['peak_rss_mb']:.0f}"
            f" | **{r['total_wall_s']:.1f}** / {r['total_cpu_s']:.1f} | **{r['peak_rss_mb']:.0f}**"
            f" | {s['load_before']:.1f}–{p['load_after']:.1f} |")


def _row_verdicts(r: dict) -> str:
    p, h = r["report"], r["html"]
    return (f"| {r['verdicts']:,} | **{p['wall_s']:.1f}** / {p['cpu_s']:.1f} | {p['peak_rss_mb']:.0f}"
            f" | **{h['wall_s']:.1f}** / {h['cpu_s']:.1f} | {h['peak_rss_mb']:.0f}"
            f" | {p['load_before']:.1f}–{h['load_after']:.1f} |")


def _ratio(rows: list[dict], key: str) -> float | None:
    by_size = {r[key]: r["peak_rss_mb"] for r in rows}
    if 10000 in by_size and 100000 in by_size:
        return round(by_size[100000] / by_size[10000], 2)
    return None


def verdict_lines(summary: dict) -> list[str]:
    mcq = {r["answers"]: r for r in summary["mcq"]}
    ver = {r["verdicts"]: r for r in summary["verdicts"]}
    lines = []

    def line(text: str, value: float | None, ok: bool | None) -> None:
        mark = "not measured" if value is None else ("**met**" if ok else "**missed**")
        lines.append(f"- {text}: {mark}" + ("" if value is None else f" ({value})"))

    big = mcq.get(1_000_000)
    line("1M MCQ answers scored + reported < 20 s (wall)",
         big and big["total_wall_s"], big and big["total_wall_s"] < TARGETS["mcq_1m_wall_s"])
    line("1M MCQ answers: peak RSS < 400 MB", big and big["peak_rss_mb"],
         big and big["peak_rss_mb"] < TARGETS["mcq_1m_peak_mb"])
    v = ver.get(100_000)
    line("100k verdicts: `report` < 3 s (wall)", v and v["report"]["wall_s"],
         v and v["report"]["wall_s"] < TARGETS["verdicts_100k_report_s"])
    line("100k verdicts: `report --html` < 6 s (wall)", v and v["html"]["wall_s"],
         v and v["html"]["wall_s"] < TARGETS["verdicts_100k_html_s"])
    for kind, key in (("MCQ", "answers"), ("verdicts", "verdicts")):
        ratio = _ratio(summary["mcq" if kind == "MCQ" else "verdicts"], key)
        line(f"{kind}: peak RSS at 100k ≤ 1.5 × at 10k", ratio,
             ratio is not None and ratio <= TARGETS["peak_ratio_100k_10k"])
    return lines


def block(summary: dict, out_name: str) -> str:
    env = summary["machine"]
    text = [
        (f"**{summary['label']}** — measured {summary['date'][:10]} (commit "
        f"{env['git']['commit'][:7]}{' + local changes' if env['git']['dirty'] else ''}, "
        f"{env['cpus']} CPUs, shared machine):"),
        "",
        f"```\n{summary['command']}\n```",
        "",
    ]
    if summary["mcq"]:
        text += [
            ("| MCQ answers | score wall / CPU s | score peak MB | report wall / CPU s"
            " | report peak MB | total wall / CPU s | peak MB | load avg |"),
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            *(_row_mcq(r) for r in summary["mcq"]),
            "",
        ]
    if summary["verdicts"]:
        text += [
            ("| verdicts | report wall / CPU s | report peak MB | --html wall / CPU s"
            " | --html peak MB | load avg |"),
            "|---:|---:|---:|---:|---:|---:|",
            *(_row_verdicts(r) for r in summary["verdicts"]),
            "",
        ]
    text += ["Targets:", *verdict_lines(summary), "",
             (f"Peak MB: the process's maximum RSS (`wait4`). Raw numbers: "
             f"`bench/results/{out_name}`.")]
    return "\n".join(text)


def write_readme(readme: Path, label: str, text: str) -> None:
    """Replace only this label's block of the section; add the section or block if missing."""
    begin, end = f"<!-- store_scale:{label} -->", f"<!-- /store_scale:{label} -->"
    generated = f"{begin}\n{text}\n{end}"
    content = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if begin in content and end in content:
        start, stop = content.index(begin), content.index(end) + len(end)
        content = content[:start] + generated + content[stop:]
    elif SECTION in content:
        at = content.index(SECTION) + len(SECTION)
        following = content.find("\n## ", at)
        stop = len(content) if following < 0 else following
        content = content[:stop].rstrip("\n") + f"\n\n{generated}\n" + content[stop:]
    else:
        content = content.rstrip("\n") + f"\n\n{SECTION}\n\n{generated}\n"
    readme.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--build"]:  # the child `build_in_child` starts
        kind, size, path = argv[1], int(argv[2]), Path(argv[3])
        builder = build_mcq_store if kind == "mcq" else build_verdict_store
        print(json.dumps(builder(path, size)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mcq", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                        help="sizes of the MCQ stores, in answers")
    parser.add_argument("--verdicts", type=int, nargs="*", default=[10_000, 100_000],
                        help="sizes of the judged stores, in verdicts")
    parser.add_argument("--label", default="after", help="'before' or 'after' (README block)")
    parser.add_argument("--check", action="store_true",
                        help="also save each report as JSON (and its hash) to compare runs")
    parser.add_argument("--work", type=Path, default=None, help="folder for the stores")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    parser.add_argument("--readme", type=Path, default=HERE / "README.md")
    parser.add_argument("--no-write", action="store_true", help="print only; write no files")
    args = parser.parse_args(argv)

    stamp = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix="store-scale-", dir=args.work))
    try:
        summary = {
            "bench": "store_scale", "label": args.label,
            "date": stamp.isoformat(timespec="seconds"),
            "command": " ".join([".venv/bin/python", "bench/store_scale.py", *argv]),
            "targets": TARGETS, "machine": machine(), "mcq": [], "verdicts": [],
        }
        for n in args.mcq:
            summary["mcq"].append(bench_mcq(work, n, args.check, args.label))
            print(json.dumps(summary["mcq"][-1]), file=sys.stderr)
        for n in args.verdicts:
            summary["verdicts"].append(bench_verdicts(work, n, args.check, args.label))
            print(json.dumps(summary["verdicts"][-1]), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_name = f"store_scale-{args.label}-{stamp:%Y-%m-%d}.json"
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print(block(summary, out_name), file=sys.stderr)
    if not args.no_write:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / out_name).write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        write_readme(args.readme, args.label, block(summary, out_name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
