"""Real servers for the API tests: ``rag serve`` in a subprocess, uvicorn on 127.0.0.1, the real index.

* ``server``: open (no API key, no rate limit), CORS allowing ``page_origin``,
  the origin of the test page that embeds the widget from elsewhere;
* ``guarded_server``: API key and a rate limit of ``RATE_LIMIT`` per minute.
  Each test that uses it sends its own X-Forwarded-For (uvicorn trusts it
  from 127.0.0.1), so tests count as different clients and cannot starve each other.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from rag.settings import PROJECT_ROOT

API_KEY = "test-key-5f2c"
RATE_LIMIT = 3
START_TIMEOUT_S = 180
BASE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
_client_ips = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    seconds_to_ready: float

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_server(log: Path, **settings: str) -> Server:
    """``rag serve`` with RAG_* settings; returns once /health answers (or fails with the server log)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | BASE_ENV | {f"RAG_{k.upper()}": v for k, v in settings.items()}
    command = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log, 0.0)
    while time.monotonic() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            pytest.fail(f"rag serve exited with {process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                server.seconds_to_ready = time.monotonic() - started
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    stop_server(server)
    pytest.fail(f"rag serve not ready after {START_TIMEOUT_S} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="session")
def fresh_index() -> None:
    """Like the ``pipeline`` fixture: build the index if it is missing or stale (a no-op otherwise), since `rag serve` refuses to."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | BASE_ENV
    subprocess.run([sys.executable, "-m", "rag.cli", "index", "--quiet"], cwd=PROJECT_ROOT, env=env, check=True, timeout=900, capture_output=True)


@pytest.fixture(scope="session")
def page_origin() -> str:
    """Origin of the cross-origin test page; allowed by ``server``'s CORS settings."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, page_origin: str, fresh_index: None) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "serve.log"
    running = start_server(log, cors_origins=json.dumps([page_origin]))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def guarded_server(tmp_path_factory: pytest.TempPathFactory, fresh_index: None) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("guarded") / "serve.log"
    running = start_server(log, api_key=API_KEY, rate_limit_per_minute=str(RATE_LIMIT), cors_origins=json.dumps(["https://allowed.example"]))
    yield running
    stop_server(running)


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


@pytest.fixture
def client_ip() -> str:
    """A distinct client address per test (sent as X-Forwarded-For)."""
    return f"10.5.0.{next(_client_ips)}"


@pytest.fixture
def guarded(guarded_server: Server, client_ip: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded_server.url, timeout=60, headers={"X-Forwarded-For": client_ip}) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, str]:
    """The one error shape: {"error": {"code", "message", "hint"}}, nothing else, JSON."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "hint"}
    assert all(isinstance(value, str) for value in error.values())
    assert error["code"] and error["message"]
    assert "Traceback" not in response.text
    if code is not None:
        assert error["code"] == code, error
    return dict(error)
