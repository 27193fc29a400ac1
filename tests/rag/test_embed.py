"""rag/embed.py: the real model's query path (one torch thread, memoised vectors)."""

import threading

import numpy as np
import pytest

from rag.embed import QUERY_MEMO_SIZE, QUERY_THREADS

pytestmark = pytest.mark.slow

QUESTION = "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"


def test_a_repeated_question_gets_the_same_vector_as_a_copy(pipeline) -> None:  # type: ignore[no-untyped-def]
    embedder = pipeline.embedder
    first = embedder.embed_queries([QUESTION])
    first[0, 0] = 99.0  # the caller's array is its own: the memo is not mutated through it
    again, fresh = embedder.embed_queries([QUESTION]), embedder.embed_queries([QUESTION, "otra pregunta"])
    assert again[0, 0] != 99.0
    np.testing.assert_allclose(again[0], fresh[0], atol=1e-6)  # memoised = computed
    assert len(embedder._memo) <= QUERY_MEMO_SIZE


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
