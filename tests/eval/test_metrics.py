"""Evaluation metrics (eval/metrics.py), every expected value worked out by hand.

The number cases follow the scoring rules of ../shared/qa-format.md.
"""

from __future__ import annotations

import pytest

from eval.metrics import (
    abstention_metrics,
    answer_correct,
    answered_precision,
    figure_correct,
    hit_at_k,
    mean,
    number_match,
    percentile,
    reciprocal_rank,
    risk_coverage,
    span_contains,
    text_figure_max_words,
    text_match,
    wilson_interval,
)

# --- retrieval ---------------------------------------------------------------


def test_hit_at_k_looks_only_at_the_first_k_results() -> None:
    ranked = [False, False, True, False]  # relevant at rank 3
    assert hit_at_k(ranked, 1) == 0.0
    assert hit_at_k(ranked, 2) == 0.0
    assert hit_at_k(ranked, 3) == 1.0
    assert hit_at_k(ranked, 10) == 1.0  # k beyond the list: all of it
    assert hit_at_k([], 5) == 0.0


def test_recall_at_k_over_questions_is_the_mean_of_hits() -> None:
    # Three questions, relevant at ranks 1, 3 and nowhere.
    # recall@1 = (1 + 0 + 0) / 3 = 1/3; recall@5 = (1 + 1 + 0) / 3 = 2/3.
    runs = [[True, False], [False, False, True], [False] * 10]
    assert mean([hit_at_k(r, 1) for r in runs]) == pytest.approx(1 / 3)
    assert mean([hit_at_k(r, 5) for r in runs]) == pytest.approx(2 / 3)


def test_reciprocal_rank_at_ranks_1_3_and_none() -> None:
    assert reciprocal_rank([True, True], 10) == 1.0  # first relevant at rank 1 -> 1/1
    assert reciprocal_rank([False, False, True], 10) == pytest.approx(1 / 3)  # rank 3 -> 1/3
    assert reciprocal_rank([False] * 10, 10) == 0.0  # none -> 0
    assert reciprocal_rank([False] * 10 + [True], 10) == 0.0  # rank 11 is outside MRR@10


def test_mrr_at_10_is_the_mean_of_reciprocal_ranks() -> None:
    # Ranks 1, 3 and none: (1 + 1/3 + 0) / 3 = (4/3) / 3 = 4/9 = 0.444...
    runs = [[True], [False, False, True], [False] * 10]
    assert mean([reciprocal_rank(r, 10) for r in runs]) == pytest.approx(4 / 9)


def test_mean_of_nothing_is_zero() -> None:
    assert mean([]) == 0.0


LINES = ["Cuadro 3", "Jornaleros Agrícolas\t147.9", "\t160.2", "Fuente: IMSS"]


def test_span_contains_reads_the_inclusive_1_based_line_range() -> None:
    evidence = "Jornaleros Agrícolas\t147.9\n\t160.2"  # lines 2-3
    assert span_contains(LINES, 2, 3, evidence)
    assert span_contains(LINES, 1, 4, evidence)
    assert not span_contains(LINES, 2, 2, evidence)  # stops before 160.2
    assert not span_contains(LINES, 3, 4, evidence)  # starts after the row label


def test_span_contains_normalises_whitespace_and_nbsp() -> None:
    # Tabs, newlines and NBSP all collapse to one space on both sides.
    assert span_contains(LINES, 2, 3, "Jornaleros\u00a0Agrícolas 147.9 160.2")
    assert span_contains(["a\u00a0\u00a0b"], 1, 1, "a b")


def test_span_contains_rejects_an_empty_or_reversed_range() -> None:
    assert not span_contains(LINES, 0, 2, "Cuadro 3")
    assert not span_contains(LINES, 3, 2, "160.2")


