"""FAISS index types side by side on one built index (used by ``eval.scale --ann``).

Every variant is built from the same vectors (read back from the index being
served) and scored on the same questions:

* ``neighbours@50``: share of the exact top 50 (flat inner product) that the
  index returns; 50 is ``candidate_k``, what the dense side hands to fusion;
* ``hybrid recall@5``: the real gold-set metric with this index behind the
  dense side (BM25 candidates fixed), so a loss is a loss the user would see;
* ``search_ms``: one query at a time, as served; ``build_s``; ``size_mb``.

HNSW is Malkov & Yashunin (2018): ``M`` links per node, ``efConstruction``
candidates while inserting, ``efSearch`` at query time. IVF is an inverted
file over ``nlist`` k-means cells of which ``nprobe`` are scanned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import faiss
import numpy as np

from eval.metrics import percentile
from eval.qa import QAItem
from eval.retrieval import retrieval_metrics
from rag.pipeline import Pipeline
from rag.retrieve.dense import DenseRetriever, build_faiss

HNSW_GRID = ((16, 40), (16, 80), (32, 40), (32, 80), (32, 200))  # (M, efConstruction)
EF_SEARCH = (16, 32, 64, 128, 256)
NPROBE = (4, 8, 16, 32, 64)


def _variants(vectors: np.ndarray) -> list[tuple[str, dict[str, Any], float, Any]]:
    built: list[tuple[str, dict[str, Any], float, Any]] = []
    grid = [("flat", {}), *[("hnsw", {"M": m, "efConstruction": ef}) for m, ef in HNSW_GRID], ("ivf", {"nlist": 4 * round(math.sqrt(len(vectors)))})]
    for kind, params in grid:
        started = time.perf_counter()
        index: Any
        if kind == "ivf":
            quantizer = faiss.IndexFlatIP(vectors.shape[1])
            index = faiss.IndexIVFFlat(quantizer, vectors.shape[1], params["nlist"], faiss.METRIC_INNER_PRODUCT)
            index.train(vectors)
            index.add(vectors)
        else:
            index = build_faiss(vectors, kind, params.get("M", 32), params.get("efConstruction", 80))
        built.append((kind, params, time.perf_counter() - started, index))
    return built


def _search_params(kind: str, index: Any) -> list[tuple[str, int]]:
    if kind == "hnsw":
        return [("efSearch", ef) for ef in EF_SEARCH]
    if kind == "ivf":
        return [("nprobe", n) for n in NPROBE if n <= index.nlist]
    return [("", 0)]


def _set(index: Any, name: str, value: int) -> None:
    if name == "efSearch":
        index.hnsw.efSearch = value
    elif name == "nprobe":
        index.nprobe = value


def compare(pipeline: Pipeline, items: Sequence[QAItem], question_vectors: dict[str, np.ndarray], candidates: int = 50) -> list[dict[str, Any]]:
    """One row per (index variant, search parameter); ``question_vectors`` are the questions' embeddings."""
    served = pipeline.index.dense.index
    vectors = np.ascontiguousarray(served.reconstruct_n(0, served.ntotal), dtype=np.float32)
    answerable = [i for i in items if i.answerable]
    queries = np.stack([question_vectors[i.question] for i in answerable]).astype(np.float32)
    lexical = [pipeline.index.bm25.search(i.question, pipeline.fusion.candidates) for i in answerable]
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(queries, candidates)
    rows = []
    for kind, params, build_s, index in _variants(vectors):
        size_mb = len(faiss.serialize_index(index)) / 2**20
        for name, value in _search_params(kind, index):
            _set(index, name, value)
            times, found = [], []
            for q in queries:
                started = time.perf_counter()
                _, ids = index.search(q.reshape(1, -1), candidates)
                times.append((time.perf_counter() - started) * 1000)
                found.append(ids[0])
            overlap = float(np.mean([len(set(f) & set(t)) / candidates for f, t in zip(found, truth, strict=True)]))
            dense = DenseRetriever(index, pipeline.index.chunks, pipeline.embedder)
            hits = [pipeline.hybrid.fuse(lex, dense.search_vector(q, pipeline.fusion.candidates), 10) for lex, q in zip(lexical, queries, strict=True)]
            metrics = retrieval_metrics(pipeline, answerable, hits)
            rows.append(
                {
                    "kind": kind,
                    **params,
                    **({name: value} if name else {}),
                    "build_s": round(build_s, 2),
                    "size_mb": round(size_mb, 1),
                    "search_ms_p50": round(percentile(times, 50), 3),
                    "search_ms_p95": round(percentile(times, 95), 3),
                    "neighbours@50": round(overlap, 4),
                    "hybrid_recall@5": round(metrics["recall@5"], 4),
                    "hybrid_mrr@10": round(metrics["mrr@10"], 4),
                }
            )
    return rows
