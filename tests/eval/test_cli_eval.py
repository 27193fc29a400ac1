"""`rag eval --qa BAD`: a malformed gold line fails fast, on one line naming the line and the field.

Run as a real subprocess. ``RAG_INDEX_DIR`` points at an empty folder: had the
command gone on to load the index or the model, it would fail with a different
message, so these tests also prove the QA file is checked first (and stay cheap).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.qa import KINDS
from rag.cli import EVAL_SYSTEMS
from rag.settings import PROJECT_ROOT

GOOD = (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines()[0]


def _line(**changes: object) -> str:
    item = json.loads(GOOD)
    for name, value in changes.items():
        if value is None:
            del item[name]
        else:
            item[name] = value
    return json.dumps(item, ensure_ascii=False)


def run_eval(tmp_path: Path, bad_line: str) -> subprocess.CompletedProcess[str]:
    qa = tmp_path / "bad.jsonl"
    qa.write_text(f"{GOOD}\n\n{bad_line}\n", encoding="utf-8")  # the bad line is line 3 (a blank line 2 is skipped)
    (tmp_path / "no-index").mkdir()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "RAG_INDEX_DIR": str(tmp_path / "no-index")}
    command = [sys.executable, "-m", "rag.cli", "eval", "--qa", str(qa), "--out", str(tmp_path / "out")]
    return subprocess.run(command, check=False, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120)


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ('{"id": "X-1", "question": "¿Cuánto?",', ["bad.jsonl:3:", "not valid JSON"]),
        (_line(id="X-1", evidence=None), ["bad.jsonl:3:", "missing field 'evidence'"]),
        (_line(id="X-1", answer=160.2), ["bad.jsonl:3:", "field 'answer' must be a string"]),
        (_line(id="X-1", kind="cuadro"), ["bad.jsonl:3:", "field 'kind' is 'cuadro'", ", ".join(KINDS)]),
        (_line(id=json.loads(GOOD)["id"]), ["bad.jsonl:3:", "field 'id' repeats"]),
        (_line(id="X-2", evidence="esto no está en el informe 12345"), ["bad.jsonl:3:", "field 'evidence' is not an exact substring"]),
    ],
    ids=["bad-json", "missing-field", "wrong-type", "unknown-kind", "repeated-id", "evidence-not-in-doc"],
)
def test_a_malformed_line_exits_2_with_one_line_naming_line_and_field(tmp_path: Path, bad_line: str, expected: list[str]) -> None:
    result = run_eval(tmp_path, bad_line)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rag: ")
    for fragment in expected:
        assert fragment in lines[0]
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_a_missing_qa_file_says_so(tmp_path: Path) -> None:
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "rag.cli", "eval", "--qa", str(tmp_path / "none.jsonl")]
    result = subprocess.run(command, check=False, capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"rag: QA file {tmp_path / 'none.jsonl'} does not exist (pass --qa PATH to a JSONL file)"]


def test_the_cli_knows_the_same_systems_as_the_runner() -> None:
    from eval.run import SYSTEMS

    assert EVAL_SYSTEMS == SYSTEMS
