"""Candidates at the level of the answer: every figure, date or short phrase the evidence offers.

The reader (``rag.answer.reader``) scores each candidate and states the best
one. A candidate carries its local context, so features can describe how well
it matches the question:

* a **cell**: a numeric cell of a table row the lookup or retrieval found,
  with its row path, column header, table title and unit;
* a **number**: a figure in a sentence of a retrieved passage, with the clause
  that holds it, the sentence and its section;
* a **phrase**: a short clause or a date of such a sentence, for questions that
  ask for a name, a date or a unit rather than a figure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rag.answer.compose import cell_unit, period_label, unit_column_values
from rag.answer.sentences import ScoredSentence, figures, unit_after
from rag.numbers import Number, find_numbers, strip_markers
from rag.text import squash_ws
from rag.types import CellMatch, Document

CandidateKind = Literal["cell", "number", "phrase"]
_CLAUSE_BREAK = re.compile(r"[;:()•\t«»\"“”]|,\s|\s[-–]\s|\.\s|\s-(?=[A-ZÁÉÍÓÚÑ])|(?<=[A-ZÁÉÍÓÚÑ])-(?:\s|$)")
_CONNECTOR = r"(?:\s+(?:de|del|de la|de los|de las|para|para el|para la|y|e|en|sobre|a|al|por)\s+|\s+)"
_NAME = re.compile(rf"(?:H\.\s)?[A-ZÁÉÍÓÚÑ][\wÁÉÍÓÚÑáéíóúñ.]*(?:{_CONNECTOR}(?:[A-ZÁÉÍÓÚÑ0-9][\wÁÉÍÓÚÑáéíóúñ.]*))+")
_BEFORE_ACRONYM = re.compile(r"((?:[A-ZÁÉÍÓÚÑ][\wáéíóúñ]*[\s,]+(?:(?:de|del|la|las|los|y|e|para|en)\s+)*){1,12})[-(]\s?([A-ZÁÉÍÓÚÑ]{2,}[\w-]*)\s?[-)]")
_DATE = re.compile(
    r"\b(?:\d{1,2}\s+de\s+)?(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
    r"(?:\s+(?:de|del)\s+(?:19|20)\d\d)?\b",
    re.IGNORECASE,
)
PHRASE_MAX_WORDS = 14  # a phrase longer than this is a quote, not a name or a date
MAX_SENTENCES = 8
MAX_CELLS = 40


@dataclass(frozen=True)
class AnswerCandidate:
    """One thing the answer could state, with where it is and what surrounds it."""

    kind: CandidateKind
    text: str  # as printed
    value: float | None
    decimals: int
    percent: bool
    currency: bool
    unit: str
    doc_id: str
    source: str  # corpus/<file>, as in citations
    lines: tuple[int, int]  # the span to cite
    clause: str  # the words around it that say what it is
    sentence: str  # its sentence; for a cell, row path + column + title
    section: str
    rank: int  # rank of its sentence or cell in its own list (0 = best)
    score: float  # the sentence scorer's or the table lookup's score
    coverage: float = 0.0  # the sentence scorer's coverage (sentences only)
    position: float = 0.0  # where it sits among its sentence's figures, 0 first .. 1 last
    period: str = ""  # the cell's period label; "" for prose
    column: str = ""
    row: str = ""
    title: str = ""
    cell: CellMatch | None = None
    scored: ScoredSentence | None = None
    number: Number | None = None


def clause_around(text: str, start: int, end: int) -> str:
    """The clause holding text[start:end]: from the previous break to the next, widened to 4 words at least."""
    breaks = [m for m in _CLAUSE_BREAK.finditer(text)]
    left = max((m.end() for m in breaks if m.end() <= start), default=0)
    right = min((m.start() for m in breaks if m.start() >= end), default=len(text))
    clause = text[left:right]
    if len(clause.split()) < 4:  # "(89.4%)": the clause is the figure alone; take the words before it too
        left = max((m.end() for m in breaks if m.end() < left - 1), default=0)
        clause = text[left:right]
    return squash_ws(clause).rstrip(" ,;.")


def answer_figures(text: str) -> list[Number]:
    """The figures of a sentence (``figures``) and its years: "¿en qué año…?" is answered by a year."""
    found = {n.start: n for n in figures(text)}
    for n in find_numbers(text):
        if n.start not in found and n.decimals == 0 and 1900 <= n.value <= 2100:
            found[n.start] = n
    return [found[k] for k in sorted(found)]


def sentence_numbers(scored: ScoredSentence, rank: int) -> list[AnswerCandidate]:
    sentence = scored.sentence
    text = strip_markers(sentence.text)
    found = answer_figures(text)
    out = []
    for i, number in enumerate(found):
        out.append(
            AnswerCandidate(
                kind="number",
                text=squash_ws(number.text.replace("\\$", "$")),
                value=number.value,
                decimals=number.decimals,
                percent=number.percent or bool(re.match(r"\s*(?:por\s+ciento|%)", text[number.end : number.end + 12])),
                currency=number.currency,
                unit=unit_after(text, number),
                doc_id=sentence.doc_id,
                source=sentence.source,
                lines=(sentence.start, sentence.end),
                clause=clause_around(text, number.start, number.end),
                sentence=squash_ws(text),
                section=" › ".join(sentence.section),
                rank=rank,
                score=scored.score,
                coverage=scored.coverage,
                position=i / max(1, len(found) - 1),
                scored=scored,
                number=number,
            )
        )
    return out


def sentence_phrases(scored: ScoredSentence, rank: int) -> list[AnswerCandidate]:
    """Dates and short clauses of a sentence, for questions that ask for a name, a date or a unit."""
    sentence = scored.sentence
    text = squash_ws(strip_markers(sentence.own_text))
    pieces = {m.group(0) for m in _DATE.finditer(text)}
    pieces |= {m.group(0).strip(" ,.;") for m in _NAME.finditer(text)}  # "Cédula de Seguridad y Protección Civil", "H. Consejo Técnico"
    pieces |= {m.group(1).strip(" ,") for m in _BEFORE_ACRONYM.finditer(text)}  # "Sistema de Información de Medicina Familiar -SIMF-"
    pieces |= {p.strip(" ,.;") for p in _CLAUSE_BREAK.split(text) if 1 <= len(p.split()) <= PHRASE_MAX_WORDS}
    out = []
    for piece in sorted(p for p in pieces if len(p) >= 3):
        out.append(
            AnswerCandidate(
                kind="phrase",
                text=piece,
                value=None,
                decimals=0,
                percent=False,
                currency=False,
                unit="",
                doc_id=sentence.doc_id,
                source=sentence.source,
                lines=(sentence.start, sentence.end),
                clause=piece,
                sentence=text,
                section=" › ".join(sentence.section),
                rank=rank,
                score=scored.score,
                coverage=scored.coverage,
                position=text.find(piece) / max(1, len(text)),
                scored=scored,
            )
        )
    return out


def cell_candidates(matches: Sequence[CellMatch], documents: dict[str, Document]) -> list[AnswerCandidate]:
    out = []
    for rank, match in enumerate(matches[:MAX_CELLS]):
        table, cell = match.table, match.cell
        unit = cell_unit(table, cell.row, cell.column, unit_column_values(table))
        row = " › ".join(table.row_path(cell.row))
        column = table.columns[cell.column].label
        printed = squash_ws(re.sub(r"\s*\^?\{?\s*p/\s*\}?", "", cell.text).replace("\\$", "$"))
        out.append(
            AnswerCandidate(
                kind="cell",
                text=printed,
                value=cell.value,
                decimals=cell.decimals,
                percent="percent" in cell.flags or unit == "por ciento",
                currency="currency" in cell.flags,
                unit=unit,
                doc_id=table.doc_id,
                source=table.source,
                lines=(min(table.rows[cell.row].start, cell.line), max(table.rows[cell.row].end, cell.line)),
                clause=f"{row} {column}",
                sentence=f"{row} | {column} | {table.title} {table.unit} {table.lead}",
                section=" › ".join(table.section),
                rank=rank,
                score=match.score,
                period=period_label(table, cell.row, cell.column, documents[table.doc_id]),
                column=column,
                row=row,
                title=table.title,
                cell=match,
            )
        )
    return out


def extract(sentences: Sequence[ScoredSentence], cells: Sequence[CellMatch], documents: dict[str, Document], phrases: bool) -> list[AnswerCandidate]:
    """Every candidate of one question's evidence: cells, then the figures (and, when asked, phrases) of the top sentences."""
    found = cell_candidates(cells, documents)
    for rank, scored in enumerate(sentences[:MAX_SENTENCES]):
        found += sentence_numbers(scored, rank)
        if phrases:
            found += sentence_phrases(scored, rank)
    return found
