"""Train the reader (``rag train``): features of every candidate of the train split, a LightGBM model, a threshold from dev.

1. Every train question that asks for one figure or phrase (kinds ``table`` and
   ``passage``) is answered by the rule engine; its evidence becomes
   candidates (``rag.answer.candidates``) and features (``rag.answer.features``).
   A candidate is positive when it is what the strict rule accepts: the gold
   figure at the gold's precision (or the gold phrase, short), from a span that
   holds the gold evidence.
2. Hyperparameters: a small grid, scored by top-1 accuracy in 4-fold
   cross-validation on train grouped by question (``GroupKFold``); the first
   (simplest) point within CV_TOLERANCE of the best wins, so float noise in
   retrieval scores does not flip the choice between runs.
3. The threshold: on dev (every kind), the probability below which the
   service abstains is the one that maximises strict accuracy (a tie goes
   to the higher threshold: as many right answers, fewer wrong ones); the
   threshold that first reaches answered precision 0.95 is recorded beside it.
4. The model is saved with its manifest (inputs, features, importances,
   library versions, dev metrics) in ``<index_dir>/reader``.

Deterministic: one thread per fit, fixed seeds, questions in file order.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.metrics import figure_correct, span_contains
from eval.qa import QAItem, load_qa
from rag.answer import features
from rag.answer.candidates import AnswerCandidate
from rag.answer.reader import TRAIN_DATA, hard_vetoed, reader_dir, reader_inputs
from rag.numbers import parse_number, same_value
from rag.pipeline import Pipeline
from rag.settings import Settings

DEV_DATA = TRAIN_DATA.parent / "dev.jsonl"
GRID: tuple[dict[str, Any], ...] = ({"num_leaves": 15, "n_estimators": 300}, {"num_leaves": 31, "n_estimators": 300}, {"num_leaves": 15, "n_estimators": 600})
BASE_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "min_child_samples": 10,
    "subsample": 1.0,
    "colsample_bytree": 0.8,
    "reg_lambda": 1.0,
}
PRECISION_TARGET = 0.95
CV_TOLERANCE = 0.005  # grid points this close in CV top-1 are a tie (float noise in retrieval scores moves them by about this)


@dataclass
class Group:
    """One question: its candidates' features and labels, and what the service would do without the reader."""

    item: QAItem
    rows: list[list[float]]
    labels: list[int]
    fixed: bool | None  # the rule engine computed the answer (multi): strict-correct or not; None when the reader decides
    vetoed: list[bool] = field(default_factory=list)  # per candidate: a hard veto refuses it (the service never states it)


def candidate_right(item: QAItem, candidate: AnswerCandidate, lines: Sequence[str]) -> bool:
    """The strict rule, on a candidate: the gold figure or phrase, from a span that holds the gold evidence."""
    if not span_contains(lines, candidate.lines[0], candidate.lines[1], item.evidence):
        return False
    if item.answer_type == "number":
        gold = parse_number(item.answer)
        return gold is not None and candidate.value is not None and same_value(gold.value, gold.decimals, candidate.value)
    return figure_correct(candidate.text, candidate.value, item.answer, item.answer_type)


def build_groups(pipeline: Pipeline, items: Iterable[QAItem]) -> list[Group]:
    from eval.run import strict_outcome

    answerer = pipeline.answerer
    by_file = {d.meta.file: d for d in pipeline.documents.values()}
    groups = []
    for item in items:
        rule = answerer.answer(item.question)
        if rule.derivations:
            groups.append(Group(item, [], [], strict_outcome(pipeline, item, rule)[0]))
            continue
        evidence = answerer.gather(item.question)
        _, candidates, ctx = answerer.reading(evidence)
        rows = [features.vector(ctx, c) for c in candidates]
        document = by_file.get(item.doc)
        labels = [int(document is not None and candidate_right(item, c, document.lines)) for c in candidates]
        # The model learns from every candidate (dev strict 0.403 when vetoed ones were left out of training too);
        # the service never states a vetoed one, so dev is scored as served.
        vetoed = [hard_vetoed(ctx, c) for c in candidates]
        groups.append(Group(item, rows, labels, None, vetoed))
    return groups


