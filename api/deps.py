"""Dependencies as ``Annotated`` aliases: the pipeline, the settings, the API key, the rate limit.

The pipeline and the settings live on ``app.state`` (set once by the
lifespan in ``api.main``); routes only ever see them through these aliases.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import RateLimited, Unauthorized
from api.ratelimit import SlidingWindowLimiter
from rag.pipeline import Pipeline
from rag.settings import Settings


def get_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Needed only when the server sets RAG_API_KEY.")
_bearer = HTTPBearer(auto_error=False, description="Alternative to X-API-Key (what OpenAI clients send).")


async def require_api_key(
    settings: SettingsDep,
    header_key: Annotated[str | None, Security(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> None:
    """When ``api_key`` is set, X-API-Key or ``Authorization: Bearer`` must carry it."""
    expected = settings.api_key.get_secret_value()
    if not expected:
        return
    given = header_key or (bearer.credentials if bearer else "")
    if not given:
        raise Unauthorized("an API key is required", "send it in the X-API-Key header or as Authorization: Bearer <key>")
    if not secrets.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8")):  # constant time
        raise Unauthorized("the API key is wrong", "check the key the service was configured with (RAG_API_KEY)")


async def enforce_rate_limit(request: Request) -> None:
    """Per client IP; behind a proxy on 127.0.0.1, uvicorn takes the IP from X-Forwarded-For."""
    limiter: SlidingWindowLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.acquire(client)
    if wait is not None:
        raise RateLimited(f"more than {limiter.per_minute} requests per minute from {client}", f"retry in {wait} s", retry_after=wait)


# Rate limit first: unauthenticated attempts count too, so keys cannot be guessed at full speed.
GUARDED = [Depends(enforce_rate_limit), Depends(require_api_key)]
