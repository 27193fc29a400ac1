"""OpenAI chat-completions models: what existing OpenAI clients send and parse.

Requests are lenient: unknown fields (temperature, max_tokens, tools...) are
accepted and ignored, and any ``model`` name is accepted. Responses add three
documented fields OpenAI does not have: ``citations``, ``related`` and
``abstained`` (the same objects as in ``POST /ask``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import CitationPublic, FigurePublic, Mode, Text

DEFAULT_MODEL = "rag-extractive"
MODELS = {"rag-extractive": "extractive", "rag-llm": "llm"}


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    type: str = Field(description="Only 'text' parts are read.")
    text: Text | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    role: str = Field(description="system, user, assistant...; the last user message is the question.")
    content: Text | list[ContentPart] | None = None


class ChatRequest(BaseModel):
    # Unknown fields are OpenAI options this service ignores; known ones are strict (no coercion).
    model_config = ConfigDict(
        extra="allow",
        strict=True,
        json_schema_extra={"examples": [{"model": DEFAULT_MODEL, "messages": [{"role": "user", "content": "¿Cuántos pensionados tenía el ISSSTE en 2012?"}]}]},
    )

    model: str | None = Field(None, description=f"Any name is accepted; 'rag-llm' selects the llm mode, anything else {DEFAULT_MODEL}.")
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool | None = Field(False, description="Server-sent events, one chunk per word; the last chunk carries citations.")
    mode: Mode | None = Field(None, description="Extension: extractive or llm; overrides the model name.")
    k: int | None = Field(None, ge=1, le=50, description="Extension: passages to retrieve (default 8).")


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str = Field(description="The answer with numbered source markers [1], [2]... and the list of sources.")


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop"]


class ChatUsage(BaseModel):
    """Counts of whitespace-separated words: the service has no tokenizer of its own."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class RagExtras(BaseModel):
    figure: FigurePublic | None = Field(description="Extra field: the figure the answer states, as in POST /ask; null when abstained.")
    citations: list[CitationPublic] = Field(description="Extra field: marker [n] in the content is citations[n-1].")
    related: list[CitationPublic] = Field(description="Extra field: closest sources when abstained (then the markers number these).")
    abstained: bool = Field(description="Extra field: true when the reports do not say.")


class ChatCompletion(RagExtras):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: ChatUsage


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChunkDelta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    """One server-sent event of a streamed completion; only the last one has the extra fields."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    figure: FigurePublic | None = None
    citations: list[CitationPublic] | None = None
    related: list[CitationPublic] | None = None
    abstained: bool | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
