"""Our retrievers behind LangChain's ``BaseRetriever`` interface.

    from rag.pipeline import Pipeline
    from rag.retrieve.langchain import LangChainRetriever
    retriever = LangChainRetriever.from_pipeline(Pipeline.open(get_settings()), k=5)
    retriever.invoke("¿Cuántos pensionados tenía el ISSSTE en 2012?")

Each ``Document`` carries the unit's text and, in ``metadata``, everything a
citation needs (source, 1-based inclusive line span, section, document id,
table id and row for table rows) plus the fused score and retriever name.
The wrapped search is any ``(question, k) -> list[Hit]``, so BM25, dense and
hybrid all plug in; a distributed engine would too (README, "Scaling").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.types import Hit, section_label

SearchFunction = Callable[[str, int], list[Hit]]


def hit_document(hit: Hit) -> LCDocument:
    chunk = hit.chunk
    metadata: dict[str, Any] = {
        "id": chunk.id,
        "doc_id": chunk.doc_id,
        "kind": chunk.kind,
        "source": chunk.span.source,
        "lines": [chunk.span.start, chunk.span.end],
        "section": section_label(chunk.section),
        "score": hit.score,
        "retriever": hit.retriever,
    }
    if chunk.table_id is not None:
        metadata |= {"table_id": chunk.table_id, "row": chunk.row_index}
    return LCDocument(page_content=chunk.text, metadata=metadata)


class LangChainRetriever(BaseRetriever):
    """A LangChain retriever over any of our ``search`` functions."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    search: SearchFunction
    k: int = 5

    @classmethod
    def from_pipeline(cls, pipeline: Any, k: int = 5, retriever: str = "hybrid") -> LangChainRetriever:
        return cls(search=lambda question, top: pipeline.search(question, top, retriever), k=k)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [hit_document(hit) for hit in self.search(query, self.k)]
