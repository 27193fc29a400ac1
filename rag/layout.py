"""Find where tables sit in a report's lines (pure, no parsing of cells).

Three layouts occur (see corpus/README.md):

* ``cell_per_line``: a tab-indented upper-case title, then one cell per
  tab-indented line, closed by a ``FUENTE:`` line (2012 Cuenta Pública).
  A ``-Continuación-`` part has no FUENTE of its own, so scanning to the next
  FUENTE merges it with its first part.
* ``tsv``: lines with tabs between cells (IMSS progress report). A page break
  (up to three blank lines) does not end a table.
* ``label_value``: short "label  number" lines (CONEVAL fact sheets).

``rag.corpus`` uses the regions to mark table blocks, ``rag.tables`` to parse them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.numbers import parse_cell
from rag.types import TableLayout

_PAGE_BREAK = 3  # blank lines the text extraction leaves at a page break
_LONG_PROSE = 200  # a non-indented line this long is running text, not a table note
_LABEL_VALUE = re.compile(
    r"^\s?(?P<label>[A-Za-zÁÉÍÓÚÑáéíóúñ(][^\t]{1,60}?|\d{4})[: ]\s*"
    r"(?P<value>-?[\d.,' ]*\d(?:\s?%)?|ND|NA)$"
)


@dataclass(frozen=True)
class Region:
    start: int  # 1-based, inclusive
    end: int
    layout: TableLayout


def is_tsv_line(line: str) -> bool:
    """Cells separated by tabs; a merely tab-indented line doesn't count."""
    return "\t" in line.lstrip()


def is_cell_line(line: str) -> bool:
    return line.startswith("\t") and not is_tsv_line(line) and len(line.strip()) <= 80


def is_value_cell(line: str) -> bool:
    if not is_cell_line(line) or not line.strip():
        return False
    parsed = parse_cell(line)
    return parsed.value is not None or bool({"nd", "na"} & set(parsed.flags))


def is_table_title(line: str) -> bool:
    text = line.strip()
    if not line.startswith("\t") or is_tsv_line(line) or not 5 <= len(text) <= 160:
        return False
    if text.startswith(("·", "FUENTE", "-")):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 5 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.8


def _cell_per_line_end(lines: Sequence[str], start: int) -> int | None:
    """Index of the last line of the table titled at ``start`` (0-based), or None."""
    values, blanks, last_text = 0, 0, start
    for j in range(start + 1, len(lines)):
        line = lines[j]
        if not line.strip(" "):  # tab-only lines are empty cells, not blank lines
            blanks += 1
            if blanks >= _PAGE_BREAK:
                break
            continue
        blanks = 0
        text = line.strip()
        if text.startswith("FUENTE"):
            return j if values >= 3 else None
        if not line.startswith("\t") and len(text) > _LONG_PROSE:
            break
        if text.startswith("·") and values == 0:
            return None  # a section heading ("PRINCIPALES ACCIONES...") over bullets
        values += is_value_cell(line)
        last_text = j
    return last_text if values >= 3 else None


def _cell_per_line_regions(lines: Sequence[str]) -> list[Region]:
    regions: list[Region] = []
    i = 0
    while i < len(lines):
        end = _cell_per_line_end(lines, i) if is_table_title(lines[i]) else None
        if end is None:
            i += 1
            continue
        regions.append(Region(i + 1, end + 1, "cell_per_line"))
        i = end + 1
    return regions


def _runs(lines: Sequence[str], member: Callable[[str], bool], max_gap: int) -> list[tuple[int, int]]:
    """Maximal runs of member lines (0-based), allowing ``max_gap`` blank lines inside."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    last = -1
    for i, line in enumerate(lines):
        if member(line):
            if start is None or i - last - 1 > max_gap or any(lines[k].strip() for k in range(last + 1, i)):
                if start is not None:
                    runs.append((start, last))
                start = i
            last = i
    if start is not None:
        runs.append((start, last))
    return runs


def _is_label_value(line: str) -> bool:
    return not line.startswith("\t") and len(line) <= 80 and bool(_LABEL_VALUE.match(line))


def find_table_regions(lines: Sequence[str]) -> list[Region]:
    """All table regions, in line order, non-overlapping."""
    regions = _cell_per_line_regions(lines)
    taken = {n for r in regions for n in range(r.start, r.end + 1)}
    for start, end in _runs(lines, is_tsv_line, _PAGE_BREAK):
        if start > 0 and lines[start - 1].startswith("\t") and lines[start - 1].strip():
            start -= 1  # a header whose first cell is empty: "\tSesiones"
        if not taken & set(range(start + 1, end + 2)):
            regions.append(Region(start + 1, end + 1, "tsv"))
    for start, end in _runs(lines, _is_label_value, 1):
        if end > start and not taken & set(range(start + 1, end + 2)):
            regions.append(Region(start + 1, end + 1, "label_value"))
    return sorted(regions, key=lambda r: r.start)
