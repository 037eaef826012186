"""A loopback server that speaks both providers' batch wire formats, for fault injection.

OpenAI: POST /v1/files (multipart, purpose=batch), GET /v1/files/{id}/content, POST /v1/batches,
GET /v1/batches/{id}, GET /v1/batches (newest first, cursor `after`).
Anthropic: POST /v1/messages/batches, GET /v1/messages/batches/{id},
GET /v1/messages/batches/{id}/results, GET /v1/messages/batches.

The server, not a clock, decides when a batch ends: after `polls_to_end` GETs of it. What
each request gets is decided per line by `Script.fault(batch_number, line_index, body)`: None (a reply),
"expire", "error500", "error400", "malformed" (a result line cut in half), "missing" (no
result line at all) or "invalid" (a reply that is no verdict); `Script.fate(n)` decides the
n-th batch's end as a whole: "completed", "expired" (every entry) or "failed" (OpenAI:
validation failed, no output file). `on_create` runs after a batch is recorded and before
the reply is sent (a test kills its client there). Every request is recorded in `seen`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import parse_qs, urlsplit

from support.judge_replies import FittingVerdict

Fault = str | None


@dataclass
class Script:
    polls_to_end: int = 1
    fault: Callable[[int, int, dict], Fault] = lambda number, index, body: None
    fate: Callable[[int], str] = lambda n: "completed"
    #: The judge's reply (text for OpenAI; its JSON object becomes Anthropic's tool input).
    reply: Callable[[dict], str] = field(default_factory=FittingVerdict)
    prompt_tokens: int = 400
    completion_tokens: int = 100


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class FakeBatch:
    id: str
    wire: str  # "openai" | "anthropic"
    number: int
    lines: list[dict]
    metadata: dict
    created_at: float
    polls: int = 0
    ended: bool = False
    status: str = "validating"
    output: str = ""
    errors: str = ""
    counts: dict = field(default_factory=dict)


class FakeBatches:
    def __init__(self, script: Script | None = None) -> None:
        self.script = script or Script()
        self.seen: list[Seen] = []
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.on_create: Callable[[FakeBatch], None] | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- for tests ---------------------------------------------------------------------------
    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """OpenAI's base URL; Anthropic's SDK takes `root`."""
        return f"{self.root}/v1"

    def created(self, wire: str | None = None) -> list[FakeBatch]:
        return [b for b in self.batches.values() if wire is None or b.wire == wire]

    def custom_ids(self) -> list[str]:
        return [line["custom_id"] for b in self.batches.values() for line in b.lines]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- batches ---------------------------------------------------------------------------
    def _new_batch(self, wire: str, lines: list[dict], metadata: dict) -> FakeBatch:
        with self._lock:
            number = len(self.batches)
            prefix = "batch_" if wire == "openai" else "msgbatch_"
            batch = FakeBatch(
                id=f"{prefix}{number:04d}",
                wire=wire,
                number=number,
                lines=lines,
                metadata=metadata,
                created_at=time.time(),
            )
            self.batches[batch.id] = batch
        return batch

    def _poll(self, batch: FakeBatch) -> None:
        with self._lock:
            batch.polls += 1
            if batch.ended:
                return
            batch.status = "in_progress"
            if batch.polls >= self.script.polls_to_end:
                self._finish(batch)

    def _finish(self, batch: FakeBatch) -> None:
        fate = self.script.fate(batch.number)
        out, err = [], []
        ok = failed = 0
        for index, line in enumerate(batch.lines):
            cid = line["custom_id"]
            body = line.get("body") or line.get("params") or {}
            fault = "expire" if fate == "expired" else self.script.fault(batch.number, index, body)
            if fate == "failed" or fault == "missing":
                continue
            entry = (_openai_line if batch.wire == "openai" else _anthropic_line)(
                self.script, cid, body, fault
            )
            if fault == "malformed":
                entry = entry[: len(entry) // 2]
            if fault in ("expire", "error500", "error400"):
                failed += 1
                err.append(entry)
            else:
                ok += 1
                out.append(entry)
        batch.ended = True
        if batch.wire == "openai":
            batch.status = {"completed": "completed", "expired": "expired", "failed": "failed"}[
                fate
            ]
            batch.output = "".join(f"{e}\n" for e in out)
            batch.errors = "".join(f"{e}\n" for e in err)
            batch.counts = {"total": len(batch.lines), "completed": ok, "failed": failed}
        else:
            batch.status = "ended"
            batch.output = "".join(f"{e}\n" for e in out + err)
            batch.counts = {
                "processing": 0,
                "succeeded": ok,
                "errored": 0,
                "canceled": 0,
                "expired": 0,
            }
            for e in err:
                kind = "expired" if '"expired"' in e else "errored"
                batch.counts[kind] += 1

    # -- wire formats ----------------------------------------------------------------------
    def _openai_batch(self, batch: FakeBatch) -> dict:
        out_id = err_id = None
        if batch.ended and batch.status != "failed":
            out_id, err_id = f"file-out-{batch.id}", f"file-err-{batch.id}"
            self.files[out_id] = batch.output.encode()
            self.files[err_id] = batch.errors.encode()
            if not batch.errors:
                err_id = None
        errors = None
        if batch.status == "failed":
            errors = {
                "object": "list",
                "data": [
                    {
                        "code": "invalid_request",
                        "message": "scripted: the input did not validate",
                        "line": 1,
                        "param": None,
                    }
                ],
            }
        return {
            "id": batch.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": errors,
            "input_file_id": batch.metadata.get("_file"),
            "completion_window": "24h",
            "status": batch.status,
            "output_file_id": out_id,
            "error_file_id": err_id,
            "created_at": int(batch.created_at),
            "request_counts": batch.counts
            or {"total": len(batch.lines), "completed": 0, "failed": 0},
            "metadata": {k: v for k, v in batch.metadata.items() if not k.startswith("_")},
        }

    def _anthropic_batch(self, batch: FakeBatch) -> dict:
        created = datetime.fromtimestamp(batch.created_at, UTC).isoformat()
        counts = batch.counts or {
            "processing": len(batch.lines),
            "succeeded": 0,
            "errored": 0,
            "canceled": 0,
            "expired": 0,
        }
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if batch.ended else "in_progress",
            "request_counts": counts,
            "created_at": created,
            "expires_at": created,
            "ended_at": created if batch.ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.root}/v1/messages/batches/{batch.id}/results"
            if batch.ended
            else None,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, payload: dict | str | bytes) -> None:
                data = (
                    payload
                    if isinstance(payload, bytes)
                    else (payload if isinstance(payload, str) else json.dumps(payload)).encode()
                )
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _record(self) -> tuple[str, dict]:
                parts = urlsplit(self.path)
                fake.seen.append(
                    Seen(self.command, parts.path, {k.lower(): v for k, v in self.headers.items()})
                )
                return parts.path, parse_qs(parts.query)

            def do_POST(self) -> None:
                path, _ = self._record()
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if path == "/v1/files":
                    self._upload(raw)
                elif path == "/v1/batches":
                    body = json.loads(raw)
                    content = fake.files[body["input_file_id"]].decode()
                    lines = [json.loads(line) for line in content.splitlines() if line]
                    meta = {**(body.get("metadata") or {}), "_file": body["input_file_id"]}
                    batch = fake._new_batch("openai", lines, meta)
                    if fake.on_create is not None:
                        fake.on_create(batch)
                    self._send(200, fake._openai_batch(batch))
                elif path == "/v1/messages/batches":
                    body = json.loads(raw)
                    batch = fake._new_batch("anthropic", body["requests"], {})
                    if fake.on_create is not None:
                        fake.on_create(batch)
                    self._send(200, fake._anthropic_batch(batch))
                else:
                    self._send(404, {"error": {"message": f"no route {path}"}})

            def _upload(self, raw: bytes) -> None:
                head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
                message = BytesParser(policy=default_policy).parsebytes(head + raw)
                fields = {
                    part.get_param("name", header="content-disposition"): part.get_payload(
                        decode=True
                    )
                    for part in message.iter_parts()
                }
                if fields.get("purpose") != b"batch":
                    self._send(400, {"error": {"message": "purpose must be batch"}})
                    return
                file_id = f"file-in-{len(fake.files):04d}"
                fake.files[file_id] = fields["file"]
                self._send(
                    200,
                    {
                        "id": file_id,
                        "object": "file",
                        "bytes": len(fields["file"]),
                        "created_at": int(time.time()),
                        "filename": "in.jsonl",
                        "purpose": "batch",
                        "status": "processed",
                    },
                )

            def do_GET(self) -> None:
                path, query = self._record()
                parts = path.strip("/").split("/")
                named = (
                    parts[3]
                    if parts[1:3] == ["messages", "batches"] and len(parts) > 3
                    else parts[2]
                    if parts[1] == "batches" and len(parts) > 2
                    else None
                )
                if named is not None and named not in fake.batches:
                    self._send(
                        404,
                        {
                            "type": "error",
                            "error": {"type": "not_found_error", "message": f"no batch {named}"},
                        },
                    )
                elif path.startswith("/v1/files/") and path.endswith("/content"):
                    self._send(200, fake.files[parts[2]])
                elif path == "/v1/batches":
                    self._list("openai", query, fake._openai_batch)
                elif path == "/v1/messages/batches":
                    self._list("anthropic", query, fake._anthropic_batch)
                elif len(parts) == 3 and parts[1] == "batches":
                    batch = fake.batches[parts[2]]
                    fake._poll(batch)
                    self._send(200, fake._openai_batch(batch))
                elif len(parts) == 4 and parts[2] == "batches":
                    batch = fake.batches[parts[3]]
                    fake._poll(batch)
                    self._send(200, fake._anthropic_batch(batch))
                elif len(parts) == 5 and parts[4] == "results":
                    self._send(200, fake.batches[parts[3]].output)
                else:
                    self._send(404, {"error": {"message": f"no route {path}"}})

            def _list(self, wire: str, query: dict, show: Callable[[FakeBatch], dict]) -> None:
                newest = sorted(fake.created(wire), key=lambda b: -b.number)
                after = (query.get("after") or query.get("after_id") or [None])[0]
                if after is not None:
                    ids = [b.id for b in newest]
                    newest = newest[ids.index(after) + 1 :] if after in ids else []
                limit = int((query.get("limit") or ["20"])[0])
                page = [show(b) for b in newest[:limit]]
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": page,
                        "has_more": len(newest) > limit,
                        "first_id": page[0]["id"] if page else None,
                        "last_id": page[-1]["id"] if page else None,
                    },
                )

        return Handler


def _openai_line(script: Script, cid: str, body: dict, fault: Fault) -> str:
    if fault == "expire":
        line = {
            "id": f"req-{cid}",
            "custom_id": cid,
            "response": None,
            "error": {
                "code": "batch_expired",
                "message": "This request could not be executed before the completion window "
                "expired.",
            },
        }
    elif fault in ("error500", "error400"):
        code = 500 if fault == "error500" else 400
        kind = "server_error" if code == 500 else "invalid_request_error"
        line = {
            "id": f"req-{cid}",
            "custom_id": cid,
            "response": {
                "status_code": code,
                "request_id": "r",
                "body": {"error": {"message": f"scripted {code}", "type": kind, "code": kind}},
            },
            "error": None,
        }
    else:
        text = "this is no verdict" if fault == "invalid" else script.reply(body)
        line = {
            "id": f"req-{cid}",
            "custom_id": cid,
            "response": {
                "status_code": 200,
                "request_id": "r",
                "body": {
                    "id": "chatcmpl-batch",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                    "usage": {
                        "prompt_tokens": script.prompt_tokens,
                        "completion_tokens": script.completion_tokens,
                        "total_tokens": script.prompt_tokens + script.completion_tokens,
                    },
                },
            },
            "error": None,
        }
    return json.dumps(line, ensure_ascii=False)


def _anthropic_line(script: Script, cid: str, body: dict, fault: Fault) -> str:
    if fault == "expire":
        result: dict = {"type": "expired"}
    elif fault in ("error500", "error400"):
        kind = "api_error" if fault == "error500" else "invalid_request_error"
        result = {
            "type": "errored",
            "error": {"type": "error", "error": {"type": kind, "message": f"scripted {kind}"}},
        }
    else:
        if fault == "invalid":
            content = [{"type": "text", "text": "this is no verdict"}]
            stop = "end_turn"
        elif "tools" in body:
            content = [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": body["tools"][0]["name"],
                    "input": json.loads(script.reply(body)),
                }
            ]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": script.reply(body)}]
            stop = "end_turn"
        result = {
            "type": "succeeded",
            "message": {
                "id": "msg_batch",
                "type": "message",
                "role": "assistant",
                "model": body.get("model"),
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": script.prompt_tokens,
                    "output_tokens": script.completion_tokens,
                },
            },
        }
    return json.dumps({"custom_id": cid, "result": result}, ensure_ascii=False)
