"""The figure an answer states (rag/answer/figure.py) and how the answer leads with it."""

from __future__ import annotations

from rag.answer import figure
from rag.numbers import find_numbers
from rag.query import analyze
from rag.types import Cell, Column, Row, Span, Table
from tests.rag.answer import fakes


def test_kinds_follow_the_unit_and_the_printed_form() -> None:
    assert figure.figure_kind("miles de pesos", "57 475.9", 57475.9, 1) == "money"
    assert figure.figure_kind("", "$13,592", 13592, 0) == "money"
    assert figure.figure_kind("por ciento", "4.7", 4.7, 1) == "percent"
    assert figure.figure_kind("", "92.6%", 92.6, 1) == "percent"
    assert figure.figure_kind("Tasa por cada 100 trabajadores", "1.2", 1.2, 1) == "rate"
    assert figure.figure_kind("miles de personas", "160.2", 160.2, 1) == "count"
    assert figure.figure_kind("", "2012", 2012, 0) == "year"
    assert figure.figure_kind("personas", "2012", 2012, 0) == "count"  # 2 012 people, not a year


def test_a_cell_figure_is_the_cell_as_printed_without_its_preliminary_mark() -> None:
    columns = (Column(0, ("Concepto",), 1), Column(1, ("2012",), 2))
    rows = (Row(0, "Asegurados", None, 3, 4),)
    cells = (Cell(0, 1, "16 082.4 ^{p/}", 16082.4, 1, ("preliminary",), 4),)
    table = Table("t", "d", "corpus/x.txt", ("S",), "Afiliación", "Miles", "IMSS", Span("corpus/x.txt", 1, 4), "cell_per_line", columns, rows, cells)
    stated = figure.cell_figure(table, 0, 1, "miles de personas", "2012")
    assert (stated.text, stated.value, stated.kind, stated.institution, stated.period) == ("16 082.4", 16082.4, "count", "IMSS", "2012")


def test_a_sentence_figure_takes_the_period_the_question_shares_with_it() -> None:
    document = fakes.report()
    info = analyze("¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?")
    text = "Al cierre de 2012, el IMSS registró 57 475.9 miles de derechohabientes, cifra 2.1 por ciento mayor que la de 2011."
    number = find_numbers(text)[1]
    stated = figure.number_figure(info, text, number, "miles de derechohabientes", document)
    assert (stated.text, stated.value, stated.period, stated.institution, stated.kind) == ("57 475.9", 57475.9, "2012", "IMSS", "count")


def test_a_computed_difference_is_stated_unsigned_and_a_share_in_percent() -> None:
    difference = figure.computed_figure("difference", -12.3, 1, "miles de personas", "2011-2012", "IMSS")
    assert (difference.text, difference.value, difference.kind) == ("12.3", 12.3, "count")
    share = figure.computed_figure("share", 25.04, 1, "miles de personas", "", "")
    assert (share.text, share.unit, share.kind) == ("25.0", "por ciento", "percent")


def test_the_lead_states_figure_unit_institution_and_period() -> None:
    stated = figure.computed_figure("sum", 1016028, 0, "afiliados", "2012", "PENSIONISSSTE")
    assert figure.lead(stated) == "1 016 028 afiliados (PENSIONISSSTE, 2012)."
    assert figure.lead(figure.computed_figure("share", 25.0, 1, "", "", "")) == "25.0 por ciento."
    short = figure.phrase_figure(analyze("¿Qué programa?"), "Programa X", "El programa se llama Programa X.", fakes.report())
    assert figure.lead(short) == "Programa X."
    quote = figure.text_figure(analyze("¿Qué programa?"), "El programa " + "muy " * 40 + "largo.", fakes.report())
    assert figure.lead(quote) == ""  # a whole sentence is the quote itself, not repeated


def test_every_answer_of_the_engine_leads_with_its_figure() -> None:
    answer = fakes.answerer().answer("¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?")
    assert not answer.abstained and answer.figure is not None
    assert answer.figure.text == "57 475.9"
    assert answer.text.startswith("57 475.9 ")
    assert answer.figure.text in answer.citations[0].quote
