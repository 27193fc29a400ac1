"""Infer row hierarchy from the numbers: a group row equals the sum of its children.

The reports print hierarchy only as indentation, which plain text loses.
What survives is arithmetic: "Pensionados 3 135.5" is followed by rows that
add up to it. ``parents_by_sum`` recovers the tree top-down; rounding in the
source is tolerated (half a unit of the last printed digit per child).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

Values = Sequence[float | None]


def _close(total: float, parts: int, target: float, decimals: int) -> bool:
    tolerance = 0.5 * 10**-decimals * max(parts, 1) + 1e-9
    return abs(total - target) <= tolerance


def _matches(rows: Sequence[Values], children: Sequence[int], parent: int, decimals: Sequence[int]) -> bool:
    """Children sum to the parent in every column where all of them have numbers, and at least one."""
    checked = 0
    for col, target in enumerate(rows[parent]):
        parts = [rows[c][col] if col < len(rows[c]) else None for c in children]
        if target is None or any(p is None for p in parts):
            continue
        if not _close(sum(p for p in parts if p is not None), len(parts), target, decimals[col]):
            return False
        checked += 1
    return checked > 0


def parents_by_sum(rows: Sequence[Values], decimals: Sequence[int], sum_columns: int = 2) -> list[int | None]:
    """Parent index of each row (None for top level).

    ``rows`` holds each row's numeric values (None for text or blanks) and
    ``decimals`` each column's printed precision. Only the first
    ``sum_columns`` columns are checked (later ones are often rates, which
    don't add up). A row whose first value is missing is never a parent.
    """
    values = [list(r[:sum_columns]) for r in rows]
    first = decimals[0] if decimals else 0

    def head(i: int) -> float | None:
        return values[i][0] if values[i] else None

    @cache
    def subtree(i: int) -> tuple[int, tuple[tuple[int, int], ...]]:
        """(index just past row i's descendants, (child, parent) links inside that subtree)."""
        target = head(i)
        if target is None:
            return i + 1, ()
        children: list[int] = []
        links: list[tuple[int, int]] = []
        running = 0.0
        j = i + 1
        while j < len(values) and (value := head(j)) is not None:
            end, inner = subtree(j)
            children.append(j)
            links.extend(inner)
            running += value
            if _close(running, len(children), target, first) and _matches(values, children, i, decimals):
                return end, (*links, *((c, i) for c in children))
            if running > target + 0.5 * 10**-first * len(children):
                break
            j = end
        return i + 1, ()

    parents: list[int | None] = [None] * len(rows)
    i = 0
    while i < len(rows):
        end, links = subtree(i)
        for child, parent in links:
            parents[child] = parent
        i = end
    return parents
