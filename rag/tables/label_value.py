"""Parse the small "label  value" tables of the CONEVAL fact sheets.

Two shapes occur:

* one figure per line ("Entidades atendidas 32", "Población Objetivo (PO)
  40,497,488", "Meta: 94.00"): one column, named after a leading year line
  when there is one ("Valor 2020"), else "Valor";
* a year and several figures per line ("2016 1,419.37 487,852.24 0.29 %"):
  the column names are printed above the rows, one word per line; joined,
  they split after each "(n)" reference ("Presupuesto del Programa (MDP) (1)").

The title is the nearest heading above; the unit, when the sheet prints a
"Unidad de Medida" block just above, its value ("Persona").
"""

from __future__ import annotations

import re
from collections import Counter

from rag.layout import Region
from rag.numbers import find_numbers
from rag.tables.draft import DraftRow, DraftTable
from rag.types import Block, Document, SectionPath

_ROW = re.compile(r"^\s?(?P<label>.+?)[: ]\s*(?P<values>(?:(?:-?[\d.,']*\d(?:\s?%)?|ND|NA)\s*)+)$")
_YEAR_LINE = re.compile(r"^(?P<label>\D+?)\s+(?P<year>(19|20)\d\d)$")
_HEADER_LOOKBACK = 20


def parse(document: Document, region: Region, section: SectionPath, blocks: tuple[Block, ...]) -> DraftTable | None:
    lines = [(n, document.lines[n - 1].strip()) for n in range(region.start, region.end + 1) if document.lines[n - 1].strip()]
    draft = DraftTable(document, "label_value", region.start, region.end, section=section)
    draft.title = _nearest_heading(blocks, region.start) or (section[-1] if section else "")
    column = "Valor"
    year = _YEAR_LINE.match(lines[0][1])
    if year and len(lines) > 1 and ":" not in lines[0][1]:  # "Valor 2020" heads the column; "Año base: 2015" is a row
        column = lines[0][1]
        lines = lines[1:]
    for number, text in lines:
        match = _ROW.match(text)
        if not match:
            continue
        values = _split_values(match.group("values"))
        draft.rows.append(DraftRow(match.group("label").strip(), number, number, [(v, number) for v in values]))
    if not draft.rows:
        return None
    widths = Counter(len(r.cells) for r in draft.rows)
    width = widths.most_common(1)[0][0]
    if width > 1:  # "Año de inicio del programa: 2016" under the budget rows is a fact of its own
        draft.rows = [r for r in draft.rows if len(r.cells) == width]
        draft.end = draft.rows[-1].end
    for row in draft.rows:
        row.cells += [("", row.start)] * (width - len(row.cells))
    names = _column_names(document, region.start, width) if width > 1 else [column]
    draft.headers = [(h,) for h in names]
    draft.header_lines = [None] * width
    draft.unit = _unit_above(document, region.start)
    if width > 1:
        draft.title = f"{' / '.join(names)}, por año"  # the sheet prints no title over these columns
    elif draft.unit:
        draft.title = _nearest_heading(blocks, _line_of(document, "Unidad de Medida", region.start))
    return draft


def _line_of(document: Document, text: str, before: int) -> int:
    for n in range(before - 1, 0, -1):
        if document.lines[n - 1].strip() == text:
            return n
    return before


def _split_values(text: str) -> list[str]:
    if text.strip() in {"ND", "NA"}:
        return [text.strip()]
    found = find_numbers(text)
    return [text[n.start : n.end].strip() for n in found] or [text.strip()]


def _nearest_heading(blocks: tuple[Block, ...], line: int) -> str:
    title = ""
    for block in blocks:
        if block.span.start >= line:
            break
        if block.kind == "heading":
            title = block.text
    return title


def _column_names(document: Document, start: int, width: int) -> list[str]:
    above = [document.lines[n - 1].strip() for n in range(max(1, start - _HEADER_LOOKBACK), start)]
    if "Año" in above:
        above = above[above.index("Año") + 1 :]
    joined = re.sub(r"\s+", " ", " ".join(t for t in above if t))
    names = [n.strip() for n in re.split(r"(?<=\(\d\))\s+(?=[A-ZÁÉÍÓÚ%])", joined) if n.strip()]
    return names if len(names) == width else [f"Valor {i + 1}" for i in range(width)]


def _unit_above(document: Document, start: int) -> str:
    above = [document.lines[n - 1].strip() for n in range(max(1, start - 10), start)]
    if "Unidad de Medida" not in above:
        return ""
    candidates = [t for t in above[above.index("Unidad de Medida") + 1 :] if len(t) > 3 and not t.startswith("Valor")]
    return candidates[0] if candidates else ""
