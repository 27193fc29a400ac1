"""The pure parts of eval.scale_proxy: copy ids, the unit mapping and the vector perturbation (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from eval.scale_measure import forget_last_query
from eval.scale_proxy import map_to_originals, perturb, proxy_vectors, shared_weight_for, split_doc_id
from rag.types import Chunk, Span


def unit(doc_id: str, kind: str, start: int) -> Chunk:
    return Chunk(f"{doc_id}:{start}-{start}", doc_id, kind, f"text {start}", Span(f"corpus/{doc_id}.txt", start, start), ())  # type: ignore[arg-type]


def unit_vectors(n: int, dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_split_doc_id() -> None:
    assert split_doc_id("imss-cp-2020-s007") == ("imss-cp-2020", 7)
    assert split_doc_id("imss-cp-2020-s123") == ("imss-cp-2020", 123)
    assert split_doc_id("imss-cp-2020") == ("imss-cp-2020", 0)
    assert split_doc_id("doc-s01") == ("doc-s01", 0)  # copies have at least three digits


def test_map_to_originals_by_position_and_clipped() -> None:
    originals = [unit("a", "passage", 1), unit("a", "passage", 5), unit("b", "passage", 1), unit("a", "table_row", 9)]
    units = [
        *originals,  # copy 0, in the same order
        unit("a-s001", "passage", 1),
        unit("a-s001", "passage", 5),
        unit("a-s001", "passage", 7),  # a third passage: clipped to the original's last one
        unit("b-s001", "table_row", 3),  # b has no rows: any unit of b
        unit("a-s001", "table_row", 9),
    ]
    target, copies = map_to_originals(units, originals)
    assert target.tolist() == [0, 1, 2, 3, 0, 1, 1, 2, 3]
    assert copies.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1]


def test_map_to_originals_unknown_document() -> None:
    with pytest.raises(ValueError, match="no original units"):
        map_to_originals([unit("z-s001", "passage", 1)], [unit("a", "passage", 1)])


def test_perturb_gives_unit_vectors_at_the_requested_cosine() -> None:
    v = unit_vectors(200, 384, seed=1)
    cosines = np.random.default_rng(2).uniform(0.9, 0.99, 200)
    out = perturb(v, cosines, np.random.default_rng(3))
    assert out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert np.allclose(np.sum(out * v, axis=1), cosines, atol=1e-5)


def test_shared_direction_sets_the_copy_to_copy_cosine() -> None:
    v = unit_vectors(300, 384, seed=4)
    c, pair = 0.95, 0.97
    weight = shared_weight_for(c, pair)
    shared = np.random.default_rng(5).standard_normal(v.shape)
    rng = np.random.default_rng(6)
    one = perturb(v, np.full(300, c), rng, shared, weight)
    two = perturb(v, np.full(300, c), rng, shared, weight)
    assert np.allclose(np.sum(one * v, axis=1), c, atol=1e-5)  # the shared part keeps the cosine to the original
    assert abs(float(np.mean(np.sum(one * two, axis=1))) - pair) < 0.005
    independent = perturb(v, np.full(300, c), rng)
    assert abs(float(np.mean(np.sum(one * independent, axis=1))) - c**2) < 0.005


def test_shared_weight_for_is_clipped() -> None:
    assert shared_weight_for(0.95, 0.95**2) == pytest.approx(0.0)
    assert shared_weight_for(0.95, 0.5) == 0.0  # copies further apart than independent noise gives
    assert shared_weight_for(0.95, 1.0) == pytest.approx(1.0)
    assert shared_weight_for(1.0, 1.0) == 0.0


def test_proxy_vectors_keep_copy_zero_and_are_reproducible() -> None:
    real = unit_vectors(3, 16, seed=7).astype(np.float32)
    target, copies = np.array([0, 1, 2, 0, 2]), np.array([0, 0, 0, 1, 1])
    sample = np.array([0.9, 0.95])
    out = proxy_vectors(real, target, copies, sample, 0.5, seed=0)
    assert np.array_equal(out[:3], real)
    cosines = np.sum(out[3:] * real[[0, 2]], axis=1)
    assert all(np.isclose(sample, c, atol=1e-5).any() for c in cosines)  # each drawn from the measured sample
    assert np.array_equal(out, proxy_vectors(real, target, copies, sample, 0.5, seed=0))


def test_forget_last_query() -> None:
    class Last:
        text: str | None = "¿pregunta?"

    class Embedder:
        _last_query = Last()

    embedder = Embedder()
    forget_last_query(embedder)
    assert embedder._last_query.text is None
    forget_last_query(object())  # embedders without the cache are left alone
