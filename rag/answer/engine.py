"""From a question to a verified answer (offline, extractive).

1. Read the question (``rag.query``).
2. Retrieve passages and look up table cells, together.
3. Candidates: the best cell, the best sentence; for comparisons, two figures.
4. Decide (``rag.answer.policy``): a cell, a sentence, or no answer.
5. Compose the Spanish text with its citations, pair it with the other kind
   of evidence when that says the same figure, and verify every figure
   against the cited lines; an answer that fails is not returned.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from rag import lexicon
from rag.answer import compare, compose, features, figure
from rag.answer.candidates import AnswerCandidate, extract
from rag.answer.policy import Candidate, Decision, asks_money, asks_percent, decide, is_numeric, vetoes
from rag.answer.reader import Reader, ReaderModel, Reading
from rag.answer.sentences import ScoredSentence, SentenceScorer, figure_for, figures, percent_figures, unit_after
from rag.answer.verify import unsupported_figures
from rag.numbers import format_es, same_value, strip_markers
from rag.query import QuestionInfo, analyze, explicit_years, institutions_in, law_years, years_in
from rag.text import fold, stems
from rag.types import Answer, CellMatch, Citation, Derivation, Document, Figure, Hit

CELLS_FOR_RULES = 5  # the rule engine weighs the best few cells; the reader sees the whole pool
READER_SENTENCES = 12  # sentences (and table-row lines) the reader takes candidates from


@dataclass(frozen=True)
class Evidence:
    """Everything one question retrieved, kept for the decision and for evaluation."""

    info: QuestionInfo
    hits: list[Hit]
    cells: list[CellMatch]
    sentences: list[ScoredSentence]
    candidates: list[Candidate]
    pool: list[CellMatch] = field(default_factory=list)  # every cell the lookup found, best first (cells is its head)
    reading: list[ScoredSentence] = field(default_factory=list)  # sentences for the reader: passages and table-row lines


class Answerer:
    def __init__(
        self,
        documents: dict[str, Document],
        search: Callable[[str, int], list[Hit]],
        table_matches: Callable[[str], list[CellMatch]],
        reader_model: ReaderModel | None = None,
    ) -> None:
        self.documents = documents
        self.search = search
        self.table_matches = table_matches
        self.scorer = SentenceScorer(documents)
        self.reader = Reader(reader_model, self.scorer.idf_of)

    # --- evidence ---------------------------------------------------------------
    def gather(self, question: str, k: int = 8) -> Evidence:
        info = analyze(question)
        hits = self.search(question, k)
        pool = self.table_matches(question)
        cells = pool[:CELLS_FOR_RULES]
        sentences = self.scorer.best(info, hits, 8)
        candidates = [self._cell_candidate(c, info) for c in cells[:3]] + [self._sentence_candidate(s, info) for s in sentences[:6]]
        reading = self.scorer.best(info, hits, READER_SENTENCES, rows=True) if self.reader.model is not None else []
        return Evidence(info, hits, cells, sentences, candidates, pool, reading)

    def _cell_candidate(self, match: CellMatch, info: QuestionInfo) -> Candidate:
        table, row, column = match.table, match.cell.row, match.cell.column
        doc = self.documents[table.doc_id]
        texts = " ".join(c.text for c in table.cells if c.row == row and c.value is None)
        unit_cells = compose.unit_column_values(table)
        texts += " " + unit_cells.get(row, "")  # a blank unit cell means "same as above"
        header = " ".join(table.columns[column].header)
        labels = f"{' '.join(table.row_path(row))} {texts} {table.rows[row].note}"
        context = f"{labels} {table.title} {table.unit} {header} {table.lead} {' '.join(table.section)} {doc.meta.title}"
        unit = compose.cell_unit(table, row, column, unit_cells)
        period = compose.period_label(table, row, column, doc)
        # The institution is part of what a cell says, though no cell prints it (the sentence does: "el ISSSTE...").
        own_words = f"{' '.join(table.row_path(row))} {texts} {header} {table.title} {table.unit} {table.institution}"
        return Candidate(
            kind="cell",
            score=match.score,
            context=context,
            # A caption-only table ("Resultados") says what it counts in its lead, unless the column names it ("Unidades implementadoras").
            subject=f"{own_words} {table.rows[row].note} {table.lead if _caption_only(table.title) and not _names_a_count(header) else ''}",
            years=frozenset(years_in(period)),
            institutions=frozenset({table.institution}),
            has_percent=(percent := unit == "por ciento" or _PERCENT_LABEL.search(fold(" ".join(table.row_path(row)))) is not None or "%" in match.cell.text),
            has_figure=match.cell.value is not None,
            has_count=not percent,
            coverage=self.scorer.coverage(info, own_words, f"{table.lead} {' '.join(table.section)} {doc.meta.title}"),
            unit=unit if "$" not in match.cell.text else f"{unit} pesos",
            cell=match,
        )

    def _sentence_candidate(self, scored: ScoredSentence, info: QuestionInfo) -> Candidate:
        sentence = scored.sentence
        doc = self.documents[sentence.doc_id]
        section = " ".join(sentence.section)
        years = set(explicit_years(sentence.text)) - law_years(sentence.text) or set(explicit_years(sentence.previous))  # "En el mismo periodo ..." refers back
        years |= set(explicit_years(section))  # explicit years only: "PIIMSS 2020-2024" names a plan, not 2021
        doc_years = set(years_in(doc.meta.period))
        if len(doc_years) == 1:
            years |= doc_years  # a one-year report speaks of its year, even where it compares with another
        institutions = set(institutions_in(sentence.text)) | set(institutions_in(sentence.section[0] if sentence.section else ""))
        if not institutions and len(doc.meta.institutions) <= 2:
            institutions = set(doc.meta.institutions)
        stated = figures(sentence.text)
        percent = percent_figures(sentence.text)
        # What the sentence itself counts; a merged sentence before it only gives context.
        own_counts = len(percent_figures(sentence.own_text)) < len(figures(sentence.own_text))
        return Candidate(
            kind="sentence",
            score=scored.score,
            context=f"{sentence.text} {section} {doc.meta.title}",
            subject=f"{sentence.text} {sentence.section[-1] if sentence.section else ''}",
            has_count=own_counts,
            years=frozenset(years),
            institutions=frozenset(institutions),
            has_percent="porcentaje" in fold(sentence.text) or bool(percent),
            has_figure=bool(stated),
            coverage=scored.coverage,
            sentence=scored,
        )

    # --- answer ---------------------------------------------------------------------
    def answer(self, question: str, k: int = 8) -> Answer:
        started = time.perf_counter()
        evidence = self.gather(question, k)
        gathered = time.perf_counter()
        comparison = compare.plan(question)
        decision = decide(evidence.info, evidence.candidates)
        answer = None
        if comparison is not None and self._explicit_comparison(evidence.info, comparison):
            if comparison.operation == "sum" and evidence.info.period:
                answer = self._printed_total(question, decision, evidence)
            elif comparison.operation == "share" and comparison.explicit:
                answer = self._printed_share(question, comparison, decision, evidence)
            answer = answer or self._checked(self._compare(question, comparison, evidence, k), evidence)
        if answer is None:
            answer = self._compose(question, decision, evidence)
            if (
                comparison is not None
                and comparison.operation in ("share", "percent_change")
                and (decision.kind == "abstain" or not _states_percent(answer.text) or (decision.cell is not None and not _share_cell(decision.cell)))
            ):
                answer = self._checked(self._compare(question, comparison, evidence, k), evidence) or answer  # the report doesn't print the share
        answer = self._verified(answer, evidence)
        if self.reader.model is not None and not answer.derivations:
            answer = self._read(question, evidence)
        answer = self._with_lead(answer)
        timings = {"retrieve_ms": (gathered - started) * 1000, "total_ms": (time.perf_counter() - started) * 1000}
        return replace(answer, timings_ms=timings)

    # --- the reader ---------------------------------------------------------------
    def reading(self, evidence: Evidence) -> tuple[Reading, list[AnswerCandidate], features.Context]:
        """Every candidate of the evidence, described for the model, and the model's pick (see ``rag.answer.reader``)."""
        info = evidence.info
        sentences = evidence.reading or self.scorer.best(info, evidence.hits, READER_SENTENCES, rows=True)
        candidates = extract(sentences, evidence.pool, self.documents, phrases=not is_numeric(info) or bool(lexicon.ASKS_NAME.search(info.folded)))
        rule_candidates = [self._cell_candidate(c, info) for c in evidence.pool] + [self._sentence_candidate(s, info) for s in sentences]
        ctx = self.reader.context(info, rule_candidates)
        return self.reader.read(ctx, candidates), candidates, ctx

    def _read(self, question: str, evidence: Evidence) -> Answer:
        """The reader's best candidate when it is sure enough, else no answer (its threshold was chosen on dev)."""
        reading, _, _ = self.reading(evidence)
        model = self.reader.model
        assert model is not None
        if reading.candidate is None or reading.probability < model.threshold:
            text = compose.abstention_text("ninguna cifra de las fuentes responde la pregunta con suficiente seguridad")
            return Answer(question, text, True, (), related=tuple(self._related(evidence)), confidence=reading.probability)
        answer = self._verified(self._compose_candidate(question, reading.candidate, evidence), evidence)
        return replace(answer, confidence=reading.probability)

    def _compose_candidate(self, question: str, candidate: AnswerCandidate, evidence: Evidence) -> Answer:
        if candidate.cell is not None:
            return self._compose(question, Decision("cell", cell=candidate.cell), evidence)
        assert candidate.scored is not None
        sentence = candidate.scored.sentence
        doc = self.documents[sentence.doc_id]
        citation = compose.sentence_citation(doc, sentence.start, sentence.end, sentence.section)
        if candidate.number is not None:
            plain = strip_markers(sentence.text)
            stated = figure.number_figure(evidence.info, plain, candidate.number, candidate.unit, doc)
        else:
            stated = figure.phrase_figure(evidence.info, candidate.text, sentence.text, doc)
        text = compose.sentence_answer_text(doc, sentence.text)
        return Answer(question, text, False, (citation,), related=tuple(self._related(evidence)), figure=stated)

    def _with_lead(self, answer: Answer) -> Answer:
        """The answer text leads with its figure ("64.0 miles de personas (IMSS, 2012).").

        The lead is checked like the rest: a period or unit its citations do not
        support is left out of it rather than changing which answer is given.
        """
        if answer.abstained or answer.figure is None:
            return answer
        allowed = [self._allowed_text(c) for c in answer.citations]
        options = (answer.figure, replace(answer.figure, period=""), replace(answer.figure, period="", institution=""))
        for shown in options:
            lead = figure.lead(shown)
            if not lead:
                return answer
            if not unsupported_figures(lead, answer.citations, self.read, answer.derivations, allowed):
                return replace(answer, text=f"{lead} {answer.text}")
        return answer

    def _allowed_text(self, citation: Citation) -> str:
        meta = self.documents[_doc_of(citation, self.documents)].meta
        return f"{meta.title} {meta.short_title} {meta.period}"

    # --- comparisons -------------------------------------------------------------
    @staticmethod
    def _explicit_comparison(info: QuestionInfo, comparison: compare.Plan) -> bool:
        """The question itself asks to compare ("cuántas veces", "sumando", "aumentó entre 2012 y 2020").

        A period written with two years ("de enero de 2023 a junio de 2024")
        is not a comparison; shares and rates are computed only when the
        report does not print them (see ``answer``).
        """
        if comparison.operation in ("ratio", "sum") or comparison.explicit:
            return True
        if comparison.operation in ("share", "percent_change"):
            return False
        return info.comparison or bool(_CHANGE.search(info.folded))

    def _printed_total(self, question: str, decision: Decision, evidence: Evidence) -> Answer | None:
        """ "¿Cuántas ... en total de enero de 2023 a junio de 2024?": a total the report prints for the
        whole period beats adding up its years (the period veto refuses figures of one year).
        Only a table cell: a sentence naming both years ("en 2023 ... y de enero a junio de
        2024 ...") usually gives each year's figure, not their total."""
        if decision.cell is None:
            return None
        return self._checked(self._compose(question, decision, evidence), evidence)

    def _printed_share(self, question: str, comparison: compare.Plan, decision: Decision, evidence: Evidence) -> Answer | None:
        """ "¿Qué porcentaje de la población objetivo atendió…?": a share the report prints beats computing it,
        when its evidence names both sides ("Población Atendida/ Población Objetivo 1.43 %"); a percentage
        about something else (the budget's share of the ramo) does not answer it."""
        answer = self._compose(question, decision, evidence)
        said = " ".join(_said(c) for c in answer.citations)
        if decision.kind == "abstain" or not _states_percent(answer.text) or not all(fold(a) in said for a in comparison.anchors):
            return None
        return self._checked(answer, evidence)

    def _compare(self, question: str, comparison: compare.Plan, evidence: Evidence, k: int) -> Answer | None:
        """Two figures, brought to one scale, combined, with the arithmetic shown and both cited."""
        options = [self._figures(part, anchor, k) for part, anchor in zip(comparison.parts, comparison.anchors, strict=True)]
        if comparison.evidence_must_say:  # "% de la meta": a figure only counts as the goal where its evidence says "meta"
            options = [[o for o in found if re.search(must, _said(o[2]))] for found, must in zip(options, comparison.evidence_must_say, strict=True)]
        info = evidence.info
        pair = _compatible_pair(options[0], options[1], frozenset(info.stems), percent_asked=asks_percent(info), money_asked=asks_money(info))
        if pair is None:
            return None
        if len(options) > 2:
            return self._sum_of_many(question, comparison, pair, options[2:], evidence)
        (a, a_unit, a_cite, a_dec), (b, b_unit, b_cite, b_dec) = pair
        first, second, scale = compare.align(a, a_unit, b, b_unit)
        try:
            result = compare.compute_result(comparison.operation, first, second)
        except ZeroDivisionError:
            return None
        if comparison.temporal and compare.contradicts(question, comparison.operation, result):
            return None
        decimals = compare.result_decimals(comparison.operation, (a_dec, b_dec))
        unit = a_unit if compare.scale_of(a_unit) == scale else b_unit
        if comparison.operation == "difference" and not comparison.temporal:
            first, second, result = (second, first, -result) if result < 0 else (first, second, result)  # larger first
        summary = compare.describe(comparison.operation, result, decimals, _base_unit(unit, comparison.operation), comparison.temporal)
        shown_a = format_es(first, a_dec if scale == compare.scale_of(a_unit) else 0)
        shown_b = format_es(second, b_dec if scale == compare.scale_of(b_unit) else 0)
        arithmetic = _arithmetic(comparison.operation, shown_a, shown_b, format_es(result, decimals))
        text = f"{summary[0].upper()}{summary[1:]}: {comparison.labels[0]} = {shown_a}; {comparison.labels[1]} = {shown_b}; {arithmetic}."
        operation, operands, value = _derivation_operation(comparison.operation, first, second)
        derivation = Derivation(operation, operands, value, decimals)  # type: ignore[arg-type]
        stated = figure.computed_figure(comparison.operation, result, decimals, _base_unit(unit, comparison.operation), *_scope(info))
        return Answer(question, text, False, (a_cite, b_cite), derivations=(derivation,), related=tuple(self._related(evidence)), figure=stated)

    def _sum_of_many(
        self, question: str, comparison: compare.Plan, pair: tuple[Operand, Operand], rest: Sequence[Sequence[Operand]], evidence: Evidence
    ) -> Answer | None:
        """ "sumando A, B y C": the best compatible pair for A and B, then for each further item its best
        figure counting the same thing, not already used; any item without one and there is no answer."""
        chosen = list(pair)
        base = _unit_base(pair[0][1])
        for options in rest:
            found = next(
                (o for o in options if _unit_base(o[1]) in (base, "") and base != "%" and all((o[0], o[2].lines) != (c[0], c[2].lines) for c in chosen)),
                None,
            )
            if found is None:
                return None
            chosen.append(found)
        scale = min(compare.scale_of(o[1]) for o in chosen)
        values = [o[0] * compare.scale_of(o[1]) / scale for o in chosen]
        decimals = max(o[3] if compare.scale_of(o[1]) == scale else 0 for o in chosen)
        unit = next(o[1] for o in chosen if compare.scale_of(o[1]) == scale)
        result = sum(values)
        shown = [format_es(v, o[3] if compare.scale_of(o[1]) == scale else 0) for v, o in zip(values, chosen, strict=True)]
        summary = compare.describe("sum", result, decimals, unit)
        items = "; ".join(f"{label} = {value}" for label, value in zip(comparison.labels, shown, strict=True))
        text = f"{summary[0].upper()}{summary[1:]}: {items}; {' + '.join(shown)} = {format_es(result, decimals)}."
        derivation = Derivation("sum", tuple(values), result, decimals)
        stated = figure.computed_figure("sum", result, decimals, unit, *_scope(evidence.info))
        return Answer(question, text, False, tuple(o[2] for o in chosen), derivations=(derivation,), related=tuple(self._related(evidence)), figure=stated)

    def _figures(self, question: str, anchor: str, k: int) -> list[Operand]:
        """Figures that could answer a sub-question, best first: the decision's choice, then the other survivors."""
        evidence = self.gather(question, k)
        decision = decide(evidence.info, evidence.candidates)
        chosen = [
            c
            for c in evidence.candidates
            if (decision.cell is not None and c.cell is decision.cell) or (decision.sentence is not None and c.sentence is decision.sentence)
        ]
        others = [c for c in evidence.candidates if c not in chosen and not vetoes(evidence.info, c)]
        others.sort(key=lambda c: -c.coverage)  # no decision: the figure that explains most of the sub-question first
        operands = [o for c in (chosen + others)[:6] if (o := self._operand(c, evidence.info, anchor)) is not None]
        return operands

    def _operand(self, candidate: Candidate, info: QuestionInfo, anchor: str) -> Operand | None:
        if candidate.cell is not None and (value := candidate.cell.cell.value) is not None:
            match = candidate.cell
            doc = self.documents[match.table.doc_id]
            unit = compose.cell_unit(match.table, match.cell.row, match.cell.column, compose.unit_column_values(match.table))
            return value, unit, compose.cell_citation(match.table, match.cell.row, match.cell.column, doc), match.cell.decimals
        if candidate.sentence is not None:
            sentence = candidate.sentence.sentence
            figure = figure_for(info, sentence.text, anchor, levels_only=True)
            if figure is None:
                return None
            doc = self.documents[sentence.doc_id]
            citation = compose.sentence_citation(doc, sentence.start, sentence.end, sentence.section)
            return figure.value, unit_after(sentence.text, figure), citation, figure.decimals
        return None

    def _evidence_text(self, evidence: Evidence) -> str:
        return " ".join(h.chunk.text for h in evidence.hits[:5])

    def _compose(self, question: str, decision: Decision, evidence: Evidence) -> Answer:
        related = tuple(self._related(evidence))
        if decision.kind == "cell" and decision.cell is not None:
            match = decision.cell
            doc = self.documents[match.table.doc_id]
            text = compose.cell_answer_text(match.table, match.cell.row, match.cell.column, doc)
            citations = [compose.cell_citation(match.table, match.cell.row, match.cell.column, doc)]
            citations += self._corroborating_cells(match, evidence.cells)
            citations += self._pairing_sentences(match, evidence)
            row, column = match.cell.row, match.cell.column
            unit = compose.cell_unit(match.table, row, column, compose.unit_column_values(match.table))
            stated = figure.cell_figure(match.table, row, column, unit, compose.period_label(match.table, row, column, doc))
            return Answer(question, text, False, tuple(citations), related=related, figure=stated, confidence=match.score)
        if decision.kind == "sentence" and decision.sentence is not None:
            sentence = decision.sentence.sentence
            doc = self.documents[sentence.doc_id]
            text = compose.sentence_answer_text(doc, sentence.text)
            citations = [compose.sentence_citation(doc, sentence.start, sentence.end, sentence.section)]
            citations += self._pairing_cells(sentence.text, evidence, doc.meta.id, is_numeric(evidence.info))
            stated = self._sentence_figure(evidence.info, sentence.text, doc)
            return Answer(question, text, False, tuple(citations), related=related, figure=stated, confidence=decision.sentence.score)
        return Answer(question, compose.abstention_text(decision.reason), True, (), related=related)

    @staticmethod
    def _sentence_figure(info: QuestionInfo, text: str, doc: Document) -> Figure:
        """The figure of the sentence the question asks for (``figure_for``); a sentence answer to a non-numeric question states itself."""
        plain = strip_markers(text)
        number = figure_for(info, plain) if is_numeric(info) else None
        if number is None:
            return figure.text_figure(info, text, doc)
        return figure.number_figure(info, plain, number, unit_after(plain, number), doc)

    def _related(self, evidence: Evidence) -> list[Citation]:
        """The closest sources, shown with every answer and especially with abstentions."""
        related = []
        for hit in evidence.hits[:3]:
            doc = self.documents[hit.chunk.doc_id]
            related.append(compose.sentence_citation(doc, hit.chunk.span.start, hit.chunk.span.end, hit.chunk.section))
        return related

    def _corroborating_cells(self, chosen: CellMatch, others: Sequence[CellMatch]) -> list[Citation]:
        """Other cells that print the same figure for the same year (a fact sheet and its summary table)."""
        out = []
        chosen_column = chosen.table.columns[chosen.cell.column]
        for other in others[1:4]:
            if other.table.id == chosen.table.id or other.cell.value is None or chosen.cell.value is None:
                continue
            same_figure = same_value(chosen.cell.value, chosen.cell.decimals, other.cell.value)
            same_period = set(_years(chosen_column.header)) == set(_years(other.table.columns[other.cell.column].header))
            if same_figure and same_period and other.score >= chosen.score - 1.5:
                doc = self.documents[other.table.doc_id]
                out.append(compose.cell_citation(other.table, other.cell.row, other.cell.column, doc))
        return out[:1]

    def _pairing_sentences(self, match: CellMatch, evidence: Evidence) -> list[Citation]:
        """A passage of the same report that states the cell's figure."""
        assert match.cell.value is not None
        for scored in evidence.sentences:
            sentence = scored.sentence
            if sentence.doc_id != match.table.doc_id:
                continue
            if any(same_value(match.cell.value, match.cell.decimals, n.value) for n in figures(sentence.text)):
                return [compose.sentence_citation(self.documents[sentence.doc_id], sentence.start, sentence.end, sentence.section)]
        return []

    def _pairing_cells(self, text: str, evidence: Evidence, doc_id: str, numeric: bool) -> list[Citation]:
        """A table cell of the same report holding a figure the sentence states."""
        if not numeric:
            return []
        stated = figures(text)
        for match in evidence.cells[:3]:
            value = match.cell.value
            if match.table.doc_id == doc_id and value is not None and any(same_value(n.value, n.decimals, value) for n in stated):
                doc = self.documents[doc_id]
                return [compose.cell_citation(match.table, match.cell.row, match.cell.column, doc)]
        return []

    # --- verification ---------------------------------------------------------------
    def read(self, source: str, start: int, end: int) -> str:
        for doc in self.documents.values():
            if doc.meta.source == source:
                return doc.text_at(start, end)
        return ""

    def _checked(self, answer: Answer | None, evidence: Evidence) -> Answer | None:
        """A computed answer that fails verification is dropped, so the plain answer gets its chance."""
        if answer is None:
            return None
        verified = self._verified(answer, evidence)
        return None if verified.abstained else verified

    def _verified(self, answer: Answer, evidence: Evidence) -> Answer:
        """Drop an answer whose figures are not all in its citations; fall back to abstaining."""
        if answer.abstained:
            return answer
        allowed = sorted({self._allowed_text(c) for c in answer.citations})
        missing = unsupported_figures(answer.text, answer.citations, self.read, answer.derivations, allowed)
        if not missing:
            return answer
        return Answer(answer.question, compose.abstention_text("la respuesta no pudo verificarse contra sus fuentes"), True, (), related=answer.related)


