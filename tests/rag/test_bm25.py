from rag.retrieve.bm25 import BM25Retriever, tokenize
from rag.types import Chunk, Span


def _chunk(i: int, text: str) -> Chunk:
    return Chunk(id=f"d:{i}", doc_id="d", kind="passage", text=text, span=Span("corpus/d.txt", i, i), section=())


CHUNKS = [
    _chunk(1, "Población derechohabiente del Instituto al cierre de 2012"),
    _chunk(2, "Guarderías: se registró un incremento neto de lugares"),
    _chunk(3, "Las pensiones en curso de pago ascendieron a 119 mil millones"),
]


def test_tokens_are_folded_stemmed_and_without_stopwords() -> None:
    assert tokenize("Población de las Guarderías") == tokenize("poblacion GUARDERIAS")
    assert tokenize("pensión") == tokenize("pensiones")
    assert tokenize("de la del los las") == []


def test_search_matches_across_accents_and_inflection() -> None:
    bm25 = BM25Retriever.build(CHUNKS)
    assert bm25.search("guarderias", 3)[0].chunk.id == "d:2"
    assert bm25.search("¿Cuánto sumó la pensión en curso?", 3)[0].chunk.id == "d:3"
    assert bm25.search("POBLACION derechohabientes", 1)[0].chunk.id == "d:1"


def test_stopword_only_or_unknown_queries_return_nothing() -> None:
    bm25 = BM25Retriever.build(CHUNKS)
    assert bm25.search("de la y el", 3) == []
    assert bm25.search("zzzz", 3) == []
