"""Deterministic citation check: every figure an answer states must be in its citations.

A figure is supported when, after number normalisation (``rag.numbers``), it
equals a number in one of the cited line spans *as read from the corpus*
(possibly restated from miles or millones to units: 57 475.9 miles = 57 475 900), or a
number in a cited table's title, row or column labels (periods taken from a
column header count as cited through that header), or the result of a
recorded derivation whose operands are themselves supported. Years named in
a cited document's title or period are allowed too ("Cuenta Pública 2012").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

from rag.numbers import Number, find_numbers, same_value, strip_markers
from rag.types import Citation, Derivation

LineReader = Callable[[str, int, int], str]  # (source, start, end) -> exact text


def _supported_values(citations: Sequence[Citation], read: LineReader, extra_texts: Iterable[str]) -> list[Number]:
    texts = [read(c.source, c.lines[0], c.lines[1]) for c in citations]
    texts += [c.quote for c in citations]
    texts += [f"{c.table.title} {c.table.row} {c.table.column} {c.table.unit}" for c in citations if c.table]
    texts += list(extra_texts)
    return [n for text in texts for n in find_numbers(strip_markers(text))]


def _equal(figure: Number, candidate: float) -> bool:
    return same_value(candidate, figure.decimals, figure.value) or same_value(figure.value, figure.decimals, candidate)


def derivation_holds(d: Derivation) -> bool:
    """Recompute the derivation; a claimed result must be what the operands give."""
    try:
        expected = compute(d.operation, d.operands)
    except (ZeroDivisionError, ValueError):
        return False
    return math.isclose(round(expected, d.decimals), round(d.result, d.decimals), abs_tol=10 ** -(d.decimals + 3))


def compute(operation: str, operands: Sequence[float]) -> float:
    """The arithmetic of comparisons; operands in the order the answer states them."""
    if operation == "sum" and len(operands) >= 2:
        return sum(operands)  # "sumando A, B y C"
    if len(operands) != 2:
        raise ValueError("comparisons take two figures")
    a, b = operands
    if operation == "difference":
        return a - b
    if operation == "sum":
        return a + b
    if operation == "ratio":
        return a / b
    if operation == "share":
        return a / b * 100
    if operation == "percent_change":
        return (a / b - 1) * 100
    raise ValueError(f"unknown operation {operation!r}")


def unsupported_figures(
    text: str, citations: Sequence[Citation], read: LineReader, derivations: Sequence[Derivation] = (), allowed_texts: Iterable[str] = ()
) -> list[str]:
    """Figures stated in ``text`` that the citations do not support (empty = verified)."""
    supported = _supported_values(citations, read, allowed_texts)
    results = [d for d in derivations if derivation_holds(d) and all(any(_close_enough(o, s.value) for s in supported) for o in d.operands)]
    missing = []
    for figure in find_numbers(strip_markers(text)):
        if any(_equal(figure, s.value) or _equal(figure, s.value * 1e3) or _equal(figure, s.value * 1e6) for s in supported):
            continue  # a cited figure, possibly restated from miles or millones to units
        if any(_equal(figure, r.result) or _equal(figure, -r.result) for r in results):  # a difference, shown signed or not
            continue
        if figure.value == 100 and any(r.operation in ("share", "percent_change") for r in results):
            continue  # the "× 100" of a percentage's arithmetic
        missing.append(figure.text.strip())
    return missing


def _close_enough(operand: float, value: float) -> bool:
    """An operand may be a cited figure rescaled to a common unit (miles -> unidades)."""
    return any(math.isclose(operand, value * scale, rel_tol=1e-9, abs_tol=1e-9) for scale in (1, 1e3, 1e6, 1e-3, 1e-6))
