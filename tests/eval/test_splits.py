"""Split building (eval/splits.py) on hand-made lines."""

from __future__ import annotations

from collections import Counter

from eval.splits import TARGETS, Line, deal, drop_near_duplicates, evidence_chars, lag, overlaps, span_clashes

CORPUS = {"a.txt": "uno dos tres cuatro cinco seis siete ocho nueve diez"}


def item(ident: str, evidence: str = "", answer: str = "1", question: str = "¿Cuántos asegurados había?", kind: str = "passage") -> dict[str, object]:
    return {"id": ident, "question": question, "answer": answer, "doc": "a.txt" if evidence else "", "evidence": evidence, "kind": kind}


def test_character_ranges_overlap_only_when_they_share_a_character() -> None:
    assert overlaps(("a.txt", 0, 5), ("a.txt", 4, 9))
    assert not overlaps(("a.txt", 0, 5), ("a.txt", 5, 9))  # ends are exclusive
    assert not overlaps(("a.txt", 0, 5), ("b.txt", 0, 5))
    assert evidence_chars(item("x", "tres cuatro"), CORPUS) == [("a.txt", 8, 19)]


def test_near_duplicates_of_the_same_fact_are_dropped_but_tuned_lines_stay() -> None:
    first = Line(item("n1", "tres", question="¿Cuántos asegurados tenía el IMSS en 2012?"), tuned=False)
    again = Line(item("n2", "tres", question="¿cuántos asegurados tenia el imss en 2012"), tuned=False)
    other_fact = Line(item("n3", "tres", answer="2", question="¿cuántos asegurados tenia el imss en 2012"), tuned=False)
    kept, dropped = drop_near_duplicates([first, again, other_fact])
    assert [k.id for k in kept] == ["n1", "n3"] and dropped == 1


def test_lag_weighs_how_far_a_split_is_behind_its_target() -> None:
    totals = Counter({"table": 10})
    # dev wants 2 table questions and has 0: (2 - 0) / 2 = 1 per question; the unit has 3
    assert lag("dev", Counter({"table": 3}), totals, Counter()) == 3.0
    # train wants 6 and has 6: no lag
    assert lag("train", Counter({"table": 1}), totals, Counter({"table": 6})) == 0.0


def test_units_are_dealt_toward_60_20_20() -> None:
    groups = {f"a.txt#s{n}": [Line(item(f"q{n}", "uno"), tuned=False)] for n in range(50)}
    assigned = deal(groups, dict.fromkeys(groups, "a.txt"))
    shares = Counter(assigned.values())
    for split, target in TARGETS.items():
        assert abs(shares[split] / 50 - target) <= 0.04


def test_span_clashes_name_overlapping_evidence_in_two_splits() -> None:
    splits = {"train": [item("t", "dos tres")], "dev": [item("d", "tres cuatro")], "test": [item("x", "ocho nueve")]}
    assert span_clashes(splits, CORPUS) == [("t", "d")]
    assert span_clashes({"train": [item("t", "dos tres"), item("d", "tres cuatro")]}, CORPUS) == []
