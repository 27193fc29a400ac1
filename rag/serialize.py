"""The public JSON shapes of answers and hits, shared by `rag ask --jsonl`,
`rag search --jsonl` and the HTTP API so the three can never drift apart."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rag.types import Answer, Citation, Hit, section_label


def citation_json(citation: Citation) -> dict[str, Any]:
    return {
        "source": citation.source,
        "lines": list(citation.lines),
        "section": citation.section,
        "title": citation.title,
        "quote": citation.quote,
        "table": asdict(citation.table) if citation.table else None,
    }


def answer_json(answer: Answer) -> dict[str, Any]:
    """``{"answer", "figure", "abstained", "citations", "related", "derivations", "mode", "timings_ms"}``.

    ``figure`` is the one figure the answer states (null when it abstains), taken
    from the first citation; ``citations`` back the answer (every figure in the
    answer occurs in them); ``related`` are the closest sources shown when the
    service abstains.
    """
    return {
        "answer": answer.text,
        "figure": asdict(answer.figure) if answer.figure else None,
        "abstained": answer.abstained,
        "citations": [citation_json(c) for c in answer.citations],
        "related": [citation_json(c) for c in answer.related],
        "derivations": [{"operation": d.operation, "operands": list(d.operands), "result": d.result} for d in answer.derivations],
        "mode": answer.mode,
        "timings_ms": {k: round(v, 2) for k, v in answer.timings_ms.items()},
    }


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "source": hit.chunk.span.source,
        "lines": [hit.chunk.span.start, hit.chunk.span.end],
        "section": section_label(hit.chunk.section),
        "score": round(float(hit.score), 6),
        "text": hit.chunk.text,
        "kind": hit.chunk.kind,
        "table_id": hit.chunk.table_id,
    }
