"""Scaling: build time, index size, memory and query latency at N× the corpus.

    python -m eval.scale --factors 1,10,100 --out eval/reports/scale-<timestamp>.json [--work /tmp/rag-scale]

For each factor N, ``eval.synth`` writes N copies of the corpus to
``WORK/corpus-Nx`` (copy 0 = the real reports, so the real gold set applies)
and ``rag index`` builds ``WORK/index-Nx`` in a subprocess, with the default
settings (the FAISS kind is chosen by size). The build's wall time and peak
RSS (``os.wait4``) are appended to ``WORK/builds-Nx.jsonl``:

* cold: the first complete build from an empty embedding cache. An
  interrupted build is resumed by rerunning this command (the cache keeps
  every embedded slice); its attempts are summed;
* warm: ``rag index --rebuild`` with (almost: at most 1 % embedded) every
  vector cached (parsing, BM25, FAISS, tables and hashing: the cost of a
  build that embeds nothing).

Then, in this process, every factor's index is loaded with one shared model
and measured warm: ``Pipeline.search`` (hybrid) latency over the questions of
eval/qa.jsonl, interleaved across factors so load from other processes hits
them alike; where the time goes (query embedding, FAISS, BM25, fusion);
recall@5 on the real gold set (``eval.retrieval``); ``ask`` latency on a
sample; and, with ``--ann``, FAISS index types side by side (``eval.ann``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.qa import QAItem, load_qa
from eval.synth import make_corpus
from rag.corpus import MANIFEST
from rag.settings import PROJECT_ROOT

MB = 1024 * 1024
_BUILT = re.compile(r"built (?P<build>\S+) in [\d.]+s: (?P<units>\d+) units .* embedded (?P<embedded>\d+), reused (?P<reused>\d+) cached, FAISS (?P<kind>\w+)")


def log(message: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_corpus(factor: int, work: Path, seed: int) -> Path:
    corpus = work / f"corpus-{factor}x"
    manifest = corpus / MANIFEST
    if manifest.is_file() and json.loads(manifest.read_text(encoding="utf-8")).get("synthetic") == {"factor": factor, "seed": seed}:
        return corpus
    log(f"writing the {factor}× corpus to {corpus}")
    return make_corpus(factor, corpus, seed=seed)


def run_build(corpus: Path, index: Path, rebuild: bool) -> dict[str, Any]:
    """One `rag index` in a subprocess: wall time, peak RSS and what it did."""
    env = {**os.environ, "RAG_CORPUS_DIR": str(corpus), "RAG_INDEX_DIR": str(index)}
    cache = index / "cache" / "embeddings.sqlite"
    record: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "rebuild": rebuild}
    record["cache_bytes_before"] = cache.stat().st_size if cache.exists() else 0
    out_path = index.parent / f"{index.name}.stdout"
    index.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with out_path.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", *(["--rebuild"] if rebuild else [])], env=env, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    record |= {"seconds": round(time.perf_counter() - started, 2), "rc": proc.returncode, "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
    text = out_path.read_text()
    record["skipped"] = "up to date" in text
    if match := _BUILT.search(text):
        record |= {"build": match["build"], "units": int(match["units"]), "kind": match["kind"]}
        record |= {"embedded": int(match["embedded"]), "reused": int(match["reused"])}
    return record


def build_factor(factor: int, corpus: Path, work: Path, warm: bool) -> dict[str, Any]:
    """Build (or resume) the factor's index, then optionally time a warm rebuild."""
    index, history = work / f"index-{factor}x", work / f"builds-{factor}x.jsonl"
    attempts = [json.loads(line) for line in history.read_text().splitlines()] if history.is_file() else []
    for rebuild in (False, True) if warm else (False,):
        if rebuild and attempts and _is_warm(attempts[-1]):
            break  # the no-rebuild run just rebuilt from the cache: that was the warm build
        log(f"{factor}×: rag index{' --rebuild' if rebuild else ''} (log {index.parent / index.name}.stdout)")
        record = run_build(corpus, index, rebuild)
        attempts.append(record)
        with history.open("a") as handle:
            handle.write(json.dumps(record) + "\n")
        log(f"{factor}×: {record}")
        if record["rc"] != 0:
            raise SystemExit(f"rag index failed for {factor}× (exit {record['rc']}); rerun to resume")
    return summarize_builds(attempts)


