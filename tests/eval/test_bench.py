"""eval/bench.py: the LangChain baseline's line spans, and the ratios (the run itself is `make bench`)."""

from eval.bench import baseline_splits, ratios
from rag.types import Document


def test_baseline_splits_cite_the_lines_that_hold_their_text(corpus_docs: dict[str, Document]) -> None:
    splits = baseline_splits(list(corpus_docs.values()))
    assert len(splits) > len(corpus_docs)
    for split in splits:
        document = corpus_docs[split.metadata["source"]]
        start, end = split.metadata["start_line"], split.metadata["end_line"]
        assert 1 <= start <= end <= len(document.lines)
        assert split.page_content in document.text_at(start, end)
        assert split.page_content.split("\n")[0] in document.lines[start - 1]


def test_ratios_are_ours_over_langchain() -> None:
    ours = {"search": {"p50_ms": 10.0}, "ask": {"p50_ms": 30.0}, "recall@5": 0.9}
    baseline = {"search": {"p50_ms": 20.0}, "recall@5": 0.6}
    assert ratios(ours, baseline) == {"search_p50_ours_over_langchain": 0.5, "ask_p50_ours_over_langchain_search": 1.5, "recall@5_ours_over_langchain": 1.5}
    assert ratios(ours, {"search": {"p50_ms": 0.0}, "recall@5": 0.0})["recall@5_ours_over_langchain"] is None


def test_bench_http_runs_as_a_script() -> None:
    """`python -m eval.bench_http` once died with a NameError: a helper was defined below the __main__ guard.

    Against a closed port every request is a connection error, counted, not raised.
    """
    import socket
    import subprocess
    import sys

    from rag.settings import PROJECT_ROOT

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = subprocess.run(
        [sys.executable, "-m", "eval.bench_http", "--url", f"http://127.0.0.1:{port}", "--concurrency", "1", "--limit", "2"],
        check=False, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "clients  requests  errors" in run.stdout
