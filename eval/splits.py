"""Build the train / dev / test splits of the gold questions (README, Evaluation).

Rules, in order:

1. Every line passes ``eval.qa_check``; a line that does not is dropped (and counted).
2. Near-duplicates go: two questions with the same answer, the same evidence
   and content words that overlap by ``NEAR_DUPLICATE`` (Jaccard) or more keep
   only the first.
3. The unit of splitting is a report section (the leaf section of the block
   an evidence starts or ends in); the sections one question's spans touch
   (a multi question's operands too) are one unit, so no evidence span is in
   two splits.
4. The tuned sets (``eval/qa.jsonl``, ``eval/qa_fresh.jsonl``) go to train,
   and so does every new question whose evidence overlaps one of their spans
   (a fact the answer rules were written for is not a fact nobody has seen).
5. The other units are dealt, report by report, in an order fixed by a hash
   of the unit, each to the split whose share of that report's questions
   (kind by kind) lags its target most: 60 / 20 / 20. Unanswerable questions
   have no span and are dealt the same way by a hash of their id.

The result is deterministic: the same lines give the same splits::

    python -m eval.splits --out eval/data eval/qa.jsonl eval/qa_fresh.jsonl drafts/*.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.qa_check import check_item, load_corpus_texts
from rag.text import content_words

TARGETS = {"train": 0.6, "dev": 0.2, "test": 0.2}
TUNED_FILES = ("qa.jsonl", "qa_fresh.jsonl")
NEAR_DUPLICATE = 0.8
Span = tuple[str, int, int]  # doc, first line, last line
Chars = tuple[str, int, int]  # doc, first character, end character


@dataclass(frozen=True)
class Line:
    item: dict[str, object]
    tuned: bool

    @property
    def id(self) -> str:
        return str(self.item["id"])

    @property
    def kind(self) -> str:
        return str(self.item["kind"])


def evidence_chars(item: dict[str, object], corpus: dict[str, str]) -> list[Chars]:
    """Where an item's evidence and operands are, in characters (first occurrence in the doc)."""
    pairs = [(str(item.get("doc", "")), str(item.get("evidence", "")))]
    operands = item.get("operands")
    if isinstance(operands, list):
        pairs += [(str(o.get("doc", "")), str(o.get("evidence", ""))) for o in operands if isinstance(o, dict)]
    found = []
    for doc, evidence in pairs:
        where = corpus.get(doc, "").find(evidence) if evidence else -1
        if where >= 0:
            found.append((doc, where, where + len(evidence)))
    return found


def evidence_spans(item: dict[str, object], corpus: dict[str, str]) -> list[Span]:
    """The line spans of an item's evidence and operands."""
    spans = []
    for doc, start, end in evidence_chars(item, corpus):
        first = corpus[doc].count("\n", 0, start) + 1
        spans.append((doc, first, first + corpus[doc].count("\n", start, end)))
    return spans


def overlaps(a: Chars, b: Chars) -> bool:
    """Two character ranges of one report share a character (ends are exclusive)."""
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def drop_near_duplicates(lines: Sequence[Line]) -> tuple[list[Line], int]:
    kept: list[Line] = []
    seen: dict[tuple[str, str, str], list[set[str]]] = defaultdict(list)
    dropped = 0
    for line in lines:
        key = (str(line.item["answer"]), str(line.item.get("evidence", "")), str(line.item.get("doc", "")))
        words = set(content_words(str(line.item["question"])))
        if not line.tuned and any(jaccard(words, other) >= NEAR_DUPLICATE for other in seen[key]):
            dropped += 1
            continue
        seen[key].append(words)
        kept.append(line)
    return kept, dropped


class Sections:
    """Leaf section of each line of each report, from the corpus parser's blocks."""

    def __init__(self, corpus_dir: Path) -> None:
        from rag.corpus import load_corpus

        self.by_line: dict[tuple[str, int], str] = {}
        for document in load_corpus(corpus_dir):
            for block in document.blocks:
                label = " › ".join(block.section) or "(top)"
                for number in range(block.span.start, block.span.end + 1):
                    self.by_line[(document.meta.file, number)] = label

    def of(self, doc: str, line: int) -> str:
        # a blank line between blocks belongs to the nearest block above it
        while line > 0 and (doc, line) not in self.by_line:
            line -= 1
        return f"{doc}#{self.by_line.get((doc, line), '(top)')}"


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def overlap_clusters(chars: dict[str, list[Chars]]) -> UnionFind:
    """Questions joined when their evidence (operands included) shares a character, directly or through others."""
    clusters = UnionFind()
    owned = sorted((span, ident) for ident, spans in chars.items() for span in spans)
    for ident in chars:
        clusters.find(ident)
    reach: tuple[str, int, str] | None = None  # (doc, furthest end so far, its question)
    for (doc, start, end), ident in owned:
        if reach is not None and reach[0] == doc and start < reach[1]:
            clusters.union(ident, reach[2])
            reach = (doc, max(reach[1], end), reach[2])
        else:
            reach = (doc, end, ident)
    return clusters