# --- numbers (qa-format.md: "Number correct") -----------------------------------


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("57 475.9", "57,475.9"),  # space vs comma separators: both 57475.9
        ("57\u00a0475.9", "57 475.9"),  # NBSP is a thousands separator
        ("57475.9", "57 475.9"),  # no separator at all
        ("63'182,728", "63182728"),  # apostrophe and comma dropped: 63 182 728
        ("Fueron 15 mil 508.3 millones", "15508.3"),  # 15 * 1000 + 508.3 = 15508.3
        ("un mil 280.3", "1280.3"),  # "un mil M" = 1 * 1000 + 280.3 = 1280.3
        ("133 mil 1.0", "133001.0"),  # 133 * 1000 + 1.0 = 133001.0 (gold P-014)
        ("-26.7", "(26.7)"),  # (x) = -x: gold -26.7
        ("cayó (26.7) puntos", "(26.7)"),  # decimal in parentheses reads as negative: -26.7
        ("(0.5)", "-0.5"),
        ("12.5%", "12.5"),  # % ignored
        ("12.5 %", "12.5"),
        ("1 234.5", "$1,234.5"),  # $ ignored: 1234.5
        ("\\$1 234.5", "1234.5"),  # LaTeX-escaped \$ ignored
        ("160.24", "160.2"),  # at the gold's 1 decimal: round(160.24, 1) = 160.2
        ("160.4", "160"),  # at the gold's 0 decimals: round(160.4) = 160
        ("En 2012 fueron 160.2 miles", "160.2"),  # one of the answer's numbers is enough (2012 != 160.2)
    ],
)
def test_number_match_accepts(answer: str, gold: str) -> None:
    assert number_match(answer, gold)


@pytest.mark.parametrize(
    ("answer", "gold"),
    [
        ("26.7", "(26.7)"),  # +26.7 != -26.7
        ("160.3", "160.2"),  # round(160.3, 1) = 160.3 != 160.2
        ("160.6", "160"),  # round(160.6) = 161 != 160
        ("160", "160.2"),  # 160.0 != 160.2 at 1 decimal
        ("1,5", "1.5"),  # "," is a thousands separator, never a decimal comma: 15 != 1.5
        ("sin cifras", "160.2"),  # no number at all
        ("160.2", "ciento sesenta"),  # a gold that is not one figure matches nothing
    ],
)
def test_number_match_rejects(answer: str, gold: str) -> None:
    assert not number_match(answer, gold)


# --- text and whole answers ---------------------------------------------------


def test_text_match_needs_80_percent_of_the_gold_content_words() -> None:
    gold = "seguro de guarderías para hijos de trabajadoras"  # content words: seguro, guarderias, hijos, trabajadoras (4)
    assert text_match("El Seguro de Guarderias atiende a hijos de trabajadoras", gold)  # 4/4 = 1.0, accents folded
    assert not text_match("El seguro de guarderías para sus hijos", gold)  # 3/4 = 0.75 < 0.8
    five = "pensión garantizada régimen ley 1997"  # pension, garantizada, regimen, ley, 1997 (5)
    assert text_match("la pensión garantizada del régimen de la ley", five)  # 4/5 = 0.8, at the threshold


def test_answer_correct_for_each_answer_type() -> None:
    assert answer_correct("Fueron 160.2 miles de personas.", False, "160.2", "number")
    assert answer_correct("El Seguro de Guarderías.", False, "seguro de guarderías", "text")
    # An abstention on an answerable question is wrong, even if the refusal quotes the figure.
    assert not answer_correct("No encuentro 160.2 en los informes.", True, "160.2", "number")
    assert not answer_correct("No lo dicen los informes.", True, "seguro de guarderías", "text")


def test_unanswerable_is_correct_only_when_the_system_abstains() -> None:
    assert answer_correct("Los informes no lo dicen.", True, "No se sabe.", "unanswerable")
    # Answering is wrong whatever the text, even one that echoes the gold refusal.
    assert not answer_correct("No se sabe. Fueron 12.", False, "No se sabe.", "unanswerable")


# --- abstention -----------------------------------------------------------------


def test_abstention_metrics_on_a_worked_example() -> None:
    # Ten questions: 4 unanswerable (U) and 6 answerable (A).
    # The system abstains on 3 of the U and on 1 of the A.
    abstained = [True, True, True, False, True, False, False, False, False, False]
    unanswerable = [True, True, True, True, False, False, False, False, False, False]
    got = abstention_metrics(abstained, unanswerable)
    assert got["abstention.recall"] == pytest.approx(3 / 4)  # 3 abstained U / 4 U = 0.75
    assert got["abstention.precision"] == pytest.approx(3 / 4)  # 3 right / 4 abstentions = 0.75
    assert got["abstention.false_rate"] == pytest.approx(1 / 6)  # 1 abstained A / 6 A = 0.1667