def _is_warm(attempt: dict[str, Any]) -> bool:
    """A complete build that took (almost) every vector from the cache: at most 1 % embedded.

    Not exactly 0: a change to chunking between two builds leaves a few new texts to embed.
    """
    done = attempt["rc"] == 0 and not attempt["skipped"] and "embedded" in attempt
    return done and attempt["embedded"] <= max(1, attempt.get("units", 0) // 100)


def summarize_builds(attempts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Cold = every attempt up to the first complete build (resumed ones summed); warm = the last cache-only build."""
    first_done = next((i for i, a in enumerate(attempts) if a["rc"] == 0 and not a["skipped"]), None)
    summary: dict[str, Any] = {"attempts": len(attempts)}
    if first_done is not None:
        cold = attempts[: first_done + 1]
        summary["cold"] = {
            "seconds": round(sum(a["seconds"] for a in cold), 1),
            "attempts": len(cold),
            "peak_rss_mb": max(a["peak_rss_mb"] for a in cold),
            "embedded": attempts[first_done].get("embedded"),
            "from_empty_cache": cold[0]["cache_bytes_before"] == 0,
        }
    warm = [a for i, a in enumerate(attempts) if _is_warm(a) and (first_done is None or i > first_done or a["embedded"] == 0)]
    if warm:
        summary["warm"] = {"seconds": warm[-1]["seconds"], "peak_rss_mb": warm[-1]["peak_rss_mb"], "embedded": warm[-1]["embedded"]}
    return summary


def index_sizes(build: Path, cache: Path) -> dict[str, float]:
    """MB on disk per artifact (bm25/ summed), from the build's manifest."""
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    sizes: dict[str, float] = {}
    for name, meta in manifest["files"].items():
        key = name.split("/")[0]
        sizes[key] = sizes.get(key, 0.0) + meta["bytes"] / MB
    sizes["manifest.json"] = (build / "manifest.json").stat().st_size / MB
    sizes = {k: round(v, 2) for k, v in sizes.items()}
    sizes["total"] = round(sum(sizes.values()), 2)
    sizes["embedding_cache"] = round(cache.stat().st_size / MB, 2) if cache.exists() else 0.0
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factors", default="1,10,100", help="comma-separated corpus multiples")
    parser.add_argument("--out", type=Path, default=None, help="report JSON (default eval/reports/scale-<timestamp>.json)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rag-scale", help="where corpora, indexes and build logs live")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--qa", type=Path, default=PROJECT_ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--build-only", action="store_true", help="build (or resume) the indexes, measure nothing")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm (cache-only) rebuild")
    parser.add_argument("--ask-sample", type=int, default=40, help="questions timed through `ask` per factor")
    parser.add_argument("--ann", default="", help="factors at which to compare FAISS index types, e.g. 10,100")
    args = parser.parse_args(argv)
    factors = [int(f) for f in args.factors.split(",") if f.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    builds: dict[int, dict[str, Any]] = {}
    for factor in factors:
        corpus = ensure_corpus(factor, args.work, args.seed)
        builds[factor] = build_factor(factor, corpus, args.work, warm=not args.no_warm)
    if args.build_only:
        print(json.dumps(builds, indent=2))
        return 0
    from eval.scale_measure import measure

    items: list[QAItem] = load_qa(args.qa, PROJECT_ROOT / "corpus")
    ann = [int(f) for f in args.ann.split(",") if f.strip()]
    report = measure(factors, args.work, items, builds, args.ask_sample, ann)
    write_report(report, args, "scale", format_table(report))
    return 0


def write_report(report: dict[str, Any], args: argparse.Namespace, name: str, table: str) -> Path:
    """Add the run's metadata, write ``args.out`` (default eval/reports/<name>-<timestamp>.json), print the table."""
    report["meta"] = {"created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "work": str(args.work), "seed": args.seed, "qa": str(args.qa), "cpus": os.cpu_count()}
    out: Path = args.out or PROJECT_ROOT / "eval" / "reports" / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(table)
    print(f"\nreport: {out}")
    return out


def format_table(report: dict[str, Any]) -> str:
    lines = [
        "| factor | units | cold build s | warm build s | index MB | build peak RSS MB | search p50 / p95 ms | recall@5 | ask p50 ms | FAISS |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in report["factors"]:
        cold, warm = row["build"].get("cold", {}), row["build"].get("warm", {})
        lines.append(
            f"| {row['factor']}× | {row['units']} | {cold.get('seconds', '?')} | {warm.get('seconds', '?')} | {row['size_mb']['total']} | "
            f"{cold.get('peak_rss_mb', '?')} | {row['search_ms']['p50']:.1f} / {row['search_ms']['p95']:.1f} | {row['recall']['hybrid']['recall@5']:.3f} | "
            f"{row['ask_ms']['p50']:.1f} | {row['faiss']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
