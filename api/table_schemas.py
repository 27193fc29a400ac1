"""Response models for tables, mirroring ``rag.tables.render.table_summary`` / ``table_detail``."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TableSummaryPublic(BaseModel):
    id: str
    doc: str = Field(description="Document id.")
    source: str = Field(description="corpus/<file>.")
    title: str
    unit: str
    institution: str
    section: str
    layout: str
    lines: list[int] = Field(min_length=2, max_length=2, description="First and last line of the table.")
    rows: int
    columns: int


class ColumnPublic(BaseModel):
    index: int
    header: list[str] = Field(description="Header path, outermost first.")
    label: str


class RowPublic(BaseModel):
    index: int
    label: str
    parent: int | None = Field(description="Index of the parent row (row hierarchy), or null.")
    lines: list[int] = Field(min_length=2, max_length=2)


class CellPublic(BaseModel):
    row: int
    column: int
    text: str = Field(description="The cell as printed in the report.")
    value: float | None = Field(description="The parsed number, or null for text cells.")
    flags: list[str]
    line: int


class TableDetailPublic(TableSummaryPublic):
    column_headers: list[ColumnPublic]
    row_labels: list[RowPublic]
    cells: list[CellPublic]
    notes: list[str]
