"""Evaluate the service on a gold QA file: four systems side by side, one report.

Systems (same answerer, different evidence):

* ``bm25``, ``dense``, ``hybrid``: passages from that retriever, no table lookup;
* ``full``: hybrid passages plus table lookups — what the API serves.

Metrics (flat keys, prefixed by the system except for the full system):
retrieval recall@1/5/10 and MRR@10, answer accuracy overall and by kind,
citation accuracy, answers with figures absent from their citations,
abstention recall / precision / false rate, latency p50/p95/max.

Speed: the query embedding is nearly all of the cost, and one question used to
be embedded up to seven times (answer + retrieval metrics for the dense and
hybrid systems; passages, table rows and metrics for the full one).
``QueryEmbeddingMemo`` computes each question's vector once per run; inside a
timed answer, the first reuse of a vector adds back what computing it cost, so
latency is what one ``ask`` on a cold cache costs, embedding the question once.
Answers, citations and rankings are unchanged: the same vectors reach the same
code.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from eval.metrics import (
    abstention_metrics,
    answer_correct,
    answered_precision,
    figure_correct,
    hit_at_k,
    mean,
    percentile,
    reciprocal_rank,
    risk_coverage,
    span_contains,
    wilson_interval,
)
from eval.qa import QAItem
from rag.answer.engine import Answerer
from rag.answer.verify import unsupported_figures
from rag.embed import Embedder, ProgressFn, WrappedEmbedder
from rag.pipeline import Pipeline
from rag.settings import PROJECT_ROOT
from rag.types import Answer, Hit

SYSTEMS = ("bm25", "dense", "hybrid", "full")
PRIMARY = "full"
WARM_UP = "¿Cuántos asegurados tenía el IMSS?"


@dataclass
class Record:
    """One question answered by one system."""

    id: str
    kind: str
    question: str
    expected: str
    answer: str
    abstained: bool
    correct: bool
    citation_correct: bool | None
    unsupported: list[str]
    citations: list[dict[str, Any]]
    relevant: list[bool] = field(default_factory=list)
    latency_ms: float = 0.0
    answer_type: str = ""
    doc: str = ""
    figure: dict[str, Any] | None = None
    strict_correct: bool = False  # the figure alone is the gold and its first citation holds the evidence
    figure_correct: bool = False  # the figure alone is the gold, wherever it is cited
    first_citation_correct: bool | None = None
    confidence: float | None = None


class QueryEmbeddingMemo(WrappedEmbedder):
    """An ``Embedder`` that computes each query's vector once per run and remembers what it cost.

    Between ``start_call()`` and ``replayed_ms()``, the first cache hit on each
    text adds its original computation time back, so a timed call costs what it
    would on a cold cache; a repeat of the same text within the call adds
    nothing (the service embeds a question once per ``ask``)::

        memo.start_call()
        started = time.perf_counter()
        ...  # work that embeds queries
        cost_ms = (time.perf_counter() - started) * 1000 + memo.replayed_ms()
    """

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self._vectors: dict[str, tuple[np.ndarray, float]] = {}
        self._charged: set[str] = set()
        self._replayed = 0.0

    def start_call(self) -> None:
        self._charged.clear()
        self._replayed = 0.0

    def replayed_ms(self) -> float:
        return self._replayed

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            if text not in self._vectors:
                started = time.perf_counter()
                vector = self.inner.embed_queries([text])[0]
                self._vectors[text] = (vector, (time.perf_counter() - started) * 1000)
            elif text not in self._charged:
                self._replayed += self._vectors[text][1]
            self._charged.add(text)
            rows.append(self._vectors[text][0].copy())
        return np.stack(rows) if rows else self.inner.embed_queries([])

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        return self.inner.embed_passages(texts, progress)


def _answerer(pipeline: Pipeline, system: str) -> Answerer:
    if system == PRIMARY:
        return pipeline.answerer
    retriever = pipeline.retriever(system)
    return Answerer(pipeline.documents, retriever.search, lambda _q: [])


def _relevant(pipeline: Pipeline, item: QAItem, spans: Sequence[tuple[str, int, int]], any_operand: bool = False) -> list[bool]:
    """Per span, does it hold the gold evidence (or, with ``any_operand``, any operand's evidence)?"""
    wanted = item.spans() if any_operand else [(item.doc, item.evidence)]
    flags = []
    for source, start, end in spans:
        doc = next((d for d in pipeline.documents.values() if d.meta.source == source), None)
        flags.append(bool(doc and any(doc.meta.file == file and span_contains(doc.lines, start, end, evidence) for file, evidence in wanted)))
    return flags


def strict_outcome(pipeline: Pipeline, item: QAItem, answer: Answer) -> tuple[bool, bool, bool | None]:
    """(strict correct, figure correct, first citation correct) of one answer (../shared/qa-format.md).

    The citation that counts is the first: the span the figure came from. A
    multi-figure answer's first citation may hold any of its operands.
    """
    if not item.answerable:
        return answer.abstained, answer.abstained, None
    if answer.abstained or answer.figure is None:
        return False, False, None if answer.abstained else False
    figure_ok = figure_correct(answer.figure.text, answer.figure.value, item.answer, item.answer_type)
    first = answer.citations[:1]
    cited = _relevant(pipeline, item, [(c.source, c.lines[0], c.lines[1]) for c in first], any_operand=item.kind == "multi")
    cited_ok = bool(cited and cited[0])
    return figure_ok and cited_ok, figure_ok, cited_ok


def _timed_answer(pipeline: Pipeline, answerer: Answerer, question: str) -> tuple[Answer, float]:
    memo = pipeline.embedder if isinstance(pipeline.embedder, QueryEmbeddingMemo) else None
    if memo:
        memo.start_call()
    started = time.perf_counter()
    answer = answerer.answer(question)
    return answer, (time.perf_counter() - started) * 1000 + (memo.replayed_ms() if memo else 0.0)


def run_one(pipeline: Pipeline, answerer: Answerer, search: Callable[[str, int], list[Hit]], item: QAItem) -> Record:
    answer, latency = _timed_answer(pipeline, answerer, item.question)
    hits = search(item.question, 10)
    relevant = _relevant(pipeline, item, [(h.chunk.span.source, h.chunk.span.start, h.chunk.span.end) for h in hits]) if item.answerable else []
    cited = _relevant(pipeline, item, [(c.source, c.lines[0], c.lines[1]) for c in answer.citations]) if item.answerable else []
    unsupported = [] if answer.abstained else unsupported_figures(answer.text, answer.citations, answerer.read, answer.derivations, _titles(pipeline))
    strict, figure_ok, first_cited = strict_outcome(pipeline, item, answer)
    return Record(
        id=item.id,
        kind=item.kind,
        question=item.question,
        expected=item.answer,
        answer=answer.text,
        abstained=answer.abstained,
        correct=answer_correct(answer.text, answer.abstained, item.answer, item.answer_type),
        citation_correct=(any(cited) if item.answerable and not answer.abstained else None),
        unsupported=unsupported,
        citations=[{"source": c.source, "lines": list(c.lines), "quote": c.quote, "table": asdict(c.table) if c.table else None} for c in answer.citations],
        relevant=relevant,
        latency_ms=round(latency, 2),
        answer_type=item.answer_type,
        doc=item.doc,
        figure=asdict(answer.figure) if answer.figure else None,
        strict_correct=strict,
        figure_correct=figure_ok,
        first_citation_correct=first_cited,
        confidence=answer.confidence,
    )


def _titles(pipeline: Pipeline) -> list[str]:
    return [f"{d.meta.title} {d.meta.short_title} {d.meta.period}" for d in pipeline.documents.values()]


def summarize(records: Sequence[Record]) -> dict[str, float]:
    answerable = [r for r in records if r.kind != "unanswerable"]
    answered = [r for r in answerable if not r.abstained]
    metrics: dict[str, float] = {f"retrieval.recall@{k}": mean([hit_at_k(r.relevant, k) for r in answerable]) for k in (1, 5, 10)}
    metrics["retrieval.mrr@10"] = mean([reciprocal_rank(r.relevant, 10) for r in answerable])
    metrics["answer.accuracy"] = mean([float(r.correct) for r in records])
    low, high = wilson_interval(sum(r.correct for r in records), len(records))
    metrics["answer.accuracy_ci95_low"], metrics["answer.accuracy_ci95_high"] = low, high
    for kind in sorted({r.kind for r in records}):
        metrics[f"answer.accuracy.{kind}"] = mean([float(r.correct) for r in records if r.kind == kind])
    metrics["citation.accuracy"] = mean([float(bool(r.citation_correct)) for r in answered])
    metrics["citation.unsupported_answers"] = float(sum(bool(r.unsupported) for r in records))
    metrics.update(abstention_metrics([r.abstained for r in records], [r.kind == "unanswerable" for r in records]))
    latencies = [r.latency_ms for r in records]
    metrics["latency.p50_ms"] = percentile(latencies, 50)
    metrics["latency.p95_ms"] = percentile(latencies, 95)
    metrics["latency.max_ms"] = max(latencies, default=0.0)
    metrics.update(strict_metrics(records))
    metrics["n"] = float(len(records))
    return {k: round(v, 4) for k, v in metrics.items()}


COMPUTED_CONFIDENCE = 0.5  # a computed answer has no candidate score of its own; it sits mid-table in the risk-coverage order


def strict_metrics(records: Sequence[Record]) -> dict[str, float]:
    """The strict (primary) figures beside the lenient ones: overall, by kind, answer type and report."""
    metrics: dict[str, float] = {"strict.accuracy": mean([float(r.strict_correct) for r in records])}
    low, high = wilson_interval(sum(r.strict_correct for r in records), len(records))
    metrics["strict.accuracy_ci95_low"], metrics["strict.accuracy_ci95_high"] = low, high
    metrics["strict.figure_accuracy"] = mean([float(r.figure_correct) for r in records])
    groups = {"kind": lambda r: r.kind, "type": lambda r: r.answer_type, "doc": lambda r: r.doc or "(none)"}
    for name, key in groups.items():
        for value in sorted({key(r) for r in records}):
            chosen = [r for r in records if key(r) == value]
            metrics[f"strict.accuracy.{name}.{value}"] = mean([float(r.strict_correct) for r in chosen])
            metrics[f"answer.accuracy.{name}.{value}"] = mean([float(r.correct) for r in chosen])
            metrics[f"n.{name}.{value}"] = float(len(chosen))
    answered = [r for r in records if r.kind != "unanswerable" and not r.abstained]
    metrics["strict.citation_accuracy"] = mean([float(bool(r.first_citation_correct)) for r in answered])
    given = [not r.abstained for r in records]
    metrics["strict.answered_precision"] = answered_precision(given, [r.strict_correct for r in records])
    metrics["answer.answered_precision"] = answered_precision(given, [r.correct for r in records])
    metrics["coverage"] = mean([float(g) for g in given])
    return metrics


def risk_coverage_rows(records: Sequence[Record]) -> list[tuple[float, float, float]]:
    """Strict answered precision against coverage as a threshold on the answers' confidence moves."""
    given = [r for r in records if not r.abstained]
    confidence = [COMPUTED_CONFIDENCE if r.confidence is None else r.confidence for r in given]
    return risk_coverage(confidence, [r.strict_correct for r in given], len(records))


def evaluate(
    pipeline: Pipeline, items: Sequence[QAItem], systems: Sequence[str] = SYSTEMS, progress: bool = True
) -> tuple[dict[str, float], dict[str, list[Record]]]:
    results: dict[str, float] = {}
    records: dict[str, list[Record]] = {}
    bar = tqdm(total=len(items) * len(systems), desc="eval", unit="q", disable=not progress, leave=False)
    for system in systems:
        answerer = _answerer(pipeline, system)
        search_system = "hybrid" if system == PRIMARY else system
        retriever = pipeline.retriever(search_system)
        answerer.answer(WARM_UP)  # untimed: the API loads the model and the table lookup at start, not on a question
        records[system] = []
        for item in items:
            records[system].append(run_one(pipeline, answerer, retriever.search, item))
            bar.update(1)
        summary = summarize(records[system])
        prefix = "" if system == PRIMARY else f"{system}."
        results.update({f"{prefix}{k}": v for k, v in summary.items()})
    bar.close()
    return results, records


CODE_PATHS = ("rag", "api", "eval")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False).stdout
    except OSError:
        return ""


