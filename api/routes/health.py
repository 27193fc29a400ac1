"""GET /health and GET /metrics: what is loaded, and how the service is doing."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import PipelineDep
from api.schemas import HealthPublic

router = APIRouter(tags=["service"])


@router.get("/health", response_model=HealthPublic)
def health(request: Request, pipeline: PipelineDep) -> dict[str, Any]:
    """Index loaded, the embedding model and the corpus hash it was built from."""
    manifest = pipeline.index.manifest
    state = request.app.state
    return {
        "status": "ok",
        "index_loaded": True,
        "index_build": pipeline.index.build.name,
        "index_created": manifest.get("created", ""),
        "corpus_hash": manifest["corpus_hash"],
        "model": manifest["model"],
        "counts": manifest.get("counts", {}),
        "documents": len(pipeline.documents),
        "reader": _reader(pipeline),
        "startup_seconds": round(state.startup_seconds, 3),
        "uptime_seconds": round(time.monotonic() - state.ready_at, 3),
    }


def _reader(pipeline: Any) -> dict[str, Any]:
    model = pipeline.answerer.reader.model
    if model is None:
        return {"loaded": False, "threshold": None, "trained_on_sha256": None}
    return {"loaded": True, "threshold": round(model.threshold, 4), "trained_on_sha256": model.manifest.get("train_sha256")}


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
def metrics(request: Request) -> Response:
    """Prometheus text: ``rag_http_requests_total`` and ``rag_http_request_duration_seconds`` by method and route."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
