"""Tables in SQLite: written by ``rag index``, read by the lookup and the API.

Every query is parameterised; no SQL is ever built from user text. The
connection is opened read-only for serving (``mode=ro``), so a request can
never modify the artifact.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.errors import IndexCorrupt, NotFound
from rag.types import Cell, Column, Row, Span, Table

SCHEMA = """
CREATE TABLE tables (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, source TEXT NOT NULL, section TEXT NOT NULL,
    title TEXT NOT NULL, unit TEXT NOT NULL, institution TEXT NOT NULL, layout TEXT NOT NULL,
    start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, notes TEXT NOT NULL, lead TEXT NOT NULL
);
CREATE TABLE columns (
    table_id TEXT NOT NULL REFERENCES tables(id), idx INTEGER NOT NULL, header TEXT NOT NULL,
    label TEXT NOT NULL, line INTEGER, PRIMARY KEY (table_id, idx)
);
CREATE TABLE rows (
    table_id TEXT NOT NULL REFERENCES tables(id), idx INTEGER NOT NULL, label TEXT NOT NULL,
    parent INTEGER, start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, note TEXT NOT NULL, PRIMARY KEY (table_id, idx)
);
CREATE TABLE cells (
    table_id TEXT NOT NULL REFERENCES tables(id), row_idx INTEGER NOT NULL, col_idx INTEGER NOT NULL,
    text TEXT NOT NULL, value REAL, decimals INTEGER NOT NULL, flags TEXT NOT NULL, line INTEGER NOT NULL,
    PRIMARY KEY (table_id, row_idx, col_idx)
);
CREATE INDEX cells_value ON cells(value);
CREATE INDEX tables_doc ON tables(doc_id);
"""


def write_tables(path: Path, tables: Iterable[Table]) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)
        for t in tables:
            db.execute(
                "INSERT INTO tables VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    t.id,
                    t.doc_id,
                    t.source,
                    json.dumps(t.section, ensure_ascii=False),
                    t.title,
                    t.unit,
                    t.institution,
                    t.layout,
                    t.span.start,
                    t.span.end,
                    json.dumps(t.notes, ensure_ascii=False),
                    t.lead,
                ),
            )
            db.executemany(
                "INSERT INTO columns VALUES (?,?,?,?,?)", [(t.id, c.index, json.dumps(c.header, ensure_ascii=False), c.label, c.line) for c in t.columns]
            )
            db.executemany("INSERT INTO rows VALUES (?,?,?,?,?,?,?)", [(t.id, r.index, r.label, r.parent, r.start, r.end, r.note) for r in t.rows])
            db.executemany(
                "INSERT INTO cells VALUES (?,?,?,?,?,?,?,?)",
                [(t.id, c.row, c.column, c.text, c.value, c.decimals, json.dumps(c.flags), c.line) for c in t.cells],
            )
    path.chmod(0o444)


class TableStore:
    """Read access to the tables database."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise IndexCorrupt(f"tables database {path} is missing", "run `rag index --rebuild`")
        self.path = path
        self._cache: dict[str, Table] | None = None

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)

    def all(self) -> list[Table]:
        """Every table, loaded once and kept (tables are small; the lookup scores them in memory)."""
        if self._cache is None:
            with self._connect() as db:
                ids = [row[0] for row in db.execute("SELECT id FROM tables ORDER BY doc_id, start_line")]
                self._cache = {i: t for i, t in zip(ids, self._load(db, ids), strict=True)}
        return list(self._cache.values())

    def get(self, table_id: str) -> Table:
        for table in self.all():
            if table.id == table_id:
                return table
        raise NotFound(f"no table with id {table_id!r}", "list the tables with GET /tables or `rag tables`")

    def _load(self, db: sqlite3.Connection, ids: Sequence[str]) -> list[Table]:
        tables = []
        for table_id in ids:
            t = db.execute("SELECT * FROM tables WHERE id = ?", (table_id,)).fetchone()
            columns = tuple(
                Column(i, tuple(json.loads(h)), line)
                for i, h, _, line in db.execute("SELECT idx, header, label, line FROM columns WHERE table_id = ? ORDER BY idx", (table_id,))
            )
            rows = tuple(
                Row(i, label, parent, s, e, note)
                for i, label, parent, s, e, note in db.execute(
                    "SELECT idx, label, parent, start_line, end_line, note FROM rows WHERE table_id = ? ORDER BY idx", (table_id,)
                )
            )
            cells = tuple(
                Cell(r, c, text, value, decimals, tuple(json.loads(flags)), line)
                for r, c, text, value, decimals, flags, line in db.execute(
                    "SELECT row_idx, col_idx, text, value, decimals, flags, line FROM cells WHERE table_id = ? ORDER BY row_idx, col_idx", (table_id,)
                )
            )
            tables.append(
                Table(
                    id=t[0],
                    doc_id=t[1],
                    source=t[2],
                    section=tuple(json.loads(t[3])),
                    title=t[4],
                    unit=t[5],
                    institution=t[6],
                    span=Span(t[2], t[8], t[9]),
                    layout=t[7],
                    columns=columns,
                    rows=rows,
                    cells=cells,
                    notes=tuple(json.loads(t[10])),
                    lead=t[11],
                )
            )
        return tables
