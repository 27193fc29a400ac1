"""Load test of POST /ask: N concurrent clients for a fixed time, gold questions mixed with bad requests.

    python -m eval.load --clients 32 --seconds 60                  # starts `rag serve` on a free port
    python -m eval.load --clients 32 --seconds 60 --url http://127.0.0.1:8000

Only 127.0.0.1 (or localhost) is accepted as a target: this is a load
generator, not something to point at a shared service. The run is bounded in
time (``--seconds``) and in requests (``--max-requests``).

1. Each question (eval/qa.jsonl, the first ``--questions``) is asked once,
   sequentially: that answer is the reference.
2. ``--clients`` threads then send requests until the time is up; every
   ``BAD_EVERY``-th request is a bad one (empty, too long, malformed JSON,
   wrong types, invalid UTF-8, a body over the size limit).
3. The server's RSS is sampled every second.

Pass criteria (exit status 1 otherwise): no 5xx and no transport error, every
good answer equal to the sequential one (``timings_ms`` aside), every bad
request answered 4xx, RSS growth from the mean of the first 10 s to the mean
of the last 10 s below 10 %.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil

from eval.bench_http import DEFAULT_QA, load_questions, run_clients, start_server
from eval.metrics import mean, percentile

ALLOWED_HOSTS = ("127.0.0.1", "localhost")
BAD_EVERY = 4  # one request in four is a bad one
WINDOW_S = 10  # RSS growth: mean of the first WINDOW_S seconds vs the last
MAX_GROWTH = 0.10

# name -> (body bytes, content type); each must be refused with a 4xx
BAD_REQUESTS: dict[str, tuple[bytes, str]] = {
    "empty question": (b'{"question": ""}', "application/json"),
    "blank question": (b'{"question": "   \\n\\t "}', "application/json"),
    "too long": (json.dumps({"question": "¿" + "a" * 5000 + "?"}).encode(), "application/json"),
    "malformed JSON": (b'{"question": "IMSS 2012', "application/json"),
    "wrong type": (b'{"question": 42}', "application/json"),
    "wrong k": (b'{"question": "IMSS", "k": "5"}', "application/json"),
    "no question": (b'{"k": 5}', "application/json"),
    "invalid UTF-8": (b'{"question": "\xff\xfe IMSS \xc3"}', "application/json"),
    "huge body": (b'{"question": "' + b"x" * 300_000 + b'"}', "application/json"),
    "not JSON": (b"question=IMSS", "application/x-www-form-urlencoded"),
}


@dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    requests_per_s: float
    statuses: dict[str, int]
    server_errors: int  # 5xx and transport errors
    good: int
    mismatches: int  # good answers that differ from the sequential one
    bad: int
    bad_not_4xx: int
    good_p50_ms: float
    good_p95_ms: float
    rss_mb: list[float] = field(default_factory=list)
    rss_first_mb: float = 0.0
    rss_last_mb: float = 0.0
    rss_growth: float = 0.0
    examples: list[str] = field(default_factory=list)  # a few failures, for the log

    @property
    def passed(self) -> bool:
        return self.server_errors == 0 and self.mismatches == 0 and self.bad_not_4xx == 0 and self.rss_growth < MAX_GROWTH


def check_local(url: str) -> str:
    host = urlsplit(url).hostname
    if host not in ALLOWED_HOSTS:
        raise SystemExit(f"refusing to load-test {host!r}: only {' or '.join(ALLOWED_HOSTS)} (this is a load generator)")
    return url.rstrip("/")


def canonical(body: dict[str, Any]) -> str:
    """The answer without its timings: what must not change under load."""
    return json.dumps({k: v for k, v in body.items() if k != "timings_ms"}, sort_keys=True, ensure_ascii=False)


def sequential_answers(url: str, questions: Sequence[str]) -> dict[str, str]:
    answers = {}
    with httpx.Client(base_url=url, timeout=120) as http:
        for question in questions:
            response = http.post("/ask", json={"question": question})
            response.raise_for_status()
            answers[question] = canonical(response.json())
    return answers


def server_pid(url: str) -> int | None:
    """The process listening on ``url``'s port (needs permission to see it)."""
    port = urlsplit(url).port
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                return int(conn.pid)
    except psutil.Error:
        return None
    return None