def test_abstention_metrics_without_abstentions_or_without_groups() -> None:
    # Never abstains: recall 0/2 = 0; no abstentions to be wrong, precision 1.0; false rate 0/1 = 0.
    assert abstention_metrics([False, False, False], [True, True, False]) == {
        "abstention.recall": 0.0,
        "abstention.precision": 1.0,
        "abstention.false_rate": 0.0,
    }
    # No unanswerable questions: recall 0.0 by convention; abstains on 1 of 2 answerable: precision 0/1, false rate 1/2.
    assert abstention_metrics([True, False], [False, False]) == {
        "abstention.recall": 0.0,
        "abstention.precision": 0.0,
        "abstention.false_rate": 0.5,
    }
    assert abstention_metrics([], []) == {"abstention.recall": 0.0, "abstention.precision": 1.0, "abstention.false_rate": 0.0}


def test_abstention_metrics_need_one_flag_per_question() -> None:
    with pytest.raises(ValueError, match="one flag per question"):
        abstention_metrics([True], [True, False])


# --- uncertainty ----------------------------------------------------------------


def test_wilson_interval_by_hand() -> None:
    # 8 of 10 with z = 2: p = 0.8, z²/n = 0.4, centre = 0.8 + 4/20 = 1.0,
    # half = 2 * sqrt(0.8 * 0.2 / 10 + 4 / 400) = 2 * sqrt(0.026) = 0.322490;
    # low = (1.0 - 0.322490) / 1.4 = 0.483936, high = 1.322490 / 1.4 = 0.944636.
    low, high = wilson_interval(8, 10, z=2.0)
    assert low == pytest.approx(0.483936, abs=1e-6)
    assert high == pytest.approx(0.944636, abs=1e-6)
    # 0 of 10 at 95 %: centre = half = z²/20 = 3.841459/20 = 0.192073 -> low 0,
    # high = 0.3841459 / 1.3841459 = 0.277533.
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-6)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


# --- latency --------------------------------------------------------------------


def test_percentile_is_nearest_rank() -> None:
    values = [120.0, 10.0, 30.0, 20.0, 50.0, 40.0, 70.0, 60.0, 90.0, 80.0]  # sorted: 10, 20, ..., 90, 120
    assert percentile(values, 50) == 50.0  # rank ceil(0.50 * 10) = 5 -> 50
    assert percentile(values, 95) == 120.0  # rank ceil(0.95 * 10) = ceil(9.5) = 10 -> 120
    assert percentile(values, 90) == 90.0  # rank ceil(0.90 * 10) = 9 -> 90
    assert percentile(values, 0) == 10.0  # rank clamped to 1
    assert percentile(values, 100) == 120.0
    assert percentile([7.0], 95) == 7.0
    assert percentile([], 50) == 0.0


# --- strict scoring (the answer's own figure) ----------------------------------


def test_a_number_figure_is_right_only_at_the_golds_value_and_precision() -> None:
    assert figure_correct("57 475.9", 57475.9, "57 475.9", "number")
    assert figure_correct("57 475.94", 57475.94, "57 475.9", "number")  # rounds to the gold's one decimal
    assert not figure_correct("54 906.4", 54906.4, "57 475.9", "number")
    assert not figure_correct("una frase con 57 475.9 dentro", None, "57 475.9", "number")  # a text figure is no number
    assert figure_correct("(0.5)", -0.5, "(0.5)", "number")


def test_a_text_figure_must_hold_the_phrase_and_be_short() -> None:
    gold = "Sistema de Información de Guarderías"  # 4 content words -> at most max(8, 12) = 12
    assert figure_correct("el Sistema de Información de Guarderías", None, gold, "text")
    quoted = (
        "En 2020 el Instituto operó el Sistema de Información de Guarderías para registrar asistencia diaria, "
        "inscripciones, bajas y cuotas de 1 357 unidades en todo el país"
    )
    assert not figure_correct(quoted, None, gold, "text")  # holds the phrase, but it is a quoted sentence
    assert text_figure_max_words("enero 2023") == 8


def test_answered_precision_counts_only_the_answers_given() -> None:
    answered = [True, True, False, True]
    correct = [True, False, False, True]
    assert answered_precision(answered, correct) == pytest.approx(2 / 3)
    assert answered_precision([False, False], [False, False]) == 1.0


def test_risk_coverage_orders_answers_by_confidence() -> None:
    # 5 questions, 4 answered: confidences 0.9 (right), 0.7 (wrong), 0.7 (right), 0.2 (right)
    rows = risk_coverage([0.7, 0.9, 0.2, 0.7], [False, True, True, True], total=5)
    assert rows == [(0.9, 0.2, 1.0), (0.7, 0.6, pytest.approx(2 / 3)), (0.2, 0.8, 0.75)]
