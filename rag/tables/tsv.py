"""Parse tab-separated tables (IMSS progress report, main text).

* Title: a one-cell first line ("Numeralia de Buenas Prácticas\\t"), or the
  caption printed just above the table (bold "**...**" lines, "Cifras del
  periodo ...").
* Header: the first line, plus following lines whose first cell is empty and
  that hold no figures ("\\tChatBot\\tCorreo..."). An upper header cell spans
  the empty cells to its right that have a lower header under them.
* Label: the first column; also the second when its header is empty and it
  holds text ("Parámetro 1" + "Avance financiero después de ...").
* A line repeating the header (page break) is skipped; a line repeating the
  header except for its first cell ("ALBERGUE DE HOSPITAL\\t% DE AVANCE...")
  opens a group of rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.layout import Region, is_tsv_line
from rag.numbers import parse_cell
from rag.query import years_in
from rag.tables.draft import DraftRow, DraftTable, clean_label, footnote_marks
from rag.types import Document, SectionPath

_CAPTION_LOOKBACK = 6
_UNIT_IN_TEXT = re.compile(r"\(([^()]*(?:pesos|porcentual|porcentaje|miles|millones)[^()]*)\)", re.IGNORECASE)


def cells_of(line: str) -> list[str]:
    return [c.strip() for c in line.split("\t")]


def _has_figure(cells: Sequence[str]) -> bool:
    return any(parse_cell(c).value is not None for c in cells[1:] if c)


def parse(document: Document, region: Region, section: SectionPath) -> DraftTable | None:
    lines = [(n, document.lines[n - 1]) for n in range(region.start, region.end + 1) if document.lines[n - 1].strip()]
    draft = DraftTable(document, "tsv", region.start, region.end, section=section)
    first = cells_of(lines[0][1])
    if len([c for c in first if c]) == 1 and len(lines) > 1 and first[0]:
        draft.title = first[0]
        lines = lines[1:]
    else:
        draft.title = _caption(document, region.start) or (section[-1] if section else "")
    if _is_data_line(cells_of(lines[0][1])):
        lines = [(lines[0][0], "\tDescripción"), *lines]  # rows of label + long text, no header printed
    header_count = 1
    while header_count < len(lines) and not cells_of(lines[header_count][1])[0] and not _has_figure(cells_of(lines[header_count][1])):
        header_count += 1
    if header_count >= len(lines):
        return None
    header_rows = [cells_of(text) for _, text in lines[:header_count]]
    width = max(len(r) for r in header_rows + [cells_of(t) for _, t in lines[header_count:]])
    header_rows = [r + [""] * (width - len(r)) for r in header_rows]
    paths = _header_paths(header_rows)
    body = [(n, cells_of(t) + [""] * (width - len(cells_of(t)))) for n, t in lines[header_count:]]
    stub = 2 if not any(paths[1]) and any(parse_cell(c[1]).value is None and c[1] for _, c in body) and width > 2 else 1
    draft.headers = [p for p in paths[stub:]]
    while draft.headers and not any(draft.headers[-1]) and all(not c[len(draft.headers) + stub - 1] for _, c in body):
        draft.headers.pop()  # trailing empty columns
    draft.header_lines = [lines[0][0]] * len(draft.headers)
    corner = header_rows[0][0]
    if corner and years_in(corner) and corner not in draft.title:
        draft.title = f"{draft.title} ({corner})"  # "Enero 2023 a junio 2024" over the labels is the table's period
    draft.unit = _unit(draft.title, corner)
    _rows(draft, body, header_rows, stub)
    return draft


def _is_data_line(cells: Sequence[str]) -> bool:
    """A first line whose cells read as content (long sentences), not as column names."""
    return any(len(c) > 60 for c in cells[1:])


def _caption(document: Document, start: int) -> str:
    """The short block printed just above the table (bold title, "Cifras del periodo ...")."""
    number = start - 1
    while number >= 1 and not document.lines[number - 1].strip() and start - number <= 3:
        number -= 1
    block: list[str] = []
    while number >= 1 and document.lines[number - 1].strip() and len(block) < 3:
        line = document.lines[number - 1]
        text = line.strip()
        if is_tsv_line(line) or len(text) > 200 or text.startswith(("·", "- ", "^{")):
            break
        if not text.startswith("**") and not text.endswith((":", "**")) and (len(text) > 120 or text.endswith(".")):
            break  # running prose, not a caption
        block.insert(0, text)
        number -= 1
    return " ".join(t.strip("*").strip() for t in block)


def _header_paths(rows: list[list[str]]) -> list[tuple[str, ...]]:
    width = len(rows[0])
    filled = [list(r) for r in rows]
    for level in range(len(rows) - 1):
        carry = ""
        for j in range(width):
            if filled[level][j]:
                carry = filled[level][j]
            elif carry and any(rows[lower][j] for lower in range(level + 1, len(rows))) and j > 0:
                filled[level][j] = carry
    return [tuple(filled[level][j] for level in range(len(rows)) if filled[level][j]) for j in range(width)]


def _unit(title: str, corner: str) -> str:
    """The unit of the whole table. A unit in one column's header ("Importe (millones de pesos)")
    belongs to that column only; ``rag.answer.compose.cell_unit`` reads it there."""
    for text in (title, corner):
        match = _UNIT_IN_TEXT.search(text)
        if match:
            return match.group(1).strip()
    return ""


def _rows(draft: DraftTable, body: list[tuple[int, list[str]]], header_rows: list[list[str]], stub: int) -> None:
    width = len(draft.headers)
    header = header_rows[0]
    group: int | None = None
    previous_label: int | None = None
    for number, cells in body:
        if cells in header_rows:
            continue  # header repeated after a page break
        if cells[0] and cells[1:] == header[1:]:
            draft.add_group(cells[0], number)
            group = len(draft.rows) - 1
            continue
        label = " — ".join(c for c in cells[:stub] if c)
        values = [(c, number) for c in cells[stub : stub + width]]
        row = DraftRow(clean_label(label), number, number, values + [("", number)] * (width - len(values)), marks=footnote_marks(label))
        if not cells[0] and previous_label is not None:
            row.label = draft.rows[previous_label].label  # a continuation line of the row above
            row.parent = previous_label
        else:
            row.parent = group
            previous_label = len(draft.rows)
        draft.rows.append(row)
