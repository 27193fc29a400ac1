"""The OpenAI chat protocol over an answer: pure functions, no I/O.

The content is what a chat client shows, so it carries the sources too:
the answer text, numbered markers ``[1]``, ``[2]``... and a "Fuentes:" list
whose numbers match the markers and the order of the ``citations`` field.
When the service abstains, the list is "Fuentes más cercanas:" and numbers
the ``related`` sources instead.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from api.chat_schemas import DEFAULT_MODEL, MODELS, ChatMessage, ChatRequest
from rag.errors import BadQuestion

_PIECES = re.compile(r"\S+\s*|\s+")


def question_of(messages: list[ChatMessage]) -> str:
    """The text of the last user message (text parts joined); earlier turns are context the pipeline does not use."""
    for message in reversed(messages):
        if message.role != "user":
            continue
        if isinstance(message.content, list):
            return "\n".join(part.text or "" for part in message.content if part.type == "text")
        return message.content or ""
    raise BadQuestion("the conversation has no user message", 'add {"role": "user", "content": "<pregunta>"} to messages')


def mode_of(request: ChatRequest) -> str | None:
    return request.mode or MODELS.get(request.model or "")


def source_line(number: int, citation: dict[str, Any]) -> str:
    first, last = citation["lines"]
    where = f"{citation['source']}:{first}-{last}"
    table = citation.get("table")
    cell = f" · cuadro «{table['title']}», fila «{table['row']}», columna «{table['column']}»" if table else ""
    return f"[{number}] {citation['title']} — {citation['section'] or 'sin sección'} ({where}){cell}"


def content_of(answer: dict[str, Any]) -> str:
    sources = answer["citations"] or answer["related"]
    if not sources:
        return str(answer["answer"])
    markers = "" if answer["abstained"] else " " + "".join(f"[{n}]" for n in range(1, len(sources) + 1))
    heading = "Fuentes más cercanas:" if answer["abstained"] else "Fuentes:"
    listing = "\n".join(source_line(n, c) for n, c in enumerate(sources, start=1))
    return f"{answer['answer']}{markers}\n\n{heading}\n{listing}"


def _envelope(model: str | None) -> dict[str, Any]:
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model or DEFAULT_MODEL}


def _extras(answer: dict[str, Any]) -> dict[str, Any]:
    return {"figure": answer["figure"], "citations": answer["citations"], "related": answer["related"], "abstained": answer["abstained"]}


def completion(answer: dict[str, Any], question: str, model: str | None) -> dict[str, Any]:
    content = content_of(answer)
    prompt, completion_words = len(question.split()), len(content.split())
    return {
        **_envelope(model),
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion_words, "total_tokens": prompt + completion_words},
        **_extras(answer),
    }


def _event(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def stream_events(answer: dict[str, Any], model: str | None) -> Iterator[str]:
    """Server-sent events: the role, one chunk per word (joined they are the content), then the extras and [DONE].

    The answer is complete before the first event (it is computed, then
    verified), so streaming only spares the client a wait for the sources list.
    """
    base = {**_envelope(model), "object": "chat.completion.chunk"}
    yield _event({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]})
    for piece in _PIECES.findall(content_of(answer)):
        yield _event({**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
    yield _event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], **_extras(answer)})
    yield "data: [DONE]\n\n"
