"""The number-verification check (rag/answer/verify.py) on hand-made citations and hand-worked arithmetic."""

from __future__ import annotations

import pytest

from rag.answer.verify import compute, derivation_holds, unsupported_figures
from rag.types import Citation, Derivation, TableRef

LINES = {
    ("corpus/a.txt", 3, 3): "Derechohabientes (miles): 57 475.9",
    ("corpus/a.txt", 10, 11): "El ISSSTE atendió a 12 450 personas\ny a 3 200 en 2011.",
}


def read(source: str, start: int, end: int) -> str:
    return LINES.get((source, start, end), "")


def cite(start: int, end: int, table: TableRef | None = None) -> Citation:
    return Citation("corpus/a.txt", (start, end), "S", "Informe", read("corpus/a.txt", start, end), table)


ROW = cite(3, 3)
PROSE = cite(10, 11)


@pytest.mark.parametrize(
    "text",
    [
        "El IMSS tenía 57 475.9 miles de derechohabientes.",  # as printed
        "El IMSS tenía 57,475.9 miles de derechohabientes.",  # comma thousands: the same figure
        "El IMSS tenía 57475.9 miles.",  # no separator
        "El IMSS tenía 57 475 900 derechohabientes.",  # miles restated in units: 57 475.9 × 1 000
    ],
)
def test_a_cited_figure_in_any_printed_form_is_supported(text: str) -> None:
    assert unsupported_figures(text, [ROW], read) == []


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ("El IMSS tenía 58 000 miles de derechohabientes.", ["58 000"]),
        ("El IMSS tenía 57 475.8 miles.", ["57 475.8"]),  # one decimal off
        ("El IMSS tenía 57 475.9 miles y el ISSSTE 12 450.", ["12 450"]),  # 12 450 is in a line not cited
    ],
)
def test_a_figure_not_in_the_cited_lines_is_reported(text: str, missing: list[str]) -> None:
    assert unsupported_figures(text, [ROW], read) == missing


def test_the_cited_lines_are_read_from_the_corpus_and_the_quote_counts_too() -> None:
    # Citations are built from the corpus (compose.py), so their quote is trusted as cited text as well.
    other_quote = Citation("corpus/a.txt", (3, 3), "S", "Informe", "Derechohabientes: 99 999")
    assert unsupported_figures("57 475.9", [other_quote], read) == []  # from the corpus lines
    assert unsupported_figures("99 999", [other_quote], read) == []  # from the quote


def test_years_of_the_report_title_may_be_named() -> None:
    text = "Según la Cuenta Pública 2012, el IMSS tenía 57 475.9 miles."
    assert unsupported_figures(text, [ROW], read) == ["2012"]
    assert unsupported_figures(text, [ROW], read, allowed_texts=["Cuenta Pública 2012"]) == []


def test_table_labels_count_as_cited() -> None:
    row = cite(3, 3, TableRef("t1", "Población derechohabiente 2012", "Total", "2012", "miles"))
    assert unsupported_figures("En 2012: 57 475.9 miles.", [row], read) == []


def test_a_difference_is_supported_by_a_holding_derivation_of_cited_operands() -> None:
    # 12 450 − 3 200 = 9 250, both operands in the cited lines 10-11
    text = "El ISSSTE atendió 9 250 personas más que en 2011."
    assert unsupported_figures(text, [PROSE], read) == ["9 250"]
    holding = Derivation("difference", (12450.0, 3200.0), 9250.0, 0)
    assert unsupported_figures(text, [PROSE], read, [holding]) == []
    assert unsupported_figures("una diferencia de -9 250", [PROSE], read, [holding]) == []  # shown signed


def test_a_derivation_that_does_not_hold_or_uses_uncited_operands_supports_nothing() -> None:
    text = "El ISSSTE atendió 9 350 personas más."
    wrong = Derivation("difference", (12450.0, 3200.0), 9350.0, 0)  # 12 450 − 3 200 is 9 250, not 9 350
    assert unsupported_figures(text, [PROSE], read, [wrong]) == ["9 350"]
    uncited = Derivation("difference", (12550.0, 3200.0), 9350.0, 0)  # holds, but 12 550 is not cited
    assert unsupported_figures(text, [PROSE], read, [uncited]) == ["9 350"]


@pytest.mark.parametrize(
    ("operation", "operands", "expected"),
    [
        ("difference", (57475.9, 55191.2), 2284.7),  # 57 475.9 − 55 191.2
        ("sum", (12450.0, 3200.0), 15650.0),
        ("ratio", (12450.0, 3200.0), 3.890625),  # 12 450 / 3 200
        ("share", (3200.0, 12800.0), 25.0),  # 3 200 / 12 800 × 100
        ("percent_change", (110.0, 80.0), 37.5),  # (110 / 80 − 1) × 100
    ],
)
def test_compute(operation: str, operands: tuple[float, float], expected: float) -> None:
    assert compute(operation, operands) == pytest.approx(expected)


def test_compute_refuses_what_it_cannot_do() -> None:
    with pytest.raises(ValueError, match="two figures"):
        compute("difference", (1.0, 2.0, 3.0))  # only a sum takes more than two ("sumando A, B y C")
    with pytest.raises(ValueError, match="two figures"):
        compute("sum", (1.0,))
    with pytest.raises(ValueError, match="unknown operation"):
        compute("product", (1.0, 2.0))


@pytest.mark.parametrize(
    ("derivation", "holds"),
    [
        (Derivation("difference", (57475.9, 55191.2), 2284.7, 1), True),
        (Derivation("difference", (57475.9, 55191.2), 2284.8, 1), False),
        (Derivation("ratio", (12450.0, 3200.0), 3.89, 2), True),  # 3.890625 at two decimals
        (Derivation("ratio", (12450.0, 3200.0), 3.9, 2), False),
        (Derivation("percent_change", (110.0, 80.0), 37.5, 1), True),
        (Derivation("ratio", (1.0, 0.0), 0.0, 1), False),  # division by zero never holds
    ],
)
def test_derivation_holds(derivation: Derivation, holds: bool) -> None:
    assert derivation_holds(derivation) is holds
