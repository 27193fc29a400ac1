"""Parse the indicator fact sheets of the IMSS progress report's annex.

Each sheet starts at "ELEMENTOS DE LA META DE BIENESTAR" / "ELEMENTOS DEL
PARÁMETRO" and yields two tables:

1. the SERIE HISTÓRICA: the header line "Valor de la línea base (2018) ...
   Meta 2024" (sometimes split over two lines) and the values line under it,
   as one row named after the indicator;
2. the variables of the calculation method ("Nombre de la variable ... Valor
   de la variable en 2023 ..."), one row per variable.

The sheet's name, unit of measure and definition (the ELEMENTOS block) become
the tables' title, unit and notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from rag.tables.draft import DraftRow, DraftTable, clean_label, footnote_marks
from rag.tables.tsv import cells_of
from rag.types import Document, SectionPath

ANCHOR = re.compile(r"^ELEMENTOS (DE LA META DE BIENESTAR|DEL PARÁMETRO)")
_SERIES_HEADER = re.compile(r"^Valor de la línea base")
_VARIABLES_HEADER = re.compile(r"^Nombre de la variable")
_SHEET_END = re.compile(r"^(\d\.\d{1,2}( Parámetro)?|GLOSARIO|\d\.?- )$|^ELEMENTOS ")
_FIELDS = ("Nombre", "Unidad de medida", "Definición", "Método de cálculo", "Tendencia esperada", "Periodicidad o frecuencia de medición")


def sheet_ranges(document: Document) -> Iterator[tuple[int, int]]:
    """(first, last) 1-based lines of every fact sheet."""
    starts = [i + 1 for i, line in enumerate(document.lines) if ANCHOR.match(line.strip())]
    for k, start in enumerate(starts):
        end = (starts[k + 1] - 1) if k + 1 < len(starts) else len(document.lines)
        for n in range(start + 1, end + 1):
            if _SHEET_END.match(document.lines[n - 1].strip()) and not document.lines[n - 1].startswith("\t"):
                end = n - 1
                break
        yield start, end


def parse(document: Document, start: int, end: int, section: SectionPath) -> list[DraftTable]:
    fields = _elements(document, start, end)
    name = fields.get("Nombre", "")
    unit = fields.get("Unidad de medida", "")
    notes = [f"{key}: {fields[key]}" for key in _FIELDS[2:] if fields.get(key)]
    tables = []
    for builder in (_series, _variables):
        draft = builder(document, start, end, section)
        if draft is not None:
            draft.title = draft.title.replace("{name}", name)
            for row in draft.rows:
                row.label = name if row.label == "{name}" else row.label
            # the unit of measure is the indicator's; its variables count other things (defunciones, días)
            draft.unit = unit if builder is _series else ""
            draft.notes = [f"Unidad de medida del indicador: {unit}", *notes, *draft.notes] if unit else notes + draft.notes
            tables.append(draft)
    return tables


def _elements(document: Document, start: int, end: int) -> dict[str, str]:
    fields: dict[str, str] = {}
    for n in range(start + 1, end + 1):
        cells = [c for c in cells_of(document.lines[n - 1]) if c]
        for key_at in range(0, len(cells) - 1, 2):
            key = cells[key_at]
            if key in _FIELDS and key not in fields:
                fields[key] = cells[key_at + 1]
    return fields


def _next_nonblank(document: Document, n: int, end: int) -> int | None:
    for m in range(n + 1, end + 1):
        if document.lines[m - 1].strip():
            return m
    return None


def _series(document: Document, start: int, end: int, section: SectionPath) -> DraftTable | None:
    header_at = next((n for n in range(start, end + 1) if _SERIES_HEADER.match(document.lines[n - 1])), None)
    if header_at is None:
        return None
    header = cells_of(document.lines[header_at - 1])
    values_at = _next_nonblank(document, header_at, end)
    if values_at is None:
        return None
    second = cells_of(document.lines[values_at - 1])
    if second and second[0].startswith("("):  # header split: "Resultado" / "2019"
        header = [f"{a} {b}".strip() for a, b in zip(header, second + [""] * len(header), strict=False)]
        values_at = _next_nonblank(document, values_at, end)
        if values_at is None:
            return None
    values = cells_of(document.lines[values_at - 1])
    width = max(len([h for h in header if h]), len([v for v in values if v]))
    header = (header + [""] * width)[:width]
    header = [h or ("Meta 2024" if i == width - 1 else f"Columna {i + 1}") for i, h in enumerate(header)]
    draft = DraftTable(document, "factsheet", header_at, values_at, section=section, title="{name}", id_suffix="-serie")
    draft.headers = [(h,) for h in header]
    draft.header_lines = [header_at] * width
    cells = [(v, values_at) for v in (values + [""] * width)[:width]]
    draft.rows.append(DraftRow("{name}", values_at, values_at, cells))  # the row is its values line; the header line heads the columns
    return draft


def _variables(document: Document, start: int, end: int, section: SectionPath) -> DraftTable | None:
    header_at = next((n for n in range(start, end + 1) if _VARIABLES_HEADER.match(document.lines[n - 1])), None)
    if header_at is None:
        return None
    header = [c for c in cells_of(document.lines[header_at - 1]) if c]  # columns are compacted: see module doc
    draft = DraftTable(document, "factsheet", header_at, header_at, section=section, title="Variables del indicador {name}", id_suffix="-variables")
    draft.headers = [(h,) for h in header[1:]]
    draft.header_lines = [header_at] * len(draft.headers)
    for n in range(header_at + 1, end + 1):
        line = document.lines[n - 1]
        if not line.strip():
            continue
        cells = [c for c in cells_of(line) if c]
        if "\t" not in line or len(cells) < 2:
            break
        values = [(c, n) for c in cells[1 : 1 + len(draft.headers)]]
        values += [("", n)] * (len(draft.headers) - len(values))
        draft.rows.append(DraftRow(clean_label(cells[0]), n, n, values, marks=footnote_marks(cells[0])))
        draft.end = n
    return draft if draft.rows else None
