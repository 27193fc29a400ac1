"""Calibrate the answer policy (rag/answer/policy.py) on a gold QA file.

    python -m eval.calibrate [--qa eval/qa.jsonl]

Evidence is gathered once per question; a grid of thresholds is then scored
offline. Prints, for each setting: accuracy on answerable questions by kind,
abstention recall and false-abstention rate, best first by a balanced score
(mean of answerable accuracy and abstention recall, minus false abstentions).
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from pathlib import Path

from eval.metrics import answer_correct, mean
from eval.qa import QAItem, load_qa
from rag.answer.engine import Evidence
from rag.answer.policy import Decision, Thresholds, decide
from rag.pipeline import Pipeline
from rag.settings import get_settings


def decision_text(decision: Decision) -> str:
    if decision.kind == "cell" and decision.cell:
        return decision.cell.cell.text
    if decision.kind == "sentence" and decision.sentence:
        return decision.sentence.sentence.text
    return ""


def score(items: Sequence[QAItem], evidence: Sequence[Evidence], thresholds: Thresholds) -> dict[str, float]:
    by_kind: dict[str, list[float]] = {}
    false_abstain: list[float] = []
    for item, ev in zip(items, evidence, strict=True):
        decision = decide(ev.info, ev.candidates, thresholds)
        abstained = decision.kind == "abstain"
        ok = answer_correct(decision_text(decision), abstained, item.answer, item.answer_type)
        by_kind.setdefault(item.kind, []).append(float(ok))
        if item.answerable:
            false_abstain.append(float(abstained))
    result = {f"accuracy.{k}": mean(v) for k, v in by_kind.items()}
    result["abstention.recall"] = result.pop("accuracy.unanswerable", 0.0)
    result["abstention.false_rate"] = mean(false_abstain)
    answerable = [v for k, vs in by_kind.items() if k != "unanswerable" for v in vs]
    result["accuracy.answerable"] = mean(answerable)
    result["balanced"] = (result["accuracy.answerable"] + result["abstention.recall"]) / 2 - result["abstention.false_rate"]
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=Path("eval/qa.jsonl"))
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args(argv)
    settings = get_settings()
    pipeline = Pipeline.open(settings)
    items = [i for i in load_qa(args.qa, settings.corpus_dir) if i.kind != "multi"]
    evidence = [pipeline.answerer.gather(i.question) for i in items]
    grid = [Thresholds(t, s, m) for t, s, m in itertools.product((3.0, 3.5, 4.0), (0.6, 0.7, 0.8, 0.9, 1.0, 1.1), (0.0, 0.1, 0.15, 0.2))]
    rows = sorted(((score(items, evidence, th), th) for th in grid), key=lambda r: -r[0]["balanced"])
    for result, th in rows[: args.top]:
        kinds = " ".join(f"{k.split('.')[1]}={v:.3f}" for k, v in sorted(result.items()) if k.startswith("accuracy."))
        print(
            f"table_min={th.table_min} sentence_min={th.sentence_min} cell_margin={th.cell_margin} | {kinds} "
            f"abst.recall={result['abstention.recall']:.3f} false={result['abstention.false_rate']:.3f} balanced={result['balanced']:.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
