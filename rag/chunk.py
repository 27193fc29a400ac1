"""Split documents into section-aware passage chunks with exact line spans.

* Prose: consecutive blocks of one section are split with LangChain's
  ``RecursiveCharacterTextSplitter`` (paragraphs first, then lines,
  sentences, words). A chunk never spans two sections.
* Table regions: LangChain's ``CharacterTextSplitter`` on row separators. It
  merges whole rows up to the size and never cuts inside one, so a table row
  is never split across chunks (an oversized row stays whole).

Every chunk's ``text`` is an exact substring of its cited lines: provenance is
computed from character offsets, never guessed. The document title and
section path go into ``context``, which is indexed but not cited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

from langchain_text_splitters import CharacterTextSplitter, RecursiveCharacterTextSplitter

from rag.types import Block, Chunk, Document, Span, section_label

_PROSE_SEPARATORS = ["\n\n", "\n", ". ", "; ", ", ", " ", ""]


def chunk_document(document: Document, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """All passage chunks of ``document``, in line order."""
    prose = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=chunk_overlap,
        separators=_PROSE_SEPARATORS,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for run in _section_runs(document.blocks):
        start, end = run[0].span.start, run[-1].span.end
        text = document.text_at(start, end)
        if run[0].kind == "table":
            pieces = _table_pieces(text, chunk_size)
        else:
            pieces = [(d.page_content, int(d.metadata["start_index"])) for d in prose.create_documents([text])]
        body = next((b for b in run if b.kind != "heading"), run[-1])
        chunks.extend(_to_chunk(document, body, text, start, piece, offset) for piece, offset in pieces)
    return _unique_ids(chunks)


def _unique_ids(chunks: list[Chunk]) -> list[Chunk]:
    """A long line split in two gives two chunks with one line span: the second becomes ``doc:99-99#2``.

    Ids key fusion and the chunk table, so two units must never share one.
    """
    seen: dict[str, int] = {}
    unique = []
    for chunk in chunks:
        seen[chunk.id] = seen.get(chunk.id, 0) + 1
        unique.append(chunk if seen[chunk.id] == 1 else replace(chunk, id=f"{chunk.id}#{seen[chunk.id]}"))
    return unique


def _section_runs(blocks: Sequence[Block]) -> Iterator[list[Block]]:
    """Group blocks into runs: a table alone; otherwise headings plus the text of one section."""
    run: list[Block] = []
    for block in blocks:
        has_text = any(b.kind != "heading" for b in run)
        starts_new = (
            block.kind == "table"
            or (run and run[-1].kind == "table")
            or (block.kind == "heading" and has_text)
            or (has_text and block.section != run[-1].section)
        )
        if starts_new and run:
            yield run
            run = []
        run.append(block)
    if run:
        yield run


def _table_pieces(text: str, chunk_size: int) -> list[tuple[str, int]]:
    """Whole-row pieces of a table region with their offsets in ``text``."""
    separator = "\n\n" if "\n\n" in text else "\n"
    splitter = CharacterTextSplitter(separator=separator, chunk_size=chunk_size, chunk_overlap=0, keep_separator=False, add_start_index=True)
    logging.getLogger("langchain_text_splitters.base").setLevel(logging.ERROR)  # oversized rows are kept whole on purpose
    return [(d.page_content, int(d.metadata["start_index"])) for d in splitter.create_documents([text])]


def _to_chunk(document: Document, first: Block, run_text: str, run_start: int, piece: str, offset: int) -> Chunk:
    if offset < 0 or run_text[offset : offset + len(piece)] != piece:
        offset = run_text.find(piece)  # the splitter's index is a hint; the substring is the truth
    start = run_start + run_text.count("\n", 0, offset)
    end = start + piece.count("\n")
    span = Span(document.meta.source, start, end)
    section = first.section
    context = f"{document.meta.short_title} — {section_label(section)}" if section else document.meta.short_title
    return Chunk(
        id=f"{document.meta.id}:{start}-{end}",
        doc_id=document.meta.id,
        kind="passage",
        text=piece,
        span=span,
        section=section,
        context=context,
    )
