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
    import torch

    embedder = pipeline.embedder
    assert embedder.query_int8  # the default
    questions = [QUESTION, "¿Cuántas pensiones por riesgos de trabajo concedió el ISSSTE en 2012?", "¿Cuál fue la tasa de mortalidad materna en 2023?"]
    int8 = embedder.embed_queries(questions)
    fp32 = embedder._encode(questions, embedder.query_prompt, None, 1)  # the base model, as passages are embedded
    cosines = (int8 * fp32).sum(axis=1)
    assert cosines.min() >= 0.99 and not np.allclose(int8, fp32, atol=1e-4)  # close, and really a different (quantized) model
    base, query = embedder._load(), embedder._load_query_model()
    tables = [(a.weight.data_ptr(), b.weight.data_ptr()) for a, b in zip(base.modules(), query.modules(), strict=False) if isinstance(a, torch.nn.Embedding)]
    assert tables and all(a == b for a, b in tables)
    assert any(type(m).__name__ == "Linear" and "quantized" in type(m).__module__ for m in query.modules())
    assert not any("quantized" in type(m).__module__ for m in base.modules())
