"""Fusion functions checked against numbers worked out by hand."""

import pytest

from rag.retrieve.fusion import convex_combination, min_max_normalize, reciprocal_rank_fusion, top_k


def test_rrf_with_the_paper_constant() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    # a: 1/61; b: 1/62 + 1/61; c: 1/63 + 1/62; d: 1/63
    assert fused["a"] == pytest.approx(0.0163934, abs=1e-6)
    assert fused["b"] == pytest.approx(0.0325224, abs=1e-6)
    assert fused["c"] == pytest.approx(0.0320020, abs=1e-6)
    assert fused["d"] == pytest.approx(0.0158730, abs=1e-6)
    assert [unit for unit, _ in top_k(fused, 4)] == ["b", "c", "a", "d"]


def test_weighted_rrf() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=10, weights=[0.75, 0.25])
    # a: .75/11; b: .75/12 + .25/11; c: .75/13 + .25/12; d: .25/13
    assert fused["a"] == pytest.approx(0.0681818, abs=1e-6)
    assert fused["b"] == pytest.approx(0.0852273, abs=1e-6)
    assert fused["c"] == pytest.approx(0.0785256, abs=1e-6)
    assert fused["d"] == pytest.approx(0.0192308, abs=1e-6)


def test_min_max_normalisation() -> None:
    assert min_max_normalize({"x": 2.0, "y": 4.0, "z": 6.0}) == {"x": 0.0, "y": 0.5, "z": 1.0}
    assert min_max_normalize({"x": 3.0, "y": 3.0}) == {"x": 1.0, "y": 1.0}
    assert min_max_normalize({}) == {}


def test_convex_combination() -> None:
    bm25 = {"a": 10.0, "b": 6.0, "c": 2.0}  # -> a 1, b .5, c 0
    dense = {"b": 0.9, "c": 0.8, "d": 0.5}  # -> b 1, c .75, d 0
    fused = convex_combination([bm25, dense], [0.6, 0.4])
    assert fused == pytest.approx({"a": 0.6, "b": 0.7, "c": 0.3, "d": 0.0})
    assert [u for u, _ in top_k(fused, 4)] == ["b", "a", "c", "d"]


def test_ties_are_broken_by_id_and_bad_arguments_refused() -> None:
    assert top_k({"z": 1.0, "a": 1.0}, 2) == [("a", 1.0), ("z", 1.0)]
    with pytest.raises(ValueError):
        reciprocal_rank_fusion([["a"]], k=0)
    with pytest.raises(ValueError):
        convex_combination([{"a": 1.0}], [0.5, 0.5])
