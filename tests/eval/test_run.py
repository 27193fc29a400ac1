"""eval/run.py and eval/report.py without the model: the query memo, the flat summary, the report files."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from eval.report import write
from eval.run import QueryEmbeddingMemo, Record, summarize
from rag.embed import HashingEmbedder


class SlowCountingEmbedder(HashingEmbedder):
    """The hashing fake, 20 ms per query, counting the queries it computes."""

    def __init__(self) -> None:
        super().__init__(dim=16)
        self.computed: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.02)
        self.computed.extend(texts)
        return super().embed_queries(texts)


def test_the_memo_computes_each_query_once_with_the_same_vector() -> None:
    inner = SlowCountingEmbedder()
    memo = QueryEmbeddingMemo(inner)
    first = memo.embed_queries(["¿Cuántos asegurados?"])
    again = memo.embed_queries(["¿Cuántos asegurados?", "¿Cuántos asegurados?"])
    assert inner.computed == ["¿Cuántos asegurados?"]
    np.testing.assert_array_equal(first[0], HashingEmbedder(dim=16).embed_queries(["¿Cuántos asegurados?"])[0])
    np.testing.assert_array_equal(again, np.stack([first[0], first[0]]))
    assert memo.fingerprint == inner.fingerprint and memo.dim == 16


def test_a_timed_call_is_charged_each_reused_query_once() -> None:
    memo = QueryEmbeddingMemo(SlowCountingEmbedder())
    memo.start_call()
    memo.embed_queries(["a"])  # computed inside the call: its time is already in the wall clock
    memo.embed_queries(["a"])  # a repeat in the same call: free
    assert memo.replayed_ms() == 0.0
    memo.start_call()
    memo.embed_queries(["a"])  # a later call reuses it: charged what computing it cost (>= 20 ms)
    charged = memo.replayed_ms()
    assert charged >= 20.0
    memo.embed_queries(["a"])  # the same call asks again: not charged twice
    assert memo.replayed_ms() == charged
    memo.start_call()
    assert memo.replayed_ms() == 0.0


def record(
    id: str, kind: str, correct: bool, abstained: bool = False, relevant: Sequence[bool] = (), latency: float = 10.0, confidence: float | None = 0.5
) -> Record:
    cited = [{"source": "corpus/a.txt", "lines": [3, 4], "quote": "Jornaleros Agrícolas 160.2", "table": None}]
    return Record(
        id=id,
        kind=kind,
        question=f"pregunta {id}",
        expected="160.2",
        answer="No encontré ese dato." if abstained else "Fueron 147.9 miles.",
        abstained=abstained,
        correct=correct,
        citation_correct=None if abstained or kind == "unanswerable" else correct,
        unsupported=[],
        citations=[] if abstained else cited,
        relevant=list(relevant),
        latency_ms=latency,
        answer_type="unanswerable" if kind == "unanswerable" else "number",
        doc="" if kind == "unanswerable" else "a.txt",
        strict_correct=correct,
        figure_correct=correct,
        first_citation_correct=None if abstained or kind == "unanswerable" else correct,
        confidence=None if abstained else confidence,
    )


RECORDS = [
    record("T-1", "table", True, relevant=[True], latency=10.0),
    record("T-2", "table", False, relevant=[False, False, True], latency=30.0),
    record("P-1", "passage", False, abstained=True, relevant=[False] * 10, latency=20.0),
    record("U-1", "unanswerable", True, abstained=True, latency=40.0),
]


def test_summarize_gives_flat_keys_worked_by_hand() -> None:
    got = summarize(RECORDS)
    # Three answerable: relevant at rank 1, rank 3, none.
    assert got["retrieval.recall@1"] == pytest.approx(0.3333)  # 1/3
    assert got["retrieval.recall@5"] == pytest.approx(0.6667)  # 2/3
    assert got["retrieval.mrr@10"] == pytest.approx(0.4444)  # (1 + 1/3 + 0) / 3
    assert got["answer.accuracy"] == 0.5  # T-1 and U-1 of 4
    assert got["answer.accuracy.table"] == 0.5 and got["answer.accuracy.passage"] == 0.0 and got["answer.accuracy.unanswerable"] == 1.0
    assert got["citation.accuracy"] == 0.5  # of the 2 answered answerable: T-1 right, T-2 wrong
    assert got["abstention.recall"] == 1.0  # U-1 abstained
    assert got["abstention.precision"] == 0.5  # 2 abstentions, 1 on an unanswerable
    assert got["abstention.false_rate"] == pytest.approx(0.3333)  # P-1 of 3 answerable
    assert got["latency.p50_ms"] == 20.0 and got["latency.p95_ms"] == 40.0 and got["latency.max_ms"] == 40.0  # sorted 10 20 30 40
    assert got["n"] == 4.0
    assert all(isinstance(v, float) for v in got.values())


def test_strict_figures_sit_beside_the_lenient_ones() -> None:
    lenient_only = Record(**{**record("T-3", "table", True).__dict__, "strict_correct": False, "figure_correct": False})
    got = summarize([*RECORDS, lenient_only])
    assert got["answer.accuracy"] == 0.6  # T-1, U-1, T-3 of 5
    assert got["strict.accuracy"] == 0.4  # T-1, U-1
    assert got["strict.accuracy.kind.table"] == pytest.approx(0.3333) and got["strict.accuracy.type.number"] == 0.25
    assert got["strict.accuracy.doc.a.txt"] == 0.25 and got["n.doc.(none)"] == 1.0
    assert got["strict.answered_precision"] == pytest.approx(0.3333)  # 3 answers given (T-1, T-2, T-3), 1 right
    assert got["answer.answered_precision"] == pytest.approx(0.6667)
    assert got["coverage"] == 0.6


def test_write_makes_results_report_and_chart(tmp_path: Path) -> None:
    results = {**summarize(RECORDS), **{f"bm25.{k}": v for k, v in summarize(RECORDS[:2]).items()}}
    meta = {
        "qa_file": "qa.jsonl",
        "git_commit": "abc-dirty",
        "git_uncommitted": ["rag/x.py"],
        "git_diff_sha256": "d" * 64,
        "corpus_hash": "f" * 64,
        "model": {"name": "e5"},
        "index_build": "b1",
    }
    out = write(tmp_path / "run", results, {"bm25": RECORDS[:2], "full": RECORDS}, meta)
    saved = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert saved["answer.accuracy"] == 0.5 and saved["bm25.n"] == 2.0 and saved["meta"]["git_commit"] == "abc-dirty"
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "`qa.jsonl` (4 questions)" in report and "- Uncommitted code: `rag/x.py` (diff `dddddddddddd`)" in report
    assert "| answer.accuracy | 0.500 | 0.500 |" in report
    assert "- **full** (2): T-2, P-1" in report
    assert "### T-2 (table) — wrong answer, citation misses the evidence" in report
    assert "| strict.accuracy | 0.500 | 0.500 |" in report and "## Risk-coverage" in report
    assert "`corpus/a.txt:3-4` «Jornaleros Agrícolas 160.2»" in report
    assert "### T-1" not in report and "### U-1" not in report
    assert (out / "systems.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_sealed_split_writes_aggregates_only(tmp_path: Path) -> None:
    out = write(tmp_path / "sealed", summarize(RECORDS), {"full": RECORDS}, {"qa_file": "test.jsonl", "git_commit": "abc"}, sealed=True)
    written = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in out.iterdir() if p.suffix in (".md", ".json", ".jsonl"))
    assert "| strict.accuracy |" in written
    assert "pregunta" not in written and "T-2" not in written and "Jornaleros" not in written
    assert not (out / "records.jsonl").exists()
