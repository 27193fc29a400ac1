"""The reader's model artifact (rag/answer/reader.py): saved with its manifest, refused when missing or stale."""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm
import numpy as np
import pytest

from rag.answer import features
from rag.answer.reader import ReaderModel, code_hash
from rag.answer.train import save


def tiny_model() -> lightgbm.LGBMClassifier:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(features.FEATURE_NAMES)))
    y = (x[:, 0] > 0).astype(int)  # the first feature decides
    model = lightgbm.LGBMClassifier(n_estimators=20, num_leaves=4, random_state=0, n_jobs=1, verbose=-1)
    return model.fit(x, y)


def test_a_saved_model_loads_when_its_inputs_match_and_scores_like_before(tmp_path: Path) -> None:
    model = tiny_model()
    inputs = {"code_hash": code_hash(), "train_sha256": "abc"}
    save(model, {**inputs, "threshold": 0.4}, tmp_path / "reader")
    loaded = ReaderModel.load(tmp_path / "reader", inputs)
    assert loaded is not None and loaded.threshold == 0.4
    rows = [[1.0] + [0.0] * (len(features.FEATURE_NAMES) - 1), [-1.0] + [0.0] * (len(features.FEATURE_NAMES) - 1)]
    scores = loaded.probabilities(rows)
    assert scores[0] > 0.5 > scores[1]
    np.testing.assert_allclose(scores, model.predict_proba(np.asarray(rows))[:, 1])


def test_a_missing_or_stale_model_is_refused_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert ReaderModel.load(tmp_path / "nothing", {}) is None
    save(tiny_model(), {"code_hash": "old", "threshold": 0.5}, tmp_path / "reader")
    assert ReaderModel.load(tmp_path / "reader", {"code_hash": code_hash()}) is None
    assert "stale (code_hash changed)" in caplog.text


def test_a_failed_save_leaves_the_previous_model(tmp_path: Path) -> None:
    save(tiny_model(), {"threshold": 0.5}, tmp_path / "reader")

    class Broken:
        booster_ = None  # save_model fails on it

    with pytest.raises(AttributeError):
        save(Broken(), {"threshold": 0.9}, tmp_path / "reader")
    assert json.loads((tmp_path / "reader" / "manifest.json").read_text())["threshold"] == 0.5


@pytest.mark.slow
def test_the_service_answers_through_the_trained_reader(pipeline) -> None:  # type: ignore[no-untyped-def]
    """With a fresh model (`make reader`), answers carry the reader's confidence and a figure from their first citation."""
    assert pipeline.answerer.reader.model is not None, "run `make reader`"
    answer = pipeline.ask("¿Cuántos pensionados tenía el ISSSTE al cierre de 2012?")
    assert not answer.abstained and answer.confidence is not None
    assert answer.confidence >= pipeline.answerer.reader.model.threshold
    assert answer.figure is not None and answer.figure.text in " ".join(answer.citations[0].quote.split())
    refused = pipeline.ask("¿Cuántos trabajadores tenía PEMEX en 2012?")
    assert refused.abstained and refused.figure is None
