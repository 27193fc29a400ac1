"""Render a table as a text grid (``rag tables show``) or as JSON-ready dicts."""

from __future__ import annotations

import textwrap
import unicodedata
from typing import Any

from rag.types import Table, section_label

_MAX_CELL = 28
_MAX_LABEL = 48


def _width(text: str) -> int:
    return sum(0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def depth(table: Table, row: int) -> int:
    return len(table.row_path(row)) - 1


def render_grid(table: Table) -> str:
    """Header rows stacked, labels indented by hierarchy, figures right-aligned."""
    levels = max((len(c.header) for c in table.columns), default=1)
    header_rows = [[c.header[-levels + level] if len(c.header) >= levels - level else "" for c in table.columns] for level in range(levels)]
    body = []
    for row in table.rows:
        label = _clip("  " * depth(table, row.index) + row.label, _MAX_LABEL)
        cells = [""] * len(table.columns)
        for cell in table.cells:
            if cell.row == row.index:
                cells[cell.column] = _clip(cell.text, _MAX_CELL)
        body.append((label, cells))
    label_width = max([_width(label) for label, _ in body] + [5])
    widths = [max([_width(_clip(h[j], _MAX_CELL)) for h in header_rows] + [_width(cells[j]) for _, cells in body] + [3]) for j in range(len(table.columns))]
    lines = [f"{table.title}", f"{table.institution} · {table.unit or 'sin unidad'} · {table.source} líneas {table.span.start}-{table.span.end}"]
    if table.section:
        lines.append(f"Sección: {section_label(table.section)}")
    rule = "-" * (label_width + sum(w + 3 for w in widths))
    lines.append(rule)
    for header in header_rows:
        lines.append(_pad("", label_width) + "".join(" | " + _pad(_clip(h, _MAX_CELL), w) for h, w in zip(header, widths, strict=True)))
    lines.append(rule)
    for label, cells in body:
        lines.append(_pad(label, label_width) + "".join(" | " + _pad(c, w, right=True) for c, w in zip(cells, widths, strict=True)))
    for note in table.notes[:6]:
        lines.extend(textwrap.wrap(f"Nota: {note}", 110))
    return "\n".join(lines)


def table_summary(table: Table) -> dict[str, Any]:
    rows, cols = table.shape
    return {
        "id": table.id,
        "doc": table.doc_id,
        "source": table.source,
        "title": table.title,
        "unit": table.unit,
        "institution": table.institution,
        "section": section_label(table.section),
        "layout": table.layout,
        "lines": [table.span.start, table.span.end],
        "rows": rows,
        "columns": cols,
    }


def table_detail(table: Table) -> dict[str, Any]:
    return {
        **table_summary(table),
        "column_headers": [{"index": c.index, "header": list(c.header), "label": c.label} for c in table.columns],
        "row_labels": [{"index": r.index, "label": r.label, "parent": r.parent, "lines": [r.start, r.end]} for r in table.rows],
        "cells": [{"row": c.row, "column": c.column, "text": c.text, "value": c.value, "flags": list(c.flags), "line": c.line} for c in table.cells],
        "notes": list(table.notes),
    }
