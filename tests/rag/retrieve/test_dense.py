"""FAISS behind the dense retriever: kind by size, HNSW agrees with exact search, one thread per search."""

import threading

import faiss
import numpy as np

from rag.embed import HashingEmbedder
from rag.retrieve.dense import SEARCH_THREADS, DenseRetriever, build_faiss, choose_kind
from rag.types import Chunk, Span


def _vectors(n: int, dim: int = 32) -> np.ndarray:
    x = np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _chunks(n: int) -> list[Chunk]:
    return [Chunk(f"d:{i}-{i}", "d", "passage", f"texto {i}", Span("corpus/d.txt", i + 1, i + 1), ()) for i in range(n)]


def test_kind_by_size() -> None:
    assert choose_kind("auto", 100, hnsw_above=1000) == "flat"
    assert choose_kind("auto", 1001, hnsw_above=1000) == "hnsw"
    assert choose_kind("flat", 10**6, hnsw_above=1000) == "flat"


def test_hnsw_finds_what_exact_search_finds() -> None:
    vectors = _vectors(2000)
    flat, hnsw = build_faiss(vectors, "flat"), build_faiss(vectors, "hnsw", 16, 80, 64)
    queries = vectors[:50] + 0.05 * _vectors(50)
    _, exact = flat.search(queries, 10)
    _, approx = hnsw.search(queries, 10)
    overlap = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact, strict=True)])
    assert overlap >= 0.95


def test_a_search_runs_on_one_openmp_thread_whatever_thread_calls_it() -> None:
    vectors = _vectors(200)
    retriever = DenseRetriever(build_faiss(vectors, "flat"), _chunks(200), HashingEmbedder(32))
    seen: list[int] = []

    def search() -> None:
        hits = retriever.search_vector(vectors[7], 3)
        assert hits[0].chunk.id == "d:7-7"
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=search)
    worker.start()
    worker.join()
    assert seen == [SEARCH_THREADS]
