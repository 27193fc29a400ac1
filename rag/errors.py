"""Domain errors. Each says what went wrong and how to fix it.

Only ``api/errors.py`` maps these to HTTP status codes, and only ``rag/cli.py``
maps them to exit codes; the pipeline itself knows neither.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: ``message`` says what happened, ``hint`` how to fix it."""

    code = "rag_error"

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(RagError):
    code = "config_error"


class CorpusError(RagError):
    """The corpus folder or its manifest is inconsistent."""

    code = "corpus_error"


class IndexNotBuilt(RagError):
    code = "index_not_built"


class IndexStale(RagError):
    code = "index_stale"


class IndexCorrupt(RagError):
    code = "index_corrupt"


class ModelUnavailable(RagError):
    code = "model_unavailable"


class BadQuestion(RagError):
    """The question itself is unusable (empty, too long, not text)."""

    code = "bad_question"


class NotFound(RagError):
    code = "not_found"


class BadRange(RagError):
    code = "bad_range"


class QAFormatError(RagError):
    """A gold QA line is malformed; the message names the line and field."""

    code = "qa_format_error"


class LLMError(RagError):
    code = "llm_error"
