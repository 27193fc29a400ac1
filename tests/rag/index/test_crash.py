"""Crash safety: SIGKILL a real build subprocess at every stage; corrupt every artifact.

A build announces a stage and stops there when ``RAG_TEST_PAUSE_AT`` names it
(``rag.index.store.pause_point``); the test then SIGKILLs it. After every
kill the previous index must still be current, verify and answer searches,
no temporary directory may be served, and the next build must complete.

The fast tests drive ``build_index`` with the deterministic fake embedder in a
subprocess; the slow ones kill the real ``rag index`` (real model) and run the
real ``rag search`` against corrupted indexes.
"""

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.embed import Embedder, HashingEmbedder
from rag.errors import IndexCorrupt
from rag.index.build import build_index
from rag.index.store import KEEP_BUILDS, MANIFEST, PAUSE_ENV, IndexStore
from rag.pipeline import Pipeline, load_index
from rag.settings import PROJECT_ROOT, Settings
from tests.conftest import TINY_FILES, make_corpus, tiny_settings

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
STAGES = ("embedding", "artifacts", "publish", "swap", "prune")
BEFORE_SWAP = ("embedding", "artifacts", "publish", "swap")  # killed here, the previous build stays current
FAKE_BUILD = (
    "import sys; from pathlib import Path; from rag.embed import HashingEmbedder; from rag.index.build import build_index; "
    "from rag.settings import Settings; "
    "build_index(Settings(corpus_dir=Path(sys.argv[1]), index_dir=Path(sys.argv[2])), HashingEmbedder(), rebuild=True, progress=False)"
)
QUESTION = "presupuesto del programa"


