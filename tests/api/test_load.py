"""eval/load.py against a real server: 32 clients for 20 s, gold questions mixed with bad requests.

The full 60 s run is ``python -m eval.load --clients 32 --seconds 60``.
"""

import pytest

from eval.bench_http import load_questions
from eval.load import BAD_REQUESTS, MAX_GROWTH, check_local, format_result, rss_growth, run_load
from tests.api.conftest import Server

CLIENTS = 32
SECONDS = 20
QUESTIONS = 16


@pytest.mark.load
@pytest.mark.slow
def test_32_clients_no_5xx_same_answers_stable_memory(server: Server) -> None:
    result = run_load(server.url, load_questions(limit=QUESTIONS), CLIENTS, SECONDS, pid=server.process.pid)
    print("\n" + format_result(result))
    assert result.server_errors == 0, result.examples
    assert result.good > QUESTIONS and result.bad > len(BAD_REQUESTS), "too few requests to mean anything"
    assert result.mismatches == 0, result.examples
    assert result.bad_not_4xx == 0, result.examples
    assert {"413", "422"} <= set(result.statuses), result.statuses  # too big; malformed or invalid
    assert len(result.rss_mb) >= SECONDS - 2
    assert result.rss_growth < MAX_GROWTH, result.rss_mb


def test_only_local_targets() -> None:
    assert check_local("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    for url in ("http://example.com", "http://10.0.0.1:8000", "https://127.0.0.1.example.org"):
        with pytest.raises(SystemExit, match="refusing"):
            check_local(url)


def test_rss_growth_compares_the_first_and_last_windows() -> None:
    samples = [100.0] * 10 + [500.0] * 5 + [105.0] * 10
    assert rss_growth(samples) == (100.0, 105.0, 0.05)
    assert rss_growth([]) == (0.0, 0.0, 0.0)
