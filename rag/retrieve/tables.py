"""Find the table cells that answer a question.

Candidate rows come from hybrid retrieval over the row units (one unit per
row, carrying title, unit and headers), so the lookup inherits BM25's exact
terms and the dense model's paraphrases. Each numeric cell of a candidate
row gets an explicit score (weights below, each with its reason):

* row: the share of the row's own label the question mentions (IDF-weighted),
  the share of the question its label, parents' labels and text cells explain
  (so "los patrones ... de Retiro, Cesantía y Vejez" picks the "Patrón" row
  under that group), label phrases quoted or repeated word for word, and what
  is being counted ("¿cuántos desayunos ...").
* column: a question year equal to the header's year; intents such as
  variation, structure, goal, achieved, baseline (``rag.query``); header
  words and phrases the question uses; percent vs amount when a table mixes
  both.
* table: words of its title, unit, lead sentence, section, first row and
  document title that the question uses (two tables are both titled
  "POBLACIÓN DERECHOHABIENTE"; the institution and the rows tell them apart).
* hard filters: a question year must be the cell's period (its column's year,
  else its row's, else the table's or the document's years), and a named
  institution must be compatible with the table's (``rag.query.compatible``).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from functools import cached_property

from rag.query import COLUMN_INTENTS, QuestionInfo, compatible, standalone_years, years_in
from rag.text import fold, stems, words
from rag.types import CellMatch, Column, Hit, Table

_GENERIC = frozenset(stems("cuanto cuantos cuantas cual fue era tenia numero cifra valor dato año segun tabla informe reporte registro cierre corte"))
_INSTITUTION_WORDS = frozenset(stems("imss issste sndif dif bienestar instituto mexicano seguro social"))
_ACTUAL = ("alcanzada", "resultado", "alcanzado")
_YEAR_TOKEN = re.compile(r"(19|20)\d\d")
_CODE = re.compile(r"[a-z]\d{3}")  # programme keys: E012, S072, U001

# Weights. The row decides most answers, so its parts dominate; the column
# part mostly separates a row's own cells; table words break ties between
# tables that share row labels.
W_COVERAGE = 1.0
W_EXPLAINED = 1.0
W_PHRASE = 0.4
W_QUOTED = 1.5
W_MEASURE_ROW = 0.6
W_MEASURE_COLUMN = 0.8
W_TABLE_WORD = 0.5
W_LEAD_WORD = 0.2
W_DOC_WORD = 0.4
MAX_TABLE = 1.4
W_EXACT_PERIOD = 0.5
W_RETRIEVAL = 0.5
W_EXCLUDED = 1.5
W_OFF_MEASURE = 2.0
W_CODE = 0.8
W_WHOLE = 0.6
W_SUBJECT = 1.0  # and the table's title says all the question asks: "¿cuántos derechohabientes tenía el IMSS?"


@functools.lru_cache(maxsize=16384)  # row labels, titles and headers are re-read for every question
def _words(text: str) -> frozenset[str]:
    """Content stems for matching. Years are left out: periods are matched by ``period_years``."""
    return frozenset(s for s in stems(text) if not _YEAR_TOKEN.fullmatch(s)) - _GENERIC - _INSTITUTION_WORDS


def _bigrams(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(tokens))


class TableLookup:
    """Scores cells of candidate rows; see the module docstring for the terms.

    >>> lookup = TableLookup(tables, doc_years={...}, doc_titles={...})
    >>> lookup.lookup(analyze("¿Cuántos jornaleros agrícolas aseguraba el IMSS en 2012?"), row_hits)[0].cell.text
    '160.2'
    """

    def __init__(self, tables: Sequence[Table], doc_years: dict[str, set[int]], doc_titles: dict[str, str] | None = None) -> None:
        self.tables = {t.id: t for t in tables}
        self.doc_years = doc_years
        self.doc_titles = doc_titles or {}

    @cached_property
    def _idf(self) -> dict[str, float]:
        """IDF of stems over row labels: rare words identify rows, common ones don't."""
        df: Counter[str] = Counter()
        count = 0
        for table in self.tables.values():
            for row in table.rows:
                df.update(_words(row.label))
                count += 1
        return {w: math.log(1 + count / n) for w, n in df.items()}

    def _weight(self, words: Iterable[str]) -> float:
        return sum(self._idf.get(w, math.log(2.0)) for w in sorted(words))  # sorted: the same float sum whatever the hash seed

    @cached_property
    def _table_words(self) -> dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]:
        """Per table: (title, unit, section and first row; the lead sentence; the document title).

        The first row often states what the whole table is about ("Atención a
        adultos mayores" heads the second CNMAIC table), so it counts with the title.
        """
        words = {}
        for t in self.tables.values():
            heads_others = any(r.parent == 0 for r in t.rows)
            first = t.rows[0].label if t.rows and not heads_others else ""  # a group row ("TOTAL") is not the subject
            primary = _words(f"{t.title} {t.unit} {' '.join(t.section[-2:])} {first}")
            lead = _words(t.lead) - primary
            words[t.id] = (primary, lead, _words(self.doc_titles.get(t.doc_id, "")) - primary - lead)
        return words

    @cached_property
    def _ditto(self) -> dict[str, dict[int, str]]:
        """Per table and row, its text cells with blanks read as "same as above".

        The CNMAIC tables print a unit ("Consultas") once for a group of rows;
        the rows under it leave the cell blank.
        """
        filled: dict[str, dict[int, str]] = {}
        for table in self.tables.values():
            text_columns = {c.column for c in table.cells if c.value is None and c.text}
            last: dict[int, str] = {}
            rows: dict[int, str] = {}
            for row in table.rows:
                parts = []
                for cell in (c for c in table.cells if c.row == row.index and c.column in text_columns):
                    if cell.text:
                        last[cell.column] = cell.text
                    parts.append(cell.text or last.get(cell.column, ""))
                rows[row.index] = " ".join(parts)
            filled[table.id] = rows
        return filled

    def _row_text_words(self, table: Table, row: int) -> frozenset[str]:
        """Words of a row's text cells (blanks as "same as above") and footnote."""
        return _words(f"{self._ditto[table.id].get(row, '')} {table.rows[row].note}")

    # --- parts -------------------------------------------------------------------
    def satisfies_measure(self, info: QuestionInfo, table: Table, row: int) -> bool:
        """Does the row count what the question counts ("¿cuántos desayunos" -> a row about desayunos)?"""
        if not info.measures:
            return True
        context = _words(" ".join(table.row_path(row))) | self._row_text_words(table, row)
        context |= _words(f"{table.title} {table.unit} {table.lead} {' '.join(' '.join(c.header) for c in table.columns)}")
        return set(info.measures) <= context

    def row_score(self, info: QuestionInfo, table: Table, row: int) -> tuple[float, tuple[str, ...]]:
        asked = _words(info.text)
        label = table.rows[row].label
        own = _words(label)
        path = _words(" ".join(table.row_path(row)[:-1]))
        text_cells = self._row_text_words(table, row)
        explained = asked & (own | path | text_cells)
        if own:
            coverage = self._weight(asked & own) / self._weight(own)
        else:  # a label that is only a year ("2016", "2023-2024") matches when it is the asked year
            coverage = 1.0 if set(years_in(label)) and set(years_in(label)) <= set(info.years) else 0.0
        score = W_COVERAGE * coverage
        score += W_EXPLAINED * self._weight(explained) / max(self._weight(asked), 1e-9)
        score += W_PHRASE * min(len(_bigrams(_content_stems(" ".join(table.row_path(row)))) & _bigrams(_content_stems(info.text))), 3)
        if any(q and (q == fold(label).strip() or q in fold(label)) for q in info.quoted):
            score += W_QUOTED
        if info.measures and set(info.measures) <= (own | text_cells):
            score += W_MEASURE_ROW  # the row itself names what is counted (a parent's name doesn't)
        if set(info.excluded) & own:
            score -= W_EXCLUDED  # "pensionados (sin contar jubilados)"
        if "total" in asked and not own & {"total"} and any(r.parent == row for r in table.rows):
            score += 0.3  # "el total de pensionados": the group row, not one of its parts
        if _is_total(table, row) and not asked & self._label_words[table.id] and not (asked & self._row_vocabulary) - own - self._context_words(table):
            score += W_WHOLE  # no row here or elsewhere is named: the question asks for the table's subject as a whole
            if asked and asked <= own | self._table_words[table.id][0]:
                score += W_SUBJECT
        return score, tuple(sorted(explained))

    @cached_property
    def _label_words(self) -> dict[str, set[str]]:
        """Per table, the words of all its row labels except total rows."""
        return {t.id: {w for r in t.rows if not _is_total(t, r.index) for w in _words(r.label)} for t in self.tables.values()}

    @cached_property
    def _row_vocabulary(self) -> set[str]:
        """Words that name rows somewhere in the corpus (labels and text cells)."""
        return {w for t in self.tables.values() for r in t.rows for w in _words(r.label) | self._row_text_words(t, r.index)}

    def _context_words(self, table: Table) -> frozenset[str]:
        primary, lead, doc = self._table_words[table.id]
        return primary | lead | doc | _words(" ".join(" ".join(c.header) for c in table.columns))

    def column_score(self, info: QuestionInfo, table: Table, column: Column, row_words: AbstractSet[str]) -> float:
        header_text = " ".join(column.header)
        header = fold(header_text)
        header_years = set(years_in(header_text))
        score = 0.0
        if info.years and header_years and "variation" not in info.intents:  # "variación en 2012" is the VAR column
            score += 1.0 if header_years & set(info.years) else -0.6
        asked = set(info.stems)
        row_text = " ".join(row_words)
        for intent in info.intents:
            prefixes, marks = COLUMN_INTENTS[intent]
            if any(w.startswith(prefixes) for w in words(row_text)) and any(w.startswith(prefixes) for w in words(info.text)):
                continue  # the intent word names the row ("Variación porcentual anual en ..."), not the column
            if any(mark in header for mark in marks):
                score += 1.2
        header_words = _words(header_text) - {str(y) for y in header_years}
        score += 0.25 * len((asked - _GENERIC) & header_words)
        question_pairs = _bigrams(_content_stems(info.text))
        header_stems = _content_stems(header_text)
        score += W_PHRASE * min(len(_bigrams(header_stems) & question_pairs), 2)
        score += W_PHRASE * min(len({(h, r) for h in header_stems for r in row_words} & question_pairs), 2)  # "claves de curación"
        if set(info.measures) & header_words:
            score += W_MEASURE_COLUMN
        if any(mark in header for mark in _ACTUAL) and not {"goal", "baseline"} & set(info.intents):
            score += 0.2  # without a hint, the achieved figure is the one people mean
        score += self._kind_preference(info, table, header, row_words)
        return score

    @staticmethod
    def _kind_preference(info: QuestionInfo, table: Table, header: str, row_words: AbstractSet[str]) -> float:
        """Percent vs amount, only where a table has both kinds of column and the row doesn't explain the word."""
        kinds = {_is_percent_header(fold(" ".join(c.header))) for c in table.columns}
        if len(kinds) < 2 or "variation" in info.intents:
            return 0.0
        is_percent = _is_percent_header(header)
        if info.wants_percent and not {"porcentaj", "porcentual"} & row_words:
            return 1.0 if is_percent else -0.5
        if info.wants_amount and not info.wants_percent:
            return 0.5 if not is_percent else -0.3
        return 0.0

    @cached_property
    def _table_idf(self) -> dict[str, float]:
        """Rarity of a word across tables, scaled to (0, 1]: "E012" names one sheet, "prestaciones" many tables."""
        df: Counter[str] = Counter()
        for primary, lead, document in self._table_words.values():
            df.update(primary | lead | document)
        raw = {w: math.log(1 + len(self._table_words) / n) for w, n in df.items()}
        top = max(raw.values(), default=1.0)
        return {w: v / top for w, v in raw.items()}

    def table_score(self, info: QuestionInfo, table: Table) -> float:
        asked = _words(info.text) - set(info.excluded)
        rarity = self._table_idf
        groups = self._table_words[table.id]
        score = sum(
            weight * sum(rarity.get(w, 1.0) for w in sorted(asked & group))
            for weight, group in zip((W_TABLE_WORD, W_LEAD_WORD, W_DOC_WORD), groups, strict=True)
        )
        codes = {w for w in asked if _CODE.fullmatch(w)}
        if codes:  # a programme code ("E012") identifies one programme: its tables, and only them
            score += W_CODE if codes & (groups[0] | groups[1] | groups[2]) else -W_CODE
        return min(score, MAX_TABLE)

    def period_years(self, table: Table, column: Column, row: int) -> set[int]:
        own = set(years_in(" ".join(column.header)))
        if own:
            return own
        row_years = set(years_in(" ".join(table.row_path(row))))
        if row_years:
            return row_years
        parts = {y for r in table.rows if r.parent == row for y in years_in(r.label)}
        if parts:
            return parts  # a total of periods covers all of them ("Total" under two date ranges)
        header_years = {y for c in table.columns for y in years_in(" ".join(c.header))}
        return header_years | set(years_in(table.title)) | self.doc_years.get(table.doc_id, set())

    # --- entry point -------------------------------------------------------------
    def lookup(self, info: QuestionInfo, row_hits: Sequence[Hit], k: int = 5, whole_tables: int = 0) -> list[CellMatch]:
        """Best cells, best first. ``row_hits`` are retrieval hits of kind "table_row".

        ``whole_tables``: every row of the first that many tables the hits found is a
        candidate too (retrieval often finds the table but a sibling row: "No Trabajadores"
        under "Asegurados"), scored like the others with the table's best hit as its prior.
        """
        best_retrieval = max((h.score for h in row_hits), default=1.0) or 1.0
        candidates: list[tuple[Hit, Table, int]] = []
        seen: set[tuple[str, int]] = set()
        for hit in row_hits:
            table_id, row = hit.chunk.table_id, hit.chunk.row_index
            if table_id is None or row is None or table_id not in self.tables or (table_id, row) in seen:
                continue
            seen.add((table_id, row))
            if compatible(info.institutions, self.tables[table_id].institution):
                candidates.append((hit, self.tables[table_id], row))
        first_hits: dict[str, tuple[Hit, Table]] = {}
        for hit, table, _ in candidates:
            first_hits.setdefault(table.id, (hit, table))
        for hit, table in list(first_hits.values())[:whole_tables]:
            for other in range(len(table.rows)):
                if (table.id, other) not in seen:
                    seen.add((table.id, other))
                    candidates.append((hit, table, other))
        counting = {(t.id, r) for _, t, r in candidates if self.satisfies_measure(info, t, r)}
        matches: list[CellMatch] = []
        # "En la compra consolidada 2023-2024, ¿cuántas piezas ... en 2024?": the range names the purchase, 2024 is asked
        alone = set(standalone_years(info.text))
        exact = alone if alone and alone != set(info.years) else set(info.years)
        for hit, table, row in candidates:
            row_part, matched = self.row_score(info, table, row)
            if counting and (table.id, row) not in counting:
                row_part -= W_OFF_MEASURE  # another row counts what was asked; this one counts something else
            base = row_part + self.table_score(info, table) + W_RETRIEVAL * hit.score / best_retrieval
            row_words = _words(" ".join(table.row_path(row))) | self._row_text_words(table, row)
            for cell in table.cells:
                if cell.row != row or cell.value is None:
                    continue
                column = table.columns[cell.column]
                period = self.period_years(table, column, row)
                if info.years and not set(info.years) & period:
                    continue
                score = base + self.column_score(info, table, column, row_words)
                if info.years and period == exact:
                    score += W_EXACT_PERIOD  # "en 2023": a 2023 table beats one covering 2023-2024
                matches.append(CellMatch(table, cell, round(score, 4), matched))
        matches.sort(key=lambda m: (-m.score, m.table.id, m.cell.row, m.cell.column))
        return matches[:k]


def _is_total(table: Table, row: int) -> bool:
    """A "TOTAL" row, or a top-level row that groups all the others."""
    label = fold(table.rows[row].label).strip()
    if label.startswith(("total", "suma")):
        return True
    return row == 0 and table.rows[row].parent is None and len(table.rows) > 1 and all(r.parent is not None for r in table.rows[1:])


def _content_stems(text: str) -> list[str]:
    """Stems in order, without generic and institution words, for phrase matching."""
    return [s for s in stems(text) if s not in _GENERIC and s not in _INSTITUTION_WORDS and not _YEAR_TOKEN.fullmatch(s)]


def _is_percent_header(header: str) -> bool:
    return "%" in header or "porcentu" in header or "estructura" in header or "porcentaje" in header


def period_of(text: str) -> set[int]:
    """Years a manifest period string covers: "2019-2024" -> {2019, ..., 2024}."""
    return set(years_in(text))
