"""Spanish BM25 over the retrievable units, using bm25s.

Tokens are accent-folded, Spanish-stopword-filtered and snowball-stemmed
(``rag.text.stems``), identically for units and questions, so "pensión",
"pensiones" and "pension" meet. bm25s does the scoring (Lucene variant,
k1 = 1.5, b = 0.75).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from rag.text import stems
from rag.types import Chunk, Hit

_EMPTY = "<empty>"  # bm25s needs at least one token per document


def tokenize(text: str) -> list[str]:
    return stems(text)


class BM25Retriever:
    """BM25 over ``chunks`` (by position). Build with ``build``, persist with ``save``/``load``."""

    name = "bm25"

    def __init__(self, model: bm25s.BM25, chunks: Sequence[Chunk]) -> None:
        self.model = model
        self.chunks = chunks

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> BM25Retriever:
        model = bm25s.BM25(k1=1.5, b=0.75)
        model.index([tokenize(c.index_text) or [_EMPTY] for c in chunks], show_progress=False)
        return cls(model, chunks)

    def save(self, directory: Path) -> None:
        self.model.save(str(directory), show_progress=False)
        (directory / "units.json").write_text(json.dumps(len(self.chunks)))

    @classmethod
    def load(cls, directory: Path, chunks: Sequence[Chunk]) -> BM25Retriever:
        count = json.loads((directory / "units.json").read_text())
        if count != len(chunks):
            raise ValueError(f"BM25 index has {count} units, chunk table has {len(chunks)}")
        return cls(bm25s.BM25.load(str(directory), show_progress=False, verbosity=0), chunks)

    def scores(self, query: str) -> np.ndarray:
        tokens = [t for t in tokenize(query) if t in self.model.vocab_dict]
        if not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.model.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, k: int) -> list[Hit]:
        scores = self.scores(query)
        if k <= 0 or not scores.any():
            return []
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((best, -scores[best]))]
        return [Hit(self.chunks[i], float(scores[i]), self.name) for i in best if scores[i] > 0]
