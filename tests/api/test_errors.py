"""api/errors.py: every domain error has its status, and every error has the one shape."""

import pytest
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from api import errors
from rag import errors as domain

EXPECTED = {
    domain.BadQuestion: 422,
    domain.BadRange: 422,
    domain.NotFound: 404,
    domain.ConfigError: 400,
    domain.IndexNotBuilt: 503,
    domain.IndexStale: 503,
    domain.IndexCorrupt: 503,
    domain.ModelUnavailable: 503,
    domain.LLMError: 502,
    errors.BodyTooLarge: 413,
    errors.RateLimited: 429,
    errors.Unauthorized: 401,
    errors.InvalidJSON: 422,
    errors.InvalidRequest: 422,
}


@pytest.mark.parametrize(("error", "status"), EXPECTED.items(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_each_error_maps_to_its_status_in_the_error_shape(error: type[domain.RagError], status: int) -> None:
    response = errors.error_response(error("what happened", "how to fix it"))
    assert response.status_code == status
    assert response.body == b'{"error":{"code":"%s","message":"what happened","hint":"how to fix it"}}' % error.code.encode()


def test_every_domain_error_class_has_a_status_and_unknown_ones_are_500() -> None:
    for cls in domain.RagError.__subclasses__():
        assert errors.status_of(cls("x")) != 500, cls
    assert errors.status_of(domain.RagError("x")) == 500


def test_headers_that_tell_the_client_what_to_do() -> None:
    assert errors.error_response(errors.RateLimited("slow down", retry_after=17)).headers["retry-after"] == "17"
    assert errors.error_response(errors.Unauthorized("no key")).headers["www-authenticate"] == "Bearer"


def test_malformed_json_and_schema_errors_are_told_apart() -> None:
    malformed = RequestValidationError([{"type": "json_invalid", "loc": ("body", 3), "msg": "JSON decode error", "ctx": {"error": "Expecting value"}}])
    wrong_type = RequestValidationError([{"type": "string_type", "loc": ("body", "question"), "msg": "Input should be a valid string"}])
    assert errors.from_validation(malformed).code == "invalid_json"
    converted = errors.from_validation(wrong_type)
    assert converted.code == "invalid_request"
    assert converted.message.startswith("question:")


def test_framework_http_errors_keep_the_shape() -> None:
    converted = [errors.from_http(HTTPException(status)) for status in (404, 405, 400)]
    assert [errors.status_of(e) for e in converted if e] == [404, 405, 422]  # 400: a body FastAPI could not decode
    assert errors.from_http(HTTPException(418)) is None  # passed through with its own status, in the shape


def test_documented_responses_use_the_error_model() -> None:
    documented = errors.error_responses(404, 422)
    assert set(documented) == {404, 422}
    assert all(entry["model"] is errors.ErrorPublic for entry in documented.values())


def test_unexpected_errors_and_foreign_statuses_keep_the_shape_without_a_traceback() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    errors.install(app)

    @app.get("/teapot")
    def teapot() -> None:
        raise HTTPException(418, "short and stout")

    @app.get("/bug")
    def bug() -> None:
        raise RuntimeError("secret internals")

    client = TestClient(app, raise_server_exceptions=False)
    teapot_response = client.get("/teapot")
    assert teapot_response.status_code == 418
    assert teapot_response.json() == {"error": {"code": "http_418", "message": "short and stout", "hint": ""}}
    bug_response = client.get("/bug")
    assert bug_response.status_code == 500
    assert bug_response.json()["error"]["code"] == "internal_error"
    assert "secret internals" not in bug_response.text and "Traceback" not in bug_response.text
