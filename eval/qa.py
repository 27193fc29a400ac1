"""Load a gold QA file (format: ../shared/qa-format.md), rejecting malformed lines.

A bad line raises ``QAFormatError`` naming the file, the line and the field,
so `rag eval` can say exactly what to fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from rag.errors import QAFormatError

KINDS = ("table", "passage", "multi", "unanswerable")
ANSWER_TYPES = ("number", "text", "unanswerable")
_FIELDS = ("id", "question", "answer", "answer_type", "unit", "doc", "evidence", "kind")


@dataclass(frozen=True)
class QAItem:
    id: str
    question: str
    answer: str
    answer_type: str
    unit: str
    doc: str
    evidence: str
    kind: str
    note: str = ""
    line: int = 0
    operands: tuple[Operand, ...] = ()

    @property
    def answerable(self) -> bool:
        return self.kind != "unanswerable"

    def spans(self) -> list[tuple[str, str]]:
        """(doc, evidence) of every figure the answer rests on: the evidence, then each operand's."""
        found = [(self.doc, self.evidence)] if self.answerable else []
        return found + [(o.doc, o.evidence) for o in self.operands if (o.doc, o.evidence) not in found]


@dataclass(frozen=True)
class Operand:
    """One figure a multi-figure answer uses: ``{doc, evidence, answer}``."""

    doc: str
    evidence: str
    answer: str


def _operands(raw: object) -> tuple[Operand, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(Operand(str(o.get("doc", "")), str(o.get("evidence", "")), str(o.get("answer", ""))) for o in raw if isinstance(o, dict))


def _parse_line(raw: str, number: int, where: str) -> QAItem:
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise QAFormatError(f"{where}:{number}: not valid JSON ({exc.msg} at column {exc.colno})", "each line must be one JSON object") from exc
    if not isinstance(item, dict):
        raise QAFormatError(f"{where}:{number}: expected a JSON object", "see ../shared/qa-format.md")
    for name in _FIELDS:
        if name not in item:
            raise QAFormatError(f"{where}:{number}: missing field '{name}'", "see ../shared/qa-format.md")
        if not isinstance(item[name], str):
            raise QAFormatError(f"{where}:{number}: field '{name}' must be a string")
    if not item["id"].strip() or not item["question"].strip():
        raise QAFormatError(f"{where}:{number}: field '{'id' if not item['id'].strip() else 'question'}' is empty")
    if item["kind"] not in KINDS:
        raise QAFormatError(f"{where}:{number}: field 'kind' is {item['kind']!r}; expected one of {', '.join(KINDS)}")
    if item["answer_type"] not in ANSWER_TYPES:
        raise QAFormatError(f"{where}:{number}: field 'answer_type' is {item['answer_type']!r}; expected one of {', '.join(ANSWER_TYPES)}")
    if (item["kind"] == "unanswerable") != (item["answer_type"] == "unanswerable"):
        raise QAFormatError(f"{where}:{number}: field 'answer_type' must be 'unanswerable' exactly when kind is 'unanswerable'")
    if item["kind"] != "unanswerable" and (not item["doc"] or not item["evidence"]):
        raise QAFormatError(f"{where}:{number}: field '{'doc' if not item['doc'] else 'evidence'}' is empty for an answerable question")
    return QAItem(**{k: item[k] for k in _FIELDS}, note=str(item.get("note", "")), line=number, operands=_operands(item.get("operands")))


def load_qa(path: Path, corpus_dir: Path | None = None) -> list[QAItem]:
    """Parse and validate every line; with ``corpus_dir``, also check that each evidence is in its doc."""
    if not path.is_file():
        raise QAFormatError(f"QA file {path} does not exist", "pass --qa PATH to a JSONL file")
    items: list[QAItem] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip():
            continue
        item = _parse_line(raw, number, path.name)
        if item.id in seen:
            raise QAFormatError(f"{path.name}:{number}: field 'id' repeats {item.id!r}")
        seen.add(item.id)
        if corpus_dir is not None and item.answerable:
            source = corpus_dir / item.doc
            if not source.is_file():
                raise QAFormatError(f"{path.name}:{number}: field 'doc' names {item.doc!r}, which is not in the corpus")
            if item.evidence not in source.read_text(encoding="utf-8"):
                raise QAFormatError(f"{path.name}:{number}: field 'evidence' is not an exact substring of {item.doc}")
        items.append(item)
    if not items:
        raise QAFormatError(f"{path} has no questions")
    return items
