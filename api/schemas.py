"""Request and response models, named by role (``AskRequest`` in, ``AnswerPublic`` out).

The answer models mirror ``rag.serialize.answer_json`` field for field: the API
returns exactly the object ``rag ask --jsonl`` prints, and FastAPI validates it
against these models, so a drift between the two fails loudly in the tests.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def encodable(text: str) -> str:
    """Reject lone surrogates ("\\ud800" in JSON): they are not text and cannot be encoded as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("the text contains invalid Unicode (a lone surrogate)") from exc
    return text


Text = Annotated[str, AfterValidator(encodable)]

# --- errors -------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. bad_question, not_found, rate_limited.")
    message: str = Field(description="What went wrong.")
    hint: str = Field(description="How to fix it (may be empty).")


class ErrorPublic(BaseModel):
    """The one error shape of the API."""

    error: ErrorDetail


# --- answers ------------------------------------------------------------------

Mode = Literal["extractive", "llm"]


class AskRequest(BaseModel):
    # strict: no coercion ("5" is not a k, 0 is not a boolean), so what the schema says is what is accepted
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [{"question": "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"}]}
    )

    question: Text = Field(description="The question in Spanish; not blank, at most max_question_chars (1000 by default) characters.")
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default 8).")
    mode: Mode | None = Field(None, description="extractive (default) or llm (needs RAG_LLM_BASE_URL on the server).")


class TableRefPublic(BaseModel):
    id: str = Field(description="Table id, for GET /tables/{id}.")
    title: str
    row: str = Field(description="Row label path, outermost first, joined by ' › '.")
    column: str
    unit: str


class CitationPublic(BaseModel):
    source: str = Field(description="corpus/<file>; map it to a document id with GET /documents.")
    lines: list[int] = Field(min_length=2, max_length=2, description="First and last cited line, 1-based, inclusive.")
    section: str
    title: str = Field(description="Title of the report.")
    quote: str = Field(description="The exact text of the cited lines.")
    table: TableRefPublic | None = Field(description="Set when the figure comes from a table cell.")


class DerivationPublic(BaseModel):
    operation: str = Field(description="difference, ratio, percent_change, sum or share.")
    operands: list[float]
    result: float


class FigurePublic(BaseModel):
    """The one figure an answer states (../shared/qa-format.md)."""

    text: str = Field(description="As printed in the first citation, or as the answer states a computed figure.")
    value: float | None = Field(description="The parsed number; null for a text answer.")
    unit: str = Field(description="Unit of the figure ('miles de personas', 'por ciento'...), '' when none.")
    period: str = Field(description="The year or period it is for ('2012', '2023-2024').")
    institution: str = Field(description="IMSS, ISSSTE, SNDIF... as the source names it.")
    kind: Literal["count", "money", "percent", "rate", "ratio", "date", "year", "text"]


class AnswerPublic(BaseModel):
    """The answer object, identical to a line of ``rag ask --jsonl`` (without its id)."""

    answer: str = Field(description="The answer text (Spanish): the figure first, then the quote.")
    figure: FigurePublic | None = Field(description="The figure the answer states; null when it abstains.")
    abstained: bool = Field(description="True when the reports do not say; then see related.")
    citations: list[CitationPublic] = Field(description="Sources backing the answer; every figure in it occurs in them.")
    related: list[CitationPublic] = Field(description="Closest sources, shown when the service abstains.")
    derivations: list[DerivationPublic]
    mode: str
    timings_ms: dict[str, float]


# --- documents ------------------------------------------------------------------


class DocumentPublic(BaseModel):
    id: str
    title: str
    short_title: str
    institutions: list[str]
    period: str
    publisher: str
    file: str
    sha256: str
    source: str = Field(description="corpus/<file>, as in citations.")
    lines: int = Field(description="Number of lines in the report.")


class LinePublic(BaseModel):
    number: int = Field(description="1-based line number.")
    text: str


class LinesPublic(BaseModel):
    id: str
    source: str
    title: str
    start: int
    end: int
    total: int = Field(description="Number of lines in the report.")
    lines: list[LinePublic]


# --- health -------------------------------------------------------------------


class ModelPublic(BaseModel):
    name: str
    fingerprint: str
    dim: int


class ReaderPublic(BaseModel):
    loaded: bool = Field(description="A fresh reader model is loaded (`rag train`); false: the rule engine answers alone.")
    threshold: float | None = Field(description="Probability below which the service abstains (chosen on dev).")
    trained_on_sha256: str | None = Field(description="sha256 of the train split the model was trained on.")


class HealthPublic(BaseModel):
    status: Literal["ok"]
    index_loaded: bool
    index_build: str = Field(description="Name of the build directory being served.")
    index_created: str
    corpus_hash: str = Field(description="sha256 over the corpus the index was built from.")
    model: ModelPublic
    counts: dict[str, int] = Field(description="Units, passages, table rows and tables in the index.")
    documents: int
    reader: ReaderPublic = Field(description="Who chooses the figure: the trained reader, or the rule engine alone when no fresh model is loaded.")
    startup_seconds: float = Field(description="Time the service took to load the index and the model and warm up.")
    uptime_seconds: float
