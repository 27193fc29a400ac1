"""GET /tables and GET /tables/{id}: the tables extracted from the reports, as data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import PipelineDep
from api.errors import error_responses
from api.table_schemas import TableDetailPublic, TableSummaryPublic
from rag.tables.render import table_detail, table_summary

router = APIRouter(prefix="/tables", tags=["tables"])


@router.get("", response_model=list[TableSummaryPublic])
def list_tables(pipeline: PipelineDep) -> list[dict[str, Any]]:
    """Every table: id, report, title, unit, institution, lines and shape."""
    return [table_summary(t) for t in pipeline.index.tables.all()]


@router.get("/{table_id}", response_model=TableDetailPublic, responses=error_responses(404, 422))
def get_table(table_id: str, pipeline: PipelineDep) -> dict[str, Any]:
    """One table with its headers, row hierarchy and cells (text, parsed value, line)."""
    return table_detail(pipeline.index.tables.get(table_id))
