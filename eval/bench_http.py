"""HTTP benchmark of POST /ask: start-up time, then latency and throughput per concurrency level.

    python -m eval.bench_http                       # starts `rag serve` on a free port, levels 1 and 8
    python -m eval.bench_http --concurrency 1,8,32 --limit 120
    python -m eval.bench_http --url http://127.0.0.1:8000 --json

Each level asks the same questions (eval/qa.jsonl, field "question") once,
spread over N clients that each send one request at a time, so level 1 is
sequential. Latency is per request as the client sees it (connection reuse,
JSON included); throughput is requests over the wall time of the level.
Numbers are printed, never asserted: they depend on the machine.

``start_server``, ``load_questions`` and ``measure`` are importable
(eval/bench.py reuses them).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from eval.metrics import percentile
from rag.settings import PROJECT_ROOT

DEFAULT_QA = PROJECT_ROOT / "eval" / "qa.jsonl"
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


@dataclass(frozen=True)
class RunningServer:
    url: str
    seconds_to_ready: float  # from spawning `rag serve` to the first 200 from /health, seen from outside
    startup_seconds: float  # what /health reports: the server's own start-up (imports, index, model, warm-up)


@dataclass(frozen=True)
class LevelResult:
    concurrency: int
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    statuses: dict[str, int] = field(default_factory=dict)


def load_questions(path: Path = DEFAULT_QA, limit: int | None = None) -> list[str]:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    questions = [str(item["question"]) for item in lines if item.get("question")]
    return questions[:limit] if limit else questions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def start_server(env: dict[str, str] | None = None, timeout_s: float = 180, log: Path | None = None) -> Iterator[RunningServer]:
    """``rag serve`` on 127.0.0.1 and a free port, stopped on exit. ``env`` adds RAG_* settings."""
    port = _free_port()
    command = [sys.executable, "-m", "rag.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    out = log.open("wb") if log else None
    started = time.monotonic()
    env = {**os.environ, **OFFLINE_ENV, **(env or {})}
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out or subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        health = _wait_for_health(url, process, started, timeout_s)
        yield RunningServer(url, round(time.monotonic() - started, 2), float(health["startup_seconds"]))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if out:
            out.close()


def _wait_for_health(url: str, process: subprocess.Popen[bytes], started: float, timeout_s: float) -> dict[str, float]:
    while time.monotonic() - started < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"rag serve exited with status {process.returncode} (run it by hand to see why)")
        try:
            response = httpx.get(f"{url}/health", timeout=2)
            if response.status_code == 200:
                return dict(response.json())
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"rag serve was not ready after {timeout_s} s")


def measure(url: str, questions: Sequence[str], concurrency: int, api_key: str = "", timeout_s: float = 120) -> LevelResult:
    """Ask every question once with ``concurrency`` clients in parallel; per-request latency and totals."""
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for question in questions:
        work.put(question)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    headers = {"X-API-Key": api_key} if api_key else {}

    def client() -> None:
        with httpx.Client(base_url=url, timeout=timeout_s, headers=headers) as http:
            while True:
                try:
                    question = work.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                try:
                    status = str(http.post("/ask", json={"question": question}).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(elapsed)
                    statuses[status] += 1

    seconds = run_clients(client, concurrency)
    errors = sum(count for status, count in statuses.items() if status != "200")
    return LevelResult(
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 2),
        requests_per_s=round(len(latencies) / seconds, 2) if seconds else 0.0,
        p50_ms=round(percentile(latencies, 50), 1),
        p95_ms=round(percentile(latencies, 95), 1),
        max_ms=round(max(latencies, default=0.0), 1),
        statuses=dict(statuses),
    )


def run_levels(url: str, questions: Sequence[str], levels: Sequence[int], api_key: str = "", warm_up: int = 3) -> list[LevelResult]:
    measure(url, questions[:warm_up], 1, api_key)  # connections, caches: not what is being measured
    return [measure(url, questions, level, api_key) for level in levels]


def format_table(results: Sequence[LevelResult]) -> str:
    rows = ["clients  requests  errors  req/s   p50 ms   p95 ms   max ms  wall s"]
    for r in results:
        latency = f"{r.p50_ms:7.1f}  {r.p95_ms:7.1f}  {r.max_ms:7.1f}"
        rows.append(f"{r.concurrency:7d}  {r.requests:8d}  {r.errors:6d}  {r.requests_per_s:5.2f}  {latency}  {r.seconds:6.1f}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench_http", description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--url", help="benchmark a running service instead of starting one")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client counts (default 1,8)")
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA, help="JSONL with a 'question' field (default eval/qa.jsonl)")
    parser.add_argument("--limit", type=int, default=80, help="questions per level (default 80; 0 = all)")
    parser.add_argument("--api-key", default=os.environ.get("RAG_API_KEY", ""), help="X-API-Key, if the service needs one")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.concurrency.split(",") if level.strip()]
    questions = load_questions(args.qa, args.limit or None)
    startup: dict[str, float] = {}
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    if args.url:
        results = run_levels(args.url.rstrip("/"), questions, levels, args.api_key)
    else:
        with start_server() as server:
            startup = {"seconds_to_ready": server.seconds_to_ready, "startup_seconds": server.startup_seconds}
            results = run_levels(server.url, questions, levels, args.api_key)
    load = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2), "cpus": os.cpu_count() or 0}
    if args.json:
        print(json.dumps({"startup": startup, "questions": len(questions), "load_average_1m": load, "levels": [asdict(r) for r in results]}, indent=2))
        return 0
    print(f"machine: {load['cpus']} CPUs, 1-minute load average {load['before']} before, {load['after']} after")
    if startup:
        print(f"start-up: ready {startup['seconds_to_ready']:.1f} s after launch (server's own count {startup['startup_seconds']:.1f} s)")
    print(f"POST /ask, {len(questions)} questions from {args.qa.name} per level\n")
    print(format_table(results))
    return 0


def run_clients(client: Callable[[], None], count: int) -> float:
    """Run ``count`` threads of ``client`` at once; the wall seconds until the last one ends."""
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


if __name__ == "__main__":
    sys.exit(main())