_CHANGE = re.compile(r"\b(aument\w*|disminu\w*|reduj\w*|redujo|creci\w*|crecio|bajo|bajaron|subio|subieron|super[oó]\w*)\b")


def _share_cell(match: CellMatch) -> bool:
    """Is this cell a share of the whole its question means? A "VAR. %" cell is a change, not a share,
    and an "ESTRUCTURA PORCENTUAL" cell is a share of the table's total, not of its parent row
    ("Retiro, Cesantía y Vejez › Patrón": 14.8 % of all cuotas, not of that ramo's)."""
    header = fold(" ".join(match.table.columns[match.cell.column].header))
    if re.search(r"\bvar\b|variacion", header):
        return False
    parent = match.table.rows[match.cell.row].parent
    of_a_part = parent is not None and not fold(match.table.rows[parent].label).startswith("total")
    return not ("estructura" in header and of_a_part)


def _states_percent(text: str) -> bool:
    return "por ciento" in text or "%" in text


_CAPTION_WORDS = frozenset(stems("cifras periodo enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre resultados"))


_COUNT_NOUNS = frozenset(
    stems(
        "unidades personas casos consultas solicitudes servicios acciones beneficiarios "
        "derechohabientes asegurados trabajadores pacientes niños créditos pensiones"
    )
)


