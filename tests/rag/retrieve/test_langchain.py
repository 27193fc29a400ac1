"""The LangChain face of retrieval: same hits, LangChain documents with citation metadata."""

from __future__ import annotations

import pytest
from langchain_core.retrievers import BaseRetriever

from rag.retrieve.langchain import LangChainRetriever
from rag.types import Chunk, Hit, Span


def _hit(i: int, table: bool = False) -> Hit:
    chunk = Chunk(
        id=f"u{i}", doc_id="d", kind="table_row" if table else "passage", text=f"texto {i}", span=Span("corpus/d.txt", 10 * i + 1, 10 * i + 3),
        section=("IMSS", "Pensiones"), table_id="t1" if table else None, row_index=4 if table else None,
    )  # fmt: skip
    return Hit(chunk, 1.0 / (i + 1), "hybrid")


def test_documents_carry_the_citation_and_respect_k() -> None:
    asked: list[tuple[str, int]] = []

    def search(question: str, k: int) -> list[Hit]:
        asked.append((question, k))
        return [_hit(0), _hit(1, table=True)][:k]

    retriever = LangChainRetriever(search=search, k=2)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("¿pregunta?")
    assert asked == [("¿pregunta?", 2)]
    assert [d.page_content for d in docs] == ["texto 0", "texto 1"]
    assert docs[0].metadata["source"] == "corpus/d.txt" and docs[0].metadata["lines"] == [1, 3]
    assert docs[0].metadata["section"] and "table_id" not in docs[0].metadata
    assert docs[1].metadata["table_id"] == "t1" and docs[1].metadata["row"] == 4


@pytest.mark.slow
def test_real_pipeline_through_langchain_matches_search(pipeline) -> None:  # type: ignore[no-untyped-def]
    question = "¿Cuántos pensionados tenía el ISSSTE en 2012?"
    docs = LangChainRetriever.from_pipeline(pipeline, k=5).invoke(question)
    hits = pipeline.search(question, 5)
    assert [d.metadata["id"] for d in docs] == [h.chunk.id for h in hits]
    passages = [d for d in docs if d.metadata["kind"] == "passage"]
    assert passages
    for doc in passages:  # a passage is an exact substring of its cited lines (a row unit adds its table's title)
        start, end = doc.metadata["lines"]
        lines = (pipeline.settings.corpus_dir.parent / doc.metadata["source"]).read_text(encoding="utf-8").splitlines()[start - 1 : end]
        assert doc.page_content in "\n".join(lines)
