"""Shared fixtures.

* ``corpus_docs``: the real corpus, parsed (cheap, pure).
* ``tiny_corpus``: a corpus folder with the two CONEVAL reports and a
  manifest, for tests that build indexes (small enough to embed in seconds).
* ``pipeline``: the real service on the project's built index (real model,
  real FAISS, real SQLite). ``make test`` builds that index first; the
  fixture builds it if it is missing or stale.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.corpus import load_corpus
from rag.settings import PROJECT_ROOT, Settings
from rag.types import Document

CORPUS = PROJECT_ROOT / "corpus"
TINY_FILES = ("coneval-desempeno-issste-2024.txt", "coneval-ficha-monitoreo-e012-2020-2021.txt")


@pytest.fixture(scope="session")
def corpus_docs() -> dict[str, Document]:
    return {d.meta.file: d for d in load_corpus(CORPUS)}


def make_corpus(target: Path, files: tuple[str, ...] = TINY_FILES) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = [d for d in manifest["documents"] if d["file"] in files]
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    for name in files:
        shutil.copy2(CORPUS / name, target / name)
    return target


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return make_corpus(tmp_path / "corpus")


def tiny_settings(tmp_path: Path, corpus: Path, **overrides: object) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pipeline():  # type: ignore[no-untyped-def]
    from rag.pipeline import Pipeline

    return Pipeline.open(Settings(), build_if_needed=True)
