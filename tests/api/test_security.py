"""API key, CORS and rate limiting on a server configured with them (``guarded_server``)."""

import httpx
import openai
import pytest

from tests.api.conftest import API_KEY, RATE_LIMIT, Server, assert_error
from tests.api.questions import EXAMPLE

pytestmark = pytest.mark.slow


def test_ask_and_chat_need_the_key(guarded: httpx.Client) -> None:
    error = assert_error(guarded.post("/ask", json={"question": EXAMPLE}), 401, "unauthorized")
    assert "X-API-Key" in error["hint"]
    assert_error(guarded.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": EXAMPLE}]}), 401, "unauthorized")


def test_a_wrong_key_is_401(guarded: httpx.Client) -> None:
    assert_error(guarded.post("/ask", json={"question": EXAMPLE}, headers={"X-API-Key": "wrong"}), 401, "unauthorized")
    assert_error(guarded.post("/ask", json={"question": EXAMPLE}, headers={"Authorization": f"Basic {API_KEY}"}), 401, "unauthorized")


def test_the_key_works_as_header_or_bearer(guarded: httpx.Client) -> None:
    assert guarded.post("/ask", json={"question": EXAMPLE}, headers={"X-API-Key": API_KEY}).status_code == 200
    assert guarded.post("/ask", json={"question": EXAMPLE}, headers={"Authorization": f"Bearer {API_KEY}"}).status_code == 200


def test_reading_documents_tables_and_health_needs_no_key(guarded: httpx.Client) -> None:
    for path in ("/health", "/documents", "/tables", "/metrics", "/"):
        assert guarded.get(path).status_code == 200, path


def test_the_openai_client_sends_its_key_as_bearer(guarded_server: Server, client_ip: str) -> None:
    client = openai.OpenAI(base_url=f"{guarded_server.url}/v1", api_key=API_KEY, max_retries=0, default_headers={"X-Forwarded-For": client_ip})
    completion = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": EXAMPLE}])
    assert (completion.model_extra or {}).get("citations")
    wrong = openai.OpenAI(base_url=f"{guarded_server.url}/v1", api_key="wrong", max_retries=0, default_headers={"X-Forwarded-For": client_ip})
    with pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="rag", messages=[{"role": "user", "content": EXAMPLE}])


def test_the_rate_limit_is_per_client(guarded: httpx.Client, guarded_server: Server) -> None:
    statuses = [guarded.post("/ask", json={"question": " "}, headers={"X-API-Key": API_KEY}).status_code for _ in range(RATE_LIMIT)]
    assert statuses == [422] * RATE_LIMIT  # counted even when the question is bad
    limited = guarded.post("/ask", json={"question": EXAMPLE}, headers={"X-API-Key": API_KEY})
    assert_error(limited, 429, "rate_limited")
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    other = httpx.post(f"{guarded_server.url}/ask", json={"question": EXAMPLE}, headers={"X-API-Key": API_KEY, "X-Forwarded-For": "10.9.9.9"}, timeout=60)
    assert other.status_code == 200
    assert guarded.get("/documents").status_code == 200  # only the answering endpoints are limited


def test_cors_allows_only_the_configured_origins(guarded: httpx.Client) -> None:
    allowed = guarded.post("/ask", json={"question": " "}, headers={"Origin": "https://allowed.example"})
    assert allowed.headers.get("access-control-allow-origin") == "https://allowed.example"
    assert_error(allowed, 401)  # error responses carry CORS headers too, so the widget can read them
    denied = guarded.get("/documents", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in denied.headers
    preflight = guarded.options(
        "/ask",
        headers={"Origin": "https://allowed.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-api-key"},
    )
    assert preflight.status_code == 200
    assert "x-api-key" in preflight.headers["access-control-allow-headers"].lower()
    bad_preflight = guarded.options("/ask", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert bad_preflight.status_code == 400


def test_the_open_server_allows_only_the_widget_test_page_origin(client: httpx.Client, page_origin: str) -> None:
    assert client.get("/health", headers={"Origin": page_origin}).headers.get("access-control-allow-origin") == page_origin
    assert "access-control-allow-origin" not in client.get("/health", headers={"Origin": "https://other.example"}).headers
