"""Dense retrieval: normalised embeddings in a FAISS inner-product index (= cosine).

Index type by size (see README, "Scaling"): exact ``IndexFlatIP`` while the
collection is small, ``IndexHNSWFlat`` beyond ``faiss_hnsw_above`` vectors,
where exact search would grow linearly with the corpus.

A search runs on ``SEARCH_THREADS`` OpenMP threads. One question is too little
work to share, and on a busy machine (a server under load, other processes)
FAISS's threads wait for each other: measured on this 2-core machine under
load, exact search over 10k vectors took 48 ms p50 with 2 threads and 0.45 ms
with 1 (``eval.scale``; README, "Scaling"). OpenMP thread counts are per
calling thread, so it is set on every search; FAISS has its own OpenMP
runtime, so torch's threads for the query embedding are untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from rag.embed import Embedder
from rag.types import Chunk, Hit

SEARCH_THREADS = 1


def build_faiss(vectors: np.ndarray, kind: str, hnsw_m: int = 32, ef_construction: int = 80, ef_search: int = 128) -> faiss.Index:
    """``kind`` is "flat" or "hnsw"; vectors must be L2-normalised float32."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dim = vectors.shape[1]
    index: faiss.Index
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = ef_construction
        hnsw.hnsw.efSearch = ef_search
        index = hnsw
    else:
        raise ValueError(f"unknown FAISS index kind {kind!r}")
    index.add(vectors)
    return index


def choose_kind(setting: str, count: int, hnsw_above: int) -> str:
    if setting != "auto":
        return setting
    return "hnsw" if count > hnsw_above else "flat"


class DenseRetriever:
    name = "dense"

    def __init__(self, index: faiss.Index, chunks: Sequence[Chunk], embedder: Embedder) -> None:
        if index.ntotal != len(chunks):
            raise ValueError(f"FAISS index has {index.ntotal} vectors, chunk table has {len(chunks)}")
        self.index = index
        self.chunks = chunks
        self.embedder = embedder

    @staticmethod
    def save_index(index: faiss.Index, path: Path) -> None:
        faiss.write_index(index, str(path))

    @staticmethod
    def load_index(path: Path, ef_search: int | None = None) -> faiss.Index:
        index = faiss.read_index(str(path))
        if ef_search and hasattr(index, "hnsw"):
            index.hnsw.efSearch = ef_search
        return index

    def search_vector(self, vector: np.ndarray, k: int) -> list[Hit]:
        k = min(k, len(self.chunks))
        if k <= 0:
            return []
        faiss.omp_set_num_threads(SEARCH_THREADS)
        scores, ids = self.index.search(np.ascontiguousarray(vector.reshape(1, -1), dtype=np.float32), k)
        return [Hit(self.chunks[i], float(s), self.name) for s, i in zip(scores[0], ids[0], strict=True) if i >= 0]

    def search(self, query: str, k: int) -> list[Hit]:
        if not query.strip():
            return []
        return self.search_vector(self.embedder.embed_queries([query])[0], k)
