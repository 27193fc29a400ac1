"""Training helpers of the reader (rag/answer/train.py): labels, threshold choice, worked by hand."""

from __future__ import annotations

from eval.qa import QAItem
from rag.answer.train import candidate_right, choose_threshold, strict_accuracy_at
from tests.rag.answer.test_features import candidate

LINES = ["x"] * 9 + ["En 2012 el IMSS pagó 3 245.1 miles de pensiones en curso de pago."]


def item(answer: str = "3 245.1", answer_type: str = "number") -> QAItem:
    return QAItem("X-1", "¿Cuántas pensiones?", answer, answer_type, "", "d.txt", "pagó 3 245.1 miles de pensiones", "passage")


def test_a_candidate_is_right_with_the_gold_value_from_a_span_holding_the_evidence() -> None:
    assert candidate_right(item(), candidate(), LINES)
    assert not candidate_right(item("3 245.2"), candidate(), LINES)  # another value
    assert not candidate_right(item(), candidate(lines=(3, 4)), LINES)  # the same value elsewhere
    phrase = candidate(kind="phrase", text="miles de pensiones en curso de pago", value=None)
    assert candidate_right(item("pensiones en curso de pago", "text"), phrase, LINES)


def test_the_threshold_maximises_strict_accuracy_on_dev() -> None:
    # (confidence, answering is right, unanswerable)
    rows = [(0.9, True, False), (0.8, True, False), (0.6, False, False), (0.4, False, True), (0.3, True, False)]
    # at 0.3: 3 right of 5; at 0.6: 2 right + 1 abstention on an unanswerable = 3; at 0.8: 2 + 1 = 3; at 0.9: 1 + 1 = 2
    assert strict_accuracy_at(rows, 0.3) == (0.6, 0.6, 1.0)
    assert strict_accuracy_at(rows, 0.8) == (0.6, 1.0, 0.4)
    best, precise = choose_threshold(rows)
    assert best == 0.8  # 0.0, 0.3, 0.6 and 0.8 all give 0.6: the tie goes to the one with fewest wrong answers
    assert precise == 0.8  # the lowest threshold whose answers are 95 % right
