"""The ``rag`` command line.

Errors the user can fix exit with status 2 and one line on stderr saying
what to do; nothing prints a traceback unless ``RAG_DEBUG=1``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

from rag.errors import RagError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"rag: {message} (see `{self.prog} --help`)\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(args.handler(args) or 0)
    except RagError as exc:
        print(f"rag: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rag: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"rag: internal error: {type(exc).__name__}: {exc} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        return 1


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="rag", description="Preguntas y respuestas con fuentes sobre informes de seguridad social (IMSS, ISSSTE, DIF).")
    sub = parser.add_subparsers(title="commands", parser_class=_Parser)

    index = sub.add_parser("index", help="build or refresh the index (no-op when nothing changed)")
    index.add_argument("--rebuild", action="store_true", help="rebuild even if the index is fresh")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(handler=_cmd_index)

    search = sub.add_parser("search", help="ranked passages and table rows with citations")
    search.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    search.add_argument("--k", type=int, default=None, help="number of hits (default: settings.top_k)")
    search.add_argument("--retriever", choices=("hybrid", "bm25", "dense"), default="hybrid")
    search.add_argument("--jsonl", action="store_true", help='read {"id","question"} lines on stdin, write one JSON line each')
    search.add_argument("--json", action="store_true", help="print the hits as JSON")
    search.set_defaults(handler=_cmd_search)

    ask = sub.add_parser("ask", help="answer a question with verified citations (or say the reports don't say)")
    ask.add_argument("question", nargs="?", help="the question (omit with --jsonl)")
    ask.add_argument("--k", type=int, default=None, help="passages to retrieve (default 8)")
    ask.add_argument("--mode", choices=("extractive", "llm"), default=None, help="extractive (default) or llm when RAG_LLM_BASE_URL is set")
    ask.add_argument("--jsonl", action="store_true", help='read {"id","question"} lines on stdin, write one JSON answer each')
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.set_defaults(handler=_cmd_ask)

    trainer = sub.add_parser("train", help="train the reader on eval/data/train.jsonl, threshold from dev (no-op when its model is fresh)")
    trainer.add_argument("--force", action="store_true", help="train even when the model is fresh")
    trainer.set_defaults(handler=_cmd_train)

    evaluate = sub.add_parser("eval", help="evaluate on a gold QA file; four systems side by side")
    evaluate.add_argument("--qa", type=Path, default=None, help="gold QA JSONL (default eval/qa.jsonl)")
    evaluate.add_argument(
        "--split",
        default=None,
        help="evaluate the full system on eval/data/<split>.jsonl, e.g. dev or dev,test (side by side, with the gap); test prints aggregates only",
    )
    evaluate.add_argument("--out", type=Path, default=None, help="report folder (default eval/reports/<timestamp>/)")
    evaluate.add_argument("--json", action="store_true", help="print results.json to stdout")
    evaluate.add_argument("--systems", default=None, help="comma-separated subset of bm25,dense,hybrid,full (default all; full with --split)")
    evaluate.set_defaults(handler=_cmd_eval)

    corpus = sub.add_parser("corpus", help="register a report in corpus/manifest.json")
    corpus_sub = corpus.add_subparsers(title="corpus commands", parser_class=_Parser)
    add = corpus_sub.add_parser("add", help="copy a .txt/.md report into corpus/ and add its manifest entry")
    add.add_argument("path", type=Path, help="the report file")
    add.add_argument("--id", dest="doc_id", help="document id (default: file name without extension)")
    add.add_argument("--title", help="full title of the report")
    add.add_argument("--short-title", help="short title used in answers")
    add.add_argument("--institution", action="append", default=[], help="institution covered (repeatable)")
    add.add_argument("--period", help="period covered, e.g. 2012 or 2019-2024")
    add.add_argument("--publisher", help="who published it")
    add.add_argument("--update", action="store_true", help="replace the file and refresh its entry (sha256)")
    add.set_defaults(handler=_cmd_corpus_add)

    tables = sub.add_parser("tables", help="list the extracted tables, or show one")
    tables.add_argument("action", nargs="?", choices=("show",), help="show one table")
    tables.add_argument("table_id", nargs="?", help="table id (from `rag tables`)")
    tables.add_argument("--json", action="store_true", help="machine-readable output")
    tables.set_defaults(handler=_cmd_tables)

    serve = sub.add_parser("serve", help="serve the HTTP API and the chat widget (needs a fresh index: `rag index`)")
    serve.add_argument("--host", default=None, help="address to bind (default: settings.host, 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port to bind (default: settings.port, 8000)")
    serve.set_defaults(handler=_cmd_serve)
    return parser


# --- index -------------------------------------------------------------------


def _settings() -> Any:
    from pydantic import ValidationError

    from rag.errors import ConfigError
    from rag.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"invalid setting RAG_{str(first['loc'][0]).upper()}: {first['msg']}", "fix the environment variable or .env") from exc


def _cmd_index(args: argparse.Namespace) -> int:
    from rag.index.build import build_index

    report = build_index(_settings(), rebuild=args.rebuild, progress=not args.quiet)
    if report.skipped:
        print(f"index is up to date ({report.build.name}, checked in {report.seconds:.2f}s)")
    else:
        print(
            f"built {report.build.name} in {report.seconds:.1f}s: {report.units} units "
            f"({report.passages} passages, {report.rows} table rows from {report.tables} tables), "
            f"embedded {report.embedded}, reused {report.reused} cached, FAISS {report.faiss_kind}"
        )
    return 0


# --- ask -------------------------------------------------------------------


def _cmd_ask(args: argparse.Namespace) -> int:
    from rag.errors import BadQuestion
    from rag.serialize import answer_json

    if args.jsonl == bool(args.question):
        raise BadQuestion("give either a question or --jsonl", 'e.g. rag ask "¿Cuántos derechohabientes tenía el IMSS al cierre de 2012?"')
    if args.mode == "llm":
        from rag.answer.llm import require_endpoint

        require_endpoint(_settings())  # fail before loading the index, not once per --jsonl line
    pipeline = _open_pipeline()
    empty = {"answer": "", "abstained": True, "citations": [], "timings_ms": {}}
    if args.jsonl:
        return run_jsonl(sys.stdin, sys.stdout, lambda q: answer_json(pipeline.ask(q, args.k, args.mode)), empty)
    answer = pipeline.ask(args.question, args.k, args.mode)
    if args.json:
        print(json.dumps(answer_json(answer), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    sources = answer.citations or answer.related
    if sources:
        print("\nFuentes:" if answer.citations else "\nFuentes más cercanas:")
    for n, c in enumerate(sources, start=1):
        where = f"{c.source}:{c.lines[0]}-{c.lines[1]}"
        table = f" · cuadro «{c.table.title}», fila «{c.table.row}», columna «{c.table.column}»" if c.table else ""
        print(f"[{n}] {c.title} — {c.section or 'sin sección'} ({where}){table}")
        quote = " ".join(c.quote.split())
        print(f"    «{quote[:240]}{'…' if len(quote) > 240 else ''}»")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    import time

    from rag.answer.reader import ReaderModel, reader_dir, reader_inputs
    from rag.index.build import build_inputs, default_embedder
    from rag.index.store import IndexStore

    settings = _settings()
    started = time.perf_counter()
    build = IndexStore(settings.index_dir).require_fresh(build_inputs(settings, default_embedder(settings)))  # one line and exit 2 when stale
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    if not args.force and ReaderModel.load(reader_dir(settings), reader_inputs(settings, manifest)) is not None:
        print(f"reader is up to date ({reader_dir(settings)}, checked in {time.perf_counter() - started:.2f}s)")
        return 0
    from rag.answer.train import train

    trained = train(settings)
    dev = trained["dev"]
    print(
        f"trained the reader in {trained['seconds']['total']} s on {trained['train_questions']} questions "
        f"({trained['train_candidates']} candidates; right figure among them for {trained['train_ceiling']:.3f}); "
        f"threshold {trained['threshold']:.3f}: dev strict accuracy {dev['strict_accuracy_estimate']:.3f}, "
        f"answered precision {dev['answered_precision']:.3f}, coverage {dev['coverage']:.3f} -> {reader_dir(settings)}"
    )
    return 0


# --- eval ------------------------------------------------------------------

EVAL_SYSTEMS = ("bm25", "dense", "hybrid", "full")  # = eval.run.SYSTEMS, kept here so a bad QA file fails before heavy imports


SPLITS = ("train", "dev", "test")
SEALED_SPLITS = ("test",)  # for reporting only: its questions and failures are never printed or written


def _cmd_eval(args: argparse.Namespace) -> int:
    import time

    from eval.qa import load_qa
    from rag.errors import ConfigError
    from rag.settings import PROJECT_ROOT

    if args.split and args.qa:
        raise ConfigError("--split and --qa are exclusive", "give one gold set: --split dev, or --qa PATH")
    systems = tuple(s.strip() for s in (args.systems or ("full" if args.split else ",".join(EVAL_SYSTEMS))).split(",") if s.strip())
    unknown = [s for s in systems if s not in EVAL_SYSTEMS]
    if unknown or not systems:
        raise ConfigError(f"unknown system {unknown[0] if unknown else '(none)'}", f"choose from {', '.join(EVAL_SYSTEMS)}")
    settings = _settings()
    if args.split:
        names = [n.strip() for n in args.split.split(",") if n.strip()]
        bad = [n for n in names if n not in SPLITS]
        if bad or not names:
            raise ConfigError(f"unknown split {bad[0] if bad else '(none)'}", f"choose from {', '.join(SPLITS)}")
        sets = {n: PROJECT_ROOT / "eval" / "data" / f"{n}.jsonl" for n in names}
    else:
        sets = {"qa": args.qa or PROJECT_ROOT / "eval" / "qa.jsonl"}
    items = {n: load_qa(path, settings.corpus_dir) for n, path in sets.items()}  # fails with the line and field before the model or index load

    from eval.report import metrics_table, split_table, write
    from eval.run import QueryEmbeddingMemo, evaluate, provenance
    from rag.index.build import default_embedder
    from rag.pipeline import Pipeline

    # A stale index is refused (run `rag index`), as `rag serve` does: an evaluation never rebuilds.
    pipeline = Pipeline.open(settings, embedder=QueryEmbeddingMemo(default_embedder(settings)))
    stamp = time.strftime("%Y%m%dT%H%M%S")
    by_split: dict[str, dict[str, float]] = {}
    for name, path in sets.items():
        started = time.perf_counter()
        results, records = evaluate(pipeline, items[name], systems, progress=sys.stderr.isatty())
        meta = {**provenance(pipeline, path), "split": name, "eval_seconds": round(time.perf_counter() - started, 1)}
        out = args.out or PROJECT_ROOT / "eval" / "reports" / stamp
        out = out / name if args.split else out
        write(out, results, records, meta, sealed=name in SEALED_SPLITS)
        by_split[name] = results
        if args.json:
            print(json.dumps({**results, "meta": meta}, ensure_ascii=False, indent=2))
        elif not args.split:
            print(metrics_table(results, systems))
            print(f"\nreport: {out / 'report.md'} ({meta['eval_seconds']} s)")
        else:
            print(f"{name}: {len(items[name])} questions, {meta['eval_seconds']} s, report {out / 'report.md'}", file=sys.stderr)
    if args.split and not args.json:
        print(split_table(by_split))
    return 0


def _cmd_corpus_add(args: argparse.Namespace) -> int:
    from rag.corpus import register

    entry = {
        "id": args.doc_id or (args.path.stem if not args.update else None),
        "title": args.title,
        "short_title": args.short_title,
        "institutions": args.institution,
        "period": args.period,
        "publisher": args.publisher,
    }
    saved = register(_settings().corpus_dir, args.path, entry, update=args.update)
    print(f"registered corpus/{saved['file']} as {saved['id']} (sha256 {str(saved['sha256'])[:12]}…); run `rag index` to include it")
    return 0


# --- search ------------------------------------------------------------------


def _open_pipeline() -> Any:
    from rag.pipeline import Pipeline

    return Pipeline.open(_settings(), build_if_needed=True, progress=sys.stderr.isatty())


def read_jsonl(stream: IO[str]) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, request id, question or None) — or an error string in place of the question."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, None, f"!line {number}: invalid JSON ({exc.msg})"
            continue
        if not isinstance(item, dict):
            yield number, None, f"!line {number}: expected an object with 'id' and 'question'"
            continue
        question = item.get("question")
        if not isinstance(question, str):
            yield number, item.get("id"), f"!line {number}: 'question' must be a string"
            continue
        yield number, item.get("id"), question


def run_jsonl(stream: IO[str], out: IO[str], answer: Callable[[str], dict[str, Any]], empty: dict[str, Any]) -> int:
    """Answer each line; a bad line gets {"id", "error"} and the others go on."""
    failures = 0
    for _, request_id, question in read_jsonl(stream):
        if question is not None and question.startswith("!"):
            result: dict[str, Any] = {"id": request_id, "error": question[1:], **empty}
            failures += 1
        else:
            try:
                result = {"id": request_id, **answer(question or "")}
            except RagError as exc:
                result = {"id": request_id, "error": str(exc), **empty}
                failures += 1
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    if failures:
        print(f"rag: {failures} line(s) could not be answered; see their 'error' field", file=sys.stderr)
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    from rag.errors import BadQuestion
    from rag.serialize import hit_json

    if args.jsonl == bool(args.question):
        raise BadQuestion("give either a question or --jsonl", 'e.g. rag search "¿Cuántos pensionados tenía el ISSSTE en 2012?"')
    pipeline = _open_pipeline()
    if args.jsonl:
        return run_jsonl(sys.stdin, sys.stdout, lambda q: {"hits": [hit_json(h) for h in pipeline.search(q, args.k, args.retriever)]}, {"hits": []})
    hits = pipeline.search(args.question, args.k, args.retriever)
    if args.json:
        print(json.dumps([hit_json(h) for h in hits], ensure_ascii=False, indent=2))
        return 0
    for rank, hit in enumerate(hits, start=1):
        item = hit_json(hit)
        print(f"{rank}. [{item['score']:.3f}] {item['source']}:{item['lines'][0]}-{item['lines'][1]}  {item['section']}")
        snippet = " ".join(hit.chunk.text.split())
        print(f"   {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    return 0


# --- tables ------------------------------------------------------------------


def _table_store() -> Any:
    from rag.index.build import TABLES_DB
    from rag.index.store import IndexStore
    from rag.tablestore import TableStore

    store = IndexStore(_settings().index_dir)
    store.manifest()  # raises IndexNotBuilt with the fix
    build = store.current()
    assert build is not None
    return TableStore(build / TABLES_DB)


def _cmd_tables(args: argparse.Namespace) -> int:
    from rag.errors import BadQuestion
    from rag.tables.render import render_grid, table_detail, table_summary

    store = _table_store()
    if args.action == "show":
        if not args.table_id:
            raise BadQuestion("`rag tables show` needs a table id", "list them with `rag tables`")
        table = store.get(args.table_id)
        print(json.dumps(table_detail(table), ensure_ascii=False, indent=2) if args.json else render_grid(table))
        return 0
    tables = store.all()
    if args.json:
        print(json.dumps([table_summary(t) for t in tables], ensure_ascii=False, indent=2))
        return 0
    for t in tables:
        rows, cols = t.shape
        print(f"{t.id:44s} {t.doc_id:26s} {rows:3d}×{cols:<2d} {t.unit[:22]:22s} {t.title[:70]}")
    return 0


# --- serve -------------------------------------------------------------------


def _cmd_serve(args: argparse.Namespace) -> int:
    import time

    started_at = time.monotonic()  # start-up, as /health reports it, includes the imports below
    import threading

    from rag.errors import ConfigError

    if args.port is not None and not 1 <= args.port <= 65535:
        raise ConfigError(f"invalid port {args.port}", "use a port between 1 and 65535")
    overrides = {name: value for name, value in (("host", args.host), ("port", args.port)) if value is not None}
    settings = _settings().model_copy(update=overrides)
    from rag.index.build import default_embedder

    embedder = default_embedder(settings)
    # The model (imports + 470 MB of weights) loads while the API and the index load: start-up is their maximum, not their sum.
    threading.Thread(target=embedder.load, name="model-load", daemon=True).start()
    from api.main import serve
    from rag.pipeline import Pipeline

    pipeline = Pipeline.open(settings, embedder)  # no build here: a missing or stale index fails now, naming `rag index`
    serve(settings, pipeline, started_at)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