def top1_accuracy(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> float:
    hits = [g.labels[int(np.argmax(s))] if len(s) else 0 for g, s in zip(groups, scores, strict=True)]
    return float(np.mean(hits)) if hits else 0.0


def fit(groups: Sequence[Group], params: dict[str, Any]) -> Any:
    import lightgbm

    trainable = [g for g in groups if g.rows and any(g.labels)]
    x = np.asarray([r for g in trainable for r in g.rows], dtype=np.float64)
    y = np.asarray([label for g in trainable for label in g.labels])
    model = lightgbm.LGBMClassifier(**BASE_PARAMS, **params, random_state=0, n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1)
    model.fit(x, y, feature_name=list(features.FEATURE_NAMES))
    return model


def predict(model: Any, groups: Sequence[Group]) -> list[np.ndarray]:
    """Per group, each candidate's probability as served: 0 for a hard-vetoed one."""
    scores = []
    for g in groups:
        raw = np.asarray(model.booster_.predict(np.asarray(g.rows, dtype=np.float64))) if g.rows else np.zeros(0)
        scores.append(np.where(g.vetoed, 0.0, raw) if g.vetoed else raw)
    return scores


def cross_validate(groups: Sequence[Group], folds: int = 4) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The grid point with the best mean top-1 accuracy over folds grouped by question."""
    from sklearn.model_selection import GroupKFold

    usable = [g for g in groups if g.rows and any(g.labels)]
    results = []
    for params in GRID:
        accuracies = []
        for train_idx, test_idx in GroupKFold(n_splits=folds).split(usable, groups=list(range(len(usable)))):
            model = fit([usable[i] for i in train_idx], params)
            held = [usable[i] for i in test_idx]
            accuracies.append(top1_accuracy(held, predict(model, held)))
        results.append({**params, "cv_top1": round(float(np.mean(accuracies)), 4)})
    top = max(r["cv_top1"] for r in results)
    best = next(r for r in results if r["cv_top1"] >= top - CV_TOLERANCE)  # the first (simplest) within noise of the best
    return {k: v for k, v in best.items() if k != "cv_top1"}, results


def outcomes(groups: Sequence[Group], scores: Sequence[np.ndarray]) -> list[tuple[float, bool, bool]]:
    """Per question: (confidence, answering would be right, the question is unanswerable)."""
    rows = []
    for group, score in zip(groups, scores, strict=True):
        unanswerable = group.item.kind == "unanswerable"
        if group.fixed is not None:
            rows.append((float("inf"), group.fixed, unanswerable))  # a computed answer is always given
        elif not len(score):
            rows.append((0.0, False, unanswerable))
        else:
            best = int(np.argmax(score))
            if score[best] <= 0:  # every candidate vetoed: the service abstains
                rows.append((0.0, False, unanswerable))
            else:
                rows.append((float(score[best]), bool(group.labels[best]) and not unanswerable, unanswerable))
    return rows


def strict_accuracy_at(rows: Sequence[tuple[float, bool, bool]], threshold: float) -> tuple[float, float, float]:
    """(strict accuracy, answered precision, coverage) when answers below ``threshold`` abstain."""
    right = answered = answered_right = 0
    for confidence, good, unanswerable in rows:
        if confidence > 0 and confidence >= threshold:  # 0: no candidate survived the vetoes, the service abstains
            answered += 1
            answered_right += good
            right += good
        else:
            right += unanswerable
    n = len(rows) or 1
    return right / n, (answered_right / answered if answered else 1.0), answered / n


def choose_threshold(rows: Sequence[tuple[float, bool, bool]]) -> tuple[float, float | None]:
    """(threshold maximising strict accuracy, lowest threshold reaching answered precision PRECISION_TARGET or None)."""
    candidates = sorted({round(c, 4) for c, _, _ in rows if c != float("inf")} | {0.0})
    best = max(
        candidates, key=lambda t: (round(strict_accuracy_at(rows, t)[0], 9), t)
    )  # a tie goes to the stricter threshold: same accuracy, fewer wrong answers
    precise = next((t for t in candidates if strict_accuracy_at(rows, t)[1] >= PRECISION_TARGET), None)
    return best, precise


def train(settings: Settings, out: Path | None = None, progress: bool = False) -> dict[str, Any]:
    started = time.perf_counter()
    from eval.run import QueryEmbeddingMemo
    from rag.index.build import default_embedder

    pipeline = Pipeline.open(replace_settings(settings, reader=False), embedder=QueryEmbeddingMemo(default_embedder(settings)))
    train_items = [i for i in load_qa(TRAIN_DATA, settings.corpus_dir) if i.kind in ("table", "passage")]
    dev_items = load_qa(DEV_DATA, settings.corpus_dir)
    train_groups = build_groups(pipeline, train_items)
    dev_groups = build_groups(pipeline, dev_items)
    featurised = time.perf_counter()
    params, grid = cross_validate(train_groups)
    model = fit(train_groups, params)
    dev_rows = outcomes(dev_groups, predict(model, dev_groups))
    threshold, precise = choose_threshold(dev_rows)
    accuracy, precision, coverage = strict_accuracy_at(dev_rows, threshold)
    importances = dict(zip(features.FEATURE_NAMES, (int(v) for v in model.booster_.feature_importance("gain")), strict=True))
    manifest = {
        **reader_inputs(settings, pipeline.index.manifest),
        "threshold": threshold,
        "threshold_for_precision_0.95": precise,
        "features": list(features.FEATURE_NAMES),
        "params": {**BASE_PARAMS, **params},
        "grid": grid,
        "train_questions": len(train_items),
        "train_candidates": sum(len(g.rows) for g in train_groups),
        "train_ceiling": round(float(np.mean([any(g.labels) for g in train_groups])), 4),
        "dev": {"strict_accuracy_estimate": round(accuracy, 4), "answered_precision": round(precision, 4), "coverage": round(coverage, 4)},
        "dev_reader_top1": round(top1_accuracy([g for g in dev_groups if g.rows], predict(model, [g for g in dev_groups if g.rows])), 4),
        "importance_gain": dict(sorted(importances.items(), key=lambda kv: -kv[1])),
        "versions": library_versions(),
        "seconds": {"features": round(featurised - started, 1), "total": round(time.perf_counter() - started, 1)},
    }
    save(model, manifest, out or reader_dir(settings))
    return manifest


def replace_settings(settings: Settings, **changes: Any) -> Settings:
    return settings.model_copy(update=changes)


def library_versions() -> dict[str, str]:
    import lightgbm
    import sklearn

    return {"lightgbm": lightgbm.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__}


def save(model: Any, manifest: dict[str, Any], directory: Path) -> None:
    """Write model and manifest to a temporary folder, then swap it into place (a failed run leaves the old model)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".reader-", dir=directory.parent))
    import shutil

    try:
        model.booster_.save_model(str(staging / "model.txt"))
        (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = directory.with_name(directory.name + ".old")
    if directory.exists():
        os.replace(directory, old)
    os.replace(staging, directory)
    if old.exists():
        shutil.rmtree(old)


__all__ = ["Group", "build_groups", "candidate_right", "choose_threshold", "strict_accuracy_at", "train"]
