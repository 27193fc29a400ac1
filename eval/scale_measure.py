"""The in-process half of ``eval.scale``: load each factor's index and time it warm.

Search latency is measured interleaved (question by question, rotating over
the factors) so that load from other processes on the machine falls on every
factor alike; the ratio of the p50s is what the scaling target is about.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from eval.metrics import percentile
from eval.qa import QAItem
from eval.retrieval import retrieval_metrics
from rag.errors import RagError
from rag.index.build import default_embedder
from rag.index.store import IndexStore
from rag.pipeline import Pipeline
from rag.retrieve.bm25 import tokenize
from rag.settings import Settings

WARMUP = 10


def p50_p95(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2), "n": len(values)}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def factor_settings(factor: int, work: Path) -> Settings:
    return Settings(corpus_dir=work / f"corpus-{factor}x", index_dir=work / f"index-{factor}x")


def breakdown(pipeline: Pipeline, question: str) -> tuple[dict[str, float], np.ndarray]:
    """Where one hybrid search spends its time (ms), stage by stage; and the question's vector."""
    k = pipeline.fusion.candidates
    started = time.perf_counter()
    vector = pipeline.embedder.embed_queries([question])[0]
    embed = _ms(started)
    started = time.perf_counter()
    dense = pipeline.index.dense.search_vector(vector, k)
    faiss_ms = _ms(started)
    started = time.perf_counter()
    tokenize(question)
    tokens = _ms(started)
    started = time.perf_counter()
    lexical = pipeline.index.bm25.search(question, k)
    bm25 = _ms(started)
    started = time.perf_counter()
    pipeline.hybrid.fuse(lexical, dense, pipeline.settings.top_k)
    return {"embed_query": embed, "faiss": faiss_ms, "bm25": bm25, "bm25_tokenize": tokens, "fusion": _ms(started)}, vector


def forget_last_query(embedder: object) -> None:
    """``SentenceTransformerEmbedder`` reuses the vector of a thread's last question; timing one question twice in a row must not."""
    last = getattr(embedder, "_last_query", None)
    if last is not None:
        last.text = None


def interleaved_latency(pipelines: dict[int, Pipeline], questions: Sequence[str]) -> dict[int, list[float]]:
    """``Pipeline.search`` (hybrid, top_k, query embedding included) per question, rotating the order of factors."""
    factors = list(pipelines)
    for pipeline in pipelines.values():
        for question in questions[:WARMUP]:
            pipeline.search(question)
    times: dict[int, list[float]] = {f: [] for f in factors}
    for n, question in enumerate(questions):
        shift = n % len(factors)
        for factor in factors[shift:] + factors[:shift]:
            forget_last_query(pipelines[factor].embedder)  # the factors share one embedder: each search embeds
            started = time.perf_counter()
            pipelines[factor].search(question)
            times[factor].append(_ms(started))
    return times


