"""Rank fusion, as pure functions over {unit id: score} maps.

Two families, both measured on eval/qa.jsonl (README, "Retrieval"):

* Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009):
  ``score(d) = Σ_i w_i / (k + rank_i(d))`` with 1-based ranks. ``k`` damps
  the head of each ranking; 60 is the paper's value. Plain RRF uses w_i = 1.
* Convex combination of min-max normalised scores (Bruch, Gai & Ingber,
  "An Analysis of Fusion Functions for Hybrid Retrieval", ACM TOIS 2023):
  ``score(d) = Σ_i w_i · (s_i(d) − min_i) / (max_i − min_i)``; a unit a
  retriever did not return contributes 0 for it. Unlike RRF it keeps *how
  much* better the top hit is, which matters when BM25 is confident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None) -> dict[str, float]:
    """Fuse best-first id lists. ``weights`` default to 1 for every ranking."""
    if k < 1:
        raise ValueError("k must be >= 1")
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, unit in enumerate(ranking, start=1):
            fused[unit] = fused.get(unit, 0.0) + weight / (k + rank)
    return fused


def min_max_normalize(scores: Mapping[str, float]) -> dict[str, float]:
    """Scale to [0, 1]; when every score is equal they all become 1."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {unit: (score - low) / (high - low) for unit, score in scores.items()}


def convex_combination(score_maps: Sequence[Mapping[str, float]], weights: Sequence[float]) -> dict[str, float]:
    """Weighted sum of min-max normalised scores."""
    if len(weights) != len(score_maps):
        raise ValueError("one weight per score map")
    fused: dict[str, float] = {}
    for scores, weight in zip(score_maps, weights, strict=True):
        for unit, value in min_max_normalize(scores).items():
            fused[unit] = fused.get(unit, 0.0) + weight * value
    return fused


def top_k(scores: Mapping[str, float], k: int) -> list[tuple[str, float]]:
    """Best ``k`` (id, score), ties broken by id so results are deterministic."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
