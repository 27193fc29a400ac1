"""Every line of every split, checked mechanically (README, Evaluation: the gold data).

Exact evidence holding the answer (``eval.qa_check``), ids unique across the
splits, no evidence span in two splits, and the sizes the README states.
"""

from __future__ import annotations

import json

import pytest

from eval.qa import load_qa
from eval.qa_check import check_lines, load_corpus_texts
from eval.splits import span_clashes
from rag.settings import PROJECT_ROOT

DATA = PROJECT_ROOT / "eval" / "data"
SPLITS = ("train", "dev", "test")
CORPUS = load_corpus_texts(PROJECT_ROOT / "corpus")


def read(split: str) -> list[dict[str, object]]:
    return [json.loads(raw) for raw in (DATA / f"{split}.jsonl").read_text(encoding="utf-8").splitlines() if raw.strip()]


@pytest.mark.parametrize("split", SPLITS)
def test_every_line_passes_the_mechanical_checks(split: str) -> None:
    path = DATA / f"{split}.jsonl"
    problems = check_lines(path.read_text(encoding="utf-8").splitlines(), CORPUS)
    assert [str(p) for p in problems] == []
    load_qa(path, PROJECT_ROOT / "corpus")  # what `rag eval --split` reads


def test_ids_are_unique_across_splits_and_no_evidence_is_in_two() -> None:
    splits = {s: read(s) for s in SPLITS}
    ids = [str(i["id"]) for items in splits.values() for i in items]
    assert len(ids) == len(set(ids))
    assert span_clashes(splits, CORPUS) == []


def test_the_tuned_sets_are_in_train() -> None:
    train = {str(i["id"]) for i in read("train")}
    for name in ("qa.jsonl", "qa_fresh.jsonl"):
        tuned = {str(i["id"]) for i in (json.loads(r) for r in (PROJECT_ROOT / "eval" / name).read_text(encoding="utf-8").splitlines() if r.strip())}
        assert tuned <= train


def test_sizes_and_kinds_as_the_readme_states() -> None:
    splits = {s: read(s) for s in SPLITS}
    total = sum(len(v) for v in splits.values())
    assert total - 372 >= 2500  # new questions beyond the 332 + 40 tuned ones
    assert len(splits["test"]) >= 300
    for split, items in splits.items():
        kinds = {str(i["kind"]) for i in items}
        assert kinds == {"table", "passage", "multi", "unanswerable"}, split
        assert any(i["answer_type"] == "text" for i in items), split
    assert sum(i["kind"] == "unanswerable" for items in splits.values() for i in items) >= 150
