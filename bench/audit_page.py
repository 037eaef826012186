"""Audit page latency with 10,000 verdicts: queue and review responses over loopback HTTP.

    .venv/bin/python bench/audit_page.py [--answers 5000] [--repeat 60]

Builds a store of N judged answers × 2 judges (5,000 → 10,000 verdicts) plus 2,000 earlier
audits, starts `medjudge audit serve` in its own process, signs in, and times each kind of
request from a client in this process (httpx, keep-alive). Prints a markdown table of median
and p95 milliseconds; target: median < 200 ms for queue and review.
"""

from __future__ import annotations

import argparse
import itertools
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.audit_data import RUN_ID, build_store, make_items

from medjudge.audit import add_reviewer
from medjudge.records import Audit
from medjudge.store import Store, utc_now


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_audits(path: Path, item_ids: list[str], reviewer: str) -> None:
    with Store(path) as store:
        for item_id in item_ids:
            store.save_audit(Audit(run_id=RUN_ID, item_id=item_id, reviewer=reviewer,
                                   action="comment", mode="review", comment="seen",
                                   created_at=utc_now()))


def timed(client: httpx.Client, method: str, url: str, repeat: int,
          data: object = None) -> list[float]:
    out = []
    for i in range(repeat):
        target = url(i) if callable(url) else url
        body = data(i) if callable(data) else data
        start = time.perf_counter()
        response = client.request(method, target, data=body)
        out.append((time.perf_counter() - start) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{method} {target}: HTTP {response.status_code}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    store = work / "bench.sqlite"
    started = time.perf_counter()
    build_store(store, answers=args.answers)
    token = add_reviewer(store, "bench")
    item_ids = [item.item_id for item in make_items(args.answers)]
    with Store(store) as db:
        # earlier audits by the reviewer (both kinds of "reviewed"), so the joins do real work
        for item_id in item_ids[:1000]:
            db.save_audit(Audit(run_id=RUN_ID, item_id=item_id, reviewer="bench",
                                action="blind_rating", mode="blind", score=3,
                                safety_risk="none", created_at=utc_now()))
        n_verdicts = len(db.verdicts(RUN_ID))
    seed_audits(store, item_ids[1000:2000], "bench")
    print(f"store: {args.answers} answers, {n_verdicts} verdicts, 2000 audits "
          f"({time.perf_counter() - started:.1f} s to build)")

    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/medjudge"), "audit", "serve", "--store", str(store),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        client = httpx.Client(base_url=base, timeout=30)
        for _ in range(300):
            try:
                signin = client.get("/signin")
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        csrf = re.search(r'name="csrf" value="([^"]+)"', signin.text).group(1)
        client.post("/signin", data={"csrf": csrf, "token": token, "next": "/queue"})

        def review(i: int) -> str:
            return f"/review?run_id={RUN_ID}&item_id={item_ids[(i * 97) % len(item_ids)]}"

        page = client.get(review(0)).text
        session_csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

        sent = itertools.count()

        def comment(i: int) -> dict[str, str]:
            return {"csrf": session_csrf, "request_id": f"bench-{next(sent)}", "run_id": RUN_ID,
                    "item_id": item_ids[(i * 89) % len(item_ids)], "sample": "0",
                    "mode": "review", "filters": "", "action": "comment", "comment": "ok"}

        cases = [
            ("GET /queue (all, page 1)", "GET", "/queue", None),
            ("GET /queue?category=MK&unreviewed=1", "GET", "/queue?category=MK&unreviewed=1",
             None),
            ("GET /queue?risk=serious", "GET", "/queue?risk=serious", None),
            ("GET /queue?disagree=1&capped=1", "GET", "/queue?disagree=1&capped=1", None),
            ("GET /queue?page=30", "GET", "/queue?page=30", None),
            ("GET /queue?mode=blind", "GET", "/queue?mode=blind", None),
            ("GET /review", "GET", review, None),
            ("GET /review?mode=blind", "GET", lambda i: review(i) + "&mode=blind", None),
            ("GET /next?unreviewed=1 (redirect)", "GET", "/next?unreviewed=1", None),
            ("POST /review comment (write + redirect)", "POST", "/review", comment),
        ]
        client.follow_redirects = False
        for _, method, url, data in cases:  # warm-up
            timed(client, method, url, 3, data)
        print(f"\n{args.repeat} requests each, loopback, server in its own process\n")
        print("| request | median ms | p95 ms |")
        print("|---|---:|---:|")
        for name, method, url, data in cases:
            samples = timed(client, method, url, args.repeat, data)
            p95 = statistics.quantiles(samples, n=20)[-1]
            print(f"| {name} | {statistics.median(samples):.1f} | {p95:.1f} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
