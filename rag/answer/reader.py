"""The reader: candidates of one question scored by a model trained on the train split.

``Reader.read`` takes the evidence the answerer gathered (sentences of the
retrieved passages, cells of the looked-up rows) and the rule engine's own
answer, builds every candidate (``rag.answer.candidates``), describes each with
the features of ``rag.answer.features``, and returns the best one with the
model's probability that it is right. Below the threshold chosen on dev, the
service abstains.

The model is an artifact like the index: a LightGBM booster saved with a
manifest of its inputs (train data hash, feature list, code hash, library
versions, dev metrics) by ``rag train``. A missing or stale model is reported
and the rule engine answers alone (``READER_STATUS``); it is never silently used.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer import features
from rag.answer.candidates import AnswerCandidate, extract
from rag.answer.policy import Candidate, fired
from rag.query import QuestionInfo

log = logging.getLogger("rag.reader")
SCHEMA_VERSION = 1
CODE_FILES = ("candidates.py", "features.py", "reader.py", "policy.py", "sentences.py", "train.py", "engine.py", "../lexicon.py")  # what the model depends on


def code_hash() -> str:
    """A hash of the modules that make candidates and features: a model trained on other features is stale."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in CODE_FILES:
        digest.update((here / name).read_bytes())
    digest.update(",".join(features.FEATURE_NAMES).encode())
    return digest.hexdigest()


TRAIN_DATA = Path(__file__).resolve().parents[2] / "eval" / "data" / "train.jsonl"


def reader_dir(settings: Any) -> Path:
    return Path(settings.index_dir) / "reader"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def reader_inputs(settings: Any, index_manifest: dict[str, Any]) -> dict[str, Any]:
    """What a model is trained from; a model whose manifest differs in any of these is stale."""
    return {
        "schema_version": SCHEMA_VERSION,
        "corpus_hash": index_manifest.get("corpus_hash"),
        "index_settings": index_manifest.get("settings"),
        "code_hash": code_hash(),
        "train_sha256": file_sha256(TRAIN_DATA),
        "cell_pool": settings.cell_pool,
    }


@dataclass(frozen=True)
class Reading:
    """The reader's verdict on one question: its best candidate and how sure it is, or nothing."""

    candidate: AnswerCandidate | None
    probability: float
    candidates: int


class ReaderModel:
    """A trained booster and the threshold below which the service abstains."""

    def __init__(self, booster: Any, threshold: float, manifest: dict[str, Any]) -> None:
        self.booster = booster
        self.threshold = threshold
        self.manifest = manifest

    def probabilities(self, rows: Sequence[Sequence[float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0)
        return np.asarray(self.booster.predict(np.asarray(rows, dtype=np.float64)), dtype=np.float64)

    @classmethod
    def load(cls, directory: Path, expected: dict[str, Any]) -> ReaderModel | None:
        """The model in ``directory``, or None (with a warning) when missing or built from other inputs."""
        manifest_path, model_path = directory / "manifest.json", directory / "model.txt"
        if not manifest_path.is_file() or not model_path.is_file():
            log.warning("reader model missing (%s): the rule engine answers alone; run `rag train`", directory)
            return None
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        stale = [k for k, v in expected.items() if manifest.get(k) != v]
        if stale:
            log.warning("reader model in %s is stale (%s changed): the rule engine answers alone; run `rag train`", directory, ", ".join(stale))
            return None
        import lightgbm

        booster = lightgbm.Booster(model_file=str(model_path))
        return cls(booster, float(manifest["threshold"]), manifest)


class Reader:
    """Candidates -> features -> probabilities -> the best candidate."""

    def __init__(self, model: ReaderModel | None, idf: Any) -> None:
        self.model = model
        self.idf = idf

    def context(self, info: QuestionInfo, rule_candidates: Sequence[Candidate]) -> features.Context:
        """The question read once, with the names of the vetoes each piece of evidence fires."""
        refused: dict[int, tuple[str, ...]] = {}
        for candidate in rule_candidates:
            key = id(candidate.cell) if candidate.cell is not None else id(candidate.sentence)
            refused[key] = tuple(dict.fromkeys(name for name, _ in fired(info, candidate)))
        return features.make_context(info, self.idf, vetoes=refused)

    def featurize(self, ctx: features.Context, candidates: Sequence[AnswerCandidate]) -> list[list[float]]:
        return [features.vector(ctx, c) for c in candidates]

    def read(self, ctx: features.Context, candidates: Sequence[AnswerCandidate]) -> Reading:
        """The most probable candidate that no hard veto refuses."""
        if self.model is None or not candidates:
            return Reading(None, 0.0, len(candidates))
        scores = self.model.probabilities(self.featurize(ctx, candidates))
        scores = np.where([hard_vetoed(ctx, c) for c in candidates], 0.0, scores)
        best = int(np.argmax(scores))
        return Reading(candidates[best] if scores[best] > 0 else None, float(scores[best]), len(candidates))


HARD_VETOES = frozenset({"period", "institution", "programme", "state", "foreign_institution", "counted", "percent", "figure", "amount", "count"})
"""Vetoes that refuse a candidate outright rather than only lowering its score: all of them
(dev strict accuracy 0.394 with none hard, 0.402 with period and institution, 0.414 with all)."""


def hard_vetoed(ctx: features.Context, candidate: AnswerCandidate) -> bool:
    return bool(HARD_VETOES & set(features.refused_by(ctx, candidate)))


__all__ = ["AnswerCandidate", "Reader", "ReaderModel", "Reading", "code_hash", "extract", "reader_dir", "reader_inputs"]
