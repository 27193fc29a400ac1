"""The whole benchmark in one run: build, in-process latency, HTTP, and a plain LangChain baseline.

    make bench                          # = python -m eval.bench
    python -m eval.bench --quick        # 40 questions, no cold build, levels 1 and 8: a smoke run
    python -m eval.bench --out eval/reports/bench.json

Prints a table and writes ``eval/reports/bench-<timestamp>.json`` (or ``--out``):

* build: a full ``rag index --rebuild`` into a temporary RAG_INDEX_DIR whose
  embedding cache is empty (every unit embedded), then a no-change
  ``rag index`` that must say "up to date" (``eval.scale.run_build``: wall
  time and peak RSS from ``os.wait4``);
* in-process: warm ``Pipeline.search`` (hybrid, k=5) and ``Pipeline.ask``
  latency over every question of eval/qa.jsonl;
* HTTP: ``rag serve`` on 127.0.0.1 (``eval.bench_http``): /ask latency and
  throughput at 1, 8 and 32 clients, and the server's peak RSS (VmHWM);
* baseline: ``RecursiveCharacterTextSplitter()`` with default sizes over the
  same reports, ``FAISS.from_documents`` with the same e5 model and prefixes,
  ``similarity_search(k=5)``; recall@5 uses the same span containment as ours
  (``eval.metrics.span_contains``) on line spans computed from ``start_index``.

The machine is shared, so the 1-minute load average is recorded at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import psutil

from eval.bench_http import DEFAULT_QA, run_levels, start_server
from eval.metrics import hit_at_k, mean, percentile, span_contains
from eval.qa import QAItem, load_qa
from eval.retrieval import retrieval_metrics
from rag.embed import Embedder
from rag.pipeline import Pipeline
from rag.settings import PROJECT_ROOT, Settings, get_settings
from rag.types import Document

REPORTS = PROJECT_ROOT / "eval" / "reports"
LEVELS = (1, 8, 32)
TOP_K = 5
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def latency(run: Callable[[str], T], questions: Sequence[str]) -> tuple[dict[str, float], list[T]]:
    """p50/p95/max in ms of ``run`` over the questions, one at a time, and what it returned."""
    times, results = [], []
    for question in questions:
        started = time.perf_counter()
        results.append(run(question))
        times.append((time.perf_counter() - started) * 1000)
    stats = {"n": len(times), "p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2), "max_ms": round(max(times, default=0), 2)}
    return stats, results


def git_commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


# --- build ---------------------------------------------------------------------


def bench_build(settings: Settings) -> dict[str, Any]:
    """Full build from an empty embedding cache, then a no-change run, both in subprocesses."""
    from eval.scale import run_build

    with tempfile.TemporaryDirectory(prefix="rag-bench-") as work:
        index = Path(work) / "index"
        log(f"full build into {index} (empty embedding cache)")
        full = run_build(settings.corpus_dir, index, rebuild=True)
        log("no-change build")
        again = run_build(settings.corpus_dir, index, rebuild=False)
    for name, record in (("full", full), ("no-change", again)):
        if record["rc"] != 0:
            raise SystemExit(f"the {name} `rag index` failed with exit {record['rc']}")
    if not again["skipped"]:
        raise SystemExit("the no-change `rag index` rebuilt instead of saying 'up to date'")
    keep = ("seconds", "peak_rss_mb", "units", "embedded", "reused", "kind", "skipped")
    return {"full": {k: full.get(k) for k in keep}, "no_change": {k: again.get(k) for k in keep}}


# --- in-process ----------------------------------------------------------------


def bench_inprocess(pipeline: Pipeline, questions: Sequence[str], items: Sequence[QAItem]) -> dict[str, Any]:
    for question in questions[:5]:  # model, lookups, caches
        pipeline.ask(question)
    search, hits = latency(lambda q: pipeline.search(q, TOP_K), [i.question for i in items])
    ask, _ = latency(pipeline.ask, questions)
    answerable = [(i, h) for i, h in zip(items, hits, strict=True) if i.answerable]
    recall = retrieval_metrics(pipeline, [i for i, _ in answerable], [h for _, h in answerable])
    return {"search": search, "ask": ask, "recall@5": round(recall["recall@5"], 4)}


# --- HTTP ----------------------------------------------------------------------


def _server_process(url: str) -> psutil.Process | None:
    """The `rag serve` child of this process listening on ``url``'s port."""
    port = url.rsplit(":", 1)[1]
    for child in psutil.Process().children(recursive=True):
        try:
            command = child.cmdline()
        except psutil.Error:
            continue
        if "serve" in command and port in command:
            return child
    return None


