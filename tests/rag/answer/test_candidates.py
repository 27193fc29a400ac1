"""Answer candidates (rag/answer/candidates.py) from hand-made sentences."""

from __future__ import annotations

from rag.answer.candidates import clause_around, sentence_numbers, sentence_phrases
from rag.answer.sentences import ScoredSentence, Sentence


def scored(text: str) -> ScoredSentence:
    return ScoredSentence(Sentence("d", "corpus/d.txt", 4, 5, text, ("S",), 1.0), score=1.2, coverage=0.5)


def test_the_clause_is_the_piece_between_breaks() -> None:
    text = "En 2012 se otorgaron 18 806 pensiones; además, se negaron 437 por falta de requisitos."
    at = text.index("437")
    assert clause_around(text, at, at + 3) == "se negaron 437 por falta de requisitos"
    short = "La cobertura llegó a 86% (89.4%) en junio."
    at = short.index("89.4")
    assert clause_around(short, at, at + 5) == "La cobertura llegó a 86% (89.4%"  # a figure alone takes the words before it


def test_every_figure_of_a_sentence_is_a_candidate_with_its_place() -> None:
    found = sentence_numbers(scored("Se cubrieron 3 245.1 miles de pensiones y 52.0 por ciento de ellas en 2012."), rank=2)
    assert [(c.text, c.value, c.percent) for c in found] == [("3 245.1", 3245.1, False), ("52.0", 52.0, True), ("2012", 2012.0, False)]
    assert found[0].unit == "miles de pensiones" and found[0].lines == (4, 5) and found[0].rank == 2
    assert [c.position for c in found] == [0.0, 0.5, 1.0]


def test_phrases_are_names_acronym_expansions_dates_and_short_clauses() -> None:
    text = "El IMSS siguió instalando el Sistema de Información de Medicina Familiar -SIMF- desde el 5 de enero de 2024, según el H. Consejo Técnico."
    phrases = {c.text for c in sentence_phrases(scored(text), rank=0)}
    assert "Sistema de Información de Medicina Familiar" in phrases
    assert "5 de enero de 2024" in phrases
    assert "H. Consejo Técnico" in phrases
    assert all(c.kind == "phrase" and c.value is None for c in sentence_phrases(scored(text), rank=0))
