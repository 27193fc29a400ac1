from rag.text import contains_normalized, content_words, despace_digits, fold, squash_ws, stems


def test_fold_removes_accents_and_case() -> None:
    assert fold("Población Derechohabiente ÑANDÚ") == "poblacion derechohabiente nandu"


def test_stems_meet_with_or_without_accents() -> None:
    assert stems("guarderías") == stems("guarderias")
    assert stems("pensión") == stems("pensiones") == stems("pension")


def test_content_words_drop_spanish_stopwords() -> None:
    assert content_words("¿Cuántos de los pensionados del IMSS?") == ["pensionados", "imss"]


def test_despace_joins_letter_spaced_tokens_only() -> None:
    assert despace_digits("2 0 1 1") == "2011"
    assert despace_digits("T O T A L") == "TOTAL"
    assert despace_digits("2   0   1   2") == "2012"
    assert despace_digits("VAR. %") == "VAR. %"


def test_containment_ignores_whitespace_and_nbsp() -> None:
    assert contains_normalized("Jornaleros Agrícolas\n\t147.9\n\t160.2\n\t8.3", "Jornaleros Agrícolas\n\t147.9\n\t160.2")
    assert contains_normalized("57\u00a0475.9 miles", "57 475.9")
    assert squash_ws(" a\t\n b ") == "a b"