def stable_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def deal(groups: dict[str, list[Line]], report_of: dict[str, str], already: dict[str, Counter[str]] | None = None) -> dict[str, str]:
    """Assign each group (unit) to a split, report by report, kind by kind, toward TARGETS.

    ``already`` counts, per report, the questions of each kind that are in train
    whatever happens (the tuned sets and the facts they ask about): the targets
    are shares of all of a report's questions, so dev and test catch up first.
    """
    already = already or {}
    assigned: dict[str, str] = {}
    by_report: dict[str, list[str]] = defaultdict(list)
    for unit in groups:
        by_report[report_of[unit]].append(unit)
    for report, units in by_report.items():
        fixed = already.get(report, Counter())
        totals = Counter(line.kind for unit in units for line in groups[unit]) + fixed
        counts: dict[str, Counter[str]] = {split: Counter() for split in TARGETS}
        counts["train"].update(fixed)
        for unit in sorted(units, key=stable_hash):
            kinds = Counter(line.kind for line in groups[unit])
            split = max(TARGETS, key=lambda s, kinds=kinds: (lag(s, kinds, totals, counts[s]), TARGETS[s]))  # type: ignore[misc]
            assigned[unit] = split
            counts[split].update(kinds)
    return assigned


def lag(split: str, kinds: Counter[str], totals: Counter[str], have: Counter[str]) -> float:
    """How far ``split`` is behind its target on the kinds of a unit, weighted by the unit's questions of each kind."""
    return sum(n * (TARGETS[split] * totals[k] - have[k]) / max(1.0, TARGETS[split] * totals[k]) for k, n in kinds.items())


def build(paths: Sequence[Path], corpus_dir: Path) -> tuple[dict[str, list[dict[str, object]]], dict[str, int]]:
    corpus = load_corpus_texts(corpus_dir)
    stats: Counter[str] = Counter()
    lines: list[Line] = []
    seen_ids: set[str] = set()
    for path in paths:
        for raw in path.read_text(encoding="utf-8").splitlines():
            if not raw.strip():
                continue
            item = json.loads(raw)
            if check_item(item, corpus) or item["id"] in seen_ids:
                stats["dropped_failed_check_or_repeated_id"] += 1
                continue
            seen_ids.add(item["id"])
            lines.append(Line(item, path.name in TUNED_FILES))
    lines, stats["dropped_near_duplicates"] = drop_near_duplicates(lines)
    sections = Sections(corpus_dir)
    chars = {line.id: evidence_chars(line.item, corpus) for line in lines}
    facts = overlap_clusters(chars)  # questions whose evidence shares a character are about one fact
    tuned_facts = {facts.find(line.id) for line in lines if line.tuned}
    forced_train = {line.id for line in lines if line.tuned or facts.find(line.id) in tuned_facts}
    units = UnionFind()  # sections, joined through the questions (and facts) that span several
    unit_of: dict[str, str] = {}
    for line in lines:
        spans = evidence_spans(line.item, corpus)
        keys = [sections.of(doc, n) for doc, first, last in spans for n in (first, last)] or [f"unanswerable#{line.id}"]
        keys.append(f"fact#{facts.find(line.id)}")
        for key in keys[1:]:
            units.union(key, keys[0])  # the section key stays the root's name where it can
        unit_of[line.id] = keys[0]
    groups: dict[str, list[Line]] = defaultdict(list)
    already: dict[str, Counter[str]] = defaultdict(Counter)
    report_of: dict[str, str] = {}
    for line in lines:
        unit = units.find(unit_of[line.id])
        report = unit_of[line.id].split("#", 1)[0]
        if line.id in forced_train:
            already[report][line.kind] += 1
            continue
        groups[unit].append(line)
        report_of.setdefault(unit, report)
    assigned = deal(groups, report_of, already)
    splits: dict[str, list[dict[str, object]]] = {split: [] for split in TARGETS}
    for line in lines:
        split = "train" if line.id in forced_train else assigned[units.find(unit_of[line.id])]
        splits[split].append(line.item)
    stats["forced_train"] = len(forced_train)
    return splits, dict(stats)


def span_clashes(splits: dict[str, Iterable[dict[str, object]]], corpus: dict[str, str]) -> list[tuple[str, str]]:
    """Pairs of ids in different splits whose evidence overlaps (empty when the splits are disjoint)."""
    owned = sorted((c, split, str(item["id"])) for split, items in splits.items() for item in items for c in evidence_chars(item, corpus))
    clashes = []
    for i, (span, split, ident) in enumerate(owned):
        for other, other_split, other_id in owned[i + 1 :]:
            if other[0] != span[0] or other[1] >= span[2]:
                break
            if other_split != split and overlaps(span, other):
                clashes.append((ident, other_id))
    return clashes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build train/dev/test splits of the gold questions.")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval/data"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args(argv)
    splits, stats = build(args.files, args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    for split, items in splits.items():
        (args.out / f"{split}.jsonl").write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    counts = {split: len(items) for split, items in splits.items()}
    print(json.dumps({"counts": counts, **stats}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
