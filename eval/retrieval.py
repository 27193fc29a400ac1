"""Retrieval evaluation: recall@k and MRR@10 for BM25, dense and hybrid in one run.

    python -m eval.retrieval [--qa eval/qa.jsonl] [--sweep]

``--sweep`` also scores a grid of fusion settings from the same candidate
lists (no re-embedding), which is how the default fusion was chosen. To
avoid fitting the gold set, the sweep reports each setting on two halves
(odd/even question ids) next to the full set.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.metrics import hit_at_k, mean, reciprocal_rank, span_contains
from eval.qa import QAItem, load_qa
from rag.pipeline import Pipeline
from rag.retrieve.hybrid import FusionConfig, HybridRetriever
from rag.settings import get_settings
from rag.types import Hit

KS = (1, 5, 10)


@dataclass(frozen=True)
class Candidates:
    item: QAItem
    bm25: list[Hit]
    dense: list[Hit]


def relevance(pipeline: Pipeline, item: QAItem, hits: Sequence[Hit]) -> list[bool]:
    """For each hit: do its cited lines contain the gold evidence?"""
    flags = []
    for hit in hits:
        document = pipeline.documents.get(hit.chunk.doc_id)
        same_doc = document is not None and document.meta.file == item.doc
        flags.append(same_doc and span_contains(document.lines, hit.chunk.span.start, hit.chunk.span.end, item.evidence) if document else False)
    return flags


def retrieval_metrics(pipeline: Pipeline, items: Sequence[QAItem], hits_per_item: Sequence[Sequence[Hit]]) -> dict[str, float]:
    rel = [relevance(pipeline, item, hits) for item, hits in zip(items, hits_per_item, strict=True)]
    metrics = {f"recall@{k}": mean([hit_at_k(r, k) for r in rel]) for k in KS}
    metrics["mrr@10"] = mean([reciprocal_rank(r, 10) for r in rel])
    return metrics


def collect(pipeline: Pipeline, items: Sequence[QAItem], depth: int) -> list[Candidates]:
    return [Candidates(i, pipeline.index.bm25.search(i.question, depth), pipeline.index.dense.search(i.question, depth)) for i in items]


def fused(pipeline: Pipeline, candidates: Sequence[Candidates], config: FusionConfig, k: int = 10) -> list[list[Hit]]:
    hybrid = HybridRetriever(pipeline.index.bm25, pipeline.index.dense, config)
    return [hybrid.fuse(c.bm25[: config.candidates], c.dense[: config.candidates], k) for c in candidates]


def run(pipeline: Pipeline, items: Sequence[QAItem], sweep: bool) -> dict[str, dict[str, float]]:
    answerable = [i for i in items if i.answerable]
    candidates = collect(pipeline, answerable, max(pipeline.fusion.candidates, 10))
    results = {
        "bm25": retrieval_metrics(pipeline, answerable, [c.bm25[:10] for c in candidates]),
        "dense": retrieval_metrics(pipeline, answerable, [c.dense[:10] for c in candidates]),
        f"hybrid ({pipeline.fusion.method}, w_bm25={pipeline.fusion.weight_bm25})": retrieval_metrics(
            pipeline, answerable, fused(pipeline, candidates, pipeline.fusion)
        ),
    }
    if sweep:
        halves = [[j for j, c in enumerate(candidates) if j % 2 == h] for h in (0, 1)]
        for config in _grid():
            ranked = fused(pipeline, candidates, config)
            full = retrieval_metrics(pipeline, answerable, ranked)
            for h, idx in enumerate(halves):
                half = retrieval_metrics(pipeline, [answerable[j] for j in idx], [ranked[j] for j in idx])
                full[f"recall@5/half{h}"] = half["recall@5"]
            results[f"sweep {config.method} w={config.weight_bm25} k={config.rrf_k} cand={config.candidates}"] = full
    return results


def _grid() -> list[FusionConfig]:
    configs = [FusionConfig("rrf", 0.5, 60, 50)]
    configs += [FusionConfig("weighted_rrf", w, k, 50) for w in (0.5, 0.6, 0.7, 0.8) for k in (10, 60)]
    configs += [FusionConfig("convex", w, 60, c) for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8) for c in (20, 50)]
    return configs


def format_table(results: dict[str, dict[str, float]]) -> str:
    lines = ["| retriever | recall@1 | recall@5 | recall@10 | MRR@10 |", "|---|---|---|---|---|"]
    for name, m in results.items():
        extra = f" (halves {m['recall@5/half0']:.3f} / {m['recall@5/half1']:.3f})" if "recall@5/half0" in m else ""
        lines.append(f"| {name}{extra} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['mrr@10']:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"))
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    settings = get_settings()
    pipeline = Pipeline.open(settings)
    items = load_qa(args.qa, settings.corpus_dir)
    results = run(pipeline, items, args.sweep)
    n = sum(i.answerable for i in items)
    print(json.dumps(results, indent=2) if args.json else f"{n} answerable questions from {args.qa}\n" + format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
