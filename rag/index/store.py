"""Where built artifacts live, how they are swapped in, and how they are checked.

Layout under ``index_dir``::

    current -> builds/<id>      symlink, replaced atomically (os.replace)
    builds/<id>/manifest.json   inputs + sha256 of every artifact file
    builds/.tmp-<id>/           a build in progress (never read)
    cache/embeddings.sqlite     vectors by content hash, shared by builds
    .lock                       held while building

A build writes everything into ``.tmp-<id>``, renames it to ``<id>`` and only
then repoints ``current``. Killing the builder at any moment therefore leaves
``current`` on the previous, complete build. Every file is fsynced before the
rename, so the swap also survives a power cut. Loading verifies every file
against the manifest's sha256, and the manifest against its own digest, so a
truncated or corrupted artifact is refused instead of served.

``RAG_TEST_PAUSE_AT=<stage>`` (tests only, see ``pause_point``) makes a build
announce a stage on stderr and stop there, so tests can SIGKILL it at that
exact point: ``embedding``, ``artifacts``, ``publish``, ``swap``, ``prune``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rag.errors import IndexCorrupt, IndexNotBuilt, IndexStale

SCHEMA_VERSION = 3  # 3: the manifest carries its own digest (manifest_sha256)
MANIFEST = "manifest.json"
KEEP_BUILDS = 2  # the current build and the one before it
REBUILD = "run `rag index --rebuild`"
PAUSE_ENV = "RAG_TEST_PAUSE_AT"

Freshness = Literal["missing", "stale", "fresh", "corrupt"]


def pause_point(stage: str) -> None:
    """Test hook: when ``RAG_TEST_PAUSE_AT`` names ``stage``, say so on stderr and wait to be killed."""
    if os.environ.get(PAUSE_ENV) == stage:
        print(f"rag-test: paused at {stage}", file=sys.stderr, flush=True)
        time.sleep(3600)


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest's content, its own digest field left out (canonical JSON)."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class BuildInputs:
    """Everything a build depends on; a different key means a rebuild."""

    corpus_hash: str
    model: str
    settings: dict[str, Any]

    @property
    def key(self) -> str:
        payload = json.dumps({"schema": SCHEMA_VERSION, "corpus": self.corpus_hash, "model": self.model, "settings": self.settings}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.builds = root / "builds"
        self.current_link = root / "current"
        self.cache = root / "cache"

    # --- reading -------------------------------------------------------------
    def current(self) -> Path | None:
        if not self.current_link.is_symlink() and not self.current_link.is_dir():
            return None
        target = self.current_link.resolve()
        return target if (target / MANIFEST).is_file() else None

    def manifest(self) -> dict[str, Any]:
        """The current build's manifest; IndexCorrupt when it is unreadable or fails its own digest."""
        build = self.current()
        if build is None:
            raise IndexNotBuilt(f"no index built in {self.root}", "run `rag index`")
        return read_manifest(build)

    def freshness(self, inputs: BuildInputs) -> Freshness:
        try:
            manifest = self.manifest()
        except IndexNotBuilt:
            return "missing"
        except IndexCorrupt:
            return "corrupt"
        return "fresh" if manifest.get("inputs_key") == inputs.key else "stale"

    def require_fresh(self, inputs: BuildInputs) -> Path:
        state = self.freshness(inputs)
        if state == "missing":
            raise IndexNotBuilt(f"no index built in {self.root}", "run `rag index`")
        if state == "corrupt":
            self.manifest()  # raises IndexCorrupt saying what is wrong
        if state == "stale":
            raise IndexStale("the index was built from a different corpus, model or settings", "run `rag index`")
        build = self.current()
        assert build is not None
        return build

    def verify(self, build: Path, digests: bool = True) -> dict[str, Any]:
        """Check every artifact against the manifest; raise IndexCorrupt on any mismatch.

        ``digests=False`` checks presence and sizes only (catches truncation, not bit flips).
        """
        manifest = read_manifest(build)
        for name, expected in manifest["files"].items():
            path = build / name
            if not path.is_file():
                raise IndexCorrupt(f"index file {name} is missing from {build.name}", REBUILD)
            if path.stat().st_size != expected["bytes"] or (digests and file_digest(path) != expected["sha256"]):
                raise IndexCorrupt(f"index file {name} in {build.name} is truncated or corrupted", REBUILD)
        return manifest

    # --- writing -------------------------------------------------------------
    @contextlib.contextmanager
    def building(self) -> Iterator[Path]:
        """Yield a fresh temporary build directory while holding the build lock."""
        self.builds.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._remove_abandoned()
            tmp = self.builds / f".tmp-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
            try:
                yield tmp
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)

    def publish(self, tmp: Path, manifest: dict[str, Any]) -> Path:
        """Write the manifest (with file digests), then swap the build in atomically."""
        files = {str(rel): {"bytes": (tmp / rel).stat().st_size, "sha256": file_digest(tmp / rel, sync=True)} for rel in sorted(_files(tmp))}
        manifest = {**manifest, "files": files}
        _write_json_durably(tmp / MANIFEST, {**manifest, "manifest_sha256": manifest_digest(manifest)})
        for directory in {tmp, *(p.parent for p in tmp.rglob("*"))}:
            _fsync_dir(directory)
        pause_point("publish")
        final = self.builds / tmp.name.removeprefix(".tmp-")
        os.replace(tmp, final)
        _fsync_dir(self.builds)
        pause_point("swap")
        link_tmp = self.root / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        link_tmp.symlink_to(Path("builds") / final.name)
        os.replace(link_tmp, self.current_link)
        _fsync_dir(self.root)
        pause_point("prune")
        self._prune(keep=final)
        return final

    def tidy(self) -> None:
        """Remove what a killed build left behind, unless a build is running right now."""
        if not self.builds.is_dir():
            return
        try:
            lock = open(self.root / ".lock", "a")  # noqa: SIM115 - closed below
        except OSError:
            return  # a read-only index: nothing to tidy
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a build holds the lock: its temporary directory is not abandoned
            self._remove_abandoned()

    def _remove_abandoned(self) -> None:
        """Leftovers of a killed build: its temporary directory and symlink."""
        for leftover in self.builds.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        for link in self.root.glob(".current-*"):
            link.unlink(missing_ok=True)

    def _prune(self, keep: Path) -> None:
        builds = sorted((p for p in self.builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
        for old in builds[:-KEEP_BUILDS]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)


def _files(directory: Path) -> Iterator[Path]:
    """Artifact files relative to ``directory``, the manifest itself excluded."""
    for path in directory.rglob("*"):
        if path.is_file() and path.name != MANIFEST:
            yield path.relative_to(directory)


def read_manifest(build: Path) -> dict[str, Any]:
    """A build's manifest, checked against its own digest; IndexCorrupt if it isn't intact.

    A manifest of an older schema has no digest; it is returned as is, and is stale anyway.
    """
    try:
        data: dict[str, Any] = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(f"index manifest in {build.name} is unreadable: {exc}", REBUILD) from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise IndexCorrupt(f"index manifest in {build.name} is not a build manifest", REBUILD)
    if data.get("schema_version") == SCHEMA_VERSION and data.get("manifest_sha256") != manifest_digest(data):
        raise IndexCorrupt(f"index manifest in {build.name} is corrupted (its digest does not match)", REBUILD)
    return data


def file_digest(path: Path, sync: bool = False) -> str:
    """sha256 of a file; with ``sync``, also flush it to disk (fsync)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        if sync:
            os.fsync(handle.fileno())
    return digest.hexdigest()


def _write_json_durably(path: Path, data: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
