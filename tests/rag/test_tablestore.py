import sqlite3
from pathlib import Path

import pytest

from rag.errors import NotFound
from rag.tables import extract_tables
from rag.tablestore import TableStore, write_tables
from rag.types import Document


@pytest.fixture
def store(tmp_path: Path, corpus_docs: dict[str, Document]) -> TableStore:
    tables = [t for d in corpus_docs.values() for t in extract_tables(d)]
    write_tables(tmp_path / "tables.sqlite", tables)
    return TableStore(tmp_path / "tables.sqlite")


def test_tables_round_trip_through_sqlite(store: TableStore, corpus_docs: dict[str, Document]) -> None:
    original = {t.id: t for d in corpus_docs.values() for t in extract_tables(d)}
    loaded = {t.id: t for t in store.all()}
    assert loaded == original


def test_schema_has_tables_columns_rows_and_cells(store: TableStore) -> None:
    with sqlite3.connect(store.path) as db:
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert names == {"tables", "columns", "rows", "cells"}
        (count,) = db.execute("SELECT COUNT(*) FROM cells WHERE value IS NOT NULL").fetchone()
        assert count > 1000


@pytest.mark.parametrize("hostile", ["x' OR '1'='1", "cp2012-proteccion-social-L199; DROP TABLE cells; --", "../../etc/passwd", ""])
def test_lookups_are_parameterised(store: TableStore, hostile: str) -> None:
    with pytest.raises(NotFound, match="no table with id"):
        store.get(hostile)
    assert store.get("cp2012-proteccion-social-L199").title == "POBLACIÓN DERECHOHABIENTE"


def test_serving_connection_is_read_only(store: TableStore) -> None:
    with store._connect() as db, pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM cells")
