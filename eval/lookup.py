"""Table lookup quality: is the top cell the gold cell?

    python -m eval.lookup [--qa eval/qa.jsonl] [--show-failures]

Gold cell = a cell whose value equals the gold answer (shared number rules)
and whose line lies inside an occurrence of the gold evidence in the gold
document. Only questions of kind "table" count.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from eval.metrics import number_match
from eval.qa import QAItem, load_qa
from rag.pipeline import Pipeline
from rag.settings import get_settings
from rag.types import CellMatch


def evidence_lines(text: str, evidence: str) -> list[tuple[int, int]]:
    """Line ranges (1-based, inclusive) of every occurrence of ``evidence`` in ``text``."""
    ranges = []
    start = text.find(evidence)
    while start >= 0:
        first = text.count("\n", 0, start) + 1
        ranges.append((first, first + evidence.count("\n")))
        start = text.find(evidence, start + 1)
    return ranges


def is_gold(match: CellMatch, item: QAItem, corpus_dir: Path) -> bool:
    if match.table.source != f"corpus/{item.doc}" or not number_match(match.cell.text, item.answer):
        return False
    text = (corpus_dir / item.doc).read_text(encoding="utf-8")
    return any(a <= match.cell.line <= b for a, b in evidence_lines(text, item.evidence))


def run(pipeline: Pipeline, items: Sequence[QAItem], show: bool) -> float:
    tables = [i for i in items if i.kind == "table"]
    correct = 0
    for item in tables:
        matches = pipeline.table_matches(item.question)
        ok = bool(matches) and is_gold(matches[0], item, pipeline.settings.corpus_dir)
        correct += ok
        if show and not ok:
            top = matches[0] if matches else None
            got = (
                f"{top.cell.text!r} [{top.table.title[:40]} / {top.table.rows[top.cell.row].label[:40]} / "
                f"{top.table.columns[top.cell.column].label}] L{top.cell.line} s={top.score}"
                if top
                else "nothing"
            )
            print(f"{item.id}: want {item.answer!r} got {got}\n    {item.question}")
    return correct / len(tables) if tables else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"))
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()
    pipeline = Pipeline.open(settings)
    items = load_qa(args.qa, settings.corpus_dir)
    accuracy = run(pipeline, items, args.show_failures)
    print(f"table lookup: top cell is the gold cell for {accuracy:.3f} of {sum(i.kind == 'table' for i in items)} table questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
