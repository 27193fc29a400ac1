"""Table extraction against hand counts and hand-verified cells (tests/rag/table_expectations.py)."""

import pytest

from rag.tables import extract_tables, row_units
from rag.tables.hierarchy import parents_by_sum
from rag.tables.render import render_grid
from rag.types import Document, Table
from tests.rag.table_expectations import AVANCE, CELLS, CP2012, TABLES

COVERAGE_TARGET = 0.95


@pytest.fixture(scope="module")
def tables(corpus_docs: dict[str, Document]) -> dict[str, list[Table]]:
    return {name: extract_tables(doc) for name, doc in corpus_docs.items()}


def _table(tables: dict[str, list[Table]], file: str, first_line: int) -> Table:
    return next(t for t in tables[file] if t.span.start == first_line)


def test_every_hand_counted_table_is_extracted_with_its_shape(tables: dict[str, list[Table]]) -> None:
    expected = [(file, *spec) for file, specs in TABLES.items() for spec in specs]
    found = {(file, t.span.start, *t.shape) for file, ts in tables.items() for t in ts}
    missing = [e for e in expected if e not in found]
    coverage = 1 - len(missing) / len(expected)
    assert coverage >= COVERAGE_TARGET, f"coverage {coverage:.3f}; missing or misshapen: {missing}"
    assert len(expected) == 77 and sum(len(ts) for ts in tables.values()) == 77  # no invented tables either


def test_the_progress_report_has_more_than_sixty_tab_separated_tables(tables: dict[str, list[Table]]) -> None:
    assert len(tables["imss-programa-institucional-avance-2023-2024.txt"]) > 60


@pytest.mark.parametrize(("file", "first_line", "row", "column", "text", "value", "unit", "line"), CELLS, ids=[f"{c[0][:8]}-{c[7]}" for c in CELLS])
def test_hand_verified_cell(
    tables: dict[str, list[Table]], file: str, first_line: int, row: str, column: str, text: str, value: float | None, unit: str, line: int
) -> None:
    table = _table(tables, file, first_line)
    matches = [c for c in table.cells if _path_ends_with(table, c.row, row) and table.columns[c.column].label == column and c.line == line]
    assert len(matches) == 1, f"{row!r} / {column!r} at line {line}: {len(matches)} cells"
    cell = matches[0]
    assert (cell.text, cell.line, table.unit) == (text, line, unit)
    assert cell.value == (pytest.approx(value) if value is not None else None)


def _path_ends_with(table: Table, row: int, wanted: str) -> bool:
    path = " › ".join(table.row_path(row))
    return path == wanted or path.endswith(f" › {wanted}")


def test_enough_hand_verified_cells_over_every_layout_and_report() -> None:
    assert len(CELLS) >= 60
    assert {c[0] for c in CELLS} == {f for f, specs in TABLES.items() if specs}


def test_continuation_is_merged_and_groups_sum_to_their_children(tables: dict[str, list[Table]]) -> None:
    cuotas = _table(tables, CP2012, 310)
    labels = [r.label for r in cuotas.rows]
    assert labels.count("Gobierno Federal") == 5 and cuotas.span.end == 502  # both parts, one table
    gf = next(r for r in cuotas.rows if r.label == "Gobierno Federal" and r.parent is not None and cuotas.rows[r.parent].label == "Pensiones en Curso de Pago")
    assert gf.start == 359
    invalidez = next(r for r in cuotas.rows if r.label == "Invalidez y Vida")
    children = [r.label for r in cuotas.rows if r.parent == invalidez.index]
    assert children == ["Patrón", "Trabajador", "Gobierno Federal"]  # the last two come after "-Continuación-"


def test_two_tables_with_one_title_belong_to_different_institutions(tables: dict[str, list[Table]]) -> None:
    imss, issste = _table(tables, CP2012, 199), _table(tables, CP2012, 627)
    assert imss.title == issste.title == "POBLACIÓN DERECHOHABIENTE"
    assert (imss.institution, issste.institution) == ("IMSS", "ISSSTE")
    assert (imss.unit, issste.unit) == ("Miles de Personas", "Personas")


def test_population_hierarchy(tables: dict[str, list[Table]]) -> None:
    table = _table(tables, CP2012, 199)
    path = {r.label: " › ".join(table.row_path(r.index)) for r in table.rows}
    assert path["Jornaleros Agrícolas"] == "TOTAL › Asegurados › Trabajadores › Jornaleros Agrícolas"
    assert path["Estudiantes y Seguro Facultativo"] == "TOTAL › Asegurados › No Trabajadores › Estudiantes y Seguro Facultativo"
    assert path["Renta Vitalicia"] == "TOTAL › Pensionados › Renta Vitalicia"


def test_footnotes_are_attached_to_the_rows_that_cite_them(tables: dict[str, list[Table]]) -> None:
    table = _table(tables, CP2012, 199)
    otros = next(r for r in table.rows if r.label == "Otros")
    assert "Continuación Voluntaria" in otros.note


def test_fact_sheet_tables_carry_the_indicator_name_and_unit(tables: dict[str, list[Table]]) -> None:
    series = _table(tables, "imss-programa-institucional-avance-2023-2024.txt", 3021)
    assert series.title.startswith("5.2 Avance financiero") and series.unit == "Millones de pesos corrientes"
    assert any(n.startswith("Método de cálculo") for n in series.notes)
    assert series.columns[0].label == "Valor de la línea base (2018)"


def test_parents_by_sum_hand_cases() -> None:
    # total = a + b; a = a1 + a2 (one decimal); c is a top-level row that sums nothing
    rows = [[10.0], [6.0], [2.5], [3.5], [4.0], [7.0]]
    assert parents_by_sum(rows, [1]) == [None, 0, 1, 1, 0, None]
    # rounding: 6 074.2 ≈ 470.5 + 5 603.6 within half a unit per child
    assert parents_by_sum([[6074.2], [470.5], [5603.6]], [1]) == [None, 0, 0]
    # a single child equal to its parent
    assert parents_by_sum([[118296.0], [118296.0], [85498.0]], [0]) == [None, 0, None]


def test_row_units_describe_rows_for_retrieval(tables: dict[str, list[Table]]) -> None:
    table = _table(tables, CP2012, 199)
    unit = next(u for u in row_units(table) if "Jornaleros" in u.text)
    assert unit.kind == "table_row" and (unit.span.start, unit.span.end) == (233, 236)
    assert "POBLACIÓN DERECHOHABIENTE (Miles de Personas) — IMSS" in unit.text
    assert "2012: 160.2" in unit.text


@pytest.mark.parametrize(
    ("file", "first_line"), [(CP2012, 310), ("imss-programa-institucional-avance-2023-2024.txt", 1801), ("coneval-ficha-monitoreo-e012-2020-2021.txt", 141)]
)
def test_grids_render_for_three_layouts(tables: dict[str, list[Table]], file: str, first_line: int) -> None:
    table = _table(tables, file, first_line)
    lines = render_grid(table).splitlines()
    grid = [line for line in lines if " | " in line]
    assert len(grid) >= table.shape[0] + 1  # a header line and a line per row
    assert len({len(line) for line in grid}) == 1  # columns line up


def test_imss_bienestar_indicators_belong_to_the_programme_not_to_imss(tables: dict[str, list[Table]]) -> None:
    by_start = {t.span.start: t for t in tables[AVANCE]}
    assert by_start[2543].institution == "IMSS-BIENESTAR"  # "1.1 ... Meta para el bienestar" of IMSS-BIENESTAR's annex
    assert any(t.institution == "IMSS" for t in tables[AVANCE])
