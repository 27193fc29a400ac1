"""rag/embed.py: the real model's query path (one torch thread on a few dedicated threads, the last question kept per thread)."""

import threading

import numpy as np
import pytest

from rag.embed import QUERY_WORKERS

pytestmark = pytest.mark.slow

QUESTION = "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"


def test_a_question_asked_again_in_a_row_gets_the_same_vector_as_a_copy(pipeline) -> None:  # type: ignore[no-untyped-def]
    embedder = pipeline.embedder
    first = embedder.embed_queries([QUESTION])
    first[0, 0] = 99.0  # the caller's array is its own: the kept vector is not mutated through it
    again, fresh = embedder.embed_queries([QUESTION]), embedder.embed_queries([QUESTION, "otra pregunta"])
    assert again[0, 0] != 99.0
    np.testing.assert_allclose(again[0], fresh[0], atol=1e-6)  # kept = computed


def test_queries_from_many_threads_run_on_the_few_query_threads(pipeline, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import torch

    embedder = pipeline.embedder
    ran_on: set[tuple[str, int]] = set()
    encode = embedder._encode

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        vectors = encode(*args, **kwargs)
        ran_on.add((threading.current_thread().name, torch.get_num_threads()))
        return vectors

    monkeypatch.setattr(embedder, "_encode", spy)
    callers = [threading.Thread(target=embedder.embed_queries, args=([f"{QUESTION} {n}"],)) for n in range(8)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert 1 <= len(ran_on) <= QUERY_WORKERS
    assert all(name.startswith("embed-query") and threads == 1 for name, threads in ran_on)


def test_int8_questions_stay_close_to_fp32_and_share_the_embedding_tables(pipeline) -> None:  # type: ignore[no-untyped-def]
    """The torch int8 copy (``RAG_QUERY_ONNX=false``), sharing the loaded model."""
    import torch

    from rag.embed import SentenceTransformerEmbedder

    base = pipeline.embedder
    embedder = SentenceTransformerEmbedder(base.model_name, base.query_prompt, base.passage_prompt, query_int8=True, query_onnx=False)
    embedder._model = base._load()
    questions = [QUESTION, "¿Cuántas pensiones por riesgos de trabajo concedió el ISSSTE en 2012?", "¿Cuál fue la tasa de mortalidad materna en 2023?"]
    int8 = embedder.embed_queries(questions)
    fp32 = embedder._encode(questions, embedder.query_prompt, None, 1)  # the base model, as passages are embedded
    cosines = (int8 * fp32).sum(axis=1)
    assert cosines.min() >= 0.99 and not np.allclose(int8, fp32, atol=1e-4)  # close, and really a different (quantized) model
    model, query = base._load(), embedder._load_query_model()
    tables = [(a.weight.data_ptr(), b.weight.data_ptr()) for a, b in zip(model.modules(), query.modules(), strict=False) if isinstance(a, torch.nn.Embedding)]
    assert tables and all(a == b for a, b in tables)
    assert any(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ for m in query.modules())
    assert not any("quantized" in type(m).__module__ for m in model.modules())


def test_onnx_questions_are_the_default_close_to_fp32_one_at_a_time_and_share_the_word_table(pipeline) -> None:  # type: ignore[no-untyped-def]
    from rag.query_onnx import OnnxQueryEncoder

    embedder = pipeline.embedder
    assert embedder.query_int8 and embedder.query_onnx  # the defaults
    encoder = embedder._load_query_model()
    assert isinstance(encoder, OnnxQueryEncoder)
    questions = [QUESTION, "¿Cuántas pensiones por riesgos de trabajo concedió el ISSSTE en 2012?", "¿Qué cobertura de vacunación hubo en 2023?"]
    onnx = embedder._encode(questions, embedder.query_prompt, None, 1, query=True)
    fp32 = embedder._encode(questions, embedder.query_prompt, None, 1)
    cosines = (onnx * fp32).sum(axis=1)
    assert cosines.min() >= 0.995 and not np.allclose(onnx, fp32, atol=1e-4)  # close, and really the int8 graph
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    alone = embedder._encode(questions[:1], embedder.query_prompt, None, 1, query=True)
    np.testing.assert_array_equal(alone[0], onnx[0])  # a question's vector never depends on the others asked with it
    torch_table = embedder._load()[0].auto_model.get_input_embeddings().weight.detach().numpy()
    assert np.shares_memory(encoder.table, torch_table)  # fed from torch's array, not a second 384 MB copy


@pytest.mark.parametrize("broken", ["missing", "garbage"])
def test_without_a_usable_onnx_file_questions_take_the_torch_int8_copy(pipeline, monkeypatch, tmp_path, caplog, broken: str) -> None:  # type: ignore[no-untyped-def]
    import rag.embed
    from rag.embed import SentenceTransformerEmbedder

    path = tmp_path / "query-int8.onnx"
    if broken == "garbage":
        path.write_bytes(b"not an onnx graph")
    monkeypatch.setattr(rag.embed, "query_model_path", lambda model_dir: path)
    base = pipeline.embedder
    embedder = SentenceTransformerEmbedder(base.model_name, base.query_prompt, base.passage_prompt, query_int8=True, query_onnx=True)
    embedder._model = base._load()
    with caplog.at_level("WARNING", logger="rag.embed"):
        vector = embedder.embed_queries([QUESTION])
    assert type(embedder._load_query_model()).__name__ == "SentenceTransformer"  # the torch copy
    assert "torch int8 copy" in caplog.text and str(path) in caplog.text
    assert float(vector[0] @ base.embed_queries([QUESTION])[0]) >= 0.99


def test_the_onnx_build_is_skipped_when_its_manifest_matches(pipeline) -> None:  # type: ignore[no-untyped-def]
    import json

    from rag.query_onnx import build, query_model_path

    path = query_model_path(pipeline.embedder.model_name)
    before = path.stat().st_mtime_ns
    assert build(pipeline.embedder.model_name) == path and path.stat().st_mtime_ns == before
    manifest = json.loads(path.with_suffix(".json").read_text())
    assert manifest["quantized_layers"] == 60  # 12 layers x (q, k, v, attention output, FFN input); FFN output stays fp32
