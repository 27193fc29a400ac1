"""Data types passed between stages. All frozen: a stage never mutates its input.

Line numbers are 1-based and inclusive everywhere, and ``source`` is the
repository-relative path of a corpus file (``corpus/<file>``), so a citation
can be opened and checked with nothing but the repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SectionPath = tuple[str, ...]
SECTION_SEPARATOR = " › "


def section_label(section: SectionPath) -> str:
    return SECTION_SEPARATOR.join(section)


@dataclass(frozen=True)
class DocMeta:
    """One corpus manifest entry."""

    id: str
    title: str
    short_title: str
    institutions: tuple[str, ...]
    period: str
    publisher: str
    file: str
    sha256: str

    @property
    def source(self) -> str:
        return f"corpus/{self.file}"


@dataclass(frozen=True)
class Span:
    """A run of lines of one corpus file, 1-based and inclusive."""

    source: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if not 1 <= self.start <= self.end:
            raise ValueError(f"invalid line span {self.start}-{self.end} in {self.source}")

    def contains(self, other: Span) -> bool:
        return self.source == other.source and self.start <= other.start and other.end <= self.end


BlockKind = Literal["heading", "paragraph", "list_item", "table"]


@dataclass(frozen=True)
class Block:
    """A paragraph, list item, heading or table region, with its place in the document."""

    kind: BlockKind
    text: str
    span: Span
    section: SectionPath


@dataclass(frozen=True)
class Document:
    meta: DocMeta
    lines: tuple[str, ...]
    blocks: tuple[Block, ...]

    def text_at(self, start: int, end: int) -> str:
        """The exact text of lines ``start``..``end`` (1-based, inclusive)."""
        return "\n".join(self.lines[start - 1 : end])


UnitKind = Literal["passage", "table_row"]


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: a passage chunk or one table row.

    ``text`` is what gets indexed (for rows it carries the table title, unit
    and headers so the row is findable on its own); ``span`` is what gets cited.
    """

    id: str
    doc_id: str
    kind: UnitKind
    text: str
    span: Span
    section: SectionPath
    context: str = ""  # indexed with the text (document, section) but never cited
    table_id: str | None = None
    row_index: int | None = None

    @property
    def index_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    retriever: str


# --- tables ---------------------------------------------------------------

TableLayout = Literal["cell_per_line", "tsv", "factsheet", "label_value"]


@dataclass(frozen=True)
class Column:
    index: int
    header: tuple[str, ...]  # header path, outermost first: ("ESTRUCTURA PORCENTUAL", "2011")
    line: int | None = None

    @property
    def label(self) -> str:
        return " / ".join(h for h in self.header if h)


@dataclass(frozen=True)
class Row:
    index: int
    label: str
    parent: int | None
    start: int
    end: int
    note: str = ""  # the footnote its label points to ("Otros 2/" -> "Continuación Voluntaria ...")


@dataclass(frozen=True)
class Cell:
    row: int
    column: int
    text: str
    value: float | None
    decimals: int
    flags: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Table:
    id: str
    doc_id: str
    source: str
    section: SectionPath
    title: str
    unit: str
    institution: str
    span: Span
    layout: TableLayout
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    cells: tuple[Cell, ...]
    notes: tuple[str, ...] = ()
    lead: str = ""  # the sentence(s) just above the table that say what it shows

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.rows), len(self.columns))

    def cell(self, row: int, column: int) -> Cell | None:
        for cell in self.cells:
            if cell.row == row and cell.column == column:
                return cell
        return None

    def row_path(self, row: int) -> tuple[str, ...]:
        """Labels from the outermost group down to ``row``."""
        path: list[str] = []
        current: int | None = row
        while current is not None:
            path.insert(0, self.rows[current].label)
            current = self.rows[current].parent
        return tuple(path)


@dataclass(frozen=True)
class CellMatch:
    """A table cell proposed as the answer to a question, with its evidence score."""

    table: Table
    cell: Cell
    score: float
    matched: tuple[str, ...] = ()


# --- answers --------------------------------------------------------------


@dataclass(frozen=True)
class TableRef:
    id: str
    title: str
    row: str
    column: str
    unit: str = ""


@dataclass(frozen=True)
class Citation:
    source: str
    lines: tuple[int, int]
    section: str
    title: str
    quote: str
    table: TableRef | None = None


@dataclass(frozen=True)
class Derivation:
    """A figure the answer computes (difference, ratio...) from cited figures."""

    operation: Literal["difference", "ratio", "percent_change", "sum", "share"]
    operands: tuple[float, ...]
    result: float
    decimals: int


FigureKind = Literal["count", "money", "percent", "rate", "ratio", "date", "year", "text"]


@dataclass(frozen=True)
class Figure:
    """The one figure an answer states (``../shared/qa-format.md``, "The answer's figure").

    ``text`` is printed in the answer's first citation (or, when computed, as the
    answer states it); ``value`` is None for a text answer.
    """

    text: str
    value: float | None
    unit: str
    period: str
    institution: str
    kind: FigureKind


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    mode: str = "extractive"
    derivations: tuple[Derivation, ...] = ()
    related: tuple[Citation, ...] = ()  # closest sources shown when abstaining
    figure: Figure | None = None  # set on every answer that does not abstain
    confidence: float | None = None  # the answering candidate's own score (scales differ by kind); None when computed
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)
