"""A small OpenAI-compatible chat server on 127.0.0.1, for LLM-mode tests over real HTTP.

It speaks ``POST /v1/chat/completions``, answers with a ``chat.completion``
object whose content ``reply(request)`` decides, and records every request
body it received. ``status`` other than 200 returns an OpenAI-style error;
``delay_s`` makes it slower than the client's timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[dict[str, Any]], str]


@dataclass
class StubLLM:
    reply: Reply
    status: int = 200
    delay_s: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    base_url: str = ""

    def system_message(self, n: int = -1) -> str:
        return str(next(m["content"] for m in self.requests[n]["messages"] if m["role"] == "system"))

    def user_message(self, n: int = -1) -> str:
        return str(next(m["content"] for m in self.requests[n]["messages"] if m["role"] == "user"))


def completion(content: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


@contextmanager
def serve(stub: StubLLM) -> Iterator[StubLLM]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            stub.requests.append({"path": self.path, **body})
            time.sleep(stub.delay_s)
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found", "type": "invalid_request_error"}})
            elif stub.status != 200:
                self._send(stub.status, {"error": {"message": "stub failure", "type": "server_error"}})
            else:
                self._send(200, completion(stub.reply(body), body.get("model", "")))

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
