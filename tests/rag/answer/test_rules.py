"""Small rules of the answer layer, on hand-made inputs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer import compare
from rag.answer.compose import row_subject
from rag.answer.policy import asks_money
from rag.query import analyze
from rag.types import Column, Row, Span, Table


@pytest.mark.parametrize(
    ("question", "result", "expected"),
    [
        ("¿En cuántos miles disminuyó el número de niños entre febrero y diciembre?", 118.8, True),  # said "fell", figures rose
        ("¿En cuántos miles disminuyó el número de niños entre febrero y diciembre?", -48.7, False),
        ("¿En cuántas personas creció la población entre 2011 y 2012?", -5.0, True),
        ("¿En cuántas personas creció la población entre 2011 y 2012?", 242_879.0, False),
        ("¿Cuál fue la diferencia entre 2011 y 2012?", -5.0, False),  # no direction asserted
    ],
)
def test_a_change_against_the_question_direction_is_a_contradiction(question: str, result: float, expected: bool) -> None:
    assert compare.contradicts(question, "difference", result) is expected


def test_ratios_are_never_contradictions() -> None:
    assert not compare.contradicts("¿Cuántas veces disminuyó?", "ratio", 3.0)


def test_a_hyphenated_range_names_a_plan_not_two_moments() -> None:
    assert compare.plan("¿Qué porcentaje de los objetivos del programa institucional del ISSSTE 2019-2024 son de resultados?") is None
    plan = compare.plan("¿En cuántas personas creció la población derechohabiente del ISSSTE entre 2011 y 2012?")
    assert plan is not None and plan.anchors == ("2011", "2012")


def _table(labels: list[tuple[str, int | None]], title: str = "POBLACIÓN DERECHOHABIENTE") -> Table:
    rows = tuple(Row(index=i, label=label, parent=parent, start=10 + i, end=10 + i) for i, (label, parent) in enumerate(labels))
    return Table(
        id="t", doc_id="d", source="corpus/d.txt", section=("IMSS",), title=title, unit="Miles de personas", institution="IMSS",
        span=Span("corpus/d.txt", 1, 20), layout="cell_per_line", columns=(Column(index=0, header=("2012",)),), rows=rows, cells=(),
    )  # fmt: skip


def test_row_subject_reads_total_rows_as_the_table_subject() -> None:
    table = _table([("TOTAL", None), ("Pensionados", 0), ("En curso de pago", 1)])
    assert row_subject(table, 0) == "Población derechohabiente, total"
    assert row_subject(table, 1) == "Pensionados"
    assert row_subject(table, 2) == "Pensionados › En curso de pago"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("¿A cuánto ascendió el monto total emitido en pensiones del IMSS en 2012?", True),
        ("¿Cuál fue el presupuesto del programa E012 en 2020?", True),
        ("¿Qué Meta 2024 tiene la desviación del gasto en incapacidades?", False),  # an indicator about money
        ("¿Cuántos derechohabientes tenía el IMSS en 2012?", False),
    ],
)
def test_money_questions(question: str, expected: bool) -> None:
    assert asks_money(analyze(question)) is expected


def test_the_hundred_of_a_share_is_part_of_its_arithmetic_not_a_figure() -> None:
    from rag.answer.verify import unsupported_figures
    from rag.types import Citation, Derivation

    citation = Citation("corpus/d.txt", (1, 2), "S", "T", "Patrón 72 745 Retiro 92 130")
    share = Derivation("share", (72745.0, 92130.0), 78.9590795614892, 2)
    text = "78.96 por ciento: parte = 72 745; total = 92 130; menor / mayor × 100 = 78.96."
    assert unsupported_figures(text, [citation], lambda *_: "Patrón 72 745 Retiro 92 130", [share]) == []
    assert unsupported_figures(text, [citation], lambda *_: "Patrón 72 745 Retiro 92 130", []) == ["78.96", "100", "78.96"]


def test_a_law_year_is_not_a_moment() -> None:
    plan = compare.plan("¿Cuántos miles de pensionados en curso de pago (LSS 1973) más benefició el IMSS en 2020 respecto a 2012?")
    assert plan is not None and plan.anchors == ("2012", "2020")
    # the same law spelled out: one moment asked, nothing to compare
    assert compare.plan("¿A cuánto ascendieron en 2012 las pensiones enmarcadas en la Ley del Seguro Social de 1973?") is None


@pytest.mark.parametrize(
    ("header", "expected"), [("2024 Unidades implementadoras", True), ("Medio de captación Correo", False), ("2012", False), ("Total de pacientes", True)]
)
def test_a_column_header_may_name_what_its_cells_count(header: str, expected: bool) -> None:
    from rag.answer.engine import _names_a_count

    assert _names_a_count(header) is expected


def test_percentages_pair_last_when_the_question_counts_people() -> None:
    from rag.answer.engine import _compatible_pair
    from rag.types import Citation

    def operand(value: float, unit: str, line: int) -> tuple[float, str, Citation, int]:
        return value, unit, Citation("corpus/d.txt", (line, line), "S", "T", str(value)), 2

    first = [operand(28.57, "por ciento", 1), operand(7_708_958.0, "personas", 2)]
    second = [operand(32.84, "por ciento", 3), operand(7_304_531.0, "personas", 4)]
    people = _compatible_pair(first, second, percent_asked=False)
    assert people is not None and (people[0][0], people[1][0]) == (7_708_958.0, 7_304_531.0)
    points = _compatible_pair(first, second, percent_asked=True)
    assert points is not None and (points[0][0], points[1][0]) == (28.57, 32.84)


def test_a_sentence_explaining_the_whole_question_is_accepted_below_the_rank_threshold() -> None:
    from rag.answer.policy import SENTENCE_MIN, Candidate, decide

    info = analyze("¿Cuánto destinó el IMSS a rentas vitalicias en 2020?")

    def sentence(coverage: float) -> Candidate:
        return Candidate(
            kind="sentence", score=SENTENCE_MIN - 0.3, context="rentas vitalicias IMSS 2020", subject="rentas vitalicias",
            years=frozenset({2020}), institutions=frozenset({"IMSS"}), has_percent=False, has_figure=True, coverage=coverage,
        )  # fmt: skip

    assert decide(info, [sentence(0.98)]).kind == "sentence"
    assert decide(info, [sentence(0.80)]).kind == "abstain"


def _sentence(score: float, text: str = "Se otorgaron 63 996 créditos para vivienda en 2012.", coverage: float = 0.5):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from rag.answer.policy import Candidate

    return Candidate(
        kind="sentence", score=score, context=f"{text} ISSSTE", subject=text, years=frozenset({2012}), institutions=frozenset({"ISSSTE"}),
        has_percent=False, has_figure=True, has_count=True, coverage=coverage, sentence=SimpleNamespace(sentence=SimpleNamespace(text=text)),  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_sentence_below_the_threshold_is_accepted_when_it_clearly_beats_the_rest() -> None:
    from rag.answer.policy import CLEAR_MARGIN, CLEAR_MIN, SENTENCE_MIN, decide

    info = analyze("¿Cuántos créditos para vivienda otorgó el ISSSTE en 2012?")
    top = CLEAR_MIN + 0.05
    assert top < SENTENCE_MIN
    assert decide(info, [_sentence(top)]).kind == "sentence"  # alone
    assert decide(info, [_sentence(top), _sentence(top - CLEAR_MARGIN - 0.01)]).kind == "sentence"
    assert decide(info, [_sentence(top), _sentence(top - CLEAR_MARGIN + 0.01)]).kind == "abstain"  # a close runner-up: not clear
    assert decide(info, [_sentence(CLEAR_MIN - 0.01)]).kind == "abstain"


def test_a_weak_sentence_printing_the_cells_figure_in_full_beats_the_cell() -> None:
    from types import SimpleNamespace

    from rag.answer.policy import TABLE_MIN, Candidate, decide

    info = analyze("¿Cuántos créditos para vivienda otorgó el ISSSTE en 2012?")
    table = SimpleNamespace(row_path=lambda row: ["Créditos para vivienda"], columns=[SimpleNamespace(header=("2012",))])
    match = SimpleNamespace(table=table, cell=SimpleNamespace(value=64.0, decimals=1, text="64.0", row=0, column=0))
    cell = Candidate(
        kind="cell", score=TABLE_MIN + 1, context="Créditos para vivienda ISSSTE 2012", subject="Créditos para vivienda", years=frozenset({2012}),
        institutions=frozenset({"ISSSTE"}), has_percent=False, has_figure=True, has_count=True, coverage=0.5, cell=match,  # type: ignore[arg-type]
    )  # fmt: skip
    weak = 0.5  # below every sentence threshold
    assert decide(info, [cell, _sentence(weak)]).kind == "sentence"  # 63 996 is 64.0 miles, printed in full
    assert decide(info, [cell, _sentence(weak, "Se otorgaron 19 170 créditos conmemorativos en 2012.")]).kind == "cell"


def test_figures_skip_names_like_covid_19_but_not_figures_after_a_line_break() -> None:
    from rag.answer.sentences import figures

    assert [f.value for f in figures("la pandemia de COVID-19 y el SARS-CoV-2 dejaron 45 casos")] == [45.0]
    assert [f.value for f in figures("Población Objetivo\n1.43 %")] == [1.43]
    assert [f.value for f in figures("una caída de -5.2 por ciento")] == [-5.2]


def test_the_figure_a_question_quotes_marks_the_sentence_but_is_not_the_answer() -> None:
    from rag.answer.sentences import figure_for, question_figures

    info = analyze("¿Cuánto se invirtió en las 54 acciones de obra médica concluidas entre el 1 de enero de 2023 y el 30 de junio de 2024?")
    assert [f.value for f in question_figures(info)] == [54.0]  # not the days of the dates, not the years
    found = figure_for(info, "Se concluyeron 54 acciones de obra médica con una inversión de 1,306.8 millones de pesos.")
    assert found is not None and found.value == 1306.8


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("¿Qué cobertura de vacunación tuvieron en 2023 los niños en guarderías?", True),
        ("¿Cuál fue la proporción de usuarios atendidos en 2020?", True),
        ("¿En cuántas entidades federativas tuvo cobertura el programa E012?", False),
        ("¿Qué porcentaje de la población cubría el IMSS?", True),
    ],
)
def test_percent_questions(question: str, expected: bool) -> None:
    from rag.answer.policy import asks_percent

    assert asks_percent(analyze(question)) is expected


def test_a_goal_sentence_scores_below_the_same_sentence_reporting_a_result() -> None:
    from rag.answer.sentences import W_TARGET, Sentence, SentenceScorer
    from tests.rag.answer.fakes import META, report

    scorer = SentenceScorer({META.id: report()})

    def scored(question: str, text: str) -> float:
        return scorer.score(analyze(question), Sentence(META.id, META.file, 1, 1, text, (), 1.0)).score

    result, goal = "En 2012 la cobertura de vacunación fue del 88%.", "En 2012 la meta de cobertura de vacunación fue del 90%."
    question = "¿Qué cobertura de vacunación hubo en 2012?"
    assert scored(question, result) - scored(question, goal) == pytest.approx(W_TARGET, abs=0.02)
    asks_goal = "¿Qué meta de cobertura de vacunación hubo en 2012?"
    assert scored(asks_goal, goal) >= scored(asks_goal, result)  # asked for the goal: no penalty


def test_counting_pensions_is_not_counting_pensioners_though_the_stems_agree() -> None:
    from rag.answer.policy import vetoes
    from rag.text import stems

    assert stems("pensiones") == stems("pensionados")  # why the stem-based checks could not tell them apart
    things, people = analyze("¿Cuántas pensiones cubrió el IMSS en 2012?"), analyze("¿Cuántos pensionados tenía el IMSS en 2012?")
    about_people = _sentence(1.5, "En 2012 se benefició a 2 773.3 miles de pensionados del IMSS.")
    about_things = _sentence(1.5, "En 2012 el IMSS cubrió 3 045.8 miles de pensiones.")
    assert "la evidencia cuenta pensionados, no pensiones" in vetoes(things, about_people)
    assert not any("cuenta" in reason for reason in vetoes(things, about_things))
    assert not any("cuenta" in reason for reason in vetoes(people, about_people))


def test_figures_skip_article_names_like_140_bis() -> None:
    from rag.answer.sentences import figures

    assert [f.value for f in figures("La Licencia 140 bis y el artículo 9 Ter sumaron 311 solicitudes")] == [311.0]


def test_a_comparison_operand_is_a_level_not_a_stated_difference() -> None:
    from rag.answer.sentences import figure_for, states_difference

    text = "Al cierre de 2020 los ingresos ascendieron a $363,500,796.5 miles, $9,279,737.9 miles más que lo recaudado en 2019."
    info = analyze("¿Cuánto más recaudó el IMSS en 2020 que en 2019?")
    nearest = figure_for(info, text, "2019")
    assert nearest is not None and nearest.value == 9_279_737.9 and states_difference(text, nearest)
    level = figure_for(info, text, "2019", levels_only=True)
    assert level is not None and level.value == 363_500_796.5


def test_a_money_question_refuses_a_percentage_row_that_prints_no_unit() -> None:
    from types import SimpleNamespace

    from rag.answer.policy import Candidate, vetoes

    def cell(has_percent: bool) -> Candidate:
        table = SimpleNamespace(row_path=lambda row: ["Variación de la recaudación"], columns=[SimpleNamespace(header=("2019",))])
        match = SimpleNamespace(table=table, cell=SimpleNamespace(value=105.04, decimals=2, text="105.04", row=0, column=0))
        return Candidate(
            kind="cell", score=5.0, context="recaudación IMSS 2019", subject="recaudación", years=frozenset({2019}), institutions=frozenset({"IMSS"}),
            has_percent=has_percent, has_figure=True, has_count=not has_percent, coverage=1.0, unit="", cell=match,  # type: ignore[arg-type]
        )  # fmt: skip

    money = analyze("¿Cuánto recaudó el IMSS por ingresos obrero patronales en 2019?")
    assert "la evidencia da un porcentaje, no un monto" in vetoes(money, cell(has_percent=True))
    assert not vetoes(money, cell(has_percent=False))
    assert not vetoes(analyze("¿Qué variación porcentual tuvo la recaudación del IMSS en 2019?"), cell(has_percent=True))


def test_a_printed_period_total_is_cited_instead_of_adding_up_its_years() -> None:
    from rag.answer.engine import Answerer
    from rag.tables import extract_tables
    from rag.types import CellMatch
    from tests.rag.answer.fakes import report

    text = (
        "INFORME DE PRUEBA DEL INSTITUTO MEXICANO DEL SEGURO SOCIAL 2023-2024\n\nATENCIÓN A PACIENTES ONCOPEDIÁTRICOS\n\n"
        "Solicitudes recibidas de enero de 2023 a junio de 2024\nSolicitud\t2023\t2024\tTotal\nLicencia 140 bis\t311\t143\t454\nGuarderías\t20\t10\t30\n\n"
        "En 2023 se recibieron 311 solicitudes sobre la Licencia 140 bis y de enero a junio de 2024 otras 143.\n"
    )
    document = report(text)
    (table,) = extract_tables(document)
    row = [c for c in table.cells if c.row == 0]
    ranked = [CellMatch(table, cell, 4.0 - 0.1 * i) for i, cell in enumerate(row)]  # the one-year cells rank first
    answerer = Answerer({document.meta.id: document}, lambda question, k: [], lambda question: ranked)

    answer = answerer.answer("¿Cuántas solicitudes sobre la Licencia 140 bis se recibieron en total de enero de 2023 a junio de 2024?")
    assert not answer.abstained and not answer.derivations  # read, not computed
    assert "454" in answer.text
    assert [c.table.column for c in answer.citations if c.table] == ["Total"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("¿Por qué importe se adjudicó material de curación al IMSS?", True),  # "for what amount"
        ("¿Por qué monto se contrató la obra?", True),
        ("¿Por qué disminuyó la cobertura del programa E012 en 2020?", False),  # "why"
    ],
)
def test_por_que_importe_asks_for_a_figure_por_que_alone_for_a_reason(question: str, expected: bool) -> None:
    from rag.answer.policy import is_numeric

    assert is_numeric(analyze(question)) is expected


def test_a_zero_cell_is_never_printed_more_precisely_by_a_small_figure() -> None:
    from types import SimpleNamespace

    from rag.answer.policy import Candidate, _more_precise

    def cell(value: float) -> Candidate:
        match = SimpleNamespace(cell=SimpleNamespace(value=value, decimals=0, text=str(value), row=0, column=0))
        return Candidate(
            kind="cell", score=6.0, context="Meta 2024", subject="Meta 2024", years=frozenset({2024}), institutions=frozenset({"IMSS"}),
            has_percent=False, has_figure=True, coverage=0.6, cell=match,  # type: ignore[arg-type]
        )  # fmt: skip

    sentence = _sentence(0.9, "El 28 de junio de 2024 se aportaron 846 millones de pesos a la reserva.")
    assert not _more_precise(sentence, cell(0.0))
    assert _more_precise(_sentence(0.9, "Se aportaron 846 000 pesos a la reserva."), cell(846.0))  # 846 miles, in full


def test_near_tied_sentences_go_to_the_one_that_explains_more_of_the_question() -> None:
    from dataclasses import replace

    from rag.answer.policy import TIE_COVERAGE, TIE_MARGIN, decide

    info = analyze("¿Cuántas pensiones por riesgos de trabajo concedió el ISSSTE en 2012?")
    first = _sentence(1.18, "En 2012 se pagaron 270.5 millones a 437 trabajadores por negativa de pensión.", coverage=0.43)
    explains = _sentence(1.18 - TIE_MARGIN + 0.02, "Por riesgos de trabajo se concedieron 18 806 pensiones en 2012.", coverage=0.43 + TIE_COVERAGE + 0.1)
    assert decide(info, [first, explains]).sentence is explains.sentence
    assert decide(info, [first, replace(explains, score=1.18 - TIE_MARGIN - 0.02)]).sentence is first.sentence  # not a tie
    assert decide(info, [first, replace(explains, coverage=0.43 + TIE_COVERAGE - 0.1)]).sentence is first.sentence  # not clearly more


def test_the_share_of_a_goal_achieved_is_computed_from_the_goal_and_the_result() -> None:
    from rag.answer.compare import plan
    from tests.rag.answer.fakes import answerer, report

    question = "¿Qué porcentaje de la meta 2022 de recursos que ingresan a las SIEFORE se logró?"
    found = plan(question)
    assert found is not None and found.operation == "share" and found.explicit and found.anchors == ("logr", "meta")
    assert plan("¿Qué porcentaje de los recursos ingresó a las SIEFORE en 2022?") is None  # no goal named

    text = (
        "INFORME DE PRUEBA DEL INSTITUTO MEXICANO DEL SEGURO SOCIAL 2022\n\nRECURSOS DE LAS SIEFORE\n\n"
        "No se alcanzó la meta de los recursos que ingresan a las SIEFORE: para 2022 se tenía una meta de $29,338 y se logró $13,592.\n"
    )
    answer = answerer(report(text)).answer(question)
    assert not answer.abstained and answer.derivations
    assert answer.derivations[0].operands == (13_592.0, 29_338.0) and round(answer.derivations[0].result, 2) == 46.33


def test_a_figure_right_after_its_anchor_word_is_the_one_the_anchor_names() -> None:
    from rag.answer.sentences import figure_for

    text = "No se alcanzó la meta de los recursos que ingresan a las SIEFORE: para 2022 se tenía una meta de $29,338 y se logró $13,592."
    info = analyze("resultado 2022 de recursos ingresan a las SIEFORE")  # the sub-question; its words sit nearer $29,338
    achieved, goal = figure_for(info, text, "logr"), figure_for(info, text, "meta")
    assert achieved is not None and achieved.value == 13_592.0
    assert goal is not None and goal.value == 29_338.0


def test_coverage_is_read_when_printed_for_its_population_and_computed_when_not() -> None:
    from rag.answer.compare import plan
    from tests.rag.answer.fakes import answerer, report

    text = (
        "INFORME DE PRUEBA DEL INSTITUTO MEXICANO DEL SEGURO SOCIAL 2020\n\nCOBERTURA DEL PROGRAMA\n\n"
        "En 2020 la población potencial del programa fue de 97,837,470 personas.\n\n"
        "En 2020 la población atendida del programa fue de 577,288 personas.\n\n"
        "En 2020 la población atendida entre la población objetivo del programa fue de 1.43 %.\n"
    )
    found = plan("¿Qué porcentaje de su población potencial atendió el programa en 2020?")
    assert found is not None and found.operation == "share" and found.anchors == ("atendida", "potencial")
    system = answerer(report(text))

    printed = system.answer("¿Qué porcentaje de su población objetivo atendió el programa en 2020?")
    assert not printed.abstained and not printed.derivations and "1.43" in printed.text
    computed = system.answer("¿Qué porcentaje de su población potencial atendió el programa en 2020?")
    assert not computed.abstained and computed.derivations
    assert computed.derivations[0].operands == (577_288.0, 97_837_470.0) and round(computed.derivations[0].result, 2) == 0.59


def test_a_law_year_never_decides_a_figures_period() -> None:
    from rag.answer.policy import vetoes
    from rag.query import law_years

    assert law_years("pensionados en curso de pago (LSS 1973) en 2020") == {1973}
    assert law_years("rentas vitalicias -Ley de 1997- en 2012") == {1997}
    assert law_years("el IMSS en 2012 y en 2020") == frozenset()
    info = analyze("¿Cuántos miles de pensionados en curso de pago (LSS 1973) benefició el IMSS en 2012?")
    of_2020 = replace(_sentence(1.2, "Las pensiones de la LSS de 1973 beneficiaron a 3,950.7 miles de pensionados."), years=frozenset({1973, 2020}))
    assert any("no de 2012" in reason for reason in vetoes(info, of_2020))
    assert not any("no de 2012" in reason for reason in vetoes(info, replace(of_2020, years=frozenset({2012}))))


def test_mas_respecto_a_is_a_comparison() -> None:
    assert analyze("¿Cuántos pensionados más benefició el IMSS en 2020 respecto a 2012?").comparison
    assert analyze("¿Cuántos pensionados más benefició el IMSS en 2020 que en 2012?").comparison
    assert not analyze("¿Cuántos pensionados benefició el IMSS en 2020 respecto a su meta?").comparison


def test_a_standalone_year_is_the_period_asked_a_range_beside_it_names_the_thing() -> None:
    from rag.query import standalone_years

    assert standalone_years("En la compra consolidada 2023-2024 del IMSS, ¿cuántas piezas compró la SSA en 2024?") == (2024,)
    assert standalone_years("¿Cuántos derechohabientes tenía el IMSS en 2012 y en 2020?") == (2012, 2020)
    assert standalone_years("¿Qué objetivos tiene el programa institucional 2019-2024?") == ()


def test_the_lookup_prefers_the_asked_year_over_a_range_the_question_uses_as_a_name() -> None:
    from rag.retrieve.tables import TableLookup
    from rag.tables import extract_tables, row_units
    from rag.types import Hit
    from tests.rag.answer.fakes import report

    text = (
        "INFORME DE PRUEBA DEL INSTITUTO MEXICANO DEL SEGURO SOCIAL 2023-2024\n\nCOMPRAS CONSOLIDADAS\n\n"
        "Compra consolidada claves adjudicadas por periodo y comprador\nPeriodo\tComprador\tClaves\tPiezas\n"
        "2023-2024\tINSABI\t1,500\t2,476,406,976\n2024\tSSA\t300\t290,267,414\n2024\tBIRMEX\t200\t252,363,820\n"
    )
    document = report(text)
    tables = extract_tables(document)
    lookup = TableLookup(tables, {document.meta.id: {2023, 2024}})
    hits = [Hit(unit, 1.0, "fake") for table in tables for unit in row_units(table)]
    question = "En la compra consolidada 2023-2024 del IMSS, ¿cuántas piezas se adquirieron a través de la compra de la SSA en 2024?"
    best = lookup.lookup(analyze(question), hits)[0]
    assert best.cell.text == "290,267,414"


def test_a_question_that_asks_for_the_table_gets_the_cell_over_a_sentence_that_explains_more() -> None:
    from types import SimpleNamespace

    from rag.answer.policy import TABLE_MIN, Candidate, decide

    table = SimpleNamespace(row_path=lambda row: ["TOTAL"], columns=[SimpleNamespace(header=("2024 Unidades implementadoras",))])
    match = SimpleNamespace(table=table, cell=SimpleNamespace(value=1024.0, decimals=0, text="1024", row=0, column=0))
    cell = Candidate(
        kind="cell", score=TABLE_MIN + 1, context="Resultados TOTAL 2024 unidades Modelo de Competitividad IMSS", subject="TOTAL unidades",
        years=frozenset({2024}), institutions=frozenset({"IMSS"}), has_percent=False, has_figure=True, coverage=0.3, cell=match,  # type: ignore[arg-type]
    )  # fmt: skip
    visits = _sentence(1.5, "En 2024 se realizaron 17 visitas a unidades del Modelo de Competitividad en 6 OOAD.", coverage=0.7)
    prose = replace(visits, institutions=frozenset({"IMSS"}), years=frozenset({2024}))
    asks_table = analyze("¿Cuántas unidades del IMSS implementaban el Modelo de Competitividad en total en 2024 según la tabla por OOAD?")
    plain = analyze("¿Cuántas unidades del IMSS implementaban el Modelo de Competitividad en total en 2024?")
    assert decide(asks_table, [cell, prose]).kind == "cell"
    assert decide(plain, [cell, prose]).kind == "sentence"  # without the request, the explaining sentence wins


def test_a_money_question_refuses_a_sentence_that_states_no_amount() -> None:
    from rag.answer.policy import vetoes

    money = analyze("¿Cuánto presupuesto ejerció en 2012 la acción social del ISSSTE?")
    people = _sentence(1.0, "En 2012 la acción social benefició a 24,252 madres y padres trabajadores.")
    pesos = _sentence(1.0, "En 2012 la acción social ejerció 1,693 millones de pesos.")
    assert "la evidencia no da un monto" in vetoes(money, people)
    assert "la evidencia no da un monto" not in vetoes(money, pesos)
    assert "la evidencia no da un monto" not in vetoes(analyze("¿A cuántas personas benefició en 2012 la acción social del ISSSTE?"), people)


def test_a_column_of_counts_named_unidades_is_not_a_unit_column() -> None:
    from rag.answer.compose import unit_column_values
    from rag.types import Cell

    def table(header: str, text: str, value: float | None) -> Table:
        base = _table([("TOTAL", None)])
        columns = (Column(index=0, header=(header,)), Column(index=1, header=("2024",)))
        cells = (Cell(0, 0, text, value, 0, (), 10), Cell(0, 1, "1024", 1024.0, 0, (), 10))
        return replace(base, columns=columns, cells=cells)

    assert unit_column_values(table("Unidad de medida", "Unidades", None)) == {0: "Unidades"}
    assert unit_column_values(table("Unidades de medida", "Pesos", None)) == {0: "Pesos"}
    assert unit_column_values(table("Unidades implementadoras", "1636", 1636.0)) == {}
    assert unit_column_values(table("Unidad", "1636", 1636.0)) == {0: ""}  # a figure is never a unit


def test_a_sum_of_three_items_keeps_the_context_around_the_list() -> None:
    from rag.answer.compare import plan
    from rag.answer.verify import compute

    found = plan("¿Cuántos trabajadores asegurados —sumando permanentes, eventuales urbanos y jornaleros agrícolas— tenía el IMSS al cierre de 2012?")
    assert found is not None and found.operation == "sum"
    assert found.labels == ("permanentes", "eventuales urbanos", "jornaleros agrícolas")
    assert all("tenía el IMSS al cierre de 2012" in part and part.startswith("trabajadores asegurados") for part in found.parts)
    assert compute("sum", (13_847.6, 2_054.2, 160.2)) == pytest.approx(16_062.0)


def test_three_figures_are_summed_with_the_arithmetic_shown_and_all_cited() -> None:
    from tests.rag.answer.fakes import answerer, report

    text = (
        "INFORME DE PRUEBA DEL INSTITUTO MEXICANO DEL SEGURO SOCIAL 2012\n\nASEGURADOS\n\n"
        "Al cierre de 2012 el IMSS tenía 13 847.6 miles de trabajadores asegurados permanentes.\n\n"
        "Al cierre de 2012 el IMSS tenía 2 054.2 miles de trabajadores asegurados eventuales urbanos.\n\n"
        "Al cierre de 2012 el IMSS tenía 160.2 miles de trabajadores asegurados jornaleros agrícolas.\n"
    )
    question = "¿Cuántos trabajadores asegurados tenía el IMSS al cierre de 2012, sumando permanentes, eventuales urbanos y jornaleros agrícolas?"
    answer = answerer(report(text)).answer(question)
    assert not answer.abstained and answer.derivations
    assert answer.derivations[0].operands == (13_847.6, 2_054.2, 160.2) and answer.derivations[0].result == pytest.approx(16_062.0)
    assert "13 847.6 + 2 054.2 + 160.2 = 16 062.0" in answer.text
    assert len({c.lines for c in answer.citations}) == 3
    without_third = text.replace("Al cierre de 2012 el IMSS tenía 160.2 miles de trabajadores asegurados jornaleros agrícolas.\n", "")
    assert not answerer(report(without_third)).answer(question).derivations  # two of three figures are not a sum of three


def test_below_the_threshold_a_tie_in_score_is_won_clearly_by_explaining_more() -> None:
    from dataclasses import replace

    from rag.answer.policy import CLEAR_MIN, SENTENCE_MIN, TIE_COVERAGE, decide

    info = analyze("¿Cuántas personas de la población beneficiaria vivían en comunidades indígenas en 2012?")
    score = (CLEAR_MIN + SENTENCE_MIN) / 2  # above the clear-winner floor, below the rank threshold
    talks = _sentence(score, "En 2012, 198,898 personas participaron en estas pláticas.", coverage=0.26)
    explains = _sentence(score, "En 2012 la población beneficiaria era de 11,615.6 miles; 4,095.1 miles radica en comunidades indígenas.", coverage=0.66)
    assert decide(info, [talks, explains]).sentence is explains.sentence
    close = replace(explains, coverage=0.26 + TIE_COVERAGE - 0.05)
    assert decide(info, [talks, close]).kind == "abstain"  # a tie nobody clearly wins


def test_a_goal_share_needs_a_goal_in_the_evidence() -> None:
    from tests.rag.answer.fakes import answerer

    goal = "¿Qué porcentaje de la meta de derechohabientes alcanzó el IMSS en 2012?"
    for question in (goal, "¿Qué porcentaje de su población objetivo atendió el IMSS en 2012?"):
        assert not answerer().answer(question).derivations  # the report names no goal and no target population


def test_year_anchors_do_not_take_the_figure_after_them() -> None:
    from rag.answer.sentences import figure_for

    text = "El porcentaje de concesiones pasó de 95% en 2019 a 99% en 2022."
    info = analyze("¿En cuántos puntos porcentuales aumentó el porcentaje de concesiones entre 2019 y 2022?")
    assert [getattr(figure_for(info, text, year), "value", None) for year in ("2019", "2022")] == [95.0, 99.0]


def test_only_a_year_right_after_a_laws_name_is_a_law_year() -> None:
    from rag.query import law_years

    assert law_years("¿Cuántas pensiones otorgó el IMSS conforme a la Ley del Seguro Social en 2023?") == frozenset()
    assert law_years("bajo la ley vigente en 2020") == frozenset()
    assert law_years("la Ley del ISSSTE de 2007 y la LSS de 1973") == {2007, 1973}


def test_counting_things_bought_with_money_is_not_asking_for_an_amount() -> None:
    from rag.answer.policy import vetoes

    info = analyze("¿Cuántos proyectos de inversión concluyó el ISSSTE en 2012?")
    assert "la evidencia no da un monto" not in vetoes(info, _sentence(1.0, "En 2012 el ISSSTE concluyó 54 proyectos de inversión."))


def test_a_stated_difference_is_recognised_behind_a_footnote_mark() -> None:
    from rag.answer.sentences import figure_for

    text = "En 2020 los ingresos p/ fueron $363,500 miles, $9,279 miles más que lo recaudado en 2019."
    level = figure_for(analyze("¿Cuánto más recaudó el IMSS en 2020 que en 2019?"), text, "2019", levels_only=True)
    assert level is not None and level.value == 363_500.0


@pytest.mark.parametrize(
    ("question", "asks_table"),
    [("¿Cuántas unidades había en 2024 según la tabla por OOAD?", True), ("¿Cuántas claves había en el Cuadro Básico en 2024?", False)],
)
def test_the_cuadro_basico_is_a_catalogue_not_a_table_request(question: str, asks_table: bool) -> None:
    from rag.answer.policy import _ASKS_TABLE

    assert bool(_ASKS_TABLE.search(question)) is asks_table


def test_por_que_followed_by_a_longer_word_is_still_why() -> None:
    from rag.answer.policy import is_numeric

    assert not is_numeric(analyze("¿Por qué valoró el CONEVAL el indicador como inadecuado?"))
    assert not is_numeric(analyze("¿Por qué totalmente se suspendieron los cursos?"))


def test_vetoes_are_named_and_listed_once() -> None:
    from rag.answer.policy import VETOES

    assert list(VETOES) == ["period", "institution", "programme", "state", "foreign_institution", "counted", "percent", "figure", "amount", "count"]
    assert all(check.__doc__ for check in VETOES.values())
