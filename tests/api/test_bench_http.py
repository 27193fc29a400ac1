"""eval/bench_http.py: the measuring functions against the real server (numbers printed, never asserted)."""

import pytest

from eval.bench_http import format_table, load_questions, measure
from tests.api.conftest import Server

pytestmark = pytest.mark.slow


def test_measure_counts_every_request_and_orders_its_percentiles(server: Server) -> None:
    questions = load_questions(limit=6)
    result = measure(server.url, questions, concurrency=3)
    assert result.requests == len(questions)
    assert result.errors == 0, result.statuses
    assert result.statuses == {"200": len(questions)}
    assert 0 < result.p50_ms <= result.p95_ms <= result.max_ms
    assert result.requests_per_s > 0
    print("\n" + format_table([result]))


def test_errors_are_counted_not_hidden(server: Server) -> None:
    result = measure(server.url, ["   ", "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"], concurrency=1)
    assert (result.requests, result.errors) == (2, 1)
    assert result.statuses == {"422": 1, "200": 1}


def test_load_questions_reads_the_gold_file() -> None:
    assert len(load_questions(limit=5)) == 5
    assert all(q.strip() for q in load_questions())