def peak_rss_mb(process: psutil.Process | None) -> float | None:
    """The kernel's high-water mark of resident memory (VmHWM), in MB."""
    if process is None:
        return None
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def bench_http(questions: Sequence[str], levels: Sequence[int]) -> dict[str, Any]:
    with start_server() as server:
        log(f"rag serve ready at {server.url} after {server.seconds_to_ready} s")
        process = _server_process(server.url)
        results = run_levels(server.url, questions, levels)
        peak = peak_rss_mb(process)
    return {
        "seconds_to_ready": server.seconds_to_ready,
        "startup_seconds": round(server.startup_seconds, 2),
        "server_peak_rss_mb": peak,
        "levels": [asdict(r) for r in results],
    }


# --- LangChain baseline ----------------------------------------------------------


def langchain_embeddings(embedder: Embedder) -> Any:
    """Our embedder (same model, same "query: "/"passage: " prefixes) as a LangChain ``Embeddings``."""
    from langchain_core.embeddings import Embeddings

    class E5Embeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in embedder.embed_passages(texts)]

        def embed_query(self, text: str) -> list[float]:
            return [float(x) for x in embedder.embed_queries([text])[0]]

    return E5Embeddings()


def baseline_splits(documents: Sequence[Document]) -> list[Any]:
    """Default RecursiveCharacterTextSplitter over each report; metadata: source file and 1-based line span."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(add_start_index=True)
    splits = []
    for document in documents:
        text = "\n".join(document.lines)
        for split in splitter.create_documents([text], metadatas=[{"source": document.meta.file}]):
            start = split.metadata["start_index"]
            split.metadata["start_line"] = text.count("\n", 0, start) + 1
            split.metadata["end_line"] = text.count("\n", 0, start + len(split.page_content)) + 1
            splits.append(split)
    return splits


def bench_langchain(pipeline: Pipeline, questions: Sequence[str], items: Sequence[QAItem]) -> dict[str, Any]:
    from langchain_community.vectorstores import FAISS

    documents = list(pipeline.documents.values())
    by_file = {d.meta.file: d for d in documents}
    splits = baseline_splits(documents)
    started = time.perf_counter()
    store = FAISS.from_documents(splits, langchain_embeddings(pipeline.embedder))
    build_seconds = time.perf_counter() - started
    for question in questions[:5]:
        store.similarity_search(question, k=TOP_K)

    def relevant(item: QAItem, hit: Any) -> bool:
        document = by_file.get(hit.metadata["source"])
        return (
            hit.metadata["source"] == item.doc
            and document is not None
            and span_contains(document.lines, hit.metadata["start_line"], hit.metadata["end_line"], item.evidence)
        )

    search, hits = latency(lambda q: store.similarity_search(q, k=TOP_K), [i.question for i in items])
    flags = [[relevant(i, h) for h in found] for i, found in zip(items, hits, strict=True) if i.answerable]
    return {"splits": len(splits), "build_seconds": round(build_seconds, 2), "search": search, "recall@5": round(mean([hit_at_k(f, TOP_K) for f in flags]), 4)}


# --- report --------------------------------------------------------------------


def ratios(ours: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    def ratio(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {
        "search_p50_ours_over_langchain": ratio(ours["search"]["p50_ms"], baseline["search"]["p50_ms"]),
        "ask_p50_ours_over_langchain_search": ratio(ours["ask"]["p50_ms"], baseline["search"]["p50_ms"]),
        "recall@5_ours_over_langchain": ratio(ours["recall@5"], baseline["recall@5"]),
    }


def format_report(report: dict[str, Any]) -> str:
    rows = [f"machine: {report['machine']['cpus']} CPUs, load {report['machine']['load_start']} -> {report['machine']['load_end']}, commit {report['commit']}"]
    rows.append(f"questions: {report['questions']} from {report['qa']}")
    if build := report.get("build"):
        full, again = build["full"], build["no_change"]
        rows.append(f"build      full {full['seconds']:.1f} s ({full['units']} units, {full['embedded']} embedded, peak RSS {full['peak_rss_mb']} MB)")
        rows.append(f"           no-change {again['seconds']:.2f} s (up to date: {again['skipped']})")
    inproc, lc = report["in_process"], report["langchain"]
    rows.append("")
    rows.append(f"{'':24}{'p50 ms':>9}{'p95 ms':>9}{'recall@5':>10}")
    rows.append(f"{'ours search (hybrid)':24}{inproc['search']['p50_ms']:9.1f}{inproc['search']['p95_ms']:9.1f}{inproc['recall@5']:10.3f}")
    rows.append(f"{'ours ask':24}{inproc['ask']['p50_ms']:9.1f}{inproc['ask']['p95_ms']:9.1f}")
    rows.append(f"{'langchain search':24}{lc['search']['p50_ms']:9.1f}{lc['search']['p95_ms']:9.1f}{lc['recall@5']:10.3f}")
    rows.append(f"langchain: {lc['splits']} splits, FAISS.from_documents {lc['build_seconds']:.1f} s")
    rows.append("ratios: " + ", ".join(f"{k} {v}" for k, v in report["ratios"].items()))
    http = report["http"]
    rows.append("")
    rows.append(f"HTTP: ready {http['seconds_to_ready']:.1f} s after launch, server peak RSS {http['server_peak_rss_mb']} MB")
    rows.append("clients  requests  errors   req/s   p50 ms   p95 ms")
    for level in http["levels"]:
        counts = f"{level['concurrency']:7d}  {level['requests']:8d}  {level['errors']:6d}  {level['requests_per_s']:6.2f}"
        rows.append(f"{counts}  {level['p50_ms']:7.1f}  {level['p95_ms']:7.1f}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="report JSON (default eval/reports/bench-<timestamp>.json)")
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA, help="gold questions (default eval/qa.jsonl)")
    parser.add_argument("--quick", action="store_true", help="40 questions, no full build, 1 and 8 clients")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    settings = get_settings()
    items = load_qa(args.qa, settings.corpus_dir)
    items = items[:40] if args.quick else items
    questions = [i.question for i in items]
    report: dict[str, Any] = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": git_commit(), "qa": str(args.qa), "questions": len(questions)}
    report["machine"] = {"cpus": os.cpu_count() or 0, "load_start": round(os.getloadavg()[0], 2)}
    if not args.quick:
        report["build"] = bench_build(settings)
    log("in-process search and ask")
    pipeline = Pipeline.open(settings)
    report["in_process"] = bench_inprocess(pipeline, questions, items)
    log("LangChain baseline")
    report["langchain"] = bench_langchain(pipeline, questions, items)
    report["ratios"] = ratios(report["in_process"], report["langchain"])
    del pipeline  # the HTTP server gets the cores and the memory
    log("HTTP")
    report["http"] = bench_http(questions, LEVELS[:2] if args.quick else LEVELS)
    report["machine"]["load_end"] = round(os.getloadavg()[0], 2)
    report["seconds"] = round(time.perf_counter() - started, 1)
    out = args.out or REPORTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(format_report(report))
    print(f"\nwritten to {out} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
