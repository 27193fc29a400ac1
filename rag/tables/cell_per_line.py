"""Parse "one cell per line" tables (2012 Cuenta Pública).

Shape of a region (tab-indented cells, blank lines between groups)::

    \\tTITLE                      <- title (may wrap onto a non-indented line)
    ( Miles de Personas )        <- unit line
    \\tSTUB\\t2 0 1 1 ...          <- header rows: one blank-separated group each,
    \\t\\tAprobada ...              first cell heads the label column
    \\tRow label                  <- data rows: label, then one value per line
    \\t54 906.4
    ...
    1/ footnotes, NOTA:, FUENTE:  <- notes

A header row with fewer cells than there are value columns has spanning
cells; the extra width goes to the cells that group columns in these
reports: years (the later one first), "METAS", "ESTRUCTURA PORCENTUAL" and
unit cells such as "( Millones de Pesos )".
"""

from __future__ import annotations

import re
from collections import Counter

from rag.layout import Region
from rag.numbers import parse_cell
from rag.tables.draft import DraftRow, DraftTable, clean_label, footnote_marks
from rag.text import despace_digits
from rag.types import Document, SectionPath

_UNIT_LINE = re.compile(r"^\s*\(\s*([^()]+?)\s*\)\s*$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_GROUP_WORDS = ("METAS", "ESTRUCTURA")
_NOTE_START = re.compile(r"^(\d/\s|NOTA|FUENTE|\*)")

Line = tuple[int, str]  # (1-based line number, raw text)


def parse(document: Document, region: Region, section: SectionPath) -> DraftTable:
    lines = [(n, document.lines[n - 1]) for n in range(region.start, region.end + 1)]
    groups = _groups(lines)
    draft = DraftTable(document, "cell_per_line", region.start, region.end, section=section)
    title_group = groups.pop(0)
    draft.title = " ".join(text.strip() for _, text in title_group)
    body_at = next((i for i, g in enumerate(groups) if _is_data_row(g) or _is_group_label(g)), len(groups))
    header_groups = groups[:body_at]
    draft.unit = _unit(header_groups)
    header_rows = _header_rows(header_groups)
    width = _value_width(groups[body_at:])
    draft.headers = _align_headers(header_rows, width)
    draft.header_lines = [None] * width
    _body(draft, groups[body_at:], width, title_group[0][1].strip())
    return draft


def _groups(lines: list[Line]) -> list[list[Line]]:
    groups: list[list[Line]] = [[]]
    for number, text in lines:
        if text.strip(" ") == "":
            if groups[-1]:
                groups.append([])
            continue
        groups[-1].append((number, text))
    return [g for g in groups if g]


def _is_value(text: str) -> bool:
    parsed = parse_cell(text)
    return parsed.value is not None or bool({"nd", "na"} & set(parsed.flags))


def _is_data_row(group: list[Line]) -> bool:
    first = group[0][1]
    return first.startswith("\t") and not _is_value(first) and any(_is_value(t) for _, t in group[1:] if t.startswith("\t"))


def _is_group_label(group: list[Line]) -> bool:
    """A lone sentence-like cell ("Resolver las solicitudes ... siete días") heads rows, not columns."""
    raw = group[0][1]
    text = raw.strip()
    return len(group) == 1 and raw.startswith("\t") and len(text) > 25 and any(ch.islower() for ch in text)


def _unit(header_groups: list[list[Line]]) -> str:
    for group in header_groups:
        for _, text in group:
            match = _UNIT_LINE.match(text)
            if match:
                return match.group(1).strip()
    return ""


def _header_rows(groups: list[list[Line]]) -> list[list[str]]:
    """Header rows as cell lists; non-indented lines continue the previous cell."""
    rows: list[list[str]] = []
    for group in groups:
        cells: list[str] = []
        for _, text in group:
            if not text.startswith("\t") and _UNIT_LINE.match(text) and len(group) == 1:
                continue  # a unit line on its own is not a header cell
            if not text.startswith("\t") and (cells or rows):
                target = cells if cells else rows[-1]
                target[-1] = f"{target[-1]} {text.strip()}".strip()
                continue
            cell = despace_digits(text.strip())
            unit = _UNIT_LINE.match(cell)
            cells.append(unit.group(1).strip() if unit else cell)
        if cells:
            if not group[0][1].startswith("\t") and rows:
                rows[-1].extend(cells)
            else:
                rows.append(cells)
    return rows


def _value_width(groups: list[list[Line]]) -> int:
    counts = Counter(sum(1 for _, t in g[1:] if t.startswith("\t")) for g in groups if _is_data_row(g))
    return counts.most_common(1)[0][0] if counts else 0


def _span_priority(cell: str, position: int) -> float:
    if _YEAR.match(cell):
        return 2.0 + position / 100  # the later year spans first
    if cell.upper().startswith(_GROUP_WORDS) or cell.lower().startswith(("millones", "miles")):
        return 2.0
    return 0.0 if not cell else 1.0


def _align_headers(rows: list[list[str]], width: int) -> list[tuple[str, ...]]:
    """One header path per value column, upper rows first."""
    paths: list[list[str]] = [[] for _ in range(width)]
    for row in rows:
        cells = row[1:]  # the first cell heads the label column
        while len(cells) > width and cells and not cells[-1]:
            cells.pop()
        spans = [1] * len(cells)
        for _ in range(max(width - len(cells), 0)):
            # each spanning candidate widens once before any widens twice
            best = max(range(len(cells)), key=lambda i: (_span_priority(cells[i], i) - 10 * (spans[i] - 1), i), default=None)
            if best is None:
                break
            spans[best] += 1
        column = 0
        for cell, span in zip(cells, spans, strict=True):
            for _ in range(span):
                if column < width and cell:
                    paths[column].append(cell)
                column += 1
    return [_phrase(p) for p in paths]


def _phrase(parts: list[str]) -> tuple[str, ...]:
    """Re-join header words split over rows: ("UNIDAD", "DE", "MEDIDA") -> ("UNIDAD DE MEDIDA",)."""
    joined: list[str] = []
    for part in parts:
        if joined and (part.upper() in {"DE", "DEL"} or joined[-1].upper().endswith((" DE", " DEL")) or joined[-1].upper() in {"DE", "DEL"}):
            joined[-1] = f"{joined[-1]} {part}"
        else:
            joined.append(part)
    return tuple(joined)


def _body(draft: DraftTable, groups: list[list[Line]], width: int, title_line: str) -> None:
    in_notes = False
    skipping_header = False
    for group in groups:
        first_no, first = group[0]
        text = first.strip()
        if text == title_line:
            skipping_header = True  # "-Continuación-": title and header printed again
            continue
        if skipping_header and not _is_data_row(group):
            continue
        skipping_header = False
        if in_notes or _NOTE_START.match(text):
            in_notes = True
            draft.notes.extend(t.strip() for _, t in group)
            continue
        if _is_data_row(group):
            draft.rows.append(_data_row(group, width))
        elif text.startswith("·") or text.endswith(":") or len(text) > 100:
            draft.notes.extend(t.strip() for _, t in group)  # commentary under indicator rows
        elif text and not all(_is_value(t) for _, t in group):
            draft.add_group(text, first_no)


def _data_row(group: list[Line], width: int) -> DraftRow:
    label_parts = [group[0][1].strip()]
    cells: list[tuple[str, int]] = []
    for number, text in group[1:]:
        if not text.startswith("\t") and not cells:
            label_parts.append(text.strip())  # "Estudiantes y Seguro" / "Facultativo"
        elif text.startswith("\t"):
            cells.append((text.strip(), number))
    cells = (cells + [("", group[-1][0])] * width)[:width]
    raw = " ".join(label_parts)
    return DraftRow(clean_label(raw), group[0][0], max(n for _, n in cells), cells, marks=footnote_marks(raw))