class RssSampler(threading.Thread):
    """RSS of ``pid`` in MB, once a second, until stopped."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(pid) if pid else None
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while self.process is not None and not self.done.is_set():
            try:
                self.samples.append(self.process.memory_info().rss / 2**20)
            except psutil.Error:
                return
            self.done.wait(1.0)


def rss_growth(samples: Sequence[float], window: int = WINDOW_S) -> tuple[float, float, float]:
    """(mean of the first ``window`` samples, of the last ``window``, relative growth)."""
    if not samples:
        return 0.0, 0.0, 0.0
    first, last = mean(samples[:window]), mean(samples[-window:])
    return first, last, (last - first) / first if first else 0.0


def run_load(
    url: str,
    questions: Sequence[str],
    clients: int,
    seconds: float,
    pid: int | None = None,
    max_requests: int = 200_000,
    reference: dict[str, str] | None = None,
) -> LoadResult:
    """Sequential reference answers (unless given), then ``clients`` threads for ``seconds``."""
    url = check_local(url)
    reference = reference or sequential_answers(url, questions)
    ticket = itertools.count()
    bad_requests = list(BAD_REQUESTS.items())
    statuses: Counter[str] = Counter()
    counts = Counter[str]()
    latencies: list[float] = []
    examples: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def note(key: str, example: str = "") -> None:
        counts[key] += 1
        if example and len(examples) < 10:
            examples.append(example)

    def client() -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            while time.monotonic() < deadline:
                n = next(ticket)
                if n >= max_requests:
                    return
                bad = n % BAD_EVERY == BAD_EVERY - 1
                name, (body, kind) = bad_requests[n // BAD_EVERY % len(bad_requests)] if bad else (questions[n % len(questions)], (b"", ""))
                began = time.perf_counter()
                try:
                    if bad:
                        response = http.post("/ask", content=body, headers={"content-type": kind})
                    else:
                        response = http.post("/ask", json={"question": name})
                except httpx.HTTPError as exc:
                    with lock:
                        statuses[type(exc).__name__] += 1
                        note("server_errors", f"{name[:40]!r}: {exc!r}")
                    continue
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    statuses[str(response.status_code)] += 1
                    if response.status_code >= 500:
                        note("server_errors", f"{name[:40]!r}: {response.status_code} {response.text[:200]}")
                    if bad:
                        counts["bad"] += 1
                        if not 400 <= response.status_code < 500:
                            note("bad_not_4xx", f"{name}: {response.status_code}")
                    else:
                        counts["good"] += 1
                        latencies.append(elapsed)
                        if response.status_code != 200 or canonical(response.json()) != reference[name]:
                            note("mismatches", f"{name[:60]!r}: {response.status_code} {response.text[:200]}")

    sampler = RssSampler(pid)
    sampler.start()
    wall = run_clients(client, clients)
    sampler.done.set()
    sampler.join()
    first, last, growth = rss_growth(sampler.samples)
    total = sum(statuses.values())
    return LoadResult(
        clients=clients,
        seconds=round(wall, 1),
        requests=total,
        requests_per_s=round(total / wall, 2) if wall else 0.0,
        statuses=dict(statuses),
        server_errors=counts["server_errors"],
        good=counts["good"],
        mismatches=counts["mismatches"],
        bad=counts["bad"],
        bad_not_4xx=counts["bad_not_4xx"],
        good_p50_ms=round(percentile(latencies, 50), 1),
        good_p95_ms=round(percentile(latencies, 95), 1),
        rss_mb=[round(s, 1) for s in sampler.samples],
        rss_first_mb=round(first, 1),
        rss_last_mb=round(last, 1),
        rss_growth=round(growth, 4),
        examples=examples,
    )


def format_result(r: LoadResult) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r.statuses.items()))
    return "\n".join(
        [
            f"{r.clients} clients for {r.seconds} s: {r.requests} requests ({r.requests_per_s} req/s); statuses {statuses}",
            f"good: {r.good} (p50 {r.good_p50_ms} ms, p95 {r.good_p95_ms} ms), differing from the sequential answer: {r.mismatches}",
            f"bad: {r.bad}, not answered 4xx: {r.bad_not_4xx}; 5xx and transport errors: {r.server_errors}",
            f"server RSS: first {WINDOW_S} s {r.rss_first_mb} MB, last {WINDOW_S} s {r.rss_last_mb} MB, "
            f"growth {100 * r.rss_growth:+.2f} % ({len(r.rss_mb)} samples)",
            *(f"  e.g. {example}" for example in r.examples),
            "PASS" if r.passed else "FAIL",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="load-test a running service on 127.0.0.1 instead of starting one")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--questions", type=int, default=40, help="gold questions used (default 40)")
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA)
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")
    questions = load_questions(args.qa, args.questions)
    if args.url:
        url = check_local(args.url)
        result = run_load(url, questions, args.clients, args.seconds, server_pid(url), args.max_requests)
    else:
        with start_server() as server:
            result = run_load(server.url, questions, args.clients, args.seconds, server_pid(server.url), args.max_requests)
    print(format_result(result))
    if args.json:
        args.json.write_text(json.dumps(asdict(result) | {"passed": result.passed}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
