"""Questions for the API tests, taken from the gold set (eval/qa.jsonl) by kind, never answers written here."""

from __future__ import annotations

import json
import re

from rag.settings import PROJECT_ROOT

QA = PROJECT_ROOT / "eval" / "qa.jsonl"
EXAMPLE = "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"  # the README's example
NUMBER = re.compile(r"\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")


def questions(kind: str, limit: int = 10) -> list[str]:
    items = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item["question"] for item in items if item.get("kind") == kind][:limit]


def digits(text: str) -> set[str]:
    """The numbers of a text with separators removed ("344 038" -> "344038"), years included."""
    return {re.sub(r"[ \u00a0\u202f,]", "", match) for match in NUMBER.findall(text)}
