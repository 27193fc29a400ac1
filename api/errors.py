"""The one place that maps errors to HTTP status codes and the one error shape.

Every error response, whoever raises it (a route, a dependency, a middleware,
FastAPI's own validation, an unknown path), has the body::

    {"error": {"code": "bad_question", "message": "...", "hint": "..."}}

``code`` is stable and machine-readable; ``message`` says what went wrong and
``hint`` how to fix it (possibly empty). Tracebacks never reach the client.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorPublic
from rag.errors import (
    BadQuestion,
    BadRange,
    ConfigError,
    CorpusError,
    IndexCorrupt,
    IndexNotBuilt,
    IndexStale,
    LLMError,
    ModelUnavailable,
    NotFound,
    QAFormatError,
    RagError,
)

log = logging.getLogger("api")


class InvalidRequest(RagError):
    """The request does not match its schema (wrong types, missing fields)."""

    code = "invalid_request"


class InvalidJSON(RagError):
    """The body is not JSON at all (syntax error, invalid UTF-8)."""

    code = "invalid_json"


class BodyTooLarge(RagError):
    code = "body_too_large"


class Unauthorized(RagError):
    code = "unauthorized"


class RateLimited(RagError):
    code = "rate_limited"

    def __init__(self, message: str, hint: str = "", retry_after: int = 60) -> None:
        super().__init__(message, hint)
        self.retry_after = retry_after


class RouteNotFound(RagError):
    code = "not_found"


class MethodNotAllowed(RagError):
    code = "method_not_allowed"


# Looked up along the exception's MRO, so subclasses inherit their parent's status.
STATUS: dict[type[RagError], int] = {
    ConfigError: 400,
    Unauthorized: 401,
    NotFound: 404,
    RouteNotFound: 404,
    MethodNotAllowed: 405,
    BodyTooLarge: 413,
    BadQuestion: 422,
    BadRange: 422,
    QAFormatError: 422,
    InvalidRequest: 422,
    InvalidJSON: 422,
    RateLimited: 429,
    LLMError: 502,
    IndexNotBuilt: 503,
    IndexStale: 503,
    IndexCorrupt: 503,
    ModelUnavailable: 503,
    CorpusError: 503,
}

_DESCRIPTIONS = {
    400: "Configuration error (e.g. mode llm without RAG_LLM_BASE_URL)",
    401: "Missing or wrong API key",
    404: "Unknown document or table",
    413: "Request body over the limit (max_body_bytes, 64 KB by default)",
    422: "Invalid request: empty or too long question, bad JSON, wrong types, line range out of bounds",
    429: "Too many requests from this client (rate_limit_per_minute)",
    502: "The LLM endpoint failed",
    503: "Index or model unavailable",
}


def status_of(exc: RagError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_body(code: str, message: str, hint: str = "") -> dict[str, Any]:
    return ErrorPublic.model_validate({"error": {"code": code, "message": message, "hint": hint}}).model_dump()


def error_response(exc: RagError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(error_body(exc.code, exc.message, exc.hint), status_code=status_of(exc), headers=headers)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for a route: each status documented with the error shape."""
    return {status: {"model": ErrorPublic, "description": _DESCRIPTIONS[status]} for status in statuses}


def from_validation(exc: RequestValidationError) -> RagError:
    first = exc.errors()[0] if exc.errors() else {}
    if first.get("type") == "json_invalid":
        return InvalidJSON(f"the body is not valid JSON ({first.get('ctx', {}).get('error', 'decode error')})", 'send a JSON object, e.g. {"question": "..."}')
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    return InvalidRequest(f"{where}: {first.get('msg', 'invalid value')}", "see the request schema at /docs")


def from_http(exc: StarletteHTTPException) -> RagError | None:
    """The framework's own HTTP errors as ours; None for a status this API never produces."""
    if exc.status_code == 404:
        return RouteNotFound("no such endpoint or resource", "see the endpoints at /docs")
    if exc.status_code == 405:
        return MethodNotAllowed("method not allowed on this endpoint", "see the endpoints at /docs")
    if exc.status_code == 400:  # FastAPI's answer to a body it cannot decode (e.g. invalid UTF-8): malformed JSON
        return InvalidJSON("the body could not be decoded as UTF-8 JSON", "send UTF-8 encoded JSON")
    return None


def install(app: FastAPI) -> None:
    """Register the handlers; after this every error leaves the app in the one shape."""

    async def on_rag_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RagError)
        return error_response(exc)

    async def on_validation(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(from_validation(exc))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        converted = from_http(exc)
        if converted is None:
            body = error_body(f"http_{exc.status_code}", str(exc.detail))
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        return error_response(converted, exc.headers)  # keeps e.g. Allow on a 405

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body("internal_error", "internal error", "the server log has the details"), status_code=500)

    app.add_exception_handler(RagError, on_rag_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
