"""The FastAPI app: routers, error handlers, middleware, and the start-up that loads everything once.

>>> app = create_app(Settings())          # the lifespan opens the index and warms the model
>>> serve(Settings(), Pipeline.open(Settings()))  # what `rag serve` does
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from api import errors, openapi
from api.middleware import BodyLimitMiddleware, Metrics, MetricsMiddleware
from api.ratelimit import SlidingWindowLimiter
from api.routes import ask, chat, documents, health, tables, widget
from rag.pipeline import Pipeline
from rag.settings import Settings

log = logging.getLogger("api")

# Answered once at start-up so the first user does not pay for the model load
# and the lazily built lookups (tables, sentence scorer): ~10 s otherwise.
WARM_UP_QUESTION = "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"

DESCRIPTION = """Preguntas y respuestas con fuentes verificadas sobre informes oficiales de seguridad social (IMSS, ISSSTE, DIF).

Every error has one shape: `{"error": {"code": "...", "message": "...", "hint": "..."}}`.
`/ask` and `/v1/chat/completions` need `X-API-Key` (or `Authorization: Bearer`) only when the server sets `RAG_API_KEY`.
"""


def _version() -> str:
    try:
        return version("rag-seguridad-social")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
        return "0.0.0"


def warm_up(pipeline: Pipeline) -> None:
    pipeline.ask(WARM_UP_QUESTION)


def create_app(settings: Settings, pipeline: Pipeline | None = None, started_at: float | None = None) -> FastAPI:
    """The app; with ``pipeline`` None the lifespan opens the index (failing start-up if it is missing or stale).

    ``started_at`` (``time.monotonic()``) is when the process began starting, so
    ``/health`` reports the whole start-up, not just the lifespan.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        started = started_at if started_at is not None else time.monotonic()
        loaded = pipeline if pipeline is not None else await run_in_threadpool(Pipeline.open, settings)
        await run_in_threadpool(warm_up, loaded)
        app.state.pipeline = loaded
        app.state.ready_at = time.monotonic()
        app.state.startup_seconds = app.state.ready_at - started
        log.info("index %s and model loaded in %.1f s", loaded.index.build.name, app.state.startup_seconds)
        yield

    app = FastAPI(title="Preguntas sobre informes de seguridad social", version=_version(), description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.limiter = SlidingWindowLimiter(settings.rate_limit_per_minute)
    app.state.metrics = Metrics()
    errors.install(app)
    openapi.install(app, settings)
    for module in (ask, chat, documents, tables, health, widget):
        app.include_router(module.router)
    # Added innermost first: CORS ends up outermost so that 413 and 429 answers carry CORS headers too.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "X-API-Key", "Authorization"],
            max_age=600,
        )
    return app


def serve(settings: Settings, pipeline: Pipeline | None = None, started_at: float | None = None) -> None:
    """Run the app with uvicorn on ``settings.host:settings.port``.

    uvicorn's defaults are kept on purpose: it trusts X-Forwarded-For only from
    127.0.0.1, so behind a local reverse proxy the rate limit sees real client IPs.
    """
    import uvicorn

    app = create_app(settings, pipeline, started_at)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", timeout_graceful_shutdown=5)
