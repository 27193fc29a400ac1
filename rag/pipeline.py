"""The service in one object: load the built index once, then search and answer.

The CLI, the API and the evaluation all go through ``Pipeline`` so that
what is measured is exactly what is served.

>>> pipeline = Pipeline.open(get_settings())
>>> pipeline.search("¿Cuántos derechohabientes tenía el IMSS en 2012?", k=5)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.engine import Answerer
from rag.answer.llm import LLMAnswerer, openai_chat
from rag.answer.reader import ReaderModel, reader_dir, reader_inputs
from rag.corpus import load_corpus
from rag.embed import Embedder
from rag.errors import BadQuestion
from rag.index.build import BM25_DIR, CHUNKS_FILE, FAISS_FILE, TABLES_DB, build_index, build_inputs, default_embedder, read_chunks
from rag.index.store import IndexStore
from rag.query import analyze
from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever
from rag.retrieve.hybrid import FusionConfig, HybridRetriever
from rag.retrieve.tables import TableLookup, period_of
from rag.settings import Settings
from rag.tablestore import TableStore
from rag.types import Answer, CellMatch, Chunk, Document, Hit

RETRIEVERS = ("hybrid", "bm25", "dense")
WHOLE_TABLES = 3  # every row of the first three tables the row hits found joins the cell pool
MODES = ("extractive", "llm")


@dataclass(frozen=True)
class LoadedIndex:
    build: Path
    manifest: dict[str, Any]
    chunks: list[Chunk]
    bm25: BM25Retriever
    dense: DenseRetriever
    tables: TableStore

    @cached_property
    def row_positions(self) -> np.ndarray:
        return np.array([i for i, c in enumerate(self.chunks) if c.kind == "table_row"], dtype=np.int64)


def validate_question(question: object, max_chars: int) -> str:
    """The one place that decides what a usable question is."""
    if not isinstance(question, str):
        raise BadQuestion("the question must be text")
    text = question.strip()
    if not text:
        raise BadQuestion("the question is empty", "write a question, e.g. ¿Cuántos derechohabientes tenía el IMSS en 2012?")
    if len(question) > max_chars:
        raise BadQuestion(f"the question is {len(question)} characters long; the limit is {max_chars}", "shorten it")
    if "\x00" in text:
        raise BadQuestion("the question contains a NUL character")
    return text


class Pipeline:
    def __init__(self, settings: Settings, index: LoadedIndex, embedder: Embedder) -> None:
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.fusion = FusionConfig(settings.fusion, settings.fusion_weight_bm25, settings.rrf_k, settings.candidate_k)
        self.hybrid = HybridRetriever(index.bm25, index.dense, self.fusion)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None, build_if_needed: bool = False, progress: bool = False) -> Pipeline:
        """Load the current index. With ``build_if_needed``, build or refresh it first."""
        embedder = embedder or default_embedder(settings)
        if build_if_needed:
            build_index(settings, embedder, progress=progress)
        store = IndexStore(settings.index_dir)
        build = store.require_fresh(build_inputs(settings, embedder))
        return cls(settings, load_index(store, build, embedder, settings), embedder)

    @cached_property
    def documents(self) -> dict[str, Document]:
        return {d.meta.id: d for d in load_corpus(self.settings.corpus_dir)}

    def retriever(self, name: str) -> BM25Retriever | DenseRetriever | HybridRetriever:
        if name == "bm25":
            return self.index.bm25
        if name == "dense":
            return self.index.dense
        if name == "hybrid":
            return self.hybrid
        raise ValueError(f"unknown retriever {name!r}; choose one of {', '.join(RETRIEVERS)}")

    def search(self, question: str, k: int | None = None, retriever: str = "hybrid") -> list[Hit]:
        text = validate_question(question, self.settings.max_question_chars)
        k = k if k is not None else self.settings.top_k
        if not 1 <= k <= 100:
            raise BadQuestion(f"k must be between 1 and 100, got {k}")
        return self.retriever(retriever).search(text, k)

    def row_hits(self, question: str, k: int = 30) -> list[Hit]:
        """Hybrid retrieval restricted to table-row units (for the table lookup)."""
        bm25 = self.index.bm25.scores(question)
        rows = self.index.row_positions
        best = rows[(-bm25[rows]).argsort()[:k]] if len(rows) else rows
        lexical = [Hit(self.index.chunks[i], float(bm25[i]), "bm25") for i in best if bm25[i] > 0]
        semantic = [h for h in self.index.dense.search(question, min(len(self.index.chunks), 10 * k)) if h.chunk.kind == "table_row"][:k]
        return self.hybrid.fuse(lexical, semantic, k)

    @cached_property
    def lookup(self) -> TableLookup:
        doc_years = {d.meta.id: period_of(d.meta.period) for d in self.documents.values()}
        doc_titles = {d.meta.id: d.meta.title for d in self.documents.values()}
        return TableLookup(self.index.tables.all(), doc_years, doc_titles)

    def table_matches(self, question: str, k: int | None = None) -> list[CellMatch]:
        return self.lookup.lookup(analyze(question), self.row_hits(question), k or self.settings.cell_pool, WHOLE_TABLES)

    @cached_property
    def reader_model(self) -> ReaderModel | None:
        """The trained reader, when enabled, present and built from this corpus, these features and this train split."""
        if not self.settings.reader:
            return None
        return ReaderModel.load(reader_dir(self.settings), reader_inputs(self.settings, self.index.manifest))

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(self.documents, self.search, self.table_matches, self.reader_model)

    def ask(self, question: str, k: int | None = None, mode: str | None = None) -> Answer:
        """Answer with verified citations, or abstain. ``mode`` "llm" needs RAG_LLM_BASE_URL."""
        text = validate_question(question, self.settings.max_question_chars)
        if k is not None and not 1 <= k <= 50:
            raise BadQuestion(f"k must be between 1 and 50, got {k}")
        if mode is not None and mode not in MODES:
            raise BadQuestion(f"unknown mode {mode!r}", f"choose one of {', '.join(MODES)}")
        if mode == "llm":
            return self.llm_answerer.answer(text, k or 8)
        return self.answerer.answer(text, k or 8)

    @cached_property
    def llm_answerer(self) -> LLMAnswerer:
        """Built on first use; raises ConfigError (not cached) while RAG_LLM_BASE_URL is unset."""
        return LLMAnswerer(self.answerer, openai_chat(self.settings))

    def timed_search(self, question: str, k: int | None = None, retriever: str = "hybrid") -> tuple[list[Hit], float]:
        started = time.perf_counter()
        hits = self.search(question, k, retriever)
        return hits, (time.perf_counter() - started) * 1000


def load_index(store: IndexStore, build: Path, embedder: Embedder, settings: Settings) -> LoadedIndex:
    manifest = store.verify(build)
    chunks = read_chunks(build / CHUNKS_FILE)
    bm25 = BM25Retriever.load(build / BM25_DIR, chunks)
    faiss_index = DenseRetriever.load_index(build / FAISS_FILE, settings.faiss_hnsw_ef_search)
    dense = DenseRetriever(faiss_index, chunks, embedder)
    return LoadedIndex(build, manifest, chunks, bm25, dense, TableStore(build / TABLES_DB))
