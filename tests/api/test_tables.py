"""GET /tables and /tables/{id}: the tables as data, including the ones answers cite."""

import httpx
import pytest

from tests.api.conftest import assert_error
from tests.api.questions import questions

pytestmark = pytest.mark.slow


def test_tables_are_listed_with_their_shape(client: httpx.Client) -> None:
    tables = client.get("/tables").json()
    assert tables
    documents = {d["id"] for d in client.get("/documents").json()}
    for table in tables:
        assert table["doc"] in documents
        assert table["rows"] >= 1 and table["columns"] >= 1
        assert table["lines"][0] <= table["lines"][1]


def test_a_table_has_cells_on_its_rows_and_columns(client: httpx.Client) -> None:
    summary = client.get("/tables").json()[0]
    table = client.get(f"/tables/{summary['id']}").json()
    assert len(table["row_labels"]) == summary["rows"]
    assert len(table["column_headers"]) == summary["columns"]
    for cell in table["cells"]:
        assert 0 <= cell["row"] < summary["rows"] and 0 <= cell["column"] < summary["columns"]
        assert summary["lines"][0] <= cell["line"] <= summary["lines"][1]


def test_a_cited_table_cell_is_in_its_table(client: httpx.Client) -> None:
    cited = [c for q in questions("table", 6) for c in client.post("/ask", json={"question": q}).json()["citations"] if c["table"]]
    assert cited, "no gold table question was answered from a table"
    ref = cited[0]["table"]
    table = client.get(f"/tables/{ref['id']}").json()
    assert ref["column"] in {c["label"] for c in table["column_headers"]}
    assert ref["row"].split(" › ")[-1] in {r["label"] for r in table["row_labels"]}


def test_an_unknown_table_is_404(client: httpx.Client) -> None:
    assert_error(client.get("/tables/no-such-table"), 404, "not_found")
