"""Reader features (rag/answer/features.py) on hand-made candidates, values worked out by hand."""

from __future__ import annotations

import pytest

from rag.answer import features
from rag.answer.candidates import AnswerCandidate
from rag.query import analyze


def candidate(**changes: object) -> AnswerCandidate:
    base: dict[str, object] = {
        "kind": "number",
        "text": "3 245.1",
        "value": 3245.1,
        "decimals": 1,
        "percent": False,
        "currency": False,
        "unit": "miles de pensiones",
        "doc_id": "d",
        "source": "corpus/d.txt",
        "lines": (10, 10),
        "clause": "En 2012 el IMSS pagó 3 245.1 miles de pensiones",
        "sentence": "En 2012 el IMSS pagó 3 245.1 miles de pensiones en curso de pago.",
        "section": "IMSS › PRESTACIONES ECONÓMICAS",
        "rank": 0,
        "score": 1.0,
    }
    return AnswerCandidate(**{**base, **changes})  # type: ignore[arg-type]


def context(question: str) -> features.Context:
    return features.make_context(analyze(question), lambda word: 1.0)  # every word weighs the same


def test_coverage_is_the_share_of_asked_content_stems_present() -> None:
    ctx = context("¿Cuántas pensiones pagó el IMSS en 2012?")
    # asked stems (digits and generic words out): pension, pag, imss -> all three in the clause
    assert features.clause_coverage(ctx, candidate()) == pytest.approx(1.0)
    assert features.clause_coverage(ctx, candidate(clause="miles de pensiones")) == pytest.approx(1 / 3)


def test_type_agreement_pairs_what_is_asked_with_what_is_offered() -> None:
    assert features.type_agreement(context("¿Qué porcentaje de avance tuvo la obra?"), candidate(percent=True)) == 1.0
    assert features.type_agreement(context("¿Qué porcentaje de avance tuvo la obra?"), candidate()) == -1.0
    assert features.type_agreement(context("¿Qué monto ejerció el IMSS?"), candidate(unit="millones de pesos")) == 1.0
    assert features.type_agreement(context("¿Cuántas pensiones pagó el IMSS?"), candidate(percent=True)) == -1.0
    assert features.type_agreement(context("¿Qué sistema usa el IMSS?"), candidate(kind="phrase", value=None)) == 1.0


def test_asked_year_near_reads_clause_then_sentence() -> None:
    assert features.asked_year_near(context("¿Cuántas pensiones en 2012?"), candidate()) == 1.0
    far = candidate(clause="3 245.1 miles de pensiones", sentence="En 2012 se pagaron 3 245.1 miles de pensiones.")
    assert features.asked_year_near(context("¿Cuántas pensiones en 2012?"), far) == 0.5
    assert features.asked_year_near(context("¿Cuántas pensiones en 2011?"), candidate()) == 0.0
    assert features.asked_year_near(context("¿Cuántas pensiones?"), candidate()) == -1.0


def test_other_year_in_clause_and_year_like_figures() -> None:
    assert features.other_year_in_clause(context("¿Cuántas pensiones en 2011?"), candidate()) == 1.0
    assert features.other_year_in_clause(context("¿Cuántas pensiones en 2012?"), candidate()) == 0.0
    assert features.year_like(context("x"), candidate(text="2012", value=2012.0, decimals=0)) == 1.0
    assert features.year_like(context("x"), candidate()) == 0.0


def test_institution_and_goal_agreement() -> None:
    assert features.institution_agreement(context("¿Cuántas pensiones pagó el ISSSTE?"), candidate()) == -1.0
    assert features.institution_agreement(context("¿Cuántas pensiones pagó el IMSS?"), candidate()) == 1.0
    assert features.institution_agreement(context("¿Cuántas pensiones se pagaron?"), candidate()) == 0.0
    goal = candidate(clause="la meta fue de 90 por ciento")
    assert features.goal_agreement(context("¿Cuál era la meta de cobertura?"), goal) == 1.0
    assert features.goal_agreement(context("¿Qué cobertura se alcanzó?"), goal) == -1.0


def test_a_figure_the_question_quotes_is_flagged() -> None:
    ctx = context("De las 54 acciones de obra, ¿cuántas concluyeron?")
    assert features.quoted_in_question(ctx, candidate(text="54", value=54.0, decimals=0)) == 1.0
    assert features.quoted_in_question(ctx, candidate(text="12", value=12.0, decimals=0)) == 0.0


def test_variation_columns_and_totals_are_told_apart() -> None:
    cell = candidate(kind="cell", column="VAR. %", row="TOTAL")
    assert features.variation_column(context("¿Cuántos asegurados había en 2012?"), cell) == 1.0
    assert features.variation_column(context("¿Cuánto varió el número de asegurados?"), cell) == 0.0
    assert features.total_row(context("x"), cell) == 1.0
    assert features.row_coverage(context("x"), candidate()) == -1.0  # prose has no row


def test_the_vector_follows_the_registry_order() -> None:
    vector = features.vector(context("¿Cuántas pensiones pagó el IMSS en 2012?"), candidate())
    assert len(vector) == len(features.FEATURE_NAMES)
    assert vector[features.FEATURE_NAMES.index("clause_coverage")] == pytest.approx(1.0)
