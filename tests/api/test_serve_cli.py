"""`rag serve` refuses to start on a missing or stale index, with one line naming `rag index`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.settings import PROJECT_ROOT
from tests.api.conftest import BASE_ENV


def serve(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | BASE_ENV | {f"RAG_{k.upper()}": v for k, v in settings.items()}
    command = [sys.executable, "-m", "rag.cli", "serve", *args]
    return subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def assert_one_clear_line(run: subprocess.CompletedProcess[str], *words: str) -> None:
    assert run.returncode == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    for word in words:
        assert word in lines[0]


def test_a_missing_index_names_rag_index(tmp_path: Path) -> None:
    assert_one_clear_line(serve(index_dir=str(tmp_path / "nothing")), "no index", "`rag index`")


def test_a_stale_index_names_rag_index() -> None:
    # The real index, but settings it was not built with: exactly what happens after editing .env.
    assert_one_clear_line(serve(chunk_size="900"), "different corpus", "`rag index`")


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_an_impossible_port_is_a_usage_error(port: str) -> None:
    assert_one_clear_line(serve("--port", port), "port")


def test_serve_is_in_the_help() -> None:
    run = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert "--host" in run.stdout and "--port" in run.stdout