def recall(pipeline: Pipeline, items: Sequence[QAItem], vectors: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """recall@k and MRR on the answerable gold questions; ``vectors`` are the questions' embeddings.

    Hybrid hits are ``HybridRetriever.search`` spelled out with the given vector (the same
    single-question embedding it would compute), so the model runs once per question.
    """
    answerable = [i for i in items if i.answerable]
    k, candidates = 10, pipeline.fusion.candidates
    lexical = [pipeline.index.bm25.search(i.question, candidates) for i in answerable]
    semantic = [pipeline.index.dense.search_vector(vectors[i.question], candidates) for i in answerable]
    runs = {
        "hybrid": [pipeline.hybrid.fuse(lex, sem, k) for lex, sem in zip(lexical, semantic, strict=True)],
        "bm25": [lex[:k] for lex in lexical],
        "dense": [sem[:k] for sem in semantic],
    }
    return {name: {k: round(v, 4) for k, v in retrieval_metrics(pipeline, answerable, hits).items()} for name, hits in runs.items()}


def ask_latency(pipeline: Pipeline, items: Sequence[QAItem], sample: int) -> dict[str, float]:
    if sample <= 0:
        return p50_p95([])
    chosen = list(items)[:: max(1, len(items) // sample)][:sample]
    pipeline.ask(chosen[0].question)  # loads the table lookup once
    times = []
    for item in chosen:
        started = time.perf_counter()
        try:
            pipeline.ask(item.question)
        except RagError:
            continue
        times.append(_ms(started))
    return p50_p95(times)


def measure(
    factors: Sequence[int], work: Path, items: Sequence[QAItem], builds: dict[int, dict[str, Any]], ask_sample: int, ann: Sequence[int]
) -> dict[str, Any]:
    from eval.ann import compare
    from eval.scale import index_sizes, log

    embedder = default_embedder(Settings())
    embedder.embed_queries(["calentamiento"])  # load the model before any timing
    pipelines: dict[int, Pipeline] = {}
    rows: dict[int, dict[str, Any]] = {}
    for factor in factors:
        settings = factor_settings(factor, work)
        before, started = _rss_mb(), time.perf_counter()
        pipeline = Pipeline.open(settings, embedder)
        load_s = time.perf_counter() - started
        pipelines[factor] = pipeline
        manifest = pipeline.index.manifest
        store = IndexStore(settings.index_dir)
        rows[factor] = {
            "factor": factor,
            "documents": len(manifest["documents"]),
            **{k: manifest["counts"][k] for k in ("units", "passages", "rows", "tables")},
            "faiss": manifest["faiss_kind"],
            "faiss_settings": {k: v for k, v in manifest["settings"].items() if k.startswith("faiss")},
            "build": builds.get(factor, {}),
            "size_mb": index_sizes(pipeline.index.build, store.cache / "embeddings.sqlite"),
            "load_s": round(load_s, 2),
            "loaded_rss_mb": round(_rss_mb() - before, 1),
        }
        log(f"{factor}×: loaded {manifest['counts']['units']} units in {load_s:.1f}s")
    questions = [i.question for i in items]
    log(f"search latency over {len(questions)} questions, interleaved across {factors}")
    for factor, times in interleaved_latency(pipelines, questions).items():
        rows[factor]["search_ms"] = p50_p95(times)
    for factor, pipeline in pipelines.items():
        parts, vectors = [], {}
        for question in questions:
            stages, vectors[question] = breakdown(pipeline, question)
            parts.append(stages)
        rows[factor]["breakdown_ms_p50"] = {stage: round(percentile([p[stage] for p in parts], 50), 2) for stage in parts[0]}
        started = time.perf_counter()
        _ = pipeline.documents
        rows[factor]["documents_load_s"] = round(time.perf_counter() - started, 1)
        rows[factor]["recall"] = recall(pipeline, items, vectors)
        rows[factor]["ask_ms"] = ask_latency(pipeline, items, ask_sample)
        if factor in ann:
            log(f"{factor}×: comparing FAISS index types")
            rows[factor]["ann"] = compare(pipeline, items, vectors)
        log(f"{factor}×: {rows[factor]['search_ms']} recall {rows[factor]['recall']['hybrid']} ask {rows[factor]['ask_ms']}")
    return {"factors": [rows[f] for f in factors], "targets": targets(rows, factors)}


def targets(rows: dict[int, dict[str, Any]], factors: Sequence[int]) -> dict[str, Any]:
    """The issue's targets: p50 at the largest factor ≤ 2× of 1×, recall@5 drop ≤ 0.01."""
    if 1 not in rows or len(factors) < 2:
        return {}
    base, top = rows[1], rows[max(factors)]
    ratio = top["search_ms"]["p50"] / base["search_ms"]["p50"]
    drop = base["recall"]["hybrid"]["recall@5"] - top["recall"]["hybrid"]["recall@5"]
    return {"largest": max(factors), "p50_ratio": round(ratio, 2), "p50_ok": ratio <= 2.0, "recall@5_drop": round(drop, 4), "recall_ok": drop <= 0.01}
