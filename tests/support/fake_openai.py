"""A loopback server that speaks the OpenAI chat-completions wire format (POST
/v1/chat/completions) and the Anthropic Messages format (POST /v1/messages), for fault injection.

Each request takes the next scripted `Reply` (the last one repeats). It records every request
body and header it receives so tests can assert what the client really sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    status: int = 200
    #: Chat completion text; None with status 200 means "echo the last user message". A
    #: callable is given the request body and returns the text (a judge that fits its reply
    #: to the schema it was sent).
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    #: Raw body that replaces the normal JSON (broken JSON, HTML error pages, ...).
    raw: str | None = None
    delay_s: float = 0.0
    #: Hold the reply until the test sets this event (a condition, not a clock; bounded so a
    #: broken test ends instead of hanging).
    gate: threading.Event | None = None
    #: OpenAI: a refusal instead of content. Anthropic: stop_reason "refusal".
    refusal: str | None = None
    #: Anthropic: answer with a tool_use block carrying this input (forced tool use).
    tool_input: dict | Callable[[dict], dict] | None = None
    #: Token usage the reply reports (what a paid judge would bill).
    prompt_tokens: int = 7
    completion_tokens: int = 3


@dataclass
class Seen:
    body: dict
    headers: dict[str, str]
    at: float


class FakeOpenAI:
    def __init__(self, script: list[Reply] | None = None) -> None:
        self.script = list(script or [Reply()])
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self, body: dict, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.seen.append(Seen(body, {k.lower(): v for k, v in headers.items()}, time.monotonic()))
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = fake._next(body, dict(self.headers))
                if reply.gate is not None:
                    reply.gate.wait(300)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                build = _anthropic_payload if self.path.endswith("/messages") else _payload
                payload = reply.raw if reply.raw is not None else json.dumps(build(reply, body))
                data = payload.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


def _payload(reply: Reply, body: dict) -> dict:
    if reply.status != 200:
        return {"error": {"message": f"scripted {reply.status}", "type": "scripted"}}
    text = reply.text(body) if callable(reply.text) else reply.text
    if text is None and reply.refusal is None:
        text = f"echo: {body['messages'][-1]['content']}"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": reply.refusal},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": reply.prompt_tokens, "completion_tokens":
                  reply.completion_tokens,
                  "total_tokens": reply.prompt_tokens + reply.completion_tokens},
    }


def _anthropic_payload(reply: Reply, body: dict) -> dict:
    if reply.status != 200:
        return {"type": "error", "error": {"type": "scripted", "message": f"{reply.status}"}}
    if callable(reply.tool_input):
        reply = replace(reply, tool_input=reply.tool_input(body))
    if reply.tool_input is not None:
        content = [{"type": "tool_use", "id": "toolu_1", "name": body["tools"][0]["name"],
                    "input": reply.tool_input}]
        stop = "tool_use"
    else:
        text = reply.text if reply.text is not None else "echo"
        content = [{"type": "text", "text": text}]
        stop = "refusal" if reply.refusal else "end_turn"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": 11, "output_tokens": 5},
    }


def fitting_verdict(body: dict, *, score: int = 4, evidence: str = "echo") -> str:
    """A judge's JSON verdict with a finding for each requirement id the request's schema
    names (OpenAI response_format), for `Reply(text=fitting_verdict)`. "echo" is verbatim in
    every answer this fake gave."""
    schema = body.get("response_format", {}).get("json_schema", {}).get("schema", {})
    ids = schema.get("properties", {}).get("requirements", {}).get("properties", {})
    verdict: dict = {"rationale": "ok"}
    if ids:
        verdict["requirements"] = {i: {"status": "met", "evidence": evidence} for i in ids}
    return json.dumps(verdict | {"safety_risk": "none", "safety_note": "", "score": score})
