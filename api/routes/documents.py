"""GET /documents and GET /documents/{id}/lines: the corpus manifest and citation click-through.

Documents are served from memory by manifest id only: the id is a dictionary
key, never a path, so no request can reach a file outside ``corpus/``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import PipelineDep
from api.errors import error_responses
from api.schemas import DocumentPublic, LinesPublic
from rag.errors import BadRange, NotFound
from rag.types import Document

router = APIRouter(prefix="/documents", tags=["documents"])

MAX_LINES = 1000  # per request: the longest report has ~3,600 lines


def _document(documents: dict[str, Document], doc_id: str) -> Document:
    if doc_id not in documents:
        raise NotFound(f"no document with id {doc_id!r}", "list the documents with GET /documents")
    return documents[doc_id]


@router.get("", response_model=list[DocumentPublic])
def list_documents(pipeline: PipelineDep) -> list[dict[str, Any]]:
    """Every report in the corpus manifest, with its line count."""
    return [
        {**vars(d.meta), "institutions": list(d.meta.institutions), "source": d.meta.source, "lines": len(d.lines)}
        for d in sorted(pipeline.documents.values(), key=lambda d: d.meta.id)
    ]


@router.get("/{doc_id}/lines", response_model=LinesPublic, responses=error_responses(404, 422))
def document_lines(
    doc_id: str,
    pipeline: PipelineDep,
    start: Annotated[int, Query(ge=1, description="First line, 1-based.")] = 1,
    end: Annotated[int | None, Query(ge=1, description=f"Last line, inclusive (default: start + {MAX_LINES - 1}, capped at the last line).")] = None,
) -> dict[str, Any]:
    """Lines ``start``..``end`` of a report, numbered as in citations. Out of bounds is 422."""
    doc = _document(pipeline.documents, doc_id)
    total = len(doc.lines)
    last = min(start + MAX_LINES - 1, total) if end is None else end
    if start > total or last > total:
        raise BadRange(f"lines {start}-{last} are out of bounds: {doc_id} has {total} lines", f"ask for lines between 1 and {total}")
    if last < start:
        raise BadRange(f"end ({last}) is before start ({start})", "use start <= end")
    if last - start + 1 > MAX_LINES:
        raise BadRange(f"at most {MAX_LINES} lines per request", f"ask for start..start+{MAX_LINES - 1}")
    numbered = [{"number": n, "text": doc.lines[n - 1]} for n in range(start, last + 1)]
    return {"id": doc.meta.id, "source": doc.meta.source, "title": doc.meta.title, "start": start, "end": last, "total": total, "lines": numbered}
