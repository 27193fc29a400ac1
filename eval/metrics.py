"""Evaluation metrics as pure functions (scoring rules: ../shared/qa-format.md).

* hit@k / recall@k: one of the top-k spans, read from the corpus by its line
  range, contains the evidence (whitespace-normalised, NBSP = space);
* MRR@k: mean of 1/rank of the first such span (0 when none in the top k);
* number match: one of the answer's numbers equals the gold value at the
  gold's precision, after the shared normalisation (``rag.numbers``);
* text match: at least 80 % of the gold phrase's content words
  (accent-folded) appear in the answer;
* abstention: recall = abstained unanswerable / unanswerable, precision =
  abstained unanswerable / abstained, false rate = abstained answerable /
  answerable;
* Wilson score interval (Wilson 1927; Agresti & Coull 1998) for a rate such
  as accuracy, so a 40-question set is read with its uncertainty;
* percentile: nearest rank (the smallest value with at least q % of the
  values at or below it);
* strict figure match (the primary metric): the rules above applied to the
  answer's own ``figure`` alone. A number figure must have the gold's value
  at the gold's precision; a text figure must pass the 80 % rule *and* be
  short: at most ``max(8, 3 × the gold's content words)`` content words, so a
  quoted sentence that happens to contain the phrase is not an answer;
* answered precision: of the answers given (abstentions excluded, answers to
  unanswerable questions included), the share that is right;
* risk-coverage: answered precision against coverage as an abstention
  threshold on the answer's confidence moves from strict to lax.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rag.numbers import find_numbers, parse_number, same_value, strip_markers
from rag.text import contains_normalized, content_words, fold

TEXT_MATCH_THRESHOLD = 0.8


def span_contains(lines: Sequence[str], start: int, end: int, evidence: str) -> bool:
    """Does lines[start..end] (1-based, inclusive) contain ``evidence``?"""
    if start < 1 or end < start:
        return False
    return contains_normalized("\n".join(lines[start - 1 : end]), evidence)


def hit_at_k(relevant: Sequence[bool], k: int) -> float:
    """1.0 when any of the first ``k`` results is relevant."""
    return 1.0 if any(relevant[:k]) else 0.0


def reciprocal_rank(relevant: Sequence[bool], k: int = 10) -> float:
    for rank, flag in enumerate(relevant[:k], start=1):
        if flag:
            return 1.0 / rank
    return 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def number_match(answer: str, gold: str) -> bool:
    expected = parse_number(gold)
    if expected is None:
        return False
    return any(same_value(expected.value, expected.decimals, n.value) for n in find_numbers(strip_markers(answer)))


def text_match(answer: str, gold: str, threshold: float = TEXT_MATCH_THRESHOLD) -> bool:
    wanted = set(content_words(gold))
    if not wanted:
        return fold(gold).strip() in fold(answer)
    present = set(content_words(answer))
    return len(wanted & present) / len(wanted) >= threshold


def text_figure_max_words(gold: str) -> int:
    return max(8, 3 * len(content_words(gold)))


def figure_correct(figure_text: str, figure_value: float | None, gold_answer: str, answer_type: str) -> bool:
    """Strict rule: the answer's own figure, alone, is the gold (../shared/qa-format.md)."""
    if answer_type == "number":
        expected = parse_number(gold_answer)
        if expected is None or figure_value is None:
            return False
        return same_value(expected.value, expected.decimals, figure_value)
    if answer_type == "text":
        return len(content_words(figure_text)) <= text_figure_max_words(gold_answer) and text_match(figure_text, gold_answer)
    return False


def answered_precision(answered: Sequence[bool], correct: Sequence[bool]) -> float:
    """Share of given answers that are right; 1.0 when nothing was answered (no wrong answer was given)."""
    given = [c for a, c in zip(answered, correct, strict=True) if a]
    return sum(given) / len(given) if given else 1.0


def risk_coverage(confidence: Sequence[float], correct: Sequence[bool], total: int) -> list[tuple[float, float, float]]:
    """(threshold, coverage, answered precision) for each distinct confidence of the answers given.

    ``confidence`` and ``correct`` describe the answers given; ``total`` counts
    every question (answered or not), so coverage = answered above the threshold / total.
    """
    ranked = sorted(zip(confidence, correct, strict=True), key=lambda pair: -pair[0])
    rows: list[tuple[float, float, float]] = []
    right = 0
    for n, (score, ok) in enumerate(ranked, start=1):
        right += ok
        if n == len(ranked) or ranked[n][0] != score:
            rows.append((score, n / total if total else 0.0, right / n))
    return rows


def answer_correct(answer: str, abstained: bool, gold_answer: str, answer_type: str) -> bool:
    """Correctness of one answer: abstaining is right only for unanswerable questions."""
    if answer_type == "unanswerable":
        return abstained
    if abstained:
        return False
    if answer_type == "number":
        return number_match(answer, gold_answer)
    return text_match(answer, gold_answer)


def abstention_metrics(abstained: Sequence[bool], unanswerable: Sequence[bool]) -> dict[str, float]:
    """Recall, precision and false rate of abstaining, over parallel flags per question.

    With nothing abstained, precision is 1.0 (no wrong abstention was made); with
    no question of a group, that group's rate is 0.0.
    """
    if len(abstained) != len(unanswerable):
        raise ValueError("abstained and unanswerable must have one flag per question")
    pairs = list(zip(abstained, unanswerable, strict=True))
    right = sum(a and u for a, u in pairs)
    n_abstained = sum(a for a, _ in pairs)
    n_unanswerable = sum(u for _, u in pairs)
    wrong = sum(a and not u for a, u in pairs)
    return {
        "abstention.recall": right / n_unanswerable if n_unanswerable else 0.0,
        "abstention.precision": right / n_abstained if n_abstained else 1.0,
        "abstention.false_rate": wrong / (len(pairs) - n_unanswerable) if len(pairs) > n_unanswerable else 0.0,
    }


WILSON_Z95 = 1.959964  # two-sided 95 % normal quantile


def wilson_interval(successes: int, n: int, z: float = WILSON_Z95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``n``: (centre -+ half) / (1 + z²/n).

    centre = p + z²/2n, half = z * sqrt(p(1-p)/n + z²/4n²); (0, 1) when n is 0.
    """
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    p = successes / n
    denominator = 1 + z * z / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - half) / denominator), min(1.0, (centre + half) / denominator)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 100]); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]
