"""The retriever contract: every backend answers ``search(query, k) -> list[Hit]``."""

from __future__ import annotations

from typing import Protocol

from rag.types import Hit


class Retriever(Protocol):
    name: str

    def search(self, query: str, k: int) -> list[Hit]:
        """Best-first hits, at most ``k``; an empty query gives no hits."""
        ...
