"""Mechanical checks of gold lines (eval/qa_check.py) on hand-made lines and a hand-made corpus."""

from __future__ import annotations

import json

from eval.qa_check import arithmetic_matches, check_item, check_lines

CORPUS = {"informe.txt": "Titulo\nAsegurados\n\t147.9\n\t160.2\nEn 2012 se otorgaron 18 806 pensiones y 437 negativas.\n"}


def line(**changes: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": "X-1",
        "question": "¿Cuántos asegurados había en 2012?",
        "answer": "160.2",
        "answer_type": "number",
        "unit": "miles de personas",
        "doc": "informe.txt",
        "evidence": "Asegurados\n\t147.9\n\t160.2",
        "kind": "table",
    }
    return {**item, **changes}


def test_a_good_line_has_no_problem() -> None:
    assert check_item(line(), CORPUS) == []


def test_evidence_must_be_an_exact_substring_that_holds_the_answer() -> None:
    assert any("exact substring" in p for p in check_item(line(evidence="Asegurados 147.9 160.2 en total"), CORPUS))
    assert any("does not occur" in p for p in check_item(line(answer="150.0"), CORPUS))
    assert any("characters" in p for p in check_item(line(evidence="\t160.2"), CORPUS))


def test_evidence_outside_the_slice_is_reported() -> None:
    assert any("outside the slice" in p for p in check_item(line(), CORPUS, line_range=(5, 9)))
    assert check_item(line(), CORPUS, line_range=(2, 4)) == []


def test_a_question_that_prints_its_own_answer_is_refused() -> None:
    item = line(kind="passage", answer="18 806", evidence="se otorgaron 18 806 pensiones", question="¿Se otorgaron 18 806 pensiones en 2012?")
    assert any("prints its own answer" in p for p in check_item(item, CORPUS))


def test_multi_answers_follow_from_their_operands() -> None:
    operands = [
        {"doc": "informe.txt", "evidence": "Asegurados\n\t147.9\n\t160.2", "answer": "160.2"},
        {"doc": "informe.txt", "evidence": "Asegurados\n\t147.9\n\t160.2", "answer": "147.9"},
    ]
    good = line(kind="multi", answer="12.3", note="160.2 - 147.9", operands=operands)
    assert check_item(good, CORPUS) == []
    assert any("does not follow" in p for p in check_item(line(kind="multi", answer="12.0", note="x", operands=operands), CORPUS))
    assert any("operands" in p for p in check_item(line(kind="multi", answer="12.3", note="x"), CORPUS))


def test_arithmetic_names_the_operation_that_gives_the_answer() -> None:
    assert arithmetic_matches([160.2, 147.9], 12.3, 1) == "difference"
    assert arithmetic_matches([160.2, 147.9], 8.3, 1) == "percent_change"  # (160.2 - 147.9) / 147.9 = 8.32 %
    assert arithmetic_matches([50.0, 200.0], 25.0, 1) == "share_percent"
    assert arithmetic_matches([1.0, 2.0, 3.0], 6.0, 0) == "sum"
    assert arithmetic_matches([160.2, 147.9], 99.0, 1) is None


def test_unanswerable_lines_have_no_evidence_and_ids_must_be_unique() -> None:
    unanswerable = line(id="U-1", answer="No se encuentra.", answer_type="unanswerable", kind="unanswerable", doc="", evidence="", unit="")
    assert check_item(unanswerable, CORPUS) == []
    assert check_item({**unanswerable, "doc": "informe.txt"}, CORPUS)
    raw = [json.dumps(line()), json.dumps(line())]
    assert [p.message for p in check_lines(raw, CORPUS)] == ["id repeats"]


def test_figures_in_different_scales_are_compared_in_one() -> None:
    # 57 475.9 miles de personas against 12 449 609 personas: 57 475 900 / 12 449 609 = 4.6
    assert arithmetic_matches([57475.9, 12449609.0], 4.6, 1) == "ratio (rescaled)"
    assert arithmetic_matches([57475.9, 12449609.0], 4.7, 1) is None
