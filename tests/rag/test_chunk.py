from rag.chunk import chunk_document
from rag.settings import Settings
from rag.tables import extract_tables, row_units
from rag.types import Document

SIZE, OVERLAP = Settings().chunk_size, Settings().chunk_overlap


def test_every_chunk_is_exactly_what_its_lines_say(corpus_docs: dict[str, Document]) -> None:
    for doc in corpus_docs.values():
        for chunk in chunk_document(doc, SIZE, OVERLAP):
            cited = doc.text_at(chunk.span.start, chunk.span.end)
            assert chunk.text in cited, chunk.id
            assert chunk.text.strip(), chunk.id
            assert chunk.span.source == doc.meta.source and chunk.doc_id == doc.meta.id
            # the first and last cited lines really hold the chunk's first and last characters
            assert doc.lines[chunk.span.start - 1].strip() and doc.lines[chunk.span.end - 1].strip()


def test_chunks_keep_section_and_document_context(corpus_docs: dict[str, Document]) -> None:
    doc = corpus_docs["cuenta-publica-2012-proteccion-social.txt"]
    chunk = next(c for c in chunk_document(doc, SIZE, OVERLAP) if c.span.start <= 198 <= c.span.end)
    assert chunk.section == ("IMSS", "POBLACIÓN DERECHOHABIENTE")
    assert chunk.context.startswith("Cuenta Pública 2012 — IMSS › POBLACIÓN DERECHOHABIENTE")
    assert "57 475.9" in chunk.text.replace("\u00a0", " ")


def test_no_table_row_is_cut_between_chunks(corpus_docs: dict[str, Document]) -> None:
    for doc in corpus_docs.values():
        chunks = chunk_document(doc, SIZE, OVERLAP)
        for table in extract_tables(doc):
            for row in table.rows:
                holders = [c for c in chunks if c.span.start <= row.start and row.end <= c.span.end]
                assert holders, f"{table.id} row {row.label!r} ({row.start}-{row.end}) is split"


def test_chunk_size_is_respected_except_for_single_oversized_rows(corpus_docs: dict[str, Document]) -> None:
    for doc in corpus_docs.values():
        for chunk in chunk_document(doc, SIZE, OVERLAP):
            if len(chunk.text) > SIZE:
                assert chunk.span.start == chunk.span.end or "\t" in chunk.text, chunk.id  # one long line or one table row


def test_unit_ids_are_unique_even_when_a_long_line_is_split(corpus_docs: dict[str, Document]) -> None:
    settings = Settings()
    chunks = [c for d in corpus_docs.values() for c in chunk_document(d, settings.chunk_size, settings.chunk_overlap)]
    rows = [u for d in corpus_docs.values() for t in extract_tables(d) for u in row_units(t)]
    ids = [u.id for u in chunks + rows]
    assert len(ids) == len(set(ids))
    assert any("#" in i for i in ids)  # the corpus has such lines: the rule is exercised
