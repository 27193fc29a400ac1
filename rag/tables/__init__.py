"""Tables as data: find every table of a document, parse it, describe its rows.

``extract_tables(document)`` dispatches each region found by ``rag.layout``
to the parser of its layout (cell per line, tab-separated, fact sheet,
label/value). ``row_units(table)`` turns each row into a retrievable unit
whose text carries the table title, unit, institution and headers, so that
hybrid search can find a row on its own.
"""

from __future__ import annotations

from rag.layout import find_table_regions
from rag.tables import cell_per_line, factsheet, label_value, tsv
from rag.tables.draft import DraftTable
from rag.types import Chunk, Document, Span, Table, section_label


def _section_at(document: Document, line: int) -> tuple[str, ...]:
    section: tuple[str, ...] = ()
    for block in document.blocks:
        if block.span.start > line:
            break
        section = block.section
    return section


def _is_toc(document: Document, start: int) -> bool:
    above = [document.lines[n - 1].strip() for n in range(max(1, start - 3), start)]
    return "Índice" in above


def _fuente(document: Document, end: int) -> str:
    """The "FUENTE:" line closing a table, which names the reporting institution."""
    for n in range(end, min(end + 8, len(document.lines)) + 1):
        text = document.lines[n - 1].strip()
        if text.upper().startswith("FUENTE"):
            return text
    return ""


_LEAD_CHARS = 400


_LEAD_REACH = 40  # lines: far enough to pass a caption and a sibling table, not a whole section


def _lead(document: Document, start: int) -> str:
    """The paragraph introducing a table: the nearest real paragraph above it in the same section.

    Captions and sibling tables in between are skipped, so the three tables
    under one paragraph ("Cifras del periodo ...") share its description.
    """
    for block in reversed([b for b in document.blocks if b.span.end < start]):
        if start - block.span.end > _LEAD_REACH or (block.kind == "heading" and not _is_caption(block.text)):
            return ""
        if block.kind in ("paragraph", "list_item") and len(block.text) > 80:
            return " ".join(block.text.split())[-_LEAD_CHARS:]
    return ""


def _is_caption(text: str) -> bool:
    return text.lower().startswith(("cifras", "fuente", "nota")) or text.isupper()


def extract_tables(document: Document) -> list[Table]:
    drafts: list[tuple[DraftTable, str]] = []
    sheets = list(factsheet.sheet_ranges(document))
    in_sheet = {n for start, end in sheets for n in range(start, end + 1)}
    for region in find_table_regions(document.lines):
        section = _section_at(document, region.start)
        if region.layout == "cell_per_line":
            drafts.append((cell_per_line.parse(document, region, section), _fuente(document, region.end)))
        elif region.layout == "tsv" and region.start not in in_sheet and not _is_toc(document, region.start):
            draft = tsv.parse(document, region, section)
            if draft is not None:
                drafts.append((draft, ""))
        elif region.layout == "label_value":
            lv = label_value.parse(document, region, section, document.blocks)
            if lv is not None:
                drafts.append((lv, ""))
    for start, end in sheets:
        drafts.extend((d, "") for d in factsheet.parse(document, start, end, _section_at(document, start)))
    for draft, _ in drafts:
        draft.lead = draft.lead or _lead(document, draft.start)
    tables = [t for d, hint in drafts if (t := d.finish(hint)) is not None]
    return sorted(tables, key=lambda t: t.span.start)


def render_row(table: Table, row_index: int) -> str:
    """One row as text: where it sits, then "column: value" pairs."""
    row = table.rows[row_index]
    path = " › ".join(table.row_path(row_index))
    values = []
    for cell in table.cells:
        if cell.row == row_index and cell.text:
            values.append(f"{table.columns[cell.column].label or 'valor'}: {cell.text}")
    if row.note:
        values.append(f"nota: {row.note}")
    unit = f" ({table.unit})" if table.unit else ""
    lead = f" — {table.lead[-200:]}" if table.lead and table.lead not in table.title else ""
    head = f"{table.title}{unit} — {table.institution}{lead}"
    return f"{head}\n{path}: " + "; ".join(values) if values else f"{head}\n{path}"


def row_units(table: Table) -> list[Chunk]:
    units = []
    for row in table.rows:
        span = Span(table.source, row.start, max(row.end, row.start))
        units.append(
            Chunk(
                id=f"{table.id}:r{row.index}",
                doc_id=table.doc_id,
                kind="table_row",
                text=render_row(table, row.index),
                span=span,
                section=table.section,
                context=section_label(table.section),
                table_id=table.id,
                row_index=row.index,
            )
        )
    return units