def _names_a_count(header: str) -> bool:
    """Does a column header say what its cells count ("Unidades implementadoras"), rather than a period or a channel ("Correo")?"""
    return bool(set(stems(header)) & _COUNT_NOUNS)


def _caption_only(title: str) -> bool:
    """A title like "Cifras del periodo enero a diciembre de 2023" names a period, not a subject."""
    return not {w for w in stems(title) if not w.isdigit()} - _CAPTION_WORDS


def _said(citation: Citation) -> str:
    """What a cited figure's own evidence says: its quote, and a cell's row and column."""
    return fold(f"{citation.quote} {citation.table.row} {citation.table.column}" if citation.table else citation.quote)


_PERCENT_LABEL = re.compile(r"porcent(aje|ual)")  # "Variación porcentual acumulada de la recaudación" prints no unit

Operand = tuple[float, str, Citation, int]  # value, unit, citation, decimals


def _unit_base(unit: str) -> str:
    """The counted thing of a unit, without its scale: "miles de pensiones" -> "pension"; percentages -> "%"."""
    if unit == "por ciento" or "%" in unit:
        return "%"
    words = [w for w in stems(unit) if w not in {"mil", "mill", "millon", "de", "numer"}]
    return words[-1] if words else ""


_MONEY_WORDS = ("mont", "import", "pes", "gast", "recurs", "erog", "presupuest", "ingres", "recaud", "aport")


