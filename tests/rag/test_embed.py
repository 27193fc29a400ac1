"""rag/embed.py: the real model's query path (one torch thread, the last question's vector kept per thread)."""

import threading

import numpy as np
import pytest

from rag.embed import QUERY_THREADS

pytestmark = pytest.mark.slow

QUESTION = "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"


def test_a_question_asked_again_in_a_row_gets_the_same_vector_as_a_copy(pipeline) -> None:  # type: ignore[no-untyped-def]
    embedder = pipeline.embedder
    first = embedder.embed_queries([QUESTION])
    first[0, 0] = 99.0  # the caller's array is its own: the kept vector is not mutated through it
    again, fresh = embedder.embed_queries([QUESTION]), embedder.embed_queries([QUESTION, "otra pregunta"])
    assert again[0, 0] != 99.0
    np.testing.assert_allclose(again[0], fresh[0], atol=1e-6)  # kept = computed


def test_queries_run_on_one_torch_thread_in_the_calling_thread(pipeline) -> None:  # type: ignore[no-untyped-def]
    import torch

    seen: list[int] = []

    def ask() -> None:
        pipeline.embedder.embed_queries([f"{QUESTION} ({threading.get_ident()})"])
        seen.append(torch.get_num_threads())

    worker = threading.Thread(target=ask)
    worker.start()
    worker.join()
    assert seen == [QUERY_THREADS]