def _start(command: list[str], settings: Settings, stage: str) -> subprocess.Popen[str]:
    env = {**ENV, PAUSE_ENV: stage, "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir)}
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _kill_when_paused(proc: subprocess.Popen[str], stage: str, timeout: float = 120) -> None:
    """Wait for the build to announce ``stage`` on stderr, then SIGKILL it."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr or []], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.1))
        except queue.Empty:
            if proc.poll() is not None:
                break
            continue
        if f"paused at {stage}" in seen[-1]:
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
            return
    proc.kill()
    raise AssertionError(f"the build never paused at {stage!r}:\n{''.join(seen)}")


def _assert_serving(settings: Settings, embedder: Embedder, expected: Path | None) -> Path:
    """The current build is complete, verifies, is not a temporary directory, and answers."""
    store = IndexStore(settings.index_dir)
    current = store.current()
    assert current is not None and current.parent == settings.index_dir / "builds" and not current.name.startswith(".")
    if expected is not None:
        assert current == expected
    store.verify(current)
    loaded = load_index(store, current, embedder, settings)
    assert loaded.bm25.search(QUESTION, 3) and loaded.dense.search(QUESTION, 3)
    return current


def _assert_next_build_completes(settings: Settings, embedder: Embedder) -> None:
    report = build_index(settings, embedder, progress=False)
    assert not report.skipped or report.build == IndexStore(settings.index_dir).current()
    current = _assert_serving(settings, embedder, report.build)
    builds = settings.index_dir / "builds"
    assert not list(builds.glob(".tmp-*")) and not list(settings.index_dir.glob(".current-*"))
    assert len([p for p in builds.iterdir() if p.is_dir()]) <= KEEP_BUILDS
    assert Pipeline.open(settings, embedder).search(QUESTION, 3, "bm25")[0].chunk.doc_id in {
        d["id"] for d in IndexStore(settings.index_dir).verify(current)["documents"]
    }


@pytest.mark.parametrize("stage", STAGES)
def test_killing_a_build_at_any_stage_keeps_the_previous_index_serving(tmp_path: Path, tiny_corpus: Path, stage: str) -> None:
    settings = tiny_settings(tmp_path, tiny_corpus)
    embedder = HashingEmbedder()
    previous = build_index(settings, embedder, progress=False).build
    proc = _start([sys.executable, "-c", FAKE_BUILD, str(settings.corpus_dir), str(settings.index_dir)], settings, stage)
    _kill_when_paused(proc, stage)
    current = _assert_serving(settings, embedder, previous if stage in BEFORE_SWAP else None)
    assert stage in BEFORE_SWAP or current != previous  # killed after the swap: the new build, complete
    _assert_next_build_completes(settings, embedder)


def _corrupt(path: Path, how: str) -> None:
    path.chmod(0o644)  # tables.sqlite is written read-only
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    else:  # "edit": a change that keeps the file well-formed (valid JSON for the manifest)
        path.write_bytes(data.replace(b'"faiss_kind": "flat"', b'"faiss_kind": "hnsw"'))


@pytest.fixture(scope="module")
def built_tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("built")
    corpus = make_corpus(root / "corpus")
    build_index(tiny_settings(root, corpus), HashingEmbedder(), progress=False)
    return corpus, root / "index"


def _artifacts(index: Path) -> list[str]:
    current = IndexStore(index).current()
    assert current is not None
    return [*json.loads((current / MANIFEST).read_text(encoding="utf-8"))["files"], MANIFEST]


def _corrupted_copies(built: tuple[Path, Path], tmp_path: Path, hows: tuple[str, ...]) -> Iterator[tuple[str, str, Settings]]:
    corpus, index = built
    for n, (name, how) in enumerate((name, how) for name in _artifacts(index) for how in hows):
        case = tmp_path / f"case{n}"
        shutil.copytree(index, case / "index", symlinks=True)
        current = IndexStore(case / "index").current()
        assert current is not None
        _corrupt(current / name, how)
        yield name, how, tiny_settings(case, corpus)


def test_every_corrupted_or_truncated_artifact_is_refused_with_the_fix(built_tiny: tuple[Path, Path], tmp_path: Path) -> None:
    names = set()
    for name, how, settings in _corrupted_copies(built_tiny, tmp_path, ("truncate", "flip")):
        names.add(name)
        with pytest.raises(IndexCorrupt) as err:
            Pipeline.open(settings, HashingEmbedder())
        assert err.value.hint == "run `rag index --rebuild`", (name, how)
        assert name.split("/")[-1] in str(err.value) or name == MANIFEST, (name, how)
        if how == "truncate" or name == MANIFEST:  # `rag index` refuses too (sizes only; digests are checked at load)
            with pytest.raises(IndexCorrupt, match="rag index --rebuild"):
                build_index(settings, HashingEmbedder(), progress=False)
        build_index(settings, HashingEmbedder(), rebuild=True, progress=False)
        assert Pipeline.open(settings, HashingEmbedder()).search(QUESTION, 3, "bm25"), (name, how)
    assert {"faiss.index", "chunks.jsonl", "tables.sqlite", "bm25/units.json", MANIFEST} <= names
    assert any(n.startswith("bm25/") and n.endswith(".npy") for n in names)


def test_a_well_formed_but_edited_manifest_fails_its_own_digest(built_tiny: tuple[Path, Path], tmp_path: Path) -> None:
    for name, _, settings in _corrupted_copies(built_tiny, tmp_path, ("edit",)):
        if name == MANIFEST:
            with pytest.raises(IndexCorrupt, match=r"manifest.*corrupted"):
                Pipeline.open(settings, HashingEmbedder())


# --- the real `rag index` and `rag search` ---------------------------------------------------------


def _rag(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "RAG_CORPUS_DIR": str(settings.corpus_dir), "RAG_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def real_embedder() -> Embedder:
    from rag.index.build import default_embedder

    return default_embedder(Settings())


@pytest.mark.slow
def test_killing_the_real_rag_index_at_each_stage(tmp_path: Path, real_embedder: Embedder) -> None:
    """`rag corpus add`-style growth, then `rag index` killed at every stage, then completed."""
    settings = tiny_settings(tmp_path, make_corpus(tmp_path / "corpus", TINY_FILES[1:]))
    first = _rag(settings, "index", "--quiet")
    assert first.returncode == 0, first.stderr
    previous = IndexStore(settings.index_dir).current()
    make_corpus(settings.corpus_dir, TINY_FILES)  # a second report: the next build has new passages to embed
    for stage in STAGES:
        proc = _start([sys.executable, "-m", "rag.cli", "index", "--quiet"], settings, stage)
        _kill_when_paused(proc, stage, timeout=300)
        _assert_serving(settings, real_embedder, previous if stage in BEFORE_SWAP else None)
    done = _rag(settings, "index")
    assert done.returncode == 0 and "up to date" in done.stdout  # the prune-stage build was complete and current
    rebuilt = _rag(settings, "index", "--rebuild", "--quiet")
    assert rebuilt.returncode == 0 and "embedded 0" in rebuilt.stdout, rebuilt.stdout + rebuilt.stderr  # every vector was cached
    search = _rag(settings, "search", "presupuesto del ISSSTE", "--json")
    assert search.returncode == 0, search.stderr
    assert {h["source"] for h in json.loads(search.stdout)} & {f"corpus/{name}" for name in TINY_FILES}


@pytest.mark.slow
def test_rag_search_and_serve_on_a_corrupted_index_exit_2_with_one_line(tmp_path: Path) -> None:
    settings = tiny_settings(tmp_path, make_corpus(tmp_path / "corpus", TINY_FILES[1:]))
    assert _rag(settings, "index", "--quiet").returncode == 0
    for name, _, case in _corrupted_copies((settings.corpus_dir, settings.index_dir), tmp_path / "cases", ("flip",)):
        if name.startswith("bm25/") and name not in {"bm25/units.json", "bm25/data.csc.index.npy"}:
            continue  # one bm25 file of each kind is enough here; the fast test covers them all
        commands = [("search", QUESTION)]
        if _has_command("serve") and name in {"faiss.index", MANIFEST}:
            commands.append(("serve", "--port", str(_free_port())))  # fails before binding: the server never serves garbage
        for command in commands:
            result = _rag(case, *command)
            assert result.returncode == 2, (name, command, result.stderr)
            assert result.stderr.count("\n") == 1 and "rag index --rebuild" in result.stderr and "Traceback" not in result.stderr, (name, result.stderr)


def _has_command(name: str) -> bool:
    from rag.cli import _build_parser

    return any(name in (getattr(action, "choices", None) or {}) for action in _build_parser()._actions)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
