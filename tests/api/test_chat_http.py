"""POST /v1/chat/completions over HTTP, raw and through the official openai client."""

import json

import httpx
import openai
import pytest

from tests.api.conftest import Server, assert_error
from tests.api.questions import EXAMPLE, digits

pytestmark = pytest.mark.slow


def chat_body(question: str, **extra: object) -> dict:
    return {"model": "gpt-4o-mini", "messages": [{"role": "system", "content": "Responde en español."}, {"role": "user", "content": question}], **extra}


def streamed(client: httpx.Client, body: dict) -> list[dict]:
    events = []
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(line.removeprefix("data: "))
    assert events[-1] == "[DONE]"
    return [json.loads(e) for e in events[:-1]]


def test_the_completion_carries_the_answer_with_markers_and_citations(client: httpx.Client) -> None:
    completion = client.post("/v1/chat/completions", json=chat_body(EXAMPLE)).json()
    answer = client.post("/ask", json={"question": EXAMPLE}).json()
    content = completion["choices"][0]["message"]["content"]
    assert completion["object"] == "chat.completion" and completion["model"] == "gpt-4o-mini"
    assert content.startswith(answer["answer"])
    assert "[1]" in content
    assert completion["citations"] == answer["citations"]
    assert digits(content) & set().union(*(digits(c["quote"]) for c in completion["citations"]))


def test_streamed_chunks_reassemble_to_the_full_answer(client: httpx.Client) -> None:
    whole = client.post("/v1/chat/completions", json=chat_body(EXAMPLE)).json()
    chunks = streamed(client, chat_body(EXAMPLE))
    assert len(chunks) > 3
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == whole["choices"][0]["message"]["content"]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"] == whole["citations"]


def test_errors_come_before_the_stream_with_a_status(client: httpx.Client) -> None:
    assert_error(client.post("/v1/chat/completions", json=chat_body("   ", stream=True)), 422, "bad_question")
    assert_error(client.post("/v1/chat/completions", json={"messages": []}), 422)
    assert_error(client.post("/v1/chat/completions", json={"messages": [{"role": "system", "content": "sin pregunta"}]}), 422, "bad_question")
    assert_error(client.post("/v1/chat/completions", content=b"{", headers={"content-type": "application/json"}), 422, "invalid_json")


def test_the_openai_client_gets_an_answer_with_citations(server: Server) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    completion = client.chat.completions.create(model="cualquiera", messages=[{"role": "user", "content": EXAMPLE}])
    extra = completion.model_extra or {}
    assert completion.choices[0].message.content
    assert extra["citations"] and extra["citations"][0]["source"].startswith("corpus/")
    assert extra["abstained"] is False


def test_the_openai_client_streams_and_the_last_chunk_has_citations(server: Server) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    chunks = list(client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": EXAMPLE}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith(client.chat.completions.create(model="x", messages=[{"role": "user", "content": EXAMPLE}]).choices[0].message.content or "-")
    assert (chunks[-1].model_extra or {}).get("citations")


def test_models_lists_the_names_the_service_understands(server: Server) -> None:
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0)
    assert {m.id for m in client.models.list()} >= {"rag-extractive", "rag-llm"}
