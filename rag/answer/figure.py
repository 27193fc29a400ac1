"""The one figure an answer states: what it is, in what unit, for which period and institution.

Every answer that does not abstain carries a :class:`~rag.types.Figure`
(``../shared/qa-format.md``). It is built from what the answer came from: a
table cell, the figure of a sentence the question asks for, or a computed
result. The answer text leads with it (:func:`lead`), then the quote.
"""

from __future__ import annotations

import re

from rag import lexicon
from rag.numbers import Number, find_numbers, format_es, same_value, strip_markers
from rag.query import QuestionInfo, compatible, institutions_in, years_in
from rag.text import fold, squash_ws
from rag.types import Citation, Document, Figure, FigureKind, Table

_RATE_UNIT = re.compile(r"\btasa\b|\bpor cada\b|\bpor (?:100|mil|1,?000|10,?000|100,?000)\b|\bx ?(?:100|1,?000)\b")
_MONEY_UNIT = re.compile(r"\bpesos\b|\bmdp\b|\bmillones de \$|\$")
_PERCENT_UNIT = re.compile(r"^(?:por ciento|porcentaje|%|puntos porcentuales)$|\bporcentaje\b|\bpor ciento\b")
LEAD_TEXT_CHARS = 120
TEXT_FIGURE_CHARS = 240  # a text figure longer than this is cut: the strict rule reads it alone


def figure_kind(unit: str, printed: str = "", value: float | None = None, decimals: int = 0) -> FigureKind:
    """The kind of a figure from its unit and how it is printed.

    >>> figure_kind("miles de pesos", "57 475.9", 57475.9, 1)
    'money'
    >>> figure_kind("", "2012", 2012, 0)
    'year'
    """
    folded = fold(unit).strip()
    if "%" in printed or _PERCENT_UNIT.search(folded):
        return "percent"
    if "$" in printed or _MONEY_UNIT.search(folded):
        return "money"
    if _RATE_UNIT.search(folded):
        return "rate"
    if folded == "veces":
        return "ratio"
    if value is not None and not folded and decimals == 0 and 1900 <= value <= 2100:
        return "year"
    return "count"


def clean_printed(text: str) -> str:
    """A figure as printed, without the backslash the extraction leaves before "$" or runs of spaces."""
    return squash_ws(text.replace("\\$", "$")).strip()


def cell_figure(table: Table, row: int, column: int, unit: str, period: str) -> Figure:
    cell = table.cell(row, column)
    assert cell is not None
    printed = clean_printed(re.sub(r"\s*\^?\{?\s*p/\s*\}?", "", cell.text))
    value = cell.value
    kind: FigureKind = figure_kind(unit, printed, value, cell.decimals) if value is not None else "text"
    return Figure(printed, value, unit, period, table.institution, kind)


def sentence_period(info: QuestionInfo, text: str, document: Document) -> str:
    """The year the sentence and the question share, else the sentence's only year, else the report's period."""
    years = years_in(text)
    shared = [y for y in years if y in info.years]
    if shared:
        return str(shared[0]) if len(set(shared)) == 1 else f"{min(shared)}-{max(shared)}"
    if len(set(years)) == 1:
        return str(years[0])
    return document.meta.period


def sentence_institution(info: QuestionInfo, text: str, document: Document) -> str:
    """The institution the sentence names (one the question asked for first), else the report's."""
    named = institutions_in(text)
    for asked in info.institutions:
        if asked in named or compatible((asked,), document.meta.institutions[0] if document.meta.institutions else ""):
            return asked
    if named:
        return named[0]
    return document.meta.institutions[0] if document.meta.institutions else ""


def number_figure(info: QuestionInfo, text: str, number: Number, unit: str, document: Document) -> Figure:
    printed = clean_printed(number.text).strip("()") if number.value >= 0 else clean_printed(number.text)
    return Figure(
        printed,
        number.value,
        unit,
        sentence_period(info, text, document),
        sentence_institution(info, text, document),
        figure_kind(unit, printed, number.value, number.decimals),
    )


def text_figure(info: QuestionInfo, text: str, document: Document) -> Figure:
    """A sentence answer with no single figure: the sentence itself is what it states."""
    body = squash_ws(text)
    if len(body) > TEXT_FIGURE_CHARS:
        body = body[:TEXT_FIGURE_CHARS].rsplit(" ", 1)[0] + " …"
    return Figure(body, None, "", sentence_period(info, text, document), sentence_institution(info, text, document), "text")


def phrase_figure(info: QuestionInfo, phrase: str, sentence: str, document: Document) -> Figure:
    """A short phrase of a sentence (a name, a date, a unit): kind "date" when it is a date."""
    kind: FigureKind = "date" if lexicon.DATE_PHRASE.fullmatch(phrase.strip()) else "text"
    return Figure(phrase, None, "", sentence_period(info, sentence, document), sentence_institution(info, sentence, document), kind)


def computed_figure(operation: str, result: float, decimals: int, unit: str, period: str, institution: str) -> Figure:
    """A computed result, printed as the answer states it (a difference unsigned, like ``compare.describe``)."""
    shown = abs(result) if operation == "difference" else result
    if operation in ("share", "percent_change"):
        unit, kind = "por ciento", "percent"
    elif operation == "ratio":
        unit, kind = "veces", "ratio"
    else:
        kind = figure_kind(unit, "", shown, decimals)
        kind = "count" if kind == "year" else kind
    return Figure(format_es(shown, decimals), shown, unit, period, institution, kind)  # type: ignore[arg-type]


def lead(figure: Figure) -> str:
    """The figure first, as a user reads it: "1 016 028 afiliados (PENSIONISSSTE, 2012)."."""
    if figure.kind in ("text", "date"):
        return f"{figure.text.rstrip('.')}." if len(figure.text) <= LEAD_TEXT_CHARS else ""  # a quoted sentence is not repeated
    unit = "" if figure.unit == "por ciento" and "%" in figure.text else figure.unit
    context = ", ".join(part for part in (figure.institution, figure.period) if part)
    body = f"{figure.text} {unit}".strip()
    return f"{body} ({context})." if context else f"{body}."


def reply_figure(info: QuestionInfo, text: str, citations: tuple[Citation, ...], documents: dict[str, Document]) -> Figure | None:
    """The figure of a written (LLM) reply: its first figure printed in its first citation, else the reply as text."""
    if not citations:
        return None
    document = next((d for d in documents.values() if d.meta.source == citations[0].source), None)
    if document is None:
        return None
    quoted = find_numbers(strip_markers(citations[0].quote))
    body = re.sub(r"\[\d+\]", " ", text)
    for number in find_numbers(strip_markers(body)):
        if any(same_value(q.value, q.decimals, number.value) for q in quoted):
            return number_figure(info, citations[0].quote, number, "", document)
    return text_figure(info, body, document)
