"""The answer engine (rag/answer/engine.py): comparison arithmetic by hand, abstention and a comparison on the real index."""

from __future__ import annotations

from typing import Any

import pytest

from rag.answer.engine import _arithmetic, _derivation_operation
from rag.answer.sentences import figures
from rag.answer.verify import compute
from rag.numbers import format_es

# --- comparison arithmetic (pure) -------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "first", "second", "expected"),
    [
        # 2012: 16 082.4, 2011: 15 000.0 -> larger first, 16 082.4 − 15 000.0 = 1 082.4
        ("difference", 15000.0, 16082.4, ("difference", (16082.4, 15000.0), 1082.4)),
        ("difference", 16082.4, 15000.0, ("difference", (16082.4, 15000.0), 1082.4)),
        ("sum", 700.0, 169.3, ("sum", (700.0, 169.3), 869.3)),
        # 57 475.9 / 12 495.0 = 4.59983...
        ("ratio", 12495.0, 57475.9, ("ratio", (57475.9, 12495.0), 57475.9 / 12495.0)),
        # 250 / 1 000 × 100 = 25
        ("share", 1000.0, 250.0, ("share", (250.0, 1000.0), 25.0)),
        # from 80 to 110: (110 / 80 − 1) × 100 = 37.5
        ("percent_change", 80.0, 110.0, ("percent_change", (110.0, 80.0), 37.5)),
    ],
)
def test_derivation_operation(operation: str, first: float, second: float, expected: tuple[str, tuple[float, float], float]) -> None:
    name, operands, result = _derivation_operation(operation, first, second)
    assert (name, operands) == (expected[0], expected[1])
    assert result == pytest.approx(expected[2])
    assert compute(name, operands) == pytest.approx(result)  # the verifier recomputes the same number


def test_ratio_by_hand() -> None:
    assert _derivation_operation("ratio", 12495.0, 57475.9)[2] == pytest.approx(4.6, abs=0.001)  # 57 475.9 / 12 495 = 4.5998


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("difference", "16 082.4 − 15 000.0 = 1 082.4"),
        ("sum", "15 000.0 + 16 082.4 = 1 082.4"),
        ("ratio", "el mayor entre el menor = 1 082.4"),
        ("share", "menor / mayor × 100 = 1 082.4"),
        ("percent_change", "(16 082.4 / 15 000.0 − 1) × 100 = 1 082.4"),
    ],
)
def test_arithmetic_shows_the_operation(operation: str, expected: str) -> None:
    assert _arithmetic(operation, "15 000.0", "16 082.4", "1 082.4") == expected


# --- the real pipeline ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "¿Cuántos trabajadores tenía Pemex en 2012?",  # an institution the reports don't cover
        "¿Cuántos derechohabientes tenía el IMSS en 1995?",  # a year they don't cover
        "¿Cuántas viviendas financió el INFONAVIT en 2020?",
        "¿Cuántos derechohabientes tenía el IMSS en Oaxaca al cierre de 2012?",  # a breakdown they don't give
    ],
)
def test_out_of_corpus_questions_abstain(pipeline: Any, question: str) -> None:
    answer = pipeline.ask(question)
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("No encontré") and answer.related


@pytest.mark.slow
def test_a_stated_difference_is_the_difference_of_the_two_cited_figures(pipeline: Any) -> None:
    answer = pipeline.ask("¿En cuántos miles aumentó el número de pensiones pagadas por el IMSS entre 2012 y 2020?")
    assert not answer.abstained and len(answer.citations) == 2 and answer.derivations
    stated = {n.value for n in figures(answer.text)}
    # The figure each citation contributes: the one of its quote the answer states.
    (a,), (b,) = ({n.value for n in figures(c.quote)} & stated for c in answer.citations)
    difference = format_es(abs(a - b), 1)
    assert answer.text.rstrip(".").endswith(f"= {difference}")  # the arithmetic shown ends in the cited figures' difference
    assert answer.derivations[0].result == pytest.approx(abs(a - b))
