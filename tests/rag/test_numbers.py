import pytest

from rag.numbers import find_numbers, format_es, parse_cell, parse_number, same_value


@pytest.mark.parametrize(
    ("text", "value", "decimals"),
    [
        ("57 475.9", 57475.9, 1),
        ("57\u00a0475.9", 57475.9, 1),
        ("63,182,728", 63182728.0, 0),
        ("63'182,728", 63182728.0, 0),
        ("15 mil 508.3", 15508.3, 1),
        ("un mil 280.3", 1280.3, 1),
        ("133 mil 1.0", 133001.0, 1),
        ("(0.5)", -0.5, 1),
        ("(26.7)", -26.7, 1),
        ("-0.7", -0.7, 1),
        ("\\$ 52,587.80", 52587.8, 2),
        ("24%", 24.0, 0),
        ("1,419.37", 1419.37, 2),
    ],
)
def test_parse_number_forms(text: str, value: float, decimals: int) -> None:
    parsed = parse_number(text)
    assert parsed is not None
    assert parsed.value == pytest.approx(value)
    assert parsed.decimals == decimals


@pytest.mark.parametrize(
    ("text", "value", "flags"),
    [
        ("11.9 ^{p/}", 11.9, ("preliminary",)),
        ("22,319,444 p/", 22319444.0, ("preliminary",)),
        ("29.99 (2018)", 29.99, ("year:2018",)),
        ("(0.5)", -0.5, ("negative",)),
        ("64%", 64.0, ("percent",)),
        ("ND", None, ("nd",)),
        ("N. D.", None, ("nd",)),
        ("NA", None, ("na",)),
        ("-", None, ("dash",)),
        ("", None, ("empty",)),
        ("Porcentaje", None, ("text",)),
    ],
)
def test_parse_cell_keeps_markers_as_flags(text: str, value: float | None, flags: tuple[str, ...]) -> None:
    cell = parse_cell(text)
    assert cell.value == (pytest.approx(value) if value is not None else None)
    assert cell.flags == flags


def test_find_numbers_does_not_merge_a_year_with_the_next_figure() -> None:
    found = [n.value for n in find_numbers("En 2012 se inscribieron 3 631 patrones con 9 942 trabajadores")]
    assert found == [2012.0, 3631.0, 9942.0]


def test_find_numbers_reads_ranges_and_superscripts_as_years() -> None:
    assert [n.value for n in find_numbers("(CP 2019-2020) y temáticas 2023³")] == [2019.0, 2020.0, 2023.0]


def test_spaced_out_header_years_are_not_one_number() -> None:
    assert [n.value for n in find_numbers("2   0   1   2")] == [2.0, 0.0, 1.0, 2.0]


def test_reference_marks_in_parentheses_stay_positive() -> None:
    assert [n.value for n in find_numbers("Presupuesto (MDP) (1)")] == [1.0]


def test_same_value_compares_at_the_expected_precision() -> None:
    assert same_value(160.2, 1, 160.24)
    assert same_value(1348.0, 1, 1348)
    assert not same_value(160.2, 1, 160.3)
    assert same_value(-0.5, 1, -0.5)


def test_format_es_groups_thousands_with_spaces() -> None:
    assert format_es(1348.0, 1) == "1 348.0"
    assert format_es(-1234567.25, 2) == "-1 234 567.25"
    assert format_es(12, 0) == "12"
