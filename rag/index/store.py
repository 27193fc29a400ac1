"""Where built artifacts live, how they are swapped in, and how they are checked.

Layout under ``index_dir``::

    current -> builds/<id>      symlink, replaced atomically (os.replace)
    builds/<id>/manifest.json   inputs + sha256 of every artifact file
    builds/.tmp-<id>/           a build in progress (never read)
    cache/embeddings.sqlite     vectors by content hash, shared by builds
    .lock                       held while building

A build writes everything into ``.tmp-<id>``, renames it to ``<id>`` and only
then repoints ``current``. Killing the builder at any moment therefore leaves
``current`` on the previous, complete build. Loading verifies every file
against the manifest's sha256, so a truncated or corrupted artifact is
refused instead of served.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rag.errors import IndexCorrupt, IndexNotBuilt, IndexStale

SCHEMA_VERSION = 2
MANIFEST = "manifest.json"
KEEP_BUILDS = 2  # the current build and the one before it

Freshness = Literal["missing", "stale", "fresh"]


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
        build = self.current()
        if build is None:
            raise IndexNotBuilt(f"no index built in {self.root}", "run `rag index`")
        try:
            data: dict[str, Any] = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexCorrupt(f"index manifest in {build} is unreadable: {exc}", "run `rag index --rebuild`") from exc
        return data

    def freshness(self, inputs: BuildInputs) -> Freshness:
        try:
            manifest = self.manifest()
        except IndexNotBuilt:
            return "missing"
        except IndexCorrupt:
            return "stale"
        return "fresh" if manifest.get("inputs_key") == inputs.key else "stale"

    def require_fresh(self, inputs: BuildInputs) -> Path:
        state = self.freshness(inputs)
        if state == "missing":
            raise IndexNotBuilt(f"no index built in {self.root}", "run `rag index`")
        if state == "stale":
            raise IndexStale("the index was built from a different corpus, model or settings", "run `rag index`")
        build = self.current()
        assert build is not None
        return build

    def verify(self, build: Path) -> dict[str, Any]:
        """Check every artifact against the manifest; raise IndexCorrupt on any mismatch."""
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        for name, expected in manifest.get("files", {}).items():
            path = build / name
            if not path.is_file():
                raise IndexCorrupt(f"index file {name} is missing from {build.name}", "run `rag index --rebuild`")
            if path.stat().st_size != expected["bytes"] or file_digest(path) != expected["sha256"]:
                raise IndexCorrupt(f"index file {name} in {build.name} is truncated or corrupted", "run `rag index --rebuild`")
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
        files = {str(rel): {"bytes": (tmp / rel).stat().st_size, "sha256": file_digest(tmp / rel)} for rel in sorted(_files(tmp))}
        manifest = {**manifest, "files": files}
        _write_json_durably(tmp / MANIFEST, manifest)
        final = self.builds / tmp.name.removeprefix(".tmp-")
        os.replace(tmp, final)
        link_tmp = self.root / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            link_tmp.unlink()
        link_tmp.symlink_to(Path("builds") / final.name)
        os.replace(link_tmp, self.current_link)
        _fsync_dir(self.root)
        self._prune(keep=final)
        return final

    def _remove_abandoned(self) -> None:
        for leftover in self.builds.glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)

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


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
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
