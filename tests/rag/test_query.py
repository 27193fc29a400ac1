import pytest

from rag.query import analyze, compatible, institutions_in, years_in


def test_years_including_ranges_and_commas() -> None:
    assert years_in("En 2012, ¿cuántos...?") == (2012,)
    assert years_in("entre 2019-2021") == (2019, 2020, 2021)
    assert years_in("12,012 personas y 2,012.5") == ()


def test_institutions_most_specific_first() -> None:
    assert institutions_in("Programa IMSS-BIENESTAR") == ("IMSS-BIENESTAR",)
    assert institutions_in("el ISSSTE y el FOVISSSTE") == ("FOVISSSTE", "ISSSTE")
    assert institutions_in("la diferencia del DIF") == ("SNDIF",)
    assert institutions_in("las diferencias") == ()


def test_compatibility_of_institutions() -> None:
    assert compatible(("IMSS",), "IMSS-BIENESTAR")
    assert not compatible(("IMSS-BIENESTAR",), "IMSS")  # an IMSS-wide figure does not answer for the programme
    assert compatible(("ISSSTE",), "PENSIONISSSTE")
    assert not compatible(("ISSSTE",), "IMSS")
    assert compatible((), "SNDIF")


@pytest.mark.parametrize(
    ("question", "intents"),
    [
        ("¿Cuál fue la meta aprobada para 2012?", ("goal",)),
        ("¿Cuánto crecieron porcentualmente los préstamos?", ("variation",)),
        ("¿Qué peso tuvieron en la estructura porcentual?", ("structure",)),
        ("¿Cuál fue la línea base?", ("baseline",)),
        ("¿Cuántas personas atendió el programa E012?", ()),
    ],
)
def test_column_intents(question: str, intents: tuple[str, ...]) -> None:
    assert analyze(question).intents == intents


def test_what_is_counted_quoted_and_excluded() -> None:
    assert analyze("¿Cuántas atenciones de enfermería recibieron?").measures == ("atencion", "enfermeri")
    assert analyze("¿Cuántos miles de «Pensionados IMSS» había?").quoted == ("pensionados imss",)
    assert analyze("pensionados (sin contar jubilados)").excluded == ("jubil",)
    assert analyze("¿Cuántas pensiones pagó PEMEX?").foreign == ("pemex",)


def test_comparisons_are_recognised() -> None:
    assert analyze("¿Cuántas pensiones más pagó el IMSS en 2020 que en 2012?").comparison
    assert analyze("¿Cuál fue la diferencia entre 2022 y 2023?").comparison
    assert not analyze("¿Cuántas pensiones pagó el IMSS en 2020?").comparison
