"""Citation spans (rag/answer/compose.py, rag/answer/sentences.py): the narrowest lines that hold the figure."""

from __future__ import annotations

from rag.answer import compose
from rag.answer.sentences import split_sentences
from rag.types import Cell, Column, Row, Span, Table
from tests.rag.answer import fakes

# A five-line paragraph (lines 3-7) of three sentences; the figure's sentence is lines 4-6.
PARAGRAPH = """PENSIONES

El Instituto mantuvo sus programas
durante el ejercicio. Al cierre de 2012 se
cubrieron 3 245.1 miles de pensiones en curso
de pago. Las reservas se
invirtieron conforme a la ley.
"""


def test_a_sentence_is_cited_by_its_own_lines_not_its_paragraphs() -> None:
    document = fakes.report(PARAGRAPH)
    (paragraph,) = [b for b in document.blocks if b.kind == "paragraph"]
    assert (paragraph.span.start, paragraph.span.end) == (3, 7)
    sentences = list(split_sentences(document, 3, 7))
    assert [(first, last) for first, last, _ in sentences] == [(3, 4), (4, 6), (6, 7)]
    first, last, _ = next(s for s in sentences if "3 245.1" in s[2])
    citation = compose.sentence_citation(document, first, last, paragraph.section)
    assert citation.lines == (4, 6)
    assert "3 245.1" in citation.quote and citation.quote == document.text_at(4, 6)
    assert "3 245.1" not in document.text_at(4, 4) and "3 245.1" not in document.text_at(6, 6)  # nothing narrower holds it


# A cell-per-line table: row "Asegurados" spans lines 20-22, its 2012 figure on line 22.
TABLE_TEXT = "\n".join(["x"] * 16 + ["Concepto", "2011", "2012", "Asegurados", "15 000.0", "16 082.4", "Pensionados", "3 000.0", "3 245.1"])


def test_a_cell_is_cited_from_its_row_label_to_its_own_line() -> None:
    document = fakes.report(TABLE_TEXT)
    columns = (Column(0, ("Concepto",), 17), Column(1, ("2011",), 18), Column(2, ("2012",), 19))
    rows = (Row(0, "Asegurados", None, 20, 22), Row(1, "Pensionados", None, 23, 25))
    cells = (
        Cell(0, 1, "15 000.0", 15000.0, 1, (), 21),
        Cell(0, 2, "16 082.4", 16082.4, 1, (), 22),
        Cell(1, 1, "3 000.0", 3000.0, 1, (), 24),
        Cell(1, 2, "3 245.1", 3245.1, 1, (), 25),
    )
    span = Span(document.meta.source, 17, 25)
    table = Table("t", document.meta.id, document.meta.source, ("S",), "Afiliación", "Miles", "IMSS", span, "cell_per_line", columns, rows, cells)
    citation = compose.cell_citation(table, 0, 2, document)
    assert citation.lines == (20, 22)  # the row, not the whole table (17-25)
    assert citation.quote == "Asegurados\n15 000.0\n16 082.4" and "16 082.4" in citation.quote
    assert citation.table is not None and (citation.table.row, citation.table.column) == ("Asegurados", "2012")
    assert compose.cell_citation(table, 1, 1, document).lines == (23, 25)
