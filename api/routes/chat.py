"""POST /v1/chat/completions and GET /v1/models: the OpenAI protocol, so existing clients work unchanged."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api import chat
from api.chat_schemas import MODELS, ChatCompletion, ChatRequest, ModelList
from api.deps import GUARDED, PipelineDep
from api.errors import error_responses
from api.openapi import SSE_EVENT
from rag.serialize import answer_json

router = APIRouter(prefix="/v1", tags=["openai"])

_STREAM_DOC = {
    "description": "The completion; with stream=true, server-sent events of ChatCompletionChunk, then `data: [DONE]`.",
    "content": {"text/event-stream": {"schema": SSE_EVENT}},
}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    dependencies=GUARDED,
    responses={200: _STREAM_DOC, **error_responses(400, 401, 413, 422, 429, 502, 503)},
)
def chat_completions(request: ChatRequest, pipeline: PipelineDep) -> Any:
    """The last user message is the question; the answer comes with numbered markers and a ``citations`` field.

    The answer is computed before anything is sent, so an error is a proper
    HTTP status even when ``stream`` is true.
    """
    question = chat.question_of(request.messages)
    answer = answer_json(pipeline.ask(question, request.k, chat.mode_of(request)))
    if request.stream:
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(chat.stream_events(answer, request.model), media_type="text/event-stream", headers=headers)
    return chat.completion(answer, question, request.model)


@router.get("/models", response_model=ModelList)
def models() -> dict[str, Any]:
    """The model names clients may send; any other name is accepted too and means rag-extractive."""
    created = int(time.time())
    return {"object": "list", "data": [{"id": name, "object": "model", "created": created, "owned_by": "rag"} for name in MODELS]}
