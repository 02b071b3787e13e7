"""A real HTTP server on 127.0.0.1 speaking OpenAI chat completions, with scripted replies.

    with FakeOpenAI() as server:
        server.script(reply('{"count": 1, "people": []}'), status(500), hang())
        ... OpenAI(base_url=server.base_url, api_key="x") ...
        server.requests  # what the client sent (parsed JSON bodies + headers)

Each POST to /v1/chat/completions takes the next step of the script (a valid JSON reply once
the script is empty). The server reports its own processing time in the `openai-processing-ms`
header, as OpenAI does, and in `server.processing_ms`, so a benchmark can tell the app's overhead.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = json.dumps({"count": 1, "people": [{"gender": "female", "age": 34, "glasses": False,
                                                    "hair": "short", "clothing": "jacket",
                                                    "facing": True}]})


@dataclass(frozen=True)
class Step:
    kind: str  # reply | status | hang | trickle | reject_schema | flood
    text: str = ""
    code: int = 200
    delay: float = 0.0  # reply: wait first; trickle: between chunks; hang: the longest it waits
    chunk: int = 16
    headers: dict[str, str] = field(default_factory=dict)
    usage: bool = True  # the completion reports its token usage, as OpenAI's does


def reply(text: str = DEFAULT_REPLY, delay: float = 0.0, usage: bool = True) -> Step:
    """A normal completion whose message content is `text` (after `delay` seconds); `usage=False`:
    without the `usage` block, as some local servers answer."""
    return Step("reply", text=text, delay=delay, usage=usage)


def json_reply(data: Any, delay: float = 0.0) -> Step:
    return reply(json.dumps(data), delay)


def status(code: int, message: str = "scripted failure", headers: dict[str, str] | None = None) -> Step:
    """An error answer; by default with a short retry-after-ms, as a well-behaved server sends."""
    return Step("status", text=message, code=code,
                headers={"retry-after-ms": "20"} if headers is None else headers)


def hang(seconds: float = 60.0) -> Step:
    """Accept the request and say nothing (until `seconds` pass or the server closes)."""
    return Step("hang", delay=seconds)


def trickle(text: str = DEFAULT_REPLY, every: float = 0.3, chunk: int = 8) -> Step:
    """Send a valid reply a few bytes at a time: each read is quick, the whole is slow."""
    return Step("trickle", text=text, delay=every, chunk=chunk)


def flood(megabytes: int = 500) -> Step:
    """200 and a body that never ends (up to `megabytes`), sent as fast as the client reads."""
    return Step("flood", code=megabytes)


def reject_schema(text: str = DEFAULT_REPLY) -> Step:
    """400 when the request asks for a json_schema response format (as llama.cpp has), else reply."""
    return Step("reject_schema", text=text)


class FakeOpenAI:
    def __init__(self) -> None:
        self._steps: deque[Step] = deque()
        self._lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.processing_ms: list[float] = []
        self.released = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="fake-openai", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *steps: Step) -> None:
        with self._lock:
            self._steps.extend(steps)

    def next_step(self) -> Step:
        with self._lock:
            return self._steps.popleft() if self._steps else reply()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(entry)

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def close(self) -> None:
        self.released.set()  # wakes hanging handlers
        self.httpd.shutdown()
        self.httpd.close_connections()  # ends keep-alive connections the client still holds
        self.httpd.server_close()  # joins every handler thread
        self._thread.join(5)

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Server(ThreadingHTTPServer):
    """Handler threads are joined on close, after their connections are shut: a test leaves no
    thread behind (a keep-alive connection would otherwise park one in readline forever)."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        with self._connections_lock:
            self._connections.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's delayed ACK adds ~40 ms
    # that a real server does not, and the benchmark would blame the app for it.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
        pass

    @property
    def fake(self) -> FakeOpenAI:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fake-vlm", "object": "model"}]})
        else:
            self._send_json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.fake.record({"path": self.path, "headers": headers, "body": body, "bytes": len(raw)})
        if not self.path.rstrip("/").endswith("/chat/completions") or not isinstance(body, dict):
            self._send_json(404, {"error": {"message": "unknown endpoint"}})
            return
        step = self.fake.next_step()
        try:
            self._play(step, body, started)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): that is what some steps test

    def _play(self, step: Step, body: dict[str, Any], started: float) -> None:
        if step.kind == "hang":
            self.fake.released.wait(step.delay)
            self.close_connection = True
            return
        if step.kind == "flood":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(step.code * 1024 * 1024 + 20))
            self.end_headers()
            self.wfile.write(b'{"id": "')
            block = b"x" * 65536
            for _ in range(step.code * 16):
                if self.fake.released.is_set():
                    return
                self.wfile.write(block)
            return
        if step.kind == "status":
            error = {"message": step.text, "type": "scripted", "code": step.code}
            self._send_json(step.code, {"error": error}, started, step.headers)
            return
        if step.kind == "reject_schema" and (body.get("response_format") or {}).get("type") == "json_schema":
            self._send_json(400, {"error": {"message": "json_schema is not supported", "type": "invalid"}},
                            started)
            return
        if step.delay and step.kind == "reply":
            self.fake.released.wait(step.delay)
        payload = _completion(body, step.text)
        if not step.usage:
            payload.pop("usage")
        if step.kind == "trickle":
            self._trickle(payload, step, started)
        else:
            self._send_json(200, payload, started)

    def _send_json(self, code: int, data: Any, started: float | None = None,
                   headers: dict[str, str] | None = None) -> None:
        data_bytes = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data_bytes)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if started is not None:
            ms = (time.perf_counter() - started) * 1000
            self.fake.processing_ms.append(ms)
            self.send_header("openai-processing-ms", f"{ms:.3f}")
        self.end_headers()
        self.wfile.write(data_bytes)
        self.wfile.flush()

    def _trickle(self, data: Any, step: Step, started: float) -> None:
        data_bytes = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data_bytes)))
        self.end_headers()
        self.wfile.flush()
        for i in range(0, len(data_bytes), step.chunk):
            if self.fake.released.wait(step.delay):
                return
            self.wfile.write(data_bytes[i:i + step.chunk])
            self.wfile.flush()
        self.fake.processing_ms.append((time.perf_counter() - started) * 1000)


def _completion(body: dict[str, Any], text: str) -> dict[str, Any]:
    prompt_tokens = 100 + len(json.dumps(body.get("messages", ""))) // 1000
    completion_tokens = max(1, len(text) // 4)
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "fake-vlm"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }
