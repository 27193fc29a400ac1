"""The 100× measurement without 100× embedding time (a proxy; see ``PROXIED``).

    python -m eval.scale_proxy [--factor 100] [--work /tmp/rag-scale] [--latency-n 120] [--sample 48]

A real 100× build embeds ~110k units: hours on a shared 2-core machine. What
the embedding time buys is the 100× *vectors*; everything else is cheap, so
this measures everything else for real and proxies only the vectors:

real
    the N× synthetic corpus (``eval.synth`` via ``eval.scale.ensure_corpus``),
    its parsing, chunking and table-row units (``retrieval_units``), the BM25
    index over them, the FAISS indexes (flat and HNSW, built and searched),
    the question embeddings (the real model), the fusion, the gold set.
proxied
    the vectors of copies k > 0. Copy 0 gets the real vectors of the served
    1× index (matched by unit id). A unit of copy k > 0 gets the vector of
    its original (same document, same kind, same position, clipped to the
    original's count) rotated by a random direction orthogonal to it, so that
    its cosine to the original is drawn from the cosines *measured* by
    embedding a sample of real copy-1 units with the real model; the random
    direction has a component shared by all copies of that unit, sized so
    that copy-to-copy cosines match the measured copy-1 vs copy-2 cosine.

The proxy keeps what makes ANN search hard here (100 near-duplicates of every
unit, as close to each other and to the original as real synthetic copies
are) but not the fine structure of real embeddings of altered text. Latency,
sizes, build times and memory of FAISS depend only on the count and the
dimension, so they are real; recall@5 at N× is the proxied part.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import psutil

from eval.metrics import percentile
from eval.qa import QAItem, load_qa
from eval.retrieval import retrieval_metrics
from eval.scale import write_report
from eval.scale_measure import forget_last_query
from rag.corpus import load_corpus
from rag.index.build import retrieval_units
from rag.pipeline import Pipeline
from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever, build_faiss
from rag.retrieve.hybrid import HybridRetriever
from rag.settings import PROJECT_ROOT, get_settings
from rag.types import Chunk, Hit

MB = 2**20
PROXIED = (
    "Only the dense vectors of synthetic copies k>0 are proxied: copy 0 uses the real vectors of the served 1x index (by unit id); "
    "a copy-k unit uses its original's vector (same document, kind and position, clipped) rotated by a random orthogonal direction "
    "so that its cosine to the original is drawn from cosines measured by embedding real copy-1 units with the real model, with a "
    "direction component shared across copies sized to the measured copy-1 vs copy-2 cosine. Real: the N× corpus text, parsing, "
    "chunking and row units, BM25 (built and searched), FAISS flat and HNSW (built and searched over the proxy vectors), the question "
    "embeddings, fusion and the real gold set (relevance on copy 0). Recall at N× therefore depends on the proxy; latency, sizes, "
    "build times and memory do not (they depend on counts and dimension)."
)
_COPY = re.compile(r"^(?P<base>.+)-s(?P<copy>\d{3,})$")


def log(message: str) -> None:
    print(f"[scale-proxy {time.strftime('%H:%M:%S')}] {message}", flush=True)


def split_doc_id(doc_id: str) -> tuple[str, int]:
    """``"imss-2020-s007"`` -> ``("imss-2020", 7)``; a real document is copy 0."""
    match = _COPY.match(doc_id)
    return (match["base"], int(match["copy"])) if match else (doc_id, 0)


def unit_keys(units: Sequence[Chunk]) -> list[tuple[str, str, int, int]]:
    """Per unit: (original document, kind, position among that document's units of that kind, copy)."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    keys: list[tuple[str, str, int, int]] = []
    for unit in units:
        seen[(unit.doc_id, unit.kind)] += 1
        base, copy = split_doc_id(unit.doc_id)
        keys.append((base, unit.kind, seen[(unit.doc_id, unit.kind)] - 1, copy))
    return keys


def map_to_originals(units: Sequence[Chunk], originals: Sequence[Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """For each unit: the position in ``originals`` of its original, and its copy number.

    Matched by (document, kind, position among the document's units of that kind),
    the position clipped to the original document's count of that kind (copies
    can chunk slightly differently: figures change length). Copy 0 is the real
    corpus byte for byte, so its match is exact (unit ids are not unique: two
    one-line passages can share a line range). A kind the original document
    lacks falls back to the document's units of any kind.
    """
    by_kind: dict[tuple[str, str], list[int]] = defaultdict(list)
    by_doc: dict[str, list[int]] = defaultdict(list)
    for i, (base, kind, _, _) in enumerate(unit_keys(originals)):
        by_kind[(base, kind)].append(i)
        by_doc[base].append(i)
    target = np.empty(len(units), dtype=np.int64)
    copies = np.empty(len(units), dtype=np.int64)
    for n, (unit, (base, kind, position, copy)) in enumerate(zip(units, unit_keys(units), strict=True)):
        copies[n] = copy
        group = by_kind.get((base, kind)) or by_doc.get(base)
        if not group:
            raise ValueError(f"unit {unit.id}: no original units for document {base!r}")
        target[n] = group[min(position, len(group) - 1)]
    return target, copies


def _orthogonal_unit(v: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rows of ``x`` made orthogonal to the (unit) rows of ``v`` and normalised."""
    x = x - np.sum(x * v, axis=1, keepdims=True) * v
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def perturb(vectors: np.ndarray, cosines: np.ndarray, rng: np.random.Generator, shared: np.ndarray | None = None, shared_weight: float = 0.0) -> np.ndarray:
    """Unit vectors whose cosine to each (unit) row of ``vectors`` is exactly ``cosines``.

    Each row moves along a random direction orthogonal to it; ``shared`` (one row
    per input row, e.g. one per original unit, reused across copies) takes
    ``shared_weight``² of that direction's variance, so two perturbations of the
    same row with cosines c1, c2 have cosine ≈ c1·c2 + √(1−c1²)√(1−c2²)·shared_weight².
    """
    v = np.asarray(vectors, dtype=np.float64)
    c = np.clip(np.asarray(cosines, dtype=np.float64), -1.0, 1.0).reshape(-1, 1)
    direction = _orthogonal_unit(v, rng.standard_normal(v.shape))
    if shared is not None and shared_weight > 0:
        common = _orthogonal_unit(v, np.asarray(shared, dtype=np.float64))
        direction = _orthogonal_unit(v, shared_weight * common + np.sqrt(max(0.0, 1 - shared_weight**2)) * direction)
    out = c * v + np.sqrt(1 - c**2) * direction
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def shared_weight_for(copy_cosine: float, pair_cosine: float) -> float:
    """The ``shared_weight`` that makes two copies (each at ``copy_cosine`` to the original) meet at ``pair_cosine``."""
    spread = 1 - copy_cosine**2
    if spread <= 0:
        return 0.0
    return float(np.sqrt(np.clip((pair_cosine - copy_cosine**2) / spread, 0.0, 1.0)))


def proxy_vectors(real: np.ndarray, target: np.ndarray, copies: np.ndarray, cosine_sample: np.ndarray, weight: float, seed: int) -> np.ndarray:
    """Copy 0: the real vector; copy k > 0: ``perturb`` of the original, cosine drawn from ``cosine_sample``."""
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal(real.shape).astype(np.float32)  # one shared direction per original unit
    out = np.empty((len(target), real.shape[1]), dtype=np.float32)
    for copy in np.unique(copies):
        rows = np.flatnonzero(copies == copy)
        originals = real[target[rows]]
        if copy == 0:
            out[rows] = originals
        else:
            out[rows] = perturb(originals, rng.choice(cosine_sample, len(rows)), rng, shared[target[rows]], weight)
    return out


def stats(values: Sequence[float]) -> dict[str, float]:
    return {"p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3), "n": len(values)}


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _rss_mb() -> float:
    return round(psutil.Process().memory_info().rss / MB, 1)


def _dir_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / MB, 2)


def estimate_cosines(pipeline: Pipeline, units: Sequence[Chunk], target: np.ndarray, real: np.ndarray, sample: int, seed: int) -> dict[str, Any]:
    """Embed ``sample`` real copy-1 units and the same units of copy 2; cosines to the originals and to each other."""
    keys = unit_keys(units)
    position = {(b, kind, p, c): i for i, (b, kind, p, c) in enumerate(keys)}
    ones = [i for i, k in enumerate(keys) if k[3] == 1 and (k[0], k[1], k[2], 2) in position]
    chosen = [int(i) for i in np.random.default_rng(seed).choice(ones, min(sample, len(ones)), replace=False)]
    twos = [position[(keys[i][0], keys[i][1], keys[i][2], 2)] for i in chosen]
    started = time.perf_counter()
    embedded = pipeline.embedder.embed_passages([units[i].index_text for i in chosen + twos])
    seconds = time.perf_counter() - started
    one, two = embedded[: len(chosen)], embedded[len(chosen) :]
    to_original = np.sum(one * real[target[chosen]], axis=1)
    to_copy2 = np.sum(one * two, axis=1)
    return {
        "sample": len(chosen),
        "embed_s": round(seconds, 1),
        "embed_units_per_s": round(2 * len(chosen) / seconds, 2),
        "copy1_vs_original": to_original,
        "copy1_vs_copy2": to_copy2,
        "same_lines_share": round(
            float(
                np.mean(
                    [
                        (units[i].span.start, units[i].span.end) == (pipeline.index.chunks[target[i]].span.start, pipeline.index.chunks[target[i]].span.end)
                        for i in chosen
                    ]
                )
            ),
            3,
        ),
    }


def search_latency(retrievers: dict[str, HybridRetriever], questions: Sequence[str], k: int) -> dict[str, list[float]]:
    """End-to-end ``HybridRetriever.search`` (query embedding included, never reused), rotating the order per question."""
    names = list(retrievers)
    for retriever in retrievers.values():
        for question in questions[:5]:
            retriever.search(question, k)
    times: dict[str, list[float]] = {n: [] for n in names}
    for n, question in enumerate(questions):
        shift = n % len(names)
        for name in names[shift:] + names[:shift]:
            forget_last_query(retrievers[name].dense.embedder)
            started = time.perf_counter()
            retrievers[name].search(question, k)
            times[name].append(_ms(started))
    return times


def component_latency(
    bm25: BM25Retriever, dense: dict[str, DenseRetriever], questions: Sequence[str], vectors: np.ndarray, k: int
) -> dict[str, dict[str, float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for question, vector in zip(questions, vectors, strict=True):
        started = time.perf_counter()
        bm25.search(question, k)
        out["bm25"].append(_ms(started))
        for name, retriever in dense.items():
            started = time.perf_counter()
            retriever.search_vector(vector, k)
            out[f"faiss_{name}"].append(_ms(started))
    return {name: stats(values) for name, values in out.items()}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from eval.scale import ensure_corpus

    settings = get_settings()
    report: dict[str, Any] = {"proxied": PROXIED, "factor": args.factor, "rss_mb": {"start": _rss_mb()}}
    pipeline = Pipeline.open(settings)
    pipeline.embedder.embed_queries(["calentamiento"])
    real_index = pipeline.index.dense.index
    real = np.ascontiguousarray(real_index.reconstruct_n(0, real_index.ntotal), dtype=np.float32)
    report["rss_mb"]["1x_loaded"] = _rss_mb()
    log(f"1×: {len(pipeline.index.chunks)} units, FAISS {pipeline.index.manifest['faiss_kind']}")

    started = time.perf_counter()
    corpus = ensure_corpus(args.factor, args.work, args.seed)
    corpus_s = time.perf_counter() - started
    started = time.perf_counter()
    documents = load_corpus(corpus)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    units, tables = retrieval_units(documents, settings)
    units_s = time.perf_counter() - started
    del documents, tables
    log(f"{args.factor}×: {len(units)} units (corpus {corpus_s:.1f}s, parse {parse_s:.1f}s, units {units_s:.1f}s)")
    started = time.perf_counter()
    bm25 = BM25Retriever.build(units)
    bm25_s = time.perf_counter() - started
    log(f"{args.factor}×: BM25 built in {bm25_s:.1f}s")

    target, copies = map_to_originals(units, pipeline.index.chunks)
    copy0 = copies == 0
    exact = sum(
        1
        for i in np.flatnonzero(copy0)
        if units[i].id == pipeline.index.chunks[target[i]].id and units[i].index_text == pipeline.index.chunks[target[i]].index_text
    )
    log(f"copy 0: {exact} of {int(copy0.sum())} units identical to the served index; embedding {args.sample} copy-1 and copy-2 units")
    cos = estimate_cosines(pipeline, units, target, real, args.sample, args.seed)
    c1, c12 = cos.pop("copy1_vs_original"), cos.pop("copy1_vs_copy2")
    weight = shared_weight_for(float(np.mean(c1)), float(np.mean(c12)))
    started = time.perf_counter()
    vectors = proxy_vectors(real, target, copies, c1, weight, args.seed)
    proxy_s = time.perf_counter() - started
    check = np.sum(vectors[~copy0] * real[target[~copy0]], axis=1)
    report["proxy"] = {
        **cos,
        "copy0_units": int(copy0.sum()),
        "copy0_identical_to_served": exact,
        "measured_cosine_copy1_vs_original": {"mean": round(float(np.mean(c1)), 4), "min": round(float(np.min(c1)), 4), "p50": round(float(np.median(c1)), 4)},
        "measured_cosine_copy1_vs_copy2": {"mean": round(float(np.mean(c12)), 4), "min": round(float(np.min(c12)), 4)},
        "shared_weight": round(weight, 4),
        "proxy_cosine_to_original_mean": round(float(np.mean(check)), 4),
        "proxy_build_s": round(proxy_s, 1),
    }
    log(f"measured cosine copy1~original {np.mean(c1):.4f} (min {np.min(c1):.4f}), copy1~copy2 {np.mean(c12):.4f}; shared weight {weight:.3f}")
    report["rss_mb"]["units_bm25_vectors"] = _rss_mb()

    faiss.omp_set_num_threads(os.cpu_count() or 1)
    builds: dict[str, float] = {}
    indexes: dict[str, faiss.Index] = {}
    for kind in ("flat", "hnsw"):
        started = time.perf_counter()
        indexes[kind] = build_faiss(vectors, kind, args.hnsw_m, args.ef_construction, settings.faiss_hnsw_ef_search)
        builds[kind] = round(time.perf_counter() - started, 1)
        log(f"{args.factor}×: FAISS {kind} built in {builds[kind]}s")
    report["rss_mb"]["faiss_built"] = _rss_mb()

    tmp = Path(tempfile.mkdtemp(prefix="scale-proxy-", dir=args.work))
    try:
        (tmp / "bm25").mkdir()
        bm25.save(tmp / "bm25")
        for kind, index in indexes.items():
            DenseRetriever.save_index(index, tmp / f"{kind}.index")
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as handle:
            for unit in units:
                handle.write(
                    json.dumps({"id": unit.id, "doc_id": unit.doc_id, "kind": unit.kind, "text": unit.text, "span": vars(unit.span)}, ensure_ascii=False) + "\n"
                )
        sizes = {"bm25": _dir_mb(tmp / "bm25"), "faiss_flat": round((tmp / "flat.index").stat().st_size / MB, 2)}
        sizes["faiss_hnsw"] = round((tmp / "hnsw.index").stat().st_size / MB, 2)
        sizes["chunks_jsonl_approx"] = round((tmp / "chunks.jsonl").stat().st_size / MB, 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    served = pipeline.index.build
    report["sizes_mb"] = {
        "1x": {
            "bm25": _dir_mb(served / "bm25"),
            "faiss_flat": round((served / "faiss.index").stat().st_size / MB, 2),
            "chunks_jsonl": round((served / "chunks.jsonl").stat().st_size / MB, 2),
        },
        f"{args.factor}x": sizes,
    }

    items: list[QAItem] = load_qa(args.qa, PROJECT_ROOT / "corpus")
    questions = [i.question for i in items]
    embed_ms, qvec = [], []
    for question in questions:
        started = time.perf_counter()
        qvec.append(pipeline.embedder.embed_queries([question])[0])
        embed_ms.append(_ms(started))
    qvectors = np.stack(qvec).astype(np.float32)
    by_question = dict(zip(questions, qvectors, strict=True))
    log(f"query embedding p50 {percentile(embed_ms, 50):.1f} ms over {len(questions)} questions")

    fusion = pipeline.fusion
    dense100 = {kind: DenseRetriever(index, units, pipeline.embedder) for kind, index in indexes.items()}
    retrievers = {"1x": pipeline.hybrid, **{f"{args.factor}x_{kind}": HybridRetriever(bm25, d, fusion) for kind, d in dense100.items()}}
    log(f"hybrid search latency over {args.latency_n} questions, interleaved {list(retrievers)}")
    latency = search_latency(retrievers, questions[: args.latency_n], settings.top_k)
    components = {
        "1x": component_latency(pipeline.index.bm25, {"flat": pipeline.index.dense}, questions, qvectors, fusion.candidates),
        f"{args.factor}x": component_latency(bm25, dense100, questions, qvectors, fusion.candidates),
    }
    hnsw: Any = indexes["hnsw"]
    ef_rows = []
    answerable = [i for i in items if i.answerable]
    aq = np.stack([by_question[i.question] for i in answerable])
    _, truth = indexes["flat"].search(aq, fusion.candidates)
    lexical1 = [pipeline.index.bm25.search(i.question, fusion.candidates) for i in answerable]
    lexical = [bm25.search(i.question, fusion.candidates) for i in answerable]

    def scored(hits: Sequence[Sequence[Hit]]) -> dict[str, float]:
        return {k: round(v, 4) for k, v in retrieval_metrics(pipeline, answerable, hits).items()}

    recall = {
        "1x_hybrid": scored(
            [pipeline.hybrid.fuse(lex, pipeline.index.dense.search_vector(q, fusion.candidates), 10) for lex, q in zip(lexical1, aq, strict=True)]
        ),
        "1x_dense": scored([pipeline.index.dense.search_vector(q, 10) for q in aq]),
        "1x_bm25": scored([lex[:10] for lex in lexical1]),
        f"{args.factor}x_bm25": scored([lex[:10] for lex in lexical]),
        f"{args.factor}x_dense_flat": scored([dense100["flat"].search_vector(q, 10) for q in aq]),
        f"{args.factor}x_hybrid_flat": scored(
            [retrievers[f"{args.factor}x_flat"].fuse(lex, dense100["flat"].search_vector(q, fusion.candidates), 10) for lex, q in zip(lexical, aq, strict=True)]
        ),
    }
    for ef in sorted({*args.ef_search, settings.faiss_hnsw_ef_search}):
        hnsw.hnsw.efSearch = ef
        times, found, semantic = [], [], []
        for q in aq:
            started = time.perf_counter()
            hits = dense100["hnsw"].search_vector(q, fusion.candidates)
            times.append(_ms(started))
            semantic.append(hits)
        _, ids = hnsw.search(aq, fusion.candidates)
        found = [len(set(f) & set(t)) / fusion.candidates for f, t in zip(ids, truth, strict=True)]
        hybrid = scored([retrievers[f"{args.factor}x_hnsw"].fuse(lex, sem, 10) for lex, sem in zip(lexical, semantic, strict=True)])
        ef_rows.append(
            {
                "efSearch": ef,
                "faiss_ms": stats(times),
                "neighbours@50": round(float(np.mean(found)), 4),
                "hybrid": hybrid,
                "dense": scored([s[:10] for s in semantic]),
            }
        )
        row = ef_rows[-1]
        log(f"HNSW efSearch {ef}: faiss p50 {row['faiss_ms']['p50']} ms, neighbours@50 {row['neighbours@50']}, hybrid recall@5 {hybrid['recall@5']}")
    hnsw.hnsw.efSearch = settings.faiss_hnsw_ef_search
    served_ef = next(r for r in ef_rows if r["efSearch"] == settings.faiss_hnsw_ef_search)
    recall[f"{args.factor}x_hybrid_hnsw"] = served_ef["hybrid"]
    recall[f"{args.factor}x_dense_hnsw"] = served_ef["dense"]

    report |= {
        "units": {"1x": len(pipeline.index.chunks), f"{args.factor}x": len(units)},
        "build_s": {
            "corpus_write": round(corpus_s, 1),
            "parse": round(parse_s, 1),
            "units": round(units_s, 1),
            "bm25": round(bm25_s, 1),
            **{f"faiss_{k}": v for k, v in builds.items()},
        },
        "hnsw": {"M": args.hnsw_m, "efConstruction": args.ef_construction, "efSearch": settings.faiss_hnsw_ef_search},
        "query_embed_ms": stats(embed_ms),
        "hybrid_search_ms": {name: stats(values) for name, values in latency.items()},
        "component_ms": components,
        "recall": recall,
        "hnsw_ef_search": ef_rows,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    report["rss_mb"]["end"] = _rss_mb()
    base, top = report["hybrid_search_ms"]["1x"]["p50"], report["hybrid_search_ms"][f"{args.factor}x_hnsw"]["p50"]
    drop = recall["1x_hybrid"]["recall@5"] - recall[f"{args.factor}x_hybrid_hnsw"]["recall@5"]
    exact = recall["1x_hybrid"]["recall@5"] - recall[f"{args.factor}x_hybrid_flat"]["recall@5"]
    report["targets"] = {
        "p50_ratio": round(top / base, 2),
        "p50_ok": top / base <= 2.0,
        "recall@5_drop": round(drop, 4),
        "recall_ok": drop <= 0.01 + 1e-9,
        # the drop split in two: the bigger corpus itself (exact search, N× vs 1×) and the index type (HNSW vs exact at N×)
        "recall@5_drop_exact_search": round(exact, 4),
        "recall@5_cost_of_hnsw": round(drop - exact, 4),
        "hnsw_ok": drop - exact <= 0.01 + 1e-9,
    }
    return report


def format_table(report: dict[str, Any]) -> str:
    f = report["factor"]
    lat, comp, rec, size = report["hybrid_search_ms"], report["component_ms"], report["recall"], report["sizes_mb"]
    lines = [
        "| | units | hybrid search p50 / p95 ms | BM25 p50 / p95 | FAISS p50 / p95 | recall@5 | MRR@10 | FAISS MB | BM25 MB |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| 1× (real, flat) | {report['units']['1x']} | {lat['1x']['p50']} / {lat['1x']['p95']} | {comp['1x']['bm25']['p50']} / {comp['1x']['bm25']['p95']} | "
        f"{comp['1x']['faiss_flat']['p50']} / {comp['1x']['faiss_flat']['p95']} | {rec['1x_hybrid']['recall@5']} | {rec['1x_hybrid']['mrr@10']} | "
        f"{size['1x']['faiss_flat']} | {size['1x']['bm25']} |",
    ]
    for kind in ("flat", "hnsw"):
        c, r, t, sz = comp[f"{f}x"], rec[f"{f}x_hybrid_{kind}"], lat[f"{f}x_{kind}"], size[f"{f}x"]
        lines.append(
            f"| {f}× (proxy, {kind}) | {report['units'][f'{f}x']} | {t['p50']} / {t['p95']} | {c['bm25']['p50']} / {c['bm25']['p95']} | "
            f"{c[f'faiss_{kind}']['p50']} / {c[f'faiss_{kind}']['p95']} | {r['recall@5']} | {r['mrr@10']} | {sz[f'faiss_{kind}']} | {sz['bm25']} |"
        )
    lines += [
        "",
        "| HNSW efSearch | FAISS p50 / p95 ms | neighbours@50 vs flat | hybrid recall@5 | hybrid MRR@10 | dense recall@5 |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["hnsw_ef_search"]:
        ms, hybrid, dense = row["faiss_ms"], row["hybrid"], row["dense"]
        lines.append(
            f"| {row['efSearch']} | {ms['p50']} / {ms['p95']} | {row['neighbours@50']} | {hybrid['recall@5']} | {hybrid['mrr@10']} | {dense['recall@5']} |"
        )
    lines.append("")
    lines.append(
        f"query embedding p50 {report['query_embed_ms']['p50']} ms; builds (s) {report['build_s']}; HNSW {report['hnsw']}; peak RSS {report['peak_rss_mb']} MB"
    )
    lines.append(f"proxy: {json.dumps(report['proxy'], ensure_ascii=False)}")
    lines.append(f"targets: {report['targets']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--factor", type=int, default=100)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "rag-scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--qa", type=Path, default=PROJECT_ROOT / "eval" / "qa.jsonl")
    parser.add_argument("--sample", type=int, default=48, help="copy-1 (and copy-2) units embedded to measure the copy cosine")
    parser.add_argument("--latency-n", type=int, default=120, help="questions timed end to end (hybrid search) per configuration")
    parser.add_argument("--hnsw-m", type=int, default=settings.faiss_hnsw_m)
    parser.add_argument("--ef-construction", type=int, default=settings.faiss_hnsw_ef_construction)
    parser.add_argument("--ef-search", default="64,128,256", help="efSearch values scored besides the setting")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    args.ef_search = [int(v) for v in args.ef_search.split(",") if v.strip()]
    args.work.mkdir(parents=True, exist_ok=True)
    report = run(args)
    write_report(report, args, "scale-proxy", format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
