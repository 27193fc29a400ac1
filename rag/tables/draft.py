"""Mutable drafts the layout parsers fill in, turned into frozen ``Table``s here.

Keeping this step in one place means every layout gets the same cell
parsing, hierarchy inference, institution attribution and ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.numbers import CellValue, parse_cell
from rag.tables.hierarchy import parents_by_sum
from rag.text import despace_digits, fold
from rag.types import Cell, Column, Document, Row, SectionPath, Span, Table, TableLayout

# Most specific first: "IMSS-BIENESTAR" must win over "IMSS".
_INSTITUTIONS = (
    ("IMSS-BIENESTAR", ("imss-bienestar", "imss bienestar")),
    ("PENSIONISSSTE", ("pensionissste",)),
    ("FOVISSSTE", ("fovissste",)),
    ("ISSSTE", ("issste", "seguridad y servicios sociales de los trabajadores del estado", "seguridad y servicio social de los trabajadores del estado")),
    ("SNDIF", ("sndif", "desarrollo integral de la familia", " dif")),
    ("IMSS", ("imss", "instituto mexicano del seguro social")),
)
_FOOTNOTE_MARK = re.compile(r"\s*(\^\{\d+/\}|\b\d/)\s*$")


def institution_of(text: str) -> str | None:
    folded = f" {fold(text)} "
    for name, needles in _INSTITUTIONS:
        if any(needle in folded for needle in needles):
            return name
    return None


def footnote_marks(text: str) -> tuple[str, ...]:
    """ "Familiares de Asegurados  3/" -> ("3/",); "Meta de reservas ^{1/}" -> ("1/",)."""
    return tuple(m.group(1) or m.group(2) for m in re.finditer(r"\^\{(\d+/)\}|(?<![\d/])(\d/)\s*$", text.strip()))


def clean_label(text: str) -> str:
    """ "Familiares de Asegurados  3/" -> "Familiares de Asegurados"; "T O T A L" -> "TOTAL"."""
    text = despace_digits(re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip())
    while True:
        stripped = _FOOTNOTE_MARK.sub("", text).strip()
        if stripped == text:
            return text.strip("*").strip()
        text = stripped


@dataclass
class DraftRow:
    label: str
    start: int
    end: int
    cells: list[tuple[str, int]] = field(default_factory=list)  # (printed text, line), one per column
    group: bool = False  # a label-only row that heads the rows below it
    parent: int | None = None
    marks: tuple[str, ...] = ()  # footnote marks printed after the label: ("2/",)


@dataclass
class DraftTable:
    document: Document
    layout: TableLayout
    start: int
    end: int
    title: str = ""
    unit: str = ""
    headers: list[tuple[str, ...]] = field(default_factory=list)
    header_lines: list[int | None] = field(default_factory=list)
    rows: list[DraftRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    section: SectionPath = ()
    id_suffix: str = ""
    lead: str = ""

    def add_group(self, label: str, line: int) -> None:
        self.rows.append(DraftRow(clean_label(label), line, line, [], group=True))

    def finish(self, source_hint: str = "") -> Table | None:
        rows = [r for r in self.rows if r.label or r.cells]
        width = len(self.headers)
        if not rows or width == 0:
            return None
        parsed = [[parse_cell(text) for text, _ in r.cells] for r in rows]
        _assign_parents(rows, parsed)
        cells = tuple(
            Cell(i, j, text.strip(), value.value, value.decimals, value.flags, line)
            for i, row in enumerate(rows)
            for j, ((text, line), value) in enumerate(zip(row.cells[:width], parsed[i][:width], strict=True))
        )
        doc = self.document
        institution = institution_of(" ".join((*self.section[:1], self.title))) or institution_of(source_hint)
        if institution == "IMSS" and "imss-bienestar" in fold(" ".join((*self.section, self.title, rows[0].label))):
            institution = "IMSS-BIENESTAR"  # the programme's own indicators, inside an IMSS chapter
        return Table(
            id=f"{doc.meta.id}-L{self.start}{self.id_suffix}",
            doc_id=doc.meta.id,
            source=doc.meta.source,
            section=self.section,
            title=clean_label(self.title) or "(sin título)",
            unit=self.unit,
            institution=institution or doc.meta.institutions[0],
            span=Span(doc.meta.source, self.start, self.end),
            layout=self.layout,
            columns=tuple(Column(j, h, self.header_lines[j] if j < len(self.header_lines) else None) for j, h in enumerate(self.headers)),
            rows=tuple(Row(i, r.label, r.parent, r.start, r.end, _note_for(r.marks, self.notes)) for i, r in enumerate(rows)),
            cells=cells,
            notes=tuple(self.notes),
            lead=self.lead,
        )


def _note_for(marks: tuple[str, ...], notes: list[str]) -> str:
    """The footnote texts a row's marks refer to."""
    found = []
    for mark in marks:
        for note in notes:
            text = note.strip()
            if text.startswith((mark, f"^{{{mark}}}")):
                found.append(text)
                break
    return " ".join(found)


def _assign_parents(rows: list[DraftRow], parsed: list[list[CellValue]]) -> None:
    """Explicit parents (set by the parser) win; then arithmetic; then the enclosing group row."""
    numeric = [[c.value for c in cells] for cells in parsed]
    width = max((len(cells) for cells in parsed), default=0)
    decimals = [max((cells[j].decimals for cells in parsed if j < len(cells) and cells[j].value is not None), default=0) for j in range(width)]
    by_sum = parents_by_sum(numeric, decimals)
    _bottom_total(rows, numeric, decimals, by_sum)
    group: int | None = None
    for i, row in enumerate(rows):
        if row.group:
            group = i
            continue
        if row.parent is None:
            row.parent = by_sum[i] if by_sum[i] is not None else group


def _bottom_total(rows: list[DraftRow], numeric: list[list[float | None]], decimals: list[int], parents: list[int | None]) -> None:
    """A last row labelled "Total" that equals the sum of the top-level rows above it is their parent."""
    last = len(rows) - 1
    total = numeric[last][0] if last >= 2 and numeric[last] else None
    if total is None or not fold(rows[last].label).startswith("total"):
        return
    tops = [i for i in range(last) if parents[i] is None and not rows[i].group]
    values = [numeric[i][0] if numeric[i] else None for i in tops]
    if any(v is None for v in values):
        return
    tolerance = 0.5 * 10 ** -(decimals[0] if decimals else 0) * len(tops) + 1e-9
    if abs(sum(v for v in values if v is not None) - total) <= tolerance:
        for i in tops:
            parents[i] = last
