"""GET /health, GET /metrics, the OpenAPI document and the error shape outside the routes."""

import json
import re

import httpx
import pytest

from rag.settings import PROJECT_ROOT
from tests.api.conftest import Server, assert_error
from tests.api.questions import EXAMPLE

pytestmark = pytest.mark.slow


def test_health_reports_the_loaded_index_model_and_corpus_hash(client: httpx.Client, server: Server) -> None:
    health = client.get("/health").json()
    manifest = json.loads((PROJECT_ROOT / "index" / "current" / "manifest.json").read_text(encoding="utf-8"))
    assert health["status"] == "ok" and health["index_loaded"] is True
    if health["index_build"] == (PROJECT_ROOT / "index" / "current").resolve().name:  # unless rebuilt since start-up
        assert health["corpus_hash"] == manifest["corpus_hash"]
        assert health["model"] == manifest["model"]
    assert re.fullmatch(r"[0-9a-f]{64}", health["corpus_hash"])
    assert health["model"]["dim"] > 0
    assert health["documents"] == len(client.get("/documents").json())
    assert 0 < health["startup_seconds"] <= server.seconds_to_ready  # measured inside, so no more than seen from outside
    trained = json.loads((PROJECT_ROOT / "index" / "reader" / "manifest.json").read_text(encoding="utf-8"))  # `make test` trains it first
    assert health["reader"] == {"loaded": True, "threshold": round(trained["threshold"], 4), "trained_on_sha256": trained["train_sha256"]}


def test_metrics_count_requests_and_time_them_by_route(client: httpx.Client) -> None:
    def count(text: str, route: str, status: str) -> float:
        match = re.search(rf'rag_http_requests_total\{{method="POST",route="{re.escape(route)}",status="{status}"\}} (\S+)', text)
        return float(match.group(1)) if match else 0.0

    before = client.get("/metrics").text
    client.post("/ask", json={"question": EXAMPLE})
    client.post("/ask", json={"question": " "})
    response = client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert count(after, "/ask", "200") == count(before, "/ask", "200") + 1
    assert count(after, "/ask", "422") == count(before, "/ask", "422") + 1
    assert 'rag_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/ask"}' in after
    assert re.search(r'rag_http_request_duration_seconds_count\{method="POST",route="/ask"\} [1-9]', after)


def test_unknown_paths_get_the_route_label_unmatched_not_their_path(client: httpx.Client) -> None:
    client.get("/no/such/path/0123456789")
    assert "0123456789" not in client.get("/metrics").text


def test_openapi_documents_every_endpoint_with_models_and_the_error_shape(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path, method in [
        ("/ask", "post"),
        ("/v1/chat/completions", "post"),
        ("/documents", "get"),
        ("/documents/{doc_id}/lines", "get"),
        ("/tables", "get"),
        ("/tables/{table_id}", "get"),
        ("/health", "get"),
        ("/metrics", "get"),
    ]:
        assert method in paths[path], path
        assert "200" in paths[path][method]["responses"]
    assert paths["/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/AnswerPublic")
    assert paths["/ask"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorPublic")
    assert "text/event-stream" in paths["/v1/chat/completions"]["post"]["responses"]["200"]["content"]
    assert "HTTPValidationError" not in json.dumps(spec)  # FastAPI's default 422 shape would contradict ours


@pytest.mark.parametrize(("method", "path", "status"), [("GET", "/nope", 404), ("DELETE", "/ask", 405), ("GET", "/ask", 405), ("PUT", "/tables", 405)])
def test_errors_outside_the_routes_have_the_same_shape(client: httpx.Client, method: str, path: str, status: int) -> None:
    assert_error(client.request(method, path), status)


def test_the_widget_is_served(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert '<script src="/widget.js"' in page.text
    script = client.get("/widget.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "attachShadow" in script.text
    assert client.get("/widget.css").headers["content-type"].startswith("text/css")
