"""eval.scale's bookkeeping: parsing `rag index` output and summarising resumed builds (no builds run)."""

from __future__ import annotations

from typing import Any

from eval.scale import _BUILT, summarize_builds


def attempt(seconds: float, embedded: int | None, rebuild: bool = False, rc: int = 0, skipped: bool = False, units: int = 1000) -> dict[str, Any]:
    record: dict[str, Any] = {"seconds": seconds, "rc": rc, "skipped": skipped, "rebuild": rebuild, "peak_rss_mb": seconds, "cache_bytes_before": 0}
    if embedded is not None:
        record |= {"embedded": embedded, "units": units}
    return record


def test_built_line_is_parsed() -> None:
    line = "built 20261122T130654-77a7e58c in 29.3s: 1092 units (905 passages, 187 table rows from 12 tables), embedded 7, reused 1085 cached, FAISS flat"
    match = _BUILT.search(line)
    assert match is not None
    assert (match["units"], match["embedded"], match["reused"], match["kind"]) == ("1092", "7", "1085", "flat")


def test_interrupted_cold_build_is_summed_and_warm_allows_a_few_embeddings() -> None:
    attempts = [attempt(100, None, rc=1), attempt(50, 400), attempt(20, 5, rebuild=True), attempt(1, None, skipped=True)]
    attempts[1]["cache_bytes_before"] = 10
    summary = summarize_builds(attempts)
    assert summary["cold"] == {"seconds": 150, "attempts": 2, "peak_rss_mb": 100, "embedded": 400, "from_empty_cache": True}
    assert summary["warm"] == {"seconds": 20, "peak_rss_mb": 20, "embedded": 5}


def test_a_rebuild_that_embeds_much_is_not_warm() -> None:
    summary = summarize_builds([attempt(100, 1000), attempt(60, 300, rebuild=True)])
    assert "warm" not in summary
    assert summary["cold"]["seconds"] == 100
