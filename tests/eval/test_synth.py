"""The synthetic corpus: valid, distinct, deterministic, and still made of parseable tables."""

import json
import re
from pathlib import Path

import pytest

from eval.synth import Variant, make_corpus
from rag.corpus import load_corpus
from rag.tables import extract_tables
from tests.conftest import CORPUS


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(3, tmp_path_factory.mktemp("synth") / "corpus")


def _manifest(folder: Path) -> list[dict[str, object]]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["documents"]


def test_copy_zero_is_the_real_corpus(synthetic: Path) -> None:
    real = _manifest(CORPUS)
    assert _manifest(synthetic)[: len(real)] == real
    for entry in real:
        assert (synthetic / str(entry["file"])).read_bytes() == (CORPUS / str(entry["file"])).read_bytes()


def test_manifest_is_valid_and_every_copy_is_a_distinct_document(synthetic: Path) -> None:
    documents = load_corpus(synthetic)  # checks every sha256 and the manifest's fields
    assert len(documents) == 3 * len(_manifest(CORPUS))
    assert len({d.meta.id for d in documents}) == len(documents)
    assert len({"\n".join(d.lines) for d in documents}) == len(documents)
    copies = [d for d in documents if d.meta.id.endswith("-s001")]
    assert all(not re.search(r"\bIMSS\b|\bISSSTE\b", "\n".join(d.lines)) for d in copies)
    by_id = {d.meta.id: d for d in documents}
    for copy in copies:
        original = by_id[copy.meta.id.removesuffix("-s001")]
        assert len(copy.lines) == len(original.lines)  # line citations and manifest parts still hold
        assert copy.meta.period != original.meta.period


def test_generation_is_deterministic_by_seed(tmp_path: Path, synthetic: Path) -> None:
    again = make_corpus(2, tmp_path / "again")
    other = make_corpus(2, tmp_path / "other", seed=1)
    name = "imss-cuenta-publica-2020-s001.txt"
    assert (again / name).read_bytes() == (synthetic / name).read_bytes()
    assert (other / name).read_bytes() != (synthetic / name).read_bytes()


def test_tables_are_still_extracted_with_the_same_shapes(synthetic: Path) -> None:
    documents = {d.meta.id: d for d in load_corpus(synthetic)}
    for doc_id, document in documents.items():
        if doc_id.endswith(("-s001", "-s002")):
            original = documents[doc_id.rsplit("-s", 1)[0]]
            assert [t.shape for t in extract_tables(document)] == [t.shape for t in extract_tables(original)], doc_id


def test_a_variant_renames_institutions_keeping_case_and_shifts_years() -> None:
    variant = Variant.of(13)  # Jalisco
    text = "El IMSS y el Imss-Bienestar; INSTITUTO MEXICANO DEL SEGURO SOCIAL; www.imss.gob.mx; Difundir; 2012-2024"
    renamed = variant.shift_years(variant.rename(text))
    shift = variant.year_shift
    assert renamed == (f"El ISSJAL y el ISSJAL-Bienestar; INSTITUTO DE SEGURIDAD SOCIAL DE JALISCO; www.issjal.gob.mx; Difundir; {2012 + shift}-{2024 + shift}")
