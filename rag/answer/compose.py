"""Spanish answer text and its citations, from a table cell, a sentence or a comparison.

Citations point at the narrowest line span that holds the figure: for a
cell, from its row label to its own line (so the row is readable next to the
figure); for prose, the lines of the sentence. ``quote`` is always the exact
text of those lines, so anyone can check it against the report.
"""

from __future__ import annotations

import re

from rag.query import years_in
from rag.text import fold
from rag.types import Citation, Document, Table, TableRef, section_label

_PARENS_UNIT = re.compile(r"\(([^()]*(?:pesos|porcentual|porcentaje|miles|millones|personas)[^()]*)\)", re.IGNORECASE)
_PERCENT_HEADER = re.compile(r"\b(var|porcentual|estructura|porcentaje)\b")  # "VAR. %", not "variable"


def spanish_unit(raw: str) -> str:
    """Units as prose: "Miles de Personas" -> "miles de personas"; acronyms ("MDP") stay."""
    unit = " ".join(raw.split()).strip()
    folded = fold(unit)
    if folded in {"porcentaje", "por ciento", "%", "distribucion porcentual"}:
        return "por ciento"
    return " ".join(w if w.isupper() and 2 <= len(w) <= 5 and not unit.isupper() else w.lower() for w in unit.split())


def cell_unit(table: Table, row: int, column: int, unit_cells: dict[int, str]) -> str:
    """The unit of one cell: its column's percent marker or unit, the row's unit cell, or the table's unit."""
    header = " ".join(table.columns[column].header)
    cell = table.cell(row, column)
    folded = fold(header)
    if (cell and "percent" in cell.flags) or "%" in folded or _PERCENT_HEADER.search(folded):
        return "por ciento"
    parens = _PARENS_UNIT.search(header)
    if parens:
        return spanish_unit(parens.group(1))
    if unit_cells.get(row):
        return spanish_unit(unit_cells[row])
    if cell and "currency" in cell.flags and not table.unit:
        return "pesos"
    return spanish_unit(table.unit) if table.unit else ""


def unit_column_values(table: Table) -> dict[int, str]:
    """Per row, the text of a "UNIDAD DE MEDIDA" column, blanks read as "same as above"."""
    # "Unidad de medida", "Unidad" - not "Unidades implementadoras", a column of counts
    columns = [c.index for c in table.columns if re.search(r"\bunidad(es)? de medida$|\bunidad$", fold(" ".join(c.header)).strip())]
    if not columns:
        return {}
    values: dict[int, str] = {}
    last = ""
    for row in table.rows:
        cell = table.cell(row.index, columns[0])
        if cell and cell.value is not None:
            cell = None  # a figure is never a unit
        if cell and cell.text:
            last = cell.text
        values[row.index] = cell.text if cell and cell.text else last
    return values


def period_label(table: Table, row: int, column: int, document: Document) -> str:
    years = years_in(" ".join(table.columns[column].header)) or years_in(" ".join(table.row_path(row))) or years_in(table.title)
    if years:
        return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return document.meta.period


def cell_citation(table: Table, row: int, column: int, document: Document) -> Citation:
    """The cell's whole row: its label and every figure of it, so the figure is read in context."""
    cell = table.cell(row, column)
    assert cell is not None
    first = min(table.rows[row].start, cell.line)
    last = max(table.rows[row].end, cell.line)
    return Citation(
        source=table.source,
        lines=(first, last),
        section=section_label(table.section),
        title=document.meta.title,
        quote=document.text_at(first, last),
        table=TableRef(
            table.id, table.title, " › ".join(table.row_path(row)), table.columns[column].label, cell_unit(table, row, column, unit_column_values(table))
        ),
    )


def sentence_citation(document: Document, start: int, end: int, section: tuple[str, ...]) -> Citation:
    return Citation(
        source=document.meta.source,
        lines=(start, end),
        section=section_label(section),
        title=document.meta.title,
        quote=document.text_at(start, end),
    )


def cell_answer_text(table: Table, row: int, column: int, document: Document) -> str:
    cell = table.cell(row, column)
    assert cell is not None
    unit = cell_unit(table, row, column, unit_column_values(table))
    figure = " ".join(cell.text.replace("\\$", "$").split())
    if "preliminary" in cell.flags:
        figure = re.sub(r"\s*\^?\{?p/\}?", "", figure) + " (cifra preliminar)"
    value = f"{figure} {unit}".strip() if unit != "por ciento" or "%" not in figure else figure
    row_text = row_subject(table, row)
    period = period_label(table, row, column, document)
    return (
        f"Según {document.meta.short_title}, {row_text} ({table.institution}, {period}): {value} "
        f"(cuadro «{table.title}», fila «{table.rows[row].label}», columna «{table.columns[column].label}»)."
    )


def row_subject(table: Table, row: int) -> str:
    """What a row is about, in words: "TOTAL › Pensionados" says "Pensionados"; a lone "TOTAL" says the table's title."""
    path = list(table.row_path(row))
    if len(path) > 1 and _is_total_label(path[0]):
        path = path[1:]
    if len(path) == 1 and _is_total_label(path[0]):
        title = table.title.capitalize() if table.title.isupper() else table.title
        return f"{title}, total"
    return " › ".join(path)


def _is_total_label(label: str) -> bool:
    return fold(label).strip().startswith(("total", "suma"))


def sentence_answer_text(document: Document, text: str) -> str:
    body = " ".join(text.split())
    return f"Según {document.meta.short_title}: «{body}»"


NO_ANSWER = "No encontré ese dato en los informes disponibles"


def abstention_text(reason: str) -> str:
    return f"{NO_ANSWER}{': ' + reason if reason else ''}. Revise las fuentes más cercanas que se muestran."
