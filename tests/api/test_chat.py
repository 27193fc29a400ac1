"""api/chat.py: the OpenAI protocol over an answer, as pure functions."""

import json

import pytest

from api.chat import completion, content_of, mode_of, question_of, stream_events
from api.chat_schemas import ChatCompletion, ChatCompletionChunk, ChatMessage, ChatRequest
from rag.errors import BadQuestion

CITATION = {
    "source": "corpus/informe.txt",
    "lines": [10, 12],
    "section": "IMSS › Población",
    "title": "Informe",
    "quote": "Al cierre del año había 57 475.9 miles de personas.",
    "table": None,
}
TABLE_CITATION = {**CITATION, "lines": [20, 20], "table": {"id": "t1", "title": "Cuadro", "row": "TOTAL", "column": "2012", "unit": "personas"}}


def answer(text: str, citations: list[dict], related: list[dict] | None = None, abstained: bool = False) -> dict:
    return {
        "answer": text,
        "figure": None,
        "abstained": abstained,
        "citations": citations,
        "related": related or [],
        "derivations": [],
        "mode": "extractive",
        "timings_ms": {},
    }


def test_the_last_user_message_is_the_question() -> None:
    messages = [
        ChatMessage(role="system", content="Eres útil."),
        ChatMessage(role="user", content="primera"),
        ChatMessage(role="assistant", content="respuesta"),
        ChatMessage.model_validate({"role": "user", "content": [{"type": "text", "text": "segunda"}, {"type": "image_url", "image_url": {}}]}),
    ]
    assert question_of(messages) == "segunda"
    with pytest.raises(BadQuestion):
        question_of([ChatMessage(role="system", content="sin pregunta")])


def test_markers_number_the_sources_in_citation_order() -> None:
    content = content_of(answer("Había 57 475.9 miles.", [CITATION, TABLE_CITATION]))
    text, sources = content.split("\n\nFuentes:\n")
    assert text == "Había 57 475.9 miles. [1][2]"
    first, second = sources.splitlines()
    assert first.startswith("[1] Informe — IMSS › Población (corpus/informe.txt:10-12)")
    assert second.startswith("[2] ") and "cuadro «Cuadro», fila «TOTAL», columna «2012»" in second


def test_an_abstention_lists_the_closest_sources_without_markers() -> None:
    content = content_of(answer("No encontré ese dato.", [], related=[CITATION], abstained=True))
    assert content.startswith("No encontré ese dato.\n\nFuentes más cercanas:\n[1] Informe")
    assert content_of(answer("No encontré ese dato.", [], abstained=True)) == "No encontré ese dato."


def test_completion_matches_the_openai_shape_with_citations() -> None:
    body = completion(answer("Había 57 475.9 miles.", [CITATION]), "¿Cuántos?", None)
    parsed = ChatCompletion.model_validate(body)
    assert parsed.model == "rag-extractive"
    assert parsed.citations[0].source == "corpus/informe.txt"
    assert parsed.choices[0].message.content.startswith("Había 57 475.9 miles. [1]")
    assert parsed.usage.total_tokens == parsed.usage.prompt_tokens + parsed.usage.completion_tokens


def test_streamed_pieces_join_to_the_content_and_the_last_chunk_has_citations() -> None:
    data = answer("Había 57 475.9 miles,  con  espacios.\n", [CITATION])
    events = list(stream_events(data, "cualquier-modelo"))
    assert events[-1] == "data: [DONE]\n\n"
    chunks = [ChatCompletionChunk.model_validate(json.loads(e.removeprefix("data: "))) for e in events[:-1]]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == content_of(data)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].citations is not None and chunks[-1].citations[0].lines == [10, 12]
    assert {c.model for c in chunks} == {"cualquier-modelo"}
    assert len({c.id for c in chunks}) == 1


def test_model_names_are_lenient_and_mode_wins() -> None:
    messages = [{"role": "user", "content": "x"}]
    assert mode_of(ChatRequest.model_validate({"model": "gpt-4o", "messages": messages})) is None
    assert mode_of(ChatRequest.model_validate({"model": "rag-llm", "messages": messages})) == "llm"
    assert mode_of(ChatRequest.model_validate({"model": "rag-llm", "mode": "extractive", "messages": messages})) == "extractive"