def _compatible_pair(
    first: Sequence[Operand], second: Sequence[Operand], asked: frozenset[str] = frozenset(), percent_asked: bool = True, money_asked: bool = False
) -> tuple[Operand, Operand] | None:
    """The best-ranked pair whose units count the same thing: pesos with pesos, a percentage with a percentage.

    Among pairs, identical units, units naming what the question counts,
    money when the question asks for an amount, and the same row of the same
    kind of table (TOTAL with TOTAL) come first; a figure with no printed
    unit pairs only when nothing better does, and never with a percentage;
    two percentages pair last when the question does not ask for one.
    """
    money = any(w.startswith(_MONEY_WORDS) for w in asked)
    best: tuple[float, Operand, Operand] | None = None
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            base_a, base_b = _unit_base(a[1]), _unit_base(b[1])
            if (base_a and base_b and base_a != base_b) or ("%" in (base_a, base_b) and base_a != base_b):
                continue
            if a[0] == b[0] and a[2].source == b[2].source and a[2].lines == b[2].lines:
                continue  # one printed figure cannot answer both sides of a comparison
            cost: float = i + j + (10 if not base_a or not base_b else 0)
            if base_a == "%" and money_asked and not percent_asked:
                continue  # "¿cuánto más recaudó...?" asks for pesos; two indices do not answer it
            cost += 20 if base_a == "%" and not percent_asked else 0  # "¿en cuántas personas...?" is not answered in points
            cost -= 1.5 if a[1] == b[1] and a[1] else 0
            cost -= 1.5 if base_a and base_a in asked else 0
            if money:
                cost += -2.0 if base_a == base_b == "pes" else 3.0
            if a[2].table and b[2].table and a[2].table.row == b[2].table.row:
                cost -= 1.0  # parallel figures: the same row in two years or two institutions
            if best is None or cost < best[0]:
                best = (cost, a, b)
    return (best[1], best[2]) if best else None


