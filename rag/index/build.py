"""Build every artifact from the corpus in one pass: chunks, BM25, FAISS, tables DB.

``build_index`` is idempotent: when the manifest's inputs key matches the
corpus, model and settings, it returns at once without loading the model.
A current build whose manifest is corrupted or whose files are truncated is
never silently replaced: that takes ``rebuild=True`` (``rag index --rebuild``).

Passages are embedded ``EMBED_SLICE`` at a time, each slice committed to the
embedding cache, so a killed build resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from rag.chunk import chunk_document
from rag.corpus import corpus_fingerprint, load_corpus, load_manifest
from rag.embed import CachedEmbedder, Embedder, SentenceTransformerEmbedder
from rag.index.store import SCHEMA_VERSION, BuildInputs, IndexStore, pause_point
from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever, build_faiss, choose_kind
from rag.settings import Settings
from rag.tables import extract_tables, row_units
from rag.tablestore import write_tables
from rag.types import Chunk, Document, Span, Table

CHUNKS_FILE = "chunks.jsonl"
FAISS_FILE = "faiss.index"
BM25_DIR = "bm25"
TABLES_DB = "tables.sqlite"
EMBED_SLICE = 2048  # ≈ 4 min of CPU embedding: the most a killed build loses


@dataclass(frozen=True)
class BuildReport:
    build: Path
    skipped: bool
    seconds: float
    units: int = 0
    passages: int = 0
    rows: int = 0
    tables: int = 0
    embedded: int = 0
    reused: int = 0
    faiss_kind: str = ""


def build_settings(settings: Settings) -> dict[str, Any]:
    """The settings that change what is built (query-time ones are left out)."""
    return {
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "passage_prompt": settings.passage_prompt,
        "faiss_index": settings.faiss_index,
        "faiss_hnsw_above": settings.faiss_hnsw_above,
        "faiss_hnsw_m": settings.faiss_hnsw_m,
        "faiss_hnsw_ef_construction": settings.faiss_hnsw_ef_construction,
    }


# The modules whose code decides what a build contains. A change to any of them
# makes the index stale, so an upgrade never serves artifacts of older code.
_BUILD_CODE = ("corpus.py", "layout.py", "chunk.py", "text.py", "numbers.py", "tablestore.py", "tables", "index", "retrieve/bm25.py", "retrieve/dense.py")


def code_fingerprint() -> str:
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for name in _BUILD_CODE:
        path = root / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def build_inputs(settings: Settings, embedder: Embedder) -> BuildInputs:
    """What the current corpus, model, settings and code would build (cheap: no model load)."""
    metas = load_manifest(settings.corpus_dir)
    return BuildInputs(corpus_fingerprint(metas, settings.corpus_dir), embedder.fingerprint, {**build_settings(settings), "code": code_fingerprint()})


def default_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        settings.embedding_model_location,
        settings.query_prompt,
        settings.passage_prompt,
        settings.embed_batch_size,
        settings.torch_threads,
        settings.query_int8,
        settings.query_onnx,
    )


def retrieval_units(documents: Sequence[Document], settings: Settings) -> tuple[list[Chunk], list[Table]]:
    """Passage chunks plus one unit per table row, in a stable order."""
    chunks = [c for d in documents for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)]
    tables = [t for d in documents for t in extract_tables(d)]
    rows = [unit for t in tables for unit in row_units(t)]
    return chunks + rows, tables


def build_index(settings: Settings, embedder: Embedder | None = None, rebuild: bool = False, progress: bool = True) -> BuildReport:
    started = time.perf_counter()
    store = IndexStore(settings.index_dir)
    embedder = embedder or default_embedder(settings)
    inputs = build_inputs(settings, embedder)
    state = store.freshness(inputs)
    if not rebuild and state == "corrupt":
        store.manifest()  # raises IndexCorrupt naming the fix
    if not rebuild and state == "fresh":
        current = store.current()
        assert current is not None
        store.verify(current, digests=False)  # cheap: a truncated or missing file is refused here
        store.tidy()
        return BuildReport(current, True, time.perf_counter() - started)
    documents = load_corpus(settings.corpus_dir)
    units, tables = retrieval_units(documents, settings)
    cached = CachedEmbedder(embedder, store.cache / "embeddings.sqlite")
    with store.building() as tmp:
        _write_chunks(tmp / CHUNKS_FILE, units)
        bm25 = BM25Retriever.build(units)
        (tmp / BM25_DIR).mkdir()
        bm25.save(tmp / BM25_DIR)
        vectors = _embed(cached, units, progress)
        kind = choose_kind(settings.faiss_index, len(units), settings.faiss_hnsw_above)
        index = build_faiss(vectors, kind, settings.faiss_hnsw_m, settings.faiss_hnsw_ef_construction, settings.faiss_hnsw_ef_search)
        DenseRetriever.save_index(index, tmp / FAISS_FILE)
        pause_point("artifacts")
        write_tables(tmp / TABLES_DB, tables)
        seconds = time.perf_counter() - started
        counts = {
            "units": len(units),
            "passages": sum(u.kind == "passage" for u in units),
            "rows": sum(u.kind == "table_row" for u in units),
            "tables": len(tables),
        }
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "inputs_key": inputs.key,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "corpus_hash": inputs.corpus_hash,
            "documents": [{"id": d.meta.id, "file": d.meta.file, "sha256": d.meta.sha256, "lines": len(d.lines)} for d in documents],
            "model": {"name": settings.embedding_model, "fingerprint": embedder.fingerprint, "dim": int(vectors.shape[1])},
            "settings": inputs.settings,
            "faiss_kind": kind,
            "counts": counts,
            "build_seconds": round(seconds, 2),
        }
        final = store.publish(tmp, manifest)
    return BuildReport(
        final, False, time.perf_counter() - started, counts["units"], counts["passages"], counts["rows"], counts["tables"], cached.misses, cached.hits, kind
    )


def _embed(embedder: CachedEmbedder, units: Sequence[Chunk], progress: bool) -> np.ndarray:
    bar = tqdm(total=len(units), desc="embedding", unit="unit", file=sys.stderr, disable=not progress, leave=False)

    def advance(count: int) -> None:
        bar.update(count)
        pause_point("embedding")

    texts = [u.index_text for u in units]
    try:
        parts = [embedder.embed_passages(texts[i : i + EMBED_SLICE], progress=advance) for i in range(0, len(texts), EMBED_SLICE)]
    finally:
        bar.close()
    return np.concatenate(parts) if parts else embedder.embed_passages([])


def _write_chunks(path: Path, units: Sequence[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for unit in units:
            handle.write(json.dumps(asdict(unit), ensure_ascii=False) + "\n")


def read_chunks(path: Path) -> list[Chunk]:
    chunks = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            raw = json.loads(line)
            raw["span"] = Span(**raw["span"])
            raw["section"] = tuple(raw["section"])
            chunks.append(Chunk(**raw))
    return chunks
