"""The OpenAPI document, made to tell the truth about this deployment.

* The API-key security schemes are listed only when the server sets
  ``api_key``; otherwise clients (and schemathesis) would be told a key is
  needed when it is not.
* The ``text/event-stream`` response of the chat endpoint references
  ``ChatCompletionChunk``, which FastAPI would not register on its own
  (it only collects models of JSON responses).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.chat_schemas import ChatCompletionChunk
from rag.settings import Settings

REF_TEMPLATE = "#/components/schemas/{model}"
# One server-sent event, modelled as OpenAPI 3.1/3.2 say: an object with the SSE fields; ``data`` is a
# ChatCompletionChunk as JSON, except the final sentinel ``[DONE]`` (as in OpenAI's protocol).
SSE_EVENT = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": REF_TEMPLATE.format(model=ChatCompletionChunk.__name__)},
            "description": "A ChatCompletionChunk as JSON; the last event is the sentinel [DONE].",
        },
        "event": {"type": "string"},
    },
}


def _register(components: dict[str, Any], model: type[ChatCompletionChunk]) -> None:
    schema = model.model_json_schema(ref_template=REF_TEMPLATE)
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components.setdefault(model.__name__, schema)


def _strip_security(spec: dict[str, Any]) -> None:
    spec.get("components", {}).pop("securitySchemes", None)
    for operations in spec["paths"].values():
        for operation in operations.values():
            operation.pop("security", None)


def install(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _register(spec.setdefault("components", {}).setdefault("schemas", {}), ChatCompletionChunk)
            if not settings.api_key.get_secret_value():
                _strip_security(spec)
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