def _git_state() -> dict[str, Any]:
    """HEAD, the uncommitted files in the code folders, and a hash of their diff against HEAD.

    Several people edit one working tree, so "-dirty" alone does not say which code
    ran; two runs with the same ``git_diff_sha256`` ran the same tracked code.
    """
    changed = [line[3:] for line in _git("status", "--porcelain", "--", *CODE_PATHS).splitlines() if line.strip()]
    diff = _git("diff", "HEAD", "--", *CODE_PATHS)
    return {
        "commit": _git("rev-parse", "HEAD").strip(),
        "dirty": sorted(changed),
        "diff_sha256": hashlib.sha256(diff.encode()).hexdigest() if diff else "",
    }


def provenance(pipeline: Pipeline, qa_path: Path) -> dict[str, Any]:
    """What produced the numbers: settings, model, corpus, code (and uncommitted code changes)."""
    git = _git_state()
    return {
        "qa_file": str(qa_path),
        "git_commit": git["commit"] + ("-dirty" if git["dirty"] else ""),
        "git_uncommitted": git["dirty"],
        "git_diff_sha256": git["diff_sha256"],
        "corpus_hash": pipeline.index.manifest["corpus_hash"],
        "model": pipeline.index.manifest["model"],
        "index_build": pipeline.index.build.name,
        "settings": json.loads(pipeline.settings.model_dump_json(exclude={"llm_api_key", "api_key"})),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