def _base_unit(unit: str, operation: str) -> str:
    return unit if operation in ("difference", "sum") else ""


def _arithmetic(operation: str, a: str, b: str, result: str) -> str:
    if operation == "difference":
        return f"{b} − {a} = {result}"
    if operation == "sum":
        return f"{a} + {b} = {result}"
    if operation == "ratio":
        return f"el mayor entre el menor = {result}"
    if operation == "share":
        return f"menor / mayor × 100 = {result}"
    return f"({b} / {a} − 1) × 100 = {result}"


def _derivation_operation(operation: str, first: float, second: float) -> tuple[str, tuple[float, float], float]:
    """The derivation as verify.compute expects it (operands in the order they combine)."""
    if operation == "difference":
        return "difference", (max(first, second), min(first, second)), abs(second - first)
    if operation == "sum":
        return "sum", (first, second), first + second
    if operation == "ratio":
        return "ratio", (max(first, second), min(first, second)), max(first, second) / min(first, second)
    if operation == "share":
        return "share", (min(first, second), max(first, second)), min(first, second) / max(first, second) * 100
    return "percent_change", (second, first), (second / first - 1) * 100


def _years(header: Sequence[str]) -> tuple[int, ...]:
    from rag.query import years_in

    return years_in(" ".join(header))


def _scope(info: QuestionInfo) -> tuple[str, str]:
    """Period and institution of a computed figure: those the question names."""
    years = sorted(set(info.years))
    period = "" if not years else str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"
    return period, info.institutions[0] if info.institutions else ""


def _doc_of(citation: Citation, documents: dict[str, Document]) -> str:
    return next(d.meta.id for d in documents.values() if d.meta.source == citation.source)


__all__ = ["Answerer", "Derivation", "Evidence"]
