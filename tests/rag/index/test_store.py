"""Manifest, staleness, embedding cache, atomic swap and corruption, on a tiny corpus.

The embedder here is the deterministic fake: what is under test is the
store and the build, not the model.
"""

import json
from pathlib import Path

import pytest

from rag.embed import HashingEmbedder
from rag.errors import IndexCorrupt, IndexNotBuilt, IndexStale
from rag.index import build as build_module
from rag.index.build import FAISS_FILE, build_index, build_inputs
from rag.index.store import SCHEMA_VERSION, IndexStore
from rag.pipeline import Pipeline
from tests.conftest import tiny_settings


def test_build_writes_a_manifest_of_its_inputs(tmp_path: Path, tiny_corpus: Path) -> None:
    settings = tiny_settings(tmp_path, tiny_corpus)
    report = build_index(settings, HashingEmbedder(), progress=False)
    manifest = json.loads((report.build / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["model"]["fingerprint"] == "hashing:64"
    assert manifest["settings"]["chunk_size"] == settings.chunk_size
    assert len(manifest["corpus_hash"]) == 64
    assert {d["file"] for d in manifest["documents"]} == {p.name for p in tiny_corpus.glob("*.txt")}
    assert set(manifest["files"]) >= {"chunks.jsonl", "faiss.index", "tables.sqlite", "bm25/units.json"}


def test_second_build_is_a_no_op_and_a_corpus_change_is_stale(tmp_path: Path, tiny_corpus: Path) -> None:
    settings = tiny_settings(tmp_path, tiny_corpus)
    embedder = HashingEmbedder()
    first = build_index(settings, embedder, progress=False)
    again = build_index(settings, embedder, progress=False)
    assert again.skipped and again.build == first.build
    manifest = json.loads((tiny_corpus / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"][0]["title"] += " (revisado)"
    (tiny_corpus / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    store = IndexStore(settings.index_dir)
    assert store.freshness(build_inputs(settings, embedder)) == "stale"
    with pytest.raises(IndexStale, match="rag index"):
        Pipeline.open(settings, embedder)
    rebuilt = build_index(settings, embedder, progress=False)
    assert not rebuilt.skipped and rebuilt.build != first.build
    assert rebuilt.embedded == 0 and rebuilt.reused == rebuilt.units  # same texts: every vector came from the cache


def test_changing_a_build_setting_makes_the_index_stale(tmp_path: Path, tiny_corpus: Path) -> None:
    embedder = HashingEmbedder()
    build_index(tiny_settings(tmp_path, tiny_corpus), embedder, progress=False)
    other = tiny_settings(tmp_path, tiny_corpus, chunk_size=400, chunk_overlap=50)
    assert IndexStore(other.index_dir).freshness(build_inputs(other, embedder)) == "stale"
    # query-time settings do not touch the build
    same = tiny_settings(tmp_path, tiny_corpus, top_k=9, fusion="rrf")
    assert IndexStore(same.index_dir).freshness(build_inputs(same, embedder)) == "fresh"


def test_a_failed_rebuild_leaves_the_previous_index_serving(tmp_path: Path, tiny_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tiny_settings(tmp_path, tiny_corpus)
    embedder = HashingEmbedder()
    good = build_index(settings, embedder, progress=False)

    def explode(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "write_tables", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(settings, embedder, rebuild=True, progress=False)
    store = IndexStore(settings.index_dir)
    assert store.current() == good.build
    assert not list((settings.index_dir / "builds").glob(".tmp-*"))
    hits = Pipeline.open(settings, embedder).search("presupuesto del programa", 3, "bm25")
    assert hits and hits[0].chunk.span.source.startswith("corpus/")


def test_a_truncated_artifact_is_refused_with_the_fix(tmp_path: Path, tiny_corpus: Path) -> None:
    settings = tiny_settings(tmp_path, tiny_corpus)
    report = build_index(settings, HashingEmbedder(), progress=False)
    target = report.build / FAISS_FILE
    target.write_bytes(target.read_bytes()[:100])
    with pytest.raises(IndexCorrupt, match=r"faiss\.index") as err:
        Pipeline.open(settings, HashingEmbedder())
    assert "rag index --rebuild" in err.value.hint


def test_no_index_says_to_build_one(tmp_path: Path, tiny_corpus: Path) -> None:
    with pytest.raises(IndexNotBuilt, match="no index built") as err:
        Pipeline.open(tiny_settings(tmp_path, tiny_corpus), HashingEmbedder())
    assert err.value.hint == "run `rag index`"
