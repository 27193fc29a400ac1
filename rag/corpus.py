"""Load the corpus and parse each report into sections and blocks with line spans.

The manifest (``corpus/manifest.json``) is the source of truth for what is in
the corpus: a report file without an entry, an entry without a file, or a
file whose sha256 changed is an error that says how to fix it. Citations
point at line numbers, so a silently edited file would make them lie.

Headings are recognised by style, since the plain-text reports carry no
markup. Levels (lower = outer):

0. ``parts`` declared in the manifest: institution blocks the report never
   prints as headings (the 2012 Cuenta Pública runs IMSS, ISSSTE and SNDIF
   one after another; only the manifest can say where each begins).
1. numbered chapters ("3.- Avances y Resultados", "4- Anexo.") and the
   upper-case chapter title printed after a bare page number;
2. "Objetivo prioritario N." / 3. "Actividades relevantes", "Resultados",
   "1.2 Parámetro"... / 4. "Estrategia prioritaria N.N.-";
5. other upper-case lines; 6. tab-indented upper-case lines;
7. short title-case lines followed by the text they introduce;
8. title-like bullets ("· Prevención de Adicciones") over a list of bullets.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import CorpusError
from rag.layout import find_table_regions
from rag.types import Block, BlockKind, DocMeta, Document, SectionPath, Span

MANIFEST = "manifest.json"
REPORT_SUFFIXES = (".txt", ".md")
_REQUIRED = ("id", "title", "institutions", "period", "publisher", "file", "sha256")

_NUMBERED_CHAPTER = re.compile(r"^\d\.?-\s+\S")
_OBJECTIVE = re.compile(r"^Objetivo prioritario \d+\s?\.-?\s")
_STRATEGY = re.compile(r"^Estrategia prioritaria \d+\.\d+\.?-?\s?")
_SUBSECTION = re.compile(
    r"^(Actividades relevantes|Resultados|Principales Resultados|Factores que han incidido .*|"
    r"Avances de la Meta para el bienestar y Parámetros.*|\d\.\d{1,2} (Parámetro|Meta para el bienestar))$"
)
# The annex prints "2.1" alone, then "Meta para el bienestar" a few lines below.
_SHEET_NUMBER = re.compile(r"^\d\.\d{1,2}$")
_SHEET_KIND = re.compile(r"^(Meta para el bienestar|Parámetro)$")
_FIGURE = re.compile(r"(?<![\w.])\d[\d.,]*(?![\w])")
_LIST_ITEM = re.compile(r"^\s*(·|•|- |\* |\d{1,2}\)\s)")
_TERMINAL = (".", ";", "?", "!", "»", '"', "”")


@dataclass(frozen=True)
class _Part:
    line: int
    title: str


def load_manifest(corpus_dir: Path) -> list[DocMeta]:
    """Read and validate ``manifest.json`` against the files present."""
    path = corpus_dir / MANIFEST
    if not path.is_file():
        raise CorpusError(f"no {MANIFEST} in {corpus_dir}", "create it; see README, 'Adding a report'")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = raw["documents"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path} is not a valid manifest: {exc}", "it must be JSON with a 'documents' list") from exc
    metas = [_meta_from_entry(entry, index) for index, entry in enumerate(entries)]
    _check_consistency(corpus_dir, metas)
    return metas


def _meta_from_entry(entry: dict[str, object], index: int) -> DocMeta:
    missing = [key for key in _REQUIRED if not entry.get(key)]
    if missing:
        raise CorpusError(f"manifest entry #{index + 1} lacks {', '.join(missing)}", "fill in every field")
    institutions = entry["institutions"]
    if not isinstance(institutions, list):
        raise CorpusError(f"manifest entry {entry['id']}: institutions must be a list")
    return DocMeta(
        id=str(entry["id"]),
        title=str(entry["title"]),
        short_title=str(entry.get("short_title") or entry["title"]),
        institutions=tuple(str(i) for i in institutions),
        period=str(entry["period"]),
        publisher=str(entry["publisher"]),
        file=str(entry["file"]),
        sha256=str(entry["sha256"]),
    )


def _check_consistency(corpus_dir: Path, metas: Sequence[DocMeta]) -> None:
    ids = [m.id for m in metas]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise CorpusError(f"duplicate document ids in manifest: {', '.join(duplicated)}")
    listed = {m.file for m in metas}
    for meta in metas:
        if not (corpus_dir / meta.file).is_file():
            raise CorpusError(f"manifest lists {meta.file} but corpus/{meta.file} does not exist", "add the file or remove the entry")
    unlisted = sorted(p.name for p in corpus_dir.iterdir() if p.suffix in REPORT_SUFFIXES and p.name != "README.md" and p.name not in listed)
    if unlisted:
        raise CorpusError(
            f"corpus/{unlisted[0]} has no manifest entry",
            f"run `rag corpus add corpus/{unlisted[0]} --title ... --institution ...` or add it to corpus/{MANIFEST}",
        )


def register(corpus_dir: Path, source: Path, entry: dict[str, object], update: bool = False) -> dict[str, object]:
    """Copy ``source`` into the corpus (if it isn't there) and write its manifest entry.

    With ``update``, an existing entry for the same file is replaced (its
    sha256 refreshed); without it, registering a file twice is an error.
    """
    if source.suffix not in REPORT_SUFFIXES:
        raise CorpusError(f"{source.name} is not a .txt or .md report", "convert it to plain text first")
    if not source.is_file():
        raise CorpusError(f"{source} does not exist")
    target = corpus_dir / source.name
    if source.resolve() != target.resolve():
        if target.exists() and not update:
            raise CorpusError(f"corpus/{source.name} already exists", "pass --update to replace it")
        target.write_bytes(source.read_bytes())
    path = corpus_dir / MANIFEST
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"schema": 1, "documents": []}
    documents: list[dict[str, Any]] = raw["documents"]
    existing = [e for e in documents if e["file"] == source.name]
    if existing and not update:
        raise CorpusError(f"corpus/{source.name} is already registered", "pass --update to refresh its entry")
    new_entry = {**(existing[0] if existing else {}), **{k: v for k, v in entry.items() if v}, "file": source.name, "sha256": file_sha256(target)}
    _meta_from_entry(new_entry, len(documents))  # same validation as loading
    raw["documents"] = [e for e in documents if e["file"] != source.name] + [new_entry]
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return new_entry


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corpus_fingerprint(metas: Sequence[DocMeta], corpus_dir: Path) -> str:
    """Hash of the manifest entries and file contents: changes whenever the corpus does."""
    digest = hashlib.sha256()
    digest.update((corpus_dir / MANIFEST).read_bytes())
    for meta in sorted(metas, key=lambda m: m.file):
        digest.update(meta.file.encode())
        digest.update(file_sha256(corpus_dir / meta.file).encode())
    return digest.hexdigest()


def load_corpus(corpus_dir: Path) -> list[Document]:
    """Every document of the manifest, parsed."""
    manifest_raw = json.loads((corpus_dir / MANIFEST).read_text(encoding="utf-8")) if (corpus_dir / MANIFEST).is_file() else {}
    parts_by_file = {e["file"]: e.get("parts", []) for e in manifest_raw.get("documents", [])}
    documents = []
    for meta in load_manifest(corpus_dir):
        path = corpus_dir / meta.file
        actual = file_sha256(path)
        if actual != meta.sha256:
            raise CorpusError(
                f"corpus/{meta.file} changed since it was registered (sha256 {actual[:12]}… ≠ {meta.sha256[:12]}…)",
                f"restore the original file, or if the new version is intended run `rag corpus add corpus/{meta.file} --update`",
            )
        parts = tuple(_Part(int(p["line"]), str(p["title"])) for p in parts_by_file.get(meta.file, []))
        documents.append(parse_document(meta, path.read_text(encoding="utf-8"), parts))
    return documents


def parse_document(meta: DocMeta, text: str, parts: Sequence[_Part] = ()) -> Document:
    lines = tuple(text.split("\n"))
    if lines and lines[-1] == "":
        lines = lines[:-1]  # the final newline ends the last line; it is not a line of its own
    return Document(meta=meta, lines=lines, blocks=tuple(_blocks(lines, meta.source, parts)))


# --- headings ---------------------------------------------------------------


def _is_upper(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 3 and sum(ch.isupper() for ch in letters) / len(letters) >= 0.8


def heading_level(line: str, next_line: str | None, after_page_number: bool) -> int | None:
    """The heading level of ``line`` (see module docstring), or None for body text."""
    text = line.strip()
    if _is_bullet_title(text, next_line):
        return 8  # "· Prevención de Adicciones": a bullet that names the items below it
    if not text or "\t" in line.lstrip() or text.startswith(("**", "·", "-", "•", "(", "^", "$", "\\")):
        return None
    if _NUMBERED_CHAPTER.match(text) and len(text) <= 60:
        return 1
    if after_page_number and _is_upper(text):
        return 1
    if _OBJECTIVE.match(text) and len(text) <= 300:
        return 2
    if _SUBSECTION.match(text):
        return 3
    if _STRATEGY.match(text) and len(text) <= 300:
        return 4
    if ": " in text or text.lower().startswith(("fuente", "nota")):
        return None  # "FUENTE: ...", "ACDO: Acuerdo" (glossary), "Meta: 94.00"
    opening = text.lstrip("¿¡")
    if len(text) > 120 or text.endswith((".", ",", ";")) or not opening or opening[0].isdigit() or not opening[0].isupper():
        return None
    follows_text = next_line is not None and next_line.strip() != "" and not next_line.strip()[0].islower()
    if next_line is not None and next_line.strip() and next_line.strip()[0].islower():
        return None  # a hard-wrapped sentence continues on the next line
    if _is_upper(text):
        single_acronym = " " not in text and not line.startswith("\t")
        if not single_acronym:
            return 6 if line.startswith("\t") else 5
    if len(text.split()) > 12 or text.endswith(":") or (not follows_text and next_line is not None and next_line.strip()):
        return None
    if "%" in text or "**" in text or _FIGURE.search(re.sub(r"\b(19|20)\d\d\b", "", text)):
        return None  # figures belong to sentences; titles carry only years and codes ("Acción social E046")
    return 7


def _is_bullet_title(text: str, next_line: str | None) -> bool:
    """A short bullet without a verb's sentence shape, heading a list of bullets."""
    if not text.startswith("·") or next_line is None or not next_line.strip().startswith("·"):
        return False
    body = text.lstrip("· ").strip()
    return 1 <= len(body.split()) <= 12 and body[:1].isupper() and not body.endswith((".", ";", ":", ",")) and not _FIGURE.search(body)


# --- blocks -------------------------------------------------------------------


def _next_nonblank(lines: Sequence[str], i: int, limit: int = 4) -> tuple[int, str] | None:
    for j in range(i + 1, min(len(lines), i + 1 + limit)):
        if lines[j].strip():
            return j, lines[j]
    return None


def _is_page_number(line: str) -> bool:
    return line.strip().isdigit() and len(line.strip()) <= 3 and not line.startswith("\t")


def _continues(previous: str, following: str, adjacent: bool) -> bool:
    """Does ``following`` continue the sentence that ``previous`` leaves open?

    Adjacent lines (no blank between) are hard wraps unless the first ends a
    sentence; across blank lines (a page break) only a lower-case start continues.
    """
    prev, nxt = previous.rstrip(), following.strip()
    if not nxt or _LIST_ITEM.match(following):
        return False
    if adjacent:
        return not prev.endswith(_TERMINAL) or (prev.endswith(":") and not nxt[0].isupper())
    return not prev.endswith((*_TERMINAL, ":")) and (nxt[0].islower() or nxt[0] in "-(")


def _blocks(lines: Sequence[str], source: str, parts: Sequence[_Part]) -> Iterator[Block]:
    regions = {r.start: r for r in find_table_regions(lines)}
    part_at = {p.line: p.title for p in parts}
    stack: list[tuple[int, str]] = []
    i = 0
    after_page_number = False
    while i < len(lines):
        line_no = i + 1
        if line_no in part_at:
            stack = [(0, part_at[line_no])]
        section: SectionPath = tuple(title for _, title in stack)
        region = regions.get(line_no)
        if region:
            text = "\n".join(lines[region.start - 1 : region.end])
            yield Block("table", text, Span(source, region.start, region.end), section)
            i, after_page_number = region.end, False
            continue
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _is_page_number(line):
            after_page_number = True
            i += 1
            continue
        following = _next_nonblank(lines, i)
        if _SHEET_NUMBER.match(line.strip()) and following and _SHEET_KIND.match(following[1].strip()):
            title = f"{line.strip()} {following[1].strip()}"
            stack = [(lv, t) for lv, t in stack if lv < 3] + [(3, title)]
            yield Block("heading", title, Span(source, line_no, following[0] + 1), tuple(t for _, t in stack))
            i, after_page_number = following[0] + 1, False
            continue
        level = heading_level(line, following[1] if following else None, after_page_number)
        after_page_number = False
        if level is not None:
            end = i
            while level in (5, 6) and end + 1 < len(lines) and _is_upper(lines[end + 1]) and heading_level(lines[end + 1], None, False) == level:
                end += 1  # one upper-case title printed over two lines
            title = _clean_heading(" ".join(lines[i : end + 1]))
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
            yield Block("heading", title, Span(source, line_no, end + 1), tuple(t for _, t in stack))
            i = end + 1
            continue
        end = _paragraph_end(lines, i, regions)
        kind: BlockKind = "list_item" if _LIST_ITEM.match(line) else "paragraph"
        yield Block(kind, "\n".join(lines[i : end + 1]).strip(), Span(source, line_no, end + 1), section)
        i = end + 1


def _paragraph_end(lines: Sequence[str], i: int, regions: Mapping[int, object]) -> int:
    """Last line index of the paragraph starting at ``i``, joining wrapped lines and page breaks."""
    end = i
    while True:
        following = _next_nonblank(lines, end)
        if following is None:
            return end
        j, nxt = following
        if j + 1 in regions or _is_page_number(nxt) or not _continues(lines[end], nxt, adjacent=j == end + 1):
            return end
        strong = heading_level(nxt, None, False)
        if strong is not None and strong <= 4:
            return end
        end = j


def _clean_heading(line: str) -> str:
    text = re.sub(r"\s+", " ", line.replace("\u00a0", " ")).strip()
    return text.strip("*").strip()
