"""Hybrid retrieval: BM25 and dense candidates fused (method chosen by measurement)."""

from __future__ import annotations

from dataclasses import dataclass

from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever
from rag.retrieve.fusion import convex_combination, reciprocal_rank_fusion, top_k
from rag.types import Hit


@dataclass(frozen=True)
class FusionConfig:
    method: str = "convex"  # "rrf" | "weighted_rrf" | "convex"
    weight_bm25: float = 0.6
    rrf_k: int = 60
    candidates: int = 50

    def __post_init__(self) -> None:
        if self.method not in {"rrf", "weighted_rrf", "convex"}:
            raise ValueError(f"unknown fusion method {self.method!r}")
        if not 0.0 <= self.weight_bm25 <= 1.0:
            raise ValueError("weight_bm25 must be within [0, 1]")


class HybridRetriever:
    """Fuses BM25 and dense rankings of the same units.

    >>> hybrid = HybridRetriever(bm25, dense, FusionConfig("convex", 0.6))
    >>> hybrid.search("¿Cuántos derechohabientes tenía el IMSS en 2012?", k=5)
    """

    name = "hybrid"

    def __init__(self, bm25: BM25Retriever, dense: DenseRetriever, config: FusionConfig) -> None:
        self.bm25 = bm25
        self.dense = dense
        self.config = config

    def search(self, query: str, k: int) -> list[Hit]:
        if not query.strip() or k <= 0:
            return []
        return self.fuse(self.bm25.search(query, self.config.candidates), self.dense.search(query, self.config.candidates), k)

    def fuse(self, lexical: list[Hit], semantic: list[Hit], k: int) -> list[Hit]:
        units = {h.chunk.id: h.chunk for h in lexical + semantic}
        weights = (self.config.weight_bm25, 1.0 - self.config.weight_bm25)
        if self.config.method == "convex":
            fused = convex_combination([{h.chunk.id: h.score for h in lexical}, {h.chunk.id: h.score for h in semantic}], weights)
        else:
            rankings = [[h.chunk.id for h in lexical], [h.chunk.id for h in semantic]]
            fused = reciprocal_rank_fusion(rankings, self.config.rrf_k, weights if self.config.method == "weighted_rrf" else None)
        return [Hit(units[unit], score, self.name) for unit, score in top_k(fused, k)]
