"""POST /ask: the answer object of ``rag ask --jsonl``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import GUARDED, PipelineDep
from api.errors import error_responses
from api.schemas import AnswerPublic, AskRequest
from rag.serialize import answer_json

router = APIRouter(tags=["answers"], dependencies=GUARDED)


@router.post("/ask", response_model=AnswerPublic, responses=error_responses(400, 401, 413, 422, 429, 502, 503))
def ask(request: AskRequest, pipeline: PipelineDep) -> dict[str, Any]:
    """Answer a question with verified citations, or abstain and show the closest sources.

    A plain ``def``: FastAPI runs it in its threadpool, so the CPU-bound
    pipeline never blocks the event loop.
    """
    return answer_json(pipeline.ask(request.question, request.k, request.mode))
